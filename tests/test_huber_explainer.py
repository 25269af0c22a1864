"""InfluenceExplainer on HuberRegressor (ShiftLoop on HuberRemoval) against refits.

Truth: scikit-learn's own fit without the rows (tests/test_huber.py's helpers);
``target="loss"`` is the test row's Huber term at the explained model's scale_.
"""

import warnings

import numpy as np
import pytest

from _refit import agreement
from skinfluence import InfluenceExplainer, InfluenceOutlierRemover
from skinfluence.exceptions import InfluenceWarning
from test_huber import huber, planted, predicted, quantity, refit


@pytest.fixture(scope="module", params=["diabetes", "wine"])
def case(request):
    X, y = planted(request.param, seed=2)
    rng = np.random.RandomState(3)
    test = rng.choice(len(y), 15, replace=False)
    train = np.setdiff1d(np.arange(len(y)), test)
    X, y, Xt, yt = X[train], y[train], X[test], y[test]
    est = huber().fit(X, y)
    outside = np.abs(y - est.predict(X)) > est.epsilon * est.scale_
    rows = np.r_[rng.choice(np.flatnonzero(outside), 10, replace=False),
                 rng.choice(np.flatnonzero(~outside), 10, replace=False)]
    pops = [rng.choice(len(y), len(y) // 10, replace=False) for _ in range(6)]
    ex = {m: InfluenceExplainer(est, method=m).fit(X, y)
          for m in ("first_order", "newton")}
    return dict(name=request.param, X=X, y=y, Xt=Xt, yt=yt, est=est, ex=ex,
                rows=rows, pops=pops, refits=[refit(est, X, y, [j]) for j in rows],
                pop_refits=[refit(est, X, y, p) for p in pops])


def effects(case, models, target):
    """Q(all rows) - Q(refit), Q at the explained model's scale_ (see test_huber)."""
    s, Xt, yt = case["est"].scale_, case["Xt"], case["yt"]
    q = quantity(case["est"], s, Xt, yt, target)
    return np.column_stack([q - quantity(m, s, Xt, yt, target) for m in models])


@pytest.mark.parametrize("target", ["loss", "prediction"])
@pytest.mark.parametrize("method, floor", [("first_order", 0.95), ("newton", 0.99)])
def test_influence_against_refits(case, target, method, floor):
    ex = case["ex"][method]
    infl = ex.influence(case["Xt"], case["yt"], target)
    assert infl.shape == (len(case["yt"]), len(case["y"]))
    g = agreement(infl[:, case["rows"]], effects(case, case["refits"], target))
    assert g["pearson"] >= floor, f"{case['name']}: Pearson {g['pearson']:.4f}"
    assert 0.9 <= g["slope"] <= 1.1, f"{case['name']}: slope {g['slope']:.3f}"
    # the explainer is the engine (docs/accuracy.md's HuberRegressor figures)
    shifts = ex.removal_.shifts(slice(None), method)
    engine = predicted(ex.adapter_, shifts, case["Xt"], case["yt"], target, method)
    err = np.abs(infl - engine).max()  # predicted(): Q(phi) - Q(phi + shift)
    assert err <= 1e-12 * np.abs(engine).max(), f"off the engine by {err:.2e}"


@pytest.mark.parametrize("method, floor", [("first_order", 0.95), ("newton", 1.0)])
def test_population_signs_and_retrain_effect_against_refits(case, method, floor):
    ex, Xt, yt = case["ex"][method], case["Xt"], case["yt"]
    for target in ("loss", "prediction"):
        truth = effects(case, case["pop_refits"], target)
        pred = ex.population_influence(Xt, yt, case["pops"], target)
        big = np.abs(truth) >= 0.1 * np.abs(truth).max()
        share = np.mean(np.sign(pred[big]) == np.sign(truth[big]))
        assert share >= floor, f"{case['name']} {target}: sign on {share:.2%}"
    # retrain_effect refits through the adapter: the same truth
    with warnings.catch_warnings():  # its note on where the refits stopped
        warnings.simplefilter("ignore", InfluenceWarning)
        measured = ex.retrain_effect(Xt, yt, case["pops"][:2], "loss")
    truth = effects(case, case["pop_refits"][:2], "loss")
    err = np.abs(measured - truth).max() / np.abs(truth).max()
    assert err < 0.02, f"{case['name']}: retrain_effect off the refits by {err:.2%}"


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_every_method_is_consistent_with_influence(case, method):
    ex, Xt, yt = case["ex"][method], case["Xt"], case["yt"]
    full = ex.influence(Xt, yt, "prediction")
    top = ex.top_influences(Xt, yt, k=4, target="prediction")
    assert np.array_equal(top.helpful_indices, np.argsort(-full, axis=1)[:, :4])
    assert np.array_equal(top.harmful_indices, np.argsort(full, axis=1)[:, :4])
    w = np.random.RandomState(0).uniform(0.5, 2.0, len(yt))
    mean = ex.mean_influence(Xt, yt, "loss", sample_weight=w)
    assert np.allclose(mean, w @ ex.influence(Xt, yt, "loss") / w.sum(), atol=1e-14)
    own = ex.influence(case["X"], case["y"], "loss")
    assert np.allclose(ex.self_influence(), np.diag(own), rtol=1e-10, atol=1e-15)
    # a population of one row is the row
    pop = ex.population_influence(Xt, yt, [[7]], "loss")
    assert np.allclose(pop[:, 0], ex.influence(Xt, yt, "loss")[:, 7])
    # n_jobs: the same numbers from two threads
    two = InfluenceExplainer(case["est"], method=method, n_jobs=2).fit(case["X"],
                                                                     case["y"])
    assert np.array_equal(two.influence(Xt, yt, "prediction"), full)


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_params_influence_is_the_engines_shift_with_the_scale_last(case, method):
    ex = case["ex"][method]
    params = ex.params_influence()
    est = case["est"]
    assert params.shape == (len(case["y"]), est.coef_.size + 2)
    assert np.allclose(params, -ex.removal_.shifts(slice(None), method))
    if method == "newton":  # against refits: coef_, intercept_, scale_
        phi = np.r_[est.coef_, est.intercept_, est.scale_]
        true = phi - np.array([np.r_[m.coef_, m.intercept_, m.scale_]
                               for m in case["refits"]])
        g = agreement(params[case["rows"]], true)
        assert g["pearson"] >= 0.99, f"{case['name']}: Pearson {g['pearson']:.4f}"


def test_outlier_remover_scores_rows_with_the_huber_self_influence():
    """The remover takes HuberRegressor as its scorer (its explainer's self_influence).

    Measured, not asserted: a robust loss bounds an outlier's influence, so with
    5% contamination the rows removed hold 0-4.4x the planted share (diabetes,
    wine; seeds 5-7): HuberRegressor scores rows, it does not flag its outliers.
    """
    X, y = planted("diabetes", seed=5, share=0.05)
    remover = InfluenceOutlierRemover(estimator=huber(), contamination=0.05).fit(X, y)
    own = InfluenceExplainer(huber()).fit(X, y).self_influence()
    assert np.allclose(remover.self_influence_, own, rtol=1e-10, atol=1e-15)
    top = np.sort(np.argsort(-own)[: len(remover.removed_indices_)])
    assert np.array_equal(remover.removed_indices_, top)


def test_unsupported_options_are_refused_with_what_is_supported():
    X, y = planted("wine")
    with pytest.raises(ValueError, match="must be 'auto' or 'cholesky', got 'cg'"):
        InfluenceExplainer(huber(), solver="cg").fit(X, y)
    with pytest.raises(ValueError, match="damping is not supported for HuberRegressor"):
        InfluenceExplainer(huber(), damping=1e-3).fit(X, y)
    ex = InfluenceExplainer(huber(), solver="cholesky", max_memory=1000).fit(X, y)
    with pytest.raises(ValueError, match="target='proba' needs"):
        ex.influence(X[:3], y[:3], target="proba")
    with pytest.raises(MemoryError, match="influence"):
        ex.influence(X[:3], y[:3])
    with pytest.raises(MemoryError, match="params_influence"):
        ex.params_influence()
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match="Dask path does not compute"):
        InfluenceExplainer(huber().fit(X, y)).fit(da.from_array(X, chunks=50), y)


@pytest.mark.parametrize("method, floor", [("first_order", 0.95), ("newton", 0.99)])
def test_leave_one_out_predictions_move_the_scale_too(case, method, floor):
    """The pruner's leave-one-out decision values, against refits at the rows."""
    from skinfluence.resampling.leave_one_out import leave_one_out_decision

    ex, rows, X = case["ex"][method], case["rows"], case["X"]
    loo = leave_one_out_decision(ex, X)[rows, 0]
    true = np.array([m.predict(X[[j]])[0] for m, j in zip(case["refits"], rows)])
    fitted = case["est"].predict(X[rows])
    g = agreement(loo - fitted, true - fitted)
    assert g["pearson"] >= floor, f"{case['name']}: Pearson {g['pearson']:.4f}"
    diag = np.diag(ex.influence(X[rows], case["y"][rows], "prediction")[:, rows])
    assert np.allclose(loo - fitted, -diag)


def test_stationarity_is_measured_with_the_scale_and_warned_once():
    from sklearn.linear_model import HuberRegressor

    X, y = planted("diabetes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stopped = HuberRegressor(epsilon=1.35, alpha=1e-3, max_iter=3).fit(X, y)
    with pytest.warns(InfluenceWarning, match="not at an optimum") as caught:
        ex = InfluenceExplainer(stopped).fit(X, y)
    assert sum(issubclass(w.category, InfluenceWarning) for w in caught) == 1
    norm, rel = ex.removal_.gradient_norms()  # (w, b, scale) gradient
    assert (ex.gradient_norm_, ex.relative_gradient_norm_) == (norm, rel)
    assert rel > 1, f"relative gradient norm {rel:.3g}"
