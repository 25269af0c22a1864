"""Readers for the squared-loss models: Ridge(CV), LinearRegression, RidgeClassifier."""

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge, RidgeClassifier
from sklearn.utils.validation import check_array

from .adapter import LinearModelAdapter
from ._classes import encode_labels, resolved_class_weight
from .losses import SquaredLoss

__all__ = ["SquaredLossAdapter", "RidgeClassifierAdapter"]


def ridge_alpha(estimator):
    """The per-output L2 strength ``alpha`` a fitted least-squares model minimised with.

    ``alpha_`` for the CV estimators (the chosen value, per target when
    ``alpha_per_target``), ``alpha`` for Ridge(Classifier), 0 for LinearRegression.
    ``positive=True`` (a constrained fit) is refused.

    Parameters
    ----------
    estimator : fitted Ridge, RidgeCV, RidgeClassifier(CV) or LinearRegression

    Returns
    -------
    ndarray of shape (n_outputs,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import RidgeCV
    >>> from skinfluence.models.squared import ridge_alpha
    >>> X, y = np.eye(4), np.arange(4.0)
    >>> ridge_alpha(RidgeCV(alphas=[2.0]).fit(X, y))
    array([2.])
    """
    name = type(estimator).__name__
    if getattr(estimator, "positive", False):
        raise ValueError(
            f"{name}(positive=True) is a constrained fit: coefficients at the "
            "bound have no gradient condition, so influence does not apply."
        )
    if isinstance(estimator, LinearRegression):
        alpha = 0.0
    else:
        alpha = getattr(estimator, "alpha_", None)
        alpha = estimator.alpha if alpha is None else alpha
    n_outputs = np.atleast_2d(estimator.coef_).shape[0]
    return np.broadcast_to(np.asarray(alpha, dtype=np.float64), (n_outputs,)).copy()


def check_truncated_lstsq(estimator, n_samples):
    """Refuse a LinearRegression whose ``lstsq`` cut off informative directions.

    scikit-learn solves a dense LinearRegression by ``scipy.linalg.lstsq`` with
    ``cond=tol``: singular values of the centred X below ``tol`` times the largest
    count as zero, and ``coef_`` is then the minimum-norm solution on the others,
    not the least-squares optimum (features on scales 1e-6 and 1e6, say). Such a
    fit is refused unless the values cut off are zero to rounding (exactly
    collinear columns: the Hessian is then singular, handled by ``damping``).

    Parameters
    ----------
    estimator : estimator
        Fitted; only a LinearRegression with ``singular_`` is checked.
    n_samples : int
        The number of training rows.

    Raises
    ------
    ValueError
        When ``lstsq`` dropped a singular value above rounding level.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skinfluence.models.squared import check_truncated_lstsq
    >>> X = np.random.RandomState(0).randn(20, 2) * [1e-6, 1e6]
    >>> est = LinearRegression().fit(X, X.sum(1))
    >>> check_truncated_lstsq(est, 20)
    Traceback (most recent call last):
    ...
    ValueError: LinearRegression(tol=1e-06) treated 1 of the 2 singular values ...
    """
    singular = getattr(estimator, "singular_", None)
    if not isinstance(estimator, LinearRegression) or singular is None:
        return
    singular = np.asarray(singular)
    eps = np.finfo(singular.dtype if singular.dtype.kind == "f" else np.float64).eps
    singular = singular.astype(np.float64)
    if singular.size == 0 or not singular[0] > 0:
        return
    cut = singular <= estimator.tol * singular[0]
    rounding = max(n_samples, singular.size) * eps * singular[0]  # in X's precision
    informative = np.count_nonzero(cut & (singular > rounding))
    if informative:
        raise ValueError(
            f"LinearRegression(tol={estimator.tol:g}) treated {np.count_nonzero(cut)} "
            f"of the {singular.size} singular values of the centred X as zero (below "
            "tol times the largest, yet not zero to rounding: features on very "
            "different scales or nearly collinear). Its coef_ is then not the "
            "least-squares optimum, so no influence can predict its refits. "
            "Standardise the features (e.g. StandardScaler in a Pipeline), refit "
            "with a smaller tol, or use Ridge."
        )


def _alpha_param(alpha):
    """One alpha as a float when all outputs share it (a Ridge parameter)."""
    return float(alpha[0]) if np.all(alpha == alpha[0]) else alpha.copy()


