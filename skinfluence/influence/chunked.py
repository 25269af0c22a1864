"""Training rows in a Dask array: the influence kernels mapped over row chunks.

For a linear model everything the explainer needs from its training rows is either
a sum over rows (the Hessian ``sum_i c_i J_i^T D_i J_i``, the objective's gradient,
the squared norms behind the stationarity check) or a map over rows (one block of
influence columns, a row's self-influence, a block's top-k candidates). So a data
set larger than memory runs as tasks on row chunks: one pass with a tree sum for
:func:`chunked_operator`, then lazy maps (:class:`ChunkedLoop`). Each task builds a
:class:`FittedObjective` on its chunk and calls the same kernels as the in-memory
:class:`BlockLoop`; only the small shared pieces (model, Cholesky factor, test-side
solves) travel to the workers, once per computation.

Dask is imported here only, and only when a Dask array is given.
"""

import numpy as np

from .._validation import (check_features, check_fitted_model, check_same_rows,
                           check_sample_weight)
from ..exceptions import singular_unless_stationary
from ..models import ActiveSetAdapter, make_adapter
from ..models.stationarity import relative_gradient, row_gradient_scales
from ..parallel import memory_budget
from ..solvers import CholeskySolver, HessianOperator, make_solver, resolve_solver
from .kernels import TargetRows, influence_block, self_influence_block
from .loop import BlockLoop
from .kinks import has_kinks
from .objective import FittedObjective, warn_if_not_stationary
from .shifts import newton_operator
from .topk import StreamingTopK

__all__ = ["ChunkedLoop", "check_chunked_solver", "chunked_operator", "fit_chunked"]


def fit_chunked(estimator, X, y, sample_weight, params):
    """What :meth:`InfluenceExplainer.fit` reads from a fitted model and Dask rows.

    Parameters
    ----------
    estimator : estimator
        The explainer's ``estimator``: a fitted model (not a Pipeline).
    X : dask.array.Array of shape (n_train, n_features)
        Chunked by rows; checked here without computing it.
    y : array-like of shape (n_train,) or (n_train, n_outputs)
    sample_weight : array-like of shape (n_train,) or None
    params : dict
        The explainer's parameters (``solver``, ``damping``, ``max_memory``,
        ``random_state``).

    Returns
    -------
    dict
        The explainer's fitted attributes (``estimator_``, ``X_``, ``design_``,
        ``adapter_``, ``Y_``, ``weights_``, ``operator_``, ``solver_``, the
        gradient norms, ...); warns (:class:`InfluenceWarning`) when the model
        is not at an optimum of its objective on these rows.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.influence import fit_chunked
    >>> X, y = load_diabetes(return_X_y=True)
    >>> params = dict(solver="auto", damping=0.0, max_memory=None, random_state=0)
    >>> out = fit_chunked(Ridge().fit(X, y), da.from_array(X, chunks=100), y,
    ...                   None, params)
    >>> type(out["solver_"]).__name__
    'CholeskySolver'
    """
    y = np.asarray(y)
    n = check_same_rows(X, y)
    sample_weight = check_sample_weight(sample_weight, n)
    estimator = check_fitted_model(estimator)
    X = check_features(estimator, None, X, "X")
    adapter = make_adapter(estimator, y, sample_weight)
    if isinstance(adapter, ActiveSetAdapter):
        raise ValueError(
            f"{type(estimator).__name__} is explained on its active set (a subset of "
            "the columns), which the Dask path does not select: pass an in-memory X."
        )
    if adapter.shift_based:
        raise ValueError(
            f"{type(estimator).__name__} is explained from its removal engine's "
            "parameter shifts (skinfluence.influence.ShiftLoop), which the Dask path "
            "does not compute: pass an in-memory X."
        )
    if params.get("method") == "newton" and has_kinks(adapter):
        raise ValueError(
            f"method='newton' follows the rows crossing the kinks of "
            f"{type(estimator).__name__}'s loss, which needs every training row at "
            "once: pass an in-memory X, or use method='first_order' with Dask.")
    budget = memory_budget(params["max_memory"])
    check_chunked_solver(params["solver"], adapter.n_params, budget)
    Y = adapter.encode_target(y)
    weights = adapter.row_weights(Y, sample_weight)
    operator, norms = chunked_operator(adapter, X, Y, weights, params["damping"])
    with singular_unless_stationary(type(estimator).__name__, *norms):
        solver = make_solver(params["solver"], operator, params["random_state"], budget)
    warn_if_not_stationary(type(estimator).__name__, *norms, stacklevel=5)
    return dict(
        n_train_=n, y_=y.copy(), sample_weight_=sample_weight, feature_map_=None,
        estimator_=estimator, train_index_=None, X_=X, design_=X, adapter_=adapter,
        Y_=Y, weights_=weights, operator_=operator, solver_=solver, removal_=None,
        gradient_norm_=norms[0], relative_gradient_norm_=norms[1],
    )


