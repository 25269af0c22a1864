"""Parameter shifts ``theta_{-S} - theta``: what removing rows does to the fit.

First order (Koh & Liang): ``H^{-1} g_j``. Newton: ``(H - H_j)^{-1} g_j``, the
removed row's own curvature taken out, by the Woodbury identity. For a population
``S``: ``H^{-1} g_S`` or ``(H - H_S)^{-1} g_S`` with a solver fitted on ``H - H_S``.
All in the adapter's augmented layout (``(K, n_dof)`` raveled).
"""

import numpy as np

from ..models import PenaltyShareNewton, augmented_dot
from .kinks import follow_kinks, has_kinks
from .removed_units import PopulationRemoval, RowRemovals

__all__ = [
    "EXPLICIT_INVERSE_MAX_PARAMS",
    "LEVERAGE_ONE_GAP",
    "explicit_inverse",
    "first_order_shifts",
    "newton_operator",
    "newton_shifts",
    "population_shifts",
    "solve_row_systems",
]

#: method="newton" forms H^{-1} explicitly up to this many parameters (128 MiB).
EXPLICIT_INVERSE_MAX_PARAMS = 4096

#: A removed row whose Newton system ``I - c_j D_j M_j`` amplifies its right-hand
#: side by more than 1 / this has leverage 1 up to rounding (singular without it).
LEVERAGE_ONE_GAP = 1e-10


def explicit_inverse(objective):
    """``H^{-1}`` as a dense matrix when it pays, else ``None``.

    With a small Hessian, forming ``H^{-1}`` once (``n_params`` solves) is cheaper
    than the ``K`` solves per training row :func:`newton_shifts` otherwise needs.
    Kept by the solver (``solver.inverse()``) for later calls. Call it before
    starting workers and pass the result to them.

    Parameters
    ----------
    objective : FittedObjective

    Returns
    -------
    ndarray of shape (n_params, n_params) or None

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, explicit_inverse
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> explicit_inverse(obj).shape
    (11, 11)
    """
    a = objective.adapter
    if a.n_params <= min(EXPLICIT_INVERSE_MAX_PARAMS, a.n_outputs * objective.n_rows):
        return objective.solver.inverse()
    return None


def newton_operator(objective):
    """What :func:`newton_shifts` reads, prepared once before workers start.

    For a mean-form objective (each row carries a share ``c_j Pi`` of the
    penalty curvature, which is not a low-rank update of ``H``) with at most
    ``EXPLICIT_INVERSE_MAX_PARAMS`` parameters: a
    :class:`~skinfluence.models.PenaltyShareNewton`, exact for every row.
    Otherwise :func:`explicit_inverse`.

    Parameters
    ----------
    objective : FittedObjective

    Returns
    -------
    ndarray, PenaltyShareNewton or None

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective
    >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> np.allclose(newton_operator(obj), np.linalg.inv(ex.operator_.dense()))
    True
    """
    a = objective.adapter
    if objective.penalty_gradient is not None and objective.operator is not None \
            and a.n_params <= EXPLICIT_INVERSE_MAX_PARAMS:
        return PenaltyShareNewton(a, objective.operator.dense())
    return explicit_inverse(objective)


def first_order_shifts(objective, rows):
    """``H^{-1} g_j`` for each row j in ``rows``: (len(rows), n_params).

    Parameters
    ----------
    objective : FittedObjective
    rows : slice or ndarray of int

    Returns
    -------
    ndarray of shape (n_rows, n_params)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, first_order_shifts
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> first_order_shifts(obj, slice(0, 4)).shape
    (4, 11)
    """
    return objective.solver.solve(objective.full_gradients(rows).T).T


def newton_shifts(objective, rows, inverse=None):
    """``(H - H_j)^{-1} g_j`` for each row j in ``rows``: (len(rows), n_params).

    By the Woodbury identity, ``H^{-1} J_j^T (I - c_j D_j M_j)^{-1} e_j`` with
    ``M_j = J_j H^{-1} J_j^T`` (K x K) and ``g_j = J_j^T e_j``.

    Parameters
    ----------
    objective : FittedObjective
    rows : slice or ndarray of int
    inverse : ndarray of shape (n_params, n_params), PenaltyShareNewton or None
        From :func:`newton_operator`: ``H^{-1}``, or the exact steps of a
        mean-form objective; ``None``: ``K`` solves per row.

    Returns
    -------
    ndarray of shape (n_rows, n_params)

    Raises
    ------
    numpy.linalg.LinAlgError
        When removing a row leaves the Hessian singular.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, newton_shifts
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> newton_shifts(obj, slice(0, 4)).shape
    (4, 11)
    """
    shifts = _one_newton_step(objective, rows, inverse)
    if not has_kinks(objective.adapter):
        return shifts
    index = np.arange(objective.n_rows)[rows]
    return follow_kinks(objective, shifts, RowRemovals(objective, index, inverse))


