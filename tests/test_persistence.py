"""A fitted explainer survives pickle and joblib round trips with identical results.

(Loading a pickle runs code: only load files you trust — see the user guide.)"""

import pickle

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluenceExplainer


def test_explainer_round_trips(breast_cancer, tmp_path):
    X, y, Xt, yt = breast_cancer
    for method in ("first_order", "newton"):
        ex = InfluenceExplainer(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
                                method=method).fit(X, y)
        before = (ex.influence(Xt, yt), ex.self_influence(), ex.population_influence(Xt, yt, [1, 2, 3]))
        again = pickle.loads(pickle.dumps(ex))
        path = tmp_path / f"{method}.joblib"
        joblib.dump(ex, path)
        loaded = joblib.load(path)
        for other in (again, loaded):
            after = (other.influence(Xt, yt), other.self_influence(),
                     other.population_influence(Xt, yt, [1, 2, 3]))
            for a, b in zip(before, after):
                np.testing.assert_array_equal(a, b)
