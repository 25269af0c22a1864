r"""Each training row's own decision values under the fit without it.

Leave-one-out rules (confident learning on ``p_{-j}(y_j)``, residual fences on
``y_j - \hat y_{-j}``) read only ``J_j theta_{-j}``: row j's decision values
under the parameters fitted without it, not the parameter vector itself. With
``g_j = J_j^T e_j`` (``J_j = I_K (x) [x_j, 1]``, ``e_j`` the K residuals times
``c_j``) and the removed curvature ``J_j^T (c_j D_j) J_j``, the Woodbury identity
gives the Newton step's effect on the row's own decision values in ``K x K``
blocks only::

    J_j (H - J_j^T c_j D_j J_j)^{-1} J_j^T e_j = M_j (I - c_j D_j M_j)^{-1} e_j,
    M_j = J_j H^{-1} J_j^T

(first order: ``M_j e_j``). The leverage blocks ``M_j`` of a block of rows come
from one GEMM with the explicit ``H^{-1}`` (only its ``K (K + 1) / 2`` distinct
``d x d`` blocks) and row-wise dots, or ``K`` solves per row for models too
large to invert; no ``(n_rows, n_params)`` array is formed. This is
:func:`~skinfluence.influence.newton_shifts` (or ``first_order_shifts``)
followed by ``J_j``, to rounding, including a mean-form objective's penalty
share (exact steps through :class:`~skinfluence.models.PenaltyShareNewton`,
where the rows' parameter shifts are formed block by block).
"""

import numpy as np

from ..models import PenaltyShareNewton, block_quadratic_forms
from ..parallel import blas_limit, count_nonzero, row_blocks
from .kinks import has_kinks
from .shifts import explicit_inverse, newton_operator, newton_shifts, solve_row_systems

__all__ = ["own_decision_shifts"]


def own_decision_shifts(objective, method="newton"):
    """``J_j (theta_{-j} - theta)`` for every training row j: (n_train, K).

    The change of each row's own decision values (linear predictor, one
    column per output) when the model is fitted without that row, by the same
    step as :func:`~skinfluence.influence.newton_shifts` (``method="newton"``)
    or :func:`~skinfluence.influence.first_order_shifts`.

    Parameters
    ----------
    objective : FittedObjective
        The fitted objective (its ``operator`` is needed for the exact steps of
        a mean-form objective).
    method : {"newton", "first_order"}, default="newton"

    Returns
    -------
    ndarray of shape (n_train, K)
        Add it to the decision values of the full fit to get each row's
        leave-one-out decision values.

    Raises
    ------
    numpy.linalg.LinAlgError
        ``method="newton"``, when removing a row leaves the Hessian singular.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, own_decision_shifts
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    >>> ex = InfluenceExplainer(Ridge(), method="newton").fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> z = ex.estimator_.predict(X[:1]) + own_decision_shifts(obj)[0]
    >>> refit = Ridge().fit(X[1:], y[1:]).predict(X[:1])
    >>> bool(np.allclose(z, refit))  # exact leave-one-out for squared loss
    True
    """
    if method not in ("newton", "first_order"):
        raise ValueError(f"method must be 'newton' or 'first_order', got {method!r}.")
    a = objective.adapter
    K, d, n = a.n_outputs, a.n_dof, objective.n_rows
    inverse = (newton_operator(objective) if method == "newton"
               else explicit_inverse(objective))
    # float64s a block holds per row: P of the GEMM, or K solves / K x n_params
    explicit = isinstance(inverse, np.ndarray)
    per_row = K * (K + 1) // 2 * d if explicit else K * a.n_params
    out = np.empty((n, K))
    with blas_limit(count_nonzero(objective.X) * per_row):
        share = _share_direction(objective)
        for rows in row_blocks(n, per_row):
            out[rows] = _block(objective, rows, method, inverse, share)
    return out


def _share_direction(objective):
    """``h = H^{-1} Pi theta`` of a mean-form objective (``None`` for sum form)."""
    if objective.penalty_gradient is None:
        return None
    return objective.solver.solve(objective.penalty_gradient)


def _block(objective, rows, method, inverse, share):
    a = objective.adapter
    Xr = objective.X[rows]
    Xa = a.augmented_rows(Xr)
    m, K, d = Xa.shape[0], a.n_outputs, a.n_dof
    if isinstance(inverse, PenaltyShareNewton) or (method == "newton"
                                                   and has_kinks(a)):
        # exact mean-form steps; with kinks, the steps that follow crossing rows
        shifts = newton_shifts(objective, rows, inverse)
        return np.einsum("jka,ja->jk", shifts.reshape(m, K, d), Xa)
    M = _leverage_blocks(objective, Xr, Xa, inverse)
    E = objective.removed_gradient(rows)
    if share is not None:  # a mean-form objective: row j's share c_j Pi theta
        c = objective.weights[rows]
        Jh = c[:, None] * a.decision(Xr, share)
    if method == "first_order":
        dz = np.einsum("jkl,jl->jk", M, E)
        return dz if share is None else dz + Jh
    cD = objective.removed_curvature(rows)
    system = np.eye(K) - cD @ M
    if share is not None:
        # as newton_shifts for large mean-form models: the share's gradient is
        # kept, its curvature dropped (H_-j^-1 g_j ~ T w + c_j h)
        E = E + np.einsum("jkl,jl->jk", cD, Jh)
    dz = (M @ solve_row_systems(system, E)[:, :, None])[:, :, 0]
    return dz if share is None else dz + Jh


def _leverage_blocks(objective, Xr, Xa, inverse):
    """``M_j = J_j H^{-1} J_j^T`` of each row of the block, (m, K, K)."""
    a = objective.adapter
    m, K, d = Xa.shape[0], a.n_outputs, a.n_dof
    if inverse is None:  # K solves per row
        A = objective.solver.solve(a.jacobian_solve_inputs(Xr)).reshape(K, d, m, K)
        return np.einsum("kajl,ja->jkl", A, Xa)
    # only the K (K + 1) / 2 distinct d x d blocks of H^{-1}:
    # M_j[k_t, l_t] = [x_j, 1] H^{-1}[(k_t, .), (l_t, .)] [x_j, 1]
    k, l = np.triu_indices(K)
    values = block_quadratic_forms(Xr, inverse, a.fit_intercept)
    M = np.empty((m, K, K))
    M[:, k, l] = values
    M[:, l, k] = values
    return M
