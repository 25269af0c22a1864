"""Influence against the truth: refitting the estimator without the rows.

Figures reached by exact first-order maths on these data (issue 2): Pearson 0.968 /
slope 1.00 on breast_cancer, 0.987 / 0.72 on digits, 0.9995 / 0.96 on diabetes.
"""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _refit import agreement, refit_effects
from skinfluence import InfluenceExplainer

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)
N_ROWS = 50


def _compare(est, data, target="loss", sample_weight=None, seed=0):
    """Fit, predict single-row removals by both methods, refit the truth."""
    X, y, X_test, y_test = data
    kw = {} if sample_weight is None else {"sample_weight": sample_weight}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est = est.fit(X, y, **kw)
    rows = np.random.RandomState(seed).choice(len(X), N_ROWS, replace=False)
    truth = refit_effects(est, X, y, X_test, y_test, rows[:, None], target, sample_weight)
    out = {}
    for method in ("first_order", "newton"):
        ex = InfluenceExplainer(est, method=method).fit(X, y, **kw)
        pred = ex.influence(X_test, y_test, target=target)[:, rows]
        out[method] = agreement(pred, truth)
    return out


def _fmt(fig):
    return ", ".join(f"{m}: " + " ".join(f"{k}={v:.4g}" for k, v in f.items()) for m, f in fig.items())


LOGISTIC_CASES = {
    # name: (estimator, dataset fixture, first-order Pearson floor, target, weights)
    "breast_cancer": (lambda: LogisticRegression(C=1.0, **TIGHT), "breast_cancer", 0.95, "loss", None),
    "breast_cancer-proba": (lambda: LogisticRegression(C=1.0, **TIGHT), "breast_cancer", 0.95, "proba", None),
    "breast_cancer-sample_weight": (lambda: LogisticRegression(**TIGHT), "breast_cancer", 0.95, "loss", "sw"),
    "breast_cancer-balanced": (
        lambda: LogisticRegression(class_weight="balanced", **TIGHT), "breast_cancer", 0.95, "loss", None),
    "breast_cancer-pipeline": (
        lambda: make_pipeline(StandardScaler(), LogisticRegression(**TIGHT)), "breast_cancer", 0.95, "loss", None),
    "digits-C1": (lambda: LogisticRegression(C=1.0, **TIGHT), "digits", 0.98, "loss", None),
    "digits-C1-proba": (lambda: LogisticRegression(C=1.0, **TIGHT), "digits", 0.98, "proba", None),
    "digits-no-penalty": (lambda: LogisticRegression(C=np.inf, **TIGHT), "digits_pca", 0.98, "loss", None),
}


@pytest.mark.parametrize("name", sorted(LOGISTIC_CASES))
def test_logistic_influence_tracks_refitting(name, request):
    make, data_name, floor, target, weights = LOGISTIC_CASES[name]
    data = request.getfixturevalue(data_name)
    sw = None
    if weights == "sw":
        sw = np.random.RandomState(5).uniform(0.5, 2.0, len(data[0]))
    est = make()
    if name.endswith("pipeline"):
        # the pipeline's scaler is a fixed feature map: the truth refits the last step
        X, y, Xt, yt = data
        est.fit(X, y)
        feats = est[:-1].transform
        fig = _compare(est[-1], (feats(X), y, feats(Xt), yt), target)
        ex = InfluenceExplainer(est).fit(X, y)
        ref = InfluenceExplainer(est[-1]).fit(feats(X), y)
        np.testing.assert_allclose(ex.influence(Xt, yt), ref.influence(feats(Xt), yt), rtol=1e-12)
    else:
        fig = _compare(est, data, target, sw)
    first, newton = fig["first_order"], fig["newton"]
    assert first["pearson"] >= floor, f"{name}: {_fmt(fig)}"
    assert newton["median_ae"] < first["median_ae"], f"{name}: newton not closer: {_fmt(fig)}"
    # Pregibon's one step overshoots on the rare row of very high leverage; without
    # a penalty (digits-no-penalty) one such row makes newton's mean error 1.2x
    # first order's while its median error is 5x smaller (measured).
    limit = 1.5 if name == "digits-no-penalty" else 1.0
    assert newton["mae"] < limit * first["mae"], f"{name}: newton not closer: {_fmt(fig)}"


SQUARED_CASES = {
    "diabetes-ridge": (lambda: Ridge(alpha=1.0), "diabetes", None, "loss"),
    "diabetes-ridge-prediction": (lambda: Ridge(alpha=1.0), "diabetes", None, "prediction"),
    "diabetes-ridge-multioutput": (lambda: Ridge(alpha=[0.5, 5.0]), "diabetes", "2d", "loss"),
    "diabetes-ridge-sample_weight": (lambda: Ridge(alpha=1.0), "diabetes", "sw", "loss"),
    "diabetes-linear-regression": (lambda: LinearRegression(), "diabetes", None, "loss"),
    "iris-ridge-classifier": (lambda: RidgeClassifier(alpha=1.0), "iris", None, "loss"),
    "iris-ridge-classifier-prediction": (lambda: RidgeClassifier(alpha=1.0), "iris", None, "prediction"),
}


def _squared_data(request, data_name, variant):
    X, y, Xt, yt = request.getfixturevalue(data_name)
    if variant == "2d":
        y, yt = np.c_[y, np.sqrt(y)], np.c_[yt, np.sqrt(yt)]
    sw = np.random.RandomState(6).uniform(0.2, 3.0, len(X)) if variant == "sw" else None
    return (X, y, Xt, yt), sw