def check_chunked_solver(solver, n_params, max_memory):
    """Refuse solvers that need passes over X per solve (Dask input: Cholesky only).

    Parameters
    ----------
    solver : str or HessianSolver
        The explainer's ``solver`` parameter.
    n_params : int
    max_memory : float
        Memory budget in bytes (``"auto"`` must resolve to cholesky within it).

    Raises
    ------
    ValueError
        When ``solver`` is not (or does not resolve to) the Cholesky solver.

    Examples
    --------
    >>> from skinfluence.influence.chunked import check_chunked_solver
    >>> check_chunked_solver("auto", 201, 2e9)
    """
    resolved = resolve_solver(solver, n_params, max_memory)
    if not (resolved == "cholesky" or isinstance(resolved, CholeskySolver)):
        raise ValueError(
            "With a Dask array X the Hessian is summed over row chunks once and "
            "factorised in memory, so only solver='cholesky' (or 'auto' resolving to "
            f"it: n_params <= 5000 and 8 * n_params**2 <= max_memory / 4) is "
            f"supported; got solver={solver!r} for {n_params} parameters."
        )


def chunked_operator(adapter, X, Y, weights, damping=0.0):
    """The Hessian and stationarity figures from one pass over Dask row chunks.

    Each chunk gives its data Hessian, data gradient and ``sum ||c_i grad_i||^2``;
    a tree sum adds them (``dask.array.reduction`` style, ``split_every=8``).

    Parameters
    ----------
    adapter : LinearModelAdapter
    X : dask.array.Array of shape (n_train, n_features)
        float64, chunked by rows only.
    Y : ndarray
        Encoded targets (in memory).
    weights : ndarray of shape (n_train,)
    damping : float, default=0.0

    Returns
    -------
    operator : HessianOperator
        Holding the dense Hessian (its ``X`` is the Dask array: only
        :meth:`~skinfluence.solvers.HessianOperator.dense` may be used).
    norms : tuple of float
        ``(||grad F||, relative)`` as :func:`~skinfluence.influence.gradient_norms`.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.influence.chunked import chunked_operator
    >>> from skinfluence.models import make_adapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> a = make_adapter(Ridge().fit(X, y), y, None)
    >>> op, norms = chunked_operator(a, da.from_array(X, chunks=(100, -1)),
    ...                              a.encode_target(y), np.ones(442))
    >>> op.dense().shape, bool(norms[1] < 1e-6)
    ((11, 11), True)
    """
    import dask

    parts = [dask.delayed(_chunk_sums)(block, adapter, Y[rows], weights[rows], rows)
             for block, rows in _chunks(X)]
    H, grad, sq_norms = dask.compute(_tree_sum(parts, _add))[0]
    H[np.diag_indices_from(H)] += adapter.penalty_diagonal()
    operator = HessianOperator(adapter, X, Y, weights, damping=damping, hessian=H)
    grad = operator.project((grad + adapter.penalty_diagonal()
                             * adapter.theta.ravel())[:, None])[:, 0]
    relative = relative_gradient(grad, np.sqrt(sq_norms / X.shape[0]), np.diag(H))
    return operator, (float(np.linalg.norm(grad)), relative)


