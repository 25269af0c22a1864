"""LogisticRegression and LogisticRegressionCV (binary and multinomial)."""

import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from ._base import LinearModelAdapter
from ._classes import encode_labels, resolved_class_weight

__all__ = ["BinaryLogisticAdapter", "MultinomialLogisticAdapter", "logistic_adapter"]


def _effective_C(estimator):
    """The inverse L2 strength the estimator minimised with; refuse L1 parts."""
    name = type(estimator).__name__
    solver = getattr(estimator, "solver", "lbfgs")
    if solver == "liblinear":
        raise ValueError(
            f"{name}(solver='liblinear') penalises the intercept (intercept_scaling), "
            "so its objective is not the one skinfluence differentiates. Use solver="
            "'lbfgs', 'newton-cg', 'newton-cholesky', 'sag' or 'saga'."
        )
    multi_class = getattr(estimator, "multi_class", "auto")
    if multi_class == "ovr" and len(estimator.classes_) > 2:
        raise ValueError(
            f"{name}(multi_class='ovr') fits one binary model per class; only the "
            "multinomial objective is supported. Use the default multi_class."
        )
    penalty = getattr(estimator, "penalty", "deprecated")
    if hasattr(estimator, "C_"):  # LogisticRegressionCV
        C = float(np.ravel(estimator.C_)[0])
        l1_ratio = getattr(estimator, "l1_ratio_", None)
        l1_ratio = None if l1_ratio is None else float(np.ravel(l1_ratio)[0])
    else:
        C = float(estimator.C)
        l1_ratio = getattr(estimator, "l1_ratio", None)
    if penalty is None or penalty == "none":
        return np.inf
    has_l1 = penalty in ("l1", "elasticnet") or (
        penalty == "deprecated" and l1_ratio not in (None, 0) and np.isfinite(C)
    )
    if has_l1:
        raise ValueError(
            f"{name} with an L1 part (penalty={penalty!r}, l1_ratio={l1_ratio}) has no "
            "curvature along its zero coefficients, so influence functions do not "
            "apply. Supported: pure L2 (l1_ratio=0) or no penalty (C=np.inf)."
        )
    return C


class _LogisticAdapterBase(LinearModelAdapter):
    """Shared reading of a fitted LogisticRegression(CV)."""

    is_classifier = True
    has_proba = True

    def __init__(self, estimator, y, sample_weight):
        self.estimator = estimator
        self.C = _effective_C(estimator)
        self.classes = np.asarray(estimator.classes_)
        super().__init__(
            estimator.coef_,
            estimator.intercept_,
            fit_intercept=estimator.fit_intercept,
            l2_strength=0.0 if np.isinf(self.C) else 1.0 / self.C,
        )
        y_idx = self._class_index(self.encode_target(y))
        self.class_weight = resolved_class_weight(
            estimator.class_weight, self.classes, y_idx, sample_weight,
            with_sample_weight=True,
        )

    def encode_target(self, y):
        return encode_labels(y, self.classes)

    def _class_index(self, Y):
        return Y

    def row_weights(self, Y, sample_weight):
        return sample_weight * self.class_weight[Y]

    def refit_estimator(self):
        """An unfitted LogisticRegression minimising the same objective."""
        est = self.estimator
        if isinstance(est, LogisticRegression):
            est = clone(est)
        else:  # LogisticRegressionCV: the chosen C, no search
            est = LogisticRegression(
                C=self.C, fit_intercept=self.fit_intercept, solver=est.solver,
                tol=est.tol, max_iter=est.max_iter, random_state=est.random_state,
            )
        if isinstance(self.estimator.class_weight, str) or self.estimator.class_weight:
            est.set_params(class_weight=dict(zip(self.classes.tolist(), self.class_weight)))
        return est