class SquaredLossAdapter(LinearModelAdapter):
    r"""Reader for Ridge, RidgeCV and LinearRegression: least squares, per-output L2.

    Objective (scikit-learn's Ridge; ``s_i`` = sample_weight)::

        F = sum_i s_i ||y_i - z_i||^2 + sum_k alpha_k ||W_k||^2

    i.e. :class:`~skinfluence.models.SquaredLoss` with ``lambda_k = 2 alpha_k``
    (``alpha = 0`` for LinearRegression). Gradient of row i's term:
    ``2 s_i (z_i - y_i) (x) [x_i, 1]``. Hessian:
    ``2 sum_i s_i I_K (x) [x_i,1][x_i,1]^T + diag(2 alpha (x) [1,..,1,0])``:
    block diagonal over outputs, every block built from one shared product.

    Conventions: ``Y`` is a float array of shape ``(n, K)``; a single-output
    model has ``K = 1``. ``loss`` is the squared error summed over outputs,
    with no factor 1/2.

    Parameters
    ----------
    estimator : Ridge, RidgeCV or LinearRegression, fitted
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    alpha : ndarray of shape (n_outputs,)
        The L2 strength per output (``alpha_`` for RidgeCV).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import RidgeCV
    >>> from skinfluence.models import SquaredLossAdapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> est = RidgeCV(alphas=[0.1, 1.0]).fit(X, y)
    >>> SquaredLossAdapter(est, y, None).refit_estimator()
    Ridge(alpha=0.1)
    """

    def __init__(self, estimator, y, sample_weight):
        self.alpha = ridge_alpha(estimator)
        check_truncated_lstsq(estimator, len(y))
        super().__init__(
            estimator, SquaredLoss(len(self.alpha)),
            fit_intercept=estimator.fit_intercept, l2_strength=2.0 * self.alpha,
        )

    def encode_target(self, y):
        """``y`` as floats of shape ``(n, K)``; an error for the wrong output count.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        ndarray of shape (n_samples, K)
        """
        Y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        Y = Y.reshape(len(Y), -1)
        if Y.shape[1] != self.n_outputs:
            raise ValueError(
                f"y has {Y.shape[1]} output(s) but the model predicts {self.n_outputs}."
            )
        return Y

    def decision_weights(self, Y):
        """Ones: ``target="prediction"`` is ``predict()`` (single output only).

        Parameters
        ----------
        Y : ndarray of shape (n_samples, K)

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        if self.n_outputs != 1:
            raise ValueError(
                "target='prediction' needs a single-output regressor; this model has "
                f"{self.n_outputs} outputs. Use target='loss' (summed over outputs)."
            )
        return np.ones((len(Y), 1))

    def refit_estimator(self):
        """An unfitted estimator minimising the same objective.

        Returns
        -------
        Ridge or LinearRegression
            A clone; for RidgeCV, a Ridge at the chosen ``alpha_``.
        """
        if isinstance(self.estimator, (Ridge, LinearRegression)):
            return clone(self.estimator)
        return Ridge(alpha=_alpha_param(self.alpha), fit_intercept=self.fit_intercept)


class RidgeClassifierAdapter(LinearModelAdapter):
    r"""Reader for RidgeClassifier(CV): Ridge on targets coded +1 / -1.

    Objective: as :class:`SquaredLossAdapter`, with ``y_i`` the label-binarised
    class (``K = 1`` column for two classes, +1 for ``classes_[1]``; one column
    per class otherwise) and ``s_i`` = sample_weight x class_weight
    ('balanced' frozen at the fit data, as scikit-learn computes it from plain
    counts).

    ``target='prediction'`` is the decision value of the row's class
    (``-decision_function`` for ``classes_[0]`` when binary).

    Parameters
    ----------
    estimator : RidgeClassifier or RidgeClassifierCV, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    alpha : ndarray of shape (K,)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from skinfluence.models import RidgeClassifierAdapter
    >>> X, y = load_iris(return_X_y=True)
    >>> adapter = RidgeClassifierAdapter(RidgeClassifier().fit(X, y), y, None)
    >>> adapter.encode_target(y[:1])
    array([[ 1., -1., -1.]])
    """

    is_classifier = True

    def __init__(self, estimator, y, sample_weight):
        self.alpha = ridge_alpha(estimator)
        classes = np.asarray(estimator.classes_)
        super().__init__(
            estimator, SquaredLoss(len(self.alpha)),
            fit_intercept=estimator.fit_intercept, l2_strength=2.0 * self.alpha,
            classes=classes,
        )
        y_idx = encode_labels(y, classes)
        sw = np.ones(len(y_idx)) if sample_weight is None else sample_weight
        self.class_weight = resolved_class_weight(
            estimator.class_weight, classes, y_idx, sw, with_sample_weight=False,
        )

    def encode_target(self, y):
        """``+-1`` codes of shape ``(n, K)``; an error for unseen labels.

        Parameters
        ----------
        y : array-like of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, K)
        """
        idx = encode_labels(y, self.classes)
        if self.n_outputs == 1:
            return np.where(idx == 1, 1.0, -1.0)[:, None]
        Y = -np.ones((len(idx), self.n_outputs))
        Y[np.arange(len(idx)), idx] = 1.0
        return Y

    def class_index(self, Y):
        """Class index of each ``+-1`` code row.

        Parameters
        ----------
        Y : ndarray of shape (n_samples, K)

        Returns
        -------
        ndarray of int of shape (n_samples,)
        """
        return (Y[:, 0] > 0).astype(np.intp) if self.n_outputs == 1 else Y.argmax(1)

    def decision_weights(self, Y):
        """The decision value of the row's class: ``+-1`` (binary) or one-hot.

        Parameters
        ----------
        Y : ndarray of shape (n_samples, K)

        Returns
        -------
        ndarray of shape (n_samples, K)
        """
        return Y.copy() if self.n_outputs == 1 else (Y > 0).astype(np.float64)

    def refit_estimator(self):
        """An unfitted RidgeClassifier minimising the same objective.

        Returns
        -------
        RidgeClassifier
            A clone (RidgeClassifierCV: at the chosen ``alpha_``); class weights
            given become the dict of the full-data weights.
        """
        est = self.estimator
        if isinstance(est, RidgeClassifier):
            est = clone(est)
        else:
            est = RidgeClassifier(alpha=_alpha_param(self.alpha),
                                  fit_intercept=self.fit_intercept)
        if self.estimator.class_weight is not None:
            frozen = dict(zip(self.classes.tolist(), self.class_weight))
            est.set_params(class_weight=frozen)
        return est
