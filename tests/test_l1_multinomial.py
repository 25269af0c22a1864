"""Multinomial LogisticRegression with an L1 part (l1_ratio > 0, saga) on its per-class
active set: the restricted objective against an independent numpy objective and finite
differences, influence against refitting (iris, wine, a 4-class case where features
are active in every class), population effects, and the support-change warning."""

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluenceExplainer
from skinfluence.exceptions import InfluenceWarning
from skinfluence.models import make_adapter

from _refit import refit_effects

SAGA = dict(solver="saga", tol=1e-10, max_iter=100_000)


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _four_quadrants(n=200):
    """4 classes on two features, each splitting the classes two against two: with
    l1_ratio=1 both are active in every class (sum of signs 0), a flat direction."""
    rng = np.random.RandomState(0)
    y = np.arange(n) % 4
    X = rng.normal(size=(n, 4))
    X[:, 0] += 1.5 * np.where(y < 2, 1, -1)
    X[:, 1] += 1.5 * np.where(y % 2 == 0, 1, -1)
    return StandardScaler().fit_transform(X), y


def _explain(est, X, y, method="first_order", sample_weight=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)
        return InfluenceExplainer(est, method=method, **kw).fit(X, y, sample_weight)


def _identified(A, a):
    """Public-layout rows with the null space projected out: the softmax's common
    shifts, which no refit identifies (and the frozen zeros, zero while kept)."""
    N = a.to_public(a.null_space().T).T  # orthonormal: the scatter is an isometry
    return A - (A @ N) @ N.T


def _refit_shifts(ex, X, y, rows):
    """theta_hat - theta_hat_{-j} (public layout) and whether sign(W) changed."""
    a, est = ex.adapter_, ex.estimator_
    full = np.r_[est.coef_.ravel(), est.intercept_]
    shifts, changed = [], []
    for j in rows:
        keep = np.arange(len(y)) != j
        r = a.refit(X[keep], y[keep])
        shifts.append(full - np.r_[r.coef_.ravel(), r.intercept_])
        changed.append(np.any(np.sign(r.coef_) != np.sign(est.coef_)))
    return np.array(shifts), np.array(changed)


def _mean_objective(est, X, y, sw, coef, intercept):
    """scikit-learn's saga objective divided by C n, in plain numpy (independent)."""
    C, rho = est.C, est.l1_ratio
    Z = X @ coef.T + intercept
    loss = logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]
    return (C * np.sum(sw * loss) + 0.5 * (1 - rho) * np.sum(coef**2)
            + rho * np.abs(coef).sum()) / (C * len(y))


# ------------------------------------------------------------------ objective
@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_restricted_gradient_and_hessian_match_finite_differences(rho):
    X, y = _iris()
    sw = np.random.RandomState(0).uniform(0.3, 3.0, len(y))
    est = LogisticRegression(C=0.3, l1_ratio=rho, **SAGA).fit(X, y, sample_weight=sw)
    a = make_adapter(est, y, sw)
    XA, Y = a.design(X), a.encode_target(y)
    assert type(a).__name__ == "LogisticL1Adapter" and a.frozen.any()
    K, d = a.theta.shape
    # at the fit: scikit-learn's optimum is stationary on the active entries ...
    grad = a.objective_gradient(XA, Y, sw)
    assert np.abs(grad).max() < 1e-6 * a.l1_strength, f"gradient {np.abs(grad).max()}"
    # ... and each zero entry satisfies |G_ki| <= lambda_1 (per class, every feature)
    P = est.predict_proba(X)
    P[np.arange(len(y)), y] -= 1.0
    G = (P * sw[:, None]).T @ X + (1 - rho) / est.C * est.coef_
    slack = np.abs(G[est.coef_ == 0]).max() / a.l1_strength
    assert slack <= 1 + 1e-6, f"inactive entries: max |G| / lambda_1 = {slack:.6f}"

    def public(theta):  # the active layout scattered into coef_, intercept_
        flat = a.to_public(theta)
        return flat[: K * X.shape[1]].reshape(K, -1), flat[K * X.shape[1]:]

    theta = a.theta.ravel() + 0.01 * np.sign(a.theta.ravel()) * ~a.frozen
    F = lambda t: _mean_objective(est, X, y, sw, *public(t)) * len(y)  # noqa: E731
    h, on = 1e-6, np.flatnonzero(~a.frozen)
    fd = np.array([(F(theta + h * e) - F(theta - h * e)) / (2 * h)
                   for e in np.eye(a.n_params)[on]])
    a.theta = theta.reshape(K, d)
    grad = a.objective_gradient(XA, Y, sw)
    err = np.abs(fd - grad[on]).max() / np.abs(grad).max()
    assert err < 1e-6, f"gradient vs differences: {err:.2e}"
    assert np.all(grad[a.frozen] == 0)
    H = a.hessian(XA, Y, sw)
    fdH = np.empty((len(on), a.n_params))
    for i, e in enumerate(np.eye(a.n_params)[on]):
        a.theta = (theta + 1e-5 * e).reshape(K, d)
        gp = a.objective_gradient(XA, Y, sw)
        a.theta = (theta - 1e-5 * e).reshape(K, d)
        fdH[i] = (gp - a.objective_gradient(XA, Y, sw)) / 2e-5
    err = np.abs(fdH[:, on] - H[np.ix_(on, on)]).max() / np.abs(H).max()
    assert err < 1e-6, f"Hessian vs differences: {err:.2e}"
    assert np.all(H[a.frozen] == 0) and np.all(H[:, a.frozen] == 0)
    N = a.null_space()
    assert np.abs(H @ N).max() < 1e-10 * np.abs(H).max(), "null space of H"
    assert np.abs(a.row_gradients(XA, Y, sw) @ N).max() < 1e-10, "rows' gradients"


