"""InfluencePruner: drop training rows that consistently hurt held-out predictions.

The paper's §5.4: k-fold over the training rows; in each fold a model is fitted
on the other folds and every one of its training rows is scored by its
influence on reference points of the held-out fold. A rule over each row's set
of scores decides whether it is removed.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..explainer import InfluenceExplainer
from .base import BaseRowSampler
from .scorer import check_scorer

__all__ = ["InfluencePruner"]

_RULES = ("all_positive", "sum_positive", "not_all_negative")


class InfluencePruner(BaseRowSampler):
    """Remove training rows whose influence on held-out data is harmful.

    In each of ``cv`` folds, ``estimator`` is fitted on the training folds and
    every one of those rows is scored by its influence (:class:`InfluenceExplainer`,
    ``target="loss"``, first order) on reference points of the held-out fold:
    positive = the row helps them, negative = it hurts. Each row is scored in
    every fold where it is a training row, so it collects ``cv - 1`` sets of
    scores. A rule over the scores, or ``fraction``, decides which rows go.

    Read more in ``docs/pruning.md``, which records the experiment that chose
    the defaults.

    Parameters
    ----------
    estimator : estimator, default=None
        The model that scores rows: any model :class:`InfluenceExplainer`
        supports (or a Pipeline ending in one); cloned in each fold. ``None``:
        ``LogisticRegression(C=0.1, solver="newton-cholesky")`` for class
        targets (meant for standardised features), ``Ridge()`` for continuous ones.
    cv : int, cross-validation generator or iterable, default=3
        Folds over the rows (an int means stratified folds for class targets,
        plain ``KFold`` otherwise, both unshuffled, as
        :func:`~sklearn.model_selection.check_cv` gives). The paper uses 3.
    reference : {"representative", "validation"}, default="representative"
        What a row is scored against in each fold.

        - ``"representative"``: per class, the held-out row nearest its class
          centroid (the paper's one-cluster KMeans); for a continuous target,
          the held-out row nearest the fold's centroid. One score per row,
          fold and class. A typical row is almost surely correctly labelled,
          so these scores stay meaningful when labels are noisy.
        - ``"validation"``: the mean loss over the whole held-out fold. One
          linear solve per fold: the influence on a mean loss is the mean of
          the influences, so the test gradients are averaged before solving.
          One score per row and fold. With noisy labels the mean log-loss is
          dominated by the held-out fold's own mislabelled rows.
    rule : {"not_all_negative", "sum_positive", "all_positive"}, \
            default="not_all_negative"
        The paper's three heuristics over a row's scores (a row's missing
        scores, NaN, are ignored):

        - ``"not_all_negative"``: remove a row when every score is negative
          (the default: on clean data it removes under 1% of rows).
        - ``"sum_positive"``: remove a row unless its scores sum to > 0.
        - ``"all_positive"``: remove a row unless every score is > 0.
    fraction : float in [0, 1) or None, default=None
        When set, replaces ``rule``: remove ``floor(fraction * n_samples)`` rows,
        the most harmful by mean score (ties: the earlier row goes first).
        Meant for tuning the amount of pruning with ``GridSearchCV``.

    Attributes
    ----------
    scores_ : ndarray of shape (n_samples, n_folds * n_references)
        Influence of each row on each reference point, column
        ``fold * n_references + r``; NaN where the row got no score (it was in
        that fold's held-out part, or the reference did not exist).
    sample_indices_ : ndarray of shape (n_kept,)
        The rows kept, in increasing order.
    removed_indices_ : ndarray of shape (n_removed,)
        The rows removed, in increasing order.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    Notes
    -----
    The pruner never removes every row of a class, nor every row: it keeps the
    group's least harmful row back and warns with :class:`InfluenceWarning`.
    Rows are scored with the weights given to :meth:`fit` (``sample_weight``) in
    the scoring model's objective.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skinfluence import InfluencePruner
    >>> from skinfluence.pipeline import make_pipeline
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), InfluencePruner(),
    ...                       LogisticRegression()).fit(X, y)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "cv": ["cv_object"],
        "reference": [StrOptions({"validation", "representative"})],
        "rule": [StrOptions(set(_RULES))],
        "fraction": [Interval(numbers.Real, 0, 1, closed="left"), None],
    }

    def __init__(
        self,
        estimator=None,
        cv=3,
        reference="representative",
        rule="not_all_negative",
        fraction=None,
    ):
        self.estimator = estimator
        self.cv = cv
        self.reference = reference
        self.rule = rule
        self.fraction = fraction

    def _fit(self, X, y, sw):
        scorer = check_scorer(self.estimator, self._is_classification)
        cv = check_cv(self.cv, y, classifier=self._is_classification)
        folds = list(cv.split(X, y))
        n_folds = len(folds)
        if self._is_classification and self.reference == "representative":
            labels = np.unique(y)
        else:
            labels = None
        n_refs = 1 if labels is None else len(labels)
        scores = np.full((len(y), n_folds * n_refs), np.nan)
        for f, (train, held_out) in enumerate(folds):
            if self._is_classification:
                missing = np.setdiff1d(np.unique(y), y[train])
                if missing.size:
                    raise ValueError(
                        f"The training rows of fold {f} lack class(es) "
                        f"{missing.tolist()}: each fold's model must see every class. "
                        "Use stratified folds (an integer cv does that for class "
                        "targets) or fewer folds."
                    )
            explainer = InfluenceExplainer(clone(scorer)).fit(
                X[train], y[train], sample_weight=None if sw is None else sw[train]
            )
            known = _known_rows(explainer, y[held_out])
            X_ho, y_ho = X[held_out][known], y[held_out][known]
            if y_ho.size == 0:
                continue
            if self.reference == "validation":
                scores[train, f] = explainer.mean_influence(X_ho, y_ho)
                continue
            ref = _representatives(X_ho, y_ho if labels is not None else None)
            block = explainer.influence(X_ho[ref], y_ho[ref]).T  # (n_train, n_ref)
            if labels is None:
                scores[train, f] = block[:, 0]
            else:
                cols = f * n_refs + np.searchsorted(labels, y_ho[ref])
                scores[np.ix_(train, cols)] = block
        self.scores_ = scores
        return self._decide(scores)

    def _decide(self, scores):
        """Rows to remove, and a harm score (minus the mean score) for each row."""
        has_score = ~np.all(np.isnan(scores), axis=1)
        mean = np.zeros(len(scores))
        mean[has_score] = np.nanmean(scores[has_score], axis=1)
        harm = -mean
        if self.fraction is not None:
            n_remove = int(np.floor(self.fraction * len(scores)))
            remove = np.zeros(len(scores), dtype=bool)
            remove[np.argsort(-harm, kind="stable")[:n_remove]] = True
            return remove, harm
        with np.errstate(invalid="ignore"):
            if self.rule == "not_all_negative":
                remove = np.all((scores < 0) | np.isnan(scores), axis=1)
            elif self.rule == "sum_positive":
                remove = np.nansum(scores, axis=1) <= 0
            else:  # all_positive
                remove = np.any(scores <= 0, axis=1)
        return remove & has_score, harm


def _known_rows(explainer, y_held_out):
    """Held-out rows whose label the fold's model knows (all rows for regression)."""
    classes = getattr(explainer.estimator_, "classes_", None)
    if classes is None:
        return np.ones(len(y_held_out), dtype=bool)
    return np.isin(y_held_out, classes)


def _representatives(X, y):
    """Per class (or for all rows when ``y`` is None), the row nearest the centroid.

    The centroid is the one-cluster KMeans solution; returns row indices of X,
    ordered by class.
    """
    groups = (
        [np.arange(len(X))]
        if y is None
        else [np.flatnonzero(y == c) for c in np.unique(y)]
    )
    out = []
    for rows in groups:
        Xg = X[rows]
        d2 = ((Xg - Xg.mean(axis=0)) ** 2).sum(axis=1)
        out.append(rows[np.argmin(d2)])
    return np.asarray(out, dtype=np.intp)
