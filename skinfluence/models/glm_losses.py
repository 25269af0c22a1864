r"""Tweedie unit deviances with a log or identity link: the GLM family's losses.

scikit-learn's PoissonRegressor, GammaRegressor and TweedieRegressor minimise
half the mean Tweedie deviance (``sklearn._loss.HalfTweedieLoss`` and friends).
:class:`TweedieLoss` is the whole unit deviance of one row (zero at a perfect
prediction, as ``sklearn.metrics.mean_tweedie_deviance`` computes it), as a
function of the raw linear predictor ``z``, with ``mu = exp(z)`` (log link) or
``mu = z`` (identity link)::

    p = 0:      dev = (y - mu)^2
    p = 1:      dev = 2 (y log(y / mu) - y + mu)
    p = 2:      dev = 2 (log(mu / y) + y / mu - 1)
    otherwise:  dev = 2 (max(y, 0)^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p)
                         + mu^(2-p) / (2-p))

Derivatives in ``mu`` (every power)::

    d dev / d mu     = 2 (mu - y) mu^(-p)
    d2 dev / d mu^2  = 2 mu^(-p-1) ((1 - p) mu + p y)

and through the link: ``d/dz = mu d/dmu``, ``d2/dz2 = mu^2 d2/dmu2 + mu d/dmu``
for the log link, unchanged for the identity link. ``K = 1`` output; ``Y`` is
a float array of shape ``(n, 1)``.
"""

import numpy as np
from scipy.special import xlogy

from .losses import LinearLoss

__all__ = ["TweedieLoss", "LINKS"]

#: The links scikit-learn's TweedieRegressor offers.
LINKS = ("log", "identity")


class TweedieLoss(LinearLoss):
    """Tweedie unit deviance of power ``power`` with a log or identity link.

    ``TweedieLoss(1, "log")`` is the Poisson deviance, ``TweedieLoss(2, "log")``
    the Gamma deviance, ``TweedieLoss(0, "identity")`` the squared error.

    Parameters
    ----------
    power : float
        The Tweedie power ``p`` (any real, as scikit-learn allows).
    link : {"log", "identity"}

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import TweedieLoss
    >>> poisson = TweedieLoss(1.0, "log")
    >>> dev, dz, d2z = poisson.loss_terms(np.log([[2.0]]), np.array([[2.0]]),
    ...                                    gradient=True, curvature=True)
    >>> float(dev[0]), float(dz[0, 0]), float(d2z[0, 0])
    (0.0, 0.0, 4.0)
    >>> poisson.inverse_link(np.log([[3.0]]))
    array([[3.]])
    """

    def __init__(self, power, link):
        super().__init__(1)
        if link not in LINKS:
            raise ValueError(f"link={link!r} is not supported; choose from {LINKS}.")
        self.power = float(power)
        self.link = link

    def check_target(self, y):
        """Raise a clear error when ``y`` is outside the deviance's domain.

        Parameters
        ----------
        y : ndarray
        """
        p = self.power
        if p <= 0:
            return
        bad = (y < 0) if p < 2 else (y <= 0)
        if np.any(bad):
            need = "non-negative" if p < 2 else "positive"
            raise ValueError(f"The Tweedie deviance of power {p:g} needs {need} y.")

    def inverse_link(self, Z):
        return np.exp(Z) if self.link == "log" else np.asarray(Z, dtype=np.float64)

    def deviance(self, mu, y):
        """Unit deviance ``dev(y, mu)``, elementwise.

        Parameters
        ----------
        mu, y : ndarray (broadcastable)

        Returns
        -------
        ndarray
        """
        p = self.power
        if p == 0:
            return (y - mu) ** 2
        if p == 1:
            return 2.0 * (xlogy(y, y) - xlogy(y, mu) - y + mu)
        if p == 2:
            return 2.0 * (np.log(mu / y) + y / mu - 1.0)
        return 2.0 * (
            np.maximum(y, 0) ** (2 - p) / ((1 - p) * (2 - p))
            - y * mu ** (1 - p) / (1 - p)
            + mu ** (2 - p) / (2 - p)
        )

    def loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        p = self.power
        z, y = Z[..., 0], np.asarray(Y, dtype=np.float64)[..., 0]
        mu = self.inverse_link(z)
        loss = self.deviance(mu, y)
        dZ = D = None
        if gradient or curvature:
            d_mu = 2.0 * (mu - y) * mu ** (-p)
        if gradient:
            dZ = (mu * d_mu if self.link == "log" else d_mu)[..., None]
        if curvature:
            d2_mu = 2.0 * mu ** (-p - 1) * ((1 - p) * mu + p * y) if p else 2.0 + 0 * mu
            D = (mu**2 * d2_mu + mu * d_mu if self.link == "log" else d2_mu)[..., None]
        return loss, dZ, D
