r"""Piecewise-quadratic losses of SGDClassifier and SGDRegressor.

Each is once continuously differentiable with a second derivative that jumps at
one or two kinks (:attr:`~skinfluence.models.LinearLoss.kinks`, in the margin or
residual of :meth:`~skinfluence.models.LinearLoss.kink_coordinate`); influence
uses the second derivative of the side a row lies on (rows exactly at a kink have
measure zero for continuous features), and ``method="newton"`` follows the rows
a removal moves across a kink (:mod:`skinfluence.influence.kinks`). ``K = 1``
output.

Classification (``y`` in {0, 1} encodes ``s = 2y - 1``, margin ``m = s z``),
as scikit-learn's ``_sgd_fast`` writes them::

    modified_huber:  (1 - m)^2 on -1 <= m < 1,  -4 m below -1,  0 above 1
    squared_hinge:   max(0, 1 - m)^2

Regression (``r = z - y``), in the convention of
:class:`~skinfluence.models.SquaredLoss` (squared error with no factor 1/2)::

    huber:                        r^2 on |r| <= eps,  2 eps |r| - eps^2 beyond
                                  (twice scikit-learn's ``CyHuberLoss``)
    squared_epsilon_insensitive:  max(0, |r| - eps)^2  (scikit-learn's own)
"""

import numpy as np
from scipy.special import expit

from .losses import LinearLoss

__all__ = ["ModifiedHuberLoss", "SquaredHingeLoss", "LogisticMarginLoss",
           "OneVsRestLoss", "HuberLoss", "SquaredEpsilonInsensitiveLoss"]


class _MarginLoss(LinearLoss):
    """A binary loss of the margin ``m = (2y - 1) z``; the prediction is ``z``."""

    def margin_terms(self, m):
        """Loss, ``d/dm`` and ``d2/dm2`` at margins ``m`` (elementwise)."""
        raise NotImplementedError

    def kink_coordinate(self, Z, Y):
        return (2.0 * np.asarray(Y, dtype=np.float64) - 1.0)[..., None] * Z

    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        s = 2.0 * np.asarray(Y, dtype=np.float64) - 1.0
        loss, dm, d2m = self.margin_terms(s * Z[..., 0])
        dZ = (s * dm)[..., None] if gradient else None
        D = d2m[..., None] if curvature else None  # s^2 = 1
        return loss, dZ, D

    def inverse_link(self, Z):
        return np.asarray(Z, dtype=np.float64)


class ModifiedHuberLoss(_MarginLoss):
    """SGDClassifier's ``modified_huber`` loss of the margin ``m``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import ModifiedHuberLoss
    >>> loss, dz, d2z = ModifiedHuberLoss().loss_terms(
    ...     np.array([[0.5], [-2.0]]), np.array([1, 1]), gradient=True, curvature=True)
    >>> loss.tolist(), dz.ravel().tolist(), d2z.ravel().tolist()
    ([0.25, 8.0], [-1.0, -4.0], [2.0, 0.0])
    """

    kinks = (-1.0, 1.0)

    def margin_terms(self, m):
        quad = (m >= -1.0) & (m < 1.0)
        loss = np.where(m >= 1.0, 0.0, np.where(quad, (1.0 - m) ** 2, -4.0 * m))
        dm = np.where(m >= 1.0, 0.0, np.where(quad, -2.0 * (1.0 - m), -4.0))
        return loss, dm, np.where(quad, 2.0, 0.0)


class SquaredHingeLoss(_MarginLoss):
    """SGDClassifier's ``squared_hinge`` loss: ``max(0, 1 - m)^2``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import SquaredHingeLoss
    >>> loss, dz, d2z = SquaredHingeLoss().loss_terms(
    ...     np.array([[0.5], [2.0]]), np.array([0, 1]), gradient=True, curvature=True)
    >>> loss.tolist(), dz.ravel().tolist(), d2z.ravel().tolist()
    ([2.25, 0.0], [3.0, 0.0], [2.0, 0.0])
    """

    kinks = (1.0,)

    def margin_terms(self, m):
        active = m < 1.0
        loss = np.where(active, (1.0 - m) ** 2, 0.0)
        return loss, np.where(active, -2.0 * (1.0 - m), 0.0), np.where(active, 2.0, 0.0)


class LogisticMarginLoss(_MarginLoss):
    """The log-loss as a function of the margin: ``log(1 + exp(-m))``.

    The same values as :class:`~skinfluence.models.BinomialLoss`; used per
    class by :class:`OneVsRestLoss`.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import LogisticMarginLoss
    >>> loss, dz, d2z = LogisticMarginLoss().loss_terms(
    ...     np.zeros((1, 1)), np.array([1]), gradient=True, curvature=True)
    >>> float(loss[0]), float(dz[0, 0]), float(d2z[0, 0])
    (0.6931471805599453, -0.5, 0.25)
    """

    def margin_terms(self, m):
        p = expit(-m)
        return np.logaddexp(0.0, -m), -p, p * (1.0 - p)


