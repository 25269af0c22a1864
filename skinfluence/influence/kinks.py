r"""Newton removal shifts that follow the rows crossing a loss's kinks.

SGD's ``modified_huber``, ``squared_hinge``, ``huber`` and
``squared_epsilon_insensitive`` losses (and LinearSVC's / LinearSVR's) are
quadratic between kinks, where their curvature jumps (from 2 to 0 at margin 1
for the squared hinge). Newton's step ``delta_1 = (H - H_j)^{-1} g_j`` is the
exact minimiser of the objective without row ``j`` as long as no other row
changes side of a kink. When some do, the step is continued in the span of the
crossing *units* ``u = (row i, output k)``, ``J_u = e_k (x) [x_i, 1]``::

    delta = delta_1 + H_{-j}^{-1} J_U^T beta

The gradient of the objective without row ``j`` at ``theta + delta`` is then
exactly (the penalty is quadratic, each loss quadratic on either side)::

    H_{-j} delta - g_j + sum_u c_u e_u(dz_u) J_u^T = J_U^T (beta + c_U e_U)
    e_u(dz) = l'_u(z_u + dz) - l'_u(z_u) - l''_u(z_u) dz

so ``delta`` is the exact optimum when ``beta = -c_U e_U(dz_U)`` with
``dz_U = J_U delta_1 + G beta``, ``G = J_U H_{-j}^{-1} J_U^T``: ``|U|``
piecewise-linear equations, solved by Newton's method on their pieces (finitely
many). Rows that then change side join ``U`` and the system is solved again,
until no other row crosses. Populations alike, with ``H_{-S}``.

Conventions: ``H_{-j}^{-1}`` comes from ``H^{-1}`` by the Woodbury identity, and
for a mean-form objective (SGD) from ``(H - c_j Pi)^{-1}``, which
:class:`~skinfluence.models.PenaltyShareNewton` gives for every row (beyond its
size limit the share's curvature is left out, as in ``delta_1``). Units that
may cross are those whose distance to their nearest kink is within
``||[x_i, 1]|| ||delta_k||`` (Cauchy-Schwarz); they are then checked exactly. The removed rows themselves never count.
"""

import numpy as np
from scipy import sparse

from ..models import PenaltyShareNewton

__all__ = ["KinkSides", "PopulationRemoval", "RowRemovals", "follow_kinks", "has_kinks",
           "inverse_apply", "unit_vectors"]

#: Rounds of "solve, then look for rows that newly cross".
MAX_ROUNDS = 20
#: Newton steps on the pieces of one round's ``|U|``-equation system.
MAX_PIECE_STEPS = 50


def has_kinks(adapter):
    """Whether the adapter's loss is piecewise quadratic (Newton follows kinks).

    Parameters
    ----------
    adapter : LinearModelAdapter

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklearn.svm import LinearSVC
    >>> from skinfluence import InfluenceExplainer
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> ex = InfluenceExplainer(LinearSVC(C=0.1, tol=1e-8)).fit(scale(X), y)
    >>> has_kinks(ex.adapter_)  # the squared hinge
    True
    """
    return bool(adapter.loss_function.kinks)


class KinkSides:
    """Each training unit's side of its loss's kinks at the fitted parameters.

    Parameters
    ----------
    objective : FittedObjective
        Its loss has kinks (:func:`has_kinks`).

    Attributes
    ----------
    region : ndarray of int, shape (n_train, K)
        How many kinks lie at or below the unit's coordinate.
    distance : ndarray of shape (n_train, K)
        ``|z|``-distance to the nearest kink.
    norm : ndarray of shape (n_train,)
        ``||[x_i, 1]||``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklearn.svm import LinearSVC
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> ex = InfluenceExplainer(LinearSVC(C=0.1, tol=1e-8)).fit(scale(X), y)
    >>> obj = FittedObjective(ex.adapter_, ex.design_, ex.Y_, ex.weights_, ex.solver_)
    >>> sides = KinkSides(obj)  # region 0: inside the margin (curvature 2)
    >>> sides.region.shape, int((sides.region == 0).sum()) > 0
    ((569, 1), True)
    """

    def __init__(self, objective):
        a, X, Y = objective.adapter, objective.X, objective.Y
        loss = a.loss_function
        self.kinks = np.asarray(loss.kinks, dtype=np.float64)
        self.Z = a.decision(X)
        self.gradient = a.loss_gradient(self.Z, Y)[1]
        self.curvature = a.curvature(self.Z, Y)
        self.coordinate = loss.kink_coordinate(self.Z, Y)
        self.slope = loss.kink_coordinate(self.Z + 1.0, Y) - self.coordinate
        self.region = self.regions(self.coordinate)
        self.distance = np.abs(self.coordinate[..., None] - self.kinks).min(axis=-1)
        sq = (np.asarray(X.multiply(X).sum(axis=1)).ravel() if sparse.issparse(X)
              else np.einsum("ij,ij->i", X, X))
        self.norm = np.sqrt(sq + a.fit_intercept)

    def regions(self, coordinate):
        """The piece each coordinate lies on (as :attr:`region`)."""
        return np.searchsorted(self.kinks, coordinate, side="right")


