"""Plots of influence, as Display objects in scikit-learn's style.

Each Display stores the numbers it shows (``__init__``), draws them with
``plot(ax=None, ...)`` (which stores ``ax_``, ``figure_`` and the artists and
returns ``self``) and has a ``from_explainer(...)`` class method that computes
the numbers from a fitted :class:`~skinfluence.InfluenceExplainer`.

matplotlib is an optional dependency: ``pip install ".[plot]"`` in a checkout
of skinfluence (or ``pip install matplotlib``). This
module imports without it; drawing raises an ImportError that says so.

Colours are the same everywhere: blue = helpful (positive influence), red =
harmful (negative influence).
"""

from ._distance import InfluenceDistanceDisplay
from ._histogram import SelfInfluenceHistogramDisplay
from ._images import InfluentialImagesDisplay
from ._regression import RegressionInfluenceDisplay

__all__ = [
    "InfluenceDistanceDisplay",
    "InfluentialImagesDisplay",
    "RegressionInfluenceDisplay",
    "SelfInfluenceHistogramDisplay",
]
