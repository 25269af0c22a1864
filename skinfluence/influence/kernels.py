"""Influence of a block of training rows on test rows, and of each row on itself.

``influence[t, j] = Q_t(theta) - Q_t(theta_{-j})`` (predicted):

- first order: ``-(H^{-1} grad Q_t) . g_j``. ``H^{-1} grad Q_t`` is solved once for
  all test rows (:class:`TargetRows`); with ``g_j = e_j (x) [x_j, 1]`` a block is then
  one GEMM (the K outputs side by side), written into the caller's result in place.
- newton: ``Q_t`` evaluated exactly at ``theta + (H - H_j)^{-1} g_j``.
"""

import numpy as np
from scipy import sparse

from ..models import augmented_dot
from .shifts import newton_shifts, population_shifts

__all__ = [
    "TargetRows",
    "influence_block",
    "population_influence",
    "predictor_shift",
    "retrain_effects",
    "self_influence_block",
    "self_influence_from_leverages",
]


class TargetRows:
    """Test rows and what every block of training rows reads about them.

    Computed once, before the blocks run: the linear predictor, the target's
    value, and for first order ``H^{-1} grad_theta Q_t`` of every test row.

    Parameters
    ----------
    objective : FittedObjective
    X : {ndarray, sparse matrix} of shape (n_test, n_features)
    Y : ndarray
        Encoded targets of the test rows.
    target : object
        The quantity Q (:mod:`skinfluence.targets`).
    method : {"first_order", "newton"}

    Attributes
    ----------
    Z : ndarray of shape (n_test, K)
        Linear predictor at the fitted parameters.
    solves : ndarray of shape (n_test, K * n_dof [+ 1]) or None
        ``H^{-1} grad_theta Q_t`` (first order only), row t holding the K outputs'
        blocks side by side; with a penalty share one more column, its product
        with the share ``Pi theta`` (paired with ``-c_j`` in a block).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, TargetRows
    >>> from skinfluence.targets import make_target
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> test = TargetRows(obj, X[:3], ex.adapter_.encode_target(y[:3]),
    ...                   make_target("loss", ex.adapter_), "first_order")
    >>> test.solves.shape
    (3, 11)
    """

    def __init__(self, objective, X, Y, target, method):
        a = objective.adapter
        self.X, self.Y, self.target, self.method = X, Y, target, method
        self.n_test = X.shape[0]
        self.Z = a.decision(X)
        self.solves = None
        if method == "first_order":
            q = target.gradient(self.Z, Y)  # (n_test, K)
            Xa = a.augmented_rows(X)
            V = (q.T[:, None, :] * Xa.T[None, :, :]).reshape(a.n_params, self.n_test)
            S = objective.solver.solve(V).reshape(a.n_params, self.n_test).T
            share = objective.penalty_gradient
            if share is not None:
                S = np.hstack([S, (S @ share.ravel())[:, None]])
            self.solves = np.ascontiguousarray(S)

    def value(self):
        """``Q_t`` at the fitted parameters, (n_test,)."""
        return self.target.value(self.Z, self.Y)


def predictor_shift(adapter, X, shifts):
    """Change of the linear predictor of rows X under each parameter shift.

    Parameters
    ----------
    adapter : LinearModelAdapter
    X : {ndarray, sparse matrix} of shape (n_test, n_features)
    shifts : ndarray of shape (n_shifts, n_params)
        Augmented layout.

    Returns
    -------
    ndarray of shape (n_test, n_shifts, K)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skinfluence.influence import predictor_shift
    >>> from skinfluence.models import make_adapter
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0.0, 1.0, 3.0])
    >>> a = make_adapter(LinearRegression().fit(X, y), y, None)
    >>> predictor_shift(a, X, np.array([[1.0, 0.0], [0.0, 1.0]]))[:, :, 0]
    array([[0., 1.],
           [1., 1.],
           [2., 1.]])
    """
    K = adapter.n_outputs
    S = shifts.reshape(len(shifts) * K, adapter.n_dof)
    Z = augmented_dot(X, S, adapter.fit_intercept)
    return Z.reshape(X.shape[0], len(shifts), K)


