"""Leftovers of the model-adapter probe: a removal that empties a class, a diverged
SGD fit whose Hessian is singular, and self-influence slightly below zero."""

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (GammaRegressor, HuberRegressor, LinearRegression,
                                  LogisticRegression, Ridge, RidgeClassifier,
                                  SGDClassifier)
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from _refit import quantity
from skinfluence import InfluenceExplainer
from skinfluence.exceptions import InfluenceWarning, SingularHessianError
from skinfluence.influence import gradient_norms


def _recorded(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [w for w in caught if issubclass(w.category, InfluenceWarning)]


def _lone_row_data(n_classes):
    """16 rows, row 4 the only member of the last class."""
    rng = np.random.RandomState(0)
    y = np.zeros(16, dtype=int) if n_classes == 2 else np.arange(16) % 2
    y[4] = n_classes - 1
    X = rng.randn(16, 3) + y[:, None]
    return X, y


CLASSIFIERS = {
    "logistic_binary": (LogisticRegression(tol=1e-10, max_iter=1000), 2),
    "logistic_multinomial": (LogisticRegression(tol=1e-10, max_iter=1000), 3),
    "ridge_classifier": (RidgeClassifier(), 3),
    "sgd_log_loss": (SGDClassifier(loss="log_loss", alpha=0.1, tol=1e-12,
                                   max_iter=5000, random_state=0), 3),
    "linear_svc_binary": (LinearSVC(tol=1e-12, max_iter=100_000), 2),
}


def test_ridge_classifier_lone_row_reproducer_warns_and_refit_has_other_classes():
    rng = np.random.RandomState(0)
    X, y = rng.randn(8, 2), np.array([0, 0, 0, 0, 2, 1, 1, 1])
    Xt, yt = np.delete(X, 4, 0), np.delete(y, 4)  # test rows: the other classes
    est = RidgeClassifier()
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    infl, caught = _recorded(lambda: ex.influence(Xt, yt))
    full = clone(est).fit(X, y)

    def refit_effect(j):
        refit = clone(est).fit(np.delete(X, j, 0), np.delete(y, j))
        return quantity(full, Xt, yt, "loss") - quantity(refit, Xt, yt, "loss"), refit

    measured, refit = refit_effect(4)
    gap = float(np.abs(infl[:, 4] - measured).max())
    msg = (f"row 4: influence {np.round(infl[:, 4], 3)} (sum {infl[:, 4].sum():.3g})"
           f" vs refit {np.round(measured, 3)} (sum {measured.sum():.3g}), max gap "
           f"{gap:.3g}; refit classes {refit.classes_.tolist()}; warnings "
           f"{[str(w.message) for w in caught]}")
    assert refit.classes_.tolist() == [0, 1], msg
    assert gap > 0.5, msg  # the formula does not predict that refit
    assert len(caught) == 1 and "Row(s) [4] (1 in all)" in str(caught[0].message), msg
    assert "not what a refit gives" in str(caught[0].message), msg
    # a row whose class keeps others: newton is exact for squared loss
    exact, _ = refit_effect(0)
    err = float(np.abs(infl[:, 0] - exact).max())
    assert err < 1e-8, f"row 0: max |influence - refit| = {err:.3g}"


@pytest.mark.parametrize("name", list(CLASSIFIERS))
@pytest.mark.parametrize("method", ["first_order", "newton"])
# SGD at tol=1e-12 runs its 5000 epochs: scikit-learn's stopping-rule warning
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_method_warns_once_for_a_row_alone_in_its_class(name, method):
    est, n_classes = CLASSIFIERS[name]
    X, y = _lone_row_data(n_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # SGD at tol=1e-12
        est = clone(est).fit(X, y)
    keep = np.arange(len(y)) != 4
    try:  # the truth: a refit without row 4 is another model, or none at all
        refit_classes = clone(est).fit(X[keep], y[keep]).classes_.tolist()
    except ValueError as exc:
        refit_classes = f"refused: {exc}"[:60]
    assert refit_classes != est.classes_.tolist(), refit_classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)  # stationarity of SGD
        ex = InfluenceExplainer(est, method=method).fit(X, y)
    calls = {
        "influence": lambda: ex.influence(X[:3], y[:3]),
        "self_influence": ex.self_influence,
        "top_influences": lambda: ex.top_influences(X[:3], y[:3], k=2),
        "mean_influence": lambda: ex.mean_influence(X[:3], y[:3]),
        "population_influence": lambda: ex.population_influence(
            X[:3], y[:3], [[4, 5], [0, 1]]),
    }
    for call_name, call in calls.items():
        _, caught = _recorded(call)
        texts = [str(w.message) for w in caught]
        want = "Population(s) [0] (1 in all)" if "population" in call_name else (
            "Row(s) [4] (1 in all)")
        assert len(caught) == 1 and want in texts[0], (name, call_name, texts)
        assert caught[0].filename == __file__, (call_name, caught[0].filename)
    with pytest.raises(ValueError, match="leaves no row of class"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InfluenceWarning)  # SGD's full refit
            ex.retrain_effect(X[:3], y[:3], [[4]])  # the same check, refusing


def test_no_class_warning_when_every_class_keeps_a_row():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:200]
    y = y[:200]
    ex = InfluenceExplainer(LogisticRegression(max_iter=1000)).fit(X, y)
    for call in (lambda: ex.influence(X[:3], y[:3]), ex.self_influence,
                 lambda: ex.population_influence(X[:3], y[:3], [np.arange(150)])):
        _, caught = _recorded(call)
        assert caught == [], [str(w.message) for w in caught]
    Xd, yd = load_diabetes(return_X_y=True)
    ex = InfluenceExplainer(Ridge()).fit(Xd, yd)  # a regressor has no classes
    _, caught = _recorded(ex.self_influence)
    assert caught == [], [str(w.message) for w in caught]


