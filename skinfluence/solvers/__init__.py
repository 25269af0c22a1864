"""Inverse-Hessian application: one small class per method, one interface."""

from ._base import HessianOperator, HessianSolver
from .cholesky import CholeskySolver

__all__ = ["HessianOperator", "HessianSolver", "CholeskySolver", "make_solver"]

_SOLVERS = {"cholesky": CholeskySolver}


def make_solver(name, operator):
    """Fit the solver called ``name`` ('auto' picks cholesky) on ``operator``."""
    if name == "auto":
        name = "cholesky"
    try:
        cls = _SOLVERS[name]
    except KeyError:
        raise ValueError(
            f"solver={name!r} is not available; choose from 'auto', "
            + ", ".join(repr(s) for s in _SOLVERS)
        ) from None
    return cls().fit(operator)
