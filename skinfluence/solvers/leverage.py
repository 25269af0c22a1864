r"""Leverages ``M_j = J_j H^{-1} J_j^T`` of every training row, without a solve per row.

Self-influence is ``c_j r_j^T M_j r_j`` and ``method="newton"`` needs the ``K x K``
blocks ``M_j`` themselves (``J_j = I_K (x) [x_j, 1]``, ``H`` the Hessian of the
objective, its pseudo-inverse on a multinomial null space). Four ways to get them:

- ``"primal"`` (exact): one Cholesky factor ``H = U^T U`` (``24 * n_params**2`` bytes);
  a block of rows is one triangular solve, ``M_j = (U^{-T} J_j^T)^T (U^{-T} J_j^T)``.
- ``"dual"`` (exact; ``K = 1`` or outputs without coupling, every coefficient
  penalised): the ``n x n`` form. The unpenalised intercept is eliminated exactly
  (its Schur complement centres the rows at their curvature-weighted mean ``mu``),
  ``q_j = (x_j - mu)^T S^{-1} (x_j - mu) + 1/s``, and with ``S = R^T W R + lambda I``
  (rows ``R``, curvatures ``W``), ``G = W^{1/2} R R^T W^{1/2}``, ``M = G + lambda I``::

      w_j q_j = 1 - lambda [M^{-1}]_jj                                   (A)
      q_j = ([R R^T]_jj - ||L^{-1} W^{1/2} R R^T e_j||^2) / lambda,  M = L L^T (B)

  (A) loses digits when ``w_j q_j`` is small, (B) when it is near 1; rows with
  ``w_j q_j < 0.05`` get (B). Memory ``8 * n**2``.
- ``"randomized"`` (approximate; ``K = 1`` or uncoupled outputs): a cheap
  deterministic estimate for every row, calibrated on exact solves for a random
  sample of rows (one block solve with the explainer's solver). The estimate
  takes the row's own curvature exactly and the others' through the Hessian's
  diagonal ``P`` (Sherman--Morrison on ``H = H_{-j} + w_j x_j x_j^T``)::

      a_j = 1 / (1 / sum_a x_ja^2 / (P_a - w_j x_ja^2) + w_j)

  and ``q_j = b_0 + b_1 a_j + b_2 w_j a_j^2`` by least squares on the sample.
  The leave-one-out error on the sample is reported (``calibration_error``).
- ``"solves"`` (exact to the solver's tolerance): ``K`` solves per row, the
  fallback for coupled outputs (multinomial) too large for ``"primal"``.
"""

import numbers
import warnings

import numpy as np
from scipy import linalg, sparse
from scipy.linalg import lapack
from scipy.stats import chi2
from sklearn.utils import Bunch, check_random_state

from ..parallel import blas_limit, count_nonzero, memory_budget
from ..exceptions import InfluenceWarning, SingularHessianError
from ._base import HessianOperator
from .cg import CGSolver
from .cholesky import CholeskySolver
from .lissa import LissaSolver

__all__ = ["row_leverages", "LEVERAGE_METHODS", "EXACT_MAX_FLOPS"]

LEVERAGE_METHODS = ("auto", "primal", "dual", "randomized", "solves")

#: ``method="auto"`` uses an exact method up to this many flops (~15-30 s here).
EXACT_MAX_FLOPS = 1e12

#: Blocks of rows are sized so their dense temporaries hold this many float64s.
_BLOCK_ELEMENTS = 2**22

#: The dual form uses formula (B) for rows whose leverage w_j q_j is below this:
#: (A) then keeps >= 12 digits (measured on the test problems, h from 0 to 0.3).
_FORMULA_B_BELOW = 0.05


