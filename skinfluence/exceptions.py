"""Warnings and errors raised by skinfluence."""

import numpy as np

__all__ = ["InfluenceWarning", "SingularHessianError"]


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