def test_class_warning_lists_a_few_rows_and_the_count():
    rng = np.random.RandomState(1)
    y = np.r_[np.repeat([0, 1], 20), np.arange(2, 9)]  # classes 2..8 alone
    X = rng.randn(len(y), 3) + 0.3 * y[:, None]
    ex = InfluenceExplainer(LogisticRegression(max_iter=2000)).fit(X, y)
    _, caught = _recorded(ex.self_influence)
    text = str(caught[0].message)
    assert len(caught) == 1 and "[40, 41, 42, 43, 44] ... (7 in all)" in text, text
    pops = [np.flatnonzero(y == 0), np.flatnonzero(y == 0)[:-1], [40]]
    _, caught = _recorded(lambda: ex.population_influence(X[:2], y[:2], pops))
    text = str(caught[0].message)
    assert len(caught) == 1 and "Population(s) [0, 2] (2 in all)" in text, text


def _diverged_sgd():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X[:, 0] *= 1e6
    return SGDClassifier(loss="log_loss", random_state=0).fit(X, y), X, y


def test_diverged_sgd_singular_hessian_error_carries_the_gradient_norm():
    est, X, y = _diverged_sgd()
    ex = InfluenceExplainer(est)
    with pytest.raises(SingularHessianError) as info:
        ex.fit(X, y)
    text = str(info.value)
    a = ex.adapter_
    Y = a.encode_target(y)
    norm, rel = gradient_norms(a, a.design(X), Y, a.row_weights(Y, np.ones(len(y))))
    found = re.search(r"\|\|grad F\(theta\)\|\| = (\S+), (\S+) times", text)
    assert found, text
    assert np.isclose(float(found[1]), norm, rtol=1e-2), (found[1], norm, rel)
    assert np.isclose(float(found[2]), rel, rtol=1e-2), (found[2], norm, rel)
    assert rel > 10 and "StandardScaler" in text and "singular" in text, (rel, text)
    # the user's model: the same error from a fitted clone, the data untouched
    assert np.isclose(X[:, 0].std(), 1e6), X[:, 0].std()


def test_singular_hessian_of_a_stationary_fit_keeps_the_solver_message():
    X, y = load_diabetes(return_X_y=True)
    X = np.c_[X, X[:, 0]]  # collinear; lstsq is at its (flat) optimum
    with pytest.raises(SingularHessianError) as info:
        InfluenceExplainer(LinearRegression(), solver="cholesky").fit(X, y)
    assert "not at an optimum" not in str(info.value), str(info.value)
    assert "collinear" in str(info.value), str(info.value)


@pytest.mark.parametrize("est", [
    GammaRegressor(alpha=1.0, tol=1e-10, max_iter=1000),
    HuberRegressor(alpha=1.0, tol=1e-10, max_iter=10_000),
], ids=["gamma", "huber"])
def test_negative_self_influence_is_what_a_refit_gives(est):
    """Each row's share of the penalty (Gamma) or of the scale (Huber): the refit
    raises the row's own loss, as the documented self-influence says."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    s = ex.self_influence()
    j = int(np.argmin(s))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)  # refit's own tolerance
        measured = float(ex.retrain_effect(X[j:j + 1], y[j:j + 1], [j])[0])
    msg = f"row {j}: self_influence {s[j]:.4g}, refit {measured:.4g}"
    assert s[j] < 0 and measured < 0, msg
    assert abs(s[j] - measured) < 0.05 * abs(measured), msg
