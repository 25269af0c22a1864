"""Reader for LogisticRegression and LogisticRegressionCV (binary and multinomial)."""

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

from .adapter import LinearModelAdapter
from ._classes import encode_labels, resolved_class_weight
from .losses import BinomialLoss, MultinomialLoss

#: Refits with at most this many parameters use 'newton-cholesky': its
#: ``(n_params)^2`` Hessian then takes at most 32 MiB.
NEWTON_REFIT_MAX_PARAMS = 2048

__all__ = ["LogisticAdapter"]


def _effective_C(estimator):
    """The inverse L2 strength the estimator minimised with; refuse L1 parts."""
    C, l1_ratio = logistic_penalty(estimator)
    if l1_ratio:
        name = type(estimator).__name__
        raise ValueError(
            f"{name} with an L1 part (l1_ratio={l1_ratio}) has no curvature along "
            "its zero coefficients. Supported: pure L2 (l1_ratio=0), no penalty "
            "(C=np.inf), or LogisticRegression with l1_ratio > 0, explained "
            "on its active set."
        )
    return C


def logistic_penalty(estimator):  # l1 support: split out of _effective_C (sparse1)
    """``(C, l1_ratio)`` a logistic model minimised with, after checking the solver.

    Parameters
    ----------
    estimator : LogisticRegression or LogisticRegressionCV, fitted

    Returns
    -------
    C : float
        ``np.inf`` for no penalty (``C_`` for the CV estimator).
    l1_ratio : float
        The L1 part of the penalty (0 for pure L2 or none).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence.models.logistic import logistic_penalty
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> logistic_penalty(LogisticRegression(C=2.0, l1_ratio=0.5, solver="saga"))
    (2.0, 0.5)
    """
    name = type(estimator).__name__
    solver = getattr(estimator, "solver", "lbfgs")
    if solver == "liblinear" and estimator.fit_intercept:  # else: the same objective
        raise ValueError(
            f"{name}(solver='liblinear') penalises the intercept (intercept_scaling), "
            "so its objective is not the one skinfluence differentiates. Use solver="
            "'lbfgs', 'newton-cg', 'newton-cholesky', 'sag' or 'saga', or "
            "fit_intercept=False."
        )
    multi_class = getattr(estimator, "multi_class", "auto")
    if multi_class == "ovr" and len(estimator.classes_) > 2:
        raise ValueError(
            f"{name}(multi_class='ovr') fits one binary model per class; only the "
            "multinomial objective is supported. Use the default multi_class."
        )
    penalty = getattr(estimator, "penalty", "deprecated")
    if hasattr(estimator, "C_"):  # LogisticRegressionCV
        if not getattr(estimator, "refit", True):
            raise ValueError(
                f"{name}(refit=False) averages the coefficients of its folds' "
                "models: no fit on these data minimised an objective there. Use "
                "refit=True (the default)."
            )
        C = float(np.ravel(estimator.C_)[0])
        # legacy attributes of scikit-learn's defaults: l1_ratio_ == [None]
        l1_ratio = np.ravel(getattr(estimator, "l1_ratio_", [None]))[0]
        l1_ratio = None if l1_ratio is None else float(l1_ratio)
    else:
        C = float(estimator.C)
        l1_ratio = getattr(estimator, "l1_ratio", None)
    if penalty is None or penalty == "none" or not np.isfinite(C):
        return np.inf, 0.0
    if penalty == "l1":
        return C, 1.0
    if penalty == "l2" or l1_ratio is None:
        return C, 0.0
    return C, float(l1_ratio)


