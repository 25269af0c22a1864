"""The block loop: influence kernels over blocks of training rows, through joblib.

Each method prepares, in the calling thread, everything a block reads (test-side solves,
newton's explicit ``H^{-1}``, the running top-k thresholds), then maps a pure function
of the block over :func:`~skinfluence.parallel.row_blocks`; workers set no attribute
anywhere. Results larger than the memory budget are refused before any work.
"""

import numpy as np

from ..parallel import (blas_limit, check_output_size, count_nonzero, map_blocks,
                        memory_budget, row_blocks, shares_memory)
from ..solvers import CholeskySolver, row_leverages
from .kernels import (TargetRows, influence_block, population_influence,
                      self_influence_block, self_influence_from_leverages)
from .kinks import has_kinks
from .mean import mean_influence_first_order
from .shifts import first_order_shifts, newton_operator, newton_shifts
from .topk import StreamingTopK

__all__ = ["BlockLoop", "INFLUENCE_ALTERNATIVES", "SHIFTS_ALTERNATIVES"]

#: What to call instead when ``influence()`` / ``params_influence()`` is over budget.
INFLUENCE_ALTERNATIVES = ("top_influences(X_test, y_test, k) streams the k most "
                          "helpful and harmful rows per test row in bounded memory, "
                          "and population_influence(X_test, y_test, populations) "
                          "sums over groups of rows without the full matrix.")
SHIFTS_ALTERNATIVES = ("population_influence(X_test, y_test, populations) and "
                       "self_influence() need no per-row parameter vectors.")


