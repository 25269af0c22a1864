"""What every solver receives and offers: apply H^{-1} to a block of vectors."""

import numpy as np
from sklearn.base import BaseEstimator

from ..parallel import MATVEC_BLOCK_ELEMENTS, count_nonzero

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
        self._curvature = None

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

    @property
    def curvature(self):
        """``c_i D_i`` of every row, computed once (see ``adapter.weighted_curvature``)."""
        if getattr(self, "_curvature", None) is None:
            self._curvature = self.adapter.weighted_curvature(self.X, self.Y, self.weights)
        return self._curvature

    def diagonal(self):
        """Diagonal of ``H + damping I`` (n_params,), structural: one pass over X."""
        if self._dense is not None:
            return np.diag(self._dense) + self.damping
        return self.adapter.hessian_diagonal(
            self.X, self.Y, self.weights, curvature=self.curvature
        ) + self.damping

    def matvec(self, V):
        """``(H + damping I) V`` for V (n_params, m), matrix-free: two passes over X.

        Over blocks of training rows, so the intermediate ``(rows, K, m)`` array
        stays within :data:`MATVEC_BLOCK_ELEMENTS` whatever ``m``.
        """
        V = np.asarray(V, dtype=np.float64).reshape(self.n_params, -1)
        a, n = self.adapter, self.X.shape[0]
        step = max(1, MATVEC_BLOCK_ELEMENTS // (a.n_outputs * V.shape[1]))
        out = (a.penalty_diagonal() + self.damping)[:, None] * V
        for s in range(0, n, step):
            rows = slice(s, min(n, s + step))
            out += a.hessian_vector_product(
                self.X[rows], None, None, V, curvature=self.curvature[rows], penalty=False
            )
        return out

    def sample_matvec(self, V, rows):
        """Unbiased estimate of ``(H + damping I) V`` from the training rows ``rows``.

        The data part over ``rows`` is scaled by ``n / len(rows)``; the penalty
        and damping are exact. Used by the stochastic solver.
        """
        V = np.asarray(V, dtype=np.float64).reshape(self.n_params, -1)
        a = self.adapter
        data = a.hessian_vector_product(
            self.X[rows], None, None, V, curvature=self.curvature[rows], penalty=False
        )
        out = data * (self.X.shape[0] / len(rows))
        return out + (a.penalty_diagonal()[:, None] + self.damping) * V

    def matvec_flops(self, m=1):
        """Flops of one ``matvec`` on ``m`` vectors (two passes over X, K outputs)."""
        X = self.X
        return 4.0 * (count_nonzero(X) + X.shape[0]) * self.adapter.n_outputs * m

    def project(self, B):
        """Remove the null-space component of B (n_params, m); B itself if none."""
        N = self.null_space
        if N is None:
            return B
        return B - N @ (N.T @ B)


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
