"""skinfluence: which training rows made a scikit-learn linear model say what it says."""

from .exceptions import InfluenceWarning, SingularHessianError
from .explainer import InfluenceExplainer
from .resampling import (
    InfluenceOutlierRemover,
    InfluencePrunedEstimator,
    InfluencePruner,
    find_label_issues,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "InfluenceExplainer",
    "InfluenceOutlierRemover",
    "InfluencePrunedEstimator",
    "InfluencePruner",
    "InfluenceWarning",
    "SingularHessianError",
    "__version__",
    "find_label_issues",
]
