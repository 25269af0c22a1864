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
should be transformers and implement fit and transform ..."): the step cannot
raise a better error itself, because scikit-learn's Pipeline requires
``transform`` on intermediate steps while imbalanced-learn's refuses steps that
have both ``transform`` and ``fit_resample``, and both decide with ``hasattr``
before calling anything. The fix is this module's ``Pipeline``, or the
meta-estimator :class:`~skinfluence.InfluencePrunedEstimator`, which also
forwards ``sample_weight`` to both the pruner and the final model. (Without
scikit-learn's metadata routing, imbalanced-learn 0.14's Pipeline does not pass
``prune__sample_weight`` to ``fit_resample`` at all: use the meta-estimator for
weighted rows.)
"""

from imblearn.pipeline import Pipeline, make_pipeline

__all__ = ["Pipeline", "make_pipeline"]
