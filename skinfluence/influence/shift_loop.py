r"""The shift loop: influence from a removal engine's parameter shifts.

For readers whose rows' gradients are not of the structured form the kernels of
:mod:`~skinfluence.influence.kernels` take (HuberRegressor, whose scale ``sigma``
is fitted with ``theta``), the reader's
:meth:`~skinfluence.models.LinearModelAdapter.removal_engine` gives the removal
shifts ``phi_{-j} - phi`` of its whole parameter vector ``phi = (theta, extra)``,
and everything the explainer returns is computed from them over blocks of
training rows::

    influence[t, j] = Q_t(phi) - Q_t(phi + shift_j)

with ``Q_t`` a target of :mod:`skinfluence.targets`, a function of the test
row's decision value ``z_t = x~_t theta`` only (the extra parameters move ``Q``
through ``theta``'s shift; for HuberRegressor ``target="loss"`` is the Huber term
at the explained model's ``scale_``, as :meth:`InfluenceExplainer.retrain_effect`
measures it). First order: ``-dQ_t/dz x~_t . shift_j``, one product per block;
newton: ``Q_t`` evaluated exactly at ``z_t + x~_t . shift_j`` with the engine's
Newton shifts.
"""

import numpy as np

from ..parallel import check_output_size, map_blocks, memory_budget, row_blocks
from ..targets import make_target
from .loop import INFLUENCE_ALTERNATIVES, SHIFTS_ALTERNATIVES
from .topk import StreamingTopK

__all__ = ["ShiftLoop"]


