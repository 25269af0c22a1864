r"""Objectives with an L1 part, read on their active set (the non-zero coefficients).

An L1 term ``lambda_1 ||w||_1`` has no curvature and a kink at zero. Where the
coefficients are non-zero it is *linear*, with constant gradient
``lambda_1 sign(w)``, so on the active set ``A = {k : w_k != 0}`` the objective
is smooth and its Hessian is the data Hessian plus the L2 part restricted to
``A``. Keeping the zero coefficients at zero and the intercept free, influence
on ``theta_A = (w_A, b)`` is exact to first order *while removing rows does not
change the support*. :meth:`ActiveSetAdapter.check_local_validity` predicts,
per row, whether its removal would change the support and warns when more than
:data:`SUPPORT_CHANGE_TOLERANCE` of the rows would.

Conventions: the reader's parameters are ``theta_A`` (``n_features`` is the
number of active coefficients); :meth:`ActiveSetAdapter.design` selects the
active columns of a full feature matrix, and the explainer hands the objective
that design. :meth:`ActiveSetAdapter.to_public` scatters back to the public
layout (``coef_`` raveled with zeros at inactive coordinates, then
``intercept_``). :meth:`ActiveSetAdapter.decision` accepts either the full
matrix or its active columns (it tells them apart by their width, and the two
coincide when every coefficient is active).
"""

import warnings

import numpy as np

from ..exceptions import InfluenceWarning
from .adapter import LinearModelAdapter
from .objective import LinearObjective

__all__ = ["ActiveSetAdapter", "SUPPORT_CHANGE_TOLERANCE", "SUPPORT_CHECK_ROWS"]

#: Warn when the removal of more than this share of the rows would change the support.
SUPPORT_CHANGE_TOLERANCE = 0.05
#: The support check looks at all rows up to this many, else at a sample of them.
SUPPORT_CHECK_ROWS = 2000


class ActiveSetAdapter(LinearModelAdapter):
    r"""A reader whose parameters are the active coefficients and the intercept.

    Sum form of the objective (``c_i`` the row weights; ``lambda_2`` and
    ``lambda_1`` the L2 and L1 strengths, read by the subclass)::

        F = sum_i c_i loss(y_i, z_i) + lambda_2/2 ||w||^2 + lambda_1 ||w||_1

    On the active set ``grad F = sum_i c_i grad_i + lambda_2 w_A +
    lambda_1 sign(w_A)`` and ``H = sum_i c_i J_i^T D_i J_i + lambda_2 P``.
    A mean-form objective (Lasso, ElasticNet) has ``lambda = share * sum_i c_i``
    for both parts: each unit of row weight carries ``penalty_share`` of the L2
    part and ``l1_share`` of the L1 part, and :meth:`row_penalty_gradient`
    returns both (``penalty_share w_A + l1_share sign(w_A)``).

    Parameters
    ----------
    estimator : estimator, fitted
    loss : LinearLoss
    coef : ndarray of shape (n_features_in,)
        The full coefficient vector (one output).
    intercept : float
    fit_intercept : bool
    l2_strength, l1_strength : float
        ``lambda_2`` and ``lambda_1`` of the sum form.
    penalty_share, l1_share : float, default=0.0
        Their parts per unit of row weight (mean form).
    classes : ndarray or None, default=None
    class_weight : ndarray or None, default=None

    Attributes
    ----------
    active : ndarray of int
        Indices of the non-zero coefficients.
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
        coef = np.asarray(coef, dtype=np.float64).ravel()
        self.estimator = estimator
        self.classes = classes
        self.class_weight = class_weight
        self.active = np.flatnonzero(coef)
        self.n_features_in = coef.size
        self.l1_strength = float(l1_strength)
        self.l1_share = float(l1_share)
        LinearObjective.__init__(
            self, loss, coef[self.active], intercept, fit_intercept=fit_intercept,
            l2_strength=l2_strength, penalty_share=penalty_share,
        )

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
        ndarray of shape (n_samples, 1)
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
        ndarray of shape (..., n_features_in + fit_intercept)
        """
        A = np.asarray(A, dtype=np.float64)
        out = np.zeros(A.shape[:-1] + (self.n_features_in + self.fit_intercept,))
        out[..., self.active] = A[..., : self.n_features]
        if self.fit_intercept:
            out[..., -1] = A[..., -1]
        return out

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

        The signed support is ``sign(w)``: which coefficients are zero and the
        signs of the others (a coefficient changing sign passes through zero, and
        the L1 gradient ``lambda_1 sign(w_k)`` jumps).

        With ``delta_j`` the one-row Newton shift of ``theta_A`` (``H^{-1} g_j``
        corrected by Sherman-Morrison for the row's own curvature):

        - an active coefficient crosses zero: ``sign(w_k + delta_jk) != sign(w_k)``;
        - an inactive one leaves zero: its optimality condition
          ``|G_i| <= lambda_1`` (``G_i`` the data gradient along feature ``i``)
          breaks, with ``G_i`` moved by removing row ``j``'s term and by the shift,
          ``G_i - c_j r_j x_ji + (sum_l c_l D_l x_li [x_l, 1]) . delta_j``, against
          ``lambda_1 - c_j l1_share``.

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
        XA = self.design(X)
        Z = self.decision(XA)
        _, dZ = self.loss_gradient(Z, Y)
        cr = (dZ[:, 0] * weights)
        cD = self.weighted_curvature(XA, Y, weights)[:, 0]
        Xr = self.augmented_rows(XA[rows])
        share = weights[rows][:, None] * self.row_penalty_gradient()
        G = cr[rows][:, None] * Xr + share
        delta = np.asarray(solver.solve(G.T)).T  # (len(rows), n_params)
        # one-row Newton step (Sherman-Morrison on the row's own curvature):
        # delta += u_j (cD_j x_j . delta_j) / (1 - cD_j x_j . u_j),  u_j = H^-1 x_j
        U = np.asarray(solver.solve(Xr.T)).T
        cDr = cD[rows]
        lev = np.einsum("ij,ij->i", Xr, U)
        step = cDr * np.einsum("ij,ij->i", Xr, delta) / (1.0 - cDr * lev)
        delta = delta + step[:, None] * U
        w = self.theta.ravel()[: self.n_features]
        crossed = np.any(
            np.sign(w + delta[:, : self.n_features]) != np.sign(w), axis=1
        )
        inactive = np.setdiff1d(np.arange(self.n_features_in), self.active)
        if not inactive.size:
            return crossed
        XI = X[:, inactive]
        grad_I = np.asarray(XI.T @ cr).ravel()
        cross = np.asarray(XI.T @ (cD[:, None] * self.augmented_rows(XA)))
        XI_rows = XI[rows]
        XI_rows = XI_rows.toarray() if hasattr(XI_rows, "toarray") else XI_rows
        moved = grad_I - cr[rows][:, None] * XI_rows + delta @ cross.T
        threshold = self.l1_strength - weights[rows] * self.l1_share
        activated = np.any(np.abs(moved) > threshold[:, None], axis=1)
        return crossed | activated

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
