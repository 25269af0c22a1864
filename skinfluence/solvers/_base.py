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
    """

    def fit(self, operator):
        """Prepare to apply ``H^{-1}`` for the Hessian ``operator``.

        Parameters
        ----------
        operator : HessianOperator

        Returns
        -------
        self
        """
        raise NotImplementedError

    def solve(self, B):
        """``H^{-1} B``.

        Parameters
        ----------
        B : ndarray of shape (n_params,) or (n_params, m)

        Returns
        -------
        ndarray shaped like ``B``
        """
        raise NotImplementedError

    def inverse(self):
        """``H^{-1}`` as a dense array, formed once (``n_params`` solves) and kept.

        Kept in ``inverse_``. Call it from the thread that owns the solver, before
        starting workers that read the result (it writes an attribute).

        Returns
        -------
        ndarray of shape (n_params, n_params)
        """
        if getattr(self, "inverse_", None) is None:
            self.inverse_ = self.solve(np.eye(self.n_params))
        return self.inverse_

    def quad_form(self, B):
        """``diag(B.T H^{-1} B)``.

        Parameters
        ----------
        B : ndarray of shape (n_params, m)

        Returns
        -------
        ndarray of shape (m,)
        """
        B = np.asarray(B, dtype=np.float64)
        return np.einsum("ij,ij->j", B, self.solve(B))
