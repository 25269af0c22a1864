r"""Removal shifts of a HuberRegressor, its scale included (see :mod:`.huber`).

Removing row ``j`` moves ``phi = (w, b, sigma)`` by ``H^{-1} g_j`` to first order
and by ``(H - H_j)^{-1} g_j`` in one Newton step, with ``g_j`` the row's gradient
and ``H_j = (2 c_j / sigma) v_j v_j^T`` its own curvature (zero in the linear
zone), so the Newton step is a Sherman-Morrison update. Both are exact while no
other row changes zone. Every row at once, from the ``(n_params + 1)^2`` inverse,
without forming the ``n x (n_params + 1)`` gradient matrix.
"""

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ..exceptions import warn_if_not_stationary
from .design import augmented_dot, augmented_tdot
from .huber import row_weights_or_ones
from .stationarity import relative_gradient

__all__ = ["HuberRemoval", "SINGULAR_PIVOT", "equilibrated_inverse"]

#: The Hessian counts as singular when a Cholesky pivot of its equilibrated form
#: (unit diagonal) is below this.
SINGULAR_PIVOT = 1e-12


def equilibrated_inverse(H):
    """``H^{-1}`` of a symmetric positive definite matrix, scale-free.

    Factorised as ``S H S`` with ``S = diag(H)^{-1/2}`` (unit diagonal), so the
    pivot test does not depend on the features' scales (1e-6 and 1e6 columns).

    Parameters
    ----------
    H : ndarray of shape (m, m)

    Returns
    -------
    ndarray of shape (m, m)

    Raises
    ------
    numpy.linalg.LinAlgError
        When a pivot of ``S H S`` is at most :data:`SINGULAR_PIVOT`.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models.huber_removal import equilibrated_inverse
    >>> H = np.diag([1e-12, 1e12])
    >>> bool(np.allclose(equilibrated_inverse(H) @ H, np.eye(2)))
    True
    """
    diag = np.diag(H)
    S = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    factor = cho_factor(S[:, None] * H * S[None, :])
    if (np.diag(factor[0]) ** 2).min() <= SINGULAR_PIVOT:
        raise np.linalg.LinAlgError("singular")
    return S[:, None] * cho_solve(factor, np.diag(S))


class HuberRemoval:
    r"""``phi_{-S} - phi`` for removed rows ``S`` of a HuberRegressor, with ``sigma``.

    First order ``H^{-1} g_S``, Newton ``(H - H_S)^{-1} g_S`` with ``H`` the
    :meth:`~skinfluence.models.huber.HuberAdapter.full_hessian`, ``g_S`` the removed
    rows' gradients and ``H_S`` their own curvature. One row at a time,
    ``H^{-1} g_j = -c_j psi_j H^{-1} [x~_j, 0] + c_j rho_j H^{-1} e_sigma``
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
    warn : bool, default=True
        Warn when the model is not at an optimum (the explainer warns itself).

    Attributes
    ----------
    hessian : ndarray of shape (n_params + 1, n_params + 1)
        ``H``.
    inverse : ndarray of shape (n_params + 1, n_params + 1)
        ``H^{-1}``.
    inside : ndarray of bool of shape (n_samples,)
        Rows in the quadratic zone (those with curvature).
    n_phi : int
        ``n_params + 1``, the length of a shift.

    Raises
    ------
    ValueError
        When too few rows lie in the quadratic zone for ``H`` to be invertible.

    Warns
    -----
    InfluenceWarning
        When the model is not at an optimum: :meth:`gradient_norms` (the scale's
        component included) above the explainer's ``STATIONARITY_TOLERANCE``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import HuberRegressor
    >>> from skinfluence.models.huber import HuberAdapter
    >>> from skinfluence.models.huber_removal import HuberRemoval
    >>> X, y = load_diabetes(return_X_y=True)
    >>> y = y / y.std()
    >>> a = HuberAdapter(HuberRegressor(max_iter=1000).fit(X, y), y, None)
    >>> removal = HuberRemoval(a, X, a.encode_target(y), None)
    >>> removal.shifts([0, 1, 2], method="newton").shape
    (3, 12)
    """

    def __init__(self, adapter, X, Y, weights, warn=True):
        self.adapter, self.X, self.Y = adapter, X, Y
        self.weights = c = row_weights_or_ones(weights, X.shape[0])
        self.t, self.psi, self.rho, self.inside = adapter.scale_terms(X, Y)
        H = adapter.full_hessian(X, Y, c)
        self.n_phi = len(H)
        n_inside = int(np.count_nonzero(self.inside & (c > 0)))
        # equilibrated (S H S, S = diag(H)^{-1/2}): the pivot test is then
        # free of the features' scales (1e-6 and 1e6 columns alike)
        self.hessian = H
        try:
            self.inverse = equilibrated_inverse(H)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"The Hessian of HuberRegressor's objective is singular: only "
                f"{n_inside} of {X.shape[0]} rows lie in the quadratic zone "
                f"(|y - Xw - b| <= epsilon * scale_), and only they carry curvature "
                f"for the {adapter.n_params + 1} parameters (w, b, scale). Increase "
                "epsilon or alpha, or use more rows."
            ) from None
        if warn:  # the explainer's check
            warn_if_not_stationary("HuberRegressor", *self.gradient_norms())

    def _parts(self, rows):
        """``H^{-1} g_j`` and ``H^{-1} v_j`` of the rows, each (n_rows, p + 1)."""
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
        H = None if method == "first_order" else self.hessian
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
            try:
                out[s] = equilibrated_inverse(H - (V * curv[:, None]).T @ V) @ g
            except np.linalg.LinAlgError:
                raise np.linalg.LinAlgError(
                    f"method='newton': removing population {s} leaves the Hessian of "
                    "HuberRegressor's objective singular (too few of the remaining "
                    "rows lie in the quadratic zone). Use method='first_order'."
                ) from None
        return out

    def gradient_norms(self):
        """``||grad F||`` in ``(w, b, sigma)`` and its ratio to a typical row's term.

        The ratio is :func:`~skinfluence.models.stationarity.relative_gradient`
        (``sigma`` component included, both norms in the metric of the Hessian's
        diagonal), the figure
        :func:`~skinfluence.influence.warn_if_not_stationary` takes.

        Returns
        -------
        norm, relative : float
        """
        a, c = self.adapter, self.weights
        grad = a.full_gradient(self.X, self.Y, c)
        Xa = a.augmented_rows(self.X)
        # each row's term is (c psi x, c rho): mean squares per parameter, structured
        sq = np.append((c * self.psi) ** 2 @ Xa**2, np.sum((c * self.rho) ** 2))
        scales = np.sqrt(sq / len(c))
        return float(np.linalg.norm(grad)), relative_gradient(
            grad, scales, np.diag(self.hessian))
