"""Cases a new user hits with scikit-learn's defaults and common settings; each
checked against refitting with scikit-learn (``_refit``), not against skinfluence."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier

from _refit import TIGHT, refit_effects
from skinfluence import InfluenceExplainer


def _binary_problem(n=80, p=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, p))
    y = (X @ rng.standard_normal(p) + rng.standard_normal(n) > 0).astype(int)
    return X, y, rng.standard_normal((6, p))


def test_logistic_regression_cv_retrain_effect_refits_at_the_chosen_C():
    """retrain_effect refits a LogisticRegression at ``C_``; it re-ran the search
    (LogisticRegressionCV subclasses LogisticRegression), which chose another C."""
    X, y, Xt = _binary_problem()
    yt = y[:6]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lcv = LogisticRegressionCV(tol=1e-10, max_iter=10_000).fit(X, y)
        ex = InfluenceExplainer(lcv, method="newton").fit(X, y)
        got = ex.retrain_effect(Xt, yt, [[0], [1], [2]])
    plain = LogisticRegression(C=float(lcv.C_[0]), **TIGHT).fit(X, y)
    truth = refit_effects(plain, X, y, Xt, yt, [[0], [1], [2]])
    gap = np.abs(got - truth).max() / np.abs(truth).max()
    assert gap < 1e-6, f"retrain_effect vs LogisticRegression(C=C_) refits: {gap:.2e}"


@pytest.mark.parametrize("loss", ["squared_error", "huber", "squared_epsilon_insensitive"])
def test_sgd_classifier_with_a_regression_loss_is_refused_clearly(loss):
    """scikit-learn accepts these losses in SGDClassifier; the reader crashed on
    them (a broadcast error, or AttributeError 'margin_terms' for 3 classes)."""
    X, y, _ = _binary_problem()
    for labels in (y, np.digitize(X[:, 0], [-0.5, 0.5])):
        est = SGDClassifier(loss=loss, random_state=0).fit(X, labels)
        with pytest.raises(ValueError, match="Supported losses: log_loss"):
            InfluenceExplainer(est).fit(X, labels)
