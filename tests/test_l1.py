"""L1 and elastic-net models (Lasso, ElasticNet, their CV variants) on the active set:
the objective against scikit-learn's fit and finite differences, influence against
refitting on public data sets, and the support-change warning against refits."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    LogisticRegression,
    LogisticRegressionCV,
)
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluenceExplainer
from skinfluence.exceptions import InfluenceWarning
from skinfluence.models import ElasticNetAdapter, make_adapter

TIGHT = dict(tol=1e-12, max_iter=100_000)


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _breast_cancer_radius():
    """Mean radius regressed on the other 29 measurements (scikit-learn)."""
    d = load_breast_cancer()
    return StandardScaler().fit_transform(d.data[:, 1:]), d.data[:, 0]


def _randhie(n=400):
    """Outpatient visits, RAND health insurance experiment (statsmodels)."""
    sm = pytest.importorskip("statsmodels.api")
    d = sm.datasets.randhie.load_pandas().data
    idx = np.random.RandomState(0).choice(len(d), n, replace=False)
    X = d.drop(columns="mdvis").to_numpy(float)[idx]
    return StandardScaler().fit_transform(X), d["mdvis"].to_numpy(float)[idx]


def _explain(est, X, y, method="first_order", sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)
        return InfluenceExplainer(est, method=method).fit(X, y, sample_weight)


def _refit_shifts(ex, X, y, rows, sample_weight=None):
    """theta_hat - theta_hat_{-j} (public layout) and whether sign(w) changed."""
    a, est = ex.adapter_, ex.estimator_
    full = np.r_[np.ravel(est.coef_), est.intercept_]
    shifts, changed = [], []
    for j in rows:
        keep = np.ones(len(y), dtype=bool)
        keep[j] = False
        sw = None if sample_weight is None else sample_weight[keep]
        r = a.refit(X[keep], y[keep], sample_weight=sw)
        shifts.append(full - np.r_[np.ravel(r.coef_), r.intercept_])
        changed.append(np.any(np.sign(r.coef_) != np.sign(est.coef_)))
    return np.array(shifts), np.array(changed)


# ------------------------------------------------------------------ objective
@pytest.mark.parametrize("make", [
    lambda: Lasso(alpha=0.5, **TIGHT),
    lambda: ElasticNet(alpha=0.05, l1_ratio=0.6, **TIGHT),
    lambda: LassoCV(cv=3, **TIGHT),
    lambda: ElasticNetCV(l1_ratio=[0.3, 0.8], cv=3, **TIGHT),
])
def test_objective_is_stationary_at_the_fit_with_weights(make):
    X, y = _diabetes()
    sw = np.random.RandomState(0).uniform(0.2, 3.0, len(y))
    est = make().fit(X, y, sample_weight=sw)
    a = make_adapter(est, y, sw)
    Y = a.encode_target(y)
    grad = a.objective_gradient(a.design(X), Y, sw)
    scale = np.abs(a.data_gradient(a.design(X), Y, sw)).max() + a.l1_strength
    assert np.abs(grad).max() / scale < 1e-8, (
        f"{type(est).__name__}: active-set gradient {np.abs(grad).max():.2e}")
    # inactive coordinates satisfy the optimality condition |G_i| <= lambda_1
    inactive = np.setdiff1d(np.arange(X.shape[1]), a.active)
    r = 2.0 * (est.predict(X) - y) * sw
    assert np.all(np.abs(X[:, inactive].T @ r) <= a.l1_strength * (1 + 1e-8))


def test_gradient_hessian_and_row_share_match_finite_differences():
    X, y = _diabetes()
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    est = ElasticNet(alpha=0.05, l1_ratio=0.6, **TIGHT).fit(X, y, sample_weight=sw)
    a = make_adapter(est, y, sw)
    XA, Y = a.design(X), a.encode_target(y)
    S = sw.sum()
    rho, alpha = a.l1_ratio, a.alpha

    def mean_objective(theta, rows=slice(None)):
        z = a.decision(XA[rows], theta)[:, 0]
        w = theta[: a.n_features]
        s = sw[rows]
        return (0.5 / s.sum() * np.sum(s * (y[rows] - z) ** 2)
                + alpha * rho * np.abs(w).sum() + 0.5 * alpha * (1 - rho) * w @ w)

    theta = a.theta.ravel() + 0.01  # off the optimum, same signs
    assert np.all(np.sign(theta[: a.n_features]) == np.sign(a.theta.ravel()[:-1]))
    h, eye = 1e-5, np.eye(a.n_params)
    fd = np.array([(mean_objective(theta + h * e) - mean_objective(theta - h * e))
                   / (2 * h) for e in eye]) * 2 * S  # sum form = 2 S x mean form
    a.theta = theta.reshape(a.theta.shape)
    grad = a.objective_gradient(XA, Y, sw)
    err = np.abs(fd - grad).max() / np.abs(grad).max()
    assert err < 1e-6, f"gradient vs differences: {err:.2e}"
    H = a.hessian(XA, Y, sw)
    fdH = np.array([(a.objective_gradient(XA, Y, sw) * 0 + 0) for _ in eye])
    for k, e in enumerate(eye):
        a.theta = (theta + h * e).reshape(a.theta.shape)
        gp = a.objective_gradient(XA, Y, sw)
        a.theta = (theta - h * e).reshape(a.theta.shape)
        fdH[k] = (gp - a.objective_gradient(XA, Y, sw)) / (2 * h)
    err = np.abs(fdH - H).max() / np.abs(H).max()
    assert err < 1e-6, f"Hessian vs differences: {err:.2e}"
    # removing row j takes out c_j (grad_j + row_penalty_gradient()) of the sum form
    a.theta = theta.reshape(a.theta.shape)
    j = 7
    keep = np.arange(len(y)) != j
    rest = lambda t: mean_objective(t, keep) * 2 * sw[keep].sum()  # noqa: E731
    fd_rest = np.array([(rest(theta + h * e) - rest(theta - h * e)) / (2 * h)
                        for e in eye])
    row = sw[j] * (2 * (a.decision(XA[j:j + 1])[0, 0] - y[j]) * np.r_[XA[j], 1.0]
                   + a.row_penalty_gradient())
    err = np.abs(grad - row - fd_rest).max() / np.abs(grad).max()
    assert err < 1e-6, f"row's removed term vs differences: {err:.2e}"


# ---------------------------------------------------------- against refits
CASES = [
    ("diabetes Lasso", _diabetes, lambda: Lasso(alpha=0.5, **TIGHT)),
    ("diabetes ElasticNet", _diabetes,
     lambda: ElasticNet(alpha=0.05, l1_ratio=0.7, **TIGHT)),
    ("breast_cancer Lasso", _breast_cancer_radius, lambda: Lasso(alpha=0.03, **TIGHT)),
    ("breast_cancer ElasticNetCV", _breast_cancer_radius,
     lambda: ElasticNetCV(l1_ratio=[0.5, 0.9], alphas=20, cv=3, **TIGHT)),
    ("randhie LassoCV", _randhie, lambda: LassoCV(alphas=20, cv=3, **TIGHT)),
]


@pytest.mark.parametrize("method", ["first_order", "newton"])
@pytest.mark.parametrize("name,data,make", CASES, ids=[c[0] for c in CASES])
def test_params_and_test_loss_match_refits_where_support_is_kept(name, data, make,
                                                                 method):
    X, y = data()
    est = make().fit(X, y)
    ex = _explain(est, X, y, method)
    rows = np.arange(0, len(y), max(1, len(y) // 60))
    truth, changed = _refit_shifts(ex, X, y, rows)
    kept = ~changed
    P = ex.params_influence()[rows]
    assert P.shape[1] == X.shape[1] + 1
    inactive = np.setdiff1d(np.arange(X.shape[1]), ex.adapter_.active)
    assert np.all(P[:, inactive] == 0), "inactive coefficients stay at zero"
    r_params = np.corrcoef(P[kept].ravel(), truth[kept].ravel())[0, 1]
    floor = 0.99 if method == "newton" else 0.95
    assert r_params >= floor, (
        f"{name} {method}: params Pearson {r_params:.5f} on {kept.sum()} rows")
    test = np.arange(1, len(y), 7)[:40]
    pred = ex.influence(X[test], y[test])[:, rows[kept]]
    actual = ex.retrain_effect(X[test], y[test], [[j] for j in rows[kept]])
    r = np.corrcoef(pred.ravel(), actual.ravel())[0, 1]
    assert r >= floor, f"{name} {method}: test-loss Pearson {r:.5f}"
    print(f"{name} {method}: params/test-loss Pearson {r_params:.5f}/{r:.5f}, "
          f"{changed.mean():.1%} of {len(rows)} removals change sign(w)")


def test_sample_weight_and_newton_exact_on_fixed_support():
    X, y = _diabetes()
    sw = np.random.RandomState(2).uniform(0.2, 3.0, len(y))
    est = ElasticNet(alpha=0.02, l1_ratio=0.5, **TIGHT).fit(X, y, sample_weight=sw)
    ex = _explain(est, X, y, "newton", sample_weight=sw)
    rows = np.arange(0, len(y), 15)
    truth, changed = _refit_shifts(ex, X, y, rows, sw)
    kept = ~changed
    err = np.abs(ex.params_influence()[rows][kept] - truth[kept]).max()
    assert err < 1e-5 * np.abs(truth).max(), f"newton vs refits: max error {err:.2e}"


def test_sparse_input_gives_the_dense_answer():
    sp = pytest.importorskip("scipy.sparse")
    X, y = _diabetes()
    est = Lasso(alpha=0.5, **TIGHT).fit(X, y)
    dense = _explain(est, X, y).influence(X[:5], y[:5])
    sparse = _explain(est, sp.csr_matrix(X), y).influence(sp.csr_matrix(X[:5]), y[:5])
    np.testing.assert_allclose(sparse, dense, rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------ the warning
@pytest.mark.parametrize("name,make,n", [
    ("diabetes Lasso n=60", lambda: Lasso(alpha=1.0, **TIGHT), 60),
    ("diabetes ElasticNet n=60", lambda: ElasticNet(alpha=0.05, l1_ratio=0.9, **TIGHT),
     60),
    ("diabetes Lasso n=442", lambda: Lasso(alpha=0.5, **TIGHT), 442),
    ("diabetes Lasso alpha=2", lambda: Lasso(alpha=2.0, **TIGHT), 442),
])
def test_support_change_warning_agrees_with_refits(name, make, n):
    X, y = _diabetes()
    X, y = X[:n], y[:n]
    est = make().fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ex = InfluenceExplainer(est).fit(X, y)
    warned = any(issubclass(w.category, InfluenceWarning)
                 and "signs" in str(w.message) for w in caught)
    rows = np.arange(0, n, max(1, n // 60))
    _, changed = _refit_shifts(ex, X, y, rows)
    a = ex.adapter_
    predicted = a.support_changes(X, ex.Y_, ex.weights_, ex.solver_, rows)
    agree = np.mean(predicted == changed)
    print(f"{name}: refits change sign(w) for {changed.mean():.1%}, predicted "
          f"{predicted.mean():.1%} (all rows {a.support_change_share_:.1%}), "
          f"agreement {agree:.1%}, warned {warned}")
    assert agree >= 0.9, f"{name}: criterion agrees with refits on {agree:.1%}"
    assert warned == (changed.mean() > 0.05), (
        f"{name}: refits change sign(w) for {changed.mean():.1%}, warned={warned}")


# ------------------------------------------------------------- refusals
def test_refuses_what_is_not_supported():
    X, y = _diabetes()
    with pytest.raises(ValueError, match="single target"):
        make_adapter(Lasso().fit(X, np.c_[y, y]), np.c_[y, y], None)
    with pytest.raises(ValueError, match="positive=True"):
        ElasticNetAdapter(Lasso(positive=True).fit(X, y), y, None)


def test_cv_variants_refit_at_the_chosen_penalty():
    X, y = _diabetes()
    est = ElasticNetCV(l1_ratio=[0.2, 0.7], alphas=10, cv=3).fit(X, y)
    refit = make_adapter(est, y, None).refit_estimator()
    assert isinstance(refit, ElasticNet)
    assert (refit.alpha, refit.l1_ratio) == (est.alpha_, est.l1_ratio_)
    refit = make_adapter(LassoCV(alphas=10, cv=3).fit(X, y), y, None)
    assert type(refit.refit_estimator()) is Lasso


# ------------------------------------------------- LogisticRegression, l1_ratio > 0
def _fair(n=400):
    """Whether a woman reported an affair (statsmodels' fair data)."""
    sm = pytest.importorskip("statsmodels.api")
    d = sm.datasets.fair.load_pandas().data
    idx = np.random.RandomState(0).choice(len(d), n, replace=False)
    X = d.drop(columns="affairs").to_numpy(float)[idx]
    return StandardScaler().fit_transform(X), (d["affairs"].to_numpy()[idx] > 0) * 1


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


SAGA = dict(solver="saga", tol=1e-10, max_iter=100_000)
LOGISTIC_CASES = [
    ("breast_cancer L1", _breast_cancer,
     lambda: LogisticRegression(C=0.1, l1_ratio=1.0, **SAGA)),
    ("breast_cancer elastic-net", _breast_cancer,
     lambda: LogisticRegression(C=0.1, l1_ratio=0.5, **SAGA)),
    ("fair L1", _fair, lambda: LogisticRegression(C=0.3, l1_ratio=1.0, **SAGA)),
]


@pytest.mark.parametrize("name,data,make", LOGISTIC_CASES,
                         ids=[c[0] for c in LOGISTIC_CASES])
def test_logistic_l1_matches_refits_on_the_active_set(name, data, make):
    X, y = data()
    est = make().fit(X, y)
    a = make_adapter(est, y, None)
    assert type(a).__name__ == "LogisticL1Adapter"
    w = np.ones(len(y))
    grad = a.objective_gradient(a.design(X), a.encode_target(y), w)
    assert np.abs(grad).max() < 1e-6 * a.l1_strength, f"{name}: not stationary"
    rows = np.arange(0, len(y), len(y) // 20)
    P = {m: _explain(est, X, y, m).params_influence()[rows]
         for m in ("first_order", "newton")}
    truth, changed = _refit_shifts(_explain(est, X, y), X, y, rows)
    kept = ~changed
    for method, floor in (("first_order", 0.95), ("newton", 0.99)):
        r = np.corrcoef(P[method][kept].ravel(), truth[kept].ravel())[0, 1]
        print(f"{name} {method}: params Pearson {r:.5f} on {kept.sum()} rows, "
              f"{len(a.active)} of {X.shape[1]} active")
        assert r >= floor, f"{name} {method}: params Pearson {r:.5f}"


def test_logistic_l1_refusals():
    X, y = _breast_cancer()
    cv = LogisticRegressionCV(Cs=[0.1], l1_ratios=[1.0], solver="saga", cv=2,
                              max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv.fit(X[:, :5], y)
    with pytest.raises(ValueError, match="L1 part"):
        make_adapter(cv, y, None)


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_population_effects_keep_the_refit_sign(method):
    X, y = _diabetes()
    est = Lasso(alpha=0.5, **TIGHT).fit(X, y)
    ex = _explain(est, X, y, method)
    rng = np.random.RandomState(0)
    pops = [rng.choice(len(y), 22, replace=False) for _ in range(20)]
    test = np.arange(0, len(y), 11)
    pred = ex.population_influence(X[test], y[test], pops)
    actual = ex.retrain_effect(X[test], y[test], pops)
    kept = []
    for pop in pops:
        keep = np.ones(len(y), dtype=bool)
        keep[pop] = False
        refit = ex.adapter_.refit(X[keep], y[keep])
        kept.append(np.all(np.sign(refit.coef_) == np.sign(est.coef_)))
    kept = np.array(kept)
    big = np.abs(actual) >= 0.1 * np.abs(actual).max()
    same_all = np.mean(np.sign(pred[big]) == np.sign(actual[big]))
    big[:, ~kept] = False
    same = np.mean(np.sign(pred[big]) == np.sign(actual[big]))
    r = np.corrcoef(pred[:, kept].ravel(), actual[:, kept].ravel())[0, 1]
    print(f"Lasso populations of 5% ({method}): {kept.sum()} of 20 keep sign(w); "
          f"sign kept {same:.1%} of their {big.sum()} large effects (all "
          f"populations: {same_all:.1%}), Pearson {r:.4f}")
    assert kept.sum() >= 5
    assert same == 1.0, f"{method}: sign kept for {same:.1%} of the large effects"
