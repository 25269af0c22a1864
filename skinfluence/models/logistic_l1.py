"""Reader for binary LogisticRegression with an L1 part (``l1_ratio > 0``), on the
active set, and the choice between it and the L2 reader."""

import numpy as np

from .active_set import ActiveSetAdapter
from ._classes import resolved_class_weight
from .logistic import LogisticAdapter, logistic_penalty
from .losses import BinomialLoss

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
    r"""Reader for binary LogisticRegression with ``l1_ratio = rho > 0`` (saga).

    scikit-learn minimises (``s_i`` = sample_weight x class_weight)::

        C sum_i s_i logloss_i + (1 - rho)/2 ||w||^2 + rho ||w||_1

    i.e., divided by ``C``, the sum form of
    :class:`~skinfluence.models.ActiveSetAdapter` with the log-loss of
    :class:`~skinfluence.models.BinomialLoss`, ``lambda_2 = (1 - rho)/C`` and
    ``lambda_1 = rho/C``. The penalty does not scale with the rows, so removing
    row ``j`` removes its loss term only. Influence is on the active set (the
    non-zero coefficients and the intercept); see
    :meth:`~skinfluence.models.ActiveSetAdapter.check_local_validity` for the
    warning when removals would change it.

    Conventions: as :class:`~skinfluence.models.LogisticAdapter`, binary only
    (a multinomial L1 fit has one support per class).

    Parameters
    ----------
    estimator : LogisticRegression, fitted, two classes
    y : array-like of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    C, l1_ratio : float

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence.models import LogisticL1Adapter
    >>> from sklearn.preprocessing import scale
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> est = LogisticRegression(l1_ratio=1.0, solver="saga", C=0.1, max_iter=5000)
    >>> est = est.fit(scale(X), y)
    >>> a = LogisticL1Adapter(est, y, None)
    >>> a.l1_strength, a.n_params == len(a.active) + 1
    (10.0, True)
    """

    def __init__(self, estimator, y, sample_weight):
        self.C, self.l1_ratio = logistic_penalty(estimator)
        classes = np.asarray(estimator.classes_)
        if len(classes) != 2:
            raise ValueError(
                f"{type(estimator).__name__} with an L1 part and {len(classes)} "
                "classes has one support per class; only binary models are "
                "supported with l1_ratio > 0."
            )
        super().__init__(
            estimator, BinomialLoss(), estimator.coef_, estimator.intercept_,
            fit_intercept=estimator.fit_intercept,
            l2_strength=(1.0 - self.l1_ratio) / self.C,
            l1_strength=self.l1_ratio / self.C, classes=classes,
        )
        y_idx = self.encode_target(y)
        sw = np.ones(len(y_idx)) if sample_weight is None else sample_weight
        self.class_weight = resolved_class_weight(
            estimator.class_weight, classes, y_idx, sw, with_sample_weight=True,
        )
