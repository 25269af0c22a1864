"""Section 3: multi-class influence against distance (First et al. §5.3, Figs 5–7).

A multinomial logistic regression on all ten digits; for one test image of
each chosen class, every training image's influence on its loss against its
Euclidean distance to it.
"""

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline

from .. import InfluenceExplainer
from .data import image_data, logistic_regression

__all__ = ["multiclass_experiment"]


def multiclass_experiment(data="digits", classes=(0, 1, 5), random_state=0):
    """Influence against distance for one test image of each class in ``classes``.

    On MNIST the model is fitted on 50 principal components (7 850 parameters
    on raw pixels would make a 7 850 × 7 850 Hessian); distances are always
    measured between the raw images.

    Parameters
    ----------
    data : {"digits", "mnist", "mnist-openml"}, default="digits"
    classes : sequence of int, default=(0, 1, 5)
        The test images' classes (the paper's figures show 0, 1 and 5).
    random_state : int, default=0

    Returns
    -------
    numbers : dict
        JSON-ready: accuracy and, per test image, the class, influence and
        distance rank of its most harmful and most helpful training image.
    drawings : dict
        What the figure needs: per test image, the influences, distances and
        images.

    Examples
    --------
    >>> from skinfluence.report.multiclass import multiclass_experiment
    >>> numbers, _ = multiclass_experiment(classes=(0,))
    >>> numbers["rows"][0]["helpful_class"]
    0
    """
    Xtr, ytr, Xte, yte, shape = image_data(data, None, random_state)
    model = logistic_regression()
    if data != "digits":
        model = make_pipeline(PCA(50, random_state=random_state), model)
    model.fit(Xtr, ytr)
    ex = InfluenceExplainer(model).fit(Xtr, ytr)
    rows, panels = [], []
    for c in classes:
        members = np.flatnonzero(yte == c)
        proba = model.predict_proba(Xte[members])[:, list(model.classes_).index(c)]
        members = members[proba > 0.5]
        center = Xtr[ytr == c].mean(axis=0)
        t = int(members[np.argmin(np.linalg.norm(Xte[members] - center, axis=1))])
        inf = ex.influence(Xte[t : t + 1], yte[t : t + 1])[0]
        dist = np.linalg.norm(Xtr - Xte[t], axis=1)
        j, h = int(np.argmin(inf)), int(np.argmax(inf))
        top, worst = np.argsort(-inf)[:20], np.argsort(inf)[:20]
        rows.append(
            {
                "test_class": int(c),
                "test_index": t,
                "harmful_class": int(ytr[j]),
                "harmful_influence": float(inf[j]),
                "harmful_distance_pct": float(100 * np.mean(dist < dist[j])),
                "helpful_class": int(ytr[h]),
                "helpful_influence": float(inf[h]),
                "helpful_distance_pct": float(100 * np.mean(dist < dist[h])),
                "top20_same_class": int(np.sum(ytr[top] == c)),
                "worst20_other_class": int(np.sum(ytr[worst] != c)),
                "nearest_is_helpful": bool(inf[np.argmin(dist)] > 0),
            }
        )
        panels.append(
            {
                "influence": inf,
                "distance": dist,
                "test_label": int(c),
                "test_image": Xte[t].reshape(shape),
                "harmful_image": Xtr[j].reshape(shape),
            }
        )
    numbers = {
        "data": data,
        "n_train": int(len(ytr)),
        "accuracy": float(model.score(Xte, yte)),
        "rows": rows,
    }
    return numbers, {"labels": ytr, "panels": panels}
