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
should be transformers and implement fit and transform ... (type <class
'skinfluence.pruning.InfluencePruner'>: it removes rows, so it cannot be a step
of sklearn.pipeline.Pipeline; use skinfluence.pipeline.Pipeline, or wrap the
final model in skinfluence.InfluencePrunedEstimator) doesn't"). The
meta-estimator :class:`~skinfluence.InfluencePrunedEstimator` also forwards
``sample_weight`` to both the pruner and the final model (imbalanced-learn's
Pipeline forwards ``prune__sample_weight`` to the step only).

Why the fix is named through the class's ``repr`` rather than by a raising
``transform``: scikit-learn's Pipeline only accepts intermediate steps that
have ``transform``, while imbalanced-learn's Pipeline refuses steps that have
both ``transform`` and ``fit_resample`` and calls ``fit_transform`` on any step
that has it. Both decide with ``hasattr`` before calling anything, so a step
cannot satisfy one without breaking the other; scikit-learn's message does
print the step's type.
"""

from imblearn.pipeline import Pipeline, make_pipeline

__all__ = ["Pipeline", "make_pipeline"]
