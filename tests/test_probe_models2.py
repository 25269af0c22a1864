"""Model adapters on data shapes a demanding user brings: features on scales from
1e-6 to 1e6, against refits (or clear refusals / warnings)."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import (HuberRegressor, Lasso, LinearRegression,
                                  LogisticRegression, LogisticRegressionCV)

from skinfluence import InfluenceExplainer
from skinfluence.exceptions import InfluenceWarning, SingularHessianError
from skinfluence.influence import gradient_norms
from skinfluence.models import make_adapter

from _refit import agreement, refit_effects

SCALES = np.array([1e-6, 1e-3, 1.0, 1e3, 1e6])


def _gaussian(n=60, seed=1):
    rng = np.random.RandomState(seed)
    X, Xt = rng.randn(n, 5), rng.randn(8, 5)
    w = rng.randn(5)
    return X, X @ w + 0.5 * rng.randn(n), Xt, Xt @ w + 0.5 * rng.randn(8)


def _standardised(loader, n_features=None):
    X, y = loader(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    return X if n_features is None else X[:, :n_features], y


def test_linear_regression_cut_off_by_its_lstsq_tol_is_refused():
    # LinearRegression's dense fit is lstsq(cond=tol=1e-6): on these scales it
    # drops two informative directions, so coef_ is not the least-squares optimum.
    # Unrefused, first-order influences had Pearson -0.29 with the refits.
    X, y, Xt, yt = _gaussian()
    Xs, Xts = X * SCALES, Xt * SCALES
    est = LinearRegression().fit(Xs, y)
    assert est.rank_ == 3
    with pytest.raises(ValueError, match=r"tol=1e-06\) treated 2 of the 5 .*"
                                         "StandardScaler"):
        InfluenceExplainer(est).fit(Xs, y)
    # the same data with a tol that keeps every direction: exact leave-one-out
    est = LinearRegression(tol=1e-15).fit(Xs, y)
    rows = np.arange(0, 60, 5)
    pred = InfluenceExplainer(est, method="newton").fit(Xs, y).influence(Xts, yt)
    truth = refit_effects(est, Xs, y, Xts, yt, [[j] for j in rows])
    g = agreement(pred[:, rows], truth)
    assert g["pearson"] > 0.99999 and abs(g["slope"] - 1) < 1e-4, g


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exactly_collinear_linear_regression_still_goes_to_damping(dtype):
    # dropped singular values at rounding level (of X's own precision: 1.4e-6 for
    # float32): the Hessian is singular, and the error there names damping (the
    # refusal above is for informative directions)
    X, y, _, _ = _gaussian()
    Xd = np.c_[X, 2.0 * X[:, 0]].astype(dtype)
    est = LinearRegression().fit(Xd, y)
    assert est.rank_ == 5
    with pytest.raises(SingularHessianError, match="damping"):
        InfluenceExplainer(est).fit(Xd, y)


def test_stationarity_check_sees_a_stopped_fit_on_a_large_scale_column():
    # lbfgs stopped after 10 iterations with one column on a scale of 1e5. The old
    # check divided ||grad F|| by a row-gradient norm that this column dominates
    # (0.145 < 1: silent) while the influences had Pearson 0.30 with those of the
    # converged model.
    X, y = _standardised(load_breast_cancer, 6)
    Xs = X * np.r_[1e5, np.ones(5)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning
        stopped = LogisticRegression(max_iter=10, tol=1e-12).fit(Xs, y)
    converged = LogisticRegression(solver="newton-cholesky", tol=1e-12).fit(Xs, y)
    with pytest.warns(InfluenceWarning, match="not at an optimum") as caught:
        ex = InfluenceExplainer(stopped).fit(Xs, y)
    rows = slice(0, 20)
    r = np.corrcoef(ex.influence(Xs[rows], y[rows]).ravel(), InfluenceExplainer(
        converged).fit(Xs, y).influence(Xs[rows], y[rows]).ravel())[0, 1]
    assert r < 0.9, f"the warned influences agree with the optimum's (r={r:.3f})"
    print(f"warned: {caught[0].message}; Pearson with the optimum's: {r:.3f}")


def test_stationarity_figure_does_not_depend_on_the_features_scales():
    # no penalty: the model fitted on X maps exactly to one on X * scales
    X, y = _standardised(load_breast_cancer, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LogisticRegression(C=np.inf, max_iter=8).fit(X, y)
    scaled = copy.deepcopy(est)
    scaled.coef_ = est.coef_ / SCALES
    figures = []
    for model, Z in [(est, X), (scaled, X * SCALES)]:
        a = make_adapter(model, y, None)
        Y = a.encode_target(y)
        figures.append(gradient_norms(a, Z, Y, a.row_weights(Y, np.ones(len(y))))[1])
    assert figures[0] > 1.0, figures  # stopped early: warned either way
    np.testing.assert_allclose(figures[1], figures[0], rtol=1e-6,
                               err_msg=f"relative gradient {figures}")


def test_huber_with_a_tiny_scale_column_is_not_refused_as_singular():
    # alpha=0: the fit on X maps exactly to one on X * scales (column 0 by 1e-7).
    # The pivot test compared pivots with H's largest diagonal entry, so it called
    # this Hessian singular ("only 260 of 402 rows lie in the quadratic zone").
    X, y = _standardised(load_diabetes)
    y = (y - y.mean()) / y.std()
    scales = np.r_[1e-7, np.ones(X.shape[1] - 1)]
    Xtr, ytr, Xt, yt = X[40:], y[40:], X[:40], y[:40]
    est = HuberRegressor(alpha=0.0, tol=1e-12, max_iter=10_000).fit(Xtr, ytr)
    scaled = copy.deepcopy(est)
    scaled.coef_ = est.coef_ / scales
    pred = InfluenceExplainer(scaled, method="newton").fit(Xtr * scales, ytr)
    pred = pred.influence(Xt * scales, yt, target="prediction")
    rows = np.arange(0, len(ytr), 40)
    truth = np.column_stack([
        est.predict(Xt) - _refit_without(est, Xtr, ytr, j).predict(Xt) for j in rows
    ])
    g = agreement(pred[:, rows], truth)
    assert g["pearson"] > 0.99 and abs(g["slope"] - 1) < 0.05, g
    unscaled = InfluenceExplainer(est, method="newton").fit(Xtr, ytr)
    np.testing.assert_allclose(
        pred, unscaled.influence(Xt, yt, target="prediction"), rtol=1e-6, atol=1e-12)


def _refit_without(est, X, y, j):
    keep = np.arange(len(y)) != j
    new = clone(est).set_params(warm_start=True)
    new.coef_, new.intercept_, new.scale_ = est.coef_.copy(), est.intercept_, est.scale_
    return new.fit(X[keep], y[keep])


def _wide_lasso():
    # 12 rows, 30 features: 11 active coefficients plus the intercept, so every
    # row has leverage 1 on the active set
    rng = np.random.RandomState(3)
    X = rng.randn(12, 30)
    y = X @ rng.randn(30)
    est = Lasso(alpha=0.05, tol=1e-12, max_iter=100_000).fit(X, y)
    assert np.count_nonzero(est.coef_) == 11
    return est, X, y


def test_lasso_with_as_many_active_coefficients_as_rows_fits_with_a_warning():
    # fit's support check solved I - c_j D_j J_j H^-1 J_j^T for each row, singular
    # at leverage 1: numpy's "Singular matrix" from fit, even for first_order
    est, X, y = _wide_lasso()
    with pytest.warns(InfluenceWarning, match=r"Removing 100\.0% of the training"):
        ex = InfluenceExplainer(est).fit(X, y)
    changed = 0
    for j in range(len(y)):  # the refits: the support does change without any row
        keep = np.arange(len(y)) != j
        refit = clone(est).fit(X[keep], y[keep])
        changed += not np.array_equal(np.sign(refit.coef_), np.sign(est.coef_))
    assert changed == len(y), f"{changed} of {len(y)} refits changed the support"
    assert np.isfinite(ex.influence(X[:3], y[:3])).all()
    with pytest.warns(InfluenceWarning), pytest.raises(np.linalg.LinAlgError,
                                                       match="leverage 1"):
        InfluenceExplainer(est, method="newton").fit(X, y).influence(X[:3], y[:3])


def test_huber_newton_population_leaving_too_few_quadratic_rows_is_refused():
    # removing 15 of the 16 rows in the quadratic zone: H - H_S is singular and
    # numpy's solve returned influences of 1.9e15
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    y = X @ [1.0, 2.0, 3.0] + rng.randn(30)
    y[:8] += 10
    est = HuberRegressor(tol=1e-12, max_iter=10_000).fit(X, y)
    inside = np.flatnonzero(np.abs(y - est.predict(X)) <= est.epsilon * est.scale_)
    assert len(inside) == 16
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    with pytest.raises(np.linalg.LinAlgError, match="quadratic zone"):
        ex.population_influence(X[:2], y[:2], [inside[:-1]])
    # populations that leave enough of them: tests/test_huber.py, against refits


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_liblinear_logistic_without_intercept_against_refits(l1_ratio):
    # liblinear penalises only its intercept column: without one, its objective
    # is C sum logloss + penalty like lbfgs'. It was refused all the same.
    X, y = _standardised(load_breast_cancer, 8)
    X, y, Xt, yt = X[:120], y[:120], X[120:140], y[120:140]
    est = LogisticRegression(solver="liblinear", fit_intercept=False, C=0.3,
                             l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(X, y)
    pred = InfluenceExplainer(est, method="newton").fit(X, y).influence(Xt, yt)
    rows = np.arange(0, 120, 6)
    truth = refit_effects(est, X, y, Xt, yt, [[j] for j in rows])
    g = agreement(pred[:, rows], truth)
    assert g["pearson"] > 0.99 and abs(g["slope"] - 1) < 0.1, g
    with pytest.raises(ValueError, match="fit_intercept=False"):
        InfluenceExplainer(clone(est).set_params(fit_intercept=True)).fit(X, y)


def test_logistic_regression_cv_without_refit_is_refused():
    # refit=False: coef_ is the mean of the folds' coefficients, 24 times a typical
    # row's gradient term away from any optimum; only the stationarity warning
    # said so, never naming refit
    X, y = _standardised(load_breast_cancer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est = LogisticRegressionCV(Cs=4, cv=3, refit=False, l1_ratios=(0.0,),
                                   scoring="neg_log_loss", max_iter=5000).fit(X, y)
    with pytest.raises(ValueError, match=r"refit=False\) averages"):
        InfluenceExplainer(est).fit(X, y)