class BlockLoop:
    """Run the influence kernels of one method over blocks of training rows.

    Parameters
    ----------
    objective : FittedObjective
    method : {"first_order", "newton"}
    n_jobs : int, default=None
        joblib workers (threads by default).
    verbose : int, default=0
    max_memory : float, default=None
        Budget in bytes for a returned matrix
        (:func:`~skinfluence.parallel.memory_budget`).
    fit_solver : callable, default=None
        ``fit_solver(operator)``: a solver fitted on a Hessian (newton populations).
    random_state : int, RandomState instance or None, default=None
        For the randomized leverages of :meth:`self_influence` (matrix-free
        solvers on problems too large for an exact method).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import BlockLoop, FittedObjective
    >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
    >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    >>> BlockLoop(obj, "newton").self_influence().shape
    (442,)
    """

    def __init__(self, objective, method, n_jobs=None, verbose=0, max_memory=None,
                 fit_solver=None, random_state=None):
        self.objective, self.method = objective, method
        self.n_jobs, self.verbose = n_jobs, verbose
        self.max_memory, self.fit_solver = max_memory, fit_solver
        self.random_state = random_state

    def target_rows(self, X, Y, target):
        """The test rows, with their solves (:class:`TargetRows`).

        Parameters
        ----------
        X, Y, target : as for :meth:`influence`

        Returns
        -------
        test : TargetRows

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> bl, Q = BlockLoop(obj, ex.method), targets.make_target("loss", ex.adapter_)
        >>> bl.target_rows(ex.X_[:3], ex.Y_[:3], Q).n_test
        3
        """
        # a small solve runs on one BLAS thread: scipy's LAPACK has its own BLAS,
        # whose idle threads would spin on the cores the product needs next
        a, obj = self.objective.adapter, self.objective
        per_rhs = a.n_params ** 2 if isinstance(obj.solver, CholeskySolver) \
            else count_nonzero(obj.X) * a.n_outputs
        with blas_limit(2 * per_rhs * X.shape[0]):
            return TargetRows(self.objective, X, Y, target, self.method)

    def row_cost(self, n_test, in_place=False):
        """float64 values a block holds per training row (its solves and outputs).

        Parameters
        ----------
        n_test : int
        in_place : bool, default=False
            First order writing into the caller's result: only the scaled rows.

        Returns
        -------
        cost : int

        See Also
        --------
        blocks : the row blocks this cost gives (with an example of both).
        """
        a = self.objective.adapter
        solve = a.n_params * (a.n_outputs if self.method == "newton" else 1)
        if in_place and self.method == "first_order":
            return solve + 1
        return solve + n_test * a.n_outputs

    def blocks(self, n_test, in_place=False):
        """The blocks of training rows for ``n_test`` test rows: list of slices.

        Parameters
        ----------
        n_test : int
        in_place : bool, default=False
            As for :meth:`row_cost`.

        Returns
        -------
        blocks : list of slice

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> bl = BlockLoop(obj, ex.method)
        >>> bl.row_cost(3), bl.blocks(3)  # 11 parameters + 3 test rows; one block
        (14, [slice(0, 442, None)])
        """
        return row_blocks(self.objective.n_rows, self.row_cost(n_test, in_place))

    def _map(self, func, n_test, collect=True, in_place=False):
        blocks = self.blocks(n_test, in_place)
        flops = count_nonzero(self.objective.X) * self.row_cost(n_test)
        results = map_blocks(func, blocks, n_jobs=self.n_jobs, flops=flops,
                             verbose=self.verbose, collect=collect)
        return results, blocks

    def _inverse(self):
        """newton's explicit ``H^{-1}`` (or None): formed here, before workers start."""
        return newton_operator(self.objective) if self.method == "newton" else None

    def influence(self, X, Y, target):
        """``influence[t, j]`` for every test row t and training row j.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_test, n_features)
        Y : ndarray
            Encoded targets.
        target : object
            The quantity Q (:mod:`skinfluence.targets`).

        Returns
        -------
        influence : ndarray of shape (n_test, n_train)

        Raises
        ------
        MemoryError
            Before any work, when the result exceeds ``max_memory``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> bl, Q = BlockLoop(obj, ex.method), targets.make_target("loss", ex.adapter_)
        >>> infl = bl.influence(ex.X_[:3], ex.Y_[:3], Q)
        >>> np.allclose(infl, ex.influence(ex.X_[:3], ex.y_[:3]))
        True
        """
        obj = self.objective
        check_output_size((X.shape[0], obj.n_rows), memory_budget(self.max_memory),
                          "influence()", INFLUENCE_ALTERNATIVES)
        test, inverse = self.target_rows(X, Y, target), self._inverse()
        out = np.empty((test.n_test, obj.n_rows))
        inplace = shares_memory(self.n_jobs)  # threads: each block writes its columns

        def block(rows):
            view = out[:, rows] if inplace else None
            return influence_block(obj, test, rows, inverse, out=view)

        results, blocks = self._map(block, test.n_test, False, inplace)
        for values, rows in zip(results, blocks):  # results first: all are drained
            if not inplace:
                out[:, rows] = values
        return out

    def top(self, X, Y, target, k):
        """The ``k`` largest and smallest influences per test row, streamed.

        Parameters
        ----------
        X, Y, target : as for :meth:`influence`
        k : int

        Returns
        -------
        top : Bunch, as :meth:`StreamingTopK.result` returns

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> bl, Q = BlockLoop(obj, ex.method), targets.make_target("loss", ex.adapter_)
        >>> best = np.argsort(-bl.influence(ex.X_[:3], ex.Y_[:3], Q), axis=1)[:, :2]
        >>> np.array_equal(bl.top(ex.X_[:3], ex.Y_[:3], Q, k=2).helpful_indices, best)
        True
        """
        obj, test = self.objective, self.target_rows(X, Y, target)
        inverse = self._inverse()
        top = StreamingTopK(test.n_test, k)

        def block(rows):  # each worker reduces its block to few candidates
            values = influence_block(obj, test, rows, inverse)
            return top.reduce(values, np.arange(rows.start, rows.stop))

        results, _ = self._map(block, test.n_test, collect=False)
        for candidates in results:
            top.add(candidates)
        return top.result()

    def mean(self, X, Y, target, weights):
        """``weights @ influence(X, Y, target) / weights.sum()``, (n_train,).

        First order: one solve (:func:`mean_influence_first_order`); newton:
        streamed over blocks, without the full matrix.

        Parameters
        ----------
        X, Y, target : as for :meth:`influence`
        weights : ndarray of shape (n_test,)
            Non-negative, not all zero.

        Returns
        -------
        mean : ndarray of shape (n_train,)

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> bl, Q = BlockLoop(obj, ex.method), targets.make_target("loss", ex.adapter_)
        >>> mean = bl.mean(ex.X_[:3], ex.Y_[:3], Q, np.ones(3))
        >>> np.allclose(mean, bl.influence(ex.X_[:3], ex.Y_[:3], Q).mean(0))
        True
        """
        obj = self.objective
        if self.method == "first_order":
            return mean_influence_first_order(obj, X, Y, target, weights)
        test, inverse = self.target_rows(X, Y, target), self._inverse()
        weights = weights / weights.sum()
        results, _ = self._map(
            lambda rows: weights @ influence_block(obj, test, rows, inverse),
            test.n_test)
        return np.concatenate(results)

    def self_influence(self):
        """Each training row's influence on its own loss: (n_train,).

        Returns
        -------
        self_influence : ndarray of shape (n_train,)

        Notes
        -----
        With a matrix-free solver (no Cholesky factor to reuse) the leverages
        ``J_j H^{-1} J_j^T`` of all rows come from
        :func:`~skinfluence.solvers.row_leverages` (exact dual or primal form
        where the budget allows, else calibrated and its error reported) instead
        of one solve per row. Mean-form objectives, kinked losses: per row.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> np.allclose(BlockLoop(obj, ex.method).self_influence(), ex.self_influence())
        True
        """
        obj = self.objective
        if obj.penalty_gradient is None and obj.operator is not None and not (
                isinstance(obj.solver, CholeskySolver) or has_kinks(obj.adapter)):
            lev = row_leverages(obj.operator, obj.solver, max_memory=self.max_memory,
                                random_state=self.random_state, verbose=self.verbose)
            return self_influence_from_leverages(obj, lev.leverages, self.method)
        inverse = self._inverse()
        results, _ = self._map(
            lambda rows: self_influence_block(obj, rows, self.method, inverse), 0)
        return np.concatenate(results)

    def population(self, X, Y, target, populations):
        """Influence of removing each population on every test row.

        Parameters
        ----------
        X, Y, target : as for :meth:`influence`
        populations : list of ndarray of int

        Returns
        -------
        influence : ndarray of shape (n_test, n_populations)

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> bl, Q = BlockLoop(obj, ex.method), targets.make_target("loss", ex.adapter_)
        >>> pop = bl.population(ex.X_[:3], ex.Y_[:3], Q, [np.arange(5)])
        >>> np.allclose(pop.T, bl.influence(ex.X_[:3], ex.Y_[:3], Q)[:, :5].sum(1))
        True
        """
        test = self.target_rows(X, Y, target)
        return population_influence(self.objective, test, populations, self.fit_solver)

    def shifts(self, transform=None):
        """``theta_{-j} - theta`` for every training row, (n_train, n_params).

        Parameters
        ----------
        transform : callable, default=None
            Applied to each block's shifts (n_rows, n_params) in the worker, e.g.
            a change of layout.

        Returns
        -------
        shifts : ndarray of shape (n_train, n_params)

        Raises
        ------
        MemoryError
            Before any work, when the result exceeds ``max_memory``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer, targets
        >>> from skinfluence.influence import FittedObjective
        >>> ex = InfluenceExplainer(Ridge()).fit(*load_diabetes(return_X_y=True))
        >>> obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
        >>> np.allclose(BlockLoop(obj, ex.method).shifts(), -ex.params_influence())
        True
        """
        obj = self.objective
        check_output_size((obj.n_rows, obj.adapter.n_params),
                          memory_budget(self.max_memory), "params_influence()",
                          SHIFTS_ALTERNATIVES)
        inverse = self._inverse()

        def block(rows):
            s = (first_order_shifts(obj, rows) if self.method == "first_order"
                 else newton_shifts(obj, rows, inverse))
            return s if transform is None else transform(s)

        out = None  # width from the first block: ``transform`` may change the layout
        results, blocks = self._map(block, 0, collect=False)
        for values, rows in zip(results, blocks):  # results first: all are drained
            if out is None:
                out = np.empty((obj.n_rows, values.shape[1]))
            out[rows] = values
        return out
