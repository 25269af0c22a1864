"""What every solver offers: apply H^{-1} to a block of vectors."""

import numpy as np
from sklearn.base import BaseEstimator

from ..exceptions import SingularHessianError
from .operator import HessianOperator

__all__ = ["HessianOperator", "HessianSolver", "check_rank_bound"]


def check_rank_bound(operator):
    """Raise when ``H`` is singular by counting alone (for matrix-free solvers).

    The data part of ``H`` has rank at most ``K`` per row of non-zero weight; the
    penalty and damping add one per parameter they reach. Below
    ``n_params - dim(null space)`` (e.g. ``LinearRegression`` with more features
    than rows), ``H`` is singular, although a matrix-free solver, which never
    factorises it, would return numbers (often zeros: an interpolating fit's
    rows have zero gradients).

    Parameters
    ----------
    operator : HessianOperator

    Raises
    ------
    SingularHessianError
        Naming the counts.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.solvers import check_rank_bound
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.randn(5, 10), rng.randn(5)
    >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
    >>> check_rank_bound(op)  # 5 rows + 10 penalised coefficients >= 11: no error
    """
    n_rows = int(np.count_nonzero(operator.weights))
    rank = n_rows * operator.adapter.n_outputs + int(
        np.count_nonzero(operator.penalty_diagonal() + operator.damping > 0))
    N = operator.null_space
    needed = operator.n_params - (0 if N is None else N.shape[1])
    if rank < needed:
        raise SingularHessianError(
            f"The Hessian of the objective is singular: {n_rows} row(s) of non-zero "
            f"weight and the penalty give it rank at most {rank}, below the "
            f"{needed} it needs (n_params={operator.n_params}). This happens with more "
            "features than rows and no (or a partial) penalty. Pass damping > 0 to "
            "InfluenceExplainer, use a penalised model, or reduce the features."
        )


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
