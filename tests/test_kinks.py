"""method="newton" on piecewise-quadratic losses follows the rows crossing a kink.

Truth is the exact optimum of the objective without the rows (SGD: scipy on the
stated objective, tests/test_sgd.py's ``exact_optimum``; LinearSVC / LinearSVR:
liblinear refits at tol=1e-10). The explained model is moved to the exact
optimum, so the only approximation left is the method's: with kinks followed,
Newton's removal shifts are the exact optima (to the solvers' tolerance), where
one Newton step misses every row whose removal moves another row across a kink.
"""

import copy
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from test_sgd import (_data, _multiclass, _sgd, _sklearn_loss, _svm,
                      exact_optimum)

import skinfluence.influence.shifts as shifts_module
from skinfluence import InfluenceExplainer
from skinfluence.influence import FittedObjective, KinkSides, own_decision_shifts


def _at_optimum(loss, data, n_test=0):
    """SGD fitted, then moved to the exact optimum of its objective."""
    X, y = _data(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd(loss).fit(X, y)
    full = exact_optimum(loss, X, y, np.append(est.coef_.ravel(), est.intercept_))
    at = copy.deepcopy(est)
    at.coef_ = full[:-1].reshape(np.shape(est.coef_))
    at.intercept_ = full[-1:].reshape(np.shape(est.intercept_))
    return at, X, y, full


def _one_step(monkeypatch):
    """Newton's single step: the kinks not followed."""
    monkeypatch.setattr(shifts_module, "has_kinks", lambda adapter: False)


def _errors(shifts, truth):
    return np.abs(shifts - truth).max(axis=1) / np.abs(truth).max()


@pytest.mark.parametrize("loss, data", [
    ("modified_huber", "breast_cancer"), ("squared_hinge", "breast_cancer"),
    ("modified_huber", "fair"), ("huber", "engel"),
    ("squared_epsilon_insensitive", "diabetes")])
def test_newton_shifts_are_the_exact_optima(loss, data, monkeypatch):
    at, X, y, full = _at_optimum(loss, data)
    rows = np.random.RandomState(0).choice(len(y), 40, replace=False)
    truth = np.array([exact_optimum(loss, np.delete(X, j, 0), np.delete(y, j), full)
                      for j in rows]) - full
    ex = InfluenceExplainer(at, method="newton").fit(X, y)
    followed = _errors(-ex.params_influence()[rows], truth)
    _one_step(monkeypatch)
    single = _errors(-ex.params_influence()[rows], truth)
    assert followed.max() < 1e-5, (
        f"{loss}-{data}: max relative error {followed.max():.2e} with kinks followed")
    crossing = single > 1e-4
    print(f"{loss}-{data}: one step misses {crossing.sum()} of 40 rows (max "
          f"{single.max():.2e}); followed: max {followed.max():.2e}")
    if "breast_cancer" in data:  # nearly separable: removals move rows across
        assert crossing.sum() >= 3, f"only {crossing.sum()} rows cross: no test"


def test_population_newton_follows_kinks(monkeypatch):
    loss = "modified_huber"
    at, X, y, full = _at_optimum(loss, "breast_cancer")
    rng = np.random.RandomState(1)
    test = rng.choice(len(y), 30, replace=False)
    pops = [rng.choice(len(y), size, replace=False) for size in (5, 10, 20, 40)]

    def q(theta):
        return -_sklearn_loss(loss, X[test] @ theta[:-1] + theta[-1], y[test])[0]

    truth = np.column_stack([
        q(full) - q(exact_optimum(loss, np.delete(X, p, 0), np.delete(y, p), full))
        for p in pops])
    ex = InfluenceExplainer(at, method="newton").fit(X, y)
    got = ex.population_influence(X[test], y[test], pops)
    _one_step(monkeypatch)
    one = ex.population_influence(X[test], y[test], pops)
    scale = np.abs(truth).max()
    err, err_one = np.abs(got - truth).max() / scale, np.abs(one - truth).max() / scale
    assert err < 1e-5, \
        f"populations: max relative error {err:.2e} (one step {err_one:.2e})"
    assert err_one > 1e-3, f"one step already exact ({err_one:.2e}): no test"


def test_one_vs_rest_newton_is_exact():
    loss = "modified_huber"
    X, y = _multiclass("iris")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd(loss).fit(X, y)
    K = len(est.classes_)
    full = [exact_optimum(loss, X, (y == k) * 1.0,
                          np.append(est.coef_[k], est.intercept_[k])) for k in range(K)]
    at = copy.deepcopy(est)
    at.coef_ = np.array([t[:-1] for t in full])
    at.intercept_ = np.array([t[-1] for t in full])
    rows = np.random.RandomState(0).choice(len(y), 25, replace=False)
    truth = []
    for j in rows:
        opt = [exact_optimum(loss, np.delete(X, j, 0), np.delete((y == k) * 1.0, j),
                             full[k]) for k in range(K)]
        truth.append(np.concatenate([np.ravel([o[:-1] - f[:-1] for o, f in
                                               zip(opt, full)]),
                                     [o[-1] - f[-1] for o, f in zip(opt, full)]]))
    ex = InfluenceExplainer(at, method="newton").fit(X, y)
    err = _errors(-ex.params_influence()[rows], np.array(truth))
    assert err.max() < 1e-5, f"one-vs-rest: max relative error {err.max():.2e}"


@pytest.mark.parametrize("name, data", [("LinearSVC", "breast_cancer"),
                                        ("LinearSVR", "diabetes")])
def test_liblinear_newton_matches_refits(name, data, monkeypatch):
    X, y = _data(data)
    est = _svm(name).fit(X, y)
    rows = np.random.RandomState(0).choice(len(y), 40, replace=False)
    theta = np.append(est.coef_.ravel(), est.intercept_)
    truth = []
    for j in rows:
        m = clone(est).fit(np.delete(X, j, 0), np.delete(y, j))
        truth.append(np.append(m.coef_.ravel(), m.intercept_) - theta)
    truth = np.array(truth)
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    followed = _errors(-ex.params_influence()[rows], truth)
    cg = InfluenceExplainer(est, method="newton", solver="cg").fit(X, y)
    assert np.allclose(cg.self_influence(), ex.self_influence(), rtol=1e-5, atol=1e-12)
    csr = InfluenceExplainer(est, method="newton").fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(csr.params_influence(), ex.params_influence(),
                               rtol=1e-9, atol=1e-14)
    _one_step(monkeypatch)
    single = _errors(-ex.params_influence()[rows], truth)
    assert followed.max() < 1e-4, (
        f"{name}: max relative error {followed.max():.2e} "
        f"(one step {single.max():.2e})")
    print(f"{name}-{data}: one step max {single.max():.2e}, followed "
          f"{followed.max():.2e}")


def test_every_newton_route_follows_kinks():
    """self_influence, influence and the pruner's own-row values agree with the
    parameter shifts (all from the same followed steps)."""
    at, X, y, _ = _at_optimum("squared_hinge", "breast_cancer")
    ex = InfluenceExplainer(at, method="newton").fit(X, y)
    shifts = -ex.params_influence()
    dz = X @ shifts[:, :-1].T + shifts[:, -1]  # (n_train rows of X, removals)
    z = at.decision_function(X)
    own = np.diag(dz)
    obj = FittedObjective(ex.adapter_, ex.design_, ex.Y_, ex.weights_, ex.solver_,
                          ex.operator_)
    np.testing.assert_allclose(own_decision_shifts(obj)[:, 0], own, atol=1e-12)
    loss = lambda m: np.maximum(0, 1 - m) ** 2  # noqa: E731
    s = 2.0 * y - 1
    self_inf = loss(s * (z + own)) - loss(s * z)
    np.testing.assert_allclose(ex.self_influence(), self_inf, atol=1e-12)
    test = np.arange(10)
    infl = loss(s[test, None] * z[test, None]) - loss(s[test, None] * (z[test, None]
                                                                        + dz[test]))
    np.testing.assert_allclose(ex.influence(X[test], y[test]), -infl, atol=1e-12)
    sides = KinkSides(FittedObjective(ex.adapter_, ex.design_, ex.Y_, ex.weights_,
                                      ex.solver_))
    assert sides.distance.min() >= 0 and set(np.unique(sides.region)) <= {0, 1}


def test_dask_newton_with_kinks_is_refused():
    da = pytest.importorskip("dask.array")
    at, X, y, _ = _at_optimum("squared_hinge", "breast_cancer")
    with pytest.raises(ValueError, match="needs every training row at once"):
        InfluenceExplainer(at, method="newton").fit(da.from_array(X, chunks=100), y)
    InfluenceExplainer(at).fit(da.from_array(X, chunks=100), y)  # first order: fine


def test_elastic_net_sgd_on_its_active_set_follows_kinks(monkeypatch):
    """SGD with an L1 part is read on its active set: at the exact optimum of the
    elastic-net objective, Newton's followed shifts are the exact optima without
    each row, on the rows whose removal keeps the signed support."""
    from test_sgd_elastic_net import _removals, exact_optimum as en_optimum
    from test_sgd_elastic_net import _sgd as en_sgd

    from test_sgd import _breast_cancer

    loss, alpha, rho = "modified_huber", 0.03, 0.5
    X, y = _breast_cancer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = en_sgd(loss, alpha, rho, 3000).fit(X, y)
    full = en_optimum(loss, X, y, alpha, rho, np.append(est.coef_.ravel(),
                                                        est.intercept_))
    at = copy.deepcopy(est)
    at.coef_, at.intercept_ = full[None, :-1], full[-1:]
    rows = np.random.RandomState(0).choice(len(y), 40, replace=False)
    refits, kept = _removals(loss, X, y, alpha, rho, full, rows)
    truth = (refits - full)[kept]
    ex = InfluenceExplainer(at, method="newton").fit(X, y)
    followed = _errors(-ex.params_influence()[rows][kept], truth)
    _one_step(monkeypatch)
    single = _errors(-ex.params_influence()[rows][kept], truth)
    assert followed.max() < 1e-5, (
        f"elastic-net {loss}: max relative error {followed.max():.2e} on "
        f"{kept.sum()} rows (one step {single.max():.2e})")
    assert single.max() > 1e-3, f"one step already exact ({single.max():.2e})"
