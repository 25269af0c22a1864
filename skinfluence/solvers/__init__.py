"""Inverse-Hessian application: one small class per method, one interface.

``solver=`` takes a name (``"auto"``, ``"cholesky"``, ``"cg"``, ``"lissa"``) or a
solver object with its own options, e.g. ``CGSolver(tol=1e-10, max_iter=500)``.

The ``"auto"`` rule: ``"cholesky"`` when the dense Hessian fits comfortably,
i.e. ``n_params <= AUTO_CHOLESKY_MAX_PARAMS`` (5 000) and its
``n_params**2 * 8`` bytes are at most a quarter of the memory budget; ``"cg"``
otherwise (wide or sparse-wide data, where ``H`` would not fit or its
``O(n * n_params**2)`` build would dominate).
"""

import copy

from ._base import HessianOperator, HessianSolver
from .cg import CGSolver
from .cholesky import CholeskySolver
from .lissa import LissaSolver

__all__ = [
    "HessianOperator",
    "HessianSolver",
    "CholeskySolver",
    "CGSolver",
    "LissaSolver",
    "make_solver",
    "resolve_solver",
    "AUTO_CHOLESKY_MAX_PARAMS",
]

_SOLVERS = {"cholesky": CholeskySolver, "cg": CGSolver, "lissa": LissaSolver}

#: ``solver="auto"`` uses cholesky up to this many parameters (a 200 MB Hessian).
AUTO_CHOLESKY_MAX_PARAMS = 5000


def resolve_solver(solver, n_params, max_memory=None):
    """The solver name ``"auto"`` stands for (other names and objects unchanged)."""
    if isinstance(solver, str) and solver == "auto":
        fits = max_memory is None or 8.0 * n_params**2 <= max_memory / 4
        return "cholesky" if n_params <= AUTO_CHOLESKY_MAX_PARAMS and fits else "cg"
    return solver


def make_solver(solver, operator, random_state=None, max_memory=None):
    """Fit the solver ``solver`` (a name or an unfitted solver object) on ``operator``.

    A solver object is copied, so the one the user passed stays unfitted.
    ``random_state`` is given to stochastic solvers that have none of their own.
    """
    solver = resolve_solver(solver, operator.n_params, max_memory)
    if isinstance(solver, HessianSolver):
        est = copy.copy(solver)
    else:
        try:
            est = _SOLVERS[solver]()
        except (KeyError, TypeError):
            raise ValueError(
                f"solver={solver!r} is not available; choose from 'auto', "
                + ", ".join(repr(s) for s in _SOLVERS) + " or a solver object."
            ) from None
    if getattr(est, "random_state", "absent") is None:
        est.random_state = random_state
    return est.fit(operator)