def influence_block(objective, test, rows, inverse=None, out=None):
    """Influence of the training rows ``rows`` on every test row.

    Parameters
    ----------
    objective : FittedObjective
    test : TargetRows
    rows : slice
        Consecutive training rows (read from X as a view).
    inverse : ndarray, default=None
        ``H^{-1}`` for newton (see :func:`~skinfluence.influence.explicit_inverse`).
    out : ndarray of shape (n_test, n_rows), default=None
        Written in place (then returns None): the product lands in the result
        directly, no second pass over fresh memory.

    Returns
    -------
    ndarray of shape (n_test, n_rows), or None when ``out`` is given.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, TargetRows, influence_block
    >>> from skinfluence.targets import make_target
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> test = TargetRows(obj, X[:3], ex.adapter_.encode_target(y[:3]),
    ...                   make_target("loss", ex.adapter_), "first_order")
    >>> influence_block(obj, test, slice(0, 5)).shape
    (3, 5)
    """
    if test.method == "first_order":
        block = _first_order_block(objective, test, rows, out)
    else:
        shifts = newton_shifts(objective, rows, inverse)
        dz = predictor_shift(objective.adapter, test.X, shifts)
        Zs = test.Z[:, None, :] + dz
        block = test.value()[:, None] - test.target.value(Zs, test.Y)
    if out is None:
        return block
    if block is not out:
        out[...] = block
    return None


def _first_order_block(objective, test, rows, out):
    # -(H^{-1} grad Q_t) . g_j with g_j = e_j (x) [x_j, 1] (+ c_j Pi theta): the rows
    # scaled by -e_jk, the K outputs side by side, against the test side in one
    # product; a column's dot products do not depend on the blocking
    a, p = objective.adapter, objective.X.shape[1]
    W = -objective.removed_gradient(rows)
    Xr = objective.X[rows]
    share = objective.penalty_gradient is not None
    if sparse.issparse(Xr):
        cols = []
        for k in range(a.n_outputs):
            cols += [sparse.diags_array(W[:, k]) @ Xr]
            cols += [W[:, k:k + 1]] if a.fit_intercept else []
        cols += [-objective.weights[rows][:, None]] if share else []
        return np.asarray(sparse.hstack(cols, format="csr") @ test.solves.T).T
    Xw = np.empty((len(W), test.solves.shape[1]))
    for k in range(a.n_outputs):
        np.multiply(Xr, W[:, k:k + 1], out=Xw[:, k * a.n_dof: k * a.n_dof + p])
        if a.fit_intercept:
            Xw[:, k * a.n_dof + p] = W[:, k]
    if share:
        Xw[:, -1] = -objective.weights[rows]
    return np.matmul(test.solves, Xw.T, out=out)


def self_influence_block(objective, rows, method, inverse=None):
    """Influence of each training row in ``rows`` on its own loss: (n_rows,), >= 0.

    ``loss_j(theta_{-j}) - loss_j(theta)``; first order ``c_j grad_j^T H^{-1}
    grad_j`` (a quadratic form: the removed term's gradient is ``c_j grad_j``).

    Parameters
    ----------
    objective : FittedObjective
    rows : slice
    method : {"first_order", "newton"}
    inverse : ndarray, default=None
        ``H^{-1}`` for newton.

    Returns
    -------
    ndarray of shape (n_rows,)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, self_influence_block
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> bool((self_influence_block(obj, slice(0, 5), "first_order") > 0).all())
    True
    """
    a = objective.adapter
    Xr, Yr = objective.X[rows], objective.Y[rows]
    if method == "first_order":
        n = Xr.shape[0]
        U = a.row_gradients(Xr, Yr, np.ones(n))
        quad = objective.solver.quad_form(U.T)
        if objective.penalty_gradient is not None:  # + grad_j . H^-1 Pi theta
            quad = quad + U @ objective.solver.solve(objective.penalty_gradient)
        return objective.weights[rows] * quad
    Z = a.decision(Xr)
    shifts = newton_shifts(objective, rows, inverse)
    shifts = shifts.reshape(Xr.shape[0], a.n_outputs, -1)
    dz = np.einsum("jd,jkd->jk", a.augmented_rows(Xr), shifts)
    return a.loss(Z + dz, Yr) - a.loss(Z, Yr)



