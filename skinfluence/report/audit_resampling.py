"""The audit's question "would removing rows help?", answered by cross-validation.

Keeping every training row is compared with the two row-removing steps of
skinfluence, each wrapped in :class:`~skinfluence.InfluencePrunedEstimator`
so that cross-validation refits the removal on every training fold.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from .. import (
    InfluenceOutlierRemover,
    InfluencePrunedEstimator,
    InfluencePruner,
    InfluenceWarning,
)

__all__ = ["MAX_CV_ROWS", "resampling_effects"]

#: Rows the comparison runs on (a random sample of the training rows beyond).
MAX_CV_ROWS = 5000


def resampling_effects(model, X, y, task, cv=3, random_state=0):
    """Cross-validated score of keeping every row, pruning, removing outliers.

    Parameters
    ----------
    model : estimator
        Unfitted; the audit's model.
    X : ndarray of shape (n, p)
        The preprocessed training rows.
    y : ndarray of shape (n,)
    task : {"classification", "regression"}
        Scored by log-loss or by RMSE (lower is better for both).
    cv : int, default=3
    random_state : int, default=0
        Seed of the folds and of the row sample (at most ``MAX_CV_ROWS``).

    Returns
    -------
    list of dict
        One per candidate: ``"candidate"``, ``"metric"``, ``"mean"``, ``"std"``
        over the folds, and ``"n_rows"`` the rows cross-validated.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> from skinfluence.report.audit_resampling import resampling_effects
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> rows = resampling_effects(LogisticRegression(), scale(X), y, "classification")
    >>> [r["candidate"] for r in rows][0], rows[0]["metric"]
    ('every row', 'log-loss')
    """
    rng = np.random.RandomState(random_state)
    if len(y) > MAX_CV_ROWS:
        keep = np.sort(rng.permutation(len(y))[:MAX_CV_ROWS])
        X, y = X[keep], y[keep]
    if task == "classification":
        folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
        scoring, metric = "neg_log_loss", "log-loss"
    else:
        folds = KFold(cv, shuffle=True, random_state=random_state)
        scoring, metric = "neg_root_mean_squared_error", "RMSE"
    candidates = {
        "every row": clone(model),
        "InfluencePruner(fraction=0.05)": InfluencePrunedEstimator(
            clone(model), pruner=InfluencePruner(clone(model), fraction=0.05)
        ),
        "InfluenceOutlierRemover(threshold='auto')": InfluencePrunedEstimator(
            clone(model), pruner=InfluenceOutlierRemover(clone(model))
        ),
    }
    rows = []
    for name, candidate in candidates.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InfluenceWarning)
            scores = -cross_val_score(candidate, X, y, cv=folds, scoring=scoring)
        rows.append(
            {
                "candidate": name,
                "metric": metric,
                "mean": float(scores.mean()),
                "std": float(scores.std()),
                "n_rows": int(len(y)),
            }
        )
    return rows
