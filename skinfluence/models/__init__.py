"""The objective each supported estimator minimised, read from the fitted estimator.

Three layers, in the shape of scikit-learn's ``sklearn._loss`` and
``LinearModelLoss``:

- :mod:`~skinfluence.models.losses` and :mod:`~skinfluence.models.glm_losses`:
  one row's loss as a function of the raw linear predictor ``z``, its
  derivatives in ``z`` and the inverse link.
- :class:`LinearObjective`: a loss plus ``fit_intercept`` and an L2 penalty, over
  the rows of ``X``: gradients (structured: residual times features), the
  Hessian (BLAS-3 sandwich), Hessian-vector products, the null space.
- :class:`LinearModelAdapter`: the contract of a *reader*, one per estimator
  family, which reads a fitted estimator into the objective plus a small spec
  (classes, class weights, ``is_classifier``, ``has_proba``) and knows how to
  :meth:`~LinearModelAdapter.refit` it. :func:`make_adapter` picks the reader.
"""

from sklearn.linear_model import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    GammaRegressor,
    HuberRegressor,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
    TweedieRegressor,
)
from sklearn.svm import LinearSVC, LinearSVR

from .active_set import ActiveSetAdapter
from .adapter import LinearModelAdapter
from .elastic_net import ElasticNetAdapter
from .design import (
    augmented_dot,
    augmented_tdot,
    block_quadratic_forms,
    block_sandwich_dots,
    sandwich_dot,
    squared_tdot,
)
from .glm import GLMAdapter, glm_loss
from .glm_losses import TweedieLoss
from .huber import HuberAdapter
from .logistic import LogisticAdapter
from .logistic_l1 import LogisticL1Adapter, read_logistic
from .losses import BinomialLoss, LinearLoss, MultinomialLoss, SquaredLoss
from .margin_losses import (
    HuberLoss,
    LogisticMarginLoss,
    ModifiedHuberLoss,
    OneVsRestLoss,
    SquaredEpsilonInsensitiveLoss,
    SquaredHingeLoss,
)
from .objective import LinearObjective
from .penalty_share import PenaltyShareNewton
from .sgd import SGDAdapter, check_sgd_model, sgd_l1_ratio
from .sgd_elastic_net import SGDElasticNetAdapter, read_sgd
from .svm import LinearSVMAdapter
from .squared import RidgeClassifierAdapter, SquaredLossAdapter

__all__ = [
    "SUPPORTED_ESTIMATORS",
    "LinearLoss",
    "BinomialLoss",
    "MultinomialLoss",
    "SquaredLoss",
    "TweedieLoss",
    "ModifiedHuberLoss",
    "SquaredHingeLoss",
    "LogisticMarginLoss",
    "OneVsRestLoss",
    "HuberLoss",
    "SquaredEpsilonInsensitiveLoss",
    "LinearObjective",
    "PenaltyShareNewton",
    "LinearModelAdapter",
    "LogisticAdapter",
    "SquaredLossAdapter",
    "RidgeClassifierAdapter",
    "GLMAdapter",
    "ActiveSetAdapter",
    "ElasticNetAdapter",
    "LogisticL1Adapter",
    "read_logistic",
    "glm_loss",
    "SGDAdapter",
    "HuberAdapter",
    "SGDElasticNetAdapter",
    "read_sgd",
    "check_sgd_model",
    "sgd_l1_ratio",
    "LinearSVMAdapter",
    "augmented_dot",
    "augmented_tdot",
    "block_quadratic_forms",
    "block_sandwich_dots",
    "sandwich_dot",
    "squared_tdot",
    "make_adapter",
]

#: The reader of each supported estimator class.
READERS = {
    LogisticRegression: read_logistic,  # L1 part: LogisticL1Adapter
    LogisticRegressionCV: LogisticAdapter,
    Ridge: SquaredLossAdapter,
    RidgeCV: SquaredLossAdapter,
    LinearRegression: SquaredLossAdapter,
    RidgeClassifier: RidgeClassifierAdapter,
    RidgeClassifierCV: RidgeClassifierAdapter,
    PoissonRegressor: GLMAdapter,
    GammaRegressor: GLMAdapter,
    TweedieRegressor: GLMAdapter,
    SGDClassifier: read_sgd,  # L1 part: SGDElasticNetAdapter
    SGDRegressor: read_sgd,
    LinearSVC: LinearSVMAdapter,
    LinearSVR: LinearSVMAdapter,
    Lasso: ElasticNetAdapter,
    LassoCV: ElasticNetAdapter,
    ElasticNet: ElasticNetAdapter,
    ElasticNetCV: ElasticNetAdapter,
    HuberRegressor: HuberAdapter,  # through its removal engine (ShiftLoop)
}

#: Names of the estimators skinfluence can explain (also as a Pipeline's last step).
SUPPORTED_ESTIMATORS = tuple(cls.__name__ for cls in READERS)

#: Estimators refused with their reason (none at present).
REFUSED = {}


def make_adapter(estimator, y, sample_weight):
    """Read a fitted estimator: its reader (exact type match first, then subclass).

    Parameters
    ----------
    estimator : estimator
        A fitted estimator of one of :data:`SUPPORTED_ESTIMATORS`.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The target it was fitted on (for 'balanced' class weights).
    sample_weight : ndarray of shape (n_samples,) or None
        The sample weights it was fitted with.

    Returns
    -------
    LinearModelAdapter

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence.models import make_adapter
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> est = LogisticRegression(max_iter=5000).fit(X, y)
    >>> adapter = make_adapter(est, y, None)
    >>> type(adapter).__name__, adapter.is_classifier, adapter.n_params
    ('LogisticAdapter', True, 31)
    """
    reader = READERS.get(type(estimator))
    if reader is None:
        for cls, candidate in READERS.items():
            if isinstance(estimator, cls):
                reader = candidate
                break
    if reader is None:
        why = next((f"{why} " for cls, why in REFUSED.items()
                    if isinstance(estimator, cls)), "")
        raise TypeError(
            f"{why}{type(estimator).__name__} is not supported. skinfluence explains "
            f"{', '.join(SUPPORTED_ESTIMATORS)}, or a Pipeline whose last step is one "
            "of them."
        )
    return reader(estimator, y, sample_weight)
