r"""Reader for HuberRegressor: the Huber loss with its jointly fitted scale.

scikit-learn's ``_huber_loss_and_gradient`` minimises, over ``phi = (w, b, sigma)``
(``s_i`` the sample weights, ``x~_i = [x_i, 1]``, ``r_i = y_i - x~_i theta``)::

    F(w, b, sigma) = sum_i s_i [sigma + sigma H(r_i / sigma)] + alpha ||w||^2

    H(t) = t^2                    if |t| <= eps   (quadratic zone)
           2 eps |t| - eps^2      otherwise       (linear zone)

a *sum form* (no 1/n) whose penalty spares the intercept and the scale. With
``t_i = r_i / sigma``, ``psi = H'`` and ``rho(t) = 1 + H(t) - t psi(t)``::

    psi(t) = 2 t  |  2 eps sign(t)          rho(t) = 1 - t^2  |  1 - eps^2

Gradient of row ``i``'s term ``f_i`` (structured: a residual times ``x~_i``)::

    d f_i / d theta = -s_i psi(t_i) x~_i,          d f_i / d sigma = s_i rho(t_i)

Hessian of ``f_i``: rank one in the quadratic zone, zero in the linear one::

    d^2 f_i = (2 s_i / sigma) v_i v_i^T,   v_i = [x~_i, t_i]      (|t_i| <= eps)

plus ``2 alpha`` on the diagonal entries of ``w``. The Hessian is defined
everywhere except at the kink ``|t| = eps``, where the gradient is continuous
(``psi = 2 eps sign t``, ``rho = 1 - eps^2`` from both sides) and only the row's
own curvature jumps.

Removing row ``j`` (the ``-1`` point of upweighting it) moves ``phi`` by
``H^{-1} grad f_j`` to first order and by ``(H - d^2 f_j)^{-1} grad f_j`` in one
Newton step: :class:`~skinfluence.models.huber_removal.HuberRemoval`.

Eliminating ``sigma`` (a Schur complement) gives the same ``theta`` shifts from
``S = H_tt - h h^T / h_ss`` and the row gradients ``s_j (-psi_j x~_j - rho_j k)``
with ``k = h / h_ss`` (``h = d^2 F / d theta d sigma``): the ``sigma`` component
of a row's gradient is a per-row multiple ``rho_j`` of one vector, and the Schur
complement is not a sum over rows. That is why :class:`HuberAdapter` keeps
``sigma`` explicit here (see its Notes).

Conventions:

- ``phi`` is ``(w, b, sigma)``: the augmented ``theta`` of
  :class:`~skinfluence.models.LinearObjective` (intercept last, if fitted) then
  ``sigma``, scikit-learn's own order (``coef_``, ``intercept_``, ``scale_``).
- A row exactly at the kink (``|r_i| = eps sigma``) is in the quadratic zone,
  as in scikit-learn (``outliers_`` is ``|r| > eps * scale_``).
- ``loss`` (``target="loss"``) is the row's Huber term at the fitted scale,
  ``sigma^ H(r / sigma^)`` (its ``sigma`` term is a constant): a function of the
  prediction only, evaluated at ``scale_`` of the model explained.
- Everything is float64; ``sample_weight`` is supported (``c_i = s_i``).
"""

import numpy as np
from sklearn.base import clone

from .adapter import LinearModelAdapter, SingleOutputRegressor
from .design import augmented_tdot
from .margin_losses import HuberLoss

__all__ = ["HuberAdapter", "ScaledHuberLoss", "row_weights_or_ones"]


class ScaledHuberLoss(HuberLoss):
    r"""``sigma H((z - y) / sigma)``: the Huber term at a fixed scale ``sigma``.

    Equal to ``HuberLoss(eps * sigma)`` divided by ``sigma``: ``r^2 / sigma``
    for ``|r| <= eps sigma``, ``2 eps |r| - eps^2 sigma`` beyond.

    Parameters
    ----------
    epsilon : float
        ``eps`` of HuberRegressor (in units of the scale).
    scale : float
        ``sigma > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models.huber import ScaledHuberLoss
    >>> loss, dz, d2z = ScaledHuberLoss(1.0, 2.0).loss_terms(
    ...     np.array([[1.0], [6.0]]), np.zeros((2, 1)), gradient=True, curvature=True)
    >>> loss.tolist(), dz.ravel().tolist(), d2z.ravel().tolist()
    ([0.5, 10.0], [1.0, 2.0], [1.0, 0.0])
    """

    def __init__(self, epsilon, scale):
        super().__init__(epsilon * scale)
        self.scale = float(scale)

    def residual_terms(self, r):
        loss, dr, d2r = super().residual_terms(r)
        return loss / self.scale, dr / self.scale, d2r / self.scale