def inverse_apply(objective, inverse, V):
    """``H^{-1} v`` for the rows ``v`` of V (n_vectors, n_params)."""
    if isinstance(inverse, PenaltyShareNewton):
        return (V @ inverse.basis) @ inverse.basis.T
    if inverse is not None:
        return V @ inverse
    return objective.solver.solve(V.T).T


def unit_vectors(adapter, X, rows, outputs):
    """``J_u = e_k (x) [x_i, 1]`` for units (rows[m], outputs[m]): (m, n_params)."""
    K, d = adapter.n_outputs, adapter.n_dof
    V = np.zeros((len(rows), K, d))
    V[np.arange(len(rows)), outputs] = adapter.augmented_rows(X[rows])
    return V.reshape(len(rows), K * d)


class RowRemovals:
    """``H_{-j}^{-1} J_u^T`` for single removed rows ``j``, by Woodbury from ``H^{-1}``.

    Parameters
    ----------
    objective : FittedObjective
    rows : ndarray of int
        The removed rows, one per removal.
    inverse : ndarray, PenaltyShareNewton or None
        As for :func:`~skinfluence.influence.newton_shifts`.
    """

    def __init__(self, objective, rows, inverse):
        a = objective.adapter
        K, b = a.n_outputs, len(rows)
        self.objective, self.inverse, self.rows = objective, inverse, rows
        units = unit_vectors(a, objective.X, np.repeat(rows, K),
                             np.tile(np.arange(K), b))
        self.T = self.apply(units, np.repeat(np.arange(b), K)).reshape(b, K, -1)
        M = np.einsum("jkp,jlp->jkl", self.T, units.reshape(b, K, -1))
        self.cD = objective.removed_curvature(rows)
        self.system = np.eye(K) - np.einsum("jkl,jlm->jkm", self.cD, M)

    def apply(self, V, removals):
        """``A_j v`` for each row ``v`` of V and its removal ``j``: ``H^{-1}``, or
        ``(H - c_j Pi)^{-1}`` for a mean-form objective's exact steps."""
        inv = self.inverse
        if not isinstance(inv, PenaltyShareNewton):
            return inverse_apply(self.objective, inv, V)
        c = self.objective.weights[self.rows[removals]]
        lam = 1.0 / (1.0 - c[:, None] * inv.sigma)
        return (lam * (V @ inv.basis)) @ inv.basis.T

    def excluded(self, candidates, removals):
        """(n_candidates, n_removals): the removal's own row."""
        return candidates[:, None] == self.rows[removals][None, :]

    def solve_units(self, removals, rows, outputs):
        """``H_{-j}^{-1} J_u^T`` for units ``u`` of removal ``j``: (m, n_params)."""
        obj = self.objective
        J = unit_vectors(obj.adapter, obj.X, rows, outputs)
        HJ = self.apply(J, removals)
        T = self.T[removals]  # (m, K, P)
        proj = np.einsum("mkp,mp->mk", T, J)  # J_j H^-1 J_u^T
        w = np.linalg.solve(self.system[removals],
                            np.einsum("mkl,ml->mk", self.cD[removals], proj)[..., None])
        return HJ + np.einsum("mkp,mk->mp", T, w[..., 0])


class PopulationRemoval:
    """``H_{-S}^{-1} J_u^T`` for one removed population, from its fitted solver.

    Parameters
    ----------
    objective : FittedObjective
    rows : ndarray of int
        The population.
    solver : HessianSolver
        Fitted on ``H - H_S``.
    """

    def __init__(self, objective, rows, solver):
        self.objective, self.members, self.solver = objective, rows, solver

    def excluded(self, candidates, removals):
        """(n_candidates, 1): members of the population."""
        return np.isin(candidates, self.members)[:, None]

    def solve_units(self, removals, rows, outputs):
        """``H_{-S}^{-1} J_u^T``: (m, n_params)."""
        obj = self.objective
        return self.solver.solve(unit_vectors(obj.adapter, obj.X, rows, outputs).T).T


def follow_kinks(objective, shifts, removals):
    """Newton's removal shifts continued across the kinks rows cross: exact optima.

    Parameters
    ----------
    objective : FittedObjective
        Its loss has kinks (:func:`has_kinks`).
    shifts : ndarray of shape (n_removals, n_params)
        One Newton step per removal (``delta_1``).
    removals : RowRemovals or PopulationRemoval
        What is removed, and ``H_{-j}^{-1}`` on units.

    Returns
    -------
    ndarray of shape (n_removals, n_params)
        The shifts to the optimum without each removal (``delta_1`` where no
        other row changes side).

    Examples
    --------
    >>> from sklearn.base import clone
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklearn.svm import LinearSVC
    >>> from skinfluence import InfluenceExplainer
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = scale(X)
    >>> est = LinearSVC(C=0.1, tol=1e-10, max_iter=100_000).fit(X, y)
    >>> ex = InfluenceExplainer(est, method="newton").fit(X, y)
    >>> shift = -ex.params_influence()[0]  # newton's shifts follow the kinks
    >>> refit = clone(est).fit(X[1:], y[1:])
    >>> bool(np.allclose(shift[:-1], refit.coef_[0] - est.coef_[0], atol=1e-6))
    True
    """
    sides = KinkSides(objective)
    first = np.array(shifts, dtype=np.float64)
    out = first.copy()
    units = np.empty((0, 3), dtype=np.intp)  # (removal, row, output)
    pending = np.arange(len(first))
    for _ in range(MAX_ROUNDS):
        found = _crossing_units(objective, sides, out[pending], pending, removals)
        merged = np.unique(np.vstack([units, found]), axis=0)
        if len(merged) == len(units):
            break
        units, pending = merged, _gained(units, merged)
        mine = np.isin(units[:, 0], pending)
        out[pending] = _solve_pieces(objective, sides, first, units[mine], pending,
                                     removals)
    return out


