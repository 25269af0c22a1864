"""Ridge, RidgeCV, RidgeClassifier(CV) and LinearRegression: squared loss."""

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge, RidgeClassifier
from sklearn.utils.validation import check_array

from ._base import LinearModelAdapter
from ._classes import encode_labels, resolved_class_weight

__all__ = ["SquaredLossAdapter", "RidgeClassifierAdapter"]


class SquaredLossAdapter(LinearModelAdapter):
    r"""Least squares with an optional per-output L2 penalty.

    Objective (scikit-learn's Ridge; ``s_i`` = sample_weight)::

        F = sum_i s_i ||y_i - z_i||^2 + sum_k alpha_k ||W_k||^2

    i.e. ``lambda_k = 2 alpha_k`` in the base class's notation
    (``alpha = 0`` for LinearRegression).
    Gradient of row i's term: ``2 s_i (z_i - y_i) (x) [x_i, 1]``.
    Hessian: ``2 sum_i s_i I_K (x) [x_i,1][x_i,1]^T + diag(2 alpha (x) [1,..,1,0])``:
    block diagonal over outputs, every block built from one shared product.

    Conventions: ``Y`` is a float array of shape ``(n, K)``; a single-output
    model has ``K = 1``. ``loss`` is the squared error summed over outputs,
    with no factor 1/2.
    """

    is_classifier = False
    has_proba = False

    def __init__(self, estimator, y, sample_weight):
        self.estimator = estimator
        name = type(estimator).__name__
        if getattr(estimator, "positive", False):
            raise ValueError(
                f"{name}(positive=True) is a constrained fit: coefficients at the "
                "bound have no gradient condition, so influence does not apply."
            )
        if isinstance(estimator, LinearRegression):
            alpha = 0.0
        else:
            alpha = getattr(estimator, "alpha_", None)
            alpha = estimator.alpha if alpha is None else alpha
        coef = np.atleast_2d(estimator.coef_)
        self.alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (coef.shape[0],))
        super().__init__(
            coef, estimator.intercept_,
            fit_intercept=estimator.fit_intercept, l2_strength=2.0 * self.alpha,
        )
        self._prepare_weights(y, sample_weight)

    def _prepare_weights(self, y, sample_weight):
        pass

    def encode_target(self, y):
        Y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        Y = Y.reshape(len(Y), -1)
        if Y.shape[1] != self.n_outputs:
            raise ValueError(
                f"y has {Y.shape[1]} output(s) but the model predicts {self.n_outputs}."
            )
        return Y

    def row_weights(self, Y, sample_weight):
        return sample_weight

    def _loss_terms(self, Z, Y, *, gradient=False, curvature=False):
        residual = Z - Y
        loss = (residual**2).sum(axis=-1)
        dZ = 2.0 * residual if gradient else None
        D = np.full(Z.shape, 2.0) if curvature else None
        return loss, dZ, D

    def decision_weights(self, Y):
        if self.n_outputs != 1:
            raise ValueError(
                "target='prediction' needs a single-output regressor; this model has "
                f"{self.n_outputs} outputs. Use target='loss' (summed over outputs)."
            )
        return np.ones((len(Y), 1))

    def refit_estimator(self):
        """An unfitted estimator minimising the same objective (CV: the chosen alpha)."""
        est = self.estimator
        if isinstance(est, (Ridge, RidgeClassifier, LinearRegression)):
            est = clone(est)
        else:
            same = np.all(self.alpha == self.alpha[0])
            alpha = float(self.alpha[0]) if same else self.alpha.copy()
            cls = RidgeClassifier if self.is_classifier else Ridge
            est = cls(alpha=alpha, fit_intercept=self.fit_intercept)
        if self.is_classifier and self.estimator.class_weight is not None:
            est.set_params(class_weight=dict(zip(self.classes.tolist(), self.class_weight)))
        return est


class RidgeClassifierAdapter(SquaredLossAdapter):
    r"""RidgeClassifier(CV): Ridge on targets coded +1 / -1.

    Objective: as :class:`SquaredLossAdapter`, with ``y_i`` the label-binarised
    class (``K = 1`` column for two classes, +1 for ``classes_[1]``; one column
    per class otherwise) and ``s_i`` = sample_weight x class_weight
    ('balanced' frozen at the fit data, as scikit-learn computes it from counts).

    ``target='prediction'`` is the decision value of the row's class
    (``-decision_function`` for ``classes_[0]`` when binary).
    """

    is_classifier = True

    def _prepare_weights(self, y, sample_weight):
        self.classes = np.asarray(self.estimator.classes_)
        y_idx = encode_labels(y, self.classes)
        self.class_weight = resolved_class_weight(
            self.estimator.class_weight, self.classes, y_idx, sample_weight,
            with_sample_weight=False,
        )

    def encode_target(self, y):
        idx = encode_labels(y, self.classes)
        if self.n_outputs == 1:
            return np.where(idx == 1, 1.0, -1.0)[:, None]
        Y = -np.ones((len(idx), self.n_outputs))
        Y[np.arange(len(idx)), idx] = 1.0
        return Y

    def _class_index(self, Y):
        return (Y[:, 0] > 0).astype(np.intp) if self.n_outputs == 1 else Y.argmax(1)

    def row_weights(self, Y, sample_weight):
        return sample_weight * self.class_weight[self._class_index(Y)]

    def decision_weights(self, Y):
        return Y.copy() if self.n_outputs == 1 else (Y > 0).astype(np.float64)
