"""Sparse X (CSR and CSC) end to end: the same numbers as dense X, X never densified."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression, Ridge

from skinfluence import InfluenceExplainer

TIGHT = dict(solver="newton-cg", tol=1e-12, max_iter=1000)  # sparse-friendly


def _tfidf_like(n, p, density, seed):
    """Non-negative sparse rows of unit norm, Zipf-like column frequencies."""
    rng = np.random.RandomState(seed)
    freq = 1.0 / np.arange(1, p + 1) ** 0.8
    X = sparse.random(n, p, density=density, random_state=rng, format="csr",
                      data_rvs=lambda k: rng.exponential(size=k))
    X = X @ sparse.diags_array(np.sqrt(freq / freq.mean()))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel())
    X = sparse.diags_array(1.0 / np.where(norms > 0, norms, 1.0)) @ X
    w = rng.standard_normal(p) * 3
    y = (X @ w + 0.3 * rng.standard_normal(n) > 0).astype(int)
    return X.tocsr(), y


@pytest.fixture(scope="module")
def text():
    X, y = _tfidf_like(320, 400, 0.03, 0)
    return X[:300], y[:300], X[300:], y[300:]


_FITTED = {}


def _make(kind, X, y):
    """Fitted once per kind for the module (scikit-learn's sparse multinomial fit is slow)."""
    if kind not in _FITTED:
        _FITTED[kind] = _fit(kind, X, y)
    return _FITTED[kind]


def _fit(kind, X, y):
    if kind == "binary":
        return LogisticRegression(C=10.0, **TIGHT).fit(X, y)
    if kind == "binary_no_intercept":
        return LogisticRegression(C=10.0, fit_intercept=False, **TIGHT).fit(X, y)
    if kind == "multinomial":
        y3 = y + (np.asarray(X[:, 0].todense()).ravel() > 0)  # 3 classes
        return LogisticRegression(C=10.0, **TIGHT).fit(X, y3), y3
    return Ridge(alpha=0.3).fit(X, y.astype(float))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("kind", ["binary", "binary_no_intercept", "multinomial", "ridge"])
@pytest.mark.parametrize("solver", ["cholesky", "cg"])
def test_sparse_equals_dense(text, kind, solver, fmt):
    X, y, Xt, yt = text
    est = _make(kind, X, y)
    if kind == "multinomial":
        est, y = est
        yt = yt + (np.asarray(Xt[:, 0].todense()).ravel() > 0)
    elif kind == "ridge":
        y, yt = y.astype(float), yt.astype(float)
    Xs, Xts = X.asformat(fmt), Xt.asformat(fmt)
    sp = InfluenceExplainer(est, solver=solver).fit(Xs, y)
    de = InfluenceExplainer(est, solver=solver).fit(X.toarray(), y)
    assert sparse.issparse(sp.X_) and sparse.issparse(sp.operator_.X)
    tol = 1e-9 if solver == "cholesky" else 1e-6

    def close(a, b):
        np.testing.assert_allclose(a, b, rtol=0, atol=tol * np.abs(b).max())

    close(sp.influence(Xts, yt), de.influence(Xt.toarray(), yt))
    close(sp.self_influence(), de.self_influence())
    close(sp.population_influence(Xts, yt, [np.arange(0, 300, 3)]),
          de.population_influence(Xt.toarray(), yt, [np.arange(0, 300, 3)]))
    top_s, top_d = sp.top_influences(Xts, yt, k=5), de.top_influences(Xt.toarray(), yt, k=5)
    close(top_s.helpful_scores, top_d.helpful_scores)
    if solver == "cholesky":
        np.testing.assert_allclose(sp.operator_.dense(), de.operator_.dense(), rtol=1e-12,
                                   atol=1e-12)
        close(sp.params_influence(), de.params_influence())


def test_sparse_newton_equals_dense(text):
    X, y, Xt, yt = text
    est = _make("binary", X, y)
    for solver in ("cholesky", "cg"):
        sp = InfluenceExplainer(est, method="newton", solver=solver).fit(X, y)
        de = InfluenceExplainer(est, method="newton", solver=solver).fit(X.toarray(), y)
        a, b = sp.influence(Xt, yt), de.influence(Xt.toarray(), yt)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6 * np.abs(b).max())
        a, b = sp.self_influence(), de.self_influence()
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6 * np.abs(b).max())


def test_wide_sparse_runs_matrix_free():
    """More columns than rows (a 50 MB Hessian if dense, over the budget given): auto
    picks cg, X stays sparse, and the numbers match an exact dense solve."""
    X, y = _tfidf_like(220, 2500, 0.02, 1)
    est = LogisticRegression(C=1.0, solver="newton-cg", tol=1e-12, max_iter=1000)
    est.fit(X[:200], y[:200])
    ex = InfluenceExplainer(est, max_memory=2**26).fit(X[:200], y[:200])
    assert type(ex.solver_).__name__ == "CGSolver" and sparse.issparse(ex.X_)
    si = ex.self_influence()
    assert si.shape == (200,) and np.all(si >= 0)
    top = ex.top_influences(X[200:], y[200:], k=3)
    assert top.helpful_indices.shape == (20, 3)
    I = ex.influence(X[200:], y[200:])
    np.testing.assert_allclose(top.helpful_scores[:, 0], I.max(1), rtol=1e-12)
    ref = InfluenceExplainer(est, solver="cholesky").fit(X[:200], y[:200])
    np.testing.assert_allclose(I, ref.influence(X[200:], y[200:]), rtol=0,
                               atol=1e-6 * np.abs(I).max())
    np.testing.assert_allclose(si, ref.self_influence(), rtol=0, atol=1e-9 * si.max())
    r = np.corrcoef(I.ravel(), ref.influence(X[200:], y[200:]).ravel())[0, 1]
    assert r >= 0.9999, f"sparse cg vs cholesky: Pearson {r:.6f}"


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_mean_influence_on_sparse_rows(text, method):
    X, y, Xt, yt = text
    est = LogisticRegression(C=1.0, **TIGHT).fit(X, y)
    sp = InfluenceExplainer(est, method=method, solver="cholesky").fit(X, y)
    I = sp.influence(Xt, yt)
    got = sp.mean_influence(Xt, yt)
    err = np.abs(got - I.mean(axis=0)).max() / np.abs(I).max()
    assert err < 1e-10, f"sparse {method}: mean_influence vs mean of influence {err:.2e}"
    dense = InfluenceExplainer(est, method=method, solver="cholesky").fit(X.toarray(), y)
    ref = dense.mean_influence(Xt.toarray(), yt)
    err = np.abs(got - ref).max() / np.abs(ref).max()
    assert err < 1e-9, f"sparse vs dense mean_influence: {err:.2e}"
