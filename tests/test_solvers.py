"""Every solver agrees with the exact Cholesky solver, on every adapter.

Tolerances: cg at its default tol=1e-8 (relative residual in the Jacobi norm)
must match cholesky to 1e-6 of the largest |influence| (its error is at most
kappa * tol, kappa the preconditioned condition number, ~1e2 here); lissa is
approximate and must reach Pearson >= 0.99.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeClassifier

from skinfluence import InfluenceExplainer, InfluenceWarning
from skinfluence.exceptions import SingularHessianError
from skinfluence.solvers import (
    AUTO_CHOLESKY_MAX_PARAMS,
    CGSolver,
    CholeskySolver,
    LissaSolver,
    make_solver,
    resolve_solver,
)

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def _case(name, breast_cancer, digits, digits_pca, diabetes, iris):
    """(estimator, X, y, X_test, y_test) for one adapter / null-space situation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "binary":
            X, y, Xt, yt = breast_cancer
            est = LogisticRegression(**TIGHT)
        elif name == "binary_no_intercept":
            X, y, Xt, yt = breast_cancer
            est = LogisticRegression(fit_intercept=False, **TIGHT)
        elif name == "multinomial":  # null space: the intercepts
            X, y, Xt, yt = digits
            est = LogisticRegression(**TIGHT)
        elif name == "multinomial_unpenalised":  # null space: every column
            # noisy classes, so the unpenalised optimum is well conditioned (CG's
            # iteration count grows as sqrt(kappa); near-separable data defeat it)
            X, y = make_classification(n_samples=320, n_features=5, n_informative=3, n_redundant=0,
                                       n_classes=3, n_clusters_per_class=1, flip_y=0.3,
                                       random_state=0)
            X, y, Xt, yt = X[:300], y[:300], X[300:], y[300:]
            est = LogisticRegression(C=np.inf, **TIGHT)
        elif name == "multinomial_no_intercept":
            X, y, Xt, yt = digits
            est = LogisticRegression(fit_intercept=False, **TIGHT)
        elif name == "ridge":
            X, y, Xt, yt = diabetes
            est = Ridge(alpha=0.5)
        elif name == "ridge_multioutput":
            X, y, Xt, yt = diabetes
            y, yt = np.c_[y, -2 * y + X[:, 0]], np.c_[yt, -2 * yt + Xt[:, 0]]
            est = Ridge(alpha=[0.5, 2.0])
        elif name == "linear_regression":
            X, y, Xt, yt = diabetes
            est = LinearRegression()
        elif name == "ridge_classifier":
            X, y, Xt, yt = iris
            est = RidgeClassifier(alpha=1.0)
        if name in ("multinomial", "multinomial_no_intercept"):  # cg's cost grows as n_rows * K^2 per solve
            X, y = X[:400], y[:400]
        est.fit(X, y)
    return est, X, y, Xt, yt


CASES = ["binary", "binary_no_intercept", "multinomial", "multinomial_unpenalised",
         "multinomial_no_intercept", "ridge", "ridge_multioutput", "linear_regression",
         "ridge_classifier"]


@pytest.fixture(params=CASES)
def case(request, breast_cancer, digits, digits_pca, diabetes, iris):
    return _case(request.param, breast_cancer, digits, digits_pca, diabetes, iris)


