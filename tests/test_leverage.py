"""Leverages of every row (skinfluence/solvers/leverage.py) against per-row solves,
the explainer's self_influence, and refitting."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from skinfluence import InfluenceExplainer
from skinfluence.exceptions import InfluenceWarning
from skinfluence.solvers import CGSolver
from skinfluence.solvers.leverage import row_leverages

TIGHT = dict(tol=1e-12, max_iter=2000)
EXACT = ["primal", "dual", "solves"]


def _tfidf_like(n, p, words, seed):
    """Sparse rows like tf-idf: Zipf word draws, log counts, idf, unit norm."""
    rng = np.random.RandomState(seed)
    freq = 1.0 / np.arange(1, p + 1) ** 0.9
    cols = rng.choice(p, n * words, p=freq / freq.sum())
    X = sparse.csr_matrix((np.ones(n * words), (np.repeat(np.arange(n), words), cols)),
                          shape=(n, p))
    X.sum_duplicates()
    X.data = 1.0 + np.log(X.data)
    df = np.bincount(X.indices, minlength=p)
    X = X @ sparse.diags_array(np.log((1 + n) / (1 + df)) + 1.0)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel())
    X = (sparse.diags_array(1.0 / norms) @ X).tocsr()
    z = X @ (rng.standard_normal(p) * 4) + 0.5 * rng.standard_normal(n)
    return X, (z > 0).astype(int)


def _case(kind):
    rng = np.random.RandomState(0)
    sw = None
    if kind.startswith("binary"):
        X, y = make_classification(240, 12, random_state=0)
        if "sparse" in kind:
            X, y = _tfidf_like(200, 500, 12, 1)
        est = LogisticRegression(C=0.5, fit_intercept="no_icpt" not in kind, **TIGHT)
        if "weights" in kind:
            sw = rng.uniform(0.0, 2.0, len(y))
            sw[:5] = 0.0  # rows the objective ignores still get their leverage
    elif kind == "multinomial":
        X, y = make_classification(240, 8, n_informative=5, n_classes=3, random_state=0)
        est = LogisticRegression(C=2.0, **TIGHT)
    else:
        X, y = make_regression(150, 20, n_targets=2, noise=5.0, random_state=0)
        est = Ridge(alpha=[1.0, 4.0])
        if "single" in kind:
            y, est = y[:, 0], Ridge(alpha=2.0, fit_intercept=False)
            sw = rng.uniform(0.5, 2.0, len(y))
    return est.fit(X, y, sample_weight=sw), X, y, sw


def _per_row_blocks(ex):
    """``M_j = J_j H^+ J_j^T`` by a dense direct solve per row (the definition)."""
    op, a = ex.operator_, ex.adapter_
    H = op.dense()
    N = op.null_space
    if N is not None:
        H = H + N @ N.T
    K = a.n_outputs
    M = np.empty((ex.n_train_, K, K))
    for j in range(ex.n_train_):
        B = op.project(a.jacobian_solve_inputs(ex.X_[j:j + 1]))
        M[j] = B.T @ np.linalg.solve(H, B)
    return M


CASES = ["binary", "binary_no_icpt", "binary_weights_damped", "binary_sparse",
         "multinomial", "ridge_two_outputs", "ridge_single_no_icpt_weights"]


@pytest.mark.parametrize("kind", CASES)
def test_exact_methods_equal_per_row_solves_and_self_influence(kind):
    est, X, y, sw = _case(kind)
    damping = 0.05 if "damped" in kind else 0.0
    ex = InfluenceExplainer(est, solver="cholesky", damping=damping).fit(X, y, sw)
    expected_M, expected_si = _per_row_blocks(ex), ex.self_influence()
    ex_cg = InfluenceExplainer(est, solver=CGSolver(tol=1e-12), damping=damping)
    ex_cg.fit(X, y, sw)
    for method in EXACT:
        if method == "dual" and kind == "multinomial":
            with pytest.raises(ValueError, match="primal' or 'solves"):
                row_leverages(ex_cg.operator_, ex_cg.solver_, method=method)
            continue
        res = row_leverages(ex_cg.operator_, ex_cg.solver_, method=method)
        assert res.method == method and res.calibration_error is None
        err_M = np.abs(res.leverages - expected_M).max() / np.abs(expected_M).max()
        err_si = np.abs(res.self_influence - expected_si).max() / expected_si.max()
        assert err_M < 1e-10, f"{kind} {method}: leverages off by {err_M:.2e}"
        assert err_si < 1e-10, f"{kind} {method}: self-influence off by {err_si:.2e}"


@pytest.mark.parametrize("kind", ["binary", "multinomial", "ridge_two_outputs"])
def test_newton_self_influence_from_the_blocks(kind):
    """The K x K blocks are all method='newton' needs: dz_j = M_j w_j with
    w_j = (I - c_j D_j M_j)^{-1} c_j r_j, and loss_j(z_j + dz_j) - loss_j(z_j)."""
    est, X, y, sw = _case(kind)
    ex = InfluenceExplainer(est, method="newton").fit(X, y, sw)
    a = ex.adapter_
    M = row_leverages(ex.operator_, ex.solver_, method="primal").leverages
    Z = a.decision(ex.X_)
    _, r = a.loss_gradient(Z, ex.Y_)
    D = a.curvature(Z, ex.Y_)
    if D.ndim == 2:
        D = D[:, :, None] * np.eye(a.n_outputs)
    c = ex.weights_
    system = np.eye(a.n_outputs) - c[:, None, None] * D @ M
    w = np.linalg.solve(system, (c[:, None] * r)[:, :, None])
    dz = (M @ w)[:, :, 0]
    si = a.loss(Z + dz, ex.Y_) - a.loss(Z, ex.Y_)
    expected = ex.self_influence()
    err = np.abs(si - expected).max() / expected.max()
    assert err < 1e-10, f"{kind}: newton self-influence off by {err:.2e}"


def test_ridge_newton_self_influence_is_leave_one_out_refit():
    """Truth is refitting: for squared loss the Newton step from the dual leverages
    is the exact leave-one-out change of the row's own loss."""
    X, y = make_regression(60, 80, noise=3.0, random_state=2)  # wide: the dual's case
    est = Ridge(alpha=3.0).fit(X, y)
    ex = InfluenceExplainer(est).fit(X, y)
    a = ex.adapter_
    q = row_leverages(ex.operator_, ex.solver_, method="dual").leverages[:, 0, 0]
    Z = a.decision(X)
    _, r = a.loss_gradient(Z, ex.Y_)
    c, d = ex.weights_, 2.0  # squared loss: D_j = 2
    dz = q * c * r[:, 0] / (1 - c * d * q)
    predicted = a.loss(Z + dz[:, None], ex.Y_) - a.loss(Z, ex.Y_)
    for j in range(0, 60, 7):
        keep = np.arange(60) != j
        refit = clone(est).fit(X[keep], y[keep])
        row = X[j:j + 1]
        actual = (y[j] - refit.predict(row)[0]) ** 2 - (y[j] - est.predict(row)[0]) ** 2
        assert abs(predicted[j] - actual) <= 1e-8 * abs(actual), (
            f"row {j}: predicted {predicted[j]:.10g} vs refit {actual:.10g}")