class ChunkedLoop:
    """The :class:`BlockLoop` methods over the row chunks of a Dask array.

    ``influence`` and ``self_influence`` return lazy Dask arrays (chunked like
    the training rows); ``top`` computes per-chunk candidates, merges them by a
    tree reduction and returns in-memory arrays. Newton's explicit ``H^{-1}``
    and the test rows' solves are formed once, in the calling process.

    Parameters
    ----------
    objective : FittedObjective
        Its ``X`` a Dask array (float64, chunked by rows), its solver a fitted
        :class:`~skinfluence.solvers.CholeskySolver`, its operator holding the
        dense Hessian (from :func:`chunked_operator`).
    method : {"first_order", "newton"}

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge().fit(X, y))
    >>> ex = ex.fit(da.from_array(X, chunks=(100, -1)), y)
    >>> lazy = ex.self_influence()
    >>> lazy.chunks[0], bool((lazy.compute() > 0).all())
    ((100, 100, 100, 100, 42), True)
    """

    def __init__(self, objective, method):
        self.objective, self.method = objective, method

    def _shared(self, test=None):
        """The pieces every task reads, as one Dask key."""
        import dask

        obj = self.objective
        inverse = newton_operator(obj) if self.method == "newton" else None
        shared = (obj.adapter, obj.solver, self.method, test, inverse)
        return dask.delayed(shared, pure=True, traverse=False)

    def _tasks(self, func, *args):
        import dask

        obj = self.objective
        return [dask.delayed(func)(block, obj.Y[rows], obj.weights[rows], rows.start,
                                   *args) for block, rows in _chunks(obj.X)]

    def influence(self, X, Y, target):
        """Lazy ``influence[t, j]``: a Dask array (n_test, n_train), chunked by rows.

        Parameters
        ----------
        X : ndarray of shape (n_test, n_features)
            Test rows, in memory.
        Y : ndarray
            Their encoded targets.
        target : object
            The quantity Q (:mod:`skinfluence.targets`).

        Returns
        -------
        dask.array.Array of shape (n_test, n_train)
        """
        import dask.array as da

        test = TargetRows(self.objective, X, Y, target, self.method)
        parts = self._tasks(_influence_chunk, self._shared(test))
        return da.concatenate([
            da.from_delayed(p, shape=(test.n_test, n), dtype=np.float64)
            for p, n in zip(parts, self.objective.X.chunks[0])], axis=1)

    def top(self, X, Y, target, k):
        """The ``k`` largest and smallest influences per test row, computed.

        Each task streams its chunk in blocks (:meth:`BlockLoop.blocks`) and keeps
        its candidates; a tree of merges returns the global result.

        Parameters
        ----------
        X, Y, target
            As for :meth:`influence`.
        k : int

        Returns
        -------
        Bunch
            As :meth:`StreamingTopK.result`.
        """
        import dask

        test = TargetRows(self.objective, X, Y, target, self.method)
        parts = self._tasks(_top_chunk, self._shared(test), k)
        result = dask.compute(_tree_sum(parts, _merge_top))[0]
        del result["k"]
        return result

    def self_influence(self):
        """Lazy self-influence of every training row: a Dask array (n_train,).

        Returns
        -------
        dask.array.Array of shape (n_train,)
        """
        import dask.array as da

        parts = self._tasks(_self_influence_chunk, self._shared())
        return da.concatenate([
            da.from_delayed(p, shape=(n,), dtype=np.float64)
            for p, n in zip(parts, self.objective.X.chunks[0])])

    def _unsupported(self, name):
        raise NotImplementedError(
            f"{name} is not available for an explainer fitted on a Dask array; "
            "influence() and self_influence() (lazy) and top_influences() are. "
            "Fit on an in-memory array (e.g. X.compute()) for it.")

    def mean(self, *args):
        """Refused: raises NotImplementedError (Dask input)."""
        self._unsupported("mean_influence()")

    def population(self, *args):
        """Refused: raises NotImplementedError (Dask input)."""
        self._unsupported("population_influence()")

    def shifts(self, *args):
        """Refused: raises NotImplementedError (Dask input)."""
        self._unsupported("params_influence()")


def _chunks(X):
    """(delayed block, row slice) per row chunk of a Dask array."""
    starts = np.cumsum((0,) + X.chunks[0])
    blocks = X.to_delayed().ravel()
    return [(b, slice(int(s), int(e))) for b, s, e in zip(blocks, starts, starts[1:])]


def _tree_sum(parts, combine, split_every=8):
    """Combine delayed parts in a tree of fan-in ``split_every``: one delayed."""
    import dask

    def combine_all(*xs):
        out = xs[0]
        for x in xs[1:]:
            out = combine(out, x)
        return out

    while len(parts) > 1:
        parts = [dask.delayed(combine_all)(*parts[i:i + split_every])
                 for i in range(0, len(parts), split_every)]
    return parts[0]


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def _chunk_sums(X, adapter, Y, weights, rows):
    if not np.isfinite(X).all():
        raise ValueError(f"X contains NaN or infinity (in rows {rows.start} to "
                         f"{rows.stop - 1}).")
    scales = row_gradient_scales(adapter, X, Y, weights)
    return (adapter.data_hessian(X, Y, weights),
            adapter.data_gradient(X, Y, weights), scales**2 * X.shape[0])


def _chunk_objective(X, Y, weights, shared):
    adapter, solver, method, test, inverse = shared
    return FittedObjective(adapter, X, Y, weights, solver), method, test, inverse


def _influence_chunk(X, Y, weights, start, shared):
    obj, _, test, inverse = _chunk_objective(X, Y, weights, shared)
    return influence_block(obj, test, slice(0, X.shape[0]), inverse)


def _self_influence_chunk(X, Y, weights, start, shared):
    obj, method, _, inverse = _chunk_objective(X, Y, weights, shared)
    blocks = BlockLoop(obj, method).blocks(0)
    return np.concatenate([self_influence_block(obj, rows, method, inverse)
                           for rows in blocks])


def _top_chunk(X, Y, weights, start, shared, k):
    obj, method, test, inverse = _chunk_objective(X, Y, weights, shared)
    top = StreamingTopK(test.n_test, k)
    for rows in BlockLoop(obj, method).blocks(test.n_test):
        values = influence_block(obj, test, rows, inverse)
        top.add(top.reduce(values, np.arange(start + rows.start, start + rows.stop)))
    out = top.result()
    out.k = k
    return out


def _merge_top(a, b):
    top = StreamingTopK(a.helpful_scores.shape[0], a.k)
    for r in (a, b):
        top.add(((r.helpful_indices, r.helpful_scores),
                 (r.harmful_indices, -r.harmful_scores)))
    out = top.result()
    out.k = a.k
    return out
