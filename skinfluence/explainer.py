"""InfluenceExplainer: the public face. No model-specific code lives here."""

import numbers
import os
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._validation import check_features, check_populations, check_sample_weight, split_pipeline
from .exceptions import InfluenceWarning
from .models import make_adapter
from ._threads import blas_limit
from .models._base import _augmented_dot
from .solvers import HessianOperator, HessianSolver, make_solver
from .targets import make_target

__all__ = ["InfluenceExplainer"]

#: ``fit`` warns when ||grad F(theta)|| exceeds this multiple of the root mean
#: square norm of one row's gradient term. Measured on breast_cancer and digits
#: (lbfgs stopped at various points, influences compared with those at the exact
#: optimum): ratios up to ~1 (scikit-learn's default tol=1e-4 gives 0.2-1.1) moved
#: influences by < 1% of their range; ratios of 6-300 (max_iter=3..30, a model
#: fitted on other rows) by 2%-60%.
STATIONARITY_TOLERANCE = 1.0

#: A refit used as the truth must be much closer to its optimum than that.
REFIT_STATIONARITY_TOLERANCE = 1e-6

#: method="newton" forms H^{-1} explicitly up to this many parameters (128 MiB).
_EXPLICIT_INVERSE_MAX_PARAMS = 4096

#: Work on blocks of training rows no larger than this many float64 values.
_CHUNK_ELEMENTS = 2**23

#: ``max_memory=None``: this fraction of the machine's physical memory.
DEFAULT_MEMORY_FRACTION = 0.5


