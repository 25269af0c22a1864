"""Cases a new user hits with scikit-learn's defaults and common settings; each
checked against refitting with scikit-learn (``_refit``), not against skinfluence."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    SGDClassifier,
)
from sklearn.svm import LinearSVC
from sklearn.utils import compute_class_weight

from _refit import TIGHT, refit_effects
from skinfluence import InfluenceExplainer, InfluenceWarning


def _binary_problem(n=80, p=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, p))
    y = (X @ rng.standard_normal(p) + rng.standard_normal(n) > 0).astype(int)
    return X, y, rng.standard_normal((6, p))


def test_logistic_regression_cv_retrain_effect_refits_at_the_chosen_C():
    """retrain_effect refits a LogisticRegression at ``C_``; it re-ran the search
    (LogisticRegressionCV subclasses LogisticRegression), which chose another C."""
    X, y, Xt = _binary_problem()
    yt = y[:6]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lcv = LogisticRegressionCV(tol=1e-10, max_iter=10_000).fit(X, y)
        ex = InfluenceExplainer(lcv, method="newton").fit(X, y)
        got = ex.retrain_effect(Xt, yt, [[0], [1], [2]])
    plain = LogisticRegression(C=float(lcv.C_[0]), **TIGHT).fit(X, y)
    truth = refit_effects(plain, X, y, Xt, yt, [[0], [1], [2]])
    gap = np.abs(got - truth).max() / np.abs(truth).max()
    assert gap < 1e-6, f"retrain_effect vs LogisticRegression(C=C_) refits: {gap:.2e}"


@pytest.mark.parametrize(
    "loss", ["squared_error", "huber", "squared_epsilon_insensitive"])
def test_sgd_classifier_with_a_regression_loss_is_refused_clearly(loss):
    """scikit-learn accepts these losses in SGDClassifier; the reader crashed on
    them (a broadcast error, or AttributeError 'margin_terms' for 3 classes)."""
    X, y, _ = _binary_problem()
    for labels in (y, np.digitize(X[:, 0], [-0.5, 0.5])):
        est = SGDClassifier(loss=loss, random_state=0).fit(X, labels)
        with pytest.raises(ValueError, match="Supported losses: log_loss"):
            InfluenceExplainer(est).fit(X, labels)


def test_linear_svc_balanced_class_weight_with_sample_weight():
    """LinearSVC (liblinear) computes 'balanced' from sample-weighted class counts;
    the reader used plain counts, so the objective was not the one minimised."""
    X, y, Xt = _binary_problem(n=120, seed=1)
    y = np.where(np.arange(len(y)) < 30, 1, y)  # unequal classes
    sw = np.random.RandomState(2).uniform(0.2, 3.0, len(y))
    tight = dict(tol=1e-12, max_iter=100_000)
    est = LinearSVC(class_weight="balanced", **tight).fit(X, y, sample_weight=sw)
    ex = InfluenceExplainer(est, method="newton").fit(X, y, sample_weight=sw)
    assert ex.relative_gradient_norm_ < 1e-4, ex.relative_gradient_norm_
    frozen = dict(zip(est.classes_, compute_class_weight(
        "balanced", classes=est.classes_, y=y, sample_weight=sw)))
    plain = LinearSVC(class_weight=frozen, **tight).fit(X, y, sample_weight=sw)
    pops = [[0], [40], [41], [42]]
    truth = refit_effects(plain, X, y, Xt, y[:6], pops, "prediction", sw)
    pred = ex.influence(Xt, y[:6], target="prediction")[:, [0, 40, 41, 42]]
    gap = np.abs(pred - truth).max() / np.abs(truth).max()
    assert gap < 1e-3, f"newton vs scikit-learn refits (decision values): {gap:.2e}"


def test_memory_refusal_names_sizes_below_a_hundredth_of_a_gib():
    """A small max_memory gave "(0.00 GiB), above ... max_memory=0.00 GiB"."""
    X, y, Xt = _binary_problem()
    ex = InfluenceExplainer(LogisticRegression(), max_memory=1e3).fit(X, y)
    need, budget = 8 * 6 * len(y) / 2**30, 1e3 / 2**30
    with pytest.raises(MemoryError) as info:
        ex.influence(Xt, y[:6])
    assert f"({need:.3g} GiB)" in str(info.value), str(info.value)
    assert f"max_memory={budget:.3g} GiB" in str(info.value), str(info.value)


def test_retrain_effect_of_a_loosely_converged_model(breast_cancer):
    """LogisticRegression() at scikit-learn's default tol=1e-4 (no stationarity
    warning) against scikit-learn's own refits, all rows and without each row, at
    tol=1e-12. retrain_effect took Q(all rows) from the loose model and Q(without)
    from a tight refit: the loose model's own error swamped single-row effects."""
    X, y, Xt, yt = breast_cancer
    est = LogisticRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InfluenceWarning)  # no warning on this model
        ex = InfluenceExplainer(est, method="newton").fit(X, y)
    pops = [[j] for j in range(0, 300, 30)]
    with warnings.catch_warnings():  # lbfgs refits stop at ~1e-5 relative gradient
        warnings.simplefilter("ignore", InfluenceWarning)
        got = ex.retrain_effect(Xt, yt, pops)
    tight = LogisticRegression(solver="newton-cholesky", **TIGHT).fit(X, y)
    truth = refit_effects(tight, X, y, Xt, yt, pops)
    gap = np.median(np.abs(got - truth)) / np.median(np.abs(truth))
    assert gap < 1e-2, f"median |retrain_effect - refits| / median |refits|: {gap:.2e}"


