r"""Whether removing a row would change an L1 fit's signed support, and the warning.

The active-set readers (:mod:`skinfluence.models.active_set`) are exact to first
order only while removals keep ``sign(W)``: which coefficients are zero (per
output) and the signs of the others. :func:`signed_support_changes` predicts that
per row from its one-row Newton shift; :func:`warn_if_support_changes` warns when
more than :data:`SUPPORT_CHANGE_TOLERANCE` of the rows (all, or a sample of
:data:`SUPPORT_CHECK_ROWS`) would change it.
"""

import warnings

import numpy as np
from scipy import sparse

from ..exceptions import InfluenceWarning

__all__ = [
    "SUPPORT_CHANGE_TOLERANCE",
    "SUPPORT_CHECK_ROWS",
    "SUPPORT_CHECK_BLOCK_ELEMENTS",
    "LEVERAGE_ONE_GAP",
    "signed_support_changes",
    "warn_if_support_changes",
]

#: Warn when the removal of more than this share of the rows would change the support.
SUPPORT_CHANGE_TOLERANCE = 0.05
#: The support check looks at all rows up to this many, else at a sample of them.
SUPPORT_CHECK_ROWS = 2000
#: The support check handles rows in blocks of at most this many array elements.
SUPPORT_CHECK_BLOCK_ELEMENTS = 2**22
#: A row whose ``I - c_j D_j J_j H^-1 J_j^T`` has its smallest singular value at
#: most this has leverage 1: its removal leaves the active-set Hessian singular.
LEVERAGE_ONE_GAP = 1e-10