class OneVsRestLoss(LinearLoss):
    """``K`` independent binary losses, class ``k`` against the rest.

    ``loss = sum_k L(s_k z_k)`` with ``s_k = +1`` for the row's class and ``-1``
    otherwise: scikit-learn's one-vs-rest SGDClassifier. Outputs do not couple.

    Parameters
    ----------
    binary : LogisticMarginLoss, ModifiedHuberLoss or SquaredHingeLoss
    n_classes : int

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import OneVsRestLoss, SquaredHingeLoss
    >>> loss, dz, _ = OneVsRestLoss(SquaredHingeLoss(), 3).loss_terms(
    ...     np.zeros((1, 3)), np.array([2]), gradient=True)
    >>> float(loss[0]), dz.tolist()
    (3.0, [[2.0, 2.0, -2.0]])
    """

    def __init__(self, binary, n_classes):
        super().__init__(n_classes)
        self.binary = binary
        self.kinks = binary.kinks

    def kink_coordinate(self, Z, Y):
        s = -np.ones(Z.shape)
        np.put_along_axis(s, np.asarray(Y)[..., None], 1.0, axis=-1)
        return s * Z

    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        s = self.kink_coordinate(np.ones(Z.shape), Y)
        loss, dm, d2m = self.binary.margin_terms(s * Z)
        return (loss.sum(axis=-1), s * dm if gradient else None,
                d2m if curvature else None)

    def inverse_link(self, Z):
        return np.asarray(Z, dtype=np.float64)


class _ResidualLoss(LinearLoss):
    """A regression loss of the residual ``r = z - y``; the prediction is ``z``."""

    def __init__(self, epsilon):
        super().__init__(1)
        self.epsilon = float(epsilon)
        self.kinks = (-self.epsilon, self.epsilon)

    def kink_coordinate(self, Z, Y):
        return Z - np.asarray(Y, dtype=np.float64)

    def residual_terms(self, r):
        """Loss, ``d/dr`` and ``d2/dr2`` at residuals ``r`` (elementwise)."""
        raise NotImplementedError

    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        r = Z[..., 0] - np.asarray(Y, dtype=np.float64)[..., 0]
        loss, dr, d2r = self.residual_terms(r)
        return (loss, dr[..., None] if gradient else None,
                d2r[..., None] if curvature else None)

    def inverse_link(self, Z):
        return np.asarray(Z, dtype=np.float64)


class HuberLoss(_ResidualLoss):
    """Twice scikit-learn's Huber loss: ``r^2`` inside ``eps``, linear beyond.

    Parameters
    ----------
    epsilon : float
        The half-width of the quadratic zone.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import HuberLoss
    >>> loss, dz, d2z = HuberLoss(1.0).loss_terms(
    ...     np.array([[0.5], [3.0]]), np.zeros((2, 1)), gradient=True, curvature=True)
    >>> loss.tolist(), dz.ravel().tolist(), d2z.ravel().tolist()
    ([0.25, 5.0], [1.0, 2.0], [2.0, 0.0])
    """

    def residual_terms(self, r):
        eps, a = self.epsilon, np.abs(r)
        inside = a <= eps
        loss = np.where(inside, r**2, 2.0 * eps * a - eps**2)
        dr = np.where(inside, 2.0 * r, 2.0 * eps * np.sign(r))
        return loss, dr, np.where(inside, 2.0, 0.0)


class SquaredEpsilonInsensitiveLoss(_ResidualLoss):
    """``max(0, |r| - eps)^2``, scikit-learn's ``squared_epsilon_insensitive``.

    Parameters
    ----------
    epsilon : float
        The half-width of the zone where the loss is zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import SquaredEpsilonInsensitiveLoss
    >>> loss, dz, d2z = SquaredEpsilonInsensitiveLoss(1.0).loss_terms(
    ...     np.array([[0.5], [-3.0]]), np.zeros((2, 1)), gradient=True, curvature=True)
    >>> loss.tolist(), dz.ravel().tolist(), d2z.ravel().tolist()
    ([0.0, 4.0], [0.0, -4.0], [0.0, 2.0])
    """

    def residual_terms(self, r):
        excess = np.maximum(np.abs(r) - self.epsilon, 0.0)
        active = excess > 0
        return excess**2, 2.0 * excess * np.sign(r), np.where(active, 2.0, 0.0)
