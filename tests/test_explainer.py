"""InfluenceExplainer's API: consistency between methods, inputs, and clear errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeCV,
)

import skinfluence.parallel as parallel_module
from _refit import refit_without
from skinfluence.influence import BlockLoop, FittedObjective
from skinfluence import InfluenceExplainer, InfluenceWarning, SingularHessianError

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def _loop(ex):
    """The explainer's block loop (to count its blocks of training rows)."""
    obj = FittedObjective(ex.adapter_, ex.X_, ex.Y_, ex.weights_, ex.solver_)
    return BlockLoop(obj, ex.method)


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_population_influence_first_order_is_additive(fitted, method):
    est, X, y, Xt, yt = fitted
    ex = InfluenceExplainer(est).fit(X, y)
    I = ex.influence(Xt, yt)
    mask = np.zeros(len(X), dtype=bool)
    mask[::7] = True
    idx = np.flatnonzero(mask)
    single = ex.population_influence(Xt, yt, mask)
    np.testing.assert_allclose(single, I[:, mask].sum(1), rtol=1e-9, atol=1e-12)
    many = ex.population_influence(Xt, yt, {"a": idx, "b": [0, 1, 2]})
    assert many.shape == (len(Xt), 2)
    np.testing.assert_allclose(many[:, 0], single, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(many[:, 1], I[:, :3].sum(1), rtol=1e-9, atol=1e-12)
    if method == "newton":  # a one-row population is the row's own newton influence
        exn = InfluenceExplainer(est, method="newton").fit(X, y)
        np.testing.assert_allclose(
            exn.population_influence(Xt, yt, [[5], [9]]), exn.influence(Xt, yt)[:, [5, 9]],
            rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_self_influence_is_the_diagonal_and_nonnegative(fitted, method):
    est, X, y, Xt, yt = fitted
    ex = InfluenceExplainer(est, method=method).fit(X, y)
    si = ex.self_influence()
    assert si.shape == (len(X),) and si.min() >= -1e-12 * si.max(), f"min {si.min():.3g}"
    rows = np.arange(0, len(X), 97)
    diag = ex.influence(X[rows], y[rows])[np.arange(len(rows)), rows]
    np.testing.assert_allclose(si[rows], diag, rtol=1e-7, atol=1e-14)


def test_top_influences_matches_sorted_influence_across_blocks(fitted, monkeypatch):
    est, X, y, Xt, yt = fitted
    ex = InfluenceExplainer(est).fit(X, y)
    I = ex.influence(Xt, yt)
    monkeypatch.setattr(parallel_module, "BLOCK_ELEMENTS", 200 * _loop(ex).row_cost(len(Xt)))
    assert len(_loop(ex).blocks(len(Xt))) > 2
    top = ex.top_influences(Xt, yt, k=7)
    np.testing.assert_array_equal(top.helpful_indices, np.argsort(-I, axis=1, kind="stable")[:, :7])
    np.testing.assert_array_equal(top.harmful_indices, np.argsort(I, axis=1, kind="stable")[:, :7])
    np.testing.assert_allclose(top.helpful_scores, -np.sort(-I, axis=1)[:, :7])
    np.testing.assert_allclose(top.harmful_scores, np.sort(I, axis=1)[:, :7])
    np.testing.assert_allclose(ex.influence(Xt, yt), I)  # chunked equals unchunked


def test_params_influence_is_the_parameter_change(diabetes, breast_cancer):
    X, y, Xt, yt = diabetes
    est = Ridge(alpha=0.5).fit(X, y)
    P = InfluenceExplainer(est, method="newton").fit(X, y).params_influence()
    assert P.shape == (len(X), X.shape[1] + 1)
    for j in (0, 17, 300):
        refit = refit_without(est, X, y, [j])
        delta = np.r_[est.coef_ - refit.coef_, est.intercept_ - refit.intercept_]
        np.testing.assert_allclose(P[j], delta, rtol=1e-8, atol=1e-10 * np.abs(delta).max())
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(**TIGHT).fit(X, y)
    P = InfluenceExplainer(est).fit(X, y).params_influence()
    refit = refit_without(est, X, y, [3])
    delta = np.r_[est.coef_.ravel() - refit.coef_.ravel(), est.intercept_ - refit.intercept_]
    cos = P[3] @ delta / np.linalg.norm(P[3]) / np.linalg.norm(delta)
    assert cos > 0.99, f"first-order parameter change vs refit: cosine {cos:.4f}"


def test_n_jobs_gives_identical_results(digits):
    X, y, Xt, yt = digits
    est = LogisticRegression(**TIGHT).fit(X, y)
    one = InfluenceExplainer(est, n_jobs=1).fit(X, y).influence(Xt, yt)
    two = InfluenceExplainer(est, n_jobs=2).fit(X, y).influence(Xt, yt)
    np.testing.assert_array_equal(one, two)


def test_inputs_dataframe_dtypes_and_string_labels(breast_cancer):
    X, y, Xt, yt = breast_cancer
    names = [f"f{i}" for i in range(X.shape[1])]
    labels = np.array(["benign", "malignant"])[y]
    df = pd.DataFrame(X, columns=names)
    ex = InfluenceExplainer(LogisticRegression(**TIGHT)).fit(df, labels)
    ref = InfluenceExplainer(LogisticRegression(**TIGHT)).fit(X, y)
    got = ex.influence(pd.DataFrame(Xt, columns=names), np.array(["benign", "malignant"])[yt])
    np.testing.assert_allclose(got, ref.influence(Xt, yt), rtol=1e-9, atol=1e-15)
    with pytest.raises(ValueError, match="feature names"):
        ex.influence(pd.DataFrame(Xt, columns=names[::-1]), labels[: len(Xt)])
    # float32 and integer inputs are computed in float64
    X32 = X.astype(np.float32)
    ex32 = InfluenceExplainer(LogisticRegression(**TIGHT)).fit(X32, y)
    assert ex32.X_.dtype == np.float64
    r = np.corrcoef(ex32.influence(Xt, yt).ravel(), ref.influence(Xt, yt).ravel())[0, 1]
    assert r > 0.9999, f"float32 input vs float64: Pearson {r:.6f}"
    Xint = np.round(X * 10).astype(np.int64)
    ex_int = InfluenceExplainer(Ridge()).fit(Xint, y.astype(float))
    assert np.isfinite(ex_int.influence(Xint[:3], y[:3].astype(float))).all()


def test_unfitted_estimator_is_cloned_and_inputs_untouched(breast_cancer):
    X, y, Xt, yt = breast_cancer
    X0, y0, Xt0 = X.copy(), y.copy(), Xt.copy()
    user = LogisticRegression(**TIGHT)
    sw = np.ones(len(X))
    ex = InfluenceExplainer(user).fit(X, y, sample_weight=sw)
    ex.influence(Xt, yt)
    ex.retrain_effect(Xt, yt, [0, 1])
    with pytest.raises(NotFittedError):
        user.predict(X)
    assert ex.estimator_ is not user
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(Xt, Xt0)
    np.testing.assert_array_equal(sw, 1.0)


def test_cv_estimators_use_the_chosen_hyper_parameter(diabetes, breast_cancer):
    X, y, Xt, yt = diabetes
    cv = RidgeCV(alphas=[0.01, 0.1, 1.0]).fit(X, y)
    a = InfluenceExplainer(cv).fit(X, y).influence(Xt, yt)
    b = InfluenceExplainer(Ridge(alpha=cv.alpha_).fit(X, y)).fit(X, y).influence(Xt, yt)
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9 * np.abs(b).max())
    X, y, Xt, yt = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lcv = LogisticRegressionCV(Cs=[0.1, 1.0], l1_ratios=(0.0,), use_legacy_attributes=False,
                                   scoring="neg_log_loss", **TIGHT).fit(X, y)
    ex = InfluenceExplainer(lcv).fit(X, y)
    assert ex.adapter_.C == float(np.ravel(lcv.C_)[0])
    truth = ex.retrain_effect(Xt, yt, [[3]])
    pred = ex.population_influence(Xt, yt, [[3]])
    assert np.corrcoef(truth.ravel(), pred.ravel())[0, 1] > 0.95


def test_logistic_regression_cv_with_its_defaults(breast_cancer):
    """LogisticRegressionCV() as scikit-learn builds it by default (legacy
    attributes, ``l1_ratio_ == [None]``): the L2 model at the chosen C."""
    X, y, Xt, yt = breast_cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lcv = LogisticRegressionCV(Cs=[0.1, 1.0], **TIGHT).fit(X, y)
    ex = InfluenceExplainer(lcv).fit(X, y)
    C = float(np.ravel(lcv.C_)[0])
    assert ex.adapter_.C == C
    plain = LogisticRegression(C=C, **TIGHT).fit(X, y)
    a = ex.influence(Xt, yt)
    b = InfluenceExplainer(plain).fit(X, y).influence(Xt, yt)
    gap = np.abs(a - b).max() / np.abs(b).max()
    assert gap < 1e-4, f"relative gap to LogisticRegression(C={C}): {gap:.2e}"


def test_damping_makes_a_singular_problem_solvable(diabetes):
    X, y, Xt, yt = diabetes
    Xc = np.c_[X, X[:, 0] + X[:, 1]]  # collinear column
    with pytest.raises(SingularHessianError, match="damping"):
        InfluenceExplainer(LinearRegression()).fit(Xc, y)
    ex = InfluenceExplainer(LinearRegression(), damping=1e-6).fit(Xc, y)
    assert np.isfinite(ex.influence(np.c_[Xt, Xt[:, 0] + Xt[:, 1]], yt)).all()


def test_converged_fits_do_not_warn(breast_cancer, diabetes):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InfluenceWarning)
        InfluenceExplainer(Ridge()).fit(*diabetes[:2])
        InfluenceExplainer(LogisticRegression(**TIGHT)).fit(*breast_cancer[:2])
        InfluenceExplainer(LogisticRegression(max_iter=1000)).fit(*breast_cancer[:2])


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_mean_influence_is_the_mean_of_influence(fitted, method):
    est, X, y, Xt, yt = fitted
    ex = InfluenceExplainer(est, method=method).fit(X, y)
    for target in ("loss", "prediction"):
        I = ex.influence(Xt, yt, target=target)
        got = ex.mean_influence(Xt, yt, target=target)
        err = np.abs(got - I.mean(axis=0)).max() / np.abs(I).max()
        assert got.shape == (len(X),) and err < 1e-10, f"{method} {target}: {err:.2e}"
    if method == "first_order":  # one solve, whatever the number of rows
        solves, solve = [], ex.solver_.solve
        ex.solver_.solve = lambda B: (solves.append(np.shape(B)), solve(B))[1]
        ex.mean_influence(Xt, yt)
        del ex.solver_.solve
        assert solves == [(ex.adapter_.n_params,)], f"solves: {solves}"
    w = np.random.RandomState(0).uniform(0.0, 3.0, len(Xt))
    got = ex.mean_influence(Xt, yt, sample_weight=w)
    want = np.average(ex.influence(Xt, yt), axis=0, weights=w)
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 1e-10, f"{method} weighted mean: relative error {err:.2e}"


def test_mean_influence_predicts_the_refit_mean_loss(diabetes):
    """Squared loss, newton: the change of the mean test loss, exactly as refitting."""
    X, y, Xt, yt = diabetes
    est = Ridge(alpha=0.5).fit(X, y)
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    got = ex.mean_influence(Xt, yt)
    for j in (0, 41, 300):
        refit = refit_without(est, X, y, [j])
        truth = np.mean((yt - refit.predict(Xt)) ** 2) - np.mean((yt - est.predict(Xt)) ** 2)
        assert abs(got[j] - truth) <= 1e-7 * abs(truth) + 1e-9, \
            f"row {j}: mean_influence {got[j]:.6g} vs refit {truth:.6g}"


def test_mean_influence_bad_inputs(breast_cancer):
    X, y, Xt, yt = breast_cancer
    ex = InfluenceExplainer(LogisticRegression(**TIGHT)).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        ex.mean_influence(Xt, yt, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="rows"):
        ex.mean_influence(Xt, yt[:-1])
    with pytest.raises(ValueError, match="target"):
        ex.mean_influence(Xt, yt, target="nope")
    with pytest.raises(NotFittedError):
        InfluenceExplainer(LogisticRegression()).mean_influence(Xt, yt)
