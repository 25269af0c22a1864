"""Bounded memory and parallelism: chunking, the output budget, n_jobs, Dask."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import skinfluence.parallel as parallel_module
from skinfluence.parallel import memory_budget
from conftest import fit_case
from skinfluence.influence import BlockLoop, FittedObjective
from skinfluence import InfluenceExplainer

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def _loop(ex):
    """The explainer's block loop (to count its blocks of training rows)."""
    obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    return BlockLoop(obj, ex.method)


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
    monkeypatch.setattr(parallel_module, "BLOCK_ELEMENTS", 97 * _loop(ex).row_cost(len(Xt)))
    assert len(_loop(ex).blocks(len(Xt))) > 3
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


@pytest.mark.parametrize("case", ["multinomial", "poisson", "sparse_multinomial"])
def test_in_place_blocks_equal_one_block(case, digits, monkeypatch):
    """First order writes each block of training rows into the result in place,
    its blocks sized for the scaled rows only; the K outputs (multinomial) and a
    mean-form penalty share (Poisson) ride in the same product. Many blocks give
    the entries of one block, and both equal the per-output formula
    -(H^{-1} grad Q_t) . g_j written out directly."""
    from scipy import sparse
    from sklearn.linear_model import PoissonRegressor

    from skinfluence.targets import make_target

    X, y, Xt, yt = digits
    X, y, Xt, yt = X[:400], y[:400], Xt[:30], yt[:30]
    if case == "poisson":
        y, yt = (4 * X[:, 8:]).sum(1).round(), (4 * Xt[:, 8:]).sum(1).round()
        X, Xt = X[:, :8], Xt[:, :8]
        est = PoissonRegressor(alpha=0.1, tol=1e-12, max_iter=1000).fit(X, y)
    else:
        est = LogisticRegression(**TIGHT).fit(X, y)
    if case.startswith("sparse"):
        X, Xt = sparse.csr_array(X), sparse.csr_array(Xt)
    ex = InfluenceExplainer(est).fit(X, y)
    one = ex.influence(Xt, yt)
    loop = _loop(ex)
    monkeypatch.setattr(parallel_module, "BLOCK_ELEMENTS",
                        37 * loop.row_cost(Xt.shape[0], in_place=True))
    assert len(loop.blocks(Xt.shape[0], in_place=True)) > 5
    many = ex.influence(Xt, yt)
    np.testing.assert_allclose(many, one, rtol=1e-13, atol=1e-13 * np.abs(one).max())
    # the formula, one output at a time: G_j = -grad of row j (with its share)
    a, obj = ex.adapter_, loop.objective
    test = loop.target_rows(Xt, a.encode_target(yt), make_target("loss", a))
    Xa = a.augmented_rows(X)
    Xa = Xa.toarray() if sparse.issparse(Xa) else Xa
    E = obj.removed_gradient(slice(None))
    G = (E[:, :, None] * Xa[:, None, :]).reshape(len(E), -1)
    if obj.penalty_gradient is not None:
        G = G + obj.weights[:, None] * obj.penalty_gradient.ravel()[None, :]
    S = test.solves[:, :a.n_params]
    np.testing.assert_allclose(one, -S @ G.T, rtol=1e-10,
                               atol=1e-12 * np.abs(one).max())


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
    budget = memory_budget(ex.max_memory)
    assert 2**26 < budget < 2**50


@pytest.mark.parametrize("solver", ["cholesky", "cg"])
def test_n_jobs_two_equals_one(fitted, solver, monkeypatch):
    est, X, y, Xt, yt = fitted
    one = InfluenceExplainer(est, solver=solver, n_jobs=1).fit(X, y)
    two = InfluenceExplainer(est, solver=solver, n_jobs=2).fit(X, y)
    monkeypatch.setattr(parallel_module, "BLOCK_ELEMENTS", 100 * _loop(one).row_cost(len(Xt)))
    assert len(_loop(two).blocks(len(Xt))) > 1
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
    monkeypatch.setattr(parallel_module, "BLOCK_ELEMENTS", 100 * _loop(ref).row_cost(len(Xt)))
    expected_I, expected_si = ref.influence(Xt, yt), ref.self_influence()
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None):
        with joblib.parallel_config(backend="dask"):
            ex = InfluenceExplainer(est, n_jobs=2).fit(X, y)
            assert len(_loop(ex).blocks(len(Xt))) > 1
            I, si = ex.influence(Xt, yt), ex.self_influence()
    np.testing.assert_array_equal(I, expected_I)
    np.testing.assert_array_equal(si, expected_si)