@pytest.fixture(scope="module")
def text():
    X, y = _tfidf_like(1500, 6000, 25, 3)
    est = LogisticRegression(C=10.0, solver="newton-cg", **TIGHT).fit(X, y)
    ex = InfluenceExplainer(est, solver="cg").fit(X, y)
    exact = row_leverages(ex.operator_, ex.solver_, method="dual")
    return ex, exact


def test_randomized_against_exact_on_sparse_text(text):
    ex, exact = text
    res = row_leverages(ex.operator_, ex.solver_, method="randomized", random_state=0)
    q, q0 = res.leverages[:, 0, 0], exact.leverages[:, 0, 0]
    rel = np.sqrt(np.mean((q / q0 - 1) ** 2))
    pearson_q = np.corrcoef(q, q0)[0, 1]
    pearson_si = np.corrcoef(res.self_influence, exact.self_influence)[0, 1]
    reported = res.calibration_error
    # measured: rms 0.80%, Pearson 0.9986 (self-influence 0.99999); with C=1 the
    # leverages vary less (2.5% around their mean): rms 0.40%, Pearson 0.989
    assert rel < 0.015, f"randomized leverages: rms relative error {rel:.4f}"
    assert pearson_q > 0.99, f"randomized leverages: Pearson {pearson_q:.5f} with exact"
    assert pearson_si > 0.999, f"self-influence: Pearson {pearson_si:.6f} with exact"
    # the error reported from the calibration rows bounds the error over all rows
    assert rel <= reported["rms_upper"] * 1.5, (
        f"actual rms {rel:.4%} vs reported bound {reported['rms_upper']:.4%}")
    assert reported["uncalibrated_rms"] > 2 * reported["rms"], reported


