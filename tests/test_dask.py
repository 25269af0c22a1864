"""Dask-array input: the chunked path equals the in-memory path, and scales out."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluenceExplainer

da = pytest.importorskip("dask.array")

TOL = 1e-10


def _logistic(n=500, p=6, classes=2, seed=0):
    X, y = make_classification(n, p, n_informative=4, n_classes=classes,
                               random_state=seed)
    est = LogisticRegression(C=0.3, tol=1e-12, max_iter=10_000).fit(X, y)
    return X, y, est


def _ridge(n=400, p=5, seed=0):
    X, y = make_regression(n, p, noise=5.0, random_state=seed)
    return X, y, Ridge(alpha=2.0).fit(X, y)


def _pair(est, X, y, chunks=97, **kw):
    dense = InfluenceExplainer(est, **kw).fit(X, y)
    lazy = InfluenceExplainer(est, **kw).fit(da.from_array(X, chunks=(chunks, -1)), y)
    return dense, lazy


def _close(a, b, what):
    err = float(np.max(np.abs(a - b)))
    scale = float(np.max(np.abs(a)))
    assert err <= TOL * max(scale, 1.0), f"{what}: max |dask - numpy| = {err:.2e}"


def _poisson(n=300, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1]))
    return X, y, PoissonRegressor(alpha=0.1, tol=1e-12, max_iter=10_000).fit(X, y)


PROBLEMS = {"logistic": _logistic, "multinomial": lambda: _logistic(classes=3),
            "ridge": _ridge, "poisson": _poisson}


@pytest.mark.parametrize("method", ["first_order", "newton"])
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_dask_equals_numpy(problem, method):
    X, y, est = PROBLEMS[problem]()
    dense, lazy = _pair(est, X, y, method=method)
    _close(dense.operator_.dense(), lazy.operator_.dense(), "Hessian")
    assert type(lazy.solver_) is type(dense.solver_)
    assert abs(lazy.gradient_norm_ - dense.gradient_norm_) <= 1e-8 * max(
        1.0, dense.gradient_norm_), (lazy.gradient_norm_, dense.gradient_norm_)
    Xt, yt = X[:25], y[:25]
    for target in ["loss", "prediction"]:
        result = lazy.influence(Xt, yt, target=target)
        assert isinstance(result, da.Array) and result.chunks[1][0] == 97
        _close(dense.influence(Xt, yt, target=target), result.compute(), target)
    top, top_d = dense.top_influences(Xt, yt, k=7), lazy.top_influences(Xt, yt, k=7)
    for key in top:
        _close(top[key], top_d[key], f"top_influences {key}")
    s = lazy.self_influence()
    assert isinstance(s, da.Array)
    _close(dense.self_influence(), s.compute(), "self_influence")


def test_dask_test_rows_and_sample_weight():
    X, y, _ = _logistic(seed=1)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    est = LogisticRegression(C=0.3, tol=1e-12, max_iter=10_000).fit(X, y, sw)
    dense = InfluenceExplainer(est).fit(X, y, sample_weight=sw)
    lazy = InfluenceExplainer(est).fit(da.from_array(X, chunks=(64, 3)),
                                       da.from_array(y), sample_weight=sw)
    Xt = da.from_array(X[:10], chunks=5)
    _close(dense.influence(X[:10], y[:10]), lazy.influence(Xt, y[:10]).compute(),
           "influence, weighted, Dask test rows")


def test_dask_newton_ridge_is_refitting():
    """Newton is exact leave-one-out for Ridge: the Dask path against refits."""
    X, y, est = _ridge(n=120)
    ex = InfluenceExplainer(est, method="newton").fit(da.from_array(X, chunks=50), y)
    pred = ex.influence(X[:4], y[:4], target="prediction").compute()
    for j in [0, 55, 119]:
        keep = np.arange(len(y)) != j
        refit = clone(est).fit(X[keep], y[keep])
        actual = est.predict(X[:4]) - refit.predict(X[:4])
        err = np.max(np.abs(pred[:, j] - actual))
        assert err < 1e-8 * np.max(np.abs(actual)), f"row {j}: error {err:.2e}"


def test_dask_input_errors():
    X, y, est = _logistic()
    Xd = da.from_array(X, chunks=100)
    with pytest.raises(ValueError, match="must be fitted already"):
        InfluenceExplainer(LogisticRegression()).fit(Xd, y)
    with pytest.raises(ValueError, match="not a Pipeline"):
        pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        InfluenceExplainer(pipe).fit(Xd, y)
    with pytest.raises(ValueError, match="solver='cholesky'"):
        InfluenceExplainer(est, solver="cg").fit(Xd, y)
    with pytest.raises(ValueError, match="features"):
        InfluenceExplainer(est).fit(Xd[:, :3], y)
    bad = X.copy()
    bad[250, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity .* rows 200 to 299"):
        InfluenceExplainer(est).fit(da.from_array(bad, chunks=100), y)
    assert np.isnan(bad[250, 1])  # input untouched
    ex = InfluenceExplainer(est).fit(Xd, y)
    for call in [lambda: ex.params_influence(),
                 lambda: ex.mean_influence(X[:3], y[:3]),
                 lambda: ex.population_influence(X[:3], y[:3], [0, 1]),
                 lambda: ex.retrain_effect(X[:3], y[:3], [0, 1])]:
        with pytest.raises(NotImplementedError):
            call()


def test_local_cluster_larger_than_budget():
    """On a LocalCluster, X larger than ``max_memory`` completes and agrees."""
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(0)
    n, p = 40_000, 20
    X = rng.standard_normal((n, p))
    y = (X @ rng.standard_normal(p) + rng.logistic(size=n) > 0).astype(int)
    est = LogisticRegression(tol=1e-12, max_iter=10_000).fit(X, y)
    budget = X.nbytes / 4
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        ex = InfluenceExplainer(est, max_memory=budget).fit(
            da.from_array(X, chunks=(5_000, -1)), y)
        top = ex.top_influences(X[:30], y[:30], k=5)
        s = ex.self_influence()[::97].compute()
        cols = np.sort(rng.choice(n, 300, replace=False))
        sub = ex.influence(X[:30], y[:30])[:, cols].compute()
    with pytest.raises(MemoryError):  # in memory, the same budget refuses
        InfluenceExplainer(est, max_memory=budget).fit(X, y).influence(X[:30], y[:30])
    ref = InfluenceExplainer(est).fit(X, y)
    full = ref.influence(X[:30], y[:30])
    _close(full[:, cols], sub, "influence on 300 sampled training rows")
    _close(np.sort(full, axis=1)[:, ::-1][:, :5], top.helpful_scores, "top-5 scores")
    assert np.array_equal(np.argsort(-full, axis=1)[:, :5], top.helpful_indices)
    _close(ref.self_influence()[::97], s, "self_influence on every 97th row")