def test_newton_workers_read_a_prepared_inverse_and_set_nothing(fitted, monkeypatch):
    """method="newton" forms H^{-1} once, in the calling thread, before the workers
    start: n_jobs=2 threads give the bits of n_jobs=1, and no object is written from
    a worker thread."""
    import threading

    from skinfluence.influence import StreamingTopK
    from skinfluence.solvers import CholeskySolver, HessianOperator

    est, X, y, Xt, yt = fitted
    one = InfluenceExplainer(est, method="newton", solver="cholesky", n_jobs=1).fit(X, y)
    two = InfluenceExplainer(est, method="newton", solver="cholesky", n_jobs=2).fit(X, y)
    monkeypatch.setattr(parallel_module, "BLOCK_ELEMENTS", 60 * _loop(one).row_cost(len(Xt)))
    assert len(_loop(two).blocks(len(Xt))) > 2
    written, threads = [], set()

    def record(obj, name, value):
        if threading.current_thread() is not threading.main_thread():
            written.append(f"{type(obj).__name__}.{name}")
        object.__setattr__(obj, name, value)

    for cls in (InfluenceExplainer, FittedObjective, BlockLoop, CholeskySolver,
                HessianOperator, StreamingTopK):
        monkeypatch.setattr(cls, "__setattr__", record)
    import skinfluence.influence.kernels as kernels

    block = kernels.influence_block
    monkeypatch.setattr(kernels, "influence_block", lambda *a, **k: (
        threads.add(threading.current_thread().name), block(*a, **k))[1])
    import skinfluence.influence.loop as loop_module

    monkeypatch.setattr(loop_module, "influence_block", kernels.influence_block)
    I2, si2, top2 = two.influence(Xt, yt), two.self_influence(), two.top_influences(Xt, yt, 3)
    assert len(threads) > 1, f"blocks did not run in several threads: {threads}"
    assert not written, f"attributes set inside workers: {sorted(set(written))}"
    np.testing.assert_array_equal(one.influence(Xt, yt), I2)
    np.testing.assert_array_equal(one.self_influence(), si2)
    np.testing.assert_array_equal(one.top_influences(Xt, yt, 3).helpful_scores,
                                  top2.helpful_scores)
    np.testing.assert_array_equal(one.params_influence(), two.params_influence())


def test_cg_solves_in_worker_threads_set_no_attribute(breast_cancer, monkeypatch):
    """newton with cg (no explicit inverse) solves each block's rows inside the
    workers: the solver's
    n_iter_ / residual_ describe main-thread calls only, never a worker's."""
    import threading

    from skinfluence.solvers import CGSolver

    import skinfluence.influence.shifts as shifts_module

    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    monkeypatch.setattr(shifts_module, "EXPLICIT_INVERSE_MAX_PARAMS", 0)  # K solves per row
    two = InfluenceExplainer(est, method="newton", solver="cg", n_jobs=2).fit(X, y)
    one = InfluenceExplainer(est, method="newton", solver="cg", n_jobs=1).fit(X, y)
    monkeypatch.setattr(parallel_module, "BLOCK_ELEMENTS", 60 * _loop(two).row_cost(len(Xt)))
    assert len(_loop(two).blocks(len(Xt))) > 2
    written = []

    def record(obj, name, value):
        if threading.current_thread() is not threading.main_thread():
            written.append(name)
        object.__setattr__(obj, name, value)

    monkeypatch.setattr(CGSolver, "__setattr__", record)
    I2 = two.influence(Xt, yt)
    assert not written, f"CGSolver attributes set inside workers: {sorted(set(written))}"
    np.testing.assert_array_equal(one.influence(Xt, yt), I2)