def test_randomized_is_deterministic_given_random_state(text):
    ex, _ = text
    one, two, other = (row_leverages(ex.operator_, ex.solver_, method="randomized",
                                     random_state=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(one.leverages, two.leverages)
    assert one.calibration_error == two.calibration_error
    assert not np.array_equal(one.leverages, other.leverages)


def test_randomized_warns_with_its_error_when_inaccurate():
    """Dense correlated features: the diagonal estimate is poor, and says so."""
    est, X, y, _ = _case("binary")
    ex = InfluenceExplainer(est).fit(X, y)
    with pytest.warns(InfluenceWarning, match=r"rms \d+\.\d+%.*above rtol"):
        res = row_leverages(ex.operator_, ex.solver_, method="randomized",
                            random_state=0)
    assert res.calibration_error["rms_upper"] > 0.01


def test_auto_replaces_an_inaccurate_estimate_by_exact_solves():
    """Under "auto", a calibrated estimate above rtol is not returned: the same
    dense correlated case gives the exact leverages (per-row solves), no warning."""
    est, X, y, _ = _case("binary")
    ex = InfluenceExplainer(est, solver="cg").fit(X, y)
    want = InfluenceExplainer(est, solver="cholesky").fit(X, y).self_influence()
    res = row_leverages(ex.operator_, ex.solver_, max_memory=1e3, random_state=0)
    err = np.abs(res.self_influence - want).max() / want.max()
    assert res.method == "solves" and err < 1e-6, (res.method, err)


def test_auto_rule(text, capsys):
    ex, exact = text
    est, X, y, _ = _case("multinomial")
    chol = InfluenceExplainer(est, solver="cholesky").fit(X, y)
    assert row_leverages(chol.operator_, chol.solver_).method == "primal"
    cg = InfluenceExplainer(est, solver="cg").fit(X, y)
    res = row_leverages(cg.operator_, cg.solver_, max_memory=1e3, verbose=1)
    assert res.method == "solves" and "per-row solves" in capsys.readouterr().out
    # sparse text, 1 500 x 6 001 with a 2 MB budget: randomized, with its error printed
    with warnings.catch_warnings():
        warnings.simplefilter("error", InfluenceWarning)
        res = row_leverages(ex.operator_, ex.solver_, max_memory=2e6, verbose=1,
                            random_state=0)
    out = capsys.readouterr().out
    assert res.method == "randomized" and "relative error on 64 rows" in out, out
    # enough memory for the 1 500^2 dual form (+ blocks), not the primal 24 * 6 001^2
    res = row_leverages(ex.operator_, ex.solver_, max_memory=4e8)
    assert res.method == "dual"
    np.testing.assert_array_equal(res.leverages, exact.leverages)


def test_bad_arguments():
    est, X, y, _ = _case("binary")
    ex = InfluenceExplainer(est).fit(X, y)
    with pytest.raises(ValueError, match="method must be one of"):
        row_leverages(ex.operator_, ex.solver_, method="hutchinson")
    with pytest.raises(ValueError, match="n_calibration"):
        row_leverages(ex.operator_, ex.solver_, method="randomized", n_calibration=2)
    X, y = make_regression(50, 5, noise=1.0, random_state=0)
    ex = InfluenceExplainer(LinearRegression()).fit(X, y)
    with pytest.raises(ValueError, match="every coefficient penalised"):
        row_leverages(ex.operator_, ex.solver_, method="dual")


@pytest.mark.parametrize("method", ["first_order", "newton"])
@pytest.mark.parametrize("kind", ["binary", "multinomial", "ridge"])
def test_explainer_self_influence_through_leverages(kind, method):
    """A matrix-free explainer's self_influence (leverages of all rows at once)
    equals the Cholesky path's per-block quadratic forms, dense and sparse."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression, Ridge

    from skinfluence import InfluenceExplainer

    X, y = load_digits(return_X_y=True)
    X = X[:400] / 16
    y = {"binary": y[:400] % 2, "multinomial": y[:400] % 3,
         "ridge": y[:400].astype(float)}[kind]
    est = (Ridge() if kind == "ridge"
           else LogisticRegression(tol=1e-10, max_iter=5000)).fit(X, y)
    exact = InfluenceExplainer(est, method=method, solver="cholesky").fit(X, y)
    want = exact.self_influence()
    for Xk in (X, sparse.csr_matrix(X)):
        got = InfluenceExplainer(est, method=method, solver="cg").fit(Xk, y)
        err = np.abs(got.self_influence() - want).max() / want.max()
        assert err < 1e-8, f"{kind}, {method}: relative error {err:.2e}"