class ShiftLoop:
    """The explainer's loop over blocks of training rows, from removal shifts.

    The same methods as :class:`~skinfluence.influence.BlockLoop`. Blocks run
    through joblib (``n_jobs``; the engine is read only); results larger than
    ``max_memory`` are refused before any work.

    Parameters
    ----------
    engine : object
        ``shifts(rows, method)``: ``phi_{-j} - phi`` of shape (n_rows, n_phi),
        ``theta`` (augmented layout) first; ``population_shifts(populations,
        method)``; attributes ``X`` (training rows), ``Y`` (encoded targets) and
        ``n_phi`` (the length of a shift).
        E.g. :class:`~skinfluence.models.huber_removal.HuberRemoval`.
    adapter : LinearModelAdapter
        The reader (one output); its ``decision`` and ``augmented_rows``.
    method : {"first_order", "newton"}
    n_jobs : int, default=None
    verbose : int, default=0
    max_memory : float, default=None
        Budget in bytes for a returned matrix.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import HuberRegressor
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import ShiftLoop
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
    >>> loop = ShiftLoop(ex.removal_, ex.adapter_, ex.method)
    >>> np.allclose(loop.self_influence(), ex.self_influence())
    True
    """

    def __init__(self, engine, adapter, method, n_jobs=None, verbose=0,
                 max_memory=None):
        if adapter.n_outputs != 1:
            raise ValueError("ShiftLoop explains models with one output.")
        self.engine, self.adapter, self.method = engine, adapter, method
        self.n_jobs, self.verbose, self.max_memory = n_jobs, verbose, max_memory
        self.n_rows = engine.X.shape[0]

    def _map(self, func, n_test, collect=True):
        blocks = row_blocks(self.n_rows, self.engine.n_phi + n_test)
        results = map_blocks(func, blocks, n_jobs=self.n_jobs, verbose=self.verbose,
                             collect=collect)
        return results, blocks

    def _effects(self, X, Y, target, shifts):
        """``Q_t(phi) - Q_t(phi + shift_s)`` for test rows t: (n_test, n_shifts)."""
        a = self.adapter
        Z, Xa = a.decision(X), a.augmented_rows(X)
        dz = Xa @ shifts[:, : a.n_params].T  # the decision values' moves
        return self._change(target, Z, Y, dz)

    def _change(self, target, Z, Y, dz):
        """``Q(z_t) - Q(z_t + dz_ts)``: (n, n_shifts); first order: linear in ``dz``."""
        if self.method == "first_order":
            return -target.gradient(Z, Y)[:, :1] * dz
        moved = target.value(Z[:, None, :] + dz[..., None], Y)
        return target.value(Z, Y)[:, None] - moved

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
        >>> from sklearn.linear_model import HuberRegressor
        >>> from skinfluence import InfluenceExplainer, targets
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
        >>> loop = ShiftLoop(ex.removal_, ex.adapter_, "first_order")
        >>> Q = targets.make_target("prediction", ex.adapter_)
        >>> loop.influence(X[:3], ex.Y_[:3], Q).shape
        (3, 442)
        """
        check_output_size((X.shape[0], self.n_rows), memory_budget(self.max_memory),
                          "influence()", INFLUENCE_ALTERNATIVES)
        results, _ = self._map(lambda rows: self._block(X, Y, target, rows),
                               X.shape[0])
        return np.hstack(results)

    def _block(self, X, Y, target, rows):
        return self._effects(X, Y, target, self.engine.shifts(rows, self.method))

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
        >>> from sklearn.linear_model import HuberRegressor
        >>> from skinfluence import InfluenceExplainer, targets
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
        >>> loop = ShiftLoop(ex.removal_, ex.adapter_, "newton")
        >>> Q = targets.make_target("loss", ex.adapter_)
        >>> best = np.argsort(-loop.influence(X[:3], ex.Y_[:3], Q), axis=1)[:, :2]
        >>> np.array_equal(loop.top(X[:3], ex.Y_[:3], Q, k=2).helpful_indices, best)
        True
        """
        top = StreamingTopK(X.shape[0], k)

        def block(rows):
            values = self._block(X, Y, target, rows)
            return top.reduce(values, np.arange(rows.start, rows.stop))

        results, _ = self._map(block, X.shape[0], collect=False)
        for candidates in results:
            top.add(candidates)
        return top.result()

    def mean(self, X, Y, target, weights):
        """``weights @ influence(X, Y, target) / weights.sum()``, (n_train,).

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
        >>> from sklearn.linear_model import HuberRegressor
        >>> from skinfluence import InfluenceExplainer, targets
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
        >>> loop = ShiftLoop(ex.removal_, ex.adapter_, "newton")
        >>> Q = targets.make_target("loss", ex.adapter_)
        >>> m = loop.mean(X[:3], ex.Y_[:3], Q, np.ones(3))
        >>> np.allclose(m, loop.influence(X[:3], ex.Y_[:3], Q).mean(0))
        True
        """
        w = weights / weights.sum()
        results, _ = self._map(lambda rows: w @ self._block(X, Y, target, rows),
                               X.shape[0])
        return np.concatenate(results)

    def self_influence(self):
        """Each training row's influence on its own loss: (n_train,).

        The diagonal of ``influence(X_train, y_train, "loss")``, computed per row.
        Not signed by construction: the scale's share of a row's shift (its
        ``sigma`` gradient ``c_j rho_j``) may make it slightly negative (down to
        ``-6e-5`` times the median on the planted diabetes data of the tests).

        Returns
        -------
        self_influence : ndarray of shape (n_train,)

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import HuberRegressor
        >>> from skinfluence import InfluenceExplainer, targets
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
        >>> loop = ShiftLoop(ex.removal_, ex.adapter_, "first_order")
        >>> Q = targets.make_target("loss", ex.adapter_)
        >>> full = loop.influence(ex.design_, ex.Y_, Q)
        >>> np.allclose(loop.self_influence(), np.diag(full))
        True
        """
        Q, X, Y = make_target("loss", self.adapter), self.engine.X, self.engine.Y

        def block(rows):
            Z, dz = self.adapter.decision(X[rows]), self._own_moves(rows)
            return self._change(Q, Z, Y[rows], dz[:, None])[:, 0]

        results, _ = self._map(block, 1)
        return np.concatenate(results)

    def _own_moves(self, rows):
        """``z_j(phi + shift_j) - z_j(phi)`` of the training rows: (n_rows,)."""
        a, X = self.adapter, self.engine.X[rows]
        S = self.engine.shifts(rows, self.method)
        return np.einsum("ij,ij->i", a.augmented_rows(X), S[:, : a.n_params])

    def own_decision_shifts(self):
        """Each training row's decision value moved by the fit without it: (n_train, 1).

        ``z_j(phi_{-j}) - z_j(phi)``, for leave-one-out predictions (the pruner).

        Returns
        -------
        ndarray of shape (n_train, 1)

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import HuberRegressor
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
        >>> loop = ShiftLoop(ex.removal_, ex.adapter_, "newton")
        >>> ex.set_params(method="newton")  # doctest: +ELLIPSIS
        InfluenceExplainer(...)
        >>> infl = ex.influence(X, y / y.std(), "prediction")
        >>> np.allclose(loop.own_decision_shifts()[:, 0], -np.diag(infl))
        True
        """
        results, _ = self._map(self._own_moves, 1)
        return np.concatenate(results)[:, None]

    def population(self, X, Y, target, populations):
        """Influence of removing each population on every test row.

        First order: the sum of the rows' influences (the engine's first-order
        population shift is the sum of theirs); newton: ``Q`` exactly at the
        engine's Newton step without the population.

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
        >>> from sklearn.linear_model import HuberRegressor
        >>> from skinfluence import InfluenceExplainer, targets
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
        >>> loop = ShiftLoop(ex.removal_, ex.adapter_, "first_order")
        >>> Q = targets.make_target("loss", ex.adapter_)
        >>> pop = loop.population(X[:3], ex.Y_[:3], Q, [np.arange(5)])
        >>> np.allclose(pop.T, loop.influence(X[:3], ex.Y_[:3], Q)[:, :5].sum(1))
        True
        """
        shifts = self.engine.population_shifts(populations, self.method)
        return self._effects(X, Y, target, shifts)

    def shifts(self, transform=None):
        """``phi_{-j} - phi`` for every training row, (n_train, n_phi).

        Parameters
        ----------
        transform : callable, default=None
            Applied to each block's shifts (n_rows, n_phi), e.g. a change of
            layout.

        Returns
        -------
        shifts : ndarray of shape (n_train, n_phi)

        Raises
        ------
        MemoryError
            Before any work, when the result exceeds ``max_memory``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import HuberRegressor
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(HuberRegressor(max_iter=1000)).fit(X, y / y.std())
        >>> loop = ShiftLoop(ex.removal_, ex.adapter_, "newton")
        >>> np.allclose(loop.shifts(), ex.removal_.shifts(slice(None), "newton"))
        True
        """
        check_output_size((self.n_rows, self.engine.n_phi),
                          memory_budget(self.max_memory), "params_influence()",
                          SHIFTS_ALTERNATIVES)

        def block(rows):
            s = self.engine.shifts(rows, self.method)
            return s if transform is None else transform(s)

        results, _ = self._map(block, 0)
        return np.vstack(results)
