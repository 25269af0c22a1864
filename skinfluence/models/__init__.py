"""Model adapters: one per estimator family.

An adapter reads a fitted scikit-learn estimator and exposes the objective it
minimised: per-row losses, structured per-row gradients, the Hessian and
Hessian-vector products, and the null space of a redundant parametrisation.
"""

from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
)

from ._base import LinearModelAdapter
from .logistic import BinaryLogisticAdapter, MultinomialLogisticAdapter, logistic_adapter
from .squared import RidgeClassifierAdapter, SquaredLossAdapter

__all__ = [
    "SUPPORTED_ESTIMATORS",
    "LinearModelAdapter",
    "BinaryLogisticAdapter",
    "MultinomialLogisticAdapter",
    "SquaredLossAdapter",
    "RidgeClassifierAdapter",
    "make_adapter",
]

_FACTORIES = {
    LogisticRegression: logistic_adapter,
    LogisticRegressionCV: logistic_adapter,
    Ridge: SquaredLossAdapter,
    RidgeCV: SquaredLossAdapter,
    LinearRegression: SquaredLossAdapter,
    RidgeClassifier: RidgeClassifierAdapter,
    RidgeClassifierCV: RidgeClassifierAdapter,
}

#: Names of the estimators skinfluence can explain (also as a Pipeline's last step).
SUPPORTED_ESTIMATORS = tuple(cls.__name__ for cls in _FACTORIES)


def make_adapter(estimator, y, sample_weight):
    """The adapter for a fitted ``estimator`` (exact type match, then subclass)."""
    factory = _FACTORIES.get(type(estimator))
    if factory is None:
        for cls, candidate in _FACTORIES.items():
            if isinstance(estimator, cls):
                factory = candidate
                break
    if factory is None:
        raise TypeError(
            f"{type(estimator).__name__} is not supported. skinfluence explains "
            f"{', '.join(SUPPORTED_ESTIMATORS)}, or a Pipeline whose last step is one "
            "of them."
        )
    return factory(estimator, y, sample_weight)
