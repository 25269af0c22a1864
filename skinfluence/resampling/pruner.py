"""InfluencePruner: drop the training rows that hurt the model.

Default (``reference="leave_one_out"``, ``rule="auto"``): each row is judged by
the model fitted on all the other rows (one fit and a Newton step per row,
:mod:`skinfluence.resampling.leave_one_out`); for class targets a row goes when
its label is doubtful and its removal lowers the expected held-out loss under
the likely labels, for a continuous target the leave-one-out residuals beyond
Tukey's far-out fence go.
The paper's §5.4 k-fold rules (:mod:`skinfluence.resampling.fold_scores`) stay
available through ``reference``, ``rule`` and ``fraction``.
"""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..explainer import InfluenceExplainer
from .base import BaseRowSampler
from .fold_scores import fold_influence_scores
from .leave_one_out import (
    expected_loss_influence,
    harmful_label_issues,
    label_posterior,
    leave_one_out_decision,
    log_probabilities,
    residual_fence,
)
from .scorer import check_scorer

__all__ = ["InfluencePruner"]

#: The confident joint and the posterior of the true class are computed on the
#: leave-one-out log-probabilities times this factor (renormalised: decision
#: values doubled). The default scorer's
#: penalty (C=0.1) pulls its probabilities towards uniform, so at factor 1 the
#: joint undercounts the flipped rows (breast_cancer, 10% flipped: 20 counted
#: of 27; digits 69 of 91). Factor 2 against 1, on splits 20-29 of
#: benchmarks/bench_label_noise.py (not the reported 0-19): recall of flipped
#: rows at 10-20% noise from 0.05-0.09 below cleanlab's to within 0.01-0.03,
#: precision still 0.12 above it, accuracy gain above cleanlab's on 5-6 of 7
#: data sets (was 2-6), clean data -0.13 pt (was -0.05). With the posterior
#: rule (splits 20-39, fair, anes96, breast_cancer at 0-20% noise), factor 1
#: lowered recall by 0.06-0.29 and the accuracy gain in 13 of 15 cells.
COUNT_SHARPNESS = 2.0

_RULES = ("auto", "all_positive", "sum_positive", "not_all_negative")
#: ``removal_reason_`` codes of the rules.
REASONS = {
    "all_positive": "not_all_positive",
    "sum_positive": "sum_not_positive",
    "not_all_negative": "all_negative",
}