@pytest.mark.parametrize("name", sorted(SQUARED_CASES))
def test_squared_loss_newton_is_exact_leave_one_out(name, request):
    make, data_name, variant, target = SQUARED_CASES[name]
    data, sw = _squared_data(request, data_name, variant)
    fig = _compare(make(), data, target, sw)
    assert fig["first_order"]["pearson"] >= 0.98, f"{name}: {_fmt(fig)}"
    # newton is exact: relative error against the refit
    est = make().fit(*data[:2], **({} if sw is None else {"sample_weight": sw}))
    X, y, Xt, yt = data
    rows = np.random.RandomState(0).choice(len(X), N_ROWS, replace=False)
    truth = refit_effects(est, X, y, Xt, yt, rows[:, None], target, sw)
    ex = InfluenceExplainer(est, method="newton").fit(X, y, **({} if sw is None else {"sample_weight": sw}))
    pred = ex.influence(Xt, yt, target=target)[:, rows]
    rel = np.abs(pred - truth).max() / np.abs(truth).max()
    assert rel < 1e-8, f"{name}: newton vs exact leave-one-out, relative error {rel:.2e}; {_fmt(fig)}"


@pytest.mark.parametrize("name", ["diabetes-ridge", "diabetes-ridge-multioutput", "iris-ridge-classifier"])
def test_squared_loss_newton_is_exact_leave_group_out(name, request):
    make, data_name, variant, target = SQUARED_CASES[name]
    (X, y, Xt, yt), sw = _squared_data(request, data_name, variant)
    est = make().fit(X, y)
    rng = np.random.RandomState(1)
    pops = [rng.choice(len(X), size, replace=False) for size in (2, 10, len(X) // 5, len(X) // 2)]
    truth = refit_effects(est, X, y, Xt, yt, pops, target)
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    pred = ex.population_influence(Xt, yt, pops, target=target)
    rel = np.abs(pred - truth).max() / np.abs(truth).max()
    assert rel < 1e-8, f"{name}: newton vs exact leave-group-out, relative error {rel:.2e}"


@pytest.mark.parametrize("data_name,make", [
    ("breast_cancer", lambda: LogisticRegression(C=1.0, **TIGHT)),
    ("digits", lambda: LogisticRegression(C=1.0, **TIGHT)),
    ("diabetes", lambda: Ridge(alpha=1.0)),
])
def test_population_influence_tracks_refitting(data_name, make, request):
    """20 random populations of 10% of the rows: sign kept, Spearman >= 0.9."""
    X, y, Xt, yt = request.getfixturevalue(data_name)
    est = make().fit(X, y)
    rng = np.random.RandomState(2)
    pops = [rng.choice(len(X), len(X) // 10, replace=False) for _ in range(20)]
    truth = refit_effects(est, X, y, Xt[:5], yt[:5], pops)
    figs = {}
    for method in ("first_order", "newton"):
        pred = InfluenceExplainer(est, method=method).fit(X, y).population_influence(Xt[:5], yt[:5], pops)
        figs[method] = agreement(pred, truth)
        same = np.sign(pred) == np.sign(truth)
        # random 10% populations mostly cancel out; where the actual effect is
        # tiny (< 10% of the largest), second-order terms can flip its sign
        large = np.abs(truth) >= 0.1 * np.abs(truth).max()
        figs[method]["sign"] = float(same.mean())
        figs[method]["sign_large"] = float(same[large].mean())
    first, newton = figs["first_order"], figs["newton"]
    assert first["spearman"] >= 0.9, f"{data_name}: {_fmt(figs)}"
    assert first["sign_large"] == 1.0 and first["sign"] >= 0.9, f"{data_name}: {_fmt(figs)}"
    assert newton["mae"] <= first["mae"] * (1 + 1e-9), f"{data_name}: {_fmt(figs)}"


def test_retrain_effect_is_the_refit(breast_cancer, diabetes):
    for make, (X, y, Xt, yt) in [(lambda: LogisticRegression(**TIGHT), breast_cancer),
                                 (lambda: Ridge(alpha=1.0), diabetes)]:
        est = make().fit(X, y)
        pops = [np.arange(10), np.arange(50, 120)]
        truth = refit_effects(est, X, y, Xt, yt, pops)
        got = InfluenceExplainer(est).fit(X, y).retrain_effect(Xt, yt, pops)
        err = np.abs(got - truth).max() / np.abs(truth).max()
        assert err < 1e-7, f"{type(est).__name__}: retrain_effect vs independent refit, {err:.2e}"


def test_retrain_effect_freezes_balanced_class_weight(breast_cancer):
    """'balanced' is treated as fixed weights: the refit keeps the full-data weights."""
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression(class_weight="balanced", **TIGHT).fit(X, y)
    counts = np.bincount(y)
    frozen = LogisticRegression(
        class_weight={k: len(y) / (2 * counts[k]) for k in (0, 1)}, **TIGHT).fit(X, y)
    pop = np.flatnonzero(y == 1)[:40]  # shifts the class balance
    truth = refit_effects(frozen, X, y, Xt, yt, [pop])[:, 0]
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    actual = ex.retrain_effect(Xt, yt, pop)
    err = np.abs(actual - truth).max() / np.abs(truth).max()
    assert err < 1e-7, f"retrain_effect vs refit with frozen weights: {err:.2e}"
    newton = agreement(ex.population_influence(Xt, yt, pop), truth)
    first = agreement(InfluenceExplainer(est).fit(X, y).population_influence(Xt, yt, pop), truth)
    assert newton["mae"] < first["mae"] and first["pearson"] > 0.95, f"newton {newton}, first {first}"
