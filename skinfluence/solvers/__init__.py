"""Inverse-Hessian application: one small class per method, one interface.

``solver=`` takes a name (``"auto"``, ``"cholesky"``, ``"cg"``, ``"lissa"``) or a
solver object with its own options, e.g. ``CGSolver(tol=1e-10, max_iter=500)``.

The ``"auto"`` rule: ``"cholesky"`` when the dense Hessian fits comfortably,
i.e. ``n_params <= AUTO_CHOLESKY_MAX_PARAMS`` (5 000) and its
``n_params**2 * 8`` bytes are at most a quarter of the memory budget; ``"cg"``
otherwise (wide or sparse-wide data, where ``H`` would not fit or its
``O(n * n_params**2)`` build would dominate).
"""

from sklearn.base import clone

from ._base import HessianSolver, check_rank_bound
from .operator import HessianOperator
from .cg import CGSolver
from .cholesky import CholeskySolver
from .leverage import row_leverages
from .lissa import LissaSolver

__all__ = [
    "HessianOperator",
    "HessianSolver",
    "check_rank_bound",
    "CholeskySolver",
    "row_leverages",
    "CGSolver",
    "LissaSolver",
    "SOLVERS",
    "SOLVER_NAMES",
    "make_solver",
    "resolve_solver",
    "AUTO_CHOLESKY_MAX_PARAMS",
]

#: The solvers by name: the one table behind ``solver=`` (the explainer's
#: parameter constraints and :func:`make_solver` both read it).
SOLVERS = {"cholesky": CholeskySolver, "cg": CGSolver, "lissa": LissaSolver}

#: Every name ``solver=`` accepts.
SOLVER_NAMES = ("auto", *SOLVERS)

#: ``solver="auto"`` uses cholesky up to this many parameters (a 200 MB Hessian).
AUTO_CHOLESKY_MAX_PARAMS = 5000


def resolve_solver(solver, n_params, max_memory=None):
    """The solver name ``"auto"`` stands for (other names and objects unchanged).

    Parameters
    ----------
    solver : str or HessianSolver
    n_params : int
        Size of the Hessian.
    max_memory : float, default=None
        Memory budget in bytes; the dense Hessian must fit in a quarter of it.

    Returns
    -------
    str or HessianSolver

    Examples
    --------
    >>> from skinfluence.solvers import resolve_solver
    >>> resolve_solver("auto", 100), resolve_solver("auto", 10**5)
    ('cholesky', 'cg')
    """
    if isinstance(solver, str) and solver == "auto":
        fits = max_memory is None or 8.0 * n_params**2 <= max_memory / 4
        return "cholesky" if n_params <= AUTO_CHOLESKY_MAX_PARAMS and fits else "cg"
    return solver


def make_solver(solver, operator, random_state=None, max_memory=None):
    """Fit the solver ``solver`` (a name or an unfitted solver object) on ``operator``.

    A solver object is cloned (:func:`sklearn.base.clone`), so the one the user
    passed stays unfitted. ``random_state`` is given to stochastic solvers whose
    own ``random_state`` is None.

    Parameters
    ----------
    solver : {"auto", "cholesky", "cg", "lissa"} or HessianSolver
    operator : HessianOperator
    random_state : int, RandomState instance or None, default=None
    max_memory : float, default=None
        Memory budget in bytes, for ``"auto"``.

    Returns
    -------
    HessianSolver
        Fitted.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.solvers import CGSolver, make_solver
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ex = InfluenceExplainer(Ridge()).fit(X, y)
    >>> make_solver(CGSolver(tol=1e-10), ex.operator_)
    CGSolver(tol=1e-10)
    """
    solver = resolve_solver(solver, operator.n_params, max_memory)
    if isinstance(solver, HessianSolver):
        est = clone(solver)
    else:
        try:
            est = SOLVERS[solver]()
        except (KeyError, TypeError):
            raise ValueError(
                f"solver={solver!r} is not available; choose from "
                + ", ".join(repr(s) for s in SOLVER_NAMES) + " or a solver object."
            ) from None
    if est.get_params().get("random_state", "absent") is None:
        est.set_params(random_state=random_state)
    return est.fit(operator)
