"""Matrix-free preconditioned conjugate gradient on Hessian-vector products."""

import numbers
import threading
import warnings

import numpy as np

from ..parallel import blas_limit
from ..exceptions import InfluenceWarning, SingularHessianError
from ._base import HessianSolver, check_rank_bound

__all__ = ["CGSolver"]


class CGSolver(HessianSolver):
    """Solve ``(H + damping I) X = B`` by Jacobi-preconditioned conjugate gradient.

    Never forms ``H``: each iteration is one Hessian-vector product on the
    block of right-hand sides still running (two passes over the training
    data, sparse X kept sparse), so memory is ``O(n_params * m)`` for ``m``
    right-hand sides. The preconditioner is the Hessian's diagonal, computed
    structurally (``sum_i c_i D_i,kk x_ij^2`` plus the penalty) in one pass.
    Each column runs its own recurrence and leaves the block once converged.

    A multinomial null space ``N`` is handled exactly as the direct solver
    does: the right-hand sides, the preconditioned residuals and the
    Hessian-vector products are projected onto the complement of ``N``, so the
    iterates stay there and converge to the minimum-norm (pseudo-inverse)
    solution.

    Parameters
    ----------
    tol : float, default=1e-8
        Stopping rule per column, relative to the right-hand side in the
        preconditioner's norm (``M`` = the Hessian's diagonal): stop when
        ``||r||_{M^-1} <= tol * ||b||_{M^-1}``. The solution's relative error is
        then at most ``kappa * tol`` and a quadratic form's (``quad_form``, used by
        ``self_influence``) at most ``kappa * tol**2``, ``kappa`` the condition
        number of the preconditioned Hessian.
    max_iter : int, default=None
        Iterations at most; ``None``: ``min(max(2 * n_params, 100), 10_000)``.
        Columns still above ``tol`` then get an :class:`InfluenceWarning` with the
        largest relative residual reached.

    Attributes
    ----------
    n_iter_ : int
        Iterations of the last call to ``solve`` / ``quad_form`` made from the
        main thread (calls from worker threads, one per block of rows, set no
        attribute: they report through the non-convergence warning).
    residual_ : float
        Largest relative residual at the end of that call.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.solvers import CGSolver
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge(), solver=CGSolver(tol=1e-10)).fit(X, y)
    >>> ex.solver_
    CGSolver(tol=1e-10)
    >>> exact = InfluenceExplainer(Ridge(), solver="cholesky").fit(X, y)
    >>> d = ex.influence(X[:5], y[:5]) - exact.influence(X[:5], y[:5])
    >>> bool(abs(d).max() < 1e-6 * abs(exact.influence(X[:5], y[:5])).max())
    True
    """

    def __init__(self, tol=1e-8, max_iter=None):
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, operator):
        """Check the options and compute the Jacobi preconditioner ``diag(H)``.

        Parameters
        ----------
        operator : HessianOperator
            The Hessian ``H`` (with its damping and null space).

        Returns
        -------
        self : CGSolver
            Fitted.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CGSolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> solver = CGSolver().fit(op)
        >>> np.allclose(1.0 / solver.inv_diag_, np.diag(op.dense()))
        True
        """
        if not (isinstance(self.tol, numbers.Real) and 0 < self.tol < 1):
            raise ValueError(f"tol must be in (0, 1), got {self.tol!r}.")
        if self.max_iter is not None and not (
            isinstance(self.max_iter, numbers.Integral) and self.max_iter >= 1
        ):
            raise ValueError(f"max_iter must be a positive integer or None, got {self.max_iter!r}.")
        check_rank_bound(operator)
        self.operator_ = operator
        self.n_params = operator.n_params
        diag = operator.diagonal()
        self.inv_diag_ = 1.0 / np.where(diag > 0, diag, 1.0)
        self.n_iter_, self.residual_ = 0, 0.0
        return self

    def _precondition(self, R):
        return self.operator_.project(self.inv_diag_[:, None] * R)

    def _cg(self, B):
        B = np.asarray(B, dtype=np.float64).reshape(self.n_params, -1)
        with blas_limit(self.operator_.matvec_flops(B.shape[1])):
            return self._cg_loop(B)

    def _cg_loop(self, B):
        op = self.operator_
        B = op.project(B)
        m = B.shape[1]
        X = np.zeros_like(B)
        R = B.copy()
        Z = self._precondition(R)
        rz = np.einsum("ij,ij->j", R, Z)
        rz0 = rz.copy()
        P = Z
        max_iter = self.max_iter or min(max(2 * self.n_params, 100), 10_000)
        active = np.flatnonzero(rz0 > 0)
        n_iter, tol = 0, float(self.tol)
        for it in range(max_iter):
            if active.size == 0:
                break
            n_iter = it + 1
            Pa = P[:, active] if active.size < m else P
            Q = op.project(op.matvec(Pa))
            pq = np.einsum("ij,ij->j", Pa, Q)
            if np.any(pq <= 0):
                raise SingularHessianError(
                    "The Hessian of the objective is singular or not positive definite "
                    "along a conjugate-gradient direction (p^T H p <= 0). Pass damping > 0 "
                    "to InfluenceExplainer, use a penalised model, or remove redundant "
                    "features."
                )
            alpha = rz[active] / pq
            X[:, active] += alpha * Pa
            Ra = R[:, active] - alpha * Q
            R[:, active] = Ra
            Za = self._precondition(Ra)
            rz_new = np.einsum("ij,ij->j", Ra, Za)
            done = rz_new <= tol**2 * rz0[active]
            beta = rz_new / rz[active]
            P[:, active] = Za + beta * Pa
            rz[active] = rz_new
            active = active[~done]
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.sqrt(np.where(rz0 > 0, rz / rz0, 0.0))
        residual = float(rel.max(initial=0.0))
        if threading.current_thread() is threading.main_thread():
            self.n_iter_, self.residual_ = n_iter, residual
        if active.size:
            warnings.warn(
                f"CGSolver did not converge in {max_iter} iterations: {active.size} of {m} "
                f"right-hand side(s) still at a relative residual up to {residual:.2e} "
                f"(tol={tol:g}). Influence values are approximate; raise max_iter "
                "(solver=CGSolver(max_iter=...)), add damping, or use solver='cholesky'.",
                InfluenceWarning, stacklevel=4,
            )
        return X

    def solve(self, B):
        """``H^{-1} B``, one conjugate-gradient recurrence per column.

        Parameters
        ----------
        B : ndarray of shape (n_params,) or (n_params, m)
            Right-hand sides.

        Returns
        -------
        X : ndarray shaped like ``B``
            ``H^{-1} B``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CGSolver, CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> B, solver = np.eye(op.n_params)[:, :3], CGSolver(tol=1e-10).fit(op)
        >>> np.allclose(solver.solve(B), CholeskySolver().fit(op).solve(B))
        True
        """
        B = np.asarray(B, dtype=np.float64)
        X = self._cg(B)
        return X[:, 0] if B.ndim == 1 else X

    def quad_form(self, B):
        """``diag(B.T H^{-1} B)``, from one block conjugate-gradient solve.

        Parameters
        ----------
        B : ndarray of shape (n_params, m)
            Columns ``b_j``.

        Returns
        -------
        q : ndarray of shape (m,)
            ``b_j^T H^{-1} b_j``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CGSolver, CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> B, solver = np.eye(op.n_params)[:, :3], CGSolver(tol=1e-10).fit(op)
        >>> np.allclose(solver.quad_form(B), CholeskySolver().fit(op).quad_form(B))
        True
        """
        B = np.asarray(B, dtype=np.float64).reshape(self.n_params, -1)
        X = self._cg(B)
        return np.einsum("ij,ij->j", self.operator_.project(B), X)
