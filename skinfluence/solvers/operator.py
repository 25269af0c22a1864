"""The Hessian of a fitted model's objective, dense or as matrix-free products."""

import numpy as np

from ..parallel import MATVEC_BLOCK_ELEMENTS, count_nonzero

__all__ = ["HessianOperator"]


class HessianOperator:
    """The Hessian of a fitted model's objective on its training data.

    Gives the dense matrix (:meth:`dense`) and matrix-free products
    (:meth:`matvec`) of ``H + damping * I``; ``null_space`` is the adapter's
    basis of directions the objective ignores (or ``None``), which solvers must
    treat exactly.

    Parameters
    ----------
    adapter : LinearModelAdapter
        The model's objective (see :mod:`skinfluence.models`).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray
        The encoded target (``adapter.encode_target(y)``).
    weights : ndarray of shape (n_samples,)
        The rows' weights ``c_i`` in the objective (zero for removed rows).
    damping : float, default=0.0
        Added to the diagonal.
    hessian : ndarray of shape (n_params, n_params), default=None
        The undamped dense Hessian, when already known.
    removed_weight : float, default=0.0
        Total weight of rows removed from a mean-form objective: their share of
        the penalty (``removed_weight * adapter.row_penalty_diagonal()``) is
        taken out too. Zero for sum-form objectives.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.models import make_adapter
    >>> from skinfluence.solvers import HessianOperator
    >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
    >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
    >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
    >>> op.dense()
    array([[12.,  6.],
           [ 6.,  6.]])
    >>> op.matvec(np.eye(2))
    array([[12.,  6.],
           [ 6.,  6.]])
    """

    def __init__(self, adapter, X, Y, weights, damping=0.0, hessian=None,
                 removed_weight=0.0):
        self.adapter = adapter
        self.X, self.Y, self.weights = X, Y, weights
        self.damping = float(damping)
        self.removed_weight = float(removed_weight)
        self.null_space = adapter.null_space()
        self.n_params = adapter.n_params
        self._dense = hessian
        self._curvature = None

    def penalty_diagonal(self):
        """Diagonal of the penalty's Hessian, less the removed rows' share.

        Returns
        -------
        penalty_diagonal : ndarray of shape (n_params,)

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> op.penalty_diagonal()  # alpha, doubled; the intercept is not penalised
        array([2., 0.])
        """
        a = self.adapter
        return a.penalty_diagonal() - self.removed_weight * a.row_penalty_diagonal()

    def dense(self):
        """``H + damping I`` as a dense float64 array (the undamped H is cached).

        Returns
        -------
        H : ndarray of shape (n_params, n_params)
            A new array each call.

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> damped = HessianOperator(adapter, X, op.Y, np.ones(3), damping=0.5)
        >>> damped.dense() - op.dense()
        array([[0.5, 0. ],
               [0. , 0.5]])
        """
        if self._dense is None:
            H = self.adapter.data_hessian(self.X, self.Y, self.weights)
            H[np.diag_indices_from(H)] += self.penalty_diagonal()
            self._dense = H
        H = self._dense.copy()
        H[np.diag_indices_from(H)] += self.damping
        return H

    def without_rows(self, rows):
        """The Hessian of the objective with ``rows`` removed, at the same theta.

        Removing rows is zeroing their weights (and, for a mean-form objective,
        taking out their share of the penalty); the dense matrix, when already
        built, is updated by subtracting those rows' terms only.

        Parameters
        ----------
        rows : array-like of int or bool mask

        Returns
        -------
        operator : HessianOperator
            A new operator; ``self`` is unchanged.

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> zeroed = HessianOperator(adapter, X, op.Y, np.array([1.0, 1.0, 0.0]))
        >>> np.allclose(op.without_rows([2]).dense(), zeroed.dense())
        True
        """
        weights = self.weights.copy()
        weights[rows] = 0.0
        removed = float(self.weights[rows].sum())
        hessian = None
        if self._dense is not None:
            hessian = self._dense - self.adapter.data_hessian(
                self.X[rows], self.Y[rows], self.weights[rows]
            )
            hessian[np.diag_indices_from(hessian)] -= (
                removed * self.adapter.row_penalty_diagonal()
            )
        return HessianOperator(
            self.adapter, self.X, self.Y, weights, self.damping, hessian=hessian,
            removed_weight=self.removed_weight + removed,
        )

    @property
    def curvature(self):
        """``c_i D_i`` of every row, computed once (``adapter.weighted_curvature``).

        Returns
        -------
        curvature : ndarray of shape (n_samples, K) or (n_samples, K, K)
            The row weight times the loss's second derivative in the ``K``
            linear predictors (a ``K x K`` block per row when they interact).

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> op.curvature.ravel()  # squared error: 2 per row of weight 1
        array([2., 2., 2.])
        """
        if self._curvature is None:
            a = self.adapter
            self._curvature = a.weighted_curvature(self.X, self.Y, self.weights)
        return self._curvature

    def diagonal(self):
        """Diagonal of ``H + damping I``, structural: one pass over X.

        Returns
        -------
        diagonal : ndarray of shape (n_params,)

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> np.allclose(op.diagonal(), np.diag(op.dense()))
        True
        """
        if self._dense is not None:
            return np.diag(self._dense) + self.damping
        data = self.adapter.curvature_diagonal(self.X, self.curvature)
        return data + self.penalty_diagonal() + self.damping

    def matvec(self, V):
        """``(H + damping I) V`` for V (n_params, m), matrix-free: two passes over X.

        Over blocks of training rows, so the intermediate ``(rows, K, m)`` array
        stays within :data:`MATVEC_BLOCK_ELEMENTS` whatever ``m``.

        Parameters
        ----------
        V : ndarray of shape (n_params, m) or (n_params,)

        Returns
        -------
        HV : ndarray of shape (n_params, m)

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> V = np.array([[1.0, 2.0], [3.0, -1.0]])
        >>> np.allclose(op.matvec(V), op.dense() @ V)
        True
        """
        V = np.asarray(V, dtype=np.float64).reshape(self.n_params, -1)
        a, n = self.adapter, self.X.shape[0]
        step = max(1, MATVEC_BLOCK_ELEMENTS // (a.n_outputs * V.shape[1]))
        out = (self.penalty_diagonal() + self.damping)[:, None] * V
        for s in range(0, n, step):
            rows = slice(s, min(n, s + step))
            out += a.curvature_product(self.X[rows], self.curvature[rows], V)
        return out

    def sample_matvec(self, V, rows):
        """Unbiased estimate of ``(H + damping I) V`` from the training rows ``rows``.

        The data part over ``rows`` is scaled by ``n / len(rows)``; the penalty
        and damping are exact. Used by the stochastic solver.

        Parameters
        ----------
        V : ndarray of shape (n_params, m) or (n_params,)
        rows : ndarray of int
            The sampled training rows.

        Returns
        -------
        HV : ndarray of shape (n_params, m)

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> V = np.array([1.0, 2.0])
        >>> np.allclose(op.sample_matvec(V, np.arange(3)), op.matvec(V))  # all rows
        True
        """
        V = np.asarray(V, dtype=np.float64).reshape(self.n_params, -1)
        data = self.adapter.curvature_product(self.X[rows], self.curvature[rows], V)
        out = data * (self.X.shape[0] / len(rows))
        return out + (self.penalty_diagonal()[:, None] + self.damping) * V

    def matvec_flops(self, m=1):
        """Flops of one :meth:`matvec` on ``m`` vectors (two passes over X, K outputs).

        Parameters
        ----------
        m : int, default=1
            Number of vectors.

        Returns
        -------
        flops : float

        Examples
        --------
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(3))
        >>> op.matvec_flops(), op.matvec_flops(m=4) == 4 * op.matvec_flops()
        (24.0, True)
        """
        X = self.X
        return 4.0 * (count_nonzero(X) + X.shape[0]) * self.adapter.n_outputs * m

    def project(self, B):
        """Remove the null-space component of B (n_params, m); B itself if none.

        Parameters
        ----------
        B : ndarray of shape (n_params, m)

        Returns
        -------
        B_projected : ndarray of shape (n_params, m)

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence.models import make_adapter
        >>> X, y = load_iris(return_X_y=True)
        >>> adapter = make_adapter(LogisticRegression(max_iter=1000).fit(X, y), y, None)
        >>> op = HessianOperator(adapter, X, adapter.encode_target(y), np.ones(150))
        >>> B = op.project(np.ones((op.n_params, 2)))  # multinomial: one null direction
        >>> op.null_space.shape, bool(np.abs(op.null_space.T @ B).max() < 1e-12)
        ((15, 1), True)
        """
        N = self.null_space
        if N is None:
            return B
        return B - N @ (N.T @ B)