def row_leverages(operator, solver=None, *, method="auto", n_calibration=64,
                  rtol=0.02, max_memory=None, random_state=None, verbose=0):
    r"""``M_j = J_j H^{-1} J_j^T`` and the self-influence of every training row.

    Parameters
    ----------
    operator : HessianOperator
        The Hessian of the fitted objective (it holds the adapter, X, Y, the
        row weights and the damping).
    solver : HessianSolver, default=None
        The fitted solver of ``operator``. A :class:`CholeskySolver`'s factor is
        reused by ``"primal"``; ``"randomized"`` and ``"solves"`` solve with it
        (a :class:`LissaSolver` or ``None`` is replaced by a :class:`CGSolver`).
    method : {"auto", "primal", "dual", "randomized", "solves"}, default="auto"
        See the module docstring. ``"auto"``: ``"primal"`` when ``solver`` is a
        Cholesky solver; else the cheaper of ``"primal"`` and ``"dual"`` among
        those whose memory fits ``max_memory`` and whose cost is at most
        :data:`EXACT_MAX_FLOPS`; else ``"randomized"`` (``K = 1`` or uncoupled
        outputs) or ``"solves"``.
    n_calibration : int, default=64
        Rows solved exactly to calibrate (and measure) ``"randomized"``.
    rtol : float, default=0.02
        ``"randomized"`` warns when the upper 95% bound of its root-mean-square
        relative error, estimated on the calibration rows, exceeds ``rtol`` (at
        2% the self-influences of sparse text keep Pearson > 0.999 with exact).
        Under ``method="auto"`` an estimate above ``rtol`` is replaced by
        ``"solves"`` (exact, one solve per row) instead.
    max_memory : float, default=None
        Bytes the exact methods may use; ``None``: half the physical memory.
    random_state : int, RandomState instance or None, default=None
        Draws the calibration rows of ``"randomized"``.
    verbose : int, default=0
        Print the method chosen, why, and the calibration error.

    Returns
    -------
    result : Bunch
        ``leverages`` (n_train, K, K): the blocks ``M_j`` (pseudo-inverse on a
        null space); ``self_influence`` (n_train,): ``c_j r_j^T M_j r_j``;
        ``method``: the method used; ``calibration_error``: for ``"randomized"``
        a dict (``rms``, ``rms_upper``, ``max``, ``pearson`` on the calibration
        rows, leave-one-out), else ``None``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence import InfluenceExplainer
    >>> X, y = make_classification(200, 5, random_state=0)
    >>> ex = InfluenceExplainer(LogisticRegression()).fit(X, y)
    >>> res = row_leverages(ex.operator_, ex.solver_, method="dual")
    >>> res.leverages.shape, res.method
    ((200, 1, 1), 'dual')
    >>> bool(np.allclose(res.self_influence, ex.self_influence()))
    True
    """
    if method not in LEVERAGE_METHODS:
        raise ValueError(f"method must be one of {LEVERAGE_METHODS}, got {method!r}.")
    if not isinstance(n_calibration, numbers.Integral) or n_calibration < 4:
        raise ValueError(f"n_calibration must be an integer >= 4: {n_calibration!r}.")
    a, reason, auto = operator.adapter, "requested", method == "auto"
    uncoupled = a.n_outputs == 1 or a.curvature_is_diagonal
    if auto:
        method, reason = _choose(operator, solver, memory_budget(max_memory), uncoupled)
    elif method in ("dual", "randomized") and not uncoupled:
        raise ValueError(
            f"method={method!r} needs outputs without coupled curvature (K = 1, or "
            "squared loss); this multinomial model needs 'primal' or 'solves'."
        )
    if verbose:
        print(f"[row_leverages] method={method!r} ({reason})")
    with blas_limit(count_nonzero(operator.X) * a.n_params * a.n_outputs):
        M, error = _compute(operator, solver, method, n_calibration, random_state)
    if auto and error is not None and error["rms_upper"] > rtol:
        # the estimate is not good enough: exact per-row solves instead (slow,
        # but "auto" never returns an estimate it measured to be off)
        if verbose:
            _report(error, rtol, verbose, warn=False)
            print("[row_leverages] above rtol: method='solves' instead")
        method, error = "solves", None
        with blas_limit(count_nonzero(operator.X) * a.n_params * a.n_outputs):
            M = _solves(operator, _exact_solver(operator, solver))
    if error is not None:
        _report(error, rtol, verbose)
    _, r = a.loss_gradient(a.decision(operator.X), operator.Y)
    si = operator.weights * np.einsum("jk,jkl,jl->j", r, M, r)
    return Bunch(leverages=M, self_influence=si, method=method, calibration_error=error)


