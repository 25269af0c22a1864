r"""Exact one-row Newton steps for mean-form objectives (each row carries penalty).

Removing row ``j`` from a mean-form objective (scikit-learn's GLMs, see
:class:`~skinfluence.models.GLMAdapter`) removes its loss term *and* its share
of the penalty, so the Hessian without it is::

    H_{-j} = H - c_j J_j^T D_j J_j - c_j Pi,     Pi = diag(row_penalty_diagonal())

The first part is low rank (``K``), the second is not. Both are handled exactly
for every row, with any weights, by diagonalising ``H`` and ``Pi`` together once::

    H = L L^T,   L^{-1} Pi L^{-T} = U diag(sigma) U^T,   B = L^{-T} U
    =>  B^T H B = I,   B^T Pi B = diag(sigma)
    =>  (H - t Pi)^{-1} = B diag(1 / (1 - t sigma)) B^T      for every t

and then applying the Woodbury identity for the rank-``K`` part against
``A_j = (H - c_j Pi)^{-1}``::

    H_{-j}^{-1} g_j = A_j g_j + A_j J_j^T (I - c_j D_j M_j)^{-1} c_j D_j J_j A_j g_j,
    M_j = J_j A_j J_j^T

with ``g_j = c_j (J_j^T r_j + Pi theta)`` the gradient of row ``j``'s whole term.
Per row everything is a product with the ``(K, n_params)`` matrix ``J_j B``: one
``O(n_params^3)`` factorisation, then ``O(n n_params^2)`` BLAS-3 work in all.
"""

import numpy as np
from scipy.linalg import eigh, solve_triangular

__all__ = ["PenaltyShareNewton"]


class PenaltyShareNewton:
    """``theta_{-j} - theta`` by one exact Newton step, for every removed row ``j``.

    Parameters
    ----------
    adapter : LinearModelAdapter
        A mean-form objective (``adapter.penalty_share > 0``).
    hessian : ndarray of shape (n_params, n_params)
        The Hessian of the whole objective (damping included, if any).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import PoissonRegressor
    >>> from skinfluence.models import PenaltyShareNewton, make_adapter
    >>> rng = np.random.RandomState(0)
    >>> X = rng.standard_normal((30, 2)); y = rng.poisson(2.0, 30).astype(float)
    >>> est = PoissonRegressor(alpha=1.0, solver="newton-cholesky", tol=1e-12)
    >>> a = make_adapter(est.fit(X, y), y, None)
    >>> Y, c = a.encode_target(y), np.ones(30)
    >>> newton = PenaltyShareNewton(a, a.hessian(X, Y, c))
    >>> newton.shifts(X[:2], Y[:2], c[:2]).shape
    (2, 3)
    """

    def __init__(self, adapter, hessian):
        self.adapter = adapter
        H = np.array(hessian, dtype=np.float64)
        N = adapter.null_space()
        if N is not None:  # every g_j is orthogonal to N: factorise H + N N^T
            H += N @ N.T
        L = np.linalg.cholesky(H)
        pi = adapter.row_penalty_diagonal()
        C = solve_triangular(L, np.diag(np.sqrt(pi)), lower=True)
        sigma, U = eigh(C @ C.T)
        self.sigma = np.clip(sigma, 0.0, None)
        self.basis = solve_triangular(L.T, U, lower=False)  # B
        if N is not None:  # steps off the null space (frozen entries, shifts)
            self.basis -= N @ (N.T @ self.basis)
        self.penalty_gradient = self.basis.T @ adapter.row_penalty_gradient()

    def shifts(self, X, Y, weights):
        """``theta_{-j} - theta`` for every row ``j`` given, (n, n_params).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n, n_features)
        Y : ndarray, the rows' encoded target
        weights : ndarray of shape (n,)
            The rows' weights ``c_j``.

        Returns
        -------
        ndarray of shape (n, n_params)
        """
        a, B = self.adapter, self.basis
        K, d = a.n_outputs, a.n_dof
        Jb = np.einsum("jd,kdp->jkp", a.augmented_rows(X), B.reshape(K, d, -1))
        Z = a.decision(X)
        _, r = a.loss_gradient(Z, Y)
        D = a.curvature(Z, Y)
        if D.ndim == 2:
            D = D[:, :, None] * np.eye(K)
        c = np.asarray(weights, dtype=np.float64)
        lam = 1.0 / (1.0 - c[:, None] * self.sigma)  # diag of B^-1 A_j B^-T
        Bg = c[:, None] * (np.einsum("jkp,jk->jp", Jb, r) + self.penalty_gradient)
        v = lam * Bg  # A_j g_j in the basis B
        Ja = np.einsum("jkp,jp->jk", Jb, v)
        M = np.einsum("jkp,jp,jlp->jkl", Jb, lam, Jb)
        cD = c[:, None, None] * D
        system = np.eye(K) - np.einsum("jkl,jlm->jkm", cD, M)
        try:
            w = np.linalg.solve(system, np.einsum("jkl,jl->jk", cD, Ja)[:, :, None])
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                "method='newton': removing one of the rows leaves the Hessian singular "
                "(a row with leverage 1). Use method='first_order' or damping > 0."
            ) from None
        u = v + lam * np.einsum("jkp,jk->jp", Jb, w[:, :, 0])
        return u @ B.T
