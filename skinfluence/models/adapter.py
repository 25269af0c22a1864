"""The contract every estimator reader implements, written once."""

import warnings
from abc import ABC, abstractmethod

import numpy as np
from sklearn.utils.validation import check_array

from ._classes import missing_classes
from .objective import LinearObjective

__all__ = ["LinearModelAdapter", "SingleOutputRegressor", "REFIT_TOL", "REFIT_MIN_ITER"]

#: ``refit`` converges to this ``tol`` ...
REFIT_TOL = 1e-12
#: ... with at least this many iterations for iterative solvers.
REFIT_MIN_ITER = 10_000


class LinearModelAdapter(LinearObjective, ABC):
    """A fitted estimator read as the objective it minimised, plus a small spec.

    One subclass (a *reader*) per estimator family: its constructor reads the
    fitted estimator into the :class:`LinearObjective` (loss, penalty,
    parameters) and fills the spec; the maths is the objective's. Readers
    implement :meth:`encode_target`, :meth:`decision_weights` and
    :meth:`refit_estimator`; everything else below is defined for every reader,
    so callers never probe with ``getattr``.

    Parameters
    ----------
    estimator : estimator
        The fitted scikit-learn estimator.
    loss : LinearLoss
    fit_intercept : bool
    l2_strength : float or ndarray of shape (K,)
    penalty_share : float, default=0.0
        See :class:`LinearObjective` (non-zero for mean-form objectives).
    classes : ndarray or None, default=None
        ``classes_`` of a classifier; None for regressors.
    class_weight : ndarray of shape (n_classes,) or None, default=None
        Weight per class index, 'balanced' frozen at the fit data.

    Attributes
    ----------
    estimator : estimator
    classes : ndarray or None
    class_weight : ndarray or None
    is_classifier : bool
        Whether the estimator is a classifier (class attribute of the reader).
    has_proba : bool
        Whether it has ``predict_proba`` (``target="proba"``).
    warm_start_attributes : tuple of str
        Fitted attributes :meth:`refit` copies into a warm-started clone.
    shift_based : bool
        Whether :meth:`removal_engine` gives an engine (HuberRegressor).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.models import make_adapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
    >>> adapter.is_classifier, adapter.has_proba, adapter.classes, adapter.n_params
    (False, False, None, 11)
    """

    is_classifier = False
    has_proba = False
    warm_start_attributes = ("coef_", "intercept_")
    #: Whether :meth:`removal_engine` returns an engine (no Dask path then).
    shift_based = False

    def __init__(self, estimator, loss, *, fit_intercept, l2_strength,
                 penalty_share=0.0, classes=None, class_weight=None):
        self.estimator = estimator
        self.classes = classes
        self.class_weight = class_weight
        super().__init__(
            loss, estimator.coef_, estimator.intercept_, fit_intercept=fit_intercept,
            l2_strength=l2_strength, penalty_share=penalty_share,
        )

    # ---------------------------------------------------------------- hooks
    @abstractmethod
    def encode_target(self, y):
        """Check ``y`` and return the encoded target ``Y`` the loss expects.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        Y : ndarray
        """

    @abstractmethod
    def decision_weights(self, Y):
        """``a(y)`` with ``Q = a . z`` for ``target="prediction"``: (n, K).

        Parameters
        ----------
        Y : ndarray, the encoded target

        Returns
        -------
        ndarray of shape (n_samples, K)
        """

    @abstractmethod
    def refit_estimator(self):
        """An unfitted estimator minimising the same objective on other rows.

        Returns
        -------
        estimator
            Same hyper-parameters; CV estimators at their chosen ``C_`` /
            ``alpha_``; 'balanced' class weights frozen at the full-data weights.
        """

    # ------------------------------------------------------------ defined
    def row_weights(self, Y, sample_weight):
        """``c_i``: sample_weight times the weight of the row's class.

        Parameters
        ----------
        Y : ndarray, the encoded target
        sample_weight : ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        if self.class_weight is None:
            return np.asarray(sample_weight, dtype=np.float64)
        return sample_weight * self.class_weight[self.class_index(Y)]

    def class_index(self, Y):
        """Class index of each encoded target (classifiers only).

        Parameters
        ----------
        Y : ndarray, the encoded target

        Returns
        -------
        ndarray of int of shape (n_samples,)
        """
        return np.asarray(Y)

    def proba(self, Z):
        """Class probabilities at linear predictor ``Z`` (``has_proba`` only).

        Parameters
        ----------
        Z : ndarray of shape (..., K)

        Returns
        -------
        ndarray of shape (..., n_classes)
        """
        if not self.has_proba:
            raise ValueError(f"{type(self.estimator).__name__} has no predict_proba.")
        return self.loss_function.inverse_link(Z)

    def prediction(self, u):
        """``target="prediction"`` as a function of the decision value ``u = a(y) . z``.

        The identity here (classifiers' decision values, ``predict()`` of
        identity-link regressors); readers with another link override it.

        Parameters
        ----------
        u : ndarray

        Returns
        -------
        ndarray shaped like ``u``
        """
        return u

    def prediction_derivative(self, u):
        """``d prediction / d u`` (see :meth:`prediction`).

        Parameters
        ----------
        u : ndarray

        Returns
        -------
        ndarray shaped like ``u``
        """
        return np.ones_like(u, dtype=np.float64)

    def design(self, X):
        """The matrix the objective is defined on: ``X`` itself here.

        Readers whose parameters cover a subset of the features (the active
        set of an L1 fit) select those columns.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        {ndarray, sparse matrix}
        """
        return X

    def check_local_validity(self, X, Y, weights, solver, random_state=0):
        """Warn when the local model of removal is known to be weak; here never.

        Readers on an active set warn when removing rows would change it.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The training rows (full feature matrix).
        Y : ndarray
        weights : ndarray of shape (n_samples,)
        solver : HessianSolver
            Fitted on the Hessian of this objective.
        random_state : int, default=0

        Returns
        -------
        None
        """
        return None

    def removal_engine(self, X, Y, weights, params):
        """The removal engine of readers whose rows' gradients are not structured.

        ``None`` here: removal follows the structured influence kernels of
        :mod:`skinfluence.influence`. A reader whose parameters carry more than
        ``theta`` (HuberRegressor's scale) returns an engine with
        ``shifts(rows, method)``, ``population_shifts(populations, method)`` and
        ``gradient_norms()``, and the explainer runs
        :class:`~skinfluence.influence.ShiftLoop` on it.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The training rows (the design).
        Y : ndarray
            Encoded targets.
        weights : ndarray of shape (n_samples,)
        params : dict
            The explainer's parameters (``solver``, ``damping``, ...).

        Returns
        -------
        None

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = load_diabetes(return_X_y=True)
        >>> a = make_adapter(Ridge().fit(X, y), y, None)
        >>> a.removal_engine(X, a.encode_target(y), None, {}) is None
        True
        """
        return None

    def refit(self, X, y, sample_weight=None):
        """A clone fitted on ``X, y`` at the same hyper-parameters, tightly converged.

        From :meth:`refit_estimator`, with ``tol`` = :data:`REFIT_TOL`, at least
        :data:`REFIT_MIN_ITER` iterations, and warm-started from this model's
        fitted parameters where the estimator allows it (so the refit reaches
        the optimum influence predicts).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        estimator
            The fitted clone.

        Raises
        ------
        ValueError
            When ``y`` lacks one of the model's classes (the refit would be
            another model).

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence.models import make_adapter
        >>> X, y = load_diabetes(return_X_y=True)
        >>> adapter = make_adapter(Ridge(alpha=1.0).fit(X, y), y, None)
        >>> adapter.refit(X[1:], y[1:]).coef_.shape
        (10,)
        """
        est = self.refit_estimator()
        params = est.get_params()
        if "tol" in params:
            est.set_params(tol=REFIT_TOL)
        if params.get("max_iter") is not None:
            est.set_params(max_iter=max(params["max_iter"], REFIT_MIN_ITER))
        if "warm_start" in params:
            est.set_params(warm_start=True)
            for name in self.warm_start_attributes:
                setattr(est, name, np.copy(getattr(self.estimator, name)))
        if self.classes is not None:
            missing = missing_classes(self.classes, y)
            if missing.size:
                raise ValueError(
                    f"Removing this population leaves no row of class(es) "
                    f"{missing.tolist()}; the refitted model would have other classes."
                )
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            est.fit(X, y, **kwargs)
        return est


class SingleOutputRegressor:
    """Mixin of the readers of a one-output regressor (GLMs, Lasso/ElasticNet, Huber).

    ``Y`` is the float target as one column; ``target="prediction"`` is
    ``predict()``, a function of the one decision value.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models.adapter import SingleOutputRegressor
    >>> SingleOutputRegressor().encode_target([1, 2.5]).tolist()
    [[1.0], [2.5]]
    """

    def encode_target(self, y):
        """``y`` as a float column, shape (n_samples, 1).

        Parameters
        ----------
        y : array-like of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        Y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if Y.ndim != 1:
            name = type(getattr(self, "estimator", self)).__name__
            raise ValueError(f"y must be 1-D for {name}.")
        return Y[:, None]

    def decision_weights(self, Y):
        """Ones: ``target="prediction"`` is ``predict()``.

        Parameters
        ----------
        Y : ndarray of shape (n_samples, 1)

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        return np.ones((len(Y), 1))