def signed_support_changes(adapter, X, Y, weights, solver, rows):
    """Whether removing each row would change the signed support, to first order.

    The signed support is ``sign(W)`` (per output): which coefficients are zero
    and the signs of the others (a coefficient changing sign passes through
    zero, and the L1 gradient ``lambda_1 sign(W_kj)`` jumps).

    With ``delta_j`` the one-row Newton shift of ``theta_A`` (``H^+ g_j``
    corrected by Woodbury for the row's own curvature ``J_j^T c_j D_j J_j``):

    - an active coefficient crosses zero: ``sign(W_kj + delta_jkj) != sign(W_kj)``;
    - a row of leverage 1 (its removal leaves the active-set Hessian singular,
      as when the active coefficients are as many as the rows) counts as a
      change;
    - an inactive one (``W_ki = 0``) leaves zero: its optimality condition
      ``|G_ki| <= lambda_1`` (``G_ki`` the data gradient along feature ``i`` of
      output ``k``) breaks, with ``G_ki`` moved by removing row ``j``'s term and
      by the shift, ``G_ki - c_j r_jk x_ji + sum_l c_l x_li (D_l J_l delta_j)_k``,
      against ``lambda_1 - c_j l1_share``.

    Rows are handled in blocks of at most :data:`SUPPORT_CHECK_BLOCK_ELEMENTS`.

    Parameters
    ----------
    adapter : ActiveSetAdapter
    X : {ndarray, sparse matrix} of shape (n_samples, n_features_in)
        The full training matrix.
    Y : ndarray
        The encoded target.
    weights : ndarray of shape (n_samples,)
    solver : HessianSolver
        Fitted on the active-set Hessian.
    rows : ndarray of int
        The rows to check.

    Returns
    -------
    ndarray of bool of shape (len(rows),)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.models.support_change import signed_support_changes
    >>> X, y = load_wine(return_X_y=True)
    >>> X = scale(X)
    >>> est = LogisticRegression(l1_ratio=1.0, C=0.1, solver="saga", tol=1e-10,
    ...                          max_iter=100_000).fit(X, y)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     ex = InfluenceExplainer(est).fit(X, y)
    >>> changes = signed_support_changes(ex.adapter_, X, ex.Y_, ex.weights_,
    ...                                  ex.solver_, np.arange(len(y)))
    >>> round(float(changes.mean()), 3)  # 18.5% of the rows: the explainer warned
    0.185
    """
    K, d, p = adapter.n_outputs, adapter.n_dof, adapter.n_features_in
    XA = adapter.design(X)
    _, dZ = adapter.loss_gradient(adapter.decision(XA), Y)
    E = dZ * weights[:, None]  # c_l r_l, (n, K)
    cD = adapter.weighted_curvature(XA, Y, weights)
    if cD.ndim == 2:
        cD = cD[:, :, None] * np.eye(K)
    Xa = adapter.augmented_rows(XA)  # dense (n, d): rows of the active columns
    # cross[k, i, m, a] = sum_l c_l D_l,km x_li [x_l, 1]_a: how G_ki moves
    cross = np.stack([np.asarray(X.T @ (cD[:, k, m, None] * Xa))
                      for k in range(K) for m in range(K)])
    cross = cross.reshape(K, K, p, d).transpose(0, 2, 1, 3).reshape(K * p, K * d)
    G = np.asarray(X.T @ E).T  # (K, p)
    inactive = ~adapter.support
    h = solver.solve(adapter.row_penalty_gradient())  # the penalty share's shift
    W = adapter.theta.ravel()
    on = ~adapter.frozen & (adapter.penalty_mask() > 0)  # the active coefficients
    out = np.empty(len(rows), dtype=bool)
    step = max(1, SUPPORT_CHECK_BLOCK_ELEMENTS // (K * max(p, adapter.n_params)))
    for s in range(0, len(rows), step):
        r = rows[s:s + step]
        b = len(r)
        U = solver.solve(adapter.jacobian_solve_inputs(XA[r])).reshape(-1, b, K)
        delta = np.einsum("pjk,jk->jp", U, E[r]) + weights[r][:, None] * h
        M = np.einsum("ja,kajl->jkl", Xa[r], U.reshape(K, d, b, K))
        Jd = np.einsum("ja,jka->jk", Xa[r], delta.reshape(b, K, d))
        C = cD[r]
        A = np.eye(K) - C @ M
        # leverage 1 (p >= n on the active set): without the row the active-set
        # Hessian is singular, so the refit cannot keep this support
        alone = np.linalg.svd(A, compute_uv=False)[:, -1] <= LEVERAGE_ONE_GAP
        A[alone] = np.eye(K)
        w = np.linalg.solve(A, (C @ Jd[:, :, None]))[:, :, 0]
        delta += np.einsum("pjl,jl->jp", U, w)
        crossed = np.any((np.sign(W + delta) != np.sign(W))[:, on], axis=1)
        Xr = X[r].toarray() if sparse.issparse(X) else np.asarray(X[r])
        moved = G - E[r][:, :, None] * Xr[:, None, :]
        moved += (delta @ cross.T).reshape(b, K, p)
        threshold = adapter.l1_strength - weights[r] * adapter.l1_share
        activated = np.any(
            (np.abs(moved) > threshold[:, None, None]) & inactive, axis=(1, 2)
        )
        out[s:s + step] = crossed | activated | alone
    return out


def warn_if_support_changes(adapter, X, Y, weights, solver, random_state=0):
    """Warn when removing more than 5% of the rows would change the support.

    All rows are checked up to :data:`SUPPORT_CHECK_ROWS`, else a sample of
    that many (:func:`signed_support_changes`).

    Parameters
    ----------
    adapter : ActiveSetAdapter
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

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Lasso
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.models.support_change import warn_if_support_changes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Lasso(alpha=0.5, tol=1e-12)).fit(X, y)
    >>> share = warn_if_support_changes(ex.adapter_, X, ex.Y_, ex.weights_, ex.solver_)
    >>> share < 0.05  # no warning
    True
    """
    n = X.shape[0]
    rows = np.arange(n)
    if n > SUPPORT_CHECK_ROWS:
        rng = np.random.RandomState(random_state)
        rows = np.sort(rng.choice(n, SUPPORT_CHECK_ROWS, replace=False))
    changes = signed_support_changes(adapter, X, Y, weights, solver, rows)
    share = float(np.mean(changes))
    if share > SUPPORT_CHANGE_TOLERANCE:
        warnings.warn(
            f"Removing {share:.1%} of the training rows (checked {len(rows)}) "
            f"would change which coefficients of {type(adapter.estimator).__name__} "
            "are zero, or their signs (per class for a multinomial model). Influence "
            "is computed on the active set (the non-zero coefficients) and is only "
            "first-order exact while sign(w) stays the same; expect larger errors "
            "for those rows.",
            InfluenceWarning, stacklevel=4,
        )
    return share