def _gained(old, new):
    """Removals whose unit set grew."""
    count_old = np.bincount(old[:, 0], minlength=new[:, 0].max() + 1)
    count_new = np.bincount(new[:, 0], minlength=new[:, 0].max() + 1)
    return np.flatnonzero(count_new > count_old[: len(count_new)])


def _crossing_units(objective, sides, delta, removals_idx, removals):
    """Units whose side changes at ``theta + delta_j``: (m, 3) of (removal, row, k)."""
    a = objective.adapter
    K, d = a.n_outputs, a.n_dof
    delta = delta.reshape(len(delta), K, d)
    found = [np.empty((0, 3), dtype=np.intp)]
    for k in range(K):
        reach = np.linalg.norm(delta[:, k], axis=1).max(initial=0.0)
        cand = np.flatnonzero(sides.distance[:, k] <= sides.norm * reach)
        if not cand.size:
            continue
        dz = a.augmented_rows(objective.X[cand]) @ delta[:, k].T  # (n_cand, n_rem)
        moved = sides.coordinate[cand, k, None] + sides.slope[cand, k, None] * dz
        crossed = sides.regions(moved) != sides.region[cand, k, None]
        crossed &= ~removals.excluded(cand, removals_idx)
        i, j = np.nonzero(crossed)
        found.append(np.column_stack([removals_idx[j], cand[i], np.full(len(i), k)]))
    return np.vstack(found)


def _solve_pieces(objective, sides, first, units, pending, removals):
    """The exact shifts of the removals in ``pending`` given their crossing units."""
    a = objective.adapter
    K, d = a.n_outputs, a.n_dof
    b = len(pending)
    slot = np.searchsorted(pending, units[:, 0])  # pending is sorted
    counts = np.bincount(slot, minlength=b)
    u = counts.max()
    pos = np.arange(len(units)) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.zeros((b, u), dtype=np.intp)
    outs = np.zeros((b, u), dtype=np.intp)
    valid = np.zeros((b, u), dtype=bool)
    rows[slot, pos], outs[slot, pos], valid[slot, pos] = units[:, 1], units[:, 2], True
    V = np.zeros((b, u, K * d))
    V[slot, pos] = removals.solve_units(units[:, 0], units[:, 1], units[:, 2])
    Xu = a.augmented_rows(objective.X[rows.ravel()]).reshape(b, u, d) * valid[..., None]
    first_k = first[pending].reshape(b, K, d)[np.arange(b)[:, None], outs]
    dz_first = np.einsum("jud,jud->ju", Xu, first_k)
    Vk = V.reshape(b, u, K, d)[np.arange(b)[:, None, None], np.arange(u)[None, None, :],
                               outs[:, :, None]]  # [j, u, v] -> block k_u of V_v
    G = np.einsum("jud,juvd->juv", Xu, Vk)
    c = objective.weights[rows] * valid
    g0, D0 = sides.gradient[rows, outs], sides.curvature[rows, outs]
    dz = dz_first.copy()
    scale = 1e-12 * (1.0 + np.abs(dz_first).max())
    for _ in range(MAX_PIECE_STEPS):
        g, D = _unit_terms(objective, sides, rows, outs, dz)
        e, de = g - g0 - D0 * dz, D - D0
        F = dz - dz_first + np.einsum("juv,jv->ju", G, c * e)
        if np.abs(F).max() <= scale:
            break
        jac = np.eye(u) + G * (c * de)[:, None, :]
        dz = dz - np.linalg.solve(jac, F[..., None])[..., 0]
    g, _ = _unit_terms(objective, sides, rows, outs, dz)
    beta = -c * (g - g0 - D0 * dz)
    return first[pending] + np.einsum("ju,jup->jp", beta, V)


def _unit_terms(objective, sides, rows, outs, dz):
    """``l'`` and ``l''`` of each unit with its output moved by ``dz`` (unweighted)."""
    a = objective.adapter
    flat_rows, flat_outs = rows.ravel(), outs.ravel()
    Z = sides.Z[flat_rows].copy()
    m = np.arange(len(flat_rows))
    Z[m, flat_outs] += dz.ravel()
    Y = objective.Y[flat_rows]
    g = a.loss_gradient(Z, Y)[1][m, flat_outs]
    D = a.curvature(Z, Y)[m, flat_outs]
    return g.reshape(rows.shape), D.reshape(rows.shape)