class BinaryLogisticAdapter(_LogisticAdapterBase):
    r"""Binary logistic regression, one output ``z = w.x + b`` for ``classes_[1]``.

    Objective (scikit-learn's, in sum form; ``s_i`` = sample_weight x class_weight)::

        F = sum_i s_i [log(1 + exp(z_i)) - y_i z_i] + 1/(2C) ||w||^2,  y_i in {0, 1}

    Gradient of row i's term: ``s_i (sigma(z_i) - y_i) [x_i, 1]``.
    Hessian: ``sum_i s_i sigma(z_i)(1 - sigma(z_i)) [x_i,1][x_i,1]^T + diag(1/C, .., 0)``.

    Conventions: ``K = 1``; ``Y`` holds class indices (1 = ``classes_[1]``);
    ``C = np.inf`` (no penalty) gives ``lambda = 0``.
    """

    def _loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        z = Z[..., 0]
        y = np.asarray(Y, dtype=np.float64)
        loss = np.logaddexp(0.0, z) - y * z
        dZ = D = None
        if gradient:
            dZ = (expit(z) - y)[..., None]
        if curvature:
            D = (expit(z) * expit(-z))[..., None]
        return loss, dZ, D

    def proba(self, Z):
        p1 = expit(Z[..., 0])
        return np.stack([1.0 - p1, p1], axis=-1)

    def decision_weights(self, Y):
        return np.where(Y == 1, 1.0, -1.0)[:, None]


class MultinomialLogisticAdapter(_LogisticAdapterBase):
    r"""Multinomial (softmax) logistic regression, ``K = n_classes`` outputs.

    Objective (sum form; ``s_i`` = sample_weight x class_weight)::

        F = sum_i s_i [logsumexp(z_i) - z_{i, y_i}] + 1/(2C) ||W||_F^2

    Gradient of row i's term: ``s_i (p_i - onehot(y_i)) (x) [x_i, 1]``.
    Hessian: ``sum_i s_i (diag(p_i) - p_i p_i^T) (x) [x_i,1][x_i,1]^T + penalty``.

    Conventions: ``theta`` has shape ``(n_classes, n_dof)`` (scikit-learn's
    ``coef_``, intercept appended). Adding one vector to every class's
    *unpenalised* parameters leaves the softmax unchanged: the intercepts
    always, every column when ``C = np.inf``. :meth:`null_space` returns those
    directions; every row gradient is orthogonal to them, so the solver adds
    the projector onto them and the answer stays exact (no damping).
    """

    curvature_is_diagonal = False

    def _loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        Y = np.asarray(Y)
        logp = log_softmax(Z, axis=-1)
        loss = -np.take_along_axis(logp, Y[..., None], axis=-1)[..., 0]
        dZ = D = None
        if gradient or curvature:
            p = np.exp(logp)
        if gradient:
            dZ = p.copy()
            np.put_along_axis(dZ, Y[..., None], np.take_along_axis(dZ, Y[..., None], -1) - 1, -1)
        if curvature:
            D = -p[:, :, None] * p[:, None, :]
            D[:, np.arange(self.n_outputs), np.arange(self.n_outputs)] += p
        return loss, dZ, D

    def proba(self, Z):
        return softmax(Z, axis=-1)

    def decision_weights(self, Y):
        # centred decision value z_y - mean_k z_k: identifiable under the softmax shift
        W = np.full((len(Y), self.n_outputs), -1.0 / self.n_outputs)
        W[np.arange(len(Y)), Y] += 1.0
        return W

    def null_space(self):
        K, d = self.n_outputs, self.n_dof
        columns = range(d) if np.all(self.l2_strength == 0) else (
            [d - 1] if self.fit_intercept else []
        )
        N = np.zeros((K, d, len(columns)))
        for m, j in enumerate(columns):
            N[:, j, m] = 1.0 / np.sqrt(K)
        return N.reshape(K * d, -1) if len(columns) else None


def logistic_adapter(estimator, y, sample_weight):
    cls = BinaryLogisticAdapter if len(estimator.classes_) == 2 else MultinomialLogisticAdapter
    return cls(estimator, y, sample_weight)
