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
``||[x_i, 1]|| ||delta_k||`` (Cauchy-Schwarz); they are then checked exactly.
The removed rows themselves never count.
"""

import warnings

import numpy as np
from scipy import sparse

from ..exceptions import InfluenceWarning
from .removed_units import unit_vectors

__all__ = ["KinkSides", "follow_kinks", "has_kinks"]

#: Rounds of "solve, then look for rows that newly cross".
MAX_ROUNDS = 20
#: Newton steps on the pieces of one round's ``|U|``-equation system.
MAX_PIECE_STEPS = 50
#: float64 values per array in one chunk of removals (32 MiB).
BLOCK_ENTRIES = 2**22


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
        _, self.gradient, self.curvature = loss.loss_terms(self.Z, Y, gradient=True,
                                                           curvature=True)
        self.coordinate = loss.kink_coordinate(self.Z, Y)
        self.slope = loss.kink_coordinate(self.Z + 1.0, Y) - self.coordinate
        self.region = self.regions(self.coordinate)
        self.distance = np.abs(self.coordinate[..., None] - self.kinks).min(axis=-1)
        sq = (np.asarray(X.multiply(X).sum(axis=1)).ravel() if sparse.issparse(X)
              else np.einsum("ij,ij->i", X, X))
        self.norm = np.sqrt(sq + a.fit_intercept)
        # a unit can cross only if ||delta_k|| >= distance / norm (Cauchy-Schwarz)
        ratio = self.distance / np.maximum(self.norm, np.finfo(float).tiny)[:, None]
        self.ratio_order = [np.argsort(ratio[:, k]) for k in range(ratio.shape[1])]
        self.ratio_sorted = [ratio[o, k] for k, o in enumerate(self.ratio_order)]

    def regions(self, coordinate):
        """The piece each coordinate lies on (as :attr:`region`).

        Parameters
        ----------
        coordinate : ndarray
            Values of :meth:`~skinfluence.models.LinearLoss.kink_coordinate`.

        Returns
        -------
        ndarray of int, the shape of ``coordinate``
        """
        return np.searchsorted(self.kinks, coordinate, side="right")


def follow_kinks(objective, shifts, removals):
    """Newton's removal shifts continued across the kinks rows cross: exact optima.

    Parameters
    ----------
    objective : FittedObjective
        Its loss has kinks (:func:`has_kinks`).
    shifts : ndarray of shape (n_removals, n_params)
        One Newton step per removal (``delta_1``).
    removals : RowRemovals or PopulationRemoval
        (:mod:`skinfluence.influence.removed_units`)
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
    n, K = sides.Z.shape
    first = np.array(shifts, dtype=np.float64)
    out = first.copy()
    keys = np.empty(0, dtype=np.int64)  # units as (removal * n + row) * K + output
    pending = np.arange(len(first))
    for _ in range(MAX_ROUNDS):
        found = _crossing_units(objective, sides, out[pending], pending, removals)
        merged = np.union1d(keys, (found[:, 0] * n + found[:, 1]) * K + found[:, 2])
        if len(merged) == len(keys):
            return out
        pending = np.flatnonzero(np.bincount(merged // (n * K), minlength=len(first))
                                 > np.bincount(keys // (n * K), minlength=len(first)))
        keys = merged
        mine = keys[np.isin(keys // (n * K), pending)]
        units = np.column_stack([mine // (n * K), mine // K % n, mine % K])
        out[pending] = _solve_pieces(objective, sides, first, units, pending, removals)
    warnings.warn(f"method='newton': after {MAX_ROUNDS} rounds, {len(pending)} "
                  "removals still moved other rows across a kink; their shifts are "
                  "the last round's.", InfluenceWarning, stacklevel=2)
    return out


def _crossing_units(objective, sides, delta, removals_idx, removals):
    """Units whose side changes at ``theta + delta_j``: (m, 3) of (removal, row, k).

    Removals in chunks of similar reach ``||delta_k||``, each checked against the
    rows within that reach of a kink (at most ``BLOCK_ENTRIES`` products at once).
    """
    a = objective.adapter
    K, d = a.n_outputs, a.n_dof
    delta = delta.reshape(len(delta), K, d)
    found = [np.empty((0, 3), dtype=np.intp)]
    for k in range(K):
        reach = np.linalg.norm(delta[:, k], axis=1)
        by_reach = np.argsort(-reach)
        start = 0
        while start < len(by_reach):
            n_cand = np.searchsorted(sides.ratio_sorted[k], reach[by_reach[start]],
                                     side="right")
            chunk = by_reach[start: start + max(1, BLOCK_ENTRIES // max(n_cand, 1))]
            start += len(chunk)
            if not n_cand:
                continue
            cand = sides.ratio_order[k][:n_cand]
            dz = a.augmented_rows(objective.X[cand]) @ delta[chunk, k].T
            moved = sides.coordinate[cand, k, None] + sides.slope[cand, k, None] * dz
            crossed = sides.regions(moved) != sides.region[cand, k, None]
            crossed &= ~removals.excluded(cand, removals_idx[chunk])
            i, j = np.nonzero(crossed)
            found.append(np.column_stack([removals_idx[chunk][j], cand[i],
                                          np.full(len(i), k)]))
    return np.vstack(found)


def _solve_pieces(objective, sides, first, units, pending, removals):
    """The exact shifts of the removals in ``pending`` given their crossing units,
    in chunks of removals of at most ``BLOCK_ENTRIES`` values per array."""
    slot = np.searchsorted(pending, units[:, 0])  # pending is sorted
    counts = np.bincount(slot, minlength=len(pending))
    width = counts.max() * objective.adapter.n_params
    out = np.empty((len(pending), objective.adapter.n_params))
    for lo in range(0, len(pending), max(1, BLOCK_ENTRIES // width)):
        hi = lo + max(1, BLOCK_ENTRIES // width)
        mine = (slot >= lo) & (slot < hi)
        out[lo:hi] = _solve_chunk(objective, sides, first, units[mine],
                                  slot[mine] - lo, pending[lo:hi], removals)
    return out


def _solve_chunk(objective, sides, first, units, slot, pending, removals):
    a = objective.adapter
    b = len(pending)
    counts = np.bincount(slot, minlength=b)  # units come sorted by removal
    u = counts.max()
    pos = np.arange(len(units)) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.zeros((b, u), dtype=np.intp)
    outs = np.zeros((b, u), dtype=np.intp)
    valid = np.zeros((b, u), dtype=bool)
    rows[slot, pos], outs[slot, pos], valid[slot, pos] = units[:, 1], units[:, 2], True
    J = np.zeros((b, u, a.n_params))
    J[slot, pos] = unit_vectors(a, objective.X, units[:, 1], units[:, 2])
    V = np.zeros((b, u, a.n_params))
    V[slot, pos] = removals.solve_units(units[:, 0], units[:, 1], units[:, 2])
    dz_first = np.einsum("jup,jp->ju", J, first[pending])
    G = J @ V.transpose(0, 2, 1)  # J_U H_-j^-1 J_U^T
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
        try:
            dz = dz - np.linalg.solve(jac, F[..., None])[..., 0]
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                "method='newton': without one of the rows, the rows that cross a "
                "kink leave the Hessian singular on their new side. Use "
                "method='first_order' or damping > 0.") from None
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
    _, g, D = a.loss_function.loss_terms(Z, objective.Y[flat_rows], gradient=True,
                                         curvature=True)
    return g[m, flat_outs].reshape(rows.shape), D[m, flat_outs].reshape(rows.shape)
