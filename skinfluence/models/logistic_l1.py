"""Reader for LogisticRegression with an L1 part (``l1_ratio > 0``), binary or
multinomial, on the active set, and the choice between it and the L2 reader."""

import numpy as np

from .active_set import ActiveSetAdapter
from ._classes import resolved_class_weight
from .logistic import LogisticAdapter, logistic_penalty
from .losses import BinomialLoss, MultinomialLoss

__all__ = ["LogisticL1Adapter", "read_logistic"]


def read_logistic(estimator, y, sample_weight):
    """The reader of a fitted LogisticRegression: L2/none, or L1 on the active set.

    Parameters
    ----------
    estimator : LogisticRegression, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    LogisticAdapter or LogisticL1Adapter

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence.models import read_logistic
    >>> from sklearn.preprocessing import scale
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> est = LogisticRegression(l1_ratio=1.0, solver="saga", C=0.1, max_iter=5000)
    >>> est = est.fit(scale(X), y)
    >>> type(read_logistic(est, y, None)).__name__
    'LogisticL1Adapter'
    """
    _, l1_ratio = logistic_penalty(estimator)
    reader = LogisticL1Adapter if l1_ratio else LogisticAdapter
    return reader(estimator, y, sample_weight)


class LogisticL1Adapter(ActiveSetAdapter, LogisticAdapter):
    r"""Reader for LogisticRegression with ``l1_ratio = rho > 0`` (saga), binary or
    multinomial, on its active set.

    scikit-learn minimises (``s_i`` = sample_weight x class_weight; saga averages
    over ``n`` and scales both penalties by ``1/(C n)``, the same minimiser)::

        binary:       C sum_i s_i logloss_i + (1 - rho)/2 ||w||^2 + rho ||w||_1
        multinomial:  C sum_i s_i [logsumexp(z_i) - z_{i, y_i}]
                          + (1 - rho)/2 ||W||_F^2 + rho sum_kj |W_kj|

    i.e., divided by ``C``, the sum form of
    :class:`~skinfluence.models.ActiveSetAdapter` with the loss of
    :class:`~skinfluence.models.BinomialLoss` (one output) or
    :class:`~skinfluence.models.MultinomialLoss` (``K = n_classes``, ``coef_``
    of shape ``(K, n_features)``), ``lambda_2 = (1 - rho)/C`` and
    ``lambda_1 = rho/C``; the intercepts are not penalised. The penalty does
    not scale with the rows, so removing row ``j`` removes its loss term only.

    Influence is on the active set: the non-zero entries of ``coef_``, each
    class with its own support, and the intercepts. A multinomial fit is laid
    out on the union of the supports with the other entries frozen at zero;
    the softmax's common shift (the intercepts, and with ``rho = 1`` every
    feature active in all classes) is a null direction of the restricted
    Hessian, handled by the pseudo-inverse (see
    :mod:`skinfluence.models.active_set`). Every row's gradient is orthogonal
    to it (the residuals ``p_i - onehot(y_i)`` sum to zero over the classes),
    so influence is exact there. See
    :meth:`~skinfluence.models.ActiveSetAdapter.check_local_validity` for the
    warning when removals would change a class's support.

    Conventions: as :class:`~skinfluence.models.LogisticAdapter`.

    Parameters
    ----------
    estimator : LogisticRegression, fitted
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    C, l1_ratio : float

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer, load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence.models import LogisticL1Adapter
    >>> from sklearn.preprocessing import scale
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> est = LogisticRegression(l1_ratio=1.0, solver="saga", C=0.1, max_iter=5000)
    >>> est = est.fit(scale(X), y)
    >>> a = LogisticL1Adapter(est, y, None)
    >>> a.l1_strength, a.n_params == len(a.active) + 1
    (10.0, True)
    >>> X, y = load_iris(return_X_y=True)
    >>> est = LogisticRegression(l1_ratio=1.0, solver="saga", C=0.1, tol=1e-8,
    ...                          max_iter=10_000).fit(scale(X), y)
    >>> a = LogisticL1Adapter(est, y, None)
    >>> a.support.astype(int).tolist()  # one support per class
    [[0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]
    >>> a.theta.shape, int(a.frozen.sum()), a.null_space().shape  # 3 frozen + shift
    ((3, 4), 5, (12, 6))
    """

    def __init__(self, estimator, y, sample_weight):
        self.C, self.l1_ratio = logistic_penalty(estimator)
        classes = np.asarray(estimator.classes_)
        K = len(classes)
        loss = BinomialLoss() if K == 2 else MultinomialLoss(K)
        super().__init__(
            estimator, loss, estimator.coef_, estimator.intercept_,
            fit_intercept=estimator.fit_intercept,
            l2_strength=(1.0 - self.l1_ratio) / self.C,
            l1_strength=self.l1_ratio / self.C, classes=classes,
        )
        y_idx = self.encode_target(y)
        sw = np.ones(len(y_idx)) if sample_weight is None else sample_weight
        self.class_weight = resolved_class_weight(
            estimator.class_weight, classes, y_idx, sw, with_sample_weight=True,
        )