def self_influence_from_leverages(objective, leverages, method):
    """Self-influence of every training row from its leverage ``M_j``.

    ``M_j = J_j H^{-1} J_j^T`` (K x K). First order: ``c_j r_j^T M_j r_j``.
    Newton: the row's own predictor moves by ``dz_j = M_j (I - c_j D_j M_j)^{-1}
    e_j`` (Woodbury, as in :func:`~skinfluence.influence.newton_shifts`), and its
    loss is evaluated exactly there.

    Parameters
    ----------
    objective : FittedObjective
        A sum-form objective (no penalty share).
    leverages : ndarray of shape (n_train, K, K)
    method : {"first_order", "newton"}

    Returns
    -------
    ndarray of shape (n_train,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective
    >>> from skinfluence.influence.kernels import self_influence_from_leverages
    >>> from skinfluence.solvers import row_leverages
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> M = row_leverages(ex.operator_, ex.solver_).leverages
    >>> si = self_influence_from_leverages(obj, M, "first_order")
    >>> bool(np.allclose(si, ex.self_influence()))
    True
    """
    a = objective.adapter
    rows = slice(None)
    E = objective.removed_gradient(rows)  # c_j r_j
    if method == "first_order":
        _, r = a.loss_gradient(a.decision(objective.X), objective.Y)
        return np.einsum("jk,jkl,jl->j", r, leverages, E)
    K = a.n_outputs
    system = np.eye(K) - np.einsum("jkl,jlm->jkm", objective.removed_curvature(rows),
                                   leverages)
    w = np.linalg.solve(system, E[:, :, None])[:, :, 0]
    dz = np.einsum("jkl,jl->jk", leverages, w)
    Z = a.decision(objective.X)
    return a.loss(Z + dz, objective.Y) - a.loss(Z, objective.Y)


def population_influence(objective, test, populations, fit_solver=None):
    """Influence of removing each population on every test row.

    first_order: ``-grad Q_t . H^{-1} g_S`` (the sum of the rows' influences);
    newton: ``Q_t`` exactly at ``theta + (H - H_S)^{-1} g_S``.

    Parameters
    ----------
    objective : FittedObjective
    test : TargetRows
    populations : list of ndarray of int
    fit_solver : callable, default=None
        ``fit_solver(operator)``: a solver fitted on ``H - H_S`` (newton only).

    Returns
    -------
    ndarray of shape (n_test, n_populations)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import (
    ...     FittedObjective, TargetRows, influence_block, population_influence)
    >>> from skinfluence.targets import make_target
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> test = TargetRows(obj, X[:3], ex.adapter_.encode_target(y[:3]),
    ...                   make_target("loss", ex.adapter_), "first_order")
    >>> both = population_influence(obj, test, [np.array([0, 1])])[:, 0]
    >>> bool(np.allclose(both, influence_block(obj, test, slice(0, 2)).sum(axis=1)))
    True
    """
    shifts = population_shifts(objective, populations, test.method, fit_solver)
    dz = predictor_shift(objective.adapter, test.X, shifts)
    if test.method == "first_order":
        return -np.einsum("tsk,tk->ts", dz, test.target.gradient(test.Z, test.Y))
    return test.value()[:, None] - test.target.value(test.Z[:, None, :] + dz, test.Y)


def retrain_effects(adapter, X, Y, target, populations, n_train, refit):
    """The actual ``Q_t(theta) - Q_t(theta refitted without S)`` for each population.

    Parameters
    ----------
    adapter : LinearModelAdapter
    X : {ndarray, sparse matrix} of shape (n_test, n_features)
    Y : ndarray
        Encoded targets.
    target : object
        The quantity Q (:mod:`skinfluence.targets`).
    populations : list of ndarray of int
    n_train : int
        Number of training rows.
    refit : callable
        ``refit(keep)`` for a boolean mask of the training rows kept returns the
        refitted model's adapter.

    Returns
    -------
    ndarray of shape (n_test, n_populations)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.influence import retrain_effects
    >>> from skinfluence.models import make_adapter
    >>> from skinfluence.targets import make_target
    >>> X, y = load_diabetes(return_X_y=True)
    >>> a = make_adapter(Ridge().fit(X, y), y, None)
    >>> def refit(keep):
    ...     return make_adapter(Ridge().fit(X[keep], y[keep]), y[keep], None)
    >>> retrain_effects(a, X[:3], a.encode_target(y[:3]), make_target("loss", a),
    ...                 [np.array([0])], len(X), refit).shape
    (3, 1)
    """
    q_full = target.value(adapter.decision(X), Y)
    out = np.empty((X.shape[0], len(populations)))
    for s, idx in enumerate(populations):
        keep = np.ones(n_train, dtype=bool)
        keep[idx] = False
        Z = refit(keep).decision(X)  # the refit's own parameters (and support)
        out[:, s] = q_full - target.value(Z, Y)
    return out
