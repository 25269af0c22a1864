"""What every solver offers: apply H^{-1} to a block of vectors."""

import numpy as np
from sklearn.base import BaseEstimator

from .operator import HessianOperator

__all__ = ["HessianOperator", "HessianSolver"]


class HessianSolver(BaseEstimator):
    """Interface: ``fit(operator)``, then ``solve(B)`` = H^{-1} B for B (n_params, m).

    Solvers are estimator-style: their options are constructor parameters, so
    ``get_params``, ``set_params``, ``repr`` and :func:`sklearn.base.clone` work
    as for any scikit-learn estimator; ``fit`` stores what it computes in
    attributes ending in ``_``.

    On the null space N of a redundant parametrisation, ``solve`` returns the
    minimum-norm solution: the right-hand sides given are orthogonal to N, and
    the solution is kept orthogonal to N.

    Attributes
    ----------
    n_params : int
        Size of the Hessian, set by ``fit``.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> from skinfluence.solvers import SOLVERS, CGSolver, HessianSolver
    >>> all(issubclass(cls, HessianSolver) for cls in SOLVERS.values())
    True
    >>> clone(CGSolver(tol=1e-6)).get_params()
    {'max_iter': None, 'tol': 1e-06}
    """

    def fit(self, operator):
        """Prepare to apply ``H^{-1}`` for the Hessian ``operator``.

        Parameters
        ----------
        operator : HessianOperator
            The Hessian ``H`` (with its damping and null space).

        Returns
        -------
        self : HessianSolver
            Fitted.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> CholeskySolver().fit(op).n_params  # 10 coefficients and the intercept
        11
        """
        raise NotImplementedError

    def solve(self, B):
        """``H^{-1} B``.

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
        >>> np.allclose(op.matvec(CholeskySolver().fit(op).solve(B)), B)
        True
        """
        raise NotImplementedError

    def inverse(self):
        """``H^{-1}`` as a dense array, formed once (``n_params`` solves) and kept.

        Kept in ``inverse_``. Call it from the thread that owns the solver, before
        starting workers that read the result (it writes an attribute).

        Returns
        -------
        H_inv : ndarray of shape (n_params, n_params)
            The same array on every call.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CholeskySolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> solver = CholeskySolver().fit(op)
        >>> np.allclose(solver.inverse() @ op.dense(), np.eye(op.n_params))
        True
        """
        if getattr(self, "inverse_", None) is None:
            self.inverse_ = self.solve(np.eye(self.n_params))
        return self.inverse_

    def quad_form(self, B):
        """``diag(B.T H^{-1} B)``.

        Parameters
        ----------
        B : ndarray of shape (n_params, m)
            Columns ``b_j``.

        Returns
        -------
        q : ndarray of shape (m,)
            ``b_j^T H^{-1} b_j``, positive for a positive definite ``H``.

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
        B = np.asarray(B, dtype=np.float64)
        return np.einsum("ij,ij->j", B, self.solve(B))
