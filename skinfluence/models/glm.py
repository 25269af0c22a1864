"""Reader for the GLMs: PoissonRegressor, GammaRegressor, TweedieRegressor."""

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import GammaRegressor, PoissonRegressor, TweedieRegressor

from .adapter import LinearModelAdapter, SingleOutputRegressor
from .glm_losses import TweedieLoss

__all__ = ["GLMAdapter", "glm_loss"]


def glm_loss(estimator):
    """The :class:`TweedieLoss` a fitted GLM minimised (scikit-learn's ``_get_loss``).

    Parameters
    ----------
    estimator : PoissonRegressor, GammaRegressor or TweedieRegressor

    Returns
    -------
    TweedieLoss

    Examples
    --------
    >>> from sklearn.linear_model import TweedieRegressor
    >>> from skinfluence.models import glm_loss
    >>> loss = glm_loss(TweedieRegressor(power=1.5))
    >>> loss.power, loss.link
    (1.5, 'log')
    """
    if isinstance(estimator, PoissonRegressor):
        return TweedieLoss(1.0, "log")
    if isinstance(estimator, GammaRegressor):
        return TweedieLoss(2.0, "log")
    if isinstance(estimator, TweedieRegressor):
        link = estimator.link
        if link == "auto":
            link = "identity" if estimator.power <= 0 else "log"
        return TweedieLoss(estimator.power, link)
    raise TypeError(f"{type(estimator).__name__} is not a scikit-learn GLM.")


class GLMAdapter(SingleOutputRegressor, LinearModelAdapter):
    r"""Reader for PoissonRegressor, GammaRegressor and TweedieRegressor.

    scikit-learn minimises the *mean-form* objective (``s_i`` = sample_weight,
    ``S = sum_i s_i``, ``dev`` the Tweedie unit deviance of
    :class:`~skinfluence.models.TweedieLoss`)::

        1/(2 S) sum_i s_i dev(y_i, mu_i) + alpha/2 ||w||^2,     mu_i = h(z_i)

    Multiplied by ``2 S`` (same minimiser) it is the sum form::

        F = sum_i s_i [dev(y_i, mu_i) + alpha ||w||^2]
          = sum_i s_i dev_i + 1/2 (2 alpha S) ||w||^2

    so ``lambda = 2 alpha S`` and every row carries ``penalty_share = 2 alpha``
    per unit weight: refitting without row ``j`` minimises ``F`` minus
    ``s_j (dev_j + alpha ||w||^2)``. The removed term's gradient is
    ``s_j (r_j [x_j, 1] + 2 alpha P theta)`` and its Hessian
    ``s_j (D_j [x_j,1][x_j,1]^T + 2 alpha P)`` (``P`` masks the intercept).

    Conventions: ``K = 1``; ``Y`` is a float array of shape ``(n, 1)``;
    ``loss`` is the unit deviance (for power 0, the squared error, as for
    Ridge); ``target="prediction"`` is ``predict()``, the mean ``mu``.

    Parameters
    ----------
    estimator : PoissonRegressor, GammaRegressor or TweedieRegressor, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None
        The weights it was fitted with (their sum sets ``lambda``).

    Attributes
    ----------
    alpha : float
        The estimator's ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import PoissonRegressor
    >>> from skinfluence.models import GLMAdapter
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([1.0, 0.0, 2.0, 4.0])
    >>> adapter = GLMAdapter(PoissonRegressor(alpha=0.5).fit(X, y), y, None)
    >>> float(adapter.l2_strength[0]), adapter.penalty_share
    (4.0, 1.0)
    """

    def __init__(self, estimator, y, sample_weight):
        self.alpha = float(estimator.alpha)
        n = len(y)
        total = float(n if sample_weight is None else np.sum(sample_weight))
        super().__init__(
            estimator, glm_loss(estimator), fit_intercept=estimator.fit_intercept,
            l2_strength=2.0 * self.alpha * total, penalty_share=2.0 * self.alpha,
        )

    def encode_target(self, y):
        """``y`` as floats of shape ``(n, 1)``, checked against the deviance's domain.

        Parameters
        ----------
        y : array-like of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, 1)
        """
        Y = super().encode_target(y)
        self.loss_function.check_target(Y[:, 0])
        return Y

    def prediction(self, u):
        """``predict()``: the mean ``mu = h(u)`` for decision value ``u``.

        Parameters
        ----------
        u : ndarray

        Returns
        -------
        ndarray shaped like ``u``
        """
        return self.loss_function.inverse_link(u)

    def prediction_derivative(self, u):
        """``d mu / d u``: ``mu`` (log link) or 1 (identity link).

        Parameters
        ----------
        u : ndarray

        Returns
        -------
        ndarray shaped like ``u``
        """
        if self.loss_function.link == "log":
            return np.exp(u)
        return np.ones_like(u, dtype=np.float64)

    def refit_estimator(self):
        """A clone: the GLMs have no CV variant or class weights.

        Returns
        -------
        PoissonRegressor, GammaRegressor or TweedieRegressor
        """
        return clone(self.estimator)
