r"""Per-row losses of linear models, as functions of the raw linear predictor.

A loss object knows one row's loss ``loss(y_i, z_i)`` for the raw linear
predictor ``z_i = W x_i + b`` (``K`` outputs), its first and second derivatives
in ``z`` and the inverse link that turns ``z`` into a prediction (a probability
or a mean). It knows nothing about features, weights or penalties: those belong
to :class:`~skinfluence.models.LinearObjective`. This is the split of
scikit-learn's ``sklearn._loss`` and ``LinearModelLoss``; the GLM family adds
loss objects (:mod:`skinfluence.models.glm_losses`).

Conventions:

- ``Z`` has shape ``(..., K)``; ``Y`` is the encoded target: class indices of
  shape ``(...)`` for the classification losses, floats of shape ``(..., K)``
  for regression losses.
- ``loss`` has shape ``(...)``; ``d loss / dz`` has the shape of ``Z``; the
  curvature ``d^2 loss / dz^2`` has shape ``(n, K)`` when
  :attr:`~LinearLoss.curvature_is_diagonal`, else ``(n, K, K)`` (2-D ``Z`` only).
"""

from abc import ABC, abstractmethod

import numpy as np
from scipy.special import expit, log_softmax, softmax

__all__ = ["LinearLoss", "BinomialLoss", "MultinomialLoss", "SquaredLoss"]


class LinearLoss(ABC):
    """One row's loss as a function of the raw linear predictor ``z``.

    Subclasses implement :meth:`loss_terms` and :meth:`inverse_link`.

    Attributes
    ----------
    n_outputs : int
        ``K``, the length of ``z``.
    curvature_is_diagonal : bool
        True when ``d^2 loss / dz^2`` is diagonal (outputs do not couple).
    shift_invariant : bool
        True when adding one constant to every output of ``z`` leaves the loss
        unchanged (softmax), so unpenalised parameters have a null space.
    """

    curvature_is_diagonal = True
    shift_invariant = False
    #: Where a piecewise-quadratic loss's curvature jumps, in the coordinate of
    #: :meth:`kink_coordinate`; empty for smooth losses.
    kinks = ()

    def __init__(self, n_outputs=1):
        self.n_outputs = int(n_outputs)

    @abstractmethod
    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        """Per-row loss and, on request, its first and second derivatives in ``z``.

        Parameters
        ----------
        Z : ndarray of shape (..., K)
            Raw linear predictor.
        Y : ndarray
            Encoded target (see the module's Conventions).
        gradient : bool, default=False
            Also return ``d loss / dz``.
        curvature : bool, default=False
            Also return ``d^2 loss / dz^2`` (2-D ``Z`` only).

        Returns
        -------
        loss : ndarray of shape (...)
        dZ : ndarray of shape (..., K) or None
        D : ndarray of shape (n, K) or (n, K, K), or None
        """

    @abstractmethod
    def inverse_link(self, Z):
        """The prediction for raw predictor ``Z``: class probabilities or the mean.

        Parameters
        ----------
        Z : ndarray of shape (..., K)

        Returns
        -------
        ndarray of shape (..., n_classes) for classification, (..., K) otherwise
        """

    def kink_coordinate(self, Z, Y):
        """Where each output sits relative to :attr:`kinks`: (n, K), slope +-1 in ``z``.

        Only for losses with kinks (the margin ``s z`` or the residual ``z - y``).
        """
        raise NotImplementedError(f"{type(self).__name__} has no kinks.")

    def loss(self, Z, Y):
        """Per-row loss, shape ``Z.shape[:-1]`` (see :meth:`loss_terms`)."""
        return self.loss_terms(Z, Y)[0]

    def gradient(self, Z, Y):
        """``d loss / dz``, the shape of ``Z`` (see :meth:`loss_terms`)."""
        return self.loss_terms(Z, Y, gradient=True)[1]

    def curvature(self, Z, Y):
        """``d^2 loss / dz^2``: (n, K), or (n, K, K) when outputs couple."""
        return self.loss_terms(Z, Y, curvature=True)[2]


class BinomialLoss(LinearLoss):
    r"""Log-loss of binary logistic regression, one output ``z`` for class 1.

    ``loss = log(1 + exp(z)) - y z``, ``d/dz = sigma(z) - y``,
    ``d^2/dz^2 = sigma(z) (1 - sigma(z))``, ``y`` in {0, 1}.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import BinomialLoss
    >>> loss, dz, d2z = BinomialLoss().loss_terms(
    ...     np.zeros((1, 1)), np.array([1]), gradient=True, curvature=True)
    >>> float(loss[0]), float(dz[0, 0]), float(d2z[0, 0])
    (0.6931471805599453, -0.5, 0.25)
    """

    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        z = Z[..., 0]
        y = np.asarray(Y, dtype=np.float64)
        loss = np.logaddexp(0.0, z) - y * z
        dZ = (expit(z) - y)[..., None] if gradient else None
        D = (expit(z) * expit(-z))[..., None] if curvature else None
        return loss, dZ, D

    def inverse_link(self, Z):
        p1 = expit(Z[..., 0])
        return np.stack([1.0 - p1, p1], axis=-1)


class MultinomialLoss(LinearLoss):
    r"""Softmax log-loss over ``K = n_classes`` outputs.

    ``loss = logsumexp(z) - z_y``, ``d/dz = p - onehot(y)``,
    ``d^2/dz^2 = diag(p) - p p^T`` with ``p = softmax(z)``: outputs couple, and
    the loss is invariant to adding one constant to every ``z_k``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import MultinomialLoss
    >>> loss, dz, _ = MultinomialLoss(3).loss_terms(
    ...     np.zeros((1, 3)), np.array([2]), gradient=True)
    >>> round(float(loss[0]), 4), dz.round(3).tolist()
    (1.0986, [[0.333, 0.333, -0.667]])
    """

    curvature_is_diagonal = False
    shift_invariant = True

    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        Y = np.asarray(Y)
        logp = log_softmax(Z, axis=-1)
        loss = -np.take_along_axis(logp, Y[..., None], axis=-1)[..., 0]
        dZ = D = None
        if gradient or curvature:
            p = np.exp(logp)
        if gradient:
            dZ = p.copy()
            np.put_along_axis(
                dZ, Y[..., None], np.take_along_axis(dZ, Y[..., None], -1) - 1, -1
            )
        if curvature:
            D = -p[:, :, None] * p[:, None, :]
            D[:, np.arange(self.n_outputs), np.arange(self.n_outputs)] += p
        return loss, dZ, D

    def inverse_link(self, Z):
        return softmax(Z, axis=-1)


class SquaredLoss(LinearLoss):
    r"""Squared error summed over ``K`` outputs, with no factor 1/2.

    ``loss = ||z - y||^2``, ``d/dz = 2 (z - y)``, ``d^2/dz^2 = 2 I``; the
    identity link (the prediction is ``z``).

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import SquaredLoss
    >>> loss, dz, d2z = SquaredLoss().loss_terms(
    ...     np.array([[3.0]]), np.array([[1.0]]), gradient=True, curvature=True)
    >>> float(loss[0]), float(dz[0, 0]), float(d2z[0, 0])
    (4.0, 4.0, 2.0)
    """

    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        residual = Z - Y
        loss = (residual**2).sum(axis=-1)
        dZ = 2.0 * residual if gradient else None
        D = np.full(Z.shape, 2.0) if curvature else None
        return loss, dZ, D

    def inverse_link(self, Z):
        return Z
