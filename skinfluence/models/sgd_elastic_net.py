"""Reader for SGDClassifier and SGDRegressor with an L1 part, on the active set, and
the choice between it and the L2 reader."""

import copy
import warnings

import numpy as np

from ..exceptions import InfluenceWarning
from .active_set import ActiveSetAdapter
from .support_change import warn_if_support_changes
from .sgd import SGDAdapter, check_sgd_model, sgd_l1_ratio

__all__ = ["SGDElasticNetAdapter", "read_sgd"]


def read_sgd(estimator, y, sample_weight):
    """The reader of a fitted SGD model: L2/none, or an L1 part on the active set.

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    SGDAdapter or SGDElasticNetAdapter

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import SGDRegressor
    >>> from sklearn.preprocessing import scale
    >>> from skinfluence.models import read_sgd
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X, y = scale(X), scale(y)
    >>> est = SGDRegressor(penalty="l1", alpha=0.03, random_state=0).fit(X, y)
    >>> type(read_sgd(est, y, None)).__name__
    'SGDElasticNetAdapter'
    """
    reader = SGDElasticNetAdapter if sgd_l1_ratio(estimator) > 0 else SGDAdapter
    return reader(estimator, y, sample_weight)


class SGDElasticNetAdapter(ActiveSetAdapter, SGDAdapter):
    r"""Reader for SGDClassifier and SGDRegressor with an L1 part, on its active set.

    SGD estimates the minimiser of the *mean-form* objective (``n`` rows, ``L``
    scikit-learn's row loss, ``c`` the row weight, ``rho`` the L1 share: 1 for
    ``penalty='l1'``, ``l1_ratio`` for ``'elasticnet'``)::

        1/n sum_i c L(y_i, z_i) + alpha (rho ||w||_1 + (1 - rho)/2 ||w||^2)

    with the intercept unpenalised (scikit-learn's ``_sgd_fast``: the L2 part
    as the step ``w *= 1 - (1 - rho) eta alpha``, the L1 part by the cumulative
    truncated gradient of Tsuruoka et al., 2009, neither weighted by the row).
    Times ``f n`` (``f`` the loss factor of
    :data:`~skinfluence.models.sgd.SGD_LOSSES`) it is the sum form of
    :class:`~skinfluence.models.ActiveSetAdapter` with
    ``lambda_2 = f n alpha (1 - rho)`` and ``lambda_1 = f n alpha rho``: each
    row carries ``penalty_share = f alpha (1 - rho) / c`` and
    ``l1_share = f alpha rho / c`` per unit of weight (so, as for
    :class:`~skinfluence.models.SGDAdapter`, the rows' weights must be equal).

    The active set is SGD's non-zero coefficients (per class for one-vs-rest,
    each binary problem with its own support; the others are frozen at zero).
    SGD's solution is not an exact optimum, and the support of its truncated-
    gradient solution may differ from the exact optimum's: a coefficient near
    the threshold ``|G_j| = lambda_1`` can be zeroed by SGD while it is small
    but non-zero at the optimum, or the reverse (measured in
    ``tests/test_sgd_elastic_net.py`` and ``docs/accuracy.md``). The
    explainer's stationarity check (``relative_gradient_norm_``, the gradient
    of the objective on the active set, L1 part included) reports how far SGD's
    coefficients are from the optimum *on its support*; the support-change
    warning (:meth:`~skinfluence.models.ActiveSetAdapter.check_local_validity`)
    says when removals would move it. ``average=True`` is refused: the averaged
    coefficients are the mean of the iterates, whose zeros are not the L1
    part's (they are almost never exactly zero).

    Conventions: as :class:`~skinfluence.models.SGDAdapter`; the parameters are
    the active coefficients and the intercepts (see
    :class:`~skinfluence.models.ActiveSetAdapter`).

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    alpha, l1_ratio, loss_factor : float
        The estimator's ``alpha``, ``rho`` above and ``f``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sklearn.preprocessing import scale
    >>> from skinfluence.models import SGDElasticNetAdapter
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> est = SGDClassifier(penalty="elasticnet", l1_ratio=0.5, alpha=0.01,
    ...                     loss="log_loss", random_state=0).fit(scale(X), y)
    >>> a = SGDElasticNetAdapter(est, y, None)
    >>> a.penalty_share, a.l1_share, round(a.l1_strength, 3)
    (0.005, 0.005, 2.845)
    >>> a.n_params == len(a.active) + 1 < X.shape[1]
    True
    """

    def __init__(self, estimator, y, sample_weight):
        check_sgd_model(estimator)
        name = type(estimator).__name__
        self.l1_ratio = sgd_l1_ratio(estimator)
        if self.l1_ratio == 0:
            raise ValueError(
                f"{name}(penalty={estimator.penalty!r}) has no L1 part: read it "
                "with SGDAdapter (make_adapter picks it)."
            )
        if estimator.average:
            raise ValueError(
                f"{name}(average={estimator.average!r}) with an L1 part: the averaged "
                "coefficients are the mean of SGD's iterates, whose zeros are not "
                "the L1 penalty's, so there is no active set to explain. Supported "
                "with an L1 part: average=False."
            )
        loss = self.read_loss(estimator)
        n, f, rho = len(y), self.loss_factor, self.l1_ratio
        super().__init__(
            estimator, loss, estimator.coef_, estimator.intercept_,
            fit_intercept=estimator.fit_intercept,
            l2_strength=f * n * self.alpha * (1.0 - rho),
            l1_strength=f * n * self.alpha * rho, classes=self.classes,
        )
        c = self.uniform_row_weight(y, sample_weight)
        self.penalty_share = float(f * self.alpha * (1.0 - rho) / c)
        self.l1_share = float(f * self.alpha * rho / c)

    def optimality_violations(self, X, Y, weights):
        """``|G_kj| / lambda_1`` at SGD's zero coefficients (0 at the non-zero ones).

        At the exact optimum every zero coefficient has ``|G_kj| <= lambda_1``
        (``G`` the data gradient of the sum form along feature ``j`` of output
        ``k``); a ratio above 1 means the optimum's support differs from SGD's.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features_in)
            The full training matrix.
        Y : ndarray
        weights : ndarray of shape (n_samples,)

        Returns
        -------
        ndarray of shape (K, n_features_in)
        """
        _, dZ = self.loss_gradient(self.decision(self.design(X)), Y)
        G = np.asarray(X.T @ (dZ * weights[:, None])).T
        return np.abs(G) * ~self.support / self.l1_strength

    def check_local_validity(self, X, Y, weights, solver, random_state=0):
        """Warn when SGD's zeros are not the optimum's, or removals change the support.

        First the zero coefficients that break their optimality condition
        (:meth:`optimality_violations` above 1; their count is kept in
        ``support_violations_``): SGD's support is not the exact optimum's.
        Then the share of rows whose removal would change the support
        (:meth:`~skinfluence.models.ActiveSetAdapter.check_local_validity`),
        among the other coefficients: a coefficient already past its threshold
        would count every row.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features_in)
        Y : ndarray
        weights : ndarray of shape (n_samples,)
        solver : HessianSolver
        random_state : int, default=0

        Returns
        -------
        float
            The predicted share of rows whose removal changes the support.
        """
        ratio = self.optimality_violations(X, Y, weights)
        violated = ratio > 1.0
        self.support_violations_ = int(violated.sum())
        if violated.any():
            warnings.warn(
                f"{self.support_violations_} zero coefficient(s) of "
                f"{type(self.estimator).__name__} break the optimality condition "
                f"|gradient| <= alpha * l1_ratio (by up to {ratio.max() - 1:.1%}): "
                "the exact optimum's support differs from SGD's truncated-gradient "
                "solution. Influence is computed on SGD's non-zero coefficients; "
                "refit with tol=None and more epochs to approach the optimum.",
                InfluenceWarning, stacklevel=3,
            )
        view = copy.copy(self)
        view.support = self.support | violated
        share = warn_if_support_changes(view, X, Y, weights, solver, random_state)
        self.support_change_share_ = share
        return share