def test_feature_active_in_every_class_is_a_null_direction():
    X, y = _four_quadrants()
    est = LogisticRegression(C=0.1, l1_ratio=1.0, **SAGA).fit(X, y)
    a = make_adapter(est, y, None)
    assert a.support[:, :2].all(), "features 0 and 1 active in all four classes"
    assert np.all(np.sign(est.coef_[:, :2]).sum(axis=0) == 0)
    XA, Y, w = a.design(X), a.encode_target(y), np.ones(len(y))
    H, N = a.hessian(XA, Y, w), a.null_space()
    assert N.shape[1] == a.frozen.sum() + 3, "intercepts and the two features"
    eig = np.linalg.eigvalsh(H)
    assert np.sum(eig < 1e-10 * eig.max()) == N.shape[1], f"eigenvalues {eig[:6]}"
    assert np.abs(H @ N).max() < 1e-10 * eig.max()
    # an elastic-net part penalises the shift: only the intercepts stay free
    est2 = LogisticRegression(C=0.1, l1_ratio=0.9, **SAGA).fit(X, y)
    a2 = make_adapter(est2, y, None)
    assert a2.null_space().shape[1] == a2.frozen.sum() + 1


# ---------------------------------------------------------- against refits
CASES = [
    ("iris L1", _iris, dict(C=0.3, l1_ratio=1.0)),
    ("iris elastic-net", _iris, dict(C=0.1, l1_ratio=0.5)),
    ("wine L1", _wine, dict(C=0.1, l1_ratio=1.0)),
    ("wine elastic-net", _wine, dict(C=0.3, l1_ratio=0.5)),
    ("4 classes, shared features, L1", _four_quadrants, dict(C=0.1, l1_ratio=1.0)),
]


