"""Former home of :class:`InfluenceOutlierRemover`; now :mod:`skinfluence.resampling`.

Kept so that ``from skinfluence.outliers import InfluenceOutlierRemover`` (used by
``skinfluence.demo``) still works; import from :mod:`skinfluence` instead.
"""

from .resampling import InfluenceOutlierRemover
from .resampling.outliers import valley_threshold

__all__ = ["InfluenceOutlierRemover", "valley_threshold"]
