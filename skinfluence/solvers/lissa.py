"""LiSSA: the stochastic inverse-Hessian estimator of Agarwal, Bullins & Hazan (2017)."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ..parallel import blas_limit
from ._base import HessianSolver, check_rank_bound

__all__ = ["LissaSolver"]


class LissaSolver(HessianSolver):
    r"""Approximate ``H^{-1} B`` by a stochastic truncated Neumann series.

    **Approximate**: results are random and biased by truncation; use
    ``"cholesky"`` or ``"cg"`` when exact numbers matter. It is provided because
    the paper and Koh & Liang use it for models where only stochastic
    Hessian-vector products are affordable.

    The recursion (Agarwal et al. 2017, Koh & Liang 2017), on the
    Jacobi-equilibrated Hessian ``A = S (H + damping I) S``, ``S = diag(H)^{-1/2}``
    (the scaling the cholesky solver also uses, so ``scale`` does not depend on
    the features' units)::

        v_0 = S b,   v_t = S b + (I - A_t / scale) v_{t-1},   x = S v_T / scale

    where ``A_t`` is the Hessian-vector product estimated from ``batch_size``
    training rows drawn at random (unbiased: the rows' curvature is scaled by
    ``n / batch_size``; the penalty is exact). ``x`` is averaged over the second
    half of the recursion (``tail_average``) and over ``n_repeats`` independent
    recursions. With ``batch_size = n_train`` this is
    the deterministic Neumann series and converges to the exact solution as
    ``(1 - lambda_min(A) / scale)^T``.

    A null space ``N`` of the Hessian (multinomial) is handled as the cholesky
    solver does: the recursion runs on ``H + s N N^T`` (``s`` the mean of
    ``diag(H)``) and the result is projected off ``N``, the pseudo-inverse
    solution. Every ``solve`` replays the same stream of sampled rows (seeded by
    ``random_state`` at ``fit``), so a right-hand side's result does not depend
    on the call, nor on the block or thread it is solved in.

    Parameters
    ----------
    scale : float, default=None
        Must exceed the largest eigenvalue of ``A`` for the series to converge
        (a scale at most its power-iteration estimate is refused);
        ``None``: 1.5 times that estimate.
    damping : float, default=0.0
        Added to the Hessian's diagonal (after equilibration) on top of the
        explainer's ``damping``; changes the answer.
    recursion_depth : int, default=200
    n_repeats : int, default=1
    batch_size : int, default=None
        Rows per stochastic Hessian-vector product; ``None``: ``min(n_train, 1000)``.
    tail_average : bool, default=True
        Average ``v_t`` over the second half of the recursion instead of taking
        ``v_T`` alone (Polyak-Ruppert averaging: the same expectation once the
        series has converged, a much smaller variance). ``False`` is the original
        estimator.
    random_state : int, RandomState instance or None, default=None
        ``None`` takes the explainer's ``random_state``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.solvers import LissaSolver
    >>> X, y = load_diabetes(return_X_y=True)
    >>> solver = LissaSolver(recursion_depth=500, random_state=0)
    >>> ex = InfluenceExplainer(Ridge(), solver=solver).fit(X, y)
    >>> ex.influence(X[:3], y[:3]).shape
    (3, 442)
    """

    def __init__(self, scale=None, damping=0.0, recursion_depth=200, n_repeats=1,
                 batch_size=None, tail_average=True, random_state=None):
        self.scale = scale
        self.damping = damping
        self.recursion_depth = recursion_depth
        self.n_repeats = n_repeats
        self.batch_size = batch_size
        self.tail_average = tail_average
        self.random_state = random_state

    def fit(self, operator):
        """Check the options, equilibrate, and estimate ``scale`` if it is None.

        Parameters
        ----------
        operator : HessianOperator
            The Hessian ``H`` (with its damping and null space).

        Returns
        -------
        self : LissaSolver
            Fitted.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import LissaSolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> solver = LissaSolver(random_state=0).fit(op)
        >>> S = np.diag(solver.s_)  # the equilibration diag(H)^(-1/2)
        >>> lam_max = np.linalg.eigvalsh(S @ op.dense() @ S)[-1]
        >>> bool(abs(solver.scale_ / lam_max - 1.5) < 0.01)  # 1.5 x power iteration
        True
        """
        for name in ("recursion_depth", "n_repeats"):
            v = getattr(self, name)
            if not (isinstance(v, numbers.Integral) and v >= 1):
                raise ValueError(f"{name} must be a positive integer, got {v!r}.")
        if not (isinstance(self.damping, numbers.Real) and self.damping >= 0):
            raise ValueError(f"damping must be >= 0, got {self.damping!r}.")
        if self.batch_size is not None and not (
            isinstance(self.batch_size, numbers.Integral) and self.batch_size >= 1
        ):
            raise ValueError("batch_size must be a positive integer or None, got "
                             f"{self.batch_size!r}.")
        if not isinstance(self.tail_average, (bool, np.bool_)):
            raise ValueError(f"tail_average must be a bool, got {self.tail_average!r}.")
        if self.scale is not None and not (
            isinstance(self.scale, numbers.Real) and self.scale > 0
        ):
            raise ValueError(f"scale must be > 0, got {self.scale!r}.")
        check_rank_bound(operator)
        self.operator_ = operator
        self.n_params = operator.n_params
        self.n_rows_ = operator.X.shape[0]
        self.batch_size_ = min(self.n_rows_, self.batch_size or 1000)  # None: 1000
        diag = operator.diagonal()
        N = operator.null_space
        # H + shift N N^T: positive definite, and its inverse is H^+ on the
        # complement of N (as in the cholesky solver); recursing on the projected
        # H instead lets the null-space part of S b grow without bound
        self.null_shift_ = 0.0 if N is None else float(np.mean(diag))
        if N is not None:
            diag = diag + self.null_shift_ * np.einsum("ij,ij->i", N, N)
        self.s_ = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
        rng = check_random_state(self.random_state)
        # every solve replays the same stream of sampled rows: a column's result
        # does not depend on the call, the block or the thread it is solved in
        self.seed_ = int(rng.randint(np.iinfo(np.int32).max))
        with blas_limit(operator.matvec_flops()):
            lam_max = self._largest_eigenvalue(rng)
        if self.scale is None:
            self.scale_ = 1.5 * lam_max
        elif self.scale <= lam_max:  # the series would diverge: no number is right
            raise ValueError(
                f"scale={self.scale!r} is at most the largest eigenvalue of the "
                f"equilibrated Hessian (about {lam_max:.4g}), so the LiSSA series "
                "diverges. Pass a larger scale, or scale=None (1.5 times the estimate)."
            )
        else:
            self.scale_ = float(self.scale)
        return self

    def _apply(self, V, rows=None):
        """``A V`` on the equilibrated Hessian; sampled over ``rows`` when given."""
        op, s, N = self.operator_, self.s_[:, None], self.operator_.null_space
        HV = op.matvec(s * V) if rows is None else op.sample_matvec(s * V, rows)
        if N is not None:
            HV += self.null_shift_ * (N @ (N.T @ (s * V)))
        return s * HV + self.damping * V

    def _largest_eigenvalue(self, rng, n_iter=30):
        v = rng.standard_normal((self.n_params, 1))
        lam = 1.0
        for _ in range(n_iter):
            v /= np.linalg.norm(v)
            w = self._apply(v)
            lam = float(v[:, 0] @ w[:, 0])
            v = w
        return lam

    def solve(self, B):
        """``H^{-1} B``, estimated by the stochastic recursion (see the class).

        Parameters
        ----------
        B : ndarray of shape (n_params,) or (n_params, m)
            Right-hand sides.

        Returns
        -------
        X : ndarray shaped like ``B``
            ``H^{-1} B``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import Ridge
        >>> from skinfluence import InfluenceExplainer
        >>> from skinfluence.solvers import CholeskySolver, LissaSolver
        >>> X, y = load_diabetes(return_X_y=True)
        >>> op = InfluenceExplainer(Ridge()).fit(X, y).operator_
        >>> B = np.eye(op.n_params)[:, :3]
        >>> full_batch = LissaSolver(recursion_depth=1000, batch_size=len(X))
        >>> solver = full_batch.fit(op)
        >>> np.allclose(solver.solve(B), CholeskySolver().fit(op).solve(B))
        True
        """
        B = np.asarray(B, dtype=np.float64)
        flops = self.operator_.matvec_flops(B.size // self.n_params)
        with blas_limit(flops * self.batch_size_ / self.n_rows_):
            return self._solve(B)

    def _solve(self, B):
        op, rng = self.operator_, np.random.RandomState(self.seed_)
        rhs = self.s_[:, None] * op.project(B.reshape(self.n_params, -1))
        total = np.zeros_like(rhs)
        T = self.recursion_depth
        start = T // 2 if self.tail_average else T - 1
        for _ in range(self.n_repeats):
            v = rhs.copy()
            for t in range(T):
                rows = rng.choice(self.n_rows_, self.batch_size_, replace=False) \
                    if self.batch_size_ < self.n_rows_ else None
                v = rhs + v - self._apply(v, rows) / self.scale_
                if t >= start:
                    total += v
        X = op.project(self.s_[:, None] * total) / (
            self.n_repeats * (T - start) * self.scale_)
        return X[:, 0] if B.ndim == 1 else X
