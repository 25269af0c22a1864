"""Influence of each training row on a weighted mean of Q over a set of rows.

The mean of influences is the influence on the mean. To first order that is
linear in ``grad Q_t``, so the test gradients are averaged first and solved once:
``-(H^{-1} sum_t w_t grad Q_t) . g_j`` for every row j, at the cost of one solve
(instead of one per test row) and without the ``n_test x n_train`` matrix.
"""

import numpy as np

__all__ = ["mean_influence_first_order"]


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
    a = objective.adapter
    A = target.gradient(a.decision(X), Y) * (weights / weights.sum())[:, None]  # (n, K)
    V = objective.transpose_dot(X, A)  # (n_dof, K)
    u = objective.solver.solve(V.T.ravel()).reshape(a.n_outputs, a.n_dof)
    # g_j = J_j^T e_j, so u . g_j = e_j . (J_j u), J_j u = [x_j, 1] u^T: (n_train, K)
    proj = a.decision(objective.X, theta=u)
    out = -np.einsum("jk,jk->j", objective.removed_gradient(slice(None)), proj)
    if objective.penalty_gradient is not None:  # g_j also holds c_j Pi theta
        out -= objective.weights * float(u.ravel() @ objective.penalty_gradient)
    return out