def _explainer(est, X, y, **kw):
    """Fit an explainer; tiny-gradient unpenalised fits may trip the stationarity
    warning (relative to near-zero row gradients), irrelevant to solver agreement."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*not at an optimum", InfluenceWarning)
        return InfluenceExplainer(est, **kw).fit(X, y)


def _close(a, b, rel):
    np.testing.assert_allclose(a, b, rtol=0, atol=rel * np.abs(b).max())


def test_cg_matches_cholesky(case):
    est, X, y, Xt, yt = case
    ref = _explainer(est, X, y, solver="cholesky")
    cg = _explainer(est, X, y, solver="cg")
    assert isinstance(cg.solver_, CGSolver)
    _close(cg.influence(Xt, yt), ref.influence(Xt, yt), 1e-6)
    _close(cg.self_influence(), ref.self_influence(), 1e-6)
    _close(cg.params_influence()[::37], ref.params_influence()[::37], 1e-6)
    pops = [np.arange(0, len(X), 5), [1, 2, 3]]
    _close(cg.population_influence(Xt, yt, pops), ref.population_influence(Xt, yt, pops), 1e-6)


def test_cg_newton_matches_cholesky(case):
    est, X, y, Xt, yt = case
    rows = np.arange(0, len(X), 11)
    ref = _explainer(est, X, y, solver="cholesky", method="newton")
    cg = _explainer(est, X, y, solver="cg", method="newton")
    _close(cg.influence(Xt[:5], yt[:5]), ref.influence(Xt[:5], yt[:5]), 1e-6)
    _close(cg.population_influence(Xt, yt, [rows]), ref.population_influence(Xt, yt, [rows]),
           1e-6)


def test_cg_solution_stays_off_the_null_space(breast_cancer, digits, digits_pca, diabetes,
                                             iris):
    est, X, y, Xt, yt = _case("multinomial_unpenalised", breast_cancer, digits,
                              digits_pca, diabetes, iris)
    ex = _explainer(est, X, y, solver="cg")
    N = ex.operator_.null_space
    assert N.shape[1] == X.shape[1] + 1
    rng = np.random.RandomState(0)
    B = ex.operator_.project(rng.standard_normal((ex.adapter_.n_params, 3)))
    sol = ex.solver_.solve(B)
    assert np.abs(N.T @ sol).max() < 1e-12 * np.abs(sol).max()
    ref = _explainer(est, X, y, solver="cholesky").solver_.solve(B)
    _close(sol, ref, 1e-7)


@pytest.mark.parametrize("name", ["binary", "multinomial", "ridge"])
def test_lissa_is_close_to_cholesky(name, breast_cancer, digits, digits_pca, diabetes, iris):
    est, X, y, Xt, yt = _case(name, breast_cancer, digits, digits_pca, diabetes, iris)
    ref = _explainer(est, X, y, solver="cholesky").influence(Xt, yt)
    solver = LissaSolver(recursion_depth=2000) if name == "multinomial" else "lissa"
    ex = InfluenceExplainer(est, solver=solver, random_state=0).fit(X, y)
    got = ex.influence(Xt, yt)
    r = np.corrcoef(got.ravel(), ref.ravel())[0, 1]
    assert r >= 0.99, f"lissa vs cholesky: Pearson {r:.4f}"
    again = InfluenceExplainer(est, solver=solver, random_state=0).fit(X, y).influence(Xt, yt)
    np.testing.assert_array_equal(got, again)  # random_state makes it reproducible


def test_lissa_full_batch_is_the_neumann_series(breast_cancer):
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    ref = InfluenceExplainer(est).fit(X, y).influence(Xt, yt)
    solver = LissaSolver(batch_size=len(X), recursion_depth=3000)
    got = InfluenceExplainer(est, solver=solver).fit(X, y).influence(Xt, yt)
    _close(got, ref, 1e-4)


def test_lissa_full_batch_converges_on_a_null_space(breast_cancer, digits, digits_pca,
                                                    diabetes, iris):
    # the recursion on the projected Hessian let the null-space part of S b grow
    # with the depth and converged to a wrong point (0.56% off at any depth, and
    # params 150x off, on the unpenalised case)
    est, X, y, Xt, yt = _case("multinomial_unpenalised", breast_cancer, digits,
                              digits_pca, diabetes, iris)
    ref = _explainer(est, X, y, solver="cholesky")
    solver = LissaSolver(batch_size=len(X), recursion_depth=3000, random_state=0)
    ex = _explainer(est, X, y, solver=solver)
    N, B = ex.operator_.null_space, ref.solver_.inverse()[:, :20]
    got, want = ex.solver_.solve(B), ref.solver_.solve(B)
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 1e-4, f"lissa vs cholesky on H^+ B: relative error {err:.2e}"
    off = np.abs(N.T @ got).max() / np.abs(got).max()
    assert off < 1e-10, f"lissa solution's null-space part: {off:.2e}"
    d = np.abs(ex.influence(Xt, yt) - ref.influence(Xt, yt)).max()
    assert d < 1e-4 * np.abs(ref.influence(Xt, yt)).max(), f"influence off by {d:.2e}"


def test_lissa_numbers_do_not_depend_on_the_call_or_block(diabetes):
    # the solver drew its rows from one generator across calls: a second call, or
    # the same test rows in another block, gave other numbers (0.8% apart)
    X, y, Xt, yt = diabetes
    solver = LissaSolver(batch_size=50, recursion_depth=400)
    ex = InfluenceExplainer(Ridge(), solver=solver, random_state=0).fit(X, y)
    first = ex.influence(Xt, yt)
    np.testing.assert_array_equal(ex.influence(Xt, yt), first)
    np.testing.assert_array_equal(ex.influence(Xt[5:9], yt[5:9]), first[5:9])
    ref = InfluenceExplainer(Ridge(), solver="cholesky").fit(X, y).influence(Xt, yt)
    r = np.corrcoef(first.ravel(), ref.ravel())[0, 1]
    assert r >= 0.99, f"lissa vs cholesky: Pearson {r:.4f}"


@pytest.mark.parametrize("solver", ["cholesky", "cg", "lissa"])
@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_more_features_than_rows_unpenalised_is_refused_by_every_solver(solver, method):
    # cg and lissa returned influences of ~1e-30 (the interpolating fit's rows have
    # zero gradients) where refitting without a row changes the test loss
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((30, 60)), rng.standard_normal(30)
    ex = InfluenceExplainer(LinearRegression(), solver=solver, method=method)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*not at an optimum", InfluenceWarning)
        with pytest.raises(SingularHessianError, match="singular"):
            ex.fit(X, y)
        damped = InfluenceExplainer(LinearRegression(), solver=solver, damping=1.0,
                                    random_state=0).fit(X, y)
    assert np.all(np.isfinite(damped.influence(X[:2], y[:2])))


def test_lissa_refuses_a_scale_below_the_largest_eigenvalue(diabetes):
    # scale=0.1 (below lambda_max ~2.5) diverged: influences 1e275 times too large,
    # finite and without a word
    X, y, Xt, yt = diabetes
    ex = InfluenceExplainer(Ridge(), solver=LissaSolver(random_state=0)).fit(X, y)
    lam_max = ex.solver_.scale_ / 1.5
    with pytest.raises(ValueError, match="scale=.*largest eigenvalue.*diverges"):
        InfluenceExplainer(Ridge(), solver=LissaSolver(scale=0.5 * lam_max)).fit(X, y)
    ref = InfluenceExplainer(Ridge(), solver="cholesky").fit(X, y).influence(Xt, yt)
    solver = LissaSolver(scale=2 * lam_max, recursion_depth=2000, batch_size=len(X))
    got = InfluenceExplainer(Ridge(), solver=solver).fit(X, y).influence(Xt, yt)
    err = np.abs(got - ref).max() / np.abs(ref).max()
    assert err < 1e-6, f"lissa with a valid scale vs cholesky: relative error {err:.1e}"


@pytest.mark.parametrize("kw", [dict(batch_size=0), dict(batch_size=-3),
                                dict(batch_size=2.5), dict(tail_average="no"),
                                dict(scale=-1.0)])
def test_lissa_refuses_bad_options_by_name(kw, diabetes):
    # batch_size=0 silently meant 1000; -3 and 2.5 failed inside numpy
    X, y, _, _ = diabetes
    with pytest.raises(ValueError, match=next(iter(kw))):
        InfluenceExplainer(Ridge(), solver=LissaSolver(**kw)).fit(X, y)


def test_solver_objects_carry_options_and_stay_unfitted(breast_cancer):
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    solver = CGSolver(tol=1e-3, max_iter=2)
    with pytest.warns(InfluenceWarning, match=r"did not converge in 2 iterations.*residual"):
        ex = InfluenceExplainer(est, solver=solver).fit(X, y)
        ex.influence(Xt, yt)
    assert not hasattr(solver, "operator_") and ex.solver_ is not solver
    assert ex.solver_.residual_ > 1e-3
    with pytest.raises(ValueError, match="tol"):
        InfluenceExplainer(est, solver=CGSolver(tol=0)).fit(X, y)
    with pytest.raises(ValueError, match="recursion_depth"):
        InfluenceExplainer(est, solver=LissaSolver(recursion_depth=0)).fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        InfluenceExplainer(est, solver="qr").fit(X, y)


def test_cg_with_damping_matches_cholesky_with_damping(diabetes):
    X, y, Xt, yt = diabetes
    Xc, Xct = np.c_[X, X[:, 0] + X[:, 1]], np.c_[Xt, Xt[:, 0] + Xt[:, 1]]  # collinear
    est = LinearRegression().fit(Xc, y)
    ok = _explainer(est, Xc, y, solver="cg", damping=1e-3)
    ref = _explainer(est, Xc, y, solver="cholesky", damping=1e-3)
    _close(ok.influence(Xct, yt), ref.influence(Xct, yt), 1e-5)


def test_auto_rule():
    assert resolve_solver("auto", 100) == "cholesky"
    assert resolve_solver("auto", AUTO_CHOLESKY_MAX_PARAMS) == "cholesky"
    assert resolve_solver("auto", AUTO_CHOLESKY_MAX_PARAMS + 1) == "cg"
    assert resolve_solver("auto", 1000, max_memory=8e6 * 4 - 1) == "cg"  # H is 8 MB
    assert resolve_solver("auto", 1000, max_memory=8e6 * 4) == "cholesky"
    assert resolve_solver("lissa", 10**6) == "lissa"


def test_auto_picks_cg_when_the_hessian_does_not_fit_the_budget(breast_cancer):
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    assert isinstance(InfluenceExplainer(est).fit(X, y).solver_, CholeskySolver)
    small = InfluenceExplainer(est, max_memory=1e4).fit(X, y)
    assert isinstance(small.solver_, CGSolver)


def test_hessian_diagonal_is_structural_and_exact(case):
    est, X, y, Xt, yt = case
    ex = _explainer(est, X, y, solver="cg")
    op = ex.operator_
    H = op.adapter.hessian(op.X, op.Y, op.weights)
    np.testing.assert_allclose(op.diagonal(), np.diag(H), rtol=1e-12, atol=1e-12)
    V = np.random.RandomState(0).standard_normal((op.n_params, 3))
    np.testing.assert_allclose(op.matvec(V), H @ V, rtol=1e-10, atol=1e-10 * np.abs(H @ V).max())


def test_solvers_are_estimator_style_and_clone(breast_cancer):
    from sklearn.base import clone

    from skinfluence.solvers import SOLVER_NAMES, SOLVERS

    cg = CGSolver(tol=1e-10, max_iter=50)
    assert cg.get_params() == {"tol": 1e-10, "max_iter": 50}
    copy = clone(cg)
    assert copy is not cg and copy.get_params() == cg.get_params()
    lissa = LissaSolver(recursion_depth=7, batch_size=9, random_state=3)
    assert clone(lissa).get_params() == lissa.get_params()
    assert lissa.set_params(n_repeats=2).n_repeats == 2
    assert CholeskySolver().get_params() == {}
    assert repr(cg) == "CGSolver(max_iter=50, tol=1e-10)"
    # the explainer's options are estimator params too: clone copies the solver
    X, y, Xt, yt = breast_cancer
    ex = InfluenceExplainer(LogisticRegression(**TIGHT), solver=cg)
    assert ex.get_params()["solver__tol"] == 1e-10
    twin = clone(ex)
    assert twin.solver is not cg and twin.solver.get_params() == cg.get_params()
    fitted = twin.fit(X, y)
    assert fitted.solver_.get_params() == cg.get_params() and not hasattr(cg, "inv_diag_")
    # one table of names: the parameter constraint and the factory read the same one
    (names,) = [c for c in InfluenceExplainer._parameter_constraints["solver"]
                if hasattr(c, "options")]
    assert names.options == set(SOLVER_NAMES) == {"auto", *SOLVERS}
    with pytest.raises(ValueError, match="'auto', 'cholesky', 'cg', 'lissa'"):
        make_solver("qr", fitted.operator_)


def test_lissa_takes_the_explainer_random_state_only_when_it_has_none(breast_cancer):
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    fit = lambda s, rs: InfluenceExplainer(est, solver=s, random_state=rs).fit(X, y)
    assert fit(LissaSolver(recursion_depth=5), 7).solver_.random_state == 7
    assert fit(LissaSolver(recursion_depth=5, random_state=1), 7).solver_.random_state == 1


def test_cholesky_inverse_is_the_symmetric_pseudo_inverse(case):
    """CholeskySolver.inverse (LAPACK potri on the factor) equals n_params solves
    with the identity, is symmetric, and with a null space (multinomial) is the
    pseudo-inverse: H H^+ H = H and H^+ N = 0."""
    est, X, y, Xt, yt = case
    ex = _explainer(est, X, y, solver="cholesky")
    solver, H = ex.solver_, ex.operator_.dense()
    A = solver.inverse()
    ref = CholeskySolver().fit(ex.operator_).solve(np.eye(solver.n_params))
    scale = np.abs(ref).max()
    assert np.abs(A - ref).max() <= 1e-10 * scale, np.abs(A - ref).max() / scale
    assert np.abs(A - A.T).max() <= 1e-12 * scale
    _close(H @ A @ H, H, 1e-9)
    N = getattr(solver, "null_space_", None)
    if N is not None:
        assert np.abs(A @ N).max() <= 1e-10 * scale, np.abs(A @ N).max() / scale
