"""What the explainer checks so that no number is silently other than a refit's.

At ``fit``: how far the model is from its optimum, measured before the Hessian is
factorised so that a singular Hessian of a fit stopped off its optimum (e.g. SGD
diverging on a feature on a large scale) is reported with that figure
(:func:`stationarity_checked`). At query time: removals after which a refit has
fewer classes, another model the formulas do not predict
(:func:`warn_if_class_emptied`; ``retrain_effect`` refuses them by the same check,
:func:`~skinfluence.models._classes.missing_classes`).
"""

import warnings
from contextlib import contextmanager

from ..exceptions import (InfluenceWarning, singular_unless_stationary,
                          warn_if_not_stationary)
from ..models._classes import class_emptying_removals
from .objective import gradient_norms

__all__ = ["stationarity_checked", "warn_if_class_emptied"]


@contextmanager
def stationarity_checked(adapter, X, Y, weights, removal=None):
    """Measure stationarity, explain a singular Hessian with it, then warn.

    Around the solver's factorisation: yields ``(norm, relative)`` measured
    first; a :class:`~skinfluence.exceptions.SingularHessianError` inside gets
    the figures when the model is off its optimum
    (:func:`~skinfluence.exceptions.singular_unless_stationary`); on success,
    :func:`~skinfluence.exceptions.warn_if_not_stationary` warns above the
    tolerance.

    Parameters
    ----------
    adapter : LinearModelAdapter
    X : {ndarray, sparse matrix} of shape (n_train, n_features)
        The design the objective is defined on.
    Y : ndarray
        Encoded targets.
    weights : ndarray of shape (n_train,)
    removal : object, default=None
        A removal engine with its own ``gradient_norms()`` (HuberRegressor).

    Yields
    ------
    norms : tuple of float
        ``(norm, relative)`` as from
        :func:`~skinfluence.influence.gradient_norms`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.influence import stationarity_checked
    >>> from skinfluence.models import make_adapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> a = make_adapter(Ridge().fit(X, y), y, None)
    >>> with stationarity_checked(a, X, a.encode_target(y), np.ones(len(y))) as n:
    ...     pass
    >>> bool(n[1] < 1e-6)
    True
    """
    norms = removal.gradient_norms() if removal else gradient_norms(adapter, X, Y,
                                                                  weights)
    name = type(adapter.estimator).__name__
    with singular_unless_stationary(name, *norms):
        yield norms
    warn_if_not_stationary(name, *norms, stacklevel=5)


def warn_if_class_emptied(adapter, y, populations=None, stacklevel=4):
    """Warn when removing a row (population) leaves a class with no row.

    A refit without it has fewer classes, another model, which the influence
    formulas do not predict (and which ``retrain_effect`` refuses). One
    :class:`~skinfluence.InfluenceWarning` per call, naming the first few.

    Parameters
    ----------
    adapter : LinearModelAdapter
        The fitted model's reader (``adapter.classes`` is None for regressors).
    y : ndarray of shape (n_train,)
        The training target as given to ``fit``.
    populations : list of ndarray of int, default=None
        The removed populations; ``None``: each training row alone.
    stacklevel : int, default=4
        Passed to :func:`warnings.warn`.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence.influence import warn_if_class_emptied
    >>> from skinfluence.models import make_adapter
    >>> X, y = np.arange(10.0)[:, None], np.array([0] * 5 + [1] * 4 + [2])
    >>> a = make_adapter(LogisticRegression().fit(X, y), y, None)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_if_class_emptied(a, y)
    >>> print(str(w[0].message)[:57])
    Row(s) [9] (1 in all) are the only member of their class:
    """
    found = class_emptying_removals(adapter.classes, y, populations)
    if found.size == 0:
        return
    shown = f"{found[:5].tolist()}{' ...' if found.size > 5 else ''}"
    what = ("Row(s) {} ({} in all) are the only member of their class"
            if populations is None else
            "Population(s) {} ({} in all) hold every row of a class")
    warnings.warn(
        f"{what.format(shown, found.size)}: a refit without them has fewer classes "
        f"than the model's {adapter.classes.tolist()}, another model, so their "
        "influence here is not what a refit gives (retrain_effect refuses them).",
        InfluenceWarning, stacklevel=stacklevel,
    )