def _compute(operator, solver, method, n_calibration, random_state):
    """The blocks M (n, K, K) by ``method``, and the calibration error (or None)."""
    if method == "primal":
        return _primal(operator, solver), None
    if method == "solves":
        return _solves(operator, _exact_solver(operator, solver)), None
    K = operator.adapter.n_outputs
    q, errors = np.empty((operator.X.shape[0], K)), []
    rng = check_random_state(random_state)
    for k in range(K):
        same = _same_problem_as(operator, k)  # e.g. ridge outputs sharing alpha
        if same is not None:
            q[:, k] = q[:, same]
        elif method == "dual":
            q[:, k] = _dual(operator, k)
        else:
            exact = _exact_solver(operator, solver)
            q[:, k], err = _randomized(operator, exact, k, n_calibration, rng)
            errors.append(err)
    worst = max(errors, key=lambda e: e["rms_upper"]) if errors else None
    return q[:, :, None] * np.eye(K), worst


def _choose(operator, solver, budget, uncoupled):
    """The method ``"auto"`` stands for, and why (for verbose output)."""
    if isinstance(solver, CholeskySolver):
        return "primal", "the solver's Cholesky factor is reused"
    a, X = operator.adapter, operator.X
    n, P, K = X.shape[0], a.n_params, a.n_outputs
    costs = {}
    if 24.0 * P**2 <= budget:
        costs["primal"] = 2.0 * n * K * P**2 + P**3 / 3
    lam = a.l2_strength + operator.damping
    # M and a few blocks of rows (each at most n + 1 columns wide)
    dual_bytes = 8.0 * (n + 1) ** 2 + 32.0 * min(_BLOCK_ELEMENTS, (n + 1) ** 2)
    if uncoupled and np.all(lam > 0) and dual_bytes <= budget:
        costs["dual"] = len(set(lam.tolist())) * (n**3 + 2.0 * count_nonzero(X) * n)
    exact = {m: c for m, c in costs.items() if c <= EXACT_MAX_FLOPS}
    if exact:
        best = min(exact, key=exact.get)
        return best, f"exact, ~{exact[best]:.1e} flops, within max_memory"
    why = ("no exact method fits max_memory" if not costs else
           f"exact methods need >= {min(costs.values()):.1e} flops "
           f"(limit {EXACT_MAX_FLOPS:.0e})")
    if uncoupled:
        return "randomized", why
    return "solves", why + "; coupled outputs (multinomial): per-row solves"


def _exact_solver(operator, solver):
    if solver is None or isinstance(solver, LissaSolver):
        return CGSolver().fit(operator)
    return solver


