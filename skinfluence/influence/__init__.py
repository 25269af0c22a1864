"""The influence layer: what removing training rows does, from a fitted objective.

- :mod:`~skinfluence.influence.objective`: the fitted objective on its training
  rows (:class:`FittedObjective`), the one place that says what a removed row takes
  out of it, and the stationarity check.
- :mod:`~skinfluence.influence.shifts`: parameter shifts ``theta_{-S} - theta``,
  first order ``H^{-1} g`` and Newton ``(H - H_S)^{-1} g``.
- :mod:`~skinfluence.influence.kinks`: Newton's shifts continued across the kinks
  of piecewise-quadratic losses (SGD, LinearSVC/SVR) to the exact optima, with
  :mod:`~skinfluence.influence.removed_units` (``H_{-j}^{-1}`` on single units).
- :mod:`~skinfluence.influence.kernels`: influence of a block of training rows on
  test rows (one GEMM per block of rows for first order; Q evaluated exactly for
  Newton), and of each row on itself.
- :mod:`~skinfluence.influence.own_row`: each row's own decision values under the
  fit without it (``K x K`` leverage blocks, no per-row parameter vectors).
- :mod:`~skinfluence.influence.mean`: influence on a weighted mean of Q, one solve.
- :mod:`~skinfluence.influence.topk`: streaming top-k over blocks.
- :mod:`~skinfluence.influence.loop`: the block loop (:class:`BlockLoop`): the
  kernels over blocks of training rows through joblib, with whatever a block
  reads computed before the workers start.
- :mod:`~skinfluence.influence.shift_loop`: the same methods from a reader's removal
  engine's parameter shifts (:class:`ShiftLoop`; HuberRegressor, with its scale).
- :mod:`~skinfluence.influence.chunked`: the same kernels over the row chunks of a
  Dask array (:class:`ChunkedLoop`, :func:`fit_chunked`); dask imported lazily.

It imports :mod:`skinfluence.models` (the objective) and :mod:`skinfluence.solvers`
(``H^{-1}``), and :mod:`skinfluence.parallel` (blocks, workers), never the explainer.
"""

from .loop import BlockLoop
from .shift_loop import ShiftLoop
from .chunked import ChunkedLoop, check_chunked_solver, chunked_operator, fit_chunked
from .kernels import (
    TargetRows,
    influence_block,
    population_influence,
    predictor_shift,
    retrain_effects,
    self_influence_block,
)
from .kinks import KinkSides, follow_kinks, has_kinks
from .mean import decision_sum_influence, mean_influence_first_order
from .own_row import own_decision_shifts
from .objective import (
    REFIT_STATIONARITY_TOLERANCE,
    STATIONARITY_TOLERANCE,
    FittedObjective,
    gradient_norms,
    refit_without,
    warn_if_not_stationary,
)
from .fit_checks import stationarity_checked, warn_if_class_emptied
from .shifts import (
    EXPLICIT_INVERSE_MAX_PARAMS,
    explicit_inverse,
    first_order_shifts,
    newton_shifts,
    population_shifts,
)
from .topk import StreamingTopK

__all__ = [
    "ShiftLoop",
    "BlockLoop",
    "ChunkedLoop",
    "EXPLICIT_INVERSE_MAX_PARAMS",
    "REFIT_STATIONARITY_TOLERANCE",
    "STATIONARITY_TOLERANCE",
    "FittedObjective",
    "KinkSides",
    "StreamingTopK",
    "TargetRows",
    "check_chunked_solver",
    "chunked_operator",
    "decision_sum_influence",
    "explicit_inverse",
    "fit_chunked",
    "follow_kinks",
    "first_order_shifts",
    "gradient_norms",
    "has_kinks",
    "refit_without",
    "stationarity_checked",
    "warn_if_class_emptied",
    "influence_block",
    "mean_influence_first_order",
    "newton_shifts",
    "own_decision_shifts",
    "population_influence",
    "population_shifts",
    "self_influence_block",
    "predictor_shift",
    "retrain_effects",
    "warn_if_not_stationary",
]
