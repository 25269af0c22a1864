r"""Objectives with an L1 part, read on their active set (the non-zero coefficients).

An L1 term ``lambda_1 ||W||_1`` has no curvature and a kink at zero. Where the
coefficients are non-zero it is *linear*, with constant gradient
``lambda_1 sign(W)``, so on the active set ``A = {(k, j) : W_kj != 0}`` the
objective is smooth and its Hessian is the data Hessian plus the L2 part
restricted to ``A``. Keeping the zero coefficients at zero and the intercepts
free, influence on ``theta_A = (W_A, b)`` is exact to first order *while
removing rows does not change the support*. :meth:`ActiveSetAdapter.
check_local_validity` predicts, per row, whether its removal would change the
signed support and warns when more than :data:`SUPPORT_CHANGE_TOLERANCE` of the
rows would.

With several outputs (a multinomial fit) each output ``k`` has its own support.
The parameters are then laid out on the *union* of the supports: ``theta`` has
shape ``(K, n_active + 1)`` (``n_active`` = features active in some output) and
the entries ``(k, j)`` with ``W_kj = 0`` are *frozen*: zero rows and columns of
the Hessian, zero gradient, and unit vectors of :meth:`ActiveSetAdapter.
null_space`, so every solver returns the restricted solution
``E (E^T H E)^+ E^T b`` (``E`` selecting the active entries). Softmax is
invariant to adding one vector to every class's parameters; on the active set
that stays a null direction along the intercepts (unpenalised) and, with no L2
part (``l1_ratio = 1``), along each feature active in *every* class: there the
L1 term is locally linear and, at an optimum, ``sum_k sign(W_kj) = 0`` (so it
needs an even number of classes), making the objective flat along
``W_:j + c``. Both directions are in the null space too (pseudo-inverse: the
minimum-norm shift, which leaves every prediction unchanged along them).

Conventions: the reader's parameters are ``theta_A`` (``n_features`` is the
number of active columns); :meth:`ActiveSetAdapter.design` selects the active
columns of a full feature matrix, and the explainer hands the objective that
design. :meth:`ActiveSetAdapter.to_public` scatters back to the public layout
(``coef_`` raveled with zeros at inactive coordinates, then ``intercept_``).
:meth:`ActiveSetAdapter.decision` accepts either the full matrix or its active
columns (it tells them apart by their width, and the two coincide when every
coefficient is active).
"""

import warnings

import numpy as np
from scipy import sparse

from ..exceptions import InfluenceWarning
from .adapter import LinearModelAdapter
from .objective import LinearObjective

__all__ = ["ActiveSetAdapter", "SUPPORT_CHANGE_TOLERANCE", "SUPPORT_CHECK_ROWS"]

#: Warn when the removal of more than this share of the rows would change the support.
SUPPORT_CHANGE_TOLERANCE = 0.05
#: The support check looks at all rows up to this many, else at a sample of them.
SUPPORT_CHECK_ROWS = 2000
#: The support check handles rows in blocks of at most this many array elements.
_BLOCK_ELEMENTS = 2**22