@pytest.mark.parametrize("name,data,params", CASES, ids=[c[0] for c in CASES])
def test_params_and_test_loss_match_refits_where_support_is_kept(name, data, params):
    X, y = data()
    est = LogisticRegression(**params, **SAGA).fit(X, y)
    exs = {m: _explain(est, X, y, m) for m in ("first_order", "newton")}
    a = exs["newton"].adapter_
    rows = np.arange(0, len(y), len(y) // 20)
    truth, changed = _refit_shifts(exs["newton"], X, y, rows)
    kept = ~changed
    assert kept.sum() >= 12, f"{name}: only {kept.sum()} removals keep the support"
    truth = _identified(truth, a)
    test = np.arange(1, len(y), 5)
    actual = exs["newton"].retrain_effect(X[test], y[test], [[j] for j in rows[kept]])
    line = [f"{name}: {changed.mean():.0%} of {len(rows)} removals change sign(W)"]
    for method, floor in (("first_order", 0.95), ("newton", 0.99)):
        P = exs[method].params_influence()[rows]
        zero = np.r_[~a.support.ravel(), np.zeros(a.n_outputs, dtype=bool)]
        assert np.all(P[:, zero] == 0), f"{method}: zero coefficients moved"
        P = _identified(P, a)
        r_params = np.corrcoef(P[kept].ravel(), truth[kept].ravel())[0, 1]
        pred = exs[method].influence(X[test], y[test])[:, rows[kept]]
        r_loss = np.corrcoef(pred.ravel(), actual.ravel())[0, 1]
        line.append(f"{method} params/test-loss Pearson {r_params:.5f}/{r_loss:.5f}")
        assert min(r_params, r_loss) >= floor, "; ".join(line)
    print("; ".join(line))


@pytest.mark.parametrize("target", ["proba", "prediction"])
def test_other_targets_match_refits(target):
    X, y = _iris()
    est = LogisticRegression(C=0.1, l1_ratio=0.5, **SAGA).fit(X, y)
    ex = _explain(est, X, y, "newton")
    rows = np.arange(0, len(y), 10)
    test = np.arange(2, len(y), 6)
    pred = ex.influence(X[test], y[test], target=target)[:, rows]
    actual = refit_effects(est, X, y, X[test], y[test], [[j] for j in rows], target)
    r = np.corrcoef(pred.ravel(), actual.ravel())[0, 1]
    print(f"iris elastic-net newton, target={target}: Pearson {r:.5f}")
    assert r >= 0.99, f"target={target}: Pearson {r:.5f}"


def test_solvers_sparse_input_and_self_influence_agree():
    sp = pytest.importorskip("scipy.sparse")
    X, y = _wine()
    est = LogisticRegression(C=0.3, l1_ratio=0.5, **SAGA).fit(X, y)
    exact = _explain(est, X, y)
    ref = exact.influence(X[:6], y[:6])
    for other in (_explain(est, X, y, solver="cg"), _explain(est, sp.csr_matrix(X), y)):
        got = other.influence(X[:6], y[:6])
        err = np.abs(got - ref).max() / np.abs(ref).max()
        assert err < 1e-6, f"{type(other.solver_).__name__}: relative error {err:.1e}"
    for method in ("first_order", "newton"):
        ex = _explain(est, X, y, method)
        diag = np.diag(ex.influence(X, y))
        np.testing.assert_allclose(ex.self_influence(), diag, rtol=1e-7, atol=1e-12)


def test_population_effects_keep_the_refit_sign():
    X, y = _wine()
    est = LogisticRegression(C=0.3, l1_ratio=0.5, **SAGA).fit(X, y)
    ex = _explain(est, X, y, "newton")
    fo = _explain(est, X, y)
    rng = np.random.RandomState(0)
    pops = [rng.choice(len(y), 9, replace=False) for _ in range(12)]  # 5% each
    test = np.arange(0, len(y), 6)
    actual = ex.retrain_effect(X[test], y[test], pops)
    refits = [ex.adapter_.refit(np.delete(X, p, 0), np.delete(y, p)) for p in pops]
    kept = np.array([np.all(np.sign(r.coef_) == np.sign(est.coef_)) for r in refits])
    assert kept.sum() >= 4, f"only {kept.sum()} populations keep the support"
    big = np.abs(actual) >= 0.1 * np.abs(actual).max()
    for name, e in (("newton", ex), ("first_order", fo)):
        pred = e.population_influence(X[test], y[test], pops)
        same_all = np.mean(np.sign(pred[big]) == np.sign(actual[big]))
        mask = big & kept[None, :]
        same = np.mean(np.sign(pred[mask]) == np.sign(actual[mask]))
        r = np.corrcoef(pred[:, kept].ravel(), actual[:, kept].ravel())[0, 1]
        print(f"wine elastic-net populations of 5% ({name}): {kept.sum()} of 12 keep "
              f"sign(W); sign kept {same:.1%} of {mask.sum()} large effects (all "
              f"populations {same_all:.1%}), Pearson {r:.4f}")
        assert same == 1.0, f"{name}: sign kept for {same:.1%} of the large effects"


# ------------------------------------------------------------ the warning
@pytest.mark.parametrize("name,data,params", [
    ("iris L1 C=0.3", _iris, dict(C=0.3, l1_ratio=1.0)),
    ("wine L1 C=0.1", _wine, dict(C=0.1, l1_ratio=1.0)),
    ("wine L1 C=0.1, 60 rows", lambda: tuple(a[::3] for a in _wine()),
     dict(C=0.1, l1_ratio=1.0)),
])
def test_support_change_warning_agrees_with_refits(name, data, params):
    X, y = data()
    est = LogisticRegression(**params, **SAGA).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ex = InfluenceExplainer(est).fit(X, y)
    warned = any(issubclass(w.category, InfluenceWarning)
                 and "signs" in str(w.message) for w in caught)
    rows = np.arange(0, len(y), max(1, len(y) // 40))
    _, changed = _refit_shifts(ex, X, y, rows)
    a = ex.adapter_
    predicted = a.support_changes(X, ex.Y_, ex.weights_, ex.solver_, rows)
    agree = np.mean(predicted == changed)
    print(f"{name}: refits change sign(W) for {changed.mean():.1%}, predicted "
          f"{predicted.mean():.1%} (all rows {a.support_change_share_:.1%}), "
          f"agreement {agree:.1%}, warned {warned}")
    assert agree >= 0.9, f"{name}: criterion agrees with refits on {agree:.1%}"
    assert warned == (changed.mean() > 0.05), (
        f"{name}: refits change sign(W) for {changed.mean():.1%}, warned={warned}")
