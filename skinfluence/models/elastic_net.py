"""Reader for Lasso, ElasticNet and their CV variants, on the active set."""

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import ElasticNet, Lasso, LassoCV

from .active_set import ActiveSetAdapter
from .adapter import SingleOutputRegressor
from .losses import SquaredLoss

__all__ = ["ElasticNetAdapter"]


class ElasticNetAdapter(SingleOutputRegressor, ActiveSetAdapter):
    r"""Reader for Lasso, ElasticNet, LassoCV and ElasticNetCV (one output).

    scikit-learn minimises the *mean form* (``s_i`` = sample_weight,
    ``S = sum_i s_i``, ``rho`` = ``l1_ratio``, 1 for Lasso)::

        1/(2 S) sum_i s_i (y_i - z_i)^2 + alpha rho ||w||_1
                                        + alpha (1 - rho)/2 ||w||^2

    Times ``2 S`` (same minimiser) it is the sum form of
    :class:`~skinfluence.models.ActiveSetAdapter` with the squared error of
    :class:`~skinfluence.models.SquaredLoss` (no factor 1/2),
    ``lambda_2 = 2 alpha (1 - rho) S`` and ``lambda_1 = 2 alpha rho S``: each
    unit of row weight carries ``penalty_share = 2 alpha (1 - rho)`` and
    ``l1_share = 2 alpha rho``, so removing row ``j`` removes
    ``s_j [(y_j - z_j)^2 + alpha (1 - rho) ||w||^2 + 2 alpha rho ||w||_1]``.
    On a fixed support this objective is quadratic, so ``method="newton"`` is
    exact leave-one-out there. The CV estimators are read at their chosen
    ``alpha_`` (and ``l1_ratio_``).

    Conventions: ``K = 1``; ``Y`` is a float array of shape ``(n, 1)``; ``loss``
    is the squared error; ``target="prediction"`` is ``predict()``.

    Parameters
    ----------
    estimator : Lasso, ElasticNet, LassoCV or ElasticNetCV, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    alpha, l1_ratio : float
        The penalty minimised with (``alpha_``, ``l1_ratio_`` for the CV variants).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import ElasticNet
    >>> from skinfluence.models import ElasticNetAdapter
    >>> X, y = load_diabetes(return_X_y=True)
    >>> a = ElasticNetAdapter(ElasticNet(alpha=0.01).fit(X, y), y, None)
    >>> float(a.penalty_share), float(a.l1_share), a.n_params  # one coefficient is 0
    (0.01, 0.01, 10)
    """

    def __init__(self, estimator, y, sample_weight):
        name = type(estimator).__name__
        if np.ndim(estimator.coef_) != 1:
            raise ValueError(
                f"{name} with several targets has one support per target; only a "
                "single target (1-D y) is supported."
            )
        if getattr(estimator, "positive", False):
            raise ValueError(
                f"{name}(positive=True) is a constrained fit: coefficients at the "
                "bound have no gradient condition, so influence does not apply."
            )
        alpha = getattr(estimator, "alpha_", None)
        self.alpha = float(estimator.alpha if alpha is None else alpha)
        rho = getattr(estimator, "l1_ratio_", getattr(estimator, "l1_ratio", 1.0))
        self.l1_ratio = float(np.ravel(rho)[0])
        total = float(len(y) if sample_weight is None else np.sum(sample_weight))
        l2 = 2.0 * self.alpha * (1.0 - self.l1_ratio)
        l1 = 2.0 * self.alpha * self.l1_ratio
        super().__init__(
            estimator, SquaredLoss(), estimator.coef_, estimator.intercept_,
            fit_intercept=estimator.fit_intercept, l2_strength=l2 * total,
            l1_strength=l1 * total, penalty_share=l2, l1_share=l1,
        )

    def refit_estimator(self):
        """An unfitted Lasso or ElasticNet minimising the same objective.

        Returns
        -------
        Lasso or ElasticNet
            A clone; for the CV variants, the plain estimator at ``alpha_``
            (and ``l1_ratio_``), no search.
        """
        est = self.estimator
        if isinstance(est, (Lasso, ElasticNet)):
            return clone(est)
        params = dict(alpha=self.alpha, fit_intercept=est.fit_intercept,
                      max_iter=est.max_iter, tol=est.tol, selection=est.selection,
                      random_state=est.random_state)
        if not isinstance(est.precompute, str):  # the CV variants' 'auto'
            params["precompute"] = est.precompute
        if isinstance(est, LassoCV):
            return Lasso(**params)
        return ElasticNet(l1_ratio=self.l1_ratio, **params)
