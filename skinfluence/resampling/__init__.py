"""Estimators that remove training rows, and the meta-estimator that refits after.

- :class:`InfluencePruner`: rows that hurt held-out predictions (noisy labels);
- :class:`InfluenceOutlierRemover`: rows whose self-influence stands apart;
- :class:`InfluencePrunedEstimator`: prune, then fit a model on the kept rows
  (works inside scikit-learn's own ``Pipeline``);
- :func:`find_label_issues`: the rows the pruner flags, as a ranked table.

The steps implement ``fit_resample``; use them in
:class:`skinfluence.pipeline.Pipeline` (imbalanced-learn's), not in
``sklearn.pipeline.Pipeline``, which cannot drop rows. Modules: ``base`` (the
shared ``fit``/``fit_resample``), ``scorer`` (the kind of target and the default
scoring model), ``leave_one_out`` and ``fold_scores`` (what the pruner scores
rows by), one module per estimator.
"""

from .label_issues import find_label_issues
from .outliers import InfluenceOutlierRemover
from .pruned_estimator import InfluencePrunedEstimator
from .pruner import InfluencePruner

__all__ = [
    "InfluenceOutlierRemover",
    "InfluencePrunedEstimator",
    "InfluencePruner",
    "find_label_issues",
]
