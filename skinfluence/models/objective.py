"""A linear model's objective: a loss, ``fit_intercept`` and an L2 penalty."""

import numpy as np
from scipy import sparse

from .design import (
    augmented_dot,
    augmented_tdot,
    block_sandwich_dots,
    sandwich_dot,
    squared_tdot,
)

__all__ = ["LinearObjective"]


class LinearObjective:
    r"""The sum-form objective of a linear model, at parameters ``theta``.

    With ``z_i = W x_i + b`` the raw linear predictor (``K`` outputs), ``c_i``
    the weight of row ``i`` and ``lambda_k`` the L2 strength of output ``k``::

        F(theta) = sum_i c_i loss(y_i, z_i) + 1/2 sum_k lambda_k ||W_k||^2

    Gradient of row ``i``'s loss term (structured: residual times features)::

        c_i grad_i = c_i r_i (x) [x_i, 1],        r_i = d loss / d z_i      (K,)

    Hessian::

        H = sum_i c_i J_i^T D_i J_i + diag(lambda (x) [1, ..., 1, 0]),
        J_i = I_K (x) [x_i, 1],     D_i = d^2 loss / d z_i^2              (K, K)

    A mean-form objective ``1/sum(c) sum_i c_i loss_i + beta/2 ||W||^2`` (the
    GLMs) is, times ``sum(c)``, this with ``lambda = beta sum_i c_i``: each row
    carries ``penalty_share = beta`` per unit of weight, so removing row ``j``
    also removes ``c_j beta/2 ||W||^2`` (gradient ``c_j beta P theta``, Hessian
    ``c_j beta P``, ``P`` the penalty mask). :meth:`row_penalty_gradient` and
    :meth:`row_penalty_diagonal` give these per unit weight; both are zero
    for sum-form objectives (``penalty_share = 0``).

    Conventions:

    - ``theta`` is stored *augmented*: shape ``(K, n_dof)`` with
      ``n_dof = n_features + fit_intercept``, the intercept last in each row,
      raveled in C order (output-major). :meth:`to_public` converts a
      parameter axis to the public layout of ``params_influence``: ``coef_``
      raveled, then ``intercept_``.
    - ``Y`` is the encoded target the loss expects; ``weights`` are the
      ``c_i`` (sample_weight x class_weight).
    - Everything is float64. The penalty never touches the intercept.

    Parameters
    ----------
    loss : LinearLoss
        The per-row loss (see :mod:`skinfluence.models.losses`).
    coef : array-like of shape (K, n_features) or (n_features,)
    intercept : float or array-like of shape (K,)
    fit_intercept : bool
    l2_strength : float or array-like of shape (K,)
        ``lambda_k``, the whole penalty's strength per output.
    penalty_share : float, default=0.0
        The part of ``lambda`` each unit of row weight carries (mean form).

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import LinearObjective, SquaredLoss
    >>> X, Y = np.array([[0.0], [1.0], [2.0]]), np.array([[1.0], [3.0], [5.0]])
    >>> obj = LinearObjective(SquaredLoss(), [[2.0]], [1.0], fit_intercept=True,
    ...                       l2_strength=0.0)
    >>> obj.objective_gradient(X, Y, np.ones(3))  # an exact fit: at the optimum
    array([0., 0.])
    >>> obj.hessian(X, Y, np.ones(3))
    array([[10.,  6.],
           [ 6.,  6.]])
    """

    def __init__(self, loss, coef, intercept, *, fit_intercept, l2_strength,
                 penalty_share=0.0):
        self.loss_function = loss
        coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        self.n_outputs, self.n_features = coef.shape
        self.fit_intercept = bool(fit_intercept)
        intercept = np.broadcast_to(
            np.asarray(intercept, dtype=np.float64), (self.n_outputs,)
        )
        if self.fit_intercept:
            self.theta = np.hstack([coef, intercept[:, None]])
        else:
            self.theta = coef.copy()
            if np.any(intercept != 0):
                raise ValueError("fit_intercept=False but intercept_ is not zero.")
        self.l2_strength = np.broadcast_to(
            np.asarray(l2_strength, dtype=np.float64), (self.n_outputs,)
        ).copy()
        self.penalty_share = float(penalty_share)

    # ----------------------------------------------------------------- sizes
    @property
    def n_dof(self):
        """Parameters per output: ``n_features + fit_intercept``."""
        return self.n_features + int(self.fit_intercept)

    @property
    def n_params(self):
        """Length of the raveled ``theta``: ``n_outputs * n_dof``."""
        return self.n_outputs * self.n_dof

    @property
    def curvature_is_diagonal(self):
        """True when ``D_i`` is diagonal (no coupling between outputs)."""
        return self.loss_function.curvature_is_diagonal

    # ------------------------------------------------------------ per row
    def decision(self, X, theta=None):
        """Linear predictor ``Z = [X, 1] theta^T``, at ``theta`` if given.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        theta : ndarray of shape (n_params,) or (K, n_dof), default=None

        Returns
        -------
        ndarray of shape (n_samples, K)
        """
        theta = self.theta if theta is None else theta.reshape(self.theta.shape)
        return augmented_dot(X, theta, self.fit_intercept)

    def loss(self, Z, Y):
        """Per-row loss at linear predictor ``Z`` (no weight, no penalty)."""
        return self.loss_function.loss(Z, Y)

    def loss_gradient(self, Z, Y):
        """Per-row loss and ``d loss / dz`` (the residual ``r_i``)."""
        loss, dZ, _ = self.loss_function.loss_terms(Z, Y, gradient=True)
        return loss, dZ

    def curvature(self, Z, Y):
        """``D_i = d^2 loss / dz^2``: (n, K), or (n, K, K) when outputs couple."""
        return self.loss_function.curvature(Z, Y)

    def weighted_curvature(self, X, Y, weights):
        """``c_i D_i`` for every row at ``theta``, the input of the products below."""
        D = self.curvature(self.decision(X), Y)
        return D * (weights[:, None] if D.ndim == 2 else weights[:, None, None])

    # ------------------------------------------------------------ penalty
    def penalty_diagonal(self):
        """Diagonal of the penalty's Hessian ``lambda (x) P``, raveled (n_params,)."""
        diag = np.repeat(self.l2_strength[:, None], self.n_dof, axis=1)
        if self.fit_intercept:
            diag[:, -1] = 0.0
        return diag.ravel()

    def row_penalty_diagonal(self):
        """``penalty_share * P``: the penalty Hessian one unit of row weight carries."""
        diag = np.full((self.n_outputs, self.n_dof), self.penalty_share)
        if self.fit_intercept:
            diag[:, -1] = 0.0
        return diag.ravel()

    def row_penalty_gradient(self):
        """``penalty_share * P theta``: the penalty gradient one unit of weight carries.

        Row ``j``'s whole term in the objective has gradient
        ``c_j (grad_j + row_penalty_gradient())``; zero for sum-form objectives.
        """
        return self.row_penalty_diagonal() * self.theta.ravel()

    # ----------------------------------------------------------- gradient
    def data_gradient(self, X, Y, weights):
        """``sum_i c_i grad_i`` over the rows given (loss only), raveled.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray, the encoded target
        weights : ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_params,)
        """
        _, dZ = self.loss_gradient(self.decision(X), Y)
        return augmented_tdot(X, dZ * weights[:, None], self.fit_intercept).T.ravel()

    def removal_gradient(self, X, Y, weights):
        """Gradient of the rows' whole terms, penalty share included, raveled.

        ``sum_i c_i (grad_i + row_penalty_gradient())``: what removing the rows
        takes out of the objective's gradient.
        """
        share = weights.sum() * self.row_penalty_gradient()
        return self.data_gradient(X, Y, weights) + share

    def objective_gradient(self, X, Y, weights):
        """``grad F(theta)`` raveled in the augmented layout.

        Parameters
        ----------
        X, Y, weights : the training rows, as in :meth:`data_gradient`

        Returns
        -------
        ndarray of shape (n_params,)
        """
        penalty = self.penalty_diagonal() * self.theta.ravel()
        return self.data_gradient(X, Y, weights) + penalty

    def row_gradient_scale(self, X, Y, weights):
        """Root mean square of ``||c_i grad_i||`` without forming the gradients."""
        _, dZ = self.loss_gradient(self.decision(X), Y)
        if sparse.issparse(X):
            sq_norms = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        else:
            sq_norms = np.einsum("ij,ij->i", X, X)
        sq_norms = sq_norms + self.fit_intercept
        return float(np.sqrt(np.mean(weights**2 * (dZ**2).sum(1) * sq_norms)))

    def row_gradients(self, X, Y, weights):
        """The matrix of ``c_i grad_i`` (loss only), (n_samples, n_params).

        Only on request: the kernels use the structured form.
        """
        _, dZ = self.loss_gradient(self.decision(X), Y)
        E = dZ * weights[:, None]
        Xd = self.augmented_rows(X)
        return (E[:, :, None] * Xd[:, None, :]).reshape(X.shape[0], -1)

    # ------------------------------------------------------------ Hessian
    def data_hessian(self, X, Y, weights):
        """``sum_i c_i J_i^T D_i J_i`` (no penalty), dense (n_params, n_params).

        One BLAS-3 sandwich product per output (outputs with the same curvature,
        squared loss, share one); coupled outputs' blocks all come from
        :func:`~skinfluence.models.block_sandwich_dots`.

        Parameters
        ----------
        X, Y, weights : the rows, as in :meth:`data_gradient`

        Returns
        -------
        ndarray of shape (n_params, n_params)

        Examples
        --------
        >>> import numpy as np
        >>> from skinfluence.models import LinearObjective, MultinomialLoss
        >>> obj = LinearObjective(MultinomialLoss(3), np.zeros((3, 2)), 0.0,
        ...                       fit_intercept=True, l2_strength=1.0)
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
        >>> H = obj.data_hessian(X, np.array([0, 2]), np.ones(2))
        >>> H.shape, bool(np.allclose(H, H.T)), bool(np.allclose(H.sum(axis=0), 0))
        ((9, 9), True, True)
        """
        D = self.curvature(self.decision(X), Y)
        K, d = self.n_outputs, self.n_dof
        if not self.curvature_is_diagonal:  # the K (K + 1) / 2 distinct blocks
            k, l = np.triu_indices(K)
            return block_sandwich_dots(X, D[:, k, l] * weights[:, None],
                                       self.fit_intercept)
        H = np.zeros((K, d, K, d))
        shared = bool(np.all(D == D[:, :1]))
        for k in range(K):
            if k == 0 or not shared:
                block = sandwich_dot(X, D[:, k] * weights, self.fit_intercept)
            H[k, :, k, :] = block
        return H.reshape(K * d, K * d)

    def hessian(self, X, Y, weights):
        """Hessian of the whole objective, dense.

        Parameters
        ----------
        X, Y, weights : the training rows, as in :meth:`data_gradient`

        Returns
        -------
        ndarray of shape (n_params, n_params)
        """
        H = self.data_hessian(X, Y, weights)
        H[np.diag_indices_from(H)] += self.penalty_diagonal()
        return H

    def curvature_diagonal(self, X, weighted_curvature):
        """Diagonal of ``sum_i J_i^T (c_i D_i) J_i`` (no penalty), raveled.

        Structural, one pass over X: ``sum_i c_i D_i,kk x_ij^2`` (and
        ``sum_i c_i D_i,kk`` for an intercept). Sparse X stays sparse.
        """
        cD = weighted_curvature
        dkk = cD if cD.ndim == 2 else np.einsum("ikk->ik", cD)
        return squared_tdot(X, dkk, self.fit_intercept).T.ravel()

    def hessian_diagonal(self, X, Y, weights):
        """Diagonal of the Hessian of the whole objective, raveled (n_params,)."""
        cD = self.weighted_curvature(X, Y, weights)
        return self.curvature_diagonal(X, cD) + self.penalty_diagonal()

    def curvature_product(self, X, weighted_curvature, V):
        """``sum_i J_i^T (c_i D_i) J_i V`` for V (n_params, m): two passes over X.

        ``weighted_curvature`` is :meth:`weighted_curvature` of the same rows.
        """
        K, d = self.n_outputs, self.n_dof
        n, m = X.shape[0], V.shape[1]
        cD = weighted_curvature
        # Z-space directions dZ[i, k, j] = J_i V_j, all outputs in one product
        W = V.reshape(K, d, m).transpose(1, 0, 2)
        W = np.ascontiguousarray(W).reshape(d, K * m)
        if self.fit_intercept:
            dZ = np.asarray(X @ W[:-1])
            dZ += W[-1]
        else:
            dZ = np.asarray(X @ W)
        dZ = dZ.reshape(n, K, m)
        if cD.ndim == 2:
            dZ *= cD[:, :, None]
        else:
            dZ = np.matmul(cD, dZ)
        out = augmented_tdot(X, dZ.reshape(n, K * m), self.fit_intercept)  # (d, K*m)
        return out.reshape(d, K, m).transpose(1, 0, 2).reshape(K * d, m)

    def hessian_vector_product(self, X, Y, weights, V):
        """``H @ V``, penalty included, matrix-free.

        Parameters
        ----------
        X, Y, weights : the training rows, as in :meth:`data_gradient`
        V : ndarray of shape (n_params, m)

        Returns
        -------
        ndarray of shape (n_params, m)
        """
        cD = self.weighted_curvature(X, Y, weights)
        return self.curvature_product(X, cD, V) + self.penalty_diagonal()[:, None] * V

    def null_space(self):
        """Orthonormal basis (n_params, m) of directions the objective ignores.

        For a shift-invariant loss (softmax): adding one vector to every output's
        *unpenalised* parameters, i.e. the intercepts always, every column when
        there is no penalty. ``None`` when the objective has no invariance.
        """
        if not self.loss_function.shift_invariant:
            return None
        K, d = self.n_outputs, self.n_dof
        free = np.flatnonzero(self.penalty_diagonal().reshape(K, d).max(axis=0) == 0)
        if not free.size:
            return None
        N = np.zeros((K, d, free.size))
        N[:, free, np.arange(free.size)] = 1.0 / np.sqrt(K)
        return N.reshape(K * d, -1)

    # -------------------------------------------------------------- rows
    def augmented_rows(self, X):
        """The rows ``[x_i, 1]`` (or ``x_i`` without intercept), dense: (n, n_dof).

        Only for blocks of rows: a sparse X is densified here.
        """
        Xd = X.toarray() if sparse.issparse(X) else np.asarray(X)
        if self.fit_intercept:
            Xd = np.hstack([Xd, np.ones((Xd.shape[0], 1))])
        return Xd

    def jacobian_solve_inputs(self, X):
        """The columns ``J_i^T e_k`` for every row of X: (n_params, n_rows * K).

        Column ``i * K + k`` is ``e_k (x) [x_i, 1]``.
        """
        n, K, d = X.shape[0], self.n_outputs, self.n_dof
        Xd = self.augmented_rows(X)
        B = np.zeros((K, d, n, K))
        for k in range(K):
            B[k, :, :, k] = Xd.T
        return B.reshape(K * d, n * K)

    def to_public(self, A):
        """Reorder the last axis from the augmented to the public layout.

        Parameters
        ----------
        A : ndarray of shape (..., n_params), augmented layout

        Returns
        -------
        ndarray of shape (..., n_params): ``coef_`` raveled, then ``intercept_``
        """
        K, d, p = self.n_outputs, self.n_dof, self.n_features
        A = np.asarray(A).reshape(*A.shape[:-1], K, d)
        if not self.fit_intercept:
            return A.reshape(*A.shape[:-2], K * p)
        return np.concatenate(
            [A[..., :p].reshape(*A.shape[:-2], K * p), A[..., p]], axis=-1
        )
