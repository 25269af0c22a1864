"""Reader for SGDClassifier and SGDRegressor with smooth losses, L2 or no penalty.

An L1 part (``penalty='l1'`` or ``'elasticnet'`` with ``l1_ratio > 0``) is read
on the active set by :class:`~skinfluence.models.SGDElasticNetAdapter`, which
shares this module's reading of the loss and the row weights.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import SGDClassifier

from ._classes import encode_labels_or_values, resolved_class_weight
from .adapter import REFIT_MIN_ITER, LinearModelAdapter
from .losses import BinomialLoss, SquaredLoss
from .margin_losses import (
    HuberLoss,
    LogisticMarginLoss,
    ModifiedHuberLoss,
    OneVsRestLoss,
    SquaredEpsilonInsensitiveLoss,
    SquaredHingeLoss,
)

__all__ = ["SGDAdapter", "SGD_LOSSES", "check_sgd_model", "sgd_l1_ratio"]

#: Supported ``loss`` -> (loss object factory, factor ``f`` of the objective).
#: ``f`` turns scikit-learn's row loss into the loss object's (``f = 2`` where
#: scikit-learn halves the squared error).
SGD_LOSSES = {
    "log_loss": (lambda est: BinomialLoss(), 1.0),
    "modified_huber": (lambda est: ModifiedHuberLoss(), 1.0),
    "squared_hinge": (lambda est: SquaredHingeLoss(), 1.0),
    "squared_error": (lambda est: SquaredLoss(), 2.0),
    "huber": (lambda est: HuberLoss(est.epsilon), 2.0),
    "squared_epsilon_insensitive": (
        lambda est: SquaredEpsilonInsensitiveLoss(est.epsilon), 1.0),
}


CLASSIFIER_LOSSES = ("log_loss", "modified_huber", "squared_hinge")
REGRESSOR_LOSSES = ("squared_error", "huber", "squared_epsilon_insensitive")


def sgd_l1_ratio(estimator):
    """The L1 share ``rho`` of SGD's penalty: 0 (``'l2'``, None), 1 (``'l1'``), or
    ``l1_ratio`` (``'elasticnet'``), as scikit-learn's ``_sgd_fast`` reads it.

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor

    Returns
    -------
    float

    Examples
    --------
    >>> from sklearn.linear_model import SGDRegressor
    >>> from skinfluence.models import sgd_l1_ratio
    >>> sgd_l1_ratio(SGDRegressor(penalty="elasticnet", l1_ratio=0.3))
    0.3
    >>> sgd_l1_ratio(SGDRegressor(penalty="l2", l1_ratio=0.3))
    0.0
    """
    if estimator.penalty == "l1":
        return 1.0
    if estimator.penalty == "elasticnet":
        return float(estimator.l1_ratio)
    return 0.0


def check_sgd_model(estimator):
    """Refuse what neither SGD reader can differentiate, naming what they can.

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor

    Raises
    ------
    ValueError
        For a loss without a second derivative, a regression loss in
        SGDClassifier, or ``early_stopping=True``.

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> from skinfluence.models import check_sgd_model
    >>> check_sgd_model(SGDClassifier(loss="log_loss"))  # supported: no error
    """
    name = type(estimator).__name__
    supported = CLASSIFIER_LOSSES if isinstance(estimator, SGDClassifier) else (
        REGRESSOR_LOSSES)
    if estimator.loss not in SGD_LOSSES:
        raise ValueError(
            f"{name}(loss={estimator.loss!r}) has no second derivative (a kink where "
            f"rows sit), so influence functions do not apply. Supported losses: "
            f"{', '.join(supported)}."
        )
    if estimator.loss not in supported:  # SGDClassifier with a regression loss
        raise ValueError(
            f"{name}(loss={estimator.loss!r}) is not supported: a regression loss on "
            f"the classifier's one-vs-rest +-1 codes. Supported losses: "
            f"{', '.join(supported)}."
        )
    if estimator.early_stopping:
        raise ValueError(
            f"{name}(early_stopping=True) fits on a random part of the rows only; "
            "its objective is not over the rows given. Use early_stopping=False."
        )


class SGDAdapter(LinearModelAdapter):
    r"""Reader for SGDClassifier and SGDRegressor, smooth losses, L2 or no penalty.

    SGD estimates the minimiser of the *mean-form* objective (``n`` rows,
    ``L`` scikit-learn's row loss, ``c`` the row weight)::

        1/n sum_i c L(y_i, z_i) + alpha/2 ||w||^2        (intercept unpenalised)

    Its penalty step ``w *= 1 - eta alpha`` does not depend on the row's weight,
    so the normaliser is the row count ``n``, not the weight sum. With the
    loss object ``loss = f L`` (``f = 2`` for ``squared_error`` and ``huber``,
    whose scikit-learn losses carry a 1/2; see :data:`SGD_LOSSES`), ``f n``
    times it is the sum form::

        F = sum_i c loss_i + 1/2 (f n alpha) ||w||^2

    so ``lambda = f n alpha`` and removing a row removes ``c loss_j`` and
    ``f alpha / 2 ||w||^2``: ``penalty_share = f alpha / c`` per unit weight.
    That share is the same for every row only when every row has the same
    weight, so non-uniform ``sample_weight`` or ``class_weight`` is refused.

    The explained parameters are SGD's ``coef_`` and ``intercept_``; how far
    they are from the optimum is what the explainer's stationarity check
    reports (``relative_gradient_norm_``). Fit with a small ``tol`` and many
    iterations (or ``average=True``) for influences that match the optimum.

    Multiclass SGDClassifier is one-vs-rest: ``K = n_classes`` binary
    objectives of that form, each with its own ``coef_`` row, summed
    (:class:`~skinfluence.models.OneVsRestLoss`); their parameters do not couple,
    so the sum's minimiser is every class's.

    A model with an L1 part is read on its active set by
    :class:`~skinfluence.models.SGDElasticNetAdapter` (:func:`make_adapter`
    picks the reader).

    Conventions: ``K = 1`` except one-vs-rest. Classifiers: ``Y`` holds indices
    into ``classes_``; binary ``z`` is the decision value of ``classes_[1]``;
    ``target="prediction"`` is the decision value of ``y``'s class;
    ``target="proba"`` is available for binary ``log_loss`` only
    (``modified_huber``'s ``predict_proba`` is not its loss's link, and the
    one-vs-rest probabilities are normalised across classes). Regressors:
    ``Y`` is floats of shape ``(n, 1)``.
    ``loss`` at a test point is the loss object's (e.g. the log-loss, the
    squared error with no 1/2, twice the Huber loss).

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    alpha : float
        The estimator's ``alpha`` (0 when ``penalty=None``).
    loss_factor : float
        ``f`` above.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sklearn.preprocessing import scale
    >>> from skinfluence.models import SGDAdapter
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> est = SGDClassifier(loss="log_loss", alpha=0.01, random_state=0)
    >>> adapter = SGDAdapter(est.fit(scale(X), y), y, None)
    >>> round(float(adapter.l2_strength[0]), 2), adapter.penalty_share
    (5.69, 0.01)
    >>> adapter.has_proba
    True
    """

    def __init__(self, estimator, y, sample_weight):
        check_sgd_model(estimator)
        if sgd_l1_ratio(estimator) > 0:
            raise ValueError(
                f"{type(estimator).__name__}(penalty={estimator.penalty!r}, "
                f"l1_ratio={estimator.l1_ratio}) has an L1 part: it is read on its "
                "active set by SGDElasticNetAdapter (make_adapter picks it). "
                "SGDAdapter reads penalty='l2' or None."
            )
        loss = self.read_loss(estimator)
        n = len(y)
        super().__init__(
            estimator, loss, fit_intercept=estimator.fit_intercept,
            l2_strength=self.loss_factor * n * self.alpha, classes=self.classes,
        )
        c = self.uniform_row_weight(y, sample_weight)
        self.penalty_share = float(self.loss_factor * self.alpha / c)

    def read_loss(self, estimator):
        """The loss object; sets ``loss_factor``, ``alpha``, ``classes`` and the flags.

        The flags are ``is_classifier`` and ``has_proba``.

        Parameters
        ----------
        estimator : SGDClassifier or SGDRegressor, fitted

        Returns
        -------
        LinearLoss
            The loss object (:class:`~skinfluence.models.OneVsRestLoss` for a
            multiclass classifier).
        """
        make_loss, self.loss_factor = SGD_LOSSES[estimator.loss]
        self.alpha = 0.0 if estimator.penalty is None else float(estimator.alpha)
        self.is_classifier = isinstance(estimator, SGDClassifier)
        self.has_proba = estimator.loss == "log_loss"
        self.classes = np.asarray(estimator.classes_) if self.is_classifier else None
        loss = make_loss(estimator)
        if self.is_classifier and len(self.classes) > 2:  # one-vs-rest, K objectives
            self.has_proba = False
            binary = LogisticMarginLoss() if estimator.loss == "log_loss" else loss
            loss = OneVsRestLoss(binary, len(self.classes))
        return loss

    def uniform_row_weight(self, y, sample_weight):
        """Set ``class_weight``; the rows' common weight ``c`` (else refuse).

        Parameters
        ----------
        y : array-like of shape (n_samples,)
        sample_weight : ndarray of shape (n_samples,) or None

        Returns
        -------
        float
            ``c``, the weight of every row (1.0 without rows).

        Raises
        ------
        ValueError
            When the rows' weights (sample_weight x class_weight) differ.
        """
        n = len(y)
        sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        c = sw
        if self.is_classifier:
            self.class_weight = resolved_class_weight(
                self.estimator.class_weight, self.classes, self.encode_target(y), sw,
                with_sample_weight=False,
            )
            c = self.row_weights(self.encode_target(y), sw)
        if n and np.ptp(c) > 1e-12 * np.abs(c).max():
            raise ValueError(
                f"{type(self.estimator).__name__} with non-uniform sample_weight or "
                "class_weight is not supported: its penalty is shared per row, not "
                "per unit of weight. Fit without weights (or with equal weights)."
            )
        return float(c[0]) if n else 1.0

    def encode_target(self, y):
        """Class indices (classifier) or floats of shape ``(n, 1)`` (regressor).

        Parameters
        ----------
        y : array-like of shape (n_samples,)

        Returns
        -------
        ndarray
        """
        classes = self.classes if self.is_classifier else None
        return encode_labels_or_values(y, classes, type(self.estimator).__name__)

    def decision_weights(self, Y):
        """``+-1`` for the class of ``y`` (binary), its one-hot (one-vs-rest), or ones.

        Parameters
        ----------
        Y : ndarray, the encoded target

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        if self.is_classifier and self.n_outputs > 1:
            return np.eye(self.n_outputs)[np.asarray(Y)]
        if self.is_classifier:
            return np.where(np.asarray(Y) == 1, 1.0, -1.0)[:, None]
        return np.ones((len(Y), 1))

    def proba(self, Z):
        """``predict_proba`` of a ``log_loss`` model at linear predictor ``Z``.

        Parameters
        ----------
        Z : ndarray of shape (..., 1)

        Returns
        -------
        ndarray of shape (..., 2)
        """
        if not self.has_proba:
            raise ValueError(
                f"{type(self.estimator).__name__}(loss={self.estimator.loss!r}) has "
                "no probability of its loss: target='proba' needs loss='log_loss'."
            )
        return BinomialLoss().inverse_link(Z)

    def refit_estimator(self):
        """A clone; 'balanced' class weights frozen at the full-data weights.

        Returns
        -------
        SGDClassifier or SGDRegressor
        """
        est = clone(self.estimator)
        if self.is_classifier and isinstance(est.class_weight, str):
            est.set_params(class_weight=dict(zip(self.classes.tolist(),
                                                 self.class_weight.tolist())))
        return est

    def refit(self, X, y, sample_weight=None):
        """A clone fitted on ``X, y`` for every epoch: ``tol=None``, many epochs.

        SGD's own stopping rule (``tol``) halts at a point whose noise is of the
        order of one row's effect, so the refit runs ``max(max_iter,``
        :data:`~skinfluence.models.adapter.REFIT_MIN_ITER` ``)`` epochs without
        it. Even so it is an estimate of the optimum (measured in
        ``docs/accuracy.md``), not the optimum itself.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        SGDClassifier or SGDRegressor
            The fitted clone.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import SGDRegressor
        >>> from sklearn.preprocessing import scale
        >>> from skinfluence.models import make_adapter
        >>> X, y = load_diabetes(return_X_y=True); X, y = scale(X)[:100], scale(y)[:100]
        >>> adapter = make_adapter(SGDRegressor(alpha=0.1).fit(X, y), y, None)
        >>> adapter.refit(X[1:], y[1:]).n_iter_
        10000
        """
        est = self.refit_estimator().set_params(
            tol=None, max_iter=max(self.estimator.max_iter, REFIT_MIN_ITER)
        )
        if self.classes is not None:
            missing = np.setdiff1d(self.classes, np.unique(np.asarray(y)))
            if missing.size:
                raise ValueError(
                    f"Removing this population leaves no row of class(es) "
                    f"{missing.tolist()}; the refitted model would have other classes."
                )
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return est.fit(X, y, **kwargs)