def test_newton_refuses_a_row_with_leverage_one():
    """LinearRegression with a one-hot column set in one row only: without that row
    the Hessian is singular. Its Newton system 1 - h_jj came out ~1e-16 rather than
    exactly 0, so method='newton' returned 0/0 noise (self-influence 4.0, a shift of
    -2.0 in that coefficient) instead of refusing."""
    X, _, Xt = _binary_problem()
    y = X @ [1.0, -2.0, 0.5, 0.0] + np.random.RandomState(3).standard_normal(len(X))
    only = np.zeros((len(X), 1))
    only[0] = 1.0
    ex = InfluenceExplainer(LinearRegression(), method="newton").fit(np.c_[X, only], y)
    Xt1 = np.c_[Xt, np.ones((len(Xt), 1))]
    for call in (ex.self_influence, ex.params_influence,
                 lambda: ex.influence(Xt1, y[:6])):
        with pytest.raises(np.linalg.LinAlgError, match="leverage 1"):
            call()
    first = InfluenceExplainer(LinearRegression()).fit(np.c_[X, only], y)
    assert abs(first.self_influence()[0]) < 1e-12  # its residual is 0


@pytest.mark.parametrize("loss", ["squared_hinge", "hinge"])
def test_binary_crammer_singer_linear_svc_is_refused(loss):
    """LinearSVC(multi_class='crammer_singer') on two classes minimises another
    objective (and ignores ``loss``); it was read as the squared hinge: wrong
    numbers behind a stationarity warning (7.5 times a row's gradient)."""
    X, y, _ = _binary_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # liblinear's ConvergenceWarning
        est = LinearSVC(multi_class="crammer_singer", loss=loss).fit(X, y)
    with pytest.raises(ValueError, match="multi_class='ovr'"):
        InfluenceExplainer(est).fit(X, y)


def test_logistic_refits_reach_the_refit_tolerance_without_a_warning():
    """The quickstart's case: lbfgs refits stalled near 1e-5 of a row's gradient,
    so every retrain_effect warned that the truth was approximate; the refits
    (same L2 objective) now use newton-cholesky and sit at the optimum."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skinfluence.influence import REFIT_STATIONARITY_TOLERANCE, gradient_norms

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(),
                          LogisticRegression(max_iter=1000, tol=1e-10))
    ex = InfluenceExplainer(model, method="newton").fit(X[:400], y[:400])
    with warnings.catch_warnings():
        warnings.simplefilter("error", InfluenceWarning)
        actual = ex.retrain_effect(X[400:], y[400:], [[0], [3, 4, 5]], target="proba")
    refit = ex.adapter_.refit(ex.X_[1:], y[1:400])
    adapter = type(ex.adapter_)(refit, y[1:400], None)
    Y = adapter.encode_target(y[1:400])
    _, rel = gradient_norms(adapter, ex.X_[1:], Y, adapter.row_weights(Y, np.ones(399)))
    assert rel < REFIT_STATIONARITY_TOLERANCE, f"refit relative gradient {rel:.2e}"
    predicted = ex.population_influence(X[400:], y[400:], [[0], [3, 4, 5]],
                                        target="proba")
    r = np.corrcoef(actual.ravel(), predicted.ravel())[0, 1]
    assert r > 0.99, f"newton against the refits: correlation {r:.4f}"
