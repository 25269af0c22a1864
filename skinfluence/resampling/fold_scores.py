"""The paper's §5.4 scores: each row's influence on held-out folds.

k-fold over the training rows; in each fold a model is fitted on the other
folds and every one of its training rows is scored by its first-order influence
(``target="loss"``: positive helps) on reference points of the held-out fold.
"""

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.utils import _safe_indexing

from ..explainer import InfluenceExplainer

__all__ = ["fold_influence_scores", "representatives"]


def fold_influence_scores(scorer, X, y, sample_weight, folds, reference, by_class):
    """Influence of each row on each fold's reference points.

    Parameters
    ----------
    scorer : estimator
        Cloned and fitted on each fold's training rows.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None
        Weights of the rows in each fold's model and in its references: the
        weighted centroid, the weighted mean loss; a held-out row of weight 0
        is no reference.
    folds : list of (train, held_out) index arrays
    reference : {"representative", "validation"}
        One reference per class (the held-out row nearest the class centroid),
        or the mean loss of the whole held-out fold.
    by_class : bool
        Whether ``y`` holds classes (``"representative"``: one reference per
        class; otherwise one for all rows).

    Returns
    -------
    ndarray of shape (n_samples, n_folds * n_references)
        Column ``fold * n_references + r``; NaN where a row has no score.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import KFold
    >>> from skinfluence.resampling.fold_scores import fold_influence_scores
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    >>> folds = list(KFold(3).split(X))
    >>> s = fold_influence_scores(Ridge(), X, y, None, folds, "validation", False)
    >>> s.shape, int(np.isnan(s).sum())
    ((30, 3), 30)
    """
    labels = np.unique(y) if by_class and reference == "representative" else None
    n_refs = 1 if labels is None else len(labels)
    scores = np.full((len(y), len(folds) * n_refs), np.nan)
    for f, (train, held_out) in enumerate(folds):
        if by_class:
            missing = np.setdiff1d(np.unique(y), y[train])
            if missing.size:
                raise ValueError(
                    f"The training rows of fold {f} lack class(es) "
                    f"{missing.tolist()}: each fold's model must see every class. "
                    "Use stratified folds (an integer cv does that for class "
                    "targets) or fewer folds."
                )
        explainer = InfluenceExplainer(clone(scorer)).fit(
            _safe_indexing(X, train),
            y[train],
            sample_weight=None if sample_weight is None else sample_weight[train],
        )
        known = held_out
        classes = getattr(explainer.estimator_, "classes_", None)
        if by_class and classes is not None:  # held-out labels the model knows
            known = known[np.isin(y[known], classes)]
        if sample_weight is not None:  # a row of weight 0 does not count
            known = known[sample_weight[known] > 0]
        if known.size == 0:
            continue
        X_ho, y_ho = _safe_indexing(X, known), y[known]
        w_ho = None if sample_weight is None else sample_weight[known]
        if reference == "validation":
            scores[train, f] = explainer.mean_influence(X_ho, y_ho, sample_weight=w_ho)
            continue
        Z_ho = X_ho  # centroids need numbers: a Pipeline scorer's encoded rows
        if not (sparse.issparse(X_ho) or np.asarray(X_ho).dtype.kind in "fiub"):
            Z_ho = explainer.feature_map_.transform(X_ho)
        ref = representatives(Z_ho, y_ho if labels is not None else None, w_ho)
        block = explainer.influence(_safe_indexing(X_ho, ref), y_ho[ref]).T
        if labels is None:
            scores[train, f] = block[:, 0]
        else:
            cols = f * n_refs + np.searchsorted(labels, y_ho[ref])
            scores[np.ix_(train, cols)] = block
    return scores


def representatives(X, y, sample_weight=None):
    """Per class (or for all rows when ``y`` is None), the row nearest the centroid.

    The centroid is the one-cluster KMeans solution (weighted by
    ``sample_weight``).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n, n_features)
    y : ndarray of shape (n,) or None
    sample_weight : ndarray of shape (n,), default=None
        Positive weights of the rows.

    Returns
    -------
    ndarray of int
        Row indices of ``X``, ordered by class.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.fold_scores import representatives
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [15.0]])
    >>> representatives(X, np.array([0, 0, 0, 1, 1, 1])).tolist()
    [1, 4]
    """
    groups = (
        [np.arange(X.shape[0])]
        if y is None
        else [np.flatnonzero(y == c) for c in np.unique(y)]
    )
    out = []
    for rows in groups:
        Xg = X[rows]
        Xg = Xg.toarray() if sparse.issparse(Xg) else Xg
        w = None if sample_weight is None else sample_weight[rows]
        d2 = ((Xg - np.average(Xg, axis=0, weights=w)) ** 2).sum(axis=1)
        out.append(rows[np.argmin(d2)])
    return np.asarray(out, dtype=np.intp)
