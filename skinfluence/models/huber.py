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
Newton step (Sherman-Morrison, the row's curvature being rank one). Both are
exact when no other row changes zone. :class:`HuberRemoval` computes them for
every row without forming the ``n x (n_params + 1)`` gradient matrix.

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
from scipy.linalg import cho_factor, cho_solve
from sklearn.base import clone
from sklearn.utils.validation import check_array

from .adapter import LinearModelAdapter
from .design import augmented_dot, augmented_tdot
from .margin_losses import HuberLoss

__all__ = ["HuberAdapter", "HuberRemoval", "ScaledHuberLoss"]


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


class HuberAdapter(LinearModelAdapter):
    r"""Reader for HuberRegressor, with its scale ``sigma`` as a parameter.

    As a :class:`~skinfluence.models.LinearObjective` it is the objective at the
    fitted scale (loss :class:`ScaledHuberLoss`, ``lambda = 2 alpha``): its
    gradient and Hessian are the ``theta`` parts of the formulas in
    :mod:`skinfluence.models.huber`. The ``sigma`` parts are
    :meth:`scale_terms`, :meth:`full_gradient` and :meth:`full_hessian`;
    :class:`HuberRemoval` uses all of them.

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
    gradient as ``e_j (x) [x_j, 1]`` plus ``c_j`` times one fixed vector, and the
    Hessian as a sum over rows. The ``sigma`` part of a Huber row's gradient is
    ``c_j rho_j``, a per-row multiple, so this reader is not (yet) in
    :data:`~skinfluence.models.READERS`: :class:`HuberRemoval` computes its
    shifts directly.

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

    def encode_target(self, y):
        """``y`` as floats of shape ``(n, 1)``.

        Parameters
        ----------
        y : array-like of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        Y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if Y.ndim != 1:
            raise ValueError("y must be 1-D for HuberRegressor.")
        return Y[:, None]

    def decision_weights(self, Y):
        """Ones: ``target="prediction"`` is ``predict()``.

        Parameters
        ----------
        Y : ndarray of shape (n_samples, 1)

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        return np.ones((len(Y), 1))

    def refit_estimator(self):
        """A clone of the HuberRegressor (same ``epsilon``, ``alpha``).

        Returns
        -------
        HuberRegressor
        """
        return clone(self.estimator)

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
        c = _weights(weights, X.shape[0])
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
        c = _weights(weights, X.shape[0])
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
        c = _weights(weights, X.shape[0])
        t, _, _, inside = self.scale_terms(X, Y)
        a = np.where(inside, 2.0 * c / self.scale, 0.0)
        p = self.n_params
        H = np.empty((p + 1, p + 1))
        H[:p, :p] = self.hessian(X, Y, c)
        H[:p, p] = H[p, :p] = augmented_tdot(X, (a * t)[:, None], self.fit_intercept)[:, 0]
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


class HuberRemoval:
    r"""``phi_{-S} - phi`` for removed rows ``S`` of a HuberRegressor, ``sigma`` included.

    First order ``H^{-1} g_S``, Newton ``(H - H_S)^{-1} g_S`` with ``H`` the
    :meth:`~HuberAdapter.full_hessian`, ``g_S`` the removed rows' gradients and
    ``H_S`` their own curvature (see :mod:`skinfluence.models.huber`). One row at
    a time, ``H^{-1} g_j = -c_j psi_j H^{-1} [x~_j, 0] + c_j rho_j H^{-1} e_sigma``
    for every row at once from the ``(n_params + 1)^2`` inverse, and the Newton
    step is the Sherman-Morrison update with ``v_j = [x~_j, t_j]``.

    Parameters
    ----------
    adapter : HuberAdapter
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The training rows.
    Y : ndarray of shape (n_samples, 1)
    weights : ndarray of shape (n_samples,) or None
        The sample weights.

    Attributes
    ----------
    inverse : ndarray of shape (n_params + 1, n_params + 1)
        ``H^{-1}``.
    inside : ndarray of bool of shape (n_samples,)
        Rows in the quadratic zone (those with curvature).

    Raises
    ------
    ValueError
        When too few rows lie in the quadratic zone for ``H`` to be invertible.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import HuberRegressor
    >>> from skinfluence.models.huber import HuberAdapter, HuberRemoval
    >>> X, y = load_diabetes(return_X_y=True)
    >>> y = y / y.std()
    >>> a = HuberAdapter(HuberRegressor(max_iter=1000).fit(X, y), y, None)
    >>> removal = HuberRemoval(a, X, a.encode_target(y), None)
    >>> removal.shifts([0, 1, 2], method="newton").shape
    (3, 12)
    """

    def __init__(self, adapter, X, Y, weights):
        self.adapter, self.X, self.Y = adapter, X, Y
        self.weights = c = _weights(weights, X.shape[0])
        self.t, self.psi, self.rho, self.inside = adapter.scale_terms(X, Y)
        H = adapter.full_hessian(X, Y, c)
        n_inside = int(np.count_nonzero(self.inside & (c > 0)))
        try:
            factor = cho_factor(H)
            self.inverse = cho_solve(factor, np.eye(len(H)))
        except np.linalg.LinAlgError:
            raise ValueError(
                f"The Hessian of HuberRegressor's objective is singular: only "
                f"{n_inside} of {X.shape[0]} rows lie in the quadratic zone "
                f"(|y - Xw - b| <= epsilon * scale_), and only they carry curvature "
                f"for the {adapter.n_params + 1} parameters (w, b, scale). Increase "
                "epsilon or alpha, or use more rows."
            ) from None

    def _parts(self, rows):
        """``H^{-1} g_j`` and ``H^{-1} v_j`` for the rows, each (n_rows, n_params + 1)."""
        a, P = self.adapter, self.inverse
        p = a.n_params
        c = self.weights[rows]
        Xr = self.X[rows]
        T = augmented_dot(Xr, P[:, :p], a.fit_intercept)  # H^{-1} [x~_j, 0]
        HG = (-c * self.psi[rows])[:, None] * T + (c * self.rho[rows])[:, None] * P[p]
        HV = T + self.t[rows][:, None] * P[p]
        return HG, HV

    def shifts(self, rows, method="first_order"):
        """``phi_{-j} - phi`` for each row ``j`` removed alone, (n_rows, n_params + 1).

        Parameters
        ----------
        rows : array-like of int or slice
        method : {"first_order", "newton"}, default="first_order"

        Returns
        -------
        ndarray of shape (n_rows, n_params + 1)
            In ``(w, b, sigma)`` order.
        """
        rows = np.arange(self.X.shape[0])[rows]
        HG, HV = self._parts(rows)
        if method == "first_order":
            return HG
        a = self.adapter
        curv = np.where(self.inside[rows], 2.0 * self.weights[rows] / a.scale, 0.0)
        Xa = a.augmented_rows(self.X[rows])
        V = np.hstack([Xa, self.t[rows][:, None]])
        denom = 1.0 - curv * np.einsum("ij,ij->i", V, HV)
        if np.any(denom <= 1e-12):
            raise np.linalg.LinAlgError(
                "method='newton': removing one of the rows leaves the Hessian of "
                "HuberRegressor's objective singular (it was one of the few rows in "
                "the quadratic zone). Use method='first_order'."
            )
        step = curv * np.einsum("ij,ij->i", V, HG) / denom
        return HG + step[:, None] * HV

    def population_shifts(self, populations, method="first_order"):
        """``phi_{-S} - phi`` for each population ``S``, (n_populations, n_params + 1).

        Parameters
        ----------
        populations : list of array-like of int
        method : {"first_order", "newton"}, default="first_order"
            Newton solves with ``H - H_S``, ``H_S`` the rows' own curvature.

        Returns
        -------
        ndarray of shape (n_populations, n_params + 1)
        """
        a = self.adapter
        p = a.n_params
        H = None if method == "first_order" else np.linalg.inv(self.inverse)
        out = np.empty((len(populations), p + 1))
        for s, idx in enumerate(populations):
            idx = np.asarray(idx)
            c = self.weights[idx]
            e = (-c * self.psi[idx])[:, None]
            g = np.append(augmented_tdot(self.X[idx], e, a.fit_intercept)[:, 0],
                          c @ self.rho[idx])
            if H is None:
                out[s] = self.inverse @ g
                continue
            curv = np.where(self.inside[idx], 2.0 * c / a.scale, 0.0)
            V = np.hstack([a.augmented_rows(self.X[idx]), self.t[idx][:, None]])
            out[s] = np.linalg.solve(H - (V * curv[:, None]).T @ V, g)
        return out

    def gradient_norms(self):
        """``||grad F||`` in ``(w, b, sigma)`` and its ratio to a typical row's term.

        The ratio divides by the root mean square norm of one row's gradient
        (``sigma`` component included), the figure
        :func:`~skinfluence.influence.warn_if_not_stationary` takes.

        Returns
        -------
        norm, relative : float
        """
        a, c = self.adapter, self.weights
        norm = float(np.linalg.norm(a.full_gradient(self.X, self.Y, c)))
        Xa = a.augmented_rows(self.X)
        sq = (self.psi**2) * np.einsum("ij,ij->i", Xa, Xa) + self.rho**2
        scale = float(np.sqrt(np.mean(c**2 * sq)))
        return norm, norm / scale if scale > 0 else np.inf


def _weights(weights, n):
    if weights is None:
        return np.ones(n)
    return np.asarray(weights, dtype=np.float64)
