"""Pipelines whose steps may drop training rows.

scikit-learn's ``Pipeline`` passes every row through every step, so a step
that removes rows (``fit_resample``: :class:`~skinfluence.InfluencePruner`,
:class:`~skinfluence.InfluenceOutlierRemover`) cannot be one of its steps.
imbalanced-learn's ``Pipeline`` can: during ``fit`` it calls ``fit_resample`` on
such steps and fits the later steps on the rows they keep; ``predict``,
``score`` and the other methods skip them, so every test row is predicted.
This module's ``Pipeline`` is imbalanced-learn's with one change: without
scikit-learn's metadata routing, ``fit(X, y, prune__sample_weight=w)`` passes
``w`` to the ``fit_resample`` of the step named ``prune`` (imbalanced-learn
0.14 passes step parameters to ``fit`` only, so a row-removing step's weights
were dropped without a word)::

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
forwards ``sample_weight`` to both the pruner and the final model (the steps
after a row-removing one see fewer rows, so a full-length ``clf__sample_weight``
does not fit them).
"""

from imblearn import pipeline as imblearn_pipeline
from sklearn import get_config

__all__ = ["Pipeline", "make_pipeline"]


class Pipeline(imblearn_pipeline.Pipeline):
    """imbalanced-learn's ``Pipeline``, passing step parameters to ``fit_resample``.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        Transformers, row-removing steps (``fit_resample``) and a final
        estimator, as in imbalanced-learn's ``Pipeline``.
    transform_input : list of str, default=None
        See imbalanced-learn's ``Pipeline`` (metadata routing only).
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted steps.
    verbose : bool, default=False
        Print the time each step takes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceOutlierRemover
    >>> from skinfluence.pipeline import Pipeline
    >>> X = np.arange(40.0).reshape(-1, 1)
    >>> y = 2 * X[:, 0] + np.sin(X[:, 0])
    >>> y[7] += 50
    >>> w = np.ones(40)
    >>> w[7] = 0.0  # the outlier does not count: nothing stands apart
    >>> model = Pipeline([("drop", InfluenceOutlierRemover()), ("reg", Ridge())])
    >>> model.fit(X, y).named_steps["drop"].removed_indices_.tolist()
    [7]
    >>> model.fit(X, y, drop__sample_weight=w).named_steps["drop"].removed_indices_
    array([], dtype=int64)
    """

    def _check_method_params(self, method, props, **kwargs):
        routed = super()._check_method_params(method, props, **kwargs)
        if get_config()["enable_metadata_routing"]:
            return routed
        # without routing, imbalanced-learn files "step__param" under fit,
        # fit_transform and fit_predict only: a sampler's fit_resample got nothing
        steps = dict(self.steps)
        for name, value in props.items():
            step, param = name.split("__", 1)
            if hasattr(steps.get(step), "fit_resample"):
                routed[step]["fit_resample"][param] = value
        return routed


def make_pipeline(*steps, memory=None, transform_input=None, verbose=False):
    """Construct a :class:`Pipeline` from the given estimators, named automatically.

    Parameters
    ----------
    *steps : list of estimators
        Transformers, row-removing steps and a final estimator.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted steps.
    transform_input : list of str, default=None
        See imbalanced-learn's ``Pipeline`` (metadata routing only).
    verbose : bool, default=False
        Print the time each step takes.

    Returns
    -------
    p : Pipeline

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skinfluence import InfluencePruner
    >>> from skinfluence.pipeline import make_pipeline
    >>> make_pipeline(StandardScaler(), InfluencePruner(), LogisticRegression())
    Pipeline(steps=[('standardscaler', StandardScaler()),
                    ('influencepruner', InfluencePruner()),
                    ('logisticregression', LogisticRegression())])
    """
    named = imblearn_pipeline.make_pipeline(*steps).steps
    return Pipeline(
        named, memory=memory, transform_input=transform_input, verbose=verbose
    )
