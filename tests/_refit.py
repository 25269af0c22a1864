"""Independent truth for the tests: refit with scikit-learn, evaluate with scikit-learn.

Nothing here uses skinfluence: the refitted model's quantities come from its own
``predict_proba`` / ``predict`` / ``decision_function``.
"""

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.base import clone, is_classifier
from sklearn.linear_model import GammaRegressor, PoissonRegressor, TweedieRegressor
from sklearn.metrics import mean_tweedie_deviance

TIGHT = dict(tol=1e-12, max_iter=10_000)


def quantity(model, X, y, target):
    """Q at the test rows, as the explainer defines it, from scikit-learn's outputs."""
    if target == "loss":
        if hasattr(model, "predict_proba"):
            P = model.predict_proba(X)
            idx = np.searchsorted(model.classes_, y)
            return np.log(P[np.arange(len(y)), idx])  # Q = -log-loss
        if is_classifier(model):  # RidgeClassifier: squared error on +-1 codes
            D = np.atleast_2d(model.decision_function(X).T).T
            codes = -np.ones_like(D)
            idx = np.searchsorted(model.classes_, y)
            if D.shape[1] == 1:
                codes[:, 0] = np.where(idx == 1, 1.0, -1.0)
            else:
                codes[np.arange(len(y)), idx] = 1.0
            return -((codes - D) ** 2).sum(1)
        pred = model.predict(X).reshape(len(X), -1)
        power = glm_power(model)
        if power is not None:  # GLMs: the unit deviance of each row
            return -unit_deviance(np.asarray(y, dtype=float), pred[:, 0], power)
        return -((np.asarray(y).reshape(len(X), -1) - pred) ** 2).sum(1)
    if target == "proba":
        P = model.predict_proba(X)
        return P[np.arange(len(y)), np.searchsorted(model.classes_, y)]
    if target == "prediction":
        if is_classifier(model):
            D = model.decision_function(X)
            idx = np.searchsorted(model.classes_, y)
            if D.ndim == 1:
                return np.where(idx == 1, D, -D)
            if hasattr(model, "predict_proba"):  # softmax: centred value is identified
                D = D - D.mean(1, keepdims=True)
            return D[np.arange(len(y)), idx]
        return model.predict(X)
    raise ValueError(target)


def glm_power(model):
    """The Tweedie power of a scikit-learn GLM; None for other models."""
    if isinstance(model, PoissonRegressor):
        return 1.0
    if isinstance(model, GammaRegressor):
        return 2.0
    if isinstance(model, TweedieRegressor):
        return float(model.power)
    return None


def unit_deviance(y, mu, power):
    """Tweedie unit deviance per row: scikit-learn's metric, one row at a time
    (it refuses 0 < power < 1, where its documented formula is used)."""
    if 0 < power < 1:
        p = power
        return 2 * (np.maximum(y, 0) ** (2 - p) / ((1 - p) * (2 - p))
                    - y * mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))
    return np.array([mean_tweedie_deviance([a], [b], power=power)
                     for a, b in zip(y, mu)])


def refit_without(model, X, y, removed, sample_weight=None):
    """Refit a clone without the rows ``removed``, warm-started, to high precision."""
    keep = np.ones(len(X), dtype=bool)
    keep[removed] = False
    est = clone(model)
    params = est.get_params()
    if "tol" in params:
        est.set_params(tol=1e-12)
    if params.get("max_iter") is not None:
        est.set_params(max_iter=10_000)
    if "warm_start" in params:
        est.set_params(warm_start=True)
        est.coef_, est.intercept_ = np.copy(model.coef_), np.copy(model.intercept_)
    kw = {} if sample_weight is None else {"sample_weight": sample_weight[keep]}
    return est.fit(X[keep], y[keep], **kw)


def refit_effects(model, X, y, X_test, y_test, populations, target="loss", sample_weight=None):
    """Q(all rows) - Q(refitted without each population): (n_test, n_populations)."""
    q = quantity(model, X_test, y_test, target)
    return np.column_stack([
        q - quantity(refit_without(model, X, y, pop, sample_weight), X_test, y_test, target)
        for pop in populations
    ])


def agreement(pred, truth):
    """Pearson, slope of pred on truth (least squares through 0), mean abs error."""
    pred, truth = np.ravel(pred), np.ravel(truth)
    return dict(
        pearson=pearsonr(pred, truth)[0],
        spearman=spearmanr(pred, truth)[0],
        slope=float(pred @ truth / (truth @ truth)),
        mae=float(np.abs(pred - truth).mean()),
        median_ae=float(np.median(np.abs(pred - truth))),
    )
