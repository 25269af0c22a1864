"""Former home of the adapter base class, kept only for imports not yet moved.

``explainer.py`` and ``pruning.py`` import ``_augmented_dot`` from here; its
public name is :func:`skinfluence.models.augmented_dot`. Remove this module once
they import that.
"""

from .adapter import LinearModelAdapter
from .design import augmented_dot

__all__ = ["LinearModelAdapter"]

_augmented_dot = augmented_dot  # alias for the imports above
