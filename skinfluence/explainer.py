"""InfluenceExplainer, the public face: it validates, fits and delegates."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import influence as infl
from ._output import (OUTPUT_OPTIONS, index_of, labelled, labelled_populations,
                      labelled_top)
from ._validation import (check_features, check_populations, check_rows,
                          check_same_rows, check_sample_weight, check_top_k,
                          is_dask_array, num_rows, split_pipeline)
from .models import make_adapter
from .parallel import blas_limit, count_nonzero, memory_budget
from .solvers import SOLVER_NAMES, HessianOperator, HessianSolver, make_solver
from .targets import make_target

__all__ = ["InfluenceExplainer"]


class InfluenceExplainer(BaseEstimator):
    """Predict how a linear model would change if training rows were removed.

    Every number predicts ``Q(fitted on all rows) - Q(refitted without the
    rows)`` for the same estimator with the same hyper-parameters, which
    :meth:`retrain_effect` measures by actually refitting.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A supported linear model (``skinfluence.models.SUPPORTED_ESTIMATORS``) or
        a Pipeline ending in one (earlier steps: a fixed feature map). A fitted one
        is used as is (fitted on the ``X, y`` given to :meth:`fit`), an unfitted
        one is cloned and fitted.
    method : {"first_order", "newton"}, default="first_order"
        ``"first_order"``: ``Q(theta) - Q(theta + H^{-1} g)`` linearised (Koh &
        Liang). ``"newton"``: Q exactly at one Newton step without the rows' own
        curvature, ``(H - H_S)^{-1} g_S``: exact leave-out for squared loss.
    solver : {"auto", "cholesky", "cg", "lissa"} or solver object, default="auto"
        How ``H^{-1}`` is applied: ``"cholesky"`` dense, exact; ``"cg"`` matrix-free
        (sparse or wide X), exact to its ``tol``; ``"lissa"`` stochastic; ``"auto"``
        cholesky when the dense Hessian fits (``n_params <= 5000``, a quarter of
        ``max_memory``), else cg. A solver object (cloned) carries its options,
        e.g. ``CGSolver(tol=1e-10)``; see :mod:`skinfluence.solvers`. HuberRegressor
        (its scale in the exact dense inverse): "auto" or "cholesky" only.
    damping : float, default=0.0
        Added to the Hessian's diagonal when it is singular (e.g. collinear
        features); any damping > 0 makes the numbers differ from refitting.
    n_jobs : int, default=None
        Blocks of training rows in parallel through joblib (threads by default; any
        backend, e.g. ``joblib.parallel_config(backend="dask")``); each worker's
        BLAS gets ``cpu_count // n_jobs`` threads (see :mod:`skinfluence.parallel`).
    random_state : int, RandomState instance or None, default=None
        For stochastic solvers; the exact solvers do not use it.
    verbose : int, default=0
        Print progress over blocks of training rows when > 0.
    max_memory : int or float, default=None
        Bytes allowed for what :meth:`influence` or :meth:`params_influence`
        returns (larger: refused before any work, naming the streaming methods)
        and for ``solver="auto"``'s dense Hessian. ``None``: half the RAM.
    output : {"default", "pandas"}, default="default"
        ``"pandas"``: Series/DataFrames labelled by ``train_index_`` (training
        rows) and ``X_test``'s index (test rows); the values are unchanged.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model explained (the Pipeline's last step for a Pipeline).
    feature_map_ : Pipeline or None
        The fitted Pipeline steps before the model.
    X_ : ndarray or csr_matrix of shape (n_train, n_features)
        The training features (after ``feature_map_``), float64; plots use it.
    design_ : ndarray or csr_matrix of shape (n_train, n_model_features)
        The columns of ``X_`` the objective is defined on: ``X_`` itself, or
        the active (non-zero coefficient) columns of an L1 / elastic-net fit.
    y_ : ndarray of shape (n_train,) or (n_train, n_outputs)
        A copy of the training targets as given.
    Y_ : ndarray
        ``y_`` encoded for the objective (class indices, or floats (n_train, K)).
    sample_weight_ : ndarray of shape (n_train,)
        The sample weights given to :meth:`fit` (ones when none).
    weights_ : ndarray of shape (n_train,)
        ``c_j``, each row's weight in the objective (sample x class weight).
    adapter_ : LinearModelAdapter
        The model's objective (see :mod:`skinfluence.models`).
    removal_ : object or None
        HuberRegressor: its removal engine (``HuberRemoval``, for ``ShiftLoop``).
    operator_ : HessianOperator
        The Hessian of the objective at the fitted parameters (plus ``damping``).
    solver_ : HessianSolver
        The fitted inverse-Hessian solver.
    gradient_norm_ : float
        ``||grad F(theta_hat)||`` of the objective at the fitted parameters.
    relative_gradient_norm_ : float
        Over the RMS norm of a row's gradient term; ``fit`` warns above
        ``STATIONARITY_TOLERANCE`` = 1 (below: influences within ~1% of exact).
    n_train_ : int
        Number of training rows.
    train_index_ : pandas.Index or None
        The index of ``X`` given to :meth:`fit` when a DataFrame, else None.
    """

    _parameter_constraints = {
        "estimator": [object],
        "method": [StrOptions({"first_order", "newton"})],
        "solver": [StrOptions(set(SOLVER_NAMES)), HessianSolver],
        "damping": [Interval(numbers.Real, 0, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "max_memory": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "output": [StrOptions(set(OUTPUT_OPTIONS))],
    }

    def __init__(self, estimator, method="first_order", solver="auto", damping=0.0,
                 n_jobs=None, random_state=None, verbose=0, max_memory=None,
                 output="default"):
        self.estimator, self.method, self.solver = estimator, method, solver
        self.damping, self.n_jobs, self.random_state = damping, n_jobs, random_state
        self.verbose, self.max_memory, self.output = verbose, max_memory, output

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
        self : InfluenceExplainer

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X, y)
        >>> ex.n_train_, type(ex.solver_).__name__
        (442, 'CholeskySolver')
        """
        self._validate_params()
        if is_dask_array(X):  # rows in chunks, e.g. on a Dask cluster
            vars(self).update(infl.fit_chunked(self.estimator, X, y, sample_weight,
                                               self.get_params()))
            return self
        n = check_same_rows(X, y)
        sw = check_sample_weight(sample_weight, n)
        self.train_index_ = index_of(X)
        self.feature_map_, self.estimator_ = split_pipeline(
            self.estimator, X, y, None if sample_weight is None else sw)
        X = self.X_ = check_features(self.estimator_, self.feature_map_, X, "X", "csr")
        self.adapter_ = a = make_adapter(self.estimator_, y, sw)
        self.y_, self.sample_weight_, self.n_train_ = np.asarray(y).copy(), sw, n
        self.Y_ = Y = a.encode_target(y)
        self.weights_ = w = a.row_weights(Y, sw)
        D = self.design_ = a.design(X)  # the active columns for an L1 fit, else X
        e = self.removal_ = a.removal_engine(D, Y, w, self.get_params())  # or None
        self.operator_ = HessianOperator(a, D, Y, w, damping=self.damping)
        with (blas_limit(count_nonzero(D) * a.n_params * a.n_outputs),
              infl.stationarity_checked(a, D, Y, w, e) as norms):  # warns after
            self.solver_ = self._fit_solver(self.operator_)
            a.check_local_validity(X, Y, w, self.solver_)
        self.gradient_norm_, self.relative_gradient_norm_ = norms
        return self

    def _fit_solver(self, operator):  # the one place a solver is built (H, H - H_S)
        return make_solver(self.solver, operator, random_state=self.random_state,
                           max_memory=memory_budget(self.max_memory))

    def _rows(self, X, y, target, design=True):  # checked rows, encoded y, target Q
        check_is_fitted(self, "solver_")
        Xt = check_rows(self.estimator_, self.feature_map_, X, y)
        a = self.adapter_
        return (a.design(Xt) if design else Xt), a.encode_target(y), make_target(
            target, a)

    def _loop(self, populations=None):  # warns of removals that empty a class
        check_is_fitted(self, "solver_")
        infl.warn_if_class_emptied(self.adapter_, self.y_, populations)
        if self.removal_ is not None:  # shifts from the reader's removal engine
            return infl.ShiftLoop(self.removal_, self.adapter_, self.method,
                                  self.n_jobs, self.verbose, self.max_memory)
        obj = infl.FittedObjective(self.adapter_, self.design_, self.Y_, self.weights_,
                                   self.solver_, self.operator_)
        if is_dask_array(self.X_):  # lazy over row chunks (influence.chunked)
            return infl.ChunkedLoop(obj, self.method)
        return infl.BlockLoop(obj, self.method, self.n_jobs, self.verbose,
                              self.max_memory, self._fit_solver, self.random_state)

    def influence(self, X_test, y_test, target="loss"):
        """Influence of each training row on each test row.

        ``Q_t(all rows) - Q_t(without row j)`` (predicted); with ``target="loss"``,
        positive = row j helps test row t.

        Parameters
        ----------
        X_test : {array-like, sparse matrix} of shape (n_test, n_features)
        y_test : array-like of shape (n_test,) or (n_test, n_outputs)
        target : {"loss", "proba", "prediction"}, default="loss"
            The quantity Q (:mod:`skinfluence.targets`).

        Returns
        -------
        ndarray of shape (n_test, n_train)

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X[:400], y[:400])
        >>> ex.influence(X[400:], y[400:], target="prediction").shape
        (42, 400)
        """
        out = self._loop().influence(*self._rows(X_test, y_test, target))
        return labelled(out, self.output, index_of(X_test), self.train_index_)

    def top_influences(self, X_test, y_test, k=10, target="loss"):
        """The ``k`` most helpful and most harmful training rows per test row.

        Streamed over blocks of training rows: memory ``O(n_test * (k + block))``.

        Parameters
        ----------
        X_test : {array-like, sparse matrix} of shape (n_test, n_features)
        y_test : array-like of shape (n_test,) or (n_test, n_outputs)
        k : int, default=10
            Rows kept per test row and side, in ``[1, n_train]``.
        target : {"loss", "proba", "prediction"}, default="loss"

        Returns
        -------
        Bunch
            ``helpful_indices``, ``helpful_scores`` (descending) and
            ``harmful_indices``, ``harmful_scores`` (ascending), each (n_test, k).

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X[:400], y[:400])
        >>> ex.top_influences(X[400:], y[400:], k=3).helpful_indices.shape
        (42, 3)
        """
        check_is_fitted(self, "solver_")
        check_top_k(k, self.n_train_)
        top = self._loop().top(*self._rows(X_test, y_test, target), k)
        return labelled_top(top, self.output, index_of(X_test), self.train_index_)

    def self_influence(self):
        """Influence of each training row on its own loss, ``>= 0`` but see below.

        The diagonal of ``influence(X_train, y_train)``; first order ``c_j g^T H^-1 g``
        if the removed term is the row's loss. Slightly negative (as refits give) where
        it also holds a share of the penalty (mean form: SGD, GLMs, Lasso/ElasticNet)
        or of HuberRegressor's scale: removing the row weakens that too, which can
        raise a well-fitted row's own loss more than losing its pull lowers it.
        Matrix-free solvers: :func:`~skinfluence.solvers.row_leverages` for all rows,
        exact (dual or primal form) within ``max_memory``, else calibrated (error
        on exactly solved rows printed with ``verbose``, warned above 2%).

        Returns
        -------
        ndarray of shape (n_train,)

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X, y)
        >>> bool(ex.self_influence().min() >= 0)
        True
        """
        return labelled(self._loop().self_influence(), self.output, self.train_index_)

    def params_influence(self):
        """``theta_hat - theta_hat_{-j}`` per row j (``coef_`` raveled, ``intercept_``).

        Returns
        -------
        ndarray of shape (n_train, n_params), HuberRegressor's ``scale_`` appended

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X, y)
        >>> ex.params_influence().shape  # 10 coefficients, then the intercept
        (442, 11)
        """
        out = self._loop().shifts(lambda shifts: -self.adapter_.to_public(shifts))
        return labelled(out, self.output, self.train_index_)

    def population_influence(self, X_test, y_test, populations, target="loss"):
        """Influence of removing whole populations of training rows.

        first_order: the sum of the rows' influences; newton: Q exactly at
        ``theta + (H - H_S)^{-1} g_S``, one Newton step without the population.

        Parameters
        ----------
        X_test : {array-like, sparse matrix} of shape (n_test, n_features)
        y_test : array-like of shape (n_test,) or (n_test, n_outputs)
        populations : mask, index array, or a list / dict / 2-D mask array of them
        target : {"loss", "proba", "prediction"}, default="loss"

        Returns
        -------
        ndarray of shape (n_test,) for one population, else (n_test, n_populations)

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X[:400], y[:400])
        >>> ex.population_influence(X[400:], y[400:], {"a": [0, 1], "b": [5]}).shape
        (42, 2)
        """
        rows = self._rows(X_test, y_test, target)
        pops, single = check_populations(populations, self.n_train_)
        out = self._loop(pops).population(*rows, pops)
        return labelled_populations(out, single, self.output, X_test, populations)

    def mean_influence(self, X, y, target="loss", sample_weight=None):
        """Influence of each training row on the (weighted) mean of Q over X, y.

        ``influence(X, y, target)`` averaged over its rows (weighted by
        ``sample_weight``) without that matrix: one solve for first order, streamed
        for newton. ``target="loss"``: positive = the row lowers the mean loss.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
        y : array-like of shape (n_rows,) or (n_rows, n_outputs)
        target : {"loss", "proba", "prediction"}, default="loss"
        sample_weight : array-like of shape (n_rows,), default=None
            Weights of the rows in the mean; ``None``: equal.

        Returns
        -------
        ndarray of shape (n_train,)

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(alpha=0.1)).fit(X[:400], y[:400])
        >>> m = ex.mean_influence(X[400:], y[400:])
        >>> float(abs(m - ex.influence(X[400:], y[400:]).mean(axis=0)).max()) < 1e-9
        True
        """
        rows = self._rows(X, y, target)
        out = self._loop().mean(*rows, check_sample_weight(sample_weight, num_rows(X)))
        return labelled(out, self.output, self.train_index_)

    def retrain_effect(self, X_test, y_test, populations, target="loss"):
        """The actual change ``Q(refitted on all rows) - Q(refitted without them)``.

        Refits (all rows too: a loose ``tol`` would bias each effect) clone the model at
        the same hyper-parameters (CV: ``C_``/``alpha_``; 'balanced' frozen), warm, with
        ``tol=1e-12``; a refit off its optimum warns. Pipelines: the last step.

        Parameters
        ----------
        X_test : {array-like, sparse matrix} of shape (n_test, n_features)
        y_test : array-like of shape (n_test,) or (n_test, n_outputs)
        populations : mask, index array, or a list / dict / 2-D mask array of them
        target : {"loss", "proba", "prediction"}, default="loss"

        Returns
        -------
        ndarray shaped like :meth:`population_influence`'s result.

        Examples
        --------
        >>> from sklearn import datasets, linear_model
        >>> X, y = datasets.load_diabetes(return_X_y=True)
        >>> ex = InfluenceExplainer(linear_model.Ridge(), method="newton").fit(X, y)
        >>> pops = [[0], [1, 2, 3]]  # newton is exact for squared loss
        >>> d = ex.retrain_effect(X, y, pops) - ex.population_influence(X, y, pops)
        >>> float(abs(d).max()) < 1e-6
        True
        """
        rows = self._rows(X_test, y_test, target, design=False)  # refits: own support
        pops, single = check_populations(populations, self.n_train_)
        out = infl.retrain_effects(self._refit(np.ones(self.n_train_, bool)), *rows,
                                   pops, self.n_train_, self._refit)
        return labelled_populations(out, single, self.output, X_test, populations)

    def _refit(self, keep):  # the refit's adapter
        if is_dask_array(self.X_):
            raise NotImplementedError("retrain_effect() refits: fit on in-memory X")
        return infl.refit_without(self.adapter_, self.X_, self.y_, self.sample_weight_,
                                  keep)
