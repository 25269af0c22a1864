"""Bounded memory and parallelism: chunking, the output budget, n_jobs, Dask."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import skinfluence.explainer as explainer_module
from conftest import fit_case
from skinfluence import InfluenceExplainer

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


@pytest.fixture(params=["binary", "multinomial", "ridge"])
def fitted(request, breast_cancer, digits, diabetes):
    # cg's cost per solve grows as n_rows * K^2: a smaller multinomial problem
    return fit_case(request.param, breast_cancer, digits, diabetes, max_multinomial_rows=500)


@pytest.mark.parametrize("solver", ["cholesky", "cg"])
@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_chunked_equals_unchunked(fitted, solver, method, monkeypatch):
    est, X, y, Xt, yt = fitted
    ex = InfluenceExplainer(est, solver=solver, method=method).fit(X, y)
    one = ex.influence(Xt, yt), ex.self_influence()
    if solver == "cholesky":
        one += (ex.params_influence(),)
    monkeypatch.setattr(explainer_module, "_CHUNK_ELEMENTS", 97 * ex._row_cost(len(Xt)))
    assert len(ex._chunks(ex._row_cost(len(Xt)))) > 3
    many = ex.influence(Xt, yt), ex.self_influence()
    if solver == "cholesky":
        many += (ex.params_influence(),)
    # Each entry is computed by the same formula whatever the blocking, but BLAS
    # kernels handle a block's edge columns (and triangular solves of other widths)
    # with another FMA order: equal to a few ulps of the largest value (binary and
    # ridge happen to be bit-equal); cg also restarts its recurrences per block, so
    # to its tolerance.
    rtol = 1e-13 if solver == "cholesky" else 1e-8
    for a, b in zip(one, many):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(a).max())


def test_influence_refuses_an_output_over_the_budget(breast_cancer):
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    budget = 8 * len(X) * 10  # exactly 10 test rows' worth
    ex = InfluenceExplainer(est, max_memory=budget).fit(X, y)
    assert ex.influence(Xt[:10], yt[:10]).shape == (10, len(X))
    with pytest.raises(MemoryError, match=r"top_influences.*population_influence.*max_memory"):
        ex.influence(Xt[:11], yt[:11])
    top = ex.top_influences(Xt, yt, k=3)  # the way out works under the same budget
    assert top.helpful_indices.shape == (len(Xt), 3)
    assert ex.population_influence(Xt, yt, [np.arange(10)]).shape == (len(Xt), 1)
    with pytest.raises(MemoryError, match="params_influence.*population_influence"):
        InfluenceExplainer(est, max_memory=100).fit(X, y).params_influence()
    with pytest.raises(ValueError, match="max_memory"):
        InfluenceExplainer(est, max_memory=-1).fit(X, y)


def test_default_budget_is_half_the_physical_memory(breast_cancer):
    X, y, Xt, yt = breast_cancer
    ex = InfluenceExplainer(LogisticRegression(**TIGHT)).fit(X, y)
    budget = ex._memory_budget()
    assert 2**26 < budget < 2**50


@pytest.mark.parametrize("solver", ["cholesky", "cg"])
def test_n_jobs_two_equals_one(fitted, solver, monkeypatch):
    est, X, y, Xt, yt = fitted
    one = InfluenceExplainer(est, solver=solver, n_jobs=1).fit(X, y)
    two = InfluenceExplainer(est, solver=solver, n_jobs=2).fit(X, y)
    monkeypatch.setattr(explainer_module, "_CHUNK_ELEMENTS", 100 * one._row_cost(len(Xt)))
    assert len(two._chunks(two._row_cost(len(Xt)))) > 1
    np.testing.assert_array_equal(one.influence(Xt, yt), two.influence(Xt, yt))
    np.testing.assert_array_equal(one.self_influence(), two.self_influence())
    a, b = one.top_influences(Xt, yt, k=4), two.top_influences(Xt, yt, k=4)
    np.testing.assert_array_equal(a.helpful_indices, b.helpful_indices)
    np.testing.assert_array_equal(a.harmful_scores, b.harmful_scores)


def test_verbose_reports_progress(breast_cancer, capsys):
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    InfluenceExplainer(est, verbose=1).fit(X, y).influence(Xt, yt)
    assert "block(s) of training rows" in capsys.readouterr().out


def test_runs_on_a_dask_cluster(breast_cancer, monkeypatch):
    """``joblib.parallel_config(backend="dask")`` on a local in-process cluster."""
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    ref = InfluenceExplainer(est).fit(X, y)
    monkeypatch.setattr(explainer_module, "_CHUNK_ELEMENTS", 100 * ref._row_cost(len(Xt)))
    expected_I, expected_si = ref.influence(Xt, yt), ref.self_influence()
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None):
        with joblib.parallel_config(backend="dask"):
            ex = InfluenceExplainer(est, n_jobs=2).fit(X, y)
            assert len(ex._chunks(ex._row_cost(len(Xt)))) > 1
            I, si = ex.influence(Xt, yt), ex.self_influence()
    np.testing.assert_array_equal(I, expected_I)
    np.testing.assert_array_equal(si, expected_si)