class InfluenceExplainer(BaseEstimator):
    """Predict how a linear model would change if training rows were removed.

    Every number predicts ``Q(fitted on all rows) - Q(refitted without the
    rows)`` for the same estimator with the same hyper-parameters, which
    :meth:`retrain_effect` measures by actually refitting.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A supported linear model (LogisticRegression, LogisticRegressionCV,
        Ridge, RidgeCV, RidgeClassifier, RidgeClassifierCV, LinearRegression) or a
        Pipeline ending in one; earlier Pipeline steps are treated as a fixed
        feature map. A fitted estimator is used as is (it must have been fitted
        on the ``X, y`` given to :meth:`fit`); an unfitted one is cloned and fitted.
    method : {"first_order", "newton"}, default="first_order"
        ``"first_order"``: the linearised influence ``Q(theta) - Q(theta + H^{-1} g)``
        (Koh & Liang). ``"newton"``: one Newton step with the removed rows'
        curvature taken out, ``(H - H_S)^{-1} g_S``, and Q evaluated exactly
        there: exact leave-out for squared loss, Pregibon's one-step for logistic.
    solver : {"auto", "cholesky", "cg", "lissa"} or solver object, default="auto"
        How ``H^{-1}`` is applied. ``"cholesky"``: dense factorisation of the
        Hessian (built by BLAS-3 products), exact. ``"cg"``: matrix-free
        Jacobi-preconditioned conjugate gradient on Hessian-vector products
        (sparse or wide X; exact to its ``tol``). ``"lissa"``: the stochastic
        estimator of Agarwal et al. (2017), approximate. ``"auto"``: cholesky
        when the dense Hessian fits comfortably (``n_params <= 5000`` and
        ``8 * n_params**2`` bytes within a quarter of ``max_memory``), cg
        otherwise. To set a solver's options, pass the object, e.g.
        ``solver=CGSolver(tol=1e-10, max_iter=500)`` or ``LissaSolver(recursion_depth=2000)``
        (see :mod:`skinfluence.solvers`).
    damping : float, default=0.0
        Added to the Hessian's diagonal. Needed when it is singular (e.g.
        LinearRegression with collinear features); any damping > 0 makes the
        numbers differ from refitting.
    n_jobs : int, default=None
        Blocks of training rows processed in parallel through joblib (threads
        by default; any joblib backend, e.g. Dask with
        ``joblib.parallel_config(backend="dask")``). Each worker's BLAS gets
        ``cpu_count // n_jobs`` threads so they do not oversubscribe the cores.
    random_state : int, RandomState instance or None, default=None
        For stochastic solvers; the exact solvers do not use it.
    verbose : int, default=0
        Print progress over blocks of training rows when > 0.
    max_memory : int or float, default=None
        Memory budget in bytes for a result :meth:`influence` or
        :meth:`params_influence` returns; larger requests are refused before any
        work, naming the streaming alternatives. ``None``: half of this
        machine's physical memory. Also bounds the dense Hessian ``solver="auto"``
        accepts.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model explained (the Pipeline's last step for a Pipeline).
    feature_map_ : Pipeline or None
        The fitted Pipeline steps before the model.
    adapter_ : LinearModelAdapter
        The model's objective (see :mod:`skinfluence.models`).
    solver_ : HessianSolver
        The fitted inverse-Hessian solver.
    gradient_norm_ : float
        ``||grad F(theta_hat)||`` of the objective at the fitted parameters.
    relative_gradient_norm_ : float
        ``gradient_norm_`` over the root-mean-square norm of one row's gradient
        term; ``fit`` warns above ``STATIONARITY_TOLERANCE`` = 1 (see its comment
        for the measurements behind it). Below it, influences are within about 1%
        of those at the exact optimum, but a tightly converged refit also moves
        by the residual ``H^{-1} grad F``, which :meth:`retrain_effect` includes.
    n_train_ : int
        Number of training rows.
    """

    _parameter_constraints = {
        "estimator": [object],
        "method": [StrOptions({"first_order", "newton"})],
        "solver": [StrOptions({"auto", "cholesky", "cg", "lissa"}), HessianSolver],
        "damping": [Interval(numbers.Real, 0, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "max_memory": [Interval(numbers.Real, 0, None, closed="neither"), None],
    }

    def __init__(self, estimator, method="first_order", solver="auto", damping=0.0,
                 n_jobs=None, random_state=None, verbose=0, max_memory=None):
        self.estimator = estimator
        self.method = method
        self.solver = solver
        self.damping = damping
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.max_memory = max_memory

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None):
        """Read (or fit) the model and factorise the Hessian of its objective.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training data the model was (or will be) fitted on.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        self._validate_params()
        n = _num_rows(X)
        if _num_rows(y) != n:
            raise ValueError(f"X has {n} rows but y has {_num_rows(y)}.")
        sw = check_sample_weight(sample_weight, n)
        self.feature_map_, self.estimator_ = split_pipeline(
            self.estimator, X, y, None if sample_weight is None else sw
        )
        self.X_ = check_features(self.estimator_, self.feature_map_, X)
        if sparse.issparse(self.X_) and self.X_.format != "csr":
            self.X_ = self.X_.tocsr()  # blocks of rows are sliced from it
        self.adapter_ = make_adapter(self.estimator_, y, sw)
        self.Y_ = self.adapter_.encode_target(y)
        self.y_ = np.asarray(y).copy()
        self.sample_weight_ = sw
        self.weights_ = self.adapter_.row_weights(self.Y_, sw)
        self.n_train_ = n
        self.operator_ = HessianOperator(
            self.adapter_, self.X_, self.Y_, self.weights_, damping=self.damping
        )
        a = self.adapter_
        with blas_limit(_nnz(self.X_) * a.n_params * a.n_outputs):
            self.solver_ = make_solver(
                self.solver, self.operator_, random_state=self.random_state,
                max_memory=self._memory_budget(),
            )
        self._inverse = None  # H^{-1}, formed on demand by method="newton"
        self.gradient_norm_, self.relative_gradient_norm_ = self._stationarity(
            self.adapter_, self.X_, self.Y_, self.weights_
        )
        if self.relative_gradient_norm_ > STATIONARITY_TOLERANCE:
            warnings.warn(
                f"{type(self.estimator_).__name__} is not at an optimum of its objective "
                f"on these data: ||grad F(theta)|| = {self.gradient_norm_:.3g}, "
                f"{self.relative_gradient_norm_:.3g} times a typical row's gradient "
                "term, so influences computed here can be off by several percent or "
                "more. Was it fitted on this X, y (and sample_weight)? If so, refit "
                "with a smaller tol or a larger max_iter.",
                InfluenceWarning, stacklevel=2,
            )
        return self

    def _stationarity(self, adapter, X, Y, weights):
        grad = adapter.objective_gradient(X, Y, weights)
        N = adapter.null_space()
        if N is not None:
            grad = grad - N @ (N.T @ grad)
        scale = adapter.row_gradient_scale(X, Y, weights)
        norm = float(np.linalg.norm(grad))
        return norm, norm / scale if scale > 0 else (0.0 if norm == 0 else np.inf)

    # --------------------------------------------------------------- inputs
    def _test_inputs(self, X_test, y_test, target):
        check_is_fitted(self, "solver_")
        Xt = check_features(self.estimator_, self.feature_map_, X_test, name="X_test")
        if _num_rows(y_test) != Xt.shape[0]:
            raise ValueError(
                f"X_test has {Xt.shape[0]} rows but y_test has {_num_rows(y_test)}."
            )
        Yt = self.adapter_.encode_target(y_test)
        tgt = make_target(target, self.adapter_)
        return Xt, Yt, tgt

    def _row_cost(self, n_test):
        """float64 values held per training row of a block (its solves and outputs)."""
        a = self.adapter_
        solve = a.n_params * (a.n_outputs if self.method == "newton" else 1)
        return solve + n_test * a.n_outputs

    def _chunks(self, n_columns):
        """Row blocks of the training set so a block's work stays bounded."""
        size = max(1, min(self.n_train_, _CHUNK_ELEMENTS // max(1, n_columns)))
        return [np.arange(s, min(s + size, self.n_train_)) for s in range(0, self.n_train_, size)]

    def _memory_budget(self):
        if self.max_memory is not None:
            return float(self.max_memory)
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # not POSIX: 8 GB assumed
            total = 8 * 2**30
        return DEFAULT_MEMORY_FRACTION * total

    def _check_output_size(self, shape, method, alternatives):
        need = 8.0 * np.prod(shape, dtype=np.float64)
        budget = self._memory_budget()
        if need > budget:
            raise MemoryError(
                f"{method} would return a {shape[0]} x {shape[1]} float64 array "
                f"({need / 2**30:.2f} GiB), above the memory budget max_memory="
                f"{budget / 2**30:.2f} GiB. {alternatives} Or raise max_memory "
                "(InfluenceExplainer(..., max_memory=<bytes>)), or pass fewer test rows "
                "at a time."
            )

    def _map_chunks(self, func, n_columns, collect=True):
        """Run ``func(rows)`` on every block of training rows through joblib.

        ``collect=False`` returns a generator of results in order, so the caller
        can store each block as it arrives (peak: the output plus the blocks in
        flight). BLAS threads are shared out between workers.
        """
        chunks = self._chunks(n_columns)
        n_workers = _n_workers(self.n_jobs, len(chunks))
        if self.verbose:
            print(f"[InfluenceExplainer] {len(chunks)} block(s) of training rows, "
                  f"{n_workers} worker(s)")

        def run():
            with blas_limit(_nnz(self.X_) * n_columns, n_workers):
                yield from Parallel(
                    n_jobs=self.n_jobs, prefer="threads", verbose=self.verbose,
                    return_as="generator",
                )(delayed(func)(rows) for rows in chunks)

        return (list(run()) if collect else run()), chunks

    # ------------------------------------------------------ the core maths
    def _weighted_residuals(self, rows):
        a = self.adapter_
        rows = _contiguous(rows)  # a view of X, not a copy
        _, dZ = a.loss_gradient(a.decision(self.X_[rows]), self.Y_[rows])
        return dZ, self.weights_[rows]

    def _param_shifts(self, rows):
        """``theta_{-j} - theta`` for each row j in ``rows``: (len(rows), n_params).

        first_order: ``H^{-1} g_j``. newton: ``(H - H_j)^{-1} g_j`` by the
        Woodbury identity, ``H^{-1} J_j^T (I - c_j D_j M_j)^{-1} c_j r_j`` with
        ``M_j = J_j H^{-1} J_j^T`` (K x K).
        """
        a = self.adapter_
        Xr = self.X_[rows]
        dZ, c = self._weighted_residuals(rows)
        n, K = len(rows), a.n_outputs
        if self.method == "first_order":
            G = a.row_gradients(Xr, self.Y_[rows], self.weights_[rows])
            return self.solver_.solve(G.T).T
        T = self._inverse_times_jacobian(Xr)
        Xa = a.augmented_rows(Xr)
        M = np.einsum("jlka,ja->jkl", T, Xa)
        D = a.curvature(a.decision(Xr), self.Y_[rows])
        if a.curvature_is_diagonal:
            D = D[:, :, None] * np.eye(K)
        system = np.eye(K) - c[:, None, None] * np.einsum("jkl,jlm->jkm", D, M)
        try:
            w = np.linalg.solve(system, (c[:, None] * dZ)[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                "method='newton': removing one of the rows leaves the Hessian singular "
                "(a row with leverage 1, e.g. the only row informing a parameter). "
                "Use method='first_order' or damping > 0."
            ) from None
        return np.einsum("jlka,jl->jka", T, w).reshape(n, -1)

    def _inverse_times_jacobian(self, Xr):
        """``H^{-1} J_j^T`` for each row j of Xr, shape (n, K, K, n_dof) as [j, l, k, a]:
        entry ``(k, a)`` of the solution for output ``l``.

        With a small Hessian, ``H^{-1}`` is formed once (n_params solves, fewer than
        the K per training row otherwise needed) and each row costs one BLAS-3
        product; otherwise K solves per row.
        """
        a = self.adapter_
        n, K, d = Xr.shape[0], a.n_outputs, a.n_dof
        if a.n_params <= min(_EXPLICIT_INVERSE_MAX_PARAMS, K * self.n_train_):
            if self._inverse is None:
                self._inverse = self.solver_.solve(np.eye(a.n_params))
            # W[(l, k, a), b] = H^{-1}[(l, b), (k, a)]  (H^{-1} is symmetric)
            W = self._inverse.reshape(K, d, K * d).transpose(0, 2, 1).reshape(K * K * d, d)
            return _augmented_dot(Xr, W, a.fit_intercept).reshape(n, K, K, d)
        A = self.solver_.solve(a.jacobian_solve_inputs(Xr)).reshape(K, d, n, K)
        return A.transpose(2, 3, 0, 1)

    def _test_shift(self, Xt, shifts):
        """Change of the test rows' linear predictor: (n_test, n_shifts, K)."""
        a = self.adapter_
        K = a.n_outputs
        S = shifts.reshape(len(shifts) * K, a.n_dof)
        return _augmented_dot(Xt, S, a.fit_intercept).reshape(Xt.shape[0], len(shifts), K)

    def _influence_block(self, Xt, Yt, tgt, rows, test_side=None, out=None):
        """Influence of the training rows ``rows`` on every test row: (n_test, len(rows)).

        ``out``: a (n_test, len(rows)) view to write into (then returns None), so
        the product lands in the result directly: no second pass over fresh memory.
        """
        block = self._influence_values(Xt, Yt, tgt, rows, test_side, out)
        if out is None:
            return block
        if block is not out:
            out[...] = block
        return None

    def _influence_values(self, Xt, Yt, tgt, rows, test_side, out):
        a = self.adapter_
        Zt = a.decision(Xt)
        if self.method == "first_order" and test_side is not None:
            # -(H^{-1} grad Q_t) . g_j, with g_j = c_j r_j (x) [x_j, 1]: one product
            dZ, c = self._weighted_residuals(rows)
            # fold -c_j r_jk into the rows: one GEMM per output, (n_test, rows) each,
            # summed in a fixed order (so any blocking gives the same bits)
            W = -(c[:, None] * dZ)
            S = test_side.reshape(a.n_outputs, Xt.shape[0], a.n_dof)
            Xr = self.X_[_contiguous(rows)]
            acc = None
            for k in range(a.n_outputs):
                w = W[:, k]
                if sparse.issparse(Xr):
                    Xw = sparse.diags_array(w) @ Xr
                    if a.fit_intercept:
                        Xw = sparse.hstack([Xw, w[:, None]], format="csr")
                    term = np.asarray(Xw @ S[k].T).T
                else:
                    Xw = np.empty((len(w), a.n_dof))
                    np.multiply(Xr, w[:, None], out=Xw[:, : Xr.shape[1]])
                    if a.fit_intercept:
                        Xw[:, -1] = w
                    term = np.matmul(S[k], Xw.T, out=out if k == 0 else None)
                acc = term if acc is None else acc.__iadd__(term)
            return acc
        dz = self._test_shift(Xt, self._param_shifts(rows))
        if self.method == "first_order":
            return -np.einsum("tjk,tk->tj", dz, tgt.gradient(Zt, Yt))
        return tgt.value(Zt, Yt)[:, None] - tgt.value(Zt[:, None, :] + dz, Yt)

    def _test_side_solves(self, Xt, Yt, tgt):
        """``H^{-1} grad_theta Q_t`` for every test row, as (K * n_test, n_dof)."""
        a = self.adapter_
        if self.method != "first_order":
            return None
        q = tgt.gradient(a.decision(Xt), Yt)  # (n_test, K)
        Xa = a.augmented_rows(Xt)
        V = (q.T[:, None, :] * Xa.T[None, :, :]).reshape(a.n_params, Xt.shape[0])
        S = self.solver_.solve(V).reshape(a.n_outputs, a.n_dof, Xt.shape[0])
        return S.transpose(0, 2, 1).reshape(-1, a.n_dof)

    # ----------------------------------------------------------- public API
    def influence(self, X_test, y_test, target="loss"):
        """Influence of each training row on each test row.

        ``influence[t, j] = Q_t(all rows) - Q_t(without row j)`` (predicted).
        With ``target="loss"``, positive = row j helps test row t.

        Returns
        -------
        ndarray of shape (n_test, n_train)
        """
        Xt, Yt, tgt = self._test_inputs(X_test, y_test, target)
        self._check_output_size(
            (Xt.shape[0], self.n_train_), "influence()",
            "top_influences(X_test, y_test, k) streams the k most helpful and harmful "
            "rows per test row in bounded memory, and population_influence(X_test, "
            "y_test, populations) sums over groups of rows without the full matrix.",
        )
        with blas_limit(self._work(Xt.shape[0])):
            S = self._test_side_solves(Xt, Yt, tgt)
        out = np.empty((Xt.shape[0], self.n_train_))
        inplace = _shares_memory(self.n_jobs)  # threads: each block writes its columns

        def block(rows):
            view = out[:, rows[0]:rows[-1] + 1] if inplace else None
            return self._influence_block(Xt, Yt, tgt, rows, S, out=view)

        blocks, chunks = self._map_chunks(block, self._row_cost(Xt.shape[0]), collect=False)
        for values, rows in zip(blocks, chunks):  # blocks first: exhausts the generator
            if not inplace:
                out[:, rows[0]:rows[-1] + 1] = values
        return out

    def _work(self, n_test):
        """Flops of the largest products of one call, for :func:`blas_limit`."""
        a = self.adapter_
        return _nnz(self.X_) * a.n_outputs * (n_test + a.n_params)

    def top_influences(self, X_test, y_test, k=10, target="loss"):
        """The ``k`` most helpful and most harmful training rows per test row.

        Computed block by block over the training rows, so memory stays
        ``O(n_test * (k + block))`` whatever ``n_train``.

        Returns
        -------
        Bunch with ``helpful_indices``, ``helpful_scores`` (descending) and
        ``harmful_indices``, ``harmful_scores`` (ascending), each (n_test, k).
        """
        check_is_fitted(self, "solver_")
        if not isinstance(k, numbers.Integral) or not 1 <= k <= self.n_train_:
            raise ValueError(f"k must be an integer in [1, n_train={self.n_train_}], got {k!r}.")
        Xt, Yt, tgt = self._test_inputs(X_test, y_test, target)
        with blas_limit(self._work(Xt.shape[0])):
            S = self._test_side_solves(Xt, Yt, tgt)
        n_test = Xt.shape[0]

        # Running k-th best per test row: values below it cannot enter the top k, so
        # a block is first filtered by one comparison (cheap) and only the few
        # survivors are ranked. Thresholds only rise and a worker reading an older
        # one keeps more candidates, never fewer: any order of blocks is exact.
        bounds = {"hi": np.full(n_test, -np.inf), "lo": np.full(n_test, -np.inf)}

        def block_extremes(rows):  # each worker reduces its block to few candidates
            block = self._influence_block(Xt, Yt, tgt, rows, S)
            hi = _candidates(block, rows, k, bounds["hi"])
            np.negative(block, out=block)
            return hi, _candidates(block, rows, k, bounds["lo"])

        best_idx = np.empty((n_test, 0), dtype=np.intp)
        best_val = np.empty((n_test, 0))
        worst_idx, worst_neg = best_idx, best_val
        results, _ = self._map_chunks(block_extremes, self._row_cost(n_test), collect=False)
        for (hi_idx, hi_val), (lo_idx, lo_neg) in results:
            best_idx, best_val = _keep_top(np.hstack([best_idx, hi_idx]),
                                           np.hstack([best_val, hi_val]), k)
            worst_idx, worst_neg = _keep_top(np.hstack([worst_idx, lo_idx]),
                                             np.hstack([worst_neg, lo_neg]), k)
            if best_val.shape[1] == k:
                bounds["hi"] = best_val[:, -1].copy()
                bounds["lo"] = worst_neg[:, -1].copy()
        worst_val = -worst_neg
        return Bunch(helpful_indices=best_idx, helpful_scores=best_val,
                     harmful_indices=worst_idx, harmful_scores=worst_val)

    def self_influence(self):
        """Influence of each training row on its own loss: (n_train,), >= 0.

        ``loss_j(without row j) - loss_j(all rows)``; first order:
        ``c_j grad_j^T H^{-1} grad_j``.
        """
        check_is_fitted(self, "solver_")
        a = self.adapter_

        def block(rows):
            Xr, Yr = self.X_[rows], self.Y_[rows]
            if self.method == "first_order":
                U = a.row_gradients(Xr, Yr, np.ones(len(rows)))
                return self.weights_[rows] * self.solver_.quad_form(U.T)
            Z = a.decision(Xr)
            Xa = a.augmented_rows(Xr)
            dz = np.einsum("jd,jkd->jk", Xa, self._param_shifts(rows).reshape(len(rows), a.n_outputs, -1))
            return a.loss(Z + dz, Yr) - a.loss(Z, Yr)

        blocks, _ = self._map_chunks(block, self._row_cost(0))
        return np.concatenate(blocks)

    def params_influence(self):
        """``theta_hat - theta_hat_{-j}`` for each row: (n_train, n_params).

        Parameter layout: ``coef_`` raveled, then ``intercept_`` (when fitted).
        """
        check_is_fitted(self, "solver_")
        self._check_output_size(
            (self.n_train_, self.adapter_.n_params), "params_influence()",
            "population_influence(X_test, y_test, populations) and self_influence() "
            "need no per-row parameter vectors.",
        )
        out = np.empty((self.n_train_, self.adapter_.n_params))
        blocks, chunks = self._map_chunks(
            lambda rows: -self.adapter_.to_public(self._param_shifts(rows)),
            self._row_cost(0), collect=False,
        )
        for block, rows in zip(blocks, chunks):  # blocks first: exhausts the generator
            out[rows[0]:rows[-1] + 1] = block
        return out

    def population_influence(self, X_test, y_test, populations, target="loss"):
        """Influence of removing whole populations of training rows.

        Parameters
        ----------
        populations : mask, index array, or a list / dict / 2-D mask array of them

        Returns
        -------
        ndarray of shape (n_test,) for one population, (n_test, n_populations)
        for several (dict: in the dict's order).

        first_order is the sum of the rows' first-order influences;
        newton takes one Newton step on the objective without the population,
        ``(H - H_S)^{-1} g_S``, and evaluates Q exactly there.
        """
        Xt, Yt, tgt = self._test_inputs(X_test, y_test, target)
        pops, single = check_populations(populations, self.n_train_)
        a = self.adapter_
        shifts = np.empty((len(pops), a.n_params))
        for s, idx in enumerate(pops):
            g = a.data_gradient(self.X_[idx], self.Y_[idx], self.weights_[idx])
            if self.method == "first_order":
                shifts[s] = self.solver_.solve(g)
            else:
                op = self.operator_.without_rows(idx)
                shifts[s] = make_solver(
                    self.solver, op, random_state=self.random_state,
                    max_memory=self._memory_budget(),
                ).solve(g)
        Zt = a.decision(Xt)
        dz = self._test_shift(Xt, shifts)
        if self.method == "first_order":
            out = -np.einsum("tsk,tk->ts", dz, tgt.gradient(Zt, Yt))
        else:
            out = tgt.value(Zt, Yt)[:, None] - tgt.value(Zt[:, None, :] + dz, Yt)
        return out[:, 0] if single else out

    def retrain_effect(self, X_test, y_test, populations, target="loss"):
        """The actual change ``Q(all rows) - Q(refitted without the population)``.

        Each refit clones the model with the same hyper-parameters (CV models:
        the chosen ``C_`` / ``alpha_``; ``class_weight='balanced'``: the weights
        computed on the full data, as influence treats them), warm-started from
        the fitted coefficients where the estimator supports it, with
        ``tol=1e-12`` and at least 10 000 iterations for iterative solvers, so that
        it reaches the optimum influence predicts. A refit still not at an optimum
        (relative gradient above ``REFIT_STATIONARITY_TOLERANCE`` = 1e-6) gets an
        :class:`InfluenceWarning` with its gradient norm. Pipelines: only the last
        step is refitted, on the fixed features.

        Returns
        -------
        ndarray shaped like :meth:`population_influence`'s result.
        """
        Xt, Yt, tgt = self._test_inputs(X_test, y_test, target)
        pops, single = check_populations(populations, self.n_train_)
        a = self.adapter_
        q_full = tgt.value(a.decision(Xt), Yt)
        out = np.empty((Xt.shape[0], len(pops)))
        for s, idx in enumerate(pops):
            keep = np.ones(self.n_train_, dtype=bool)
            keep[idx] = False
            refit = self._refit(keep)
            out[:, s] = q_full - tgt.value(a.decision(Xt, theta=refit.theta), Yt)
        return out[:, 0] if single else out

    def _refit(self, keep):
        """Refit the model without the dropped rows; return the refit's adapter."""
        est = self.adapter_.refit_estimator()
        params = est.get_params()
        if "tol" in params:
            est.set_params(tol=1e-12)
        if params.get("max_iter") is not None:
            est.set_params(max_iter=max(params["max_iter"], 10_000))
        if "warm_start" in params:
            est.set_params(warm_start=True)
            est.coef_ = np.asarray(self.estimator_.coef_).copy()
            est.intercept_ = np.asarray(self.estimator_.intercept_).copy()
        y_keep = self.y_[keep]
        classes = getattr(self.adapter_, "classes", None)
        if classes is not None:
            missing = np.setdiff1d(classes, np.unique(y_keep))
            if missing.size:
                raise ValueError(
                    f"Removing this population leaves no row of class(es) {list(missing)}; "
                    "the refitted model would have other classes."
                )
        sw = self.sample_weight_[keep]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            est.fit(self.X_[keep], y_keep, sample_weight=sw)
        refit = make_adapter(est, y_keep, sw)
        Y = refit.encode_target(y_keep)
        norm, rel = self._stationarity(refit, self.X_[keep], Y, refit.row_weights(Y, sw))
        if rel > REFIT_STATIONARITY_TOLERANCE:
            warnings.warn(
                f"The refit without the population stopped at ||grad F|| = {norm:.3g} "
                f"({rel:.3g} times a typical row's gradient term): the measured effect is "
                "itself approximate.", InfluenceWarning, stacklevel=3,
            )
        return refit

    def mean_influence(self, X, y, target="loss", sample_weight=None):
        """Influence of each training row on the mean of ``Q`` over ``X, y``.

        First order, with one linear solve: the (weighted) mean test gradient
        is solved against ``H`` once, then dotted with every row's gradient term
        without forming the gradients. Equal to
        ``influence(X, y, target).mean(axis=0)`` for a first-order explainer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
        target : {"loss", "proba", "prediction"}, default="loss"
        sample_weight : array-like of shape (n_rows,), default=None
            Weights of the mean (normalised to sum to one).

        Returns
        -------
        ndarray of shape (n_train,)
            With ``target="loss"``, positive = the row lowers the mean loss.

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> X, y = make_regression(60, 3, noise=1.0, random_state=0)
        >>> ex = InfluenceExplainer(Ridge()).fit(X[:40], y[:40])
        >>> ex.mean_influence(X[40:], y[40:]).shape
        (40,)
        """
        Xt, Yt, tgt = self._test_inputs(X, y, target)
        a = self.adapter_
        w = check_sample_weight(sample_weight, Xt.shape[0])
        w = w / w.sum()
        dQ = tgt.gradient(a.decision(Xt), Yt)  # (n_rows, K)
        # minus the mean gradient of Q in the augmented layout, (K, n_dof) raveled
        grad = -((dQ * w[:, None]).T @ a.augmented_rows(Xt)).ravel()
        u = self.solver_.solve(grad).reshape(a.n_outputs, a.n_dof)
        # influence_j = grad^T H^{-1} g_j,  g_j = c_j J_j^T r_j
        proj = _augmented_dot(self.X_, u, a.fit_intercept)  # (n_train, K): J_j u
        _, dZ = a.loss_gradient(a.decision(self.X_), self.Y_)
        return self.weights_ * np.einsum("jk,jk->j", dZ, proj)


def _num_rows(a):
    return a.shape[0] if hasattr(a, "shape") else len(a)


def _nnz(X):
    return X.nnz if sparse.issparse(X) else X.shape[0] * X.shape[1]


def _contiguous(rows):
    """``rows`` as a slice when it is a run of consecutive indices (a view, no copy)."""
    rows = np.asarray(rows)
    if rows.size and rows[-1] - rows[0] + 1 == rows.size and np.all(np.diff(rows) == 1):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def _shares_memory(n_jobs):
    """True when joblib would run ``n_jobs`` in this process (sequential or threads)."""
    from joblib import effective_n_jobs
    from joblib.parallel import get_active_backend

    if effective_n_jobs(n_jobs) == 1:
        return True
    backend, _ = get_active_backend(prefer="threads")
    return bool(getattr(backend, "uses_threads", False))


def _n_workers(n_jobs, n_tasks):
    """Workers joblib will use (for sharing BLAS threads), at most one per task."""
    from joblib import effective_n_jobs

    return max(1, min(n_tasks, effective_n_jobs(n_jobs)))


def _candidates(vals, rows, k, bound):
    """Per test row, the values of ``vals`` that may be among the k largest overall
    (those >= ``bound``, at most k of them), padded with -inf: (indices, values)."""
    idx_of = np.asarray(rows)
    mask = vals >= bound[:, None]
    counts = mask.sum(axis=1)
    width = int(counts.max(initial=0))
    r = vals.shape[1]
    if width > max(4 * k, r // 8):  # early blocks: most values pass, rank the block
        part = np.argpartition(vals, r - k, axis=1)[:, r - k:] if r > k else \
            np.broadcast_to(np.arange(r), vals.shape)
        return idx_of[part], np.take_along_axis(vals, part, 1)
    t, j = np.nonzero(mask)
    pos = np.arange(t.size) - np.repeat(np.cumsum(counts) - counts, counts)
    out_val = np.full((vals.shape[0], max(width, 1)), -np.inf)
    out_idx = np.zeros((vals.shape[0], max(width, 1)), dtype=np.intp)
    out_val[t, pos] = vals[t, j]
    out_idx[t, pos] = idx_of[j]
    return out_idx, out_val


def _keep_top(idx, val, k):
    """Keep the k largest values per row, sorted descending."""
    if val.shape[1] <= k:
        part = np.broadcast_to(np.arange(val.shape[1]), val.shape)
    else:
        part = np.argpartition(-val, k - 1, axis=1)[:, :k]
    v = np.take_along_axis(val, part, 1)
    order = np.argsort(-v, axis=1, kind="stable")
    return np.take_along_axis(np.take_along_axis(idx, part, 1), order, 1), np.take_along_axis(v, order, 1)
