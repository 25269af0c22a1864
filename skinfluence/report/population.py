"""Section 1: influence of populations (First et al. §5.1 / §6.1, Tables 1–2).

1s against 7s; for two test 7s, the dashed 7s found by the stroke counter, the
plain 7s and the test image's "bad points", each population's predicted
influence on P(7) beside the effect of actually refitting without it.
"""

import warnings

import numpy as np

from .. import InfluenceExplainer, InfluenceWarning
from .data import image_data, logistic_regression
from .strokes import count_strokes

__all__ = ["population_experiment"]


def population_experiment(data="digits", random_state=0):
    """Predicted and refitted influence of three populations on two test 7s.

    Parameters
    ----------
    data : {"digits", "mnist", "mnist-openml"}, default="digits"
    random_state : int, default=0
        Seed of the train/test split.

    Returns
    -------
    numbers : dict
        JSON-ready: data sizes, accuracy, the stroke counts of the training
        7s (``stroke_counts``: number of peaks -> number of 7s) and one table
        per test image (``tables``).
    drawings : dict
        What the figures need: images, their shape, and for each test image
        its most helpful and harmful training images.

    Examples
    --------
    >>> from skinfluence.report.population import population_experiment
    >>> numbers, _ = population_experiment()
    >>> numbers["n_dashed"] + numbers["n_plain"] <= numbers["n_sevens"]
    True
    >>> [r["population"] for r in numbers["tables"][0]["rows"]]
    ['Dashed 7s (2 strokes)', 'Plain 7s (1 stroke)', 'Bad points']
    """
    Xtr, ytr, Xte, yte, shape = image_data(data, (1, 7), random_state)
    model = logistic_regression().fit(Xtr, ytr)
    first = InfluenceExplainer(model).fit(Xtr, ytr)
    newton = InfluenceExplainer(model, method="newton").fit(Xtr, ytr)

    strokes = count_strokes(Xtr, image_shape=shape)
    dashed = np.flatnonzero((ytr == 7) & (strokes == 2))
    plain = np.flatnonzero((ytr == 7) & (strokes == 1))
    peaks, n_with = np.unique(strokes[ytr == 7], return_counts=True)

    p7 = model.predict_proba(Xte)[:, list(model.classes_).index(7)]
    sevens = np.flatnonzero((yte == 7) & (p7 > 0.5))
    centroid = Xte[sevens].mean(axis=0)
    images = {
        "Image 1": (
            int(sevens[np.argmin(p7[sevens])]),
            "the test 7 the model is least sure of",
        ),
        "Image 2": (
            int(sevens[np.argmin(np.linalg.norm(Xte[sevens] - centroid, axis=1))]),
            "a typical test 7 (the one nearest the test 7s' mean image)",
        ),
    }
    tables, tops = [], []
    for name, (t, why) in images.items():
        xt, yt = Xte[t : t + 1], yte[t : t + 1]
        row_influence = first.influence(xt, yt, target="proba")[0]
        cut = 0.5 * row_influence.min()
        bad = np.flatnonzero(row_influence < cut)
        pops = {
            "Dashed 7s (2 strokes)": dashed,
            "Plain 7s (1 stroke)": plain,
            "Bad points": bad,
        }
        groups = list(pops.values())
        pred_fo = first.population_influence(xt, yt, groups, target="proba")[0]
        pred_nt = newton.population_influence(xt, yt, groups, target="proba")[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InfluenceWarning)
            actual = first.retrain_effect(xt, yt, groups, target="proba")[0]
        p_with = float(p7[t])
        rows = [
            {
                "population": pname,
                "n_rows": int(len(idx)),
                "predicted_first_order": float(pred_fo[s]),
                "predicted_newton": float(pred_nt[s]),
                "refitted_effect": float(actual[s]),
                "proba_with": p_with,
                "proba_without": p_with - float(actual[s]),
            }
            for s, (pname, idx) in enumerate(pops.items())
        ]
        tables.append(
            {
                "image": name,
                "test_index": t,
                "why": why,
                "threshold": float(cut),
                "n_bad_sevens": int(np.sum(ytr[bad] == 7)),
                "rows": rows,
            }
        )
        top = first.top_influences(xt, yt, k=5, target="proba")
        tops.append(
            {
                "name": name,
                "why": why,
                "test_image": Xte[t],
                "test_label": yte[t],
                "helpful": top.helpful_indices[0],
                "helpful_scores": top.helpful_scores[0],
                "harmful": top.harmful_indices[0],
                "harmful_scores": top.harmful_scores[0],
            }
        )
    numbers = {
        "data": data,
        "n_train": int(len(ytr)),
        "n_test": int(len(yte)),
        "n_sevens": int(np.sum(ytr == 7)),
        "n_dashed": int(len(dashed)),
        "n_plain": int(len(plain)),
        "stroke_counts": {str(int(p)): int(n) for p, n in zip(peaks, n_with)},
        "accuracy": float(model.score(Xte, yte)),
        "tables": tables,
    }
    drawings = {
        "X_train": Xtr,
        "y_train": ytr,
        "image_shape": shape,
        "plain": plain,
        "dashed": dashed,
        "tops": tops,
    }
    return numbers, drawings
