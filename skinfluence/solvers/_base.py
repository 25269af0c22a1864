"""What every solver receives and offers: apply H^{-1} to a block of vectors."""

import numpy as np

__all__ = ["HessianOperator", "HessianSolver"]


class HessianOperator:
    """The Hessian of a fitted model's objective on its training data.

    Gives the dense matrix (``dense``) and matrix-free products (``matvec``) of
    ``H + damping * I``; ``null_space`` is the adapter's basis of directions the
    objective ignores (or ``None``), which solvers must treat exactly.
    """

    def __init__(self, adapter, X, Y, weights, damping=0.0, hessian=None):
        self.adapter = adapter
        self.X, self.Y, self.weights = X, Y, weights
        self.damping = float(damping)
        self.null_space = adapter.null_space()
        self.n_params = adapter.n_params
        self._dense = hessian

    def dense(self):
        """``H + damping I`` as a dense float64 array (cached)."""
        if self._dense is None:
            self._dense = self.adapter.hessian(self.X, self.Y, self.weights)
        H = self._dense.copy()
        H[np.diag_indices_from(H)] += self.damping
        return H

    def without_rows(self, rows):
        """The Hessian of the objective with ``rows`` removed, at the same theta.

        Removing rows is zeroing their weights; the dense matrix, when already
        built, is updated by subtracting those rows' curvature only.
        """
        weights = self.weights.copy()
        weights[rows] = 0.0
        hessian = None
        if self._dense is not None:
            hessian = self._dense - self.adapter.data_hessian(
                self.X[rows], self.Y[rows], self.weights[rows]
            )
        return HessianOperator(
            self.adapter, self.X, self.Y, weights, self.damping, hessian=hessian
        )

    def matvec(self, V):
        V = np.asarray(V, dtype=np.float64).reshape(self.n_params, -1)
        out = self.adapter.hessian_vector_product(self.X, self.Y, self.weights, V)
        return out + self.damping * V


class HessianSolver:
    """Interface: ``fit(operator)``, then ``solve(B)`` = H^{-1} B for B (n_params, m).

    On the null space N of a redundant parametrisation, ``solve`` returns the
    minimum-norm solution: the right-hand sides given are orthogonal to N, and
    the solution is kept orthogonal to N.
    """

    def fit(self, operator):
        raise NotImplementedError

    def solve(self, B):
        raise NotImplementedError

    def quad_form(self, B):
        """``diag(B.T H^{-1} B)``, shape (m,)."""
        B = np.asarray(B, dtype=np.float64)
        return np.einsum("ij,ij->j", B, self.solve(B))
