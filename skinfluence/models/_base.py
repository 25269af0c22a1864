"""The part of every linear-model adapter that does not depend on the loss."""

import numpy as np
from scipy import sparse

__all__ = ["LinearModelAdapter"]


def _augmented_dot(X, W, fit_intercept):
    """``[X, 1] @ W.T`` for ``W`` of shape ``(m, n_features + fit_intercept)``.

    The augmented matrix ``[X, 1]`` is never built, so sparse X stays sparse.
    """
    if fit_intercept:
        out = X @ W[:, :-1].T
        out += W[:, -1]
    else:
        out = X @ W.T
    return np.asarray(out)


def _augmented_tdot(X, A, fit_intercept):
    """``[X, 1].T @ A`` for ``A`` of shape ``(n_samples, m)``: shape (n_dof, m)."""
    XtA = np.asarray(X.T @ A)
    if fit_intercept:
        XtA = np.vstack([XtA, A.sum(axis=0, keepdims=True)])
    return XtA


#: ``_sandwich`` builds ``X^T diag(w) X`` from blocks of at most this many values.
_SANDWICH_BLOCK_ELEMENTS = 2**22


def _sandwich(X, w, fit_intercept):
    """``[X, 1].T @ diag(w) @ [X, 1]`` with one BLAS-3 product (or a sparse one)."""
    if sparse.issparse(X):
        wX = sparse.diags_array(w) @ X
        XtwX = (X.T @ wX).toarray()
        wX_sum = np.asarray(wX.sum(axis=0)).ravel()
    else:  # blocks of rows: no n x p temporary, still one BLAS-3 product each
        p = X.shape[1]
        step = max(1, _SANDWICH_BLOCK_ELEMENTS // max(1, p))
        XtwX, wX_sum = np.zeros((p, p)), np.zeros(p)
        for s in range(0, X.shape[0], step):
            wX = X[s:s + step] * w[s:s + step, None]
            XtwX += X[s:s + step].T @ wX
            wX_sum += wX.sum(axis=0)
    if not fit_intercept:
        return XtwX
    n_dof = X.shape[1] + 1
    out = np.empty((n_dof, n_dof))
    out[:-1, :-1] = XtwX
    out[:-1, -1] = wX_sum
    out[-1, :-1] = wX_sum
    out[-1, -1] = w.sum()
    return out


class LinearModelAdapter:
    r"""A fitted linear model seen as the minimiser of a sum-form objective.

    The objective, with ``z_i = W x_i + b`` the linear predictor (``K`` outputs),
    ``c_i`` the weight of row ``i`` and ``\lambda_k`` the L2 strength of output ``k``::

        F(theta) = sum_i c_i loss(y_i, z_i) + 1/2 sum_k lambda_k ||W_k||^2

    Gradient of row ``i``'s term (structured: residual times features)::

        c_i grad_i = c_i r_i (x) [x_i, 1],        r_i = d loss / d z_i      (K,)

    Hessian::

        H = sum_i c_i J_i^T D_i J_i + diag(lambda (x) [1, ..., 1, 0]),
        J_i = I_K (x) [x_i, 1],     D_i = d^2 loss / d z_i^2              (K, K)

    Subclasses supply the loss through one hook, :meth:`_loss_terms`, and say how
    they read an estimator (:meth:`from_estimator`).

    Conventions
    -----------
    - ``theta`` is stored *augmented*: shape ``(K, n_dof)`` with
      ``n_dof = n_features + fit_intercept``, the intercept last in each row,
      raveled in C order (output-major). ``to_public`` converts a parameter axis to
      the public layout of ``params_influence``: ``coef_`` raveled, then
      ``intercept_``.
    - ``Y`` is the encoded target: class indices for logistic models, a float
      array of shape ``(n, K)`` for squared loss.
    - Everything is float64.
    """

    #: True when ``D_i`` is diagonal (no coupling between outputs).
    curvature_is_diagonal = True

    def __init__(self, coef, intercept, *, fit_intercept, l2_strength):
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

    # ------------------------------------------------------------------ hooks
    def _loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        """Per-row loss, and optionally ``d loss/dz`` and ``d^2 loss/dz^2``.

        ``Z`` has shape ``(..., K)``; returns ``loss`` of shape ``(...)``,
        ``dZ`` of shape ``(..., K)`` and the curvature ``(n, K)`` when
        :attr:`curvature_is_diagonal`, else ``(n, K, K)``.
        """
        raise NotImplementedError

    def encode_target(self, y):
        """Check ``y`` and return its encoded form ``Y``."""
        raise NotImplementedError

    # ------------------------------------------------------------ quantities
    @property
    def n_dof(self):
        return self.n_features + int(self.fit_intercept)

    @property
    def n_params(self):
        return self.n_outputs * self.n_dof

    def decision(self, X, theta=None):
        """Linear predictor ``Z`` of shape (n_samples, K)."""
        theta = self.theta if theta is None else theta.reshape(self.theta.shape)
        return _augmented_dot(X, theta, self.fit_intercept)

    def loss(self, Z, Y):
        return self._loss_terms(Z, Y)[0]

    def loss_gradient(self, Z, Y):
        loss, dZ, _ = self._loss_terms(Z, Y, gradient=True)
        return loss, dZ

    def curvature(self, Z, Y):
        return self._loss_terms(Z, Y, curvature=True)[2]

    def penalty_diagonal(self):
        """Diagonal of the penalty's Hessian, augmented layout, raveled."""
        diag = np.repeat(self.l2_strength[:, None], self.n_dof, axis=1)
        if self.fit_intercept:
            diag[:, -1] = 0.0
        return diag.ravel()

    def data_gradient(self, X, Y, weights):
        """``sum_i c_i grad_i`` over the rows given (no penalty), raveled."""
        _, dZ = self.loss_gradient(self.decision(X), Y)
        return _augmented_tdot(X, dZ * weights[:, None], self.fit_intercept).T.ravel()

    def objective_gradient(self, X, Y, weights):
        """``grad F(theta)`` raveled in the augmented layout."""
        return self.data_gradient(X, Y, weights) + self.penalty_diagonal() * self.theta.ravel()

    def row_gradient_scale(self, X, Y, weights):
        """Root mean square of ``||c_i grad_i||`` without forming the gradients."""
        _, dZ = self.loss_gradient(self.decision(X), Y)
        if sparse.issparse(X):
            sq_norms = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        else:
            sq_norms = np.einsum("ij,ij->i", X, X)
        sq_norms = sq_norms + self.fit_intercept
        return float(np.sqrt(np.mean(weights**2 * (dZ**2).sum(1) * sq_norms)))

    def data_hessian(self, X, Y, weights):
        """``sum_i c_i J_i^T D_i J_i`` (no penalty), dense (n_params, n_params).

        One BLAS-3 sandwich product per pair of coupled outputs; outputs with the
        same curvature (squared loss) share one product.
        """
        D = self.curvature(self.decision(X), Y)
        K, d = self.n_outputs, self.n_dof
        H = np.zeros((K, d, K, d))
        if self.curvature_is_diagonal:
            shared = bool(np.all(D == D[:, :1]))
            for k in range(K):
                if k == 0 or not shared:
                    block = _sandwich(X, D[:, k] * weights, self.fit_intercept)
                H[k, :, k, :] = block
        else:
            for k in range(K):
                for l in range(k, K):
                    block = _sandwich(X, D[:, k, l] * weights, self.fit_intercept)
                    H[k, :, l, :] = block
                    H[l, :, k, :] = block.T
        return H.reshape(K * d, K * d)

    def hessian(self, X, Y, weights):
        """Hessian of the whole objective, dense (n_params, n_params)."""
        H = self.data_hessian(X, Y, weights)
        H[np.diag_indices_from(H)] += self.penalty_diagonal()
        return H

    def weighted_curvature(self, X, Y, weights):
        """``c_i D_i`` for every row: (n, K) if :attr:`curvature_is_diagonal`, else (n, K, K).

        Computed once by :class:`~skinfluence.solvers.HessianOperator` and passed to
        :meth:`hessian_vector_product` and :meth:`hessian_diagonal`.
        """
        D = self.curvature(self.decision(X), Y)
        return D * (weights[:, None] if D.ndim == 2 else weights[:, None, None])

    def hessian_diagonal(self, X, Y, weights, curvature=None):
        """Diagonal of the Hessian of the whole objective, raveled (n_params,).

        Structural, one pass over X: ``sum_i c_i D_i,kk x_ij^2`` plus the penalty
        (``sum_i c_i D_i,kk`` for an intercept). Sparse X stays sparse.
        """
        cD = self.weighted_curvature(X, Y, weights) if curvature is None else curvature
        dkk = cD if cD.ndim == 2 else np.einsum("ikk->ik", cD)
        if sparse.issparse(X):
            diag = _augmented_tdot(X.multiply(X), dkk, self.fit_intercept)  # (n_dof, K)
        else:  # blocks of rows: no n x p temporary
            step = max(1, 2**22 // max(1, X.shape[1]))
            diag = sum(
                _augmented_tdot(np.square(X[s:s + step]), dkk[s:s + step], self.fit_intercept)
                for s in range(0, X.shape[0], step)
            )
        return diag.T.ravel() + self.penalty_diagonal()

    def hessian_vector_product(self, X, Y, weights, V, curvature=None, penalty=True):
        """``H @ V`` for ``V`` of shape (n_params, m): two passes over X for all outputs.

        ``curvature``: :meth:`weighted_curvature`, when already computed;
        ``penalty=False``: the data part only (``sum_i c_i J_i^T D_i J_i V``).
        """
        K, d = self.n_outputs, self.n_dof
        n, m = X.shape[0], V.shape[1]
        cD = self.weighted_curvature(X, Y, weights) if curvature is None else curvature
        # Z-space directions dZ[i, k, j] = J_i V_j, all outputs in one product
        W = np.ascontiguousarray(V.reshape(K, d, m).transpose(1, 0, 2)).reshape(d, K * m)
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
        out = _augmented_tdot(X, dZ.reshape(n, K * m), self.fit_intercept)  # (d, K*m)
        out = out.reshape(d, K, m).transpose(1, 0, 2).reshape(K * d, m)
        return out + self.penalty_diagonal()[:, None] * V if penalty else out

    def null_space(self):
        """Orthonormal basis (n_params, m) of directions the objective ignores.

        ``None`` when the objective has no invariance. Subclasses with a
        redundant parametrisation (multinomial) override it.
        """
        return None

    def row_gradients(self, X, Y, weights):
        """The full matrix of ``c_i grad_i``, (n_samples, n_params): only on request."""
        _, dZ = self.loss_gradient(self.decision(X), Y)
        E = dZ * weights[:, None]
        Xd = self.augmented_rows(X)
        return (E[:, :, None] * Xd[:, None, :]).reshape(X.shape[0], -1)

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

    # ---------------------------------------------------------------- layout
    def to_public(self, A):
        """Reorder the last axis from the augmented to the public layout."""
        K, d, p = self.n_outputs, self.n_dof, self.n_features
        A = np.asarray(A).reshape(*A.shape[:-1], K, d)
        if not self.fit_intercept:
            return A.reshape(*A.shape[:-2], K * p)
        return np.concatenate(
            [A[..., :p].reshape(*A.shape[:-2], K * p), A[..., p]], axis=-1
        )
