"""Former home of :class:`InfluencePruner`; now :mod:`skinfluence.resampling`.

Kept so that ``from skinfluence.pruning import InfluencePruner`` (used by
``skinfluence.demo``) still works; import from :mod:`skinfluence` instead.
"""

from .resampling import InfluencePruner

__all__ = ["InfluencePruner"]
