"""What removing rows does to ``H^{-1}``, applied to single (row, output) units.

``H_{-j}^{-1} J_u^T`` for a removed row ``j`` (:class:`RowRemovals`, by the
Woodbury identity from ``H^{-1}``, or from ``(H - c_j Pi)^{-1}`` for a mean-form
objective) or a removed population (:class:`PopulationRemoval`, from a solver
fitted on ``H - H_S``), with ``J_u = e_k (x) [x_i, 1]`` the unit of row ``i``'s
output ``k``: what :func:`~skinfluence.influence.follow_kinks` needs for the rows
that cross a kink.
"""

import numpy as np

from ..models import PenaltyShareNewton

__all__ = ["PopulationRemoval", "RowRemovals", "inverse_apply", "unit_vectors"]


def inverse_apply(objective, inverse, V):
    """``H^{-1} v`` for the rows ``v`` of V.

    Parameters
    ----------
    objective : FittedObjective
    inverse : ndarray, PenaltyShareNewton or None
        As for :func:`~skinfluence.influence.newton_shifts` (``None``: the solver).
    V : ndarray of shape (n_vectors, n_params)

    Returns
    -------
    ndarray of shape (n_vectors, n_params)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklearn.svm import LinearSVC
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> ex = InfluenceExplainer(LinearSVC(C=0.1, tol=1e-8)).fit(scale(X), y)
    >>> obj = FittedObjective(ex.adapter_, ex.design_, ex.Y_, ex.weights_, ex.solver_,
    ...                       ex.operator_)
    >>> V = unit_vectors(obj.adapter, obj.X, np.array([0]), np.array([0]))
    >>> bool(np.allclose(inverse_apply(obj, None, V) @ ex.operator_.dense(), V))
    True
    """
    if isinstance(inverse, PenaltyShareNewton):
        return (V @ inverse.basis) @ inverse.basis.T
    if inverse is not None:
        return V @ inverse
    return objective.solver.solve(V.T).T


def unit_vectors(adapter, X, rows, outputs):
    """``J_u = e_k (x) [x_i, 1]`` for the units ``u = (rows[m], outputs[m])``.

    Parameters
    ----------
    adapter : LinearModelAdapter
    X : {ndarray, sparse matrix} of shape (n_train, n_features)
    rows, outputs : ndarray of int, shape (m,)

    Returns
    -------
    ndarray of shape (m, n_params), augmented layout

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.models import make_adapter
    >>> X, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0])
    >>> a = make_adapter(Ridge().fit(X, y), y, None)
    >>> unit_vectors(a, X, np.array([1]), np.array([0])).tolist()
    [[3.0, 4.0, 1.0]]
    """
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

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklearn.svm import LinearSVC
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> ex = InfluenceExplainer(LinearSVC(C=0.1, tol=1e-8)).fit(scale(X), y)
    >>> obj = FittedObjective(ex.adapter_, ex.design_, ex.Y_, ex.weights_, ex.solver_,
    ...                       ex.operator_)
    >>> rem = RowRemovals(obj, np.array([3]), None)
    >>> v = rem.solve_units(np.array([0]), np.array([3]), np.array([0]))
    >>> H_3 = ex.operator_.without_rows(np.array([3])).dense()
    >>> bool(np.allclose(v @ H_3, unit_vectors(obj.adapter, obj.X, [3], [0])))
    True
    """

    def __init__(self, objective, rows, inverse):
        self.objective, self.inverse, self.rows = objective, inverse, rows

    def _woodbury(self, removals):
        """``T_j = A_j J_j^T``, ``c_j D_j`` and ``I - c_j D_j J_j T_j`` of the given
        removals only (most removals move no other row across a kink)."""
        obj = self.objective
        K, b = obj.adapter.n_outputs, len(removals)
        rows = self.rows[removals]
        units = unit_vectors(obj.adapter, obj.X, np.repeat(rows, K),
                             np.tile(np.arange(K), b))
        T = self.apply(units, np.repeat(removals, K)).reshape(b, K, -1)
        M = np.einsum("jkp,jlp->jkl", T, units.reshape(b, K, -1))
        cD = obj.removed_curvature(rows)
        return T, cD, np.eye(K) - np.einsum("jkl,jlm->jkm", cD, M)

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
        """Whether each candidate row is removal ``j``'s own row.

        Parameters
        ----------
        candidates : ndarray of int, shape (n_candidates,)
        removals : ndarray of int, shape (n_removals,)

        Returns
        -------
        ndarray of bool, shape (n_candidates, n_removals)
        """
        return candidates[:, None] == self.rows[removals][None, :]

    def solve_units(self, removals, rows, outputs):
        """``H_{-j}^{-1} J_u^T`` for the units ``u = (rows[m], outputs[m])``.

        Parameters
        ----------
        removals : ndarray of int, shape (m,)
            Which removal ``j`` each unit belongs to.
        rows, outputs : ndarray of int, shape (m,)

        Returns
        -------
        ndarray of shape (m, n_params)
        """
        obj = self.objective
        J = unit_vectors(obj.adapter, obj.X, rows, outputs)
        HJ = self.apply(J, removals)
        needed, which = np.unique(removals, return_inverse=True)
        T, cD, system = (part[which] for part in self._woodbury(needed))  # (m, ...)
        proj = np.einsum("mkp,mp->mk", T, J)  # J_j H^-1 J_u^T
        w = np.linalg.solve(system, np.einsum("mkl,ml->mk", cD, proj)[..., None])
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

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklearn.svm import LinearSVC
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.influence import FittedObjective
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> ex = InfluenceExplainer(LinearSVC(C=0.1, tol=1e-8)).fit(scale(X), y)
    >>> obj = FittedObjective(ex.adapter_, ex.design_, ex.Y_, ex.weights_, ex.solver_,
    ...                       ex.operator_)
    >>> from skinfluence.solvers import CholeskySolver
    >>> S = np.arange(5)
    >>> H_S = ex.operator_.without_rows(S)
    >>> rem = PopulationRemoval(obj, S, CholeskySolver().fit(H_S))
    >>> v = rem.solve_units(np.array([0]), np.array([9]), np.array([0]))
    >>> bool(np.allclose(v @ H_S.dense(), unit_vectors(obj.adapter, obj.X, [9], [0])))
    True
    """

    def __init__(self, objective, rows, solver):
        self.objective, self.members, self.solver = objective, rows, solver

    def excluded(self, candidates, removals):
        """Whether each candidate row is a member of the population.

        Parameters
        ----------
        candidates : ndarray of int, shape (n_candidates,)
        removals : ndarray of int
            Unused (one removal).

        Returns
        -------
        ndarray of bool, shape (n_candidates, 1)
        """
        return np.isin(candidates, self.members)[:, None]

    def solve_units(self, removals, rows, outputs):
        """``H_{-S}^{-1} J_u^T`` for the units ``u = (rows[m], outputs[m])``.

        Parameters
        ----------
        removals : ndarray of int, shape (m,)
            Unused (one removal).
        rows, outputs : ndarray of int, shape (m,)

        Returns
        -------
        ndarray of shape (m, n_params)
        """
        obj = self.objective
        return self.solver.solve(unit_vectors(obj.adapter, obj.X, rows, outputs).T).T