class HuberAdapter(SingleOutputRegressor, LinearModelAdapter):
    r"""Reader for HuberRegressor, with its scale ``sigma`` as a parameter.

    As a :class:`~skinfluence.models.LinearObjective` it is the objective at the
    fitted scale (loss :class:`ScaledHuberLoss`, ``lambda = 2 alpha``): its
    gradient and Hessian are the ``theta`` parts of the formulas in
    :mod:`skinfluence.models.huber`. The ``sigma`` parts are
    :meth:`scale_terms`, :meth:`full_gradient` and :meth:`full_hessian`;
    :class:`~skinfluence.models.huber_removal.HuberRemoval` uses all of them.

    Parameters
    ----------
    estimator : HuberRegressor, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    epsilon, alpha, scale : float
        ``epsilon``, ``alpha`` and the fitted ``scale_``.

    Notes
    -----
    The influence kernels of :mod:`skinfluence.influence` take a removed row's
    gradient as ``e_j (x) [x_j, 1]`` plus ``c_j`` times one fixed vector, and its
    curvature as ``[x_j, 1]^T (c_j D_j) [x_j, 1]``. A Huber row's ``sigma``
    gradient ``c_j rho_j`` is neither (nor, after eliminating ``sigma``, is
    ``-c_j rho_j k``: a per-row multiple of ``k``), and its curvature spans
    ``v_j = [x_j, 1, t_j]``. So :meth:`removal_engine` gives ``HuberRemoval``,
    and the explainer runs :class:`~skinfluence.influence.ShiftLoop` on it.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import HuberRegressor
    >>> from skinfluence.models.huber import HuberAdapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> est = HuberRegressor(alpha=1e-3, max_iter=1000).fit(X, y / y.std())
    >>> a = HuberAdapter(est, y / y.std(), None)
    >>> a.n_params, a.full_hessian(X, a.encode_target(y / y.std()), None).shape
    (11, (12, 12))
    """

    warm_start_attributes = ("coef_", "intercept_", "scale_")
    shift_based = True

    def __init__(self, estimator, y, sample_weight):
        self.epsilon = float(estimator.epsilon)
        self.alpha = float(estimator.alpha)
        self.scale = float(estimator.scale_)
        if not self.scale > 1e3 * np.finfo(np.float64).eps:
            raise ValueError(
                f"HuberRegressor.scale_ = {self.scale:.3g} is at its lower bound: the "
                "rows are fitted exactly, the objective has no interior optimum and "
                "influence is not defined."
            )
        super().__init__(
            estimator, ScaledHuberLoss(self.epsilon, self.scale),
            fit_intercept=estimator.fit_intercept, l2_strength=2.0 * self.alpha,
        )
        if not self.fit_intercept:
            # scikit-learn's warm start always appends intercept_ and then fits one
            self.warm_start_attributes = ()

    def refit_estimator(self):
        """A clone of the HuberRegressor (same ``epsilon``, ``alpha``).

        Returns
        -------
        HuberRegressor
        """
        return clone(self.estimator)

    def removal_engine(self, X, Y, weights, params):
        """:class:`~skinfluence.models.huber_removal.HuberRemoval` on the rows.

        It inverts the dense ``(n_params + 1)``-square Hessian in ``(w, b, sigma)``
        exactly: ``solver`` must be ``"auto"`` or ``"cholesky"`` and ``damping``
        zero (a singular Hessian is refused with its reason instead).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, 1)
        weights : ndarray of shape (n_samples,) or None
        params : dict
            The explainer's parameters; ``solver`` and ``damping`` are read.

        Returns
        -------
        HuberRemoval

        Raises
        ------
        ValueError
            For another solver, or ``damping > 0``.
        """
        from .huber_removal import HuberRemoval  # it imports this module

        solver = params.get("solver", "auto")
        if not (isinstance(solver, str) and solver in ("auto", "cholesky")):
            raise ValueError(
                f"HuberRegressor is explained from the exact inverse of its dense "
                f"({self.n_params + 1})-square Hessian in (coef_, intercept_, scale_)"
                f": solver must be 'auto' or 'cholesky', got {solver!r}."
            )
        if params.get("damping", 0.0) > 0:
            raise ValueError(
                "damping is not supported for HuberRegressor: its Hessian with the "
                "scale is inverted exactly (a singular one is refused with its "
                "reason). Use damping=0."
            )
        return HuberRemoval(self, X, Y, weights, warn=False)

    def to_public(self, A):
        """Augmented to public layout; a last ``sigma`` column stays last.

        Parameters
        ----------
        A : ndarray of shape (..., n_params) or (..., n_params + 1)

        Returns
        -------
        ndarray
            ``coef_``, then ``intercept_`` (if fitted), then ``scale_`` if given.
        """
        A = np.asarray(A)
        if A.shape[-1] == self.n_params:
            return super().to_public(A)
        return np.concatenate([super().to_public(A[..., :-1]), A[..., -1:]], axis=-1)

    # ------------------------------------------------------------- scale
    def scale_terms(self, X, Y):
        """Per row: ``t = r / sigma``, ``psi(t)``, ``rho(t)`` and the zone.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, 1)

        Returns
        -------
        t, psi, rho : ndarray of shape (n_samples,)
        inside : ndarray of bool of shape (n_samples,)
            ``|r| <= eps sigma`` (the kink counts as inside).
        """
        r = Y[:, 0] - self.decision(X)[:, 0]
        t = r / self.scale
        inside = np.abs(r) <= self.epsilon * self.scale
        eps = self.epsilon
        psi = np.where(inside, 2.0 * t, 2.0 * eps * np.sign(t))
        rho = np.where(inside, 1.0 - t**2, 1.0 - eps**2)
        return t, psi, rho, inside

    def full_objective(self, X, Y, weights):
        """``F(w, b, sigma)`` at the fitted parameters: scikit-learn's loss value.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, 1)
        weights : ndarray of shape (n_samples,) or None

        Returns
        -------
        float
        """
        c = row_weights_or_ones(weights, X.shape[0])
        loss = self.loss(self.decision(X), Y)  # sigma H(t)
        w = self.theta.ravel()[: self.n_features]
        return float(c @ (self.scale + loss) + self.alpha * (w @ w))

    def full_gradient(self, X, Y, weights):
        """``grad F`` in ``(w, b, sigma)`` order: (n_params + 1,).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, 1)
        weights : ndarray of shape (n_samples,) or None

        Returns
        -------
        ndarray of shape (n_params + 1,)
        """
        c = row_weights_or_ones(weights, X.shape[0])
        rho = self.scale_terms(X, Y)[2]
        return np.append(self.objective_gradient(X, Y, c), c @ rho)

    def full_hessian(self, X, Y, weights):
        """``d^2 F`` in ``(w, b, sigma)`` order, dense: (n_params + 1, n_params + 1).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, 1)
        weights : ndarray of shape (n_samples,) or None

        Returns
        -------
        ndarray of shape (n_params + 1, n_params + 1)
        """
        c = row_weights_or_ones(weights, X.shape[0])
        t, _, _, inside = self.scale_terms(X, Y)
        a = np.where(inside, 2.0 * c / self.scale, 0.0)
        p = self.n_params
        H = np.empty((p + 1, p + 1))
        H[:p, :p] = self.hessian(X, Y, c)
        cross = augmented_tdot(X, (a * t)[:, None], self.fit_intercept)[:, 0]
        H[:p, p] = H[p, :p] = cross
        H[p, p] = a @ t**2
        return H

    def with_parameters(self, phi):
        """A copy of this reader at other parameters ``phi = (w, b, sigma)``.

        For finite differences: the objective's terms at ``phi``.

        Parameters
        ----------
        phi : array-like of shape (n_params + 1,)

        Returns
        -------
        HuberAdapter
        """
        phi = np.asarray(phi, dtype=np.float64)
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.theta = phi[:-1].reshape(self.theta.shape).copy()
        other.scale = float(phi[-1])
        other.loss_function = ScaledHuberLoss(self.epsilon, other.scale)
        return other


def row_weights_or_ones(weights, n):
    """``weights`` as float64, or ones for None."""
    if weights is None:
        return np.ones(n)
    return np.asarray(weights, dtype=np.float64)
