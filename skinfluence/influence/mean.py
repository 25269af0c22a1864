"""Influence of each training row on a weighted mean of Q over a set of rows.

The mean of influences is the influence on the mean. To first order that is
linear in ``grad Q_t``, so the test gradients are averaged first and solved once:
``-(H^{-1} sum_t w_t grad Q_t) . g_j`` for every row j, at the cost of one solve
(instead of one per test row) and without the ``n_test x n_train`` matrix.
:func:`decision_sum_influence` is that computation for any given gradient of Q
with respect to the rows' decision values (not only a target's at the fit).
"""

import numpy as np

__all__ = ["decision_sum_influence", "mean_influence_first_order"]


def decision_sum_influence(objective, X, A):
    """First-order influence of each training row on ``sum_t <A_t, z_t>``.

    ``z_t`` are the decision values of rows ``X`` (a function of the
    parameters), ``A_t`` fixed weights, e.g. ``dQ_t / dz_t`` evaluated where
    the caller chooses (at the fit, at leave-one-out predictions...).
    Influence as everywhere: ``Q(all rows) - Q(without row j)``, here
    ``-(H^{-1} sum_t J_t^T A_t) . g_j``: one solve, then one pass over the
    training rows (``g_j`` never formed).

    Parameters
    ----------
    objective : FittedObjective
    X : {ndarray, sparse matrix} of shape (n_rows, n_features)
        The rows as the model sees them (transformed).
    A : ndarray of shape (n_rows, n_outputs)

    Returns
    -------
    ndarray of shape (n_train,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, decision_sum_influence
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge(), method="newton").fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> infl = decision_sum_influence(obj, X[:1], np.ones((1, 1)))
    >>> refit = Ridge().fit(X[1:], y[1:]).predict(X[:1])[0]  # without row 0
    >>> z = ex.estimator_.predict(X[:1])[0]
    >>> bool(np.sign(infl[0]) == np.sign(z - refit))
    True
    """
    a = objective.adapter
    V = objective.transpose_dot(X, A)  # (n_dof, K)
    u = objective.solver.solve(V.T.ravel()).reshape(a.n_outputs, a.n_dof)
    # g_j = J_j^T e_j, so u . g_j = e_j . (J_j u), J_j u = [x_j, 1] u^T: (n_train, K)
    proj = a.decision(objective.X, theta=u)
    out = -np.einsum("jk,jk->j", objective.removed_gradient(slice(None)), proj)
    if objective.penalty_gradient is not None:  # g_j also holds c_j Pi theta
        out -= objective.weights * float(u.ravel() @ objective.penalty_gradient)
    return out


def mean_influence_first_order(objective, X, Y, target, weights):
    """First-order influence of each training row on ``sum_t w_t Q_t / sum_t w_t``.

    ``-(H^{-1} sum_t w_t grad_theta Q_t) . g_j / sum_t w_t``: one solve, then one
    pass over the training rows (``g_j`` never formed).

    Parameters
    ----------
    objective : FittedObjective
    X : {ndarray, sparse matrix} of shape (n_test, n_features)
    Y : ndarray
        Encoded targets of the rows.
    target : object
        The quantity Q (:mod:`skinfluence.targets`).
    weights : ndarray of shape (n_test,)
        Non-negative, not all zero.

    Returns
    -------
    ndarray of shape (n_train,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, mean_influence_first_order
    >>> from skinfluence.targets import make_target
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> mean_influence_first_order(obj, X[:5], ex.adapter_.encode_target(y[:5]),
    ...                            make_target("loss", ex.adapter_), np.ones(5)).shape
    (442,)
    """
    A = target.gradient(objective.adapter.decision(X), Y)
    return decision_sum_influence(objective, X, A * (weights / weights.sum())[:, None])