class InfluencePruner(BaseRowSampler):
    """Remove the training rows that hurt the model: mislabelled or aberrant ones.

    By default each row is judged by the model fitted on all the *other* rows
    (:class:`InfluenceExplainer` with ``method="newton"``: exact leave-one-out
    for squared loss, Pregibon's one-step for logistic regression; one fit in
    all). For class targets:

    1. the confident joint (Northcutt et al., 2021; per-class thresholds at
       each class's mean leave-one-out confidence) estimates the label noise
       ``P(given | true)``, and Bayes' rule with it gives each row's
       probability of each true class given its label and the leave-one-out
       probabilities (the decision values doubled, ``COUNT_SHARPNESS``, which
       offsets the default scorer's strong penalty);
    2. under those likely labels, the leave-one-out log-loss of the training
       rows estimates the held-out loss, and each row's first-order influence
       on it (one solve) says whether removing the row would lower it;
    3. a row goes when it would, its label is at most twice as likely right
       as wrong (``MAX_LABEL_ODDS``), and the model fitted without it predicts
       another class; no class loses more rows than its expected number of
       wrong labels, nor more than half.

    The number removed is thus estimated from the data (near zero on clean
    labels). For a
    continuous target, rows whose leave-one-out residual lies beyond Tukey's
    far-out fence ``[Q1 - 3 IQR, Q3 + 3 IQR]`` go.

    The paper's §5.4 pruning is ``reference="representative"`` or
    ``"validation"``: in each of ``cv`` folds every training row is scored by
    its first-order influence on held-out reference points (positive = helps),
    and ``rule`` reads each row's scores.

    Read more in ``docs/pruning.md``, which records the benchmark behind the
    defaults (``benchmarks/bench_label_noise.py``: 7 data sets, label noise
    from 0 to 30%, against cleanlab and against keeping every row) and a check
    on 12 generated data sets no default was chosen on (level with cleanlab
    there; a scorer whose ``C`` is chosen by cross-validation does better).

    Parameters
    ----------
    estimator : estimator, default=None
        The model that scores rows: any model :class:`InfluenceExplainer`
        supports (or a Pipeline ending in one); cloned. With
        ``reference="leave_one_out"`` and class targets it needs the
        ``predict_proba`` of a logistic loss (LogisticRegression(CV), binary
        ``SGDClassifier(loss="log_loss")``). ``None``: a Pipeline of
        ``StandardScaler(with_mean=False)`` and ``LogisticRegression(C=0.1,
        tol=1e-6, max_iter=1000)`` for class targets, the same scaling and
        ``Ridge()`` for continuous ones (see
        :mod:`skinfluence.resampling.scorer`).
    cv : int, cross-validation generator or iterable, default=3
        Folds of the paper's references (an int means stratified folds for
        class targets, plain ``KFold`` otherwise, both unshuffled). Not used by
        ``reference="leave_one_out"``.
    reference : {"leave_one_out", "representative", "validation"}, \
            default="leave_one_out"
        What a row is judged against.

        - ``"leave_one_out"``: the row itself, as predicted by the model fitted
          without it. One score per row: for class targets the log-odds margin
          ``log p_{-j}(y_j) - max_{k != y_j} log p_{-j}(k)`` (negative: the
          model that never saw the row prefers another label); for continuous
          targets the distance of the leave-one-out residual inside the
          far-out fence, in IQRs (negative: beyond it).
        - ``"representative"``: per class, the held-out row nearest its class
          centroid (the paper's one-cluster KMeans); for a continuous target,
          the held-out row nearest the fold's centroid. One score per row,
          fold and class.
        - ``"validation"``: the mean loss over the whole held-out fold (one
          linear solve per fold, :meth:`InfluenceExplainer.mean_influence`).
    rule : {"auto", "not_all_negative", "sum_positive", "all_positive"}, \
            default="auto"
        How a row's scores decide (a row's missing scores, NaN, are ignored):

        - ``"auto"``: with ``"leave_one_out"``, the expected-loss rule (class
          targets) or the far-out fence (continuous targets), as above; with
          the paper's references, ``"not_all_negative"``.
        - ``"not_all_negative"``: remove a row when every score is negative.
        - ``"sum_positive"``: remove a row unless its scores sum to > 0.
        - ``"all_positive"``: remove a row unless every score is > 0.
    fraction : float in [0, 1) or None, default=None
        When set, replaces ``rule``: remove ``floor(fraction * n_samples)`` rows,
        the lowest by mean score (ties: the earlier row goes first). Meant for
        tuning the amount of pruning with ``GridSearchCV``.

    Attributes
    ----------
    scores_ : ndarray of shape (n_samples, n_scores)
        ``"leave_one_out"``: one column, as described under ``reference``.
        Otherwise the influence of each row on each reference point, column
        ``fold * n_references + r``, NaN where the row got no score (it was in
        that fold's held-out part, or the reference did not exist).
    removal_reason_ : ndarray of shape (n_samples,) of str
        Why each row was removed, ``""`` for the rows kept:
        ``"harmful_label"`` and ``"residual_fence"`` (``rule="auto"`` with
        ``"leave_one_out"``), ``"all_negative"``, ``"sum_not_positive"``,
        ``"not_all_positive"`` (the paper's rules), ``"fraction"``.
    predictions_ : ndarray of shape (n_samples, n_classes) or (n_samples,)
        ``"leave_one_out"`` only: each row's class probabilities (columns in
        the order of ``classes_``) or prediction by the model fitted without it.
    classes_ : ndarray of shape (n_classes,)
        ``"leave_one_out"`` with class targets only: the scorer's classes.
    sample_indices_ : ndarray of shape (n_kept,)
        The rows kept, in increasing order.
    removed_indices_ : ndarray of shape (n_removed,)
        The rows removed, in increasing order.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    See Also
    --------
    skinfluence.find_label_issues : the flagged rows as a ranked table.
    skinfluence.pipeline.Pipeline : a pipeline whose steps may drop rows
        (scikit-learn's own cannot hold this step).
    skinfluence.InfluencePrunedEstimator : prune, then fit; works inside
        scikit-learn's Pipeline and with ``sample_weight``.

    Notes
    -----
    The pruner never removes every row of a class, nor every row: it keeps the
    group's least harmful row back and warns with :class:`InfluenceWarning`.
    Rows are scored with the weights given to :meth:`fit` (``sample_weight``) in
    the scoring model's objective.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skinfluence import InfluencePruner
    >>> from skinfluence.pipeline import make_pipeline
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> flipped = np.random.RandomState(0).rand(len(y)) < 0.1
    >>> y_noisy = np.where(flipped, 1 - y, y)
    >>> model = make_pipeline(StandardScaler(), InfluencePruner(),
    ...                       LogisticRegression()).fit(X, y_noisy)
    >>> pruner = model[1]
    >>> removed = pruner.removed_indices_
    >>> bool(flipped[removed].mean() > 0.7)  # most removed rows were flipped
    True
    >>> sorted(set(pruner.removal_reason_[removed].tolist()))
    ['harmful_label']
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "cv": ["cv_object"],
        "reference": [StrOptions({"leave_one_out", "validation", "representative"})],
        "rule": [StrOptions(set(_RULES))],
        "fraction": [Interval(numbers.Real, 0, 1, closed="left"), None],
    }

    def __init__(
        self,
        estimator=None,
        cv=3,
        reference="leave_one_out",
        rule="auto",
        fraction=None,
    ):
        self.estimator = estimator
        self.cv = cv
        self.reference = reference
        self.rule = rule
        self.fraction = fraction

    def fit(self, X, y, sample_weight=None):
        """Score the rows and decide which to remove.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Sparse X (CSR) with ``reference="leave_one_out"`` or the paper's
            references.
        y : array-like of shape (n_samples,)
            Class labels or a continuous target.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the scoring model's objective.

        Returns
        -------
        self
            With ``scores_``, ``removal_reason_`` and ``sample_indices_`` set.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_wine
        >>> from skinfluence import InfluencePruner
        >>> X, y = load_wine(return_X_y=True)
        >>> y_noisy = y.copy()
        >>> y_noisy[[0, 75, 150]] = [1, 2, 0]  # classes 0, 1, 2 relabelled
        >>> pruner = InfluencePruner().fit(X, y_noisy)
        >>> pruner.removed_indices_.tolist()
        [0, 75, 150]
        >>> pruner.predictions_[[0, 75, 150]].argmax(axis=1).tolist()
        [0, 1, 2]
        """
        super().fit(X, y, sample_weight=sample_weight)
        kept = np.zeros(len(self._reasons), dtype=bool)
        kept[self.sample_indices_] = True
        self.removal_reason_ = np.where(kept, "", self._reasons)
        del self._reasons
        return self

    def _fit(self, X, y, sw):
        for stale in ("predictions_", "classes_"):
            self.__dict__.pop(stale, None)
        scorer = check_scorer(self.estimator, self._is_classification, y)
        if self.reference == "leave_one_out":
            scores, flagged, auto_reason = self._leave_one_out(scorer, X, y, sw)
        else:
            cv = check_cv(self.cv, y, classifier=self._is_classification)
            folds = list(cv.split(X, y))
            scores = fold_influence_scores(
                scorer, X, y, sw, folds, self.reference, self._is_classification
            )
            flagged, auto_reason = None, None
        self.scores_ = scores
        return self._decide(scores, flagged, auto_reason)

    def _leave_one_out(self, scorer, X, y, sw):
        """Scores, the "auto" rule's flags and its reason code."""
        # the default scorer is built afresh (and the explainer clones an
        # unfitted model): only a user's model, maybe fitted, needs a clone here
        model = scorer if self.estimator is None else clone(scorer)
        explainer = InfluenceExplainer(model, method="newton").fit(
            X, y, sample_weight=sw
        )
        decision = leave_one_out_decision(explainer, X)
        if not self._is_classification:  # predict() is the mean: GLMs' inverse link
            self.predictions_ = explainer.adapter_.prediction(decision[:, 0])
            score = residual_fence(y - self.predictions_)
            return score[:, None], score < 0, "residual_fence"
        model = explainer.estimator_
        if not explainer.adapter_.has_proba:  # probabilities = the loss's link
            raise ValueError(
                "reference='leave_one_out' judges class labels by probabilities: the "
                "scoring model needs predict_proba of a logistic loss "
                "(LogisticRegression, LogisticRegressionCV, binary "
                f"SGDClassifier(loss='log_loss')); got {model!r}. Pass one, or use "
                "reference='representative' or 'validation'."
            )
        self.classes_ = model.classes_
        log_p = log_probabilities(decision)
        labels = np.searchsorted(self.classes_, y)
        own = log_p[np.arange(len(y)), labels]
        others = log_p.copy()
        others[np.arange(len(y)), labels] = -np.inf
        self.predictions_ = np.exp(log_p)
        posterior = label_posterior(
            np.exp(log_probabilities(COUNT_SHARPNESS * decision)), labels
        )
        harm = expected_loss_influence(explainer, self.predictions_, posterior, sw)
        flagged = harmful_label_issues(harm, posterior, labels,
                                       predicted=log_p.argmax(axis=1))
        return (own - others.max(axis=1))[:, None], flagged, "harmful_label"

    def _decide(self, scores, flagged, auto_reason):
        """Rows to remove and a harm score (minus the mean score) for each row."""
        has_score = ~np.all(np.isnan(scores), axis=1)
        mean = np.zeros(len(scores))
        mean[has_score] = np.nanmean(scores[has_score], axis=1)
        harm = -mean
        if self.fraction is not None:
            n_remove = int(np.floor(self.fraction * len(scores)))
            remove = np.zeros(len(scores), dtype=bool)
            remove[np.argsort(-harm, kind="stable")[:n_remove]] = True
            self._reasons = np.where(remove, "fraction", "")
            return remove, harm
        rule = self.rule
        if rule == "auto" and flagged is not None:
            self._reasons = np.where(flagged, auto_reason, "")
            return flagged, harm
        if rule == "auto":
            rule = "not_all_negative"
        with np.errstate(invalid="ignore"):
            if rule == "not_all_negative":
                remove = np.all((scores < 0) | np.isnan(scores), axis=1)
            elif rule == "sum_positive":
                remove = np.nansum(scores, axis=1) <= 0
            else:  # all_positive
                remove = np.any(scores <= 0, axis=1)
        remove &= has_score
        self._reasons = np.where(remove, REASONS[rule], "")
        return remove, harm
