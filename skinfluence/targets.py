"""The quantity Q whose change influence predicts, as a function of the linear predictor.

Every target is a function of ``z = W x + b`` (shape ``(..., K)``) and the
encoded label; ``value`` accepts any leading shape (the Newton method evaluates
Q for every (test row, removed row) pair at once), ``gradient`` gives ``dQ/dz``.
"""

import numpy as np
from scipy.special import expit

__all__ = ["make_target", "TARGETS"]


def _broadcast_label(Y, ndim):
    """Give encoded labels of the test rows the leading shape of ``Z``."""
    Y = np.asarray(Y)
    extra = ndim - 2 if Y.ndim == 1 else ndim - Y.ndim
    return Y.reshape(Y.shape[:1] + (1,) * extra + Y.shape[1:])


class LossTarget:
    """``Q = -loss(test point)``: positive influence means the rows help."""

    def __init__(self, adapter):
        self.adapter = adapter

    def value(self, Z, Y):
        return -self.adapter.loss(Z, _broadcast_label(Y, Z.ndim))

    def gradient(self, Z, Y):
        return -self.adapter.loss_gradient(Z, Y)[1]


class ProbaTarget(LossTarget):
    """``Q = predicted probability of the test row's label`` (logistic models)."""

    def __init__(self, adapter):
        if not adapter.has_proba:
            est = adapter.estimator
            name = type(est).__name__ + (f"(loss={est.loss!r})" if hasattr(est, "loss")
                                         else "")
            has = "one of another form" if hasattr(est, "predict_proba") else "none"
            raise ValueError(
                "target='proba' needs a model whose predict_proba is the logistic "
                "(or softmax) of its decision function, e.g. LogisticRegression or "
                f"SGDClassifier(loss='log_loss'); {name} has {has}. "
                "Use 'loss' or 'prediction'."
            )
        super().__init__(adapter)

    def value(self, Z, Y):
        Yb = _broadcast_label(Y, Z.ndim)
        if Z.shape[-1] == 1:  # binary: P(y) = sigma(+-z)
            return expit(np.where(Yb == 1, 1.0, -1.0) * Z[..., 0])
        return np.take_along_axis(self.adapter.proba(Z), Yb[..., None], axis=-1)[..., 0]

    def gradient(self, Z, Y):
        if Z.shape[-1] == 1:
            sign = np.where(Y == 1, 1.0, -1.0)
            p = expit(sign * Z[:, 0])
            return (sign * p * (1.0 - p))[:, None]
        P = self.adapter.proba(Z)
        py = P[np.arange(len(Y)), Y]
        G = -py[:, None] * P
        G[np.arange(len(Y)), Y] += py
        return G


class PredictionTarget(LossTarget):
    """``Q = predict()`` (regressors) or the decision value of the label's class.

    ``Q = m(u)`` with ``u = sum_k a_k(y) z_k``: ``a`` from the adapter's
    ``decision_weights`` (for the multinomial model the centred value
    ``z_y - mean_k z_k``, the only one the softmax identifies) and ``m`` the
    adapter's ``prediction`` (the identity, or a GLM's inverse link: the mean).
    """

    def value(self, Z, Y):
        A = self.adapter.decision_weights(np.asarray(Y))
        return self.adapter.prediction((Z * _broadcast_label(A, Z.ndim)).sum(axis=-1))

    def gradient(self, Z, Y):
        A = self.adapter.decision_weights(np.asarray(Y))
        return A * self.adapter.prediction_derivative((Z * A).sum(axis=-1))[:, None]


TARGETS = {"loss": LossTarget, "proba": ProbaTarget, "prediction": PredictionTarget}


def make_target(name, adapter):
    """The target Q called ``name``, for the model behind ``adapter``.

    Parameters
    ----------
    name : {"loss", "proba", "prediction"}
        ``"loss"``: minus the test row's loss; ``"proba"``: the predicted
        probability of its label (classifiers with ``predict_proba``);
        ``"prediction"``: ``predict()`` or the decision value of the label's class.
    adapter : LinearModelAdapter
        The fitted model's objective (:func:`skinfluence.models.make_adapter`).

    Returns
    -------
    target : LossTarget, ProbaTarget or PredictionTarget
        With ``value(Z, Y)`` (Q at linear predictors ``Z``, encoded labels ``Y``)
        and ``gradient(Z, Y)`` (``dQ/dZ``).

    Raises
    ------
    ValueError
        For an unknown ``name``, or ``"proba"`` on a model without
        ``predict_proba``.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence.models import make_adapter
    >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 3.0])
    >>> est = Ridge(alpha=1.0).fit(X, y)
    >>> adapter = make_adapter(est, y, None)
    >>> Z, Y = adapter.decision(X), adapter.encode_target(y)
    >>> np.allclose(make_target("prediction", adapter).value(Z, Y), est.predict(X))
    True
    >>> squared_error = (y - est.predict(X)) ** 2
    >>> np.allclose(make_target("loss", adapter).value(Z, Y), -squared_error)
    True
    """
    try:
        cls = TARGETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"target={name!r} is not supported; choose from {sorted(TARGETS)}."
        ) from None
    return cls(adapter)
