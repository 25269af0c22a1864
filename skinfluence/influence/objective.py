"""The fitted objective on its training rows, as the influence kernels read it.

One place says what removing a row takes out of the objective: its term's gradient
``g_j`` and curvature, both at the fitted parameters. Every kernel (first-order and
Newton shifts, the one-GEMM influence product, the mean influence) reads them from
here, so a new kind of removed term (e.g. a row's share of a mean-form objective's
penalty) is added in this module only.
"""

import warnings

import numpy as np

from ..exceptions import (  # the check lives with the warning it raises
    STATIONARITY_TOLERANCE,
    InfluenceWarning,
    warn_if_not_stationary,
)
from ..models import make_adapter
from ..models.stationarity import relative_gradient, row_gradient_scales
from ..solvers import HessianOperator

__all__ = [
    "FittedObjective",
    "gradient_norms",
    "refit_without",
    "warn_if_not_stationary",
    "STATIONARITY_TOLERANCE",
    "REFIT_STATIONARITY_TOLERANCE",
]

#: A refit used as the truth must be much closer to its optimum than that.
REFIT_STATIONARITY_TOLERANCE = 1e-6


class FittedObjective:
    """A fitted model's objective on its training rows, with ``H^{-1}``.

    Parameters
    ----------
    adapter : LinearModelAdapter
        The model's objective (:mod:`skinfluence.models`).
    X : {ndarray, csr_matrix} of shape (n_train, n_features)
        The training rows.
    Y : ndarray
        Their encoded targets (``adapter.encode_target``).
    weights : ndarray of shape (n_train,)
        ``c_j``, each row's weight in the objective.
    solver : HessianSolver
        Fitted on the Hessian of this objective: applies ``H^{-1}``.
    operator : HessianOperator, default=None
        The Hessian itself (needed for populations' Newton shifts only).

    Notes
    -----
    Removing row ``j`` takes out the term ``c_j loss(y_j, z_j)``. Its gradient is
    structured, ``g_j = e_j (x) [x_j, 1]`` with ``e_j = c_j dloss/dz_j`` (K,), and
    its curvature is ``J_j^T (c_j D_j) J_j``; :meth:`removed_gradient` and
    :meth:`removed_curvature` return ``e_j`` and ``c_j D_j``, and every kernel reads
    them from there. (Only the first-order self-influence uses ``g_j = c_j grad_j``
    directly, as the quadratic form ``c_j grad_j^T H^{-1} grad_j``.)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> obj.removed_gradient(slice(0, 3)).shape
    (3, 1)
    """

    def __init__(self, adapter, X, Y, weights, solver, operator=None):
        self.adapter = adapter
        self.X, self.Y, self.weights = X, Y, weights
        self.solver, self.operator = solver, operator
        # mean-form objectives (GLMs, Lasso): each row also carries its penalty share
        share = adapter.row_penalty_gradient()
        self.penalty_gradient = (
            share if adapter.penalty_share or np.any(share) else None
        )

    @property
    def n_rows(self):
        """Number of training rows.

        Returns
        -------
        n_rows : int

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> obj.n_rows
        442
        """
        return self.X.shape[0]

    def removed_gradient(self, rows):
        """``e_j`` of each row: ``g_j = e_j (x) [x_j, 1]``, shape (len(rows), K).

        Parameters
        ----------
        rows : slice or ndarray of int
            Training rows (a slice reads X as a view).

        Returns
        -------
        E : ndarray of shape (n_rows, K)
            ``c_j dloss/dz`` at the fitted parameters.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> e = obj.removed_gradient(slice(0, 3))[:, 0]  # squared error: 2 (z - y)
        >>> np.allclose(e, 2 * (ex.estimator_.predict(X[:3]) - y[:3]))
        True
        """
        a = self.adapter
        _, dZ = a.loss_gradient(a.decision(self.X[rows]), self.Y[rows])
        return dZ * self.weights[rows][:, None]

    def removed_curvature(self, rows):
        """``c_j D_j`` of each row, shape (len(rows), K, K) (dense even if diagonal).

        Parameters
        ----------
        rows : slice or ndarray of int
            Training rows.

        Returns
        -------
        C : ndarray of shape (n_rows, K, K)

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> obj.removed_curvature([0, 5]).tolist()  # squared error: 2 per row
        [[[2.0]], [[2.0]]]
        """
        a = self.adapter
        D = a.curvature(a.decision(self.X[rows]), self.Y[rows])
        if a.curvature_is_diagonal:
            D = D[:, :, None] * np.eye(a.n_outputs)
        return self.weights[rows][:, None, None] * D

    def removed_gradient_sum(self, rows):
        """``sum_j g_j`` over ``rows``, raveled (n_params,): a population's removal.

        Parameters
        ----------
        rows : slice or ndarray of int
            The population's training rows.

        Returns
        -------
        g : ndarray of shape (n_params,)

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> rows = np.arange(10)
        >>> np.allclose(obj.removed_gradient_sum(rows), obj.full_gradients(rows).sum(0))
        True
        """
        g = self.transpose_dot(self.X[rows], self.removed_gradient(rows)).T.ravel()
        if self.penalty_gradient is not None:
            g = g + self.weights[rows].sum() * self.penalty_gradient
        return g

    def full_gradients(self, rows):
        """The removed terms' gradients ``g_j`` as a matrix, (len(rows), n_params).

        Only for blocks of rows (the structured form is used elsewhere).

        Parameters
        ----------
        rows : slice or ndarray of int
            Training rows.

        Returns
        -------
        G : ndarray of shape (n_rows, n_params)

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> G, e = obj.full_gradients(slice(0, 3)), obj.removed_gradient(slice(0, 3))
        >>> G.shape, np.allclose(G[0], e[0, 0] * np.append(X[0], 1.0))
        ((3, 11), True)
        """
        E = self.removed_gradient(rows)
        Xa = self.adapter.augmented_rows(self.X[rows])
        G = (E[:, :, None] * Xa[:, None, :]).reshape(E.shape[0], -1)
        if self.penalty_gradient is not None:
            G += self.weights[rows][:, None] * self.penalty_gradient
        return G

    def transpose_dot(self, X, A):
        """``[X, 1]^T A`` for rows X and ``A`` (n_rows, m): (n_dof, m), X kept sparse.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_rows, n_features)
        A : ndarray of shape (n_rows, m)

        Returns
        -------
        out : ndarray of shape (n_dof, m)
            ``n_dof = n_features + 1`` with an intercept, else ``n_features``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> A = np.ones((3, 2))
        >>> np.allclose(obj.transpose_dot(X[:3], A), np.c_[X[:3], np.ones(3)].T @ A)
        True
        """
        out = np.asarray(X.T @ A)
        if self.adapter.fit_intercept:
            out = np.vstack([out, A.sum(axis=0, keepdims=True)])
        return out


