"""The kind of a target, and the model that scores rows when ``estimator=None``.

Both row-removing steps (and :func:`~skinfluence.find_label_issues`) read the
target the same way and pick their default scoring model here.

Why a rule beyond :func:`~sklearn.utils.multiclass.type_of_target`: it calls
any float array of whole numbers "multiclass", so ``load_diabetes``' target
(214 distinct whole-number values in 442 rows) would be scored by a
LogisticRegression over 214 "classes" -- minutes of fitting, scikit-learn's
"number of unique classes" warning, and scores that mean nothing. Here a float
target with more than ``MAX_FLOAT_CLASSES`` distinct values is continuous: a
measurement stored as floats rarely takes few values, while class labels
stored as floats (a pandas column of 0.0/1.0) take few. Integer and string
targets stay classes (their type says so), but when most of their values
occur only once or twice a warning says the target looks continuous.
"""

import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import type_of_target

from ..exceptions import InfluenceWarning

__all__ = ["MAX_FLOAT_CLASSES", "check_scorer", "default_scorer", "is_class_target"]

#: A float target with more distinct values than this is continuous.
MAX_FLOAT_CLASSES = 20
#: An integer target whose distinct values mostly occur at most this many times
#: (the median count) gets a warning that it looks continuous (a class needs a
#: few rows to be learnt). The median, not the mean: ``load_diabetes``' target as
#: int (214 values in 442 rows, 71% of them once or twice) has a mean of 2.07.
MIN_ROWS_PER_CLASS = 2.0


def is_class_target(y):
    """True when ``y`` holds class labels, False when it is continuous.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.scorer import is_class_target
    >>> is_class_target(np.array([0, 1, 1, 0]))
    True
    >>> is_class_target(np.arange(100.0))  # whole-number floats, many values
    False
    """
    kind = type_of_target(y, raise_unknown=True)
    if kind == "binary":
        return True
    if kind != "multiclass":
        return False
    counts = np.unique(y, return_counts=True)[1]
    n_values = counts.size
    if np.asarray(y).dtype.kind == "f":
        return n_values <= MAX_FLOAT_CLASSES
    if np.median(counts) <= MIN_ROWS_PER_CLASS:
        warnings.warn(
            f"y holds {n_values} distinct {np.asarray(y).dtype} values in {len(y)} "
            "rows (most of them occur at most twice); they are scored as classes. "
            "If y is a measurement, pass it as float, or pass a regressor as "
            "estimator.",
            InfluenceWarning,
            stacklevel=4,
        )
    return True


def default_scorer(is_classification):
    """The model that scores rows when ``estimator=None``.

    Parameters
    ----------
    is_classification : bool
        Whether the target holds classes (see :func:`is_class_target`).

    Returns
    -------
    estimator
        Class targets: a Pipeline of ``StandardScaler(with_mean=False)`` and
        ``LogisticRegression(C=0.1, tol=1e-6, max_iter=1000)``: a tighter
        optimum than the default tol, which influence needs (tol=1e-8 removed
        exactly the same rows on 105 benchmark splits of 7 data sets, 5 187
        removals, at 1.6 times the cost); lbfgs, whose cost per iteration does
        not grow with the number of classes squared as newton-cholesky's does
        (digits, 10 classes: 0.13 s against 0.83 s).
        ``C=0.1`` on unit-variance features: chosen by the label-noise
        benchmark in ``docs/pruning.md`` (sharper leave-one-out probabilities
        than ``C=1``); on its generated low-dimensional data sets ``C=1`` did
        better, and a ``C`` chosen by cross-validation (a scorer passed as
        ``estimator``) did well on both, at several times the cost. Scaling
        without centring gives the same model as full standardisation (the
        intercept is not penalised) and keeps sparse X sparse. Continuous
        targets: the same scaling and ``Ridge()``, so that ``alpha=1`` means
        the same on any feature scale: on generated data with columns of sd
        0.02, ``Ridge()`` on the raw features was mostly shrinkage bias and
        found 0-9% of gross target errors, the scaled one 72-93%; on unit
        scales both removed almost the same rows (``docs/pruning.md``,
        "Generated regression data").

    Examples
    --------
    >>> from skinfluence.resampling.scorer import default_scorer
    >>> default_scorer(False)
    Pipeline(steps=[('standardscaler', StandardScaler(with_mean=False)),
                    ('ridge', Ridge())])
    """
    model = (LogisticRegression(C=0.1, tol=1e-6, max_iter=1000) if is_classification
             else Ridge())
    return make_pipeline(StandardScaler(with_mean=False), model)


def check_scorer(estimator, is_classification, y):
    """The scoring model to clone: ``estimator``, or the default for the target.

    Parameters
    ----------
    estimator : estimator or None
    is_classification : bool
        Whether the target holds classes (see :func:`is_class_target`).
    y : ndarray of shape (n_samples,)
        The target, checked against a classifier ``estimator``.

    Returns
    -------
    estimator

    Raises
    ------
    ValueError
        When ``estimator`` is a classifier and the target is continuous.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.scorer import check_scorer
    >>> check_scorer(None, is_classification=False, y=np.arange(50.0))[-1]
    Ridge()
    """
    if estimator is None:
        return default_scorer(is_classification)
    if is_classifier(estimator) and not is_class_target(y):
        raise ValueError(
            f"estimator={estimator!r} is a classifier but y is continuous (float "
            f"values, more than {MAX_FLOAT_CLASSES} distinct ones). Pass a regressor "
            "(e.g. Ridge()), or integer class labels if y holds classes."
        )
    return estimator