def _row_blocks(n, per_row):
    step = max(1, _BLOCK_ELEMENTS // max(1, per_row))
    return [slice(s, min(n, s + step)) for s in range(0, n, step)]


def _jacobian_columns(operator, rows):
    """Projected ``J_j^T e_k`` for the rows, (n_params, len * K)."""
    return operator.project(operator.adapter.jacobian_solve_inputs(operator.X[rows]))


def _blocks_from(B, W, K):
    """``M_j[k, l] = B[:, jK+k] . W[:, jK+l]`` for a block of rows."""
    B = B.reshape(B.shape[0], -1, K)
    return np.einsum("pjk,pjl->jkl", B, W.reshape(B.shape))


def _primal(operator, solver):
    if not isinstance(solver, CholeskySolver):
        fresh = HessianOperator(operator.adapter, operator.X, operator.Y,
                                operator.weights, operator.damping)  # no cached H kept
        solver = CholeskySolver().fit(fresh)
    a = operator.adapter
    K, n = a.n_outputs, operator.X.shape[0]
    M = np.empty((n, K, K))
    for rows in _row_blocks(n, 2 * a.n_params * K):
        B = _jacobian_columns(operator, rows) * solver.scale_[:, None]
        W = linalg.solve_triangular(solver.factor_[0], B, trans="T", check_finite=False)
        M[rows] = _blocks_from(W, W, K)
    return M


def _solves(operator, solver):
    a = operator.adapter
    K, n = a.n_outputs, operator.X.shape[0]
    M = np.empty((n, K, K))
    for rows in _row_blocks(n, 2 * a.n_params * K):
        B = _jacobian_columns(operator, rows)
        M[rows] = _blocks_from(B, solver.solve(B), K)
    return M


def _output_problem(operator, k):
    """Curvature weights, feature penalty and intercept penalty of output ``k``."""
    cD, damping = operator.curvature, operator.damping
    w = np.asarray(cD[:, k] if cD.ndim == 2 else cD[:, k, k], dtype=np.float64)
    a = operator.adapter  # liblinear's readers penalise the intercept too
    b = a.penalty_diagonal().reshape(a.n_outputs, -1)[k, -1] if a.fit_intercept else 0.0
    return w, a.l2_strength[k] + damping, b + damping


def _same_problem_as(operator, k):
    """An earlier output with output k's scalar problem (curvatures, penalty)."""
    w, lam, _ = _output_problem(operator, k)
    for j in range(k):
        w_j, lam_j, _ = _output_problem(operator, j)
        if lam_j == lam and np.array_equal(w_j, w):
            return j
    return None


def _kernel_columns(X, cols, mu, extra):
    """Columns ``cols`` of ``R R^T``: R the rows of X centred at ``mu`` (as they are
    if ``mu`` is None), then, when ``extra``, a last pseudo-row ``mu`` itself."""
    real = cols[cols < X.shape[0]]
    K = X @ X[real].T
    K = K.toarray() if sparse.issparse(K) else np.asarray(K)
    if mu is None:
        return K
    Xmu, mm = np.asarray(X @ mu).ravel(), float(mu @ mu)
    K += mm - Xmu[:, None] - Xmu[real][None, :]
    if extra:  # <x_j - mu, mu> and <mu, mu>
        K = np.vstack([K, Xmu[real] - mm])
        if len(real) < len(cols):
            K = np.hstack([K, np.append(Xmu - mm, mm)[:, None]])
    return K


def _dual(operator, k):
    a, X = operator.adapter, operator.X
    w, lam, delta = _output_problem(operator, k)
    n = X.shape[0]
    if lam <= 0:
        raise ValueError("method='dual' needs every coefficient penalised (l2 or "
                         "damping > 0).")
    mu, extra, inv_s = None, False, 0.0
    if a.fit_intercept:
        s = w.sum() + delta
        if s <= 0:
            raise SingularHessianError("The intercept has no curvature (weights 0).")
        mu = np.asarray(X.T @ w).ravel() / s
        extra, inv_s = delta > 0, 1.0 / s
        if extra:  # the intercept's damping acts as a pseudo-row mu of weight delta
            w = np.append(w, delta)
    N = n + int(extra)
    sw = np.sqrt(w)
    M = np.empty((N, N), order="F")
    diagK = np.empty(N)
    for cols in _row_blocks(N, N):
        c = np.arange(N)[cols]
        Kc = _kernel_columns(X, c, mu, extra)
        diagK[c] = Kc[c, np.arange(len(c))]
        M[:, c] = Kc * sw[:, None] * sw[c]
    M[np.diag_indices(N)] += lam
    L, info = lapack.dpotrf(M, lower=1, overwrite_a=1, clean=1)
    if info != 0:
        raise SingularHessianError(
            f"method='dual': the n x n form is not positive definite (dpotrf {info})."
        )
    Linv, info = lapack.dtrtri(L, lower=1, overwrite_c=1)
    if info != 0:
        raise SingularHessianError(f"method='dual': singular factor ({info}).")
    m_diag = np.concatenate([np.einsum("ij,ij->j", Linv[:, c], Linv[:, c])
                             for c in _row_blocks(N, N)])
    with np.errstate(divide="ignore", invalid="ignore"):
        h = 1.0 - lam * m_diag[:n]
        q = h / w[:n]  # formula (A)
    use_b = np.flatnonzero(h < _FORMULA_B_BELOW)
    for block in _row_blocks(use_b.size, 3 * N):
        cols = use_b[block]
        b = _kernel_columns(X, cols, mu, extra) * sw[:, None]
        t = Linv @ b
        q[cols] = (diagK[cols] - np.einsum("ij,ij->j", t, t)) / lam  # formula (B)
    return q + inv_s


def _own_row_jacobi(operator, k=0):
    """The deterministic estimate ``a_j`` of ``x~_j^T H_k^{-1} x~_j`` (see the module
    docstring) for every row: one pass over X, sparse X kept sparse."""
    a, X = operator.adapter, operator.X
    w, _, _ = _output_problem(operator, k)
    d = a.n_dof
    P = operator.diagonal()[k * d:(k + 1) * d]
    n = X.shape[0]
    q_minus = np.zeros(n)
    with np.errstate(divide="ignore"):
        if sparse.issparse(X):
            X = X.tocsr()
            rows = np.repeat(np.arange(n), np.diff(X.indptr))
            x2 = X.data**2
            terms = x2 / np.maximum(P[X.indices] - w[rows] * x2, 0.0)
            q_minus += np.bincount(rows, terms, minlength=n)
        else:
            for rows in _row_blocks(n, X.shape[1]):
                x2 = np.square(X[rows])
                terms = x2 / np.maximum(P[:X.shape[1]] - w[rows, None] * x2, 0.0)
                q_minus[rows] = np.where(x2 > 0, terms, 0.0).sum(axis=1)
        if a.fit_intercept:
            q_minus += 1.0 / np.maximum(P[-1] - w, 0.0)
        return 1.0 / (1.0 / q_minus + w)


def _randomized(operator, solver, k, n_cal, rng):
    a, n = operator.adapter, operator.X.shape[0]
    w, _, _ = _output_problem(operator, k)
    est = _own_row_jacobi(operator, k)
    sample = np.sort(rng.choice(n, min(n, n_cal), replace=False))
    B = _jacobian_columns(operator, sample).reshape(a.n_params, len(sample), -1)
    B = np.ascontiguousarray(B[:, :, k])
    exact = solver.quad_form(B)
    F = np.column_stack([np.ones(n), est, w * est**2])
    Fs = F[sample]
    coef, *_ = np.linalg.lstsq(Fs, exact, rcond=None)
    # leave-one-out residuals of least squares: e_i / (1 - hat_ii)
    Q, _ = np.linalg.qr(Fs)
    loo = (exact - Fs @ coef) / np.maximum(1.0 - np.einsum("ij,ij->i", Q, Q), 1e-12)
    m, safe = len(sample), np.where(exact > 0, exact, np.inf)
    rms = float(np.sqrt(np.mean((loo / safe) ** 2)))
    error = dict(
        n_rows=m, rms=rms, max=float(np.abs(loo / safe).max()),
        rms_upper=float(rms * np.sqrt(m / chi2.ppf(0.05, m))),  # chi-square bound
        pearson=float(np.corrcoef(exact - loo, exact)[0, 1]),
        uncalibrated_rms=float(np.sqrt(np.mean(((est[sample] - exact) / safe) ** 2))),
    )
    q = F @ coef
    q[sample] = exact
    return q, error


def _report(error, rtol, verbose, warn=True):
    text = (f"randomized leverages: relative error on {error['n_rows']} rows solved "
            f"exactly (leave-one-out) rms {error['rms']:.2%} (95% upper bound "
            f"{error['rms_upper']:.2%}), max {error['max']:.2%}, Pearson "
            f"{error['pearson']:.4f}; before calibration rms "
            f"{error['uncalibrated_rms']:.2%}")
    if verbose:
        print(f"[row_leverages] {text}")
    if warn and error["rms_upper"] > rtol:
        warnings.warn(
            f"{text}: above rtol={rtol:g}. Use an exact method ('primal', 'dual' or "
            "'solves') or raise max_memory.", InfluenceWarning, stacklevel=3,
        )