def _one_newton_step(objective, rows, inverse):
    """``(H - H_j)^{-1} g_j`` (see :func:`newton_shifts`)."""
    a = objective.adapter
    Xr = objective.X[rows]
    if isinstance(inverse, PenaltyShareNewton):
        return inverse.shifts(Xr, objective.Y[rows], objective.weights[rows])
    n, K = Xr.shape[0], a.n_outputs
    E = objective.removed_gradient(rows)
    T = _inverse_times_jacobian(objective, Xr, inverse)
    M = np.einsum("jlka,ja->jkl", T, a.augmented_rows(Xr))
    cD = objective.removed_curvature(rows)
    system = np.eye(K) - np.einsum("jkl,jlm->jkm", cD, M)
    share = objective.penalty_gradient
    if share is not None:
        # large mean-form models: the share's gradient c_j Pi theta is kept, its
        # curvature c_j Pi dropped (relative error O(c_j Pi / H), about 1/n):
        # H_-j^-1 g_j ~ T w + c_j h with h = H^-1 Pi theta
        c = objective.weights[rows]
        h = objective.solver.solve(share)
        Jh = a.decision(Xr, h)
        E = E + c[:, None] * np.einsum("jkl,jl->jk", cD, Jh)
    w = solve_row_systems(system, E)
    shifts = np.einsum("jlka,jl->jka", T, w).reshape(n, -1)
    return shifts if share is None else shifts + c[:, None] * h


def solve_row_systems(system, E):
    """``system_j^{-1} e_j`` for each row's ``K x K`` Newton system: (n_rows, K).

    Parameters
    ----------
    system : ndarray of shape (n_rows, K, K)
        ``I - c_j D_j M_j`` (Woodbury's inner matrix of one removed row).
    E : ndarray of shape (n_rows, K)

    Returns
    -------
    ndarray of shape (n_rows, K)

    Raises
    ------
    numpy.linalg.LinAlgError
        When a row's removal leaves the Hessian singular (leverage 1).

    Examples
    --------
    >>> from skinfluence.influence.shifts import solve_row_systems
    >>> solve_row_systems(np.array([[[2.0]], [[4.0]]]), np.array([[1.0], [1.0]]))
    array([[0.5 ],
           [0.25]])
    """
    try:
        w = np.linalg.solve(system, E[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        w = None
    # ``I - c_j D_j M_j`` has eigenvalues 1 - (leverages) in [0, 1]; rounding leaves
    # a leverage-1 row's at ~1e-16, not an exact zero: w is then E amplified ~1e16
    if w is not None and np.all(LEVERAGE_ONE_GAP * np.abs(w).sum(axis=1)
                                <= np.abs(E).sum(axis=1)):
        return w
    raise np.linalg.LinAlgError(
        "method='newton': removing one of the rows leaves the Hessian singular "
        "(a row with leverage 1, e.g. the only row informing a parameter). "
        "Use method='first_order' or damping > 0."
    )


def _inverse_times_jacobian(objective, Xr, inverse):
    """``H^{-1} J_j^T`` for each row j of Xr, shape (n, K, K, n_dof) as [j, l, k, a]:
    entry ``(k, a)`` of the solution for output ``l``."""
    a = objective.adapter
    n, K, d = Xr.shape[0], a.n_outputs, a.n_dof
    if inverse is not None:  # one BLAS-3 product per block
        # W[(l, k, a), b] = H^{-1}[(l, b), (k, a)]  (H^{-1} is symmetric)
        W = inverse.reshape(K, d, K * d).transpose(0, 2, 1).reshape(K * K * d, d)
        return augmented_dot(Xr, W, a.fit_intercept).reshape(n, K, K, d)
    A = objective.solver.solve(a.jacobian_solve_inputs(Xr)).reshape(K, d, n, K)
    return A.transpose(2, 3, 0, 1)


def population_shifts(objective, populations, method, fit_solver):
    """``theta_{-S} - theta`` for each population S: (n_populations, n_params).

    Parameters
    ----------
    objective : FittedObjective
    populations : list of ndarray of int
        Row indices of each population.
    method : {"first_order", "newton"}
        ``H^{-1} g_S``, or ``(H - H_S)^{-1} g_S`` with the Hessian of the objective
        without S (one solver fitted per population).
    fit_solver : callable
        ``fit_solver(operator)`` returns a solver fitted on a
        :class:`~skinfluence.solvers.HessianOperator` (newton only).

    Returns
    -------
    ndarray of shape (n_populations, n_params)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective, population_shifts
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> population_shifts(obj, [np.arange(5)], "first_order", None).shape
    (1, 11)
    """
    shifts = np.empty((len(populations), objective.adapter.n_params))
    for s, idx in enumerate(populations):
        g = objective.removed_gradient_sum(idx)
        if method == "first_order":
            shifts[s] = objective.solver.solve(g)
        else:
            solver = fit_solver(objective.operator.without_rows(idx))
            shifts[s] = solver.solve(g)
            if has_kinks(objective.adapter):
                removal = PopulationRemoval(objective, np.asarray(idx), solver)
                shifts[s] = follow_kinks(objective, shifts[s:s + 1], removal)[0]
    return shifts