class ActiveSetAdapter(LinearModelAdapter):
    r"""A reader whose parameters are the active coefficients and the intercepts.

    Sum form of the objective (``c_i`` the row weights; ``lambda_2`` and
    ``lambda_1`` the L2 and L1 strengths, read by the subclass)::

        F = sum_i c_i loss(y_i, z_i) + lambda_2/2 ||W||^2 + lambda_1 ||W||_1

    On the active set ``grad F = sum_i c_i grad_i + lambda_2 W_A +
    lambda_1 sign(W_A)`` and ``H = E^T (sum_i c_i J_i^T D_i J_i + lambda_2 P) E``
    (``E`` selects the active entries; see the module for the frozen entries
    and the null space of a multinomial fit). A mean-form objective (Lasso,
    ElasticNet) has ``lambda = share * sum_i c_i`` for both parts: each unit
    of row weight carries ``penalty_share`` of the L2 part and ``l1_share`` of
    the L1 part, and :meth:`row_penalty_gradient` returns both
    (``penalty_share w_A + l1_share sign(w_A)``).

    Parameters
    ----------
    estimator : estimator, fitted
    loss : LinearLoss
    coef : ndarray of shape (n_features_in,) or (K, n_features_in)
        The full coefficient vector or matrix.
    intercept : float or ndarray of shape (K,)
    fit_intercept : bool
    l2_strength, l1_strength : float
        ``lambda_2`` and ``lambda_1`` of the sum form.
    penalty_share, l1_share : float, default=0.0
        Their parts per unit of row weight (mean form).
    classes : ndarray or None, default=None
    class_weight : ndarray or None, default=None

    Attributes
    ----------
    support : ndarray of bool of shape (K, n_features_in)
        The non-zero coefficients.
    active : ndarray of int
        Indices of the features non-zero in some output (the design's columns).
    frozen : ndarray of bool of shape (n_params,)
        Entries of ``theta`` held at zero (zero in their output, active in another).
    n_features_in : int
        Number of features of the full model.
    l1_strength, l1_share : float

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Lasso
    >>> from skinfluence.models import make_adapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> a = make_adapter(Lasso(alpha=0.5).fit(X, y), y, None)
    >>> a.active, a.n_params, a.design(X).shape
    (array([2, 3, 6, 8]), 5, (442, 4))
    >>> a.to_public([[1.0, 2.0, 3.0, 4.0, 5.0]])
    array([[0., 0., 1., 2., 0., 0., 3., 0., 4., 0., 5.]])
    """

    def __init__(self, estimator, loss, coef, intercept, *, fit_intercept,
                 l2_strength, l1_strength, penalty_share=0.0, l1_share=0.0,
                 classes=None, class_weight=None):
        coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        self.estimator = estimator
        self.classes = classes
        self.class_weight = class_weight
        self.support = coef != 0
        self.active = np.flatnonzero(self.support.any(axis=0))
        self.n_features_in = coef.shape[1]
        self.l1_strength = float(l1_strength)
        self.l1_share = float(l1_share)
        LinearObjective.__init__(
            self, loss, coef[:, self.active], intercept, fit_intercept=fit_intercept,
            l2_strength=l2_strength, penalty_share=penalty_share,
        )
        frozen = np.zeros((self.n_outputs, self.n_dof), dtype=bool)
        frozen[:, : self.n_features] = ~self.support[:, self.active]
        self.frozen = frozen.ravel()
        self._kept = (~self.frozen).astype(np.float64)

    # ------------------------------------------------------------ layout
    def design(self, X):
        """The active columns of ``X``: the matrix the objective is defined on.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features_in)

        Returns
        -------
        {ndarray, sparse matrix} of shape (n_samples, n_active)
        """
        if X.shape[1] != self.n_features_in:
            raise ValueError(
                f"X has {X.shape[1]} features; the model was fitted on "
                f"{self.n_features_in}."
            )
        return X[:, self.active]

    def decision(self, X, theta=None):
        """Linear predictor from the full ``X`` or its active columns.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features_in or n_active)
        theta : ndarray of shape (n_params,), default=None

        Returns
        -------
        ndarray of shape (n_samples, K)
        """
        if X.shape[1] == self.n_features_in and self.n_features != self.n_features_in:
            X = X[:, self.active]
        return super().decision(X, theta)

    def to_public(self, A):
        """Active layout to the public one, zeros at the inactive coefficients.

        Parameters
        ----------
        A : array-like of shape (..., n_params)

        Returns
        -------
        ndarray of shape (..., K * n_features_in + K * fit_intercept)
        """
        A = np.asarray(A, dtype=np.float64)
        lead, K = A.shape[:-1], self.n_outputs
        B = A.reshape(lead + (K, self.n_dof))
        coef = np.zeros(lead + (K, self.n_features_in))
        coef[..., self.active] = B[..., : self.n_features]
        out = coef.reshape(lead + (K * self.n_features_in,))
        if self.fit_intercept:
            out = np.concatenate([out, B[..., self.n_features]], axis=-1)
        return out

    # ---------------------------------------- the objective on the active set
    def penalty_diagonal(self):
        """``lambda_2 P`` on the active entries, zero at the frozen ones."""
        return super().penalty_diagonal() * self._kept

    def data_gradient(self, X, Y, weights):
        """``sum_i c_i grad_i`` on the active entries (zero at the frozen ones)."""
        return super().data_gradient(X, Y, weights) * self._kept

    def row_gradients(self, X, Y, weights):
        """The matrix of ``c_i grad_i`` on the active entries, (n_samples, n_params)."""
        return super().row_gradients(X, Y, weights) * self._kept

    def data_hessian(self, X, Y, weights):
        """The data Hessian restricted to the active entries (frozen rows/columns 0)."""
        H = super().data_hessian(X, Y, weights)
        H[self.frozen] = 0.0
        H[:, self.frozen] = 0.0
        return H

    def curvature_diagonal(self, X, weighted_curvature):
        """Diagonal of the restricted data Hessian (zero at the frozen entries)."""
        return super().curvature_diagonal(X, weighted_curvature) * self._kept

    def curvature_product(self, X, weighted_curvature, V):
        """The restricted data Hessian times ``V`` (n_params, m): ``E E^T H E E^T V``."""
        kept = self._kept[:, None]
        return kept * super().curvature_product(X, weighted_curvature, kept * V)

    def jacobian_solve_inputs(self, X):
        """The columns ``J_i^T e_k`` on the active entries, (n_params, n_rows * K)."""
        return super().jacobian_solve_inputs(X) * self._kept[:, None]

    def null_space(self):
        """Orthonormal basis (n_params, m) of what the restricted objective ignores.

        The frozen entries (one unit vector each) and, for a softmax loss, the
        common shift of every class along the intercepts and along each feature
        active in every class with no L2 part (see the module). ``None`` if empty.

        Returns
        -------
        ndarray of shape (n_params, m) or None
        """
        K, d = self.n_outputs, self.n_dof
        basis = list(np.eye(self.n_params)[self.frozen])
        if self.loss_function.shift_invariant:
            frozen = self.frozen.reshape(K, d)
            flat = super().penalty_diagonal().reshape(K, d).max(axis=0) == 0
            for j in np.flatnonzero(flat & ~frozen.any(axis=0)):
                shift = np.zeros((K, d))
                shift[:, j] = 1.0 / np.sqrt(K)
                basis.append(shift.ravel())
        return np.column_stack(basis) if basis else None

    # ----------------------------------------------------------- penalty
    def l1_sign(self):
        """``sign(w_A)`` in the augmented layout (0 at the intercept), (n_params,)."""
        return np.sign(self.theta.ravel()) * (self.penalty_mask() > 0)

    def penalty_mask(self):
        """``P``: one at the coefficients, zero at the intercept, (n_params,)."""
        mask = np.ones((self.n_outputs, self.n_dof))
        if self.fit_intercept:
            mask[:, -1] = 0.0
        return mask.ravel()

    def row_penalty_gradient(self):
        """``penalty_share w_A + l1_share sign(w_A)``: one unit of weight's penalty.

        Returns
        -------
        ndarray of shape (n_params,)
        """
        return super().row_penalty_gradient() + self.l1_share * self.l1_sign()

    def objective_gradient(self, X, Y, weights):
        """``grad F(theta_A)``: data, L2 and the L1 part ``lambda_1 sign(w_A)``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_active)
        Y : ndarray
        weights : ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_params,)
        """
        grad = super().objective_gradient(X, Y, weights)
        return grad + self.l1_strength * self.l1_sign()

    # ------------------------------------------------------------ support
    def support_changes(self, X, Y, weights, solver, rows):
        """Whether removing each row would change the signed support, to first order.

        The signed support is ``sign(W)`` (per output): which coefficients are
        zero and the signs of the others (a coefficient changing sign passes
        through zero, and the L1 gradient ``lambda_1 sign(W_kj)`` jumps).

        With ``delta_j`` the one-row Newton shift of ``theta_A``
        (``H^+ g_j`` corrected by Woodbury for the row's own curvature
        ``J_j^T c_j D_j J_j``):

        - an active coefficient crosses zero: ``sign(W_kj + delta_jkj) !=
          sign(W_kj)``;
        - an inactive one (``W_ki = 0``) leaves zero: its optimality condition
          ``|G_ki| <= lambda_1`` (``G_ki`` the data gradient along feature ``i``
          of output ``k``) breaks, with ``G_ki`` moved by removing row ``j``'s
          term and by the shift, ``G_ki - c_j r_jk x_ji + sum_l c_l x_li
          (D_l J_l delta_j)_k``, against ``lambda_1 - c_j l1_share``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features_in)
            The full training matrix.
        Y : ndarray
        weights : ndarray of shape (n_samples,)
        solver : HessianSolver
            Fitted on the active-set Hessian.
        rows : ndarray of int
            The rows to check.

        Returns
        -------
        ndarray of bool of shape (len(rows),)
        """
        K, d, p = self.n_outputs, self.n_dof, self.n_features_in
        XA = self.design(X)
        _, dZ = self.loss_gradient(self.decision(XA), Y)
        E = dZ * weights[:, None]  # c_l r_l, (n, K)
        cD = self.weighted_curvature(XA, Y, weights)
        if cD.ndim == 2:
            cD = cD[:, :, None] * np.eye(K)
        Xa = self.augmented_rows(XA)  # dense (n, d): rows of the active columns
        # cross[k, i, m, a] = sum_l c_l D_l,km x_li [x_l, 1]_a: how G_ki moves
        cross = np.stack([np.asarray(X.T @ (cD[:, k, m, None] * Xa))
                          for k in range(K) for m in range(K)])
        cross = cross.reshape(K, K, p, d).transpose(0, 2, 1, 3).reshape(K * p, K * d)
        G = np.asarray(X.T @ E).T  # (K, p)
        inactive = ~self.support
        h = solver.solve(self.row_penalty_gradient())  # the penalty share's shift
        W = self.theta.ravel()
        on = ~self.frozen & (self.penalty_mask() > 0)  # the active coefficients
        out = np.empty(len(rows), dtype=bool)
        step = max(1, _BLOCK_ELEMENTS // (K * max(p, self.n_params)))
        for s in range(0, len(rows), step):
            r = rows[s:s + step]
            b = len(r)
            U = solver.solve(self.jacobian_solve_inputs(XA[r])).reshape(-1, b, K)
            delta = np.einsum("pjk,jk->jp", U, E[r]) + weights[r][:, None] * h
            M = np.einsum("ja,kajl->jkl", Xa[r], U.reshape(K, d, b, K))
            Jd = np.einsum("ja,jka->jk", Xa[r], delta.reshape(b, K, d))
            C = cD[r]
            w = np.linalg.solve(np.eye(K) - C @ M, (C @ Jd[:, :, None]))[:, :, 0]
            delta += np.einsum("pjl,jl->jp", U, w)
            crossed = np.any((np.sign(W + delta) != np.sign(W))[:, on], axis=1)
            Xr = X[r].toarray() if sparse.issparse(X) else np.asarray(X[r])
            moved = G - E[r][:, :, None] * Xr[:, None, :]
            moved += (delta @ cross.T).reshape(b, K, p)
            threshold = self.l1_strength - weights[r] * self.l1_share
            activated = np.any(
                (np.abs(moved) > threshold[:, None, None]) & inactive, axis=(1, 2)
            )
            out[s:s + step] = crossed | activated
        return out

    def check_local_validity(self, X, Y, weights, solver, random_state=0):
        """Warn when removing more than 5% of the rows would change the support.

        All rows are checked up to :data:`SUPPORT_CHECK_ROWS`, else a sample of
        that many. The share is kept in ``support_change_share_``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features_in)
        Y : ndarray
        weights : ndarray of shape (n_samples,)
        solver : HessianSolver
        random_state : int, default=0
            Seed of the sample of rows.

        Returns
        -------
        float
            The predicted share of rows whose removal changes the support.
        """
        n = X.shape[0]
        rows = np.arange(n)
        if n > SUPPORT_CHECK_ROWS:
            rng = np.random.RandomState(random_state)
            rows = np.sort(rng.choice(n, SUPPORT_CHECK_ROWS, replace=False))
        share = float(np.mean(self.support_changes(X, Y, weights, solver, rows)))
        self.support_change_share_ = share
        if share > SUPPORT_CHANGE_TOLERANCE:
            warnings.warn(
                f"Removing {share:.1%} of the training rows (checked {len(rows)}) "
                f"would change which coefficients of {type(self.estimator).__name__} "
                "are zero, or their signs. Influence is computed on the active set "
                "(the non-zero coefficients) and is only first-order exact while "
                "sign(w) stays the same; expect larger errors for those rows.",
                InfluenceWarning, stacklevel=3,
            )
        return share
