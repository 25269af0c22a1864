"""Numerical edge cases: each gives the right number, checked by refitting."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from _refit import agreement, refit_effects
from skinfluence import InfluenceExplainer

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def _logistic_problem(n=120, p=4, seed=0, margin=1.0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, p))
    logits = margin * (X @ rng.standard_normal(p))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype(int)
    return X, y


def _check_newton_and_first(est, X, y, Xt, yt, min_pearson=0.95, rows=None, target="loss"):
    est.fit(X, y)
    rows = np.arange(min(len(X), 40)) if rows is None else rows
    truth = refit_effects(est, X, y, Xt, yt, rows[:, None], target)
    figs = {}
    for m in ("first_order", "newton"):
        pred = InfluenceExplainer(est, method=m).fit(X, y).influence(Xt, yt, target=target)[:, rows]
        figs[m] = agreement(pred, truth)
    assert figs["first_order"]["pearson"] >= min_pearson, figs
    assert figs["newton"]["pearson"] >= min_pearson, figs
    return figs


def test_near_separable_logistic_regression():
    """Probabilities within 1e-12 of 0 or 1: stable log-loss and sigmoid keep it right."""
    X, y = _logistic_problem(margin=40.0, seed=1)
    est = LogisticRegression(C=100.0, **TIGHT).fit(X, y)
    P = est.predict_proba(X)
    assert (np.minimum(P[:, 0], P[:, 1]) < 1e-12).sum() > 10
    ex = InfluenceExplainer(est).fit(X, y)
    I = ex.influence(X[:10], y[:10])
    si = ex.self_influence()
    assert np.isfinite(I).all() and np.isfinite(si).all() and si.min() >= 0
    _check_newton_and_first(LogisticRegression(C=100.0, **TIGHT), X, y, X[:10], y[:10], 0.95)


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_extreme_feature_scales(scale):
    """X -> scale * X with C -> C / scale^2 has the optimum coef / scale, the same
    probabilities, and so exactly the same influences as the unit-scale problem
    (whose influences are checked against refitting)."""
    import copy

    X, y = _logistic_problem(seed=2)
    unit = LogisticRegression(C=1.0, **TIGHT)
    figs = _check_newton_and_first(unit, X, y, X[:10], y[:10], 0.95)
    scaled = copy.deepcopy(unit).set_params(C=1.0 / scale**2)
    scaled.coef_ = unit.coef_ / scale
    Xs = X * scale
    for method in ("first_order", "newton"):
        ref = InfluenceExplainer(unit, method=method).fit(X, y)
        ex = InfluenceExplainer(scaled, method=method).fit(Xs, y)  # no warning: at optimum
        np.testing.assert_allclose(ex.influence(Xs[:10], y[:10]), ref.influence(X[:10], y[:10]),
                                   rtol=1e-7, atol=1e-10, err_msg=f"{method} {figs}")
        np.testing.assert_allclose(ex.self_influence(), ref.self_influence(), rtol=1e-7, atol=1e-12)


def test_duplicated_rows_and_constant_column():
    X, y = _logistic_problem(seed=3)
    X = np.vstack([X, X[:5]])
    y = np.r_[y, y[:5]]
    X = np.c_[X, np.full(len(X), 3.0)]  # constant: collinear with the intercept
    figs = _check_newton_and_first(LogisticRegression(C=1.0, **TIGHT), X, y, X[:10], y[:10])
    # the duplicate of a row has the same influence as the row
    I = InfluenceExplainer(LogisticRegression(C=1.0, **TIGHT)).fit(X, y).influence(X[:10], y[:10])
    np.testing.assert_allclose(I[:, :5], I[:, -5:], rtol=1e-10, err_msg=str(figs))


def test_more_features_than_rows_with_regularisation():
    rng = np.random.RandomState(4)
    X = rng.standard_normal((30, 80))
    y = X[:, :3].sum(1) + 0.1 * rng.standard_normal(30)
    est = Ridge(alpha=1.0).fit(X, y)
    rows = np.arange(30)
    truth = refit_effects(est, X, y, X[:5] + 0.1, y[:5], rows[:, None])
    pred = InfluenceExplainer(est, method="newton").fit(X, y).influence(X[:5] + 0.1, y[:5])
    err = np.abs(pred - truth).max() / np.abs(truth).max()
    assert err < 1e-8, f"n < p ridge, newton vs refit: {err:.2e}"
    Xl, yl = X[:, :40], (y > 0).astype(int)
    _check_newton_and_first(LogisticRegression(C=0.5, **TIGHT), Xl, yl, Xl[:5], yl[:5], 0.9)


def test_single_feature_and_two_rows_per_class():
    X, y = _logistic_problem(p=1, seed=5)
    _check_newton_and_first(LogisticRegression(**TIGHT), X, y, X[:10], y[:10], 0.95)
    X = np.array([[0.0, 1.0], [0.3, 0.8], [1.0, 0.1], [0.9, -0.2], [-1.0, -1.0], [-0.8, -1.2]])
    y = np.array([0, 0, 1, 1, 2, 2])
    est = LogisticRegression(C=1.0, **TIGHT).fit(X, y)
    # removing one of two rows of a class is a large change: newton must beat first order
    truth = refit_effects(est, X, y, X, y, np.arange(6)[:, None])
    first = InfluenceExplainer(est).fit(X, y).influence(X, y)
    newton = InfluenceExplainer(est, method="newton").fit(X, y).influence(X, y)
    f, n = agreement(first, truth), agreement(newton, truth)
    assert n["mae"] < f["mae"] and n["pearson"] > 0.9, f"first {f}, newton {n}"


def test_float32_input_is_computed_in_float64():
    X, y = _logistic_problem(seed=6)
    X32 = X.astype(np.float32)
    ex = InfluenceExplainer(LogisticRegression(**TIGHT)).fit(X32, y)
    assert ex.estimator_.coef_.dtype == np.float64
    ref = InfluenceExplainer(LogisticRegression(**TIGHT)).fit(X32.astype(np.float64), y)
    np.testing.assert_allclose(ex.influence(X32[:5], y[:5]), ref.influence(X32[:5], y[:5]),
                               rtol=1e-9, atol=1e-14)
    # a model the user fitted in float32 is explained, with the residual gradient reported
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m32 = LogisticRegression(solver="lbfgs", tol=1e-12, max_iter=1000).fit(X32, y)
        ex32 = InfluenceExplainer(m32).fit(X32, y)
    assert ex32.relative_gradient_norm_ < 1e-2, ex32.relative_gradient_norm_
