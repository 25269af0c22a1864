r"""Objectives with an L1 part, read on their active set (the non-zero coefficients).

An L1 term ``lambda_1 ||W||_1`` has no curvature and a kink at zero. Where the
coefficients are non-zero it is *linear* (gradient ``lambda_1 sign(W)``), so on
the active set ``A = {(k, j) : W_kj != 0}`` the objective is smooth and its
Hessian is the data Hessian plus the L2 part restricted to ``A``. With the zero
coefficients held at zero and the intercepts free, influence on
``theta_A = (W_A, b)`` is exact to first order *while removals keep the signed
support* (checked by :mod:`skinfluence.models.support_change`).

With several outputs (a multinomial fit) each output ``k`` has its own support.
The parameters are laid out on the *union* of the supports, ``theta`` of shape
``(K, n_active + 1)``, and the entries with ``W_kj = 0`` are *frozen*: zero rows
and columns of the Hessian, zero gradient, and unit vectors of
:meth:`ActiveSetAdapter.null_space`, so every solver returns the restricted
solution ``E (E^T H E)^+ E^T b`` (``E`` selecting the active entries). Softmax is
invariant to adding one vector to every class's parameters; on the active set
that stays a null direction along the intercepts (unpenalised) and, with no L2
part (``l1_ratio = 1``), along each feature active in *every* class: the L1 term
is linear there and, at an optimum, ``sum_k sign(W_kj) = 0`` (an even number of
classes), so the objective is flat along ``W_:j + c``. Both are in the null space
(pseudo-inverse: the minimum-norm shift; predictions do not move along them).

Conventions: the reader's parameters are ``theta_A`` (``n_features`` is the
number of active columns); :meth:`ActiveSetAdapter.design` selects the active
columns of a full feature matrix, which the explainer hands the objective.
:meth:`ActiveSetAdapter.to_public` scatters back to the public layout (``coef_``
raveled with zeros at inactive coordinates, then ``intercept_``).
:meth:`ActiveSetAdapter.decision` accepts the full matrix or its active columns
(told apart by their width; they coincide when every coefficient is active).
"""
import numpy as np

from .adapter import LinearModelAdapter
from .objective import LinearObjective
from .support_change import (
    SUPPORT_CHANGE_TOLERANCE,
    SUPPORT_CHECK_ROWS,
    signed_support_changes,
    warn_if_support_changes,
)

__all__ = ["ActiveSetAdapter", "SUPPORT_CHANGE_TOLERANCE", "SUPPORT_CHECK_ROWS"]


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

    A multinomial fit (iris): one support per class, the others frozen at zero.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> X, y = load_iris(return_X_y=True)
    >>> est = LogisticRegression(C=0.3, l1_ratio=1.0, solver="saga", tol=1e-10,
    ...                          max_iter=100_000).fit(scale(X), y)
    >>> a = make_adapter(est, y, None)
    >>> a.support.astype(int).tolist(), a.active
    ([[0, 1, 1, 0], [0, 0, 0, 0], [0, 0, 1, 1]], array([1, 2, 3]))
    >>> a.frozen.reshape(a.theta.shape).astype(int).tolist()
    [[0, 0, 1, 0], [1, 1, 1, 0], [1, 0, 0, 0]]
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
        """``lambda_2 P`` on the active entries, zero at the frozen ones (n_params,)."""
        return super().penalty_diagonal() * self._kept

    def data_gradient(self, X, Y, weights):
        """``sum_i c_i grad_i`` on the active entries (zero at the frozen ones).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_active)
        Y : ndarray
        weights : ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_params,)
        """
        return super().data_gradient(X, Y, weights) * self._kept

    def row_gradients(self, X, Y, weights):
        """The matrix of ``c_i grad_i`` on the active entries (zero at the frozen ones).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_active)
        Y : ndarray
        weights : ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, n_params)
        """
        return super().row_gradients(X, Y, weights) * self._kept

    def data_hessian(self, X, Y, weights):
        """The data Hessian restricted to the active entries (frozen rows/columns 0).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_active)
        Y : ndarray
        weights : ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_params, n_params)
        """
        H = super().data_hessian(X, Y, weights)
        H[self.frozen] = 0.0
        H[:, self.frozen] = 0.0
        return H

    def curvature_diagonal(self, X, weighted_curvature):
        """Diagonal of the restricted data Hessian (zero at the frozen entries).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_active)
        weighted_curvature : ndarray
            ``c_i D_i`` of the rows (:meth:`weighted_curvature`).

        Returns
        -------
        ndarray of shape (n_params,)
        """
        return super().curvature_diagonal(X, weighted_curvature) * self._kept

    def curvature_product(self, X, weighted_curvature, V):
        """The restricted data Hessian times ``V`` (n_params, m): ``E E^T H E E^T V``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_active)
        weighted_curvature : ndarray
            ``c_i D_i`` of the rows (:meth:`weighted_curvature`).
        V : ndarray of shape (n_params, m)

        Returns
        -------
        ndarray of shape (n_params, m)
        """
        kept = self._kept[:, None]
        return kept * super().curvature_product(X, weighted_curvature, kept * V)

    def jacobian_solve_inputs(self, X):
        """The columns ``J_i^T e_k`` on the active entries (zero at the frozen ones).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_rows, n_active)

        Returns
        -------
        ndarray of shape (n_params, n_rows * K)
        """
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
        units = np.eye(self.n_params)[:, self.frozen]
        shifts = np.zeros((K, d, 0))
        if self.loss_function.shift_invariant:
            flat = super().penalty_diagonal().reshape(K, d).max(axis=0) == 0
            cols = np.flatnonzero(flat & ~self.frozen.reshape(K, d).any(axis=0))
            shifts = np.zeros((K, d, cols.size))
            shifts[:, cols, np.arange(cols.size)] = 1.0 / np.sqrt(K)
        N = np.hstack([units, shifts.reshape(K * d, -1)])
        return N if N.shape[1] else None

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

        See :func:`~skinfluence.models.support_change.signed_support_changes`.

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
        return signed_support_changes(self, X, Y, weights, solver, rows)

    def check_local_validity(self, X, Y, weights, solver, random_state=0):
        """Warn when removing more than 5% of the rows would change the support.

        See :func:`~skinfluence.models.support_change.warn_if_support_changes`;
        the share is kept in ``support_change_share_``.

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
        share = warn_if_support_changes(self, X, Y, weights, solver, random_state)
        self.support_change_share_ = share
        return share
