"""Warnings and errors raised by skinfluence, and the check behind the warning
that a model is not at an optimum (every layer may import it)."""

import warnings
from contextlib import contextmanager

import numpy as np

__all__ = [
    "STATIONARITY_TOLERANCE",
    "InfluenceWarning",
    "SingularHessianError",
    "singular_unless_stationary",
    "warn_if_not_stationary",
]

#: Warn when ||grad F(theta)|| exceeds this multiple of the root mean square norm
#: of one row's gradient term. Measured on breast_cancer and digits (lbfgs stopped
#: at various points, influences compared with those at the exact optimum): ratios
#: up to ~1 (scikit-learn's default tol=1e-4 gives 0.2-1.1) moved influences by < 1%
#: of their range; ratios of 6-300 (max_iter=3..30, a model fitted on other rows)
#: by 2%-60%.
STATIONARITY_TOLERANCE = 1.0


class InfluenceWarning(UserWarning):
    """An influence number is an approximation the user should know about.

    Raised, for example, when the explained model is not at an optimum of its
    objective (the measured gradient norm is in the message), or when an
    iterative solver stopped before its tolerance. Filter it or turn it into an
    error with :mod:`warnings` as usual.
    """


class SingularHessianError(np.linalg.LinAlgError, ValueError):
    """The Hessian of the objective is singular (or numerically so).

    Influence needs ``H^{-1}``; pass ``damping > 0`` to regularise it, at the
    cost of no longer matching refitting exactly.
    """


def warn_if_not_stationary(name, norm, relative, stacklevel=3):
    """Warn (:class:`InfluenceWarning`, with the figures) above the tolerance.

    Parameters
    ----------
    name : str
        The estimator's class name.
    norm, relative : float
        From :func:`~skinfluence.influence.gradient_norms`.
    stacklevel : int, default=3
        Passed to :func:`warnings.warn`.

    Examples
    --------
    >>> import warnings
    >>> from skinfluence.influence import warn_if_not_stationary
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_if_not_stationary("Ridge", 5.0, 2.0)
    >>> len(w)
    1
    """
    if relative > STATIONARITY_TOLERANCE:
        warnings.warn(
            f"{name} is not at an optimum of its objective on these data: "
            f"||grad F(theta)|| = {norm:.3g}, {relative:.3g} times a typical row's "
            "gradient term, so influences computed here can be off by several "
            "percent or more. Was it fitted on this X, y (and sample_weight)? If so, "
            "refit with a smaller tol or a larger max_iter.",
            InfluenceWarning, stacklevel=stacklevel,
        )


@contextmanager
def singular_unless_stationary(name, norm, relative):
    """Put the stationarity figures into a singular Hessian's error when off optimum.

    A fit that stopped far from its optimum (e.g. SGD diverging on a feature on a
    large scale) can leave a singular Hessian; the error then says so with the
    gradient norm (:func:`warn_if_not_stationary`'s figures) and what to do,
    rather than blaming collinear features alone.

    Parameters
    ----------
    name : str
        The estimator's class name.
    norm, relative : float
        From :func:`~skinfluence.influence.gradient_norms`, measured before the
        Hessian is factorised.

    Yields
    ------
    None
        Around the solver's factorisation.

    Examples
    --------
    >>> from skinfluence.exceptions import singular_unless_stationary
    >>> try:
    ...     with singular_unless_stationary("SGDClassifier", 2e7, 160.0):
    ...         raise SingularHessianError("The Hessian is singular.")
    ... except SingularHessianError as exc:
    ...     print(str(exc)[:62])
    SGDClassifier is not at an optimum of its objective on these d
    """
    try:
        yield
    except SingularHessianError as exc:
        if not relative > STATIONARITY_TOLERANCE:
            raise
        raise SingularHessianError(
            f"{name} is not at an optimum of its objective on these data: "
            f"||grad F(theta)|| = {norm:.3g}, {relative:.3g} times a typical row's "
            f"gradient term (tolerance {STATIONARITY_TOLERANCE:g}), and its Hessian "
            "there is singular. A fit that stopped off its optimum (e.g. SGD "
            "diverging on features on very different scales) is the likely cause: "
            "scale the features (e.g. StandardScaler), or refit with a smaller tol "
            f"or a larger max_iter. The solver's message: {exc}"
        ) from exc