def gradient_norms(adapter, X, Y, weights):
    """``||grad F(theta)||`` at the fitted parameters, absolute and relative.

    The gradient is taken on the complement of the objective's null space (a
    multinomial model's common shift), as every solver does. The relative figure
    is :func:`~skinfluence.models.stationarity.relative_gradient`: over a typical
    row's gradient term, both in the metric of the Hessian's diagonal.

    Parameters
    ----------
    adapter : LinearModelAdapter
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray
        Encoded targets.
    weights : ndarray of shape (n_samples,)

    Returns
    -------
    norm : float
    relative : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skinfluence.influence import gradient_norms
    >>> from skinfluence.models import make_adapter
    >>> X = np.arange(12.0).reshape(6, 2) ** 1.5
    >>> y = X @ [1.0, -2.0] + 0.1 * (-1) ** np.arange(6)
    >>> a = make_adapter(LinearRegression().fit(X, y), y, None)
    >>> bool(gradient_norms(a, X, a.encode_target(y), np.ones(6))[1] < 1e-8)
    True
    """
    grad = adapter.objective_gradient(X, Y, weights)
    operator = HessianOperator(adapter, X, Y, weights)
    grad = operator.project(grad[:, None])[:, 0]
    scales = row_gradient_scales(adapter, X, Y, weights)
    return float(np.linalg.norm(grad)), relative_gradient(grad, scales,
                                                          operator.diagonal())


def refit_without(adapter, X, y, sample_weight, keep):
    """The model refitted on the rows ``keep``, read as an adapter.

    Through the reader's :meth:`~skinfluence.models.LinearModelAdapter.refit`
    (same hyper-parameters, warm-started, tightly converged); a refit still off
    its optimum (relative gradient above ``REFIT_STATIONARITY_TOLERANCE``) gets an
    :class:`~skinfluence.InfluenceWarning` with its gradient norm.

    Parameters
    ----------
    adapter : LinearModelAdapter
        The fitted model's reader.
    X : {ndarray, sparse matrix} of shape (n_train, n_features)
    y : ndarray of shape (n_train,) or (n_train, n_outputs)
        The training target as given to ``fit`` (not encoded).
    sample_weight : ndarray of shape (n_train,)
    keep : ndarray of bool of shape (n_train,)

    Returns
    -------
    LinearModelAdapter

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.influence import refit_without
    >>> from skinfluence.models import make_adapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> a = make_adapter(Ridge().fit(X, y), y, None)
    >>> keep = np.arange(len(y)) > 0
    >>> refit = refit_without(a, X, y, np.ones(len(y)), keep)
    >>> bool(np.allclose(refit.theta, make_adapter(Ridge().fit(X[1:], y[1:]),
    ...                                            y[1:], None).theta))
    True
    """
    y_keep, sw = y[keep], sample_weight[keep]
    refit = make_adapter(adapter.refit(X[keep], y_keep, sample_weight=sw), y_keep, sw)
    Y = refit.encode_target(y_keep)
    norm, rel = gradient_norms(refit, refit.design(X[keep]), Y,
                               refit.row_weights(Y, sw))
    if rel > REFIT_STATIONARITY_TOLERANCE:
        warnings.warn(
            f"The refit without the population stopped at ||grad F|| = {norm:.3g} "
            f"({rel:.3g} times a typical row's gradient term): the measured effect "
            "is itself approximate.", InfluenceWarning, stacklevel=4,
        )
    return refit
