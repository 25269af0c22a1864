"""Pipelines whose steps may drop training rows.

scikit-learn's ``Pipeline`` passes every row through every step, so a step
that removes rows (``fit_resample``: :class:`~skinfluence.InfluencePruner`,
:class:`~skinfluence.InfluenceOutlierRemover`) cannot be one of its steps.
imbalanced-learn's ``Pipeline`` can: during ``fit`` it calls ``fit_resample`` on
such steps and fits the later steps on the rows they keep; ``predict``,
``score`` and the other methods skip them, so every test row is predicted.
This module re-exports it (and ``make_pipeline``) unchanged::

    from skinfluence.pipeline import Pipeline
    model = Pipeline([("prune", InfluencePruner()), ("clf", LogisticRegression())])

Put a row-removing step into ``sklearn.pipeline.Pipeline`` by mistake and its
``fit`` fails with scikit-learn's own ``TypeError`` ("All intermediate steps
should be transformers and implement fit and transform ..."). The fix is this
``Pipeline``, or wrapping the final model in
:class:`~skinfluence.InfluencePrunedEstimator`, which also works with
``sample_weight`` (imbalanced-learn's Pipeline gives the sampler only ``X, y``).

Why the steps cannot raise a friendlier error themselves: scikit-learn's
Pipeline only accepts intermediate steps that have ``transform``, while
imbalanced-learn's Pipeline refuses steps that have both ``transform`` and
``fit_resample`` and would call ``fit_transform`` on any step that has it.
Both decide with ``hasattr`` before calling anything, so a step cannot satisfy
one without breaking the other.
"""

from imblearn.pipeline import Pipeline, make_pipeline

__all__ = ["Pipeline", "make_pipeline"]
