"""Reader for binary LinearSVC (squared hinge) and LinearSVR (squared eps.-insensitive).

liblinear penalises the intercept: it fits ``w~ = [w, w_b]`` on the rows
``[x, intercept_scaling]``, so ``intercept_ = intercept_scaling * w_b`` and the
penalty ``1/2 ||w~||^2`` holds ``1/2 (intercept_ / intercept_scaling)^2``. The
reader keeps the public parameters ``(coef_, intercept_)`` and states that term
in :meth:`LinearSVMAdapter.penalty_diagonal`.
"""

import numpy as np
from sklearn.base import clone
from sklearn.svm import LinearSVC

from ._classes import encode_labels_or_values, resolved_class_weight
from .adapter import LinearModelAdapter
from .margin_losses import SquaredEpsilonInsensitiveLoss, SquaredHingeLoss

__all__ = ["LinearSVMAdapter"]


def _check_supported(estimator):
    """Refuse what the reader cannot differentiate, naming what it can."""
    name = type(estimator).__name__
    if getattr(estimator, "multi_class", "ovr") != "ovr":  # binary too: its own loss
        raise ValueError(
            f"{name}(multi_class={estimator.multi_class!r}) minimises the "
            "Crammer-Singer objective, not the squared hinge; supported: "
            "multi_class='ovr' with two classes."
        )
    smooth = "squared_hinge" if isinstance(estimator, LinearSVC) else (
        "squared_epsilon_insensitive")
    if estimator.loss != smooth:
        raise ValueError(
            f"{name}(loss={estimator.loss!r}) has no second derivative (a kink where "
            f"the support vectors sit), so influence functions do not apply. "
            f"Supported: loss={smooth!r}."
        )
    if getattr(estimator, "penalty", "l2") != "l2":
        raise ValueError(
            f"{name}(penalty={estimator.penalty!r}) has an L1 part; supported: "
            "penalty='l2'."
        )
    if isinstance(estimator, LinearSVC) and len(estimator.classes_) > 2:
        raise ValueError(
            f"{name} with {len(estimator.classes_)} classes fits one-vs-rest (or "
            "Crammer-Singer) models; only binary LinearSVC is supported."
        )


class LinearSVMAdapter(LinearModelAdapter):
    r"""Reader for binary LinearSVC (squared hinge) and LinearSVR (squared eps-ins.).

    liblinear's objective, sum form (``c_i`` = sample_weight x class_weight,
    ``s = intercept_scaling``, ``b = intercept_``)::

        F = sum_i c_i loss(y_i, z_i) + 1/(2C) (||w||^2 + b^2 / s^2)

    with ``loss`` the :class:`~skinfluence.models.SquaredHingeLoss` (``z`` the
    decision value of ``classes_[1]``) or the
    :class:`~skinfluence.models.SquaredEpsilonInsensitiveLoss`. ``lambda =
    1/C``; unlike every other reader the intercept is penalised, by
    ``1/(C s^2)`` (see :meth:`penalty_diagonal`). The losses are once
    differentiable: rows on the flat side (outside the margin, inside the
    tube) have zero gradient and curvature, so removing one of them changes
    nothing, as the refit confirms.

    Parameters
    ----------
    estimator : LinearSVC or LinearSVR, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    C : float
    intercept_scaling : float

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklearn.svm import LinearSVC
    >>> from skinfluence.models import LinearSVMAdapter
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> adapter = LinearSVMAdapter(LinearSVC(C=0.5).fit(scale(X), y), y, None)
    >>> adapter.penalty_diagonal()[[0, -1]]
    array([2., 2.])
    """

    def __init__(self, estimator, y, sample_weight):
        _check_supported(estimator)
        self.C = float(estimator.C)
        self.intercept_scaling = float(estimator.intercept_scaling)
        self.is_classifier = isinstance(estimator, LinearSVC)
        if self.is_classifier:
            loss, classes = SquaredHingeLoss(), np.asarray(estimator.classes_)
        else:
            loss, classes = SquaredEpsilonInsensitiveLoss(estimator.epsilon), None
        super().__init__(estimator, loss, fit_intercept=estimator.fit_intercept,
                         l2_strength=1.0 / self.C, classes=classes)
        if self.is_classifier:
            sw = np.ones(len(y)) if sample_weight is None else sample_weight
            self.class_weight = resolved_class_weight(
                estimator.class_weight, classes, self.encode_target(y), sw,
                with_sample_weight=True,  # liblinear: weighted counts
            )

    def penalty_diagonal(self):
        """``1/C`` on ``coef_``, ``1/(C intercept_scaling^2)`` on ``intercept_``.

        Returns
        -------
        ndarray of shape (n_params,)
        """
        diag = super().penalty_diagonal()
        if self.fit_intercept:
            diag[-1] = 1.0 / (self.C * self.intercept_scaling**2)
        return diag

    def encode_target(self, y):
        """Class indices (LinearSVC) or floats of shape ``(n, 1)`` (LinearSVR).

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
        """``+-1`` for the class of ``y`` (LinearSVC), ones (LinearSVR).

        Parameters
        ----------
        Y : ndarray, the encoded target

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        if self.is_classifier:
            return np.where(np.asarray(Y) == 1, 1.0, -1.0)[:, None]
        return np.ones((len(Y), 1))

    def refit_estimator(self):
        """A clone; 'balanced' class weights frozen at the full-data weights.

        Returns
        -------
        LinearSVC or LinearSVR
        """
        est = clone(self.estimator)
        if self.is_classifier and isinstance(est.class_weight, str):
            est.set_params(class_weight=dict(zip(self.classes.tolist(),
                                                 self.class_weight.tolist())))
        return est