class LogisticAdapter(LinearModelAdapter):
    r"""Reader for LogisticRegression(CV): binary or multinomial log-loss, L2 penalty.

    Objective (scikit-learn's, in sum form; ``s_i`` = sample_weight x class_weight)::

        binary:       F = sum_i s_i [log(1 + exp(z_i)) - y_i z_i] + 1/(2C) ||w||^2
        multinomial:  F = sum_i s_i [logsumexp(z_i) - z_{i, y_i}] + 1/(2C) ||W||_F^2

    i.e. :class:`~skinfluence.models.BinomialLoss` (one output ``z`` for
    ``classes_[1]``, ``y_i`` in {0, 1}) or
    :class:`~skinfluence.models.MultinomialLoss` (``K = n_classes``), with
    ``lambda = 1/C`` (``C = np.inf``: no penalty). Gradient of row i's term:
    ``s_i (p_i - onehot(y_i)) (x) [x_i, 1]``; Hessian
    ``sum_i s_i (diag(p_i) - p_i p_i^T) (x) [x_i,1][x_i,1]^T + diag(1/C, .., 0)``.

    Conventions: ``Y`` holds class indices. Multinomial ``theta`` has shape
    ``(n_classes, n_dof)`` (``coef_`` with the intercept appended); adding one
    vector to every class's *unpenalised* parameters leaves the softmax
    unchanged (the intercepts always, every column when ``C = np.inf``), so
    :meth:`null_space` returns those directions and solvers treat them exactly.
    'balanced' class weights are frozen at the fit data (weighted counts, as
    scikit-learn computes them).

    Parameters
    ----------
    estimator : LogisticRegression or LogisticRegressionCV, fitted
    y : array-like of shape (n_samples,)
        The labels it was fitted on (for 'balanced' class weights).
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    C : float
        The inverse L2 strength minimised with (``C_`` for the CV estimator).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence.models import LogisticAdapter
    >>> X, y = load_iris(return_X_y=True)
    >>> adapter = LogisticAdapter(LogisticRegression(max_iter=1000).fit(X, y), y, None)
    >>> adapter.n_outputs, adapter.null_space().shape, adapter.has_proba
    (3, (15, 1), True)
    """

    is_classifier = True
    has_proba = True

    def __init__(self, estimator, y, sample_weight):
        self.C = _effective_C(estimator)
        classes = np.asarray(estimator.classes_)
        loss = BinomialLoss() if len(classes) == 2 else MultinomialLoss(len(classes))
        super().__init__(
            estimator, loss, fit_intercept=estimator.fit_intercept,
            l2_strength=0.0 if np.isinf(self.C) else 1.0 / self.C, classes=classes,
        )
        y_idx = self.encode_target(y)
        sw = np.ones(len(y_idx)) if sample_weight is None else sample_weight
        self.class_weight = resolved_class_weight(
            estimator.class_weight, classes, y_idx, sw, with_sample_weight=True,
        )

    def encode_target(self, y):
        """Class indices of ``y`` in ``classes_``; an error for unseen labels.

        Parameters
        ----------
        y : array-like of shape (n_samples,)

        Returns
        -------
        ndarray of int of shape (n_samples,)
        """
        return encode_labels(y, self.classes)

    def decision_weights(self, Y):
        """``+-1`` (binary) or the centred value ``z_y - mean_k z_k`` (multinomial).

        The centred value is the only one the softmax identifies.

        Parameters
        ----------
        Y : ndarray of int of shape (n_samples,)

        Returns
        -------
        ndarray of shape (n_samples, K)
        """
        if self.n_outputs == 1:
            return np.where(Y == 1, 1.0, -1.0)[:, None]
        W = np.full((len(Y), self.n_outputs), -1.0 / self.n_outputs)
        W[np.arange(len(Y)), Y] += 1.0
        return W

    def refit_estimator(self):
        """An unfitted LogisticRegression minimising the same objective.

        Returns
        -------
        LogisticRegression
            A clone; for LogisticRegressionCV, a LogisticRegression at the chosen
            ``C_`` (no search). 'balanced' class weights become the dict of the
            full-data weights. Up to ``NEWTON_REFIT_MAX_PARAMS`` parameters the
            solver is 'newton-cholesky' (lbfgs stalls near 1e-5 of a row's
            gradient, too far for a refit used as the truth).
        """
        est = self.estimator
        if not isinstance(est, LogisticRegressionCV):  # a LogisticRegression subclass
            est = clone(est)
        else:  # LogisticRegressionCV: the chosen C, no search
            est = LogisticRegression(
                C=self.C, fit_intercept=self.fit_intercept, solver=est.solver,
                tol=est.tol, max_iter=est.max_iter, random_state=est.random_state,
            )
        if isinstance(self.estimator.class_weight, str) or self.estimator.class_weight:
            frozen = dict(zip(self.classes.tolist(), self.class_weight))
            est.set_params(class_weight=frozen)
        pure_l2 = logistic_penalty(self.estimator)[1] == 0
        if pure_l2 and self.n_params <= NEWTON_REFIT_MAX_PARAMS:  # same objective
            est.set_params(solver="newton-cholesky")
        return est
