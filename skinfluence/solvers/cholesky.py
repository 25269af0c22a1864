"""Dense, exact inverse-Hessian application by Cholesky factorisation."""

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from ..exceptions import SingularHessianError
from ._base import HessianSolver

__all__ = ["CholeskySolver"]


class CholeskySolver(HessianSolver):
    """Factorise ``H + damping I`` once; each solve is two triangular solves.

    A multinomial null space ``N`` (orthonormal) is handled by factorising
    ``H + s N N^T`` with ``s`` the mean diagonal of ``H``: for right-hand sides
    orthogonal to ``N`` this returns exactly the pseudo-inverse solution, and
    ``s`` keeps the factor as well conditioned as ``H`` is on the complement.
    Right-hand sides are projected onto the complement of ``N`` first, so
    ``solve`` is that pseudo-inverse for any right-hand side (an active-set
    reader puts the coefficients it holds at zero into ``N``).

    The factor is of the equilibrated matrix ``S H S`` with ``S = diag(H)^{-1/2}``
    (symmetric Jacobi scaling), so features on scales 1e-6 or 1e6 cost no accuracy
    and the singularity test below is scale-free: the Hessian is declared
    singular when LAPACK's reciprocal condition estimate (``dpocon``) of ``S H S``
    is below ``n_params * eps``: a solve would then carry no correct digit.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.solvers import CholeskySolver
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge(), solver=CholeskySolver()).fit(X, y)
    >>> ex.solver_.solve(ex.operator_.dense()[:, 0]).round(12)[:3]
    array([1., 0., 0.])
    """

    def fit(self, operator):
        """Factorise the equilibrated dense Hessian, or raise if it is singular.

        Parameters
        ----------
        operator : HessianOperator
            The Hessian ``H`` (with its damping and null space).

        Returns
        -------
        self : CholeskySolver
            Fitted.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> solver = CholeskySolver().fit(op)
        >>> solver.n_params, bool(solver.rcond_ > 1e-3)  # well conditioned
        (11, True)
        """
        # a new array, symmetric: its transpose is the Fortran-ordered matrix
        # LAPACK factors in place (no copy)
        H = operator.dense().T
        N = self.null_space_ = operator.null_space
        if N is not None:  # in place, on the rows N touches: no n_params^2 temporary
            rows = np.flatnonzero(np.any(N != 0, axis=1))
            H[np.ix_(rows, rows)] += np.mean(np.diag(H)) * (N[rows] @ N[rows].T)
        self.n_params = H.shape[0]
        diag = np.diag(H).copy()
        self.scale_ = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
        H *= self.scale_[:, None]
        H *= self.scale_[None, :]
        anorm = lapack.dlange("1", H)  # no |H| copy
        try:
            self.factor_ = linalg.cho_factor(H, lower=False, overwrite_a=True,
                                             check_finite=False)
        except linalg.LinAlgError:
            rcond = 0.0
        else:
            rcond, _ = lapack.dpocon(self.factor_[0], anorm, uplo="U")
        self.rcond_ = float(rcond)
        if not np.isfinite(rcond) or rcond < self.n_params * np.finfo(float).eps:
            raise SingularHessianError(
                "The Hessian of the objective is singular or numerically so "
                f"(reciprocal condition number {rcond:.1e}, damping="
                f"{operator.damping:g}). This happens with collinear or constant "
                "features and no (or a tiny) penalty, or with linearly separable classes "
                "and no penalty (no optimum exists). Pass damping > 0 to "
                "InfluenceExplainer (e.g. 1e-3 times the mean diagonal of X^T X), "
                "use a penalised model, or remove the redundant features."
            )
        return self

    def _complement(self, B):  # H^+ B = (H + s N N^T)^{-1} (B - N N^T B)
        N = getattr(self, "null_space_", None)
        return B if N is None else B - N @ (N.T @ B)

    def solve(self, B):
        """``H^{-1} B`` by two triangular solves with the factor.

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
        >>> from skinfluence.solvers import CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> B = np.eye(op.n_params)[:, :3]
        >>> np.allclose(op.dense() @ CholeskySolver().fit(op).solve(B), B)
        True
        """
        B = self._complement(np.asarray(B, dtype=np.float64))
        S = self.scale_ if B.ndim == 1 else self.scale_[:, None]
        return S * linalg.cho_solve(self.factor_, S * B, check_finite=False)

    def inverse(self):
        """``H^{-1}`` from the factor by LAPACK ``potri`` (a third of the flops of
        ``n_params`` solves), formed once and kept in ``inverse_``.

        Returns
        -------
        H_inv : ndarray of shape (n_params, n_params)
            Symmetric; with a null space, the pseudo-inverse ``H^+``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> solver = CholeskySolver().fit(op)
        >>> np.allclose(solver.inverse(), solver.solve(np.eye(op.n_params)))
        True
        """
        if getattr(self, "inverse_", None) is None:
            U, lower = self.factor_
            A, info = lapack.dpotri(U, lower=lower)
            if info != 0:
                raise SingularHessianError(f"LAPACK dpotri failed (info={info}).")
            _mirror_triangle(A, "upper" if not lower else "lower")
            A *= self.scale_[:, None]
            A *= self.scale_[None, :]
            N = getattr(self, "null_space_", None)
            if N is not None:  # H^+ = P (H + s N N^T)^{-1} P, P = I - N N^T:
                # P A P = A - B N^T - N B^T, B = A N - N (N^T A N) / 2, and
                # N B^T, B N^T only touch the rows and columns N does
                rows = np.flatnonzero(np.any(N != 0, axis=1))
                AN = A @ N
                B = AN - 0.5 * N @ (N.T @ AN)
                A[:, rows] -= B @ N[rows].T
                A[rows, :] -= N[rows] @ B.T
            self.inverse_ = A
        return self.inverse_

    def quad_form(self, B):
        """``diag(B.T H^{-1} B)`` with one triangular solve: ``||U^{-T} B||^2``.

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
        >>> from skinfluence.solvers import CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> solver, B = CholeskySolver().fit(op), np.eye(op.n_params)[:, :3]
        >>> np.allclose(solver.quad_form(B), np.diag(B.T @ solver.solve(B)))
        True
        """
        B = self._complement(np.asarray(B, dtype=np.float64))
        S = self.scale_ if B.ndim == 1 else self.scale_[:, None]
        W = linalg.solve_triangular(self.factor_[0], S * B, trans="T", check_finite=False)
        return np.einsum("ij,ij->j", W, W)


def _mirror_triangle(A, valid, step=64):
    """Copy the ``valid`` triangle of square ``A`` onto the other, in place, by
    blocks of columns (no ``n x n`` temporary)."""
    n = A.shape[0]
    T = A if valid == "upper" else A.T  # a view: mirror its upper triangle
    for j in range(0, n, step):
        e = min(j + step, n)
        T[e:, j:e] = T[j:e, e:].T
        block = T[j:e, j:e]
        block[...] = np.triu(block) + np.triu(block, 1).T
