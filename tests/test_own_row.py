"""Own-row leave-one-out decisions: the K x K route equals J_j times the shifts.

``own_decision_shifts`` must give, to rounding, what the per-row parameter
shifts (``newton_shifts`` / ``first_order_shifts``, i.e. ``params_influence``)
give once multiplied by the row's own Jacobian; and with them the pruner's
leave-one-out decisions must match refitting without the row (squared loss:
exactly).
"""

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits, load_wine, make_classification
from sklearn.linear_model import (
    LogisticRegression,
    PoissonRegressor,
    Ridge,
    SGDClassifier,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluenceExplainer
from skinfluence.influence import (
    FittedObjective,
    first_order_shifts,
    explicit_inverse,
    newton_shifts,
    own_decision_shifts,
)
from skinfluence.influence import own_row
from skinfluence.influence.shifts import newton_operator
from skinfluence.resampling.leave_one_out import leave_one_out_decision


def _objective(ex, operator=True):
    return FittedObjective(ex.adapter_, ex.design_, ex.Y_, ex.weights_, ex.solver_,
                           ex.operator_ if operator else None)


def _through_shifts(obj, method):
    """J_j (theta_{-j} - theta) from the (n, n_params) shifts: the old route."""
    a = obj.adapter
    rows = slice(0, obj.n_rows)
    if method == "newton":
        S = newton_shifts(obj, rows, newton_operator(obj))
    else:
        S = first_order_shifts(obj, rows)
    S = S.reshape(obj.n_rows, a.n_outputs, a.n_dof)
    return np.einsum("jka,ja->jk", S, a.augmented_rows(obj.X))


def _problems():
    X, y = make_classification(120, 6, n_informative=4, random_state=0)
    Xm, ym = load_wine(return_X_y=True)
    Xm = StandardScaler().fit_transform(Xm)
    rng = np.random.RandomState(1)
    Xp = rng.normal(size=(80, 4))
    yp = rng.poisson(np.exp(0.3 * Xp[:, 0])).astype(float)
    w = rng.uniform(0.5, 2.0, 120)
    return {
        "ridge": (Ridge(alpha=0.5), X, X[:, 0] + rng.normal(size=120), None),
        "binary logistic, weighted": (LogisticRegression(C=0.3, tol=1e-10), X, y, w),
        "multinomial": (LogisticRegression(C=0.1, tol=1e-10), Xm, ym, None),
        "multinomial, no intercept": (
            LogisticRegression(C=0.5, tol=1e-10, fit_intercept=False), Xm, ym, None),
        "poisson (penalty share)": (
            PoissonRegressor(alpha=0.1, solver="newton-cholesky", tol=1e-12),
            Xp, yp, None),
        "sgd (penalty share)": (
            SGDClassifier(loss="log_loss", alpha=0.01, tol=1e-10, max_iter=5000,
                          random_state=0), X, y, None),
    }


PROBLEMS = _problems()


# SGD stops short of the optimum (a stationarity warning); both routes take the
# same step from the same theta, so they must agree all the same
@pytest.mark.filterwarnings("ignore::skinfluence.exceptions.InfluenceWarning")
@pytest.mark.parametrize("method", ["newton", "first_order"])
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_own_decision_shifts_equal_the_shifts_route(name, method):
    est, X, y, w = PROBLEMS[name]
    ex = InfluenceExplainer(est, method=method).fit(X, y, sample_weight=w)
    obj = _objective(ex)
    got, want = own_decision_shifts(obj, method), _through_shifts(obj, method)
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-300)
    assert err < 1e-10, f"{name}, {method}: max relative difference {err:.2e}"


@pytest.mark.parametrize("method", ["newton", "first_order"])
def test_mean_form_without_operator_takes_the_large_model_branch(method):
    """No operator: a mean-form objective's share is handled as newton_shifts
    does for models too large for the exact steps (share curvature dropped)."""
    est, X, y, _ = PROBLEMS["poisson (penalty share)"]
    ex = InfluenceExplainer(est, method=method).fit(X, y)
    obj = _objective(ex, operator=False)
    assert obj.penalty_gradient is not None
    got, want = own_decision_shifts(obj, method), _through_shifts(obj, method)
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 1e-10, f"{method}: max relative difference {err:.2e}"


def test_solves_route_equals_the_explicit_inverse():
    """Without an explicit inverse (large models) M_j comes from K solves per row."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ex = InfluenceExplainer(LogisticRegression(C=0.1, tol=1e-10),
                            method="newton").fit(X, y)
    obj = _objective(ex)
    a = obj.adapter
    E = obj.removed_gradient(slice(None))
    Xa = a.augmented_rows(obj.X)
    by_solves = own_row._leverage_blocks(obj, obj.X, Xa, None)
    by_inverse = own_row._leverage_blocks(obj, obj.X, Xa, explicit_inverse(obj))
    err = np.abs(by_solves - by_inverse).max() / np.abs(by_inverse).max()
    assert err < 1e-10, f"leverage blocks: max relative difference {err:.2e}"
    assert E.shape == (len(y), 3)


def test_sparse_equals_dense():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X[np.abs(X) < 0.7] = 0.0
    est = LogisticRegression(C=0.3, tol=1e-10)
    dense = own_decision_shifts(_objective(
        InfluenceExplainer(est, method="newton").fit(X, y)))
    sp = own_decision_shifts(_objective(
        InfluenceExplainer(est, method="newton").fit(sparse.csr_matrix(X), y)))
    err = np.abs(sp - dense).max()
    assert err < 1e-10, f"sparse vs dense: {err:.2e}"


def test_leave_one_out_decision_equals_the_params_influence_route():
    """The pruner's input, through a scaling pipeline, on 10-class digits."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    scorer = make_pipeline(StandardScaler(with_mean=False),
                           LogisticRegression(C=0.1, tol=1e-8, max_iter=1000))
    ex = InfluenceExplainer(scorer, method="newton").fit(X, y)
    got = leave_one_out_decision(ex, X)
    est, Xt = ex.estimator_, ex.feature_map_.transform(X)
    K, p = est.coef_.shape
    P = ex.params_influence()
    old = Xt @ est.coef_.T + est.intercept_ - (
        np.einsum("jkp,jp->jk", P[:, : K * p].reshape(-1, K, p), Xt) + P[:, K * p:])
    # softmax is invariant to a common shift: compare centred decision values
    diff = (got - got.mean(1, keepdims=True)) - (old - old.mean(1, keepdims=True))
    err = np.abs(diff).max()
    assert err < 1e-10, f"max |difference| of centred decision values {err:.2e}"
    with pytest.raises(ValueError, match="X has 10 rows; the explainer was fitted on 400"):
        leave_one_out_decision(ex, X[:10])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ridge_leave_one_out_decision_is_the_refit(seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(40, 3))
    y = X @ rng.normal(size=3) + rng.normal(size=40)
    ex = InfluenceExplainer(Ridge(alpha=2.0), method="newton").fit(X, y)
    z = leave_one_out_decision(ex, X)[:, 0]
    refit = np.array([Ridge(alpha=2.0).fit(np.delete(X, j, 0), np.delete(y, j))
                      .predict(X[j:j + 1])[0] for j in range(40)])
    err = np.abs(z - refit).max()
    assert err < 1e-9, f"seed {seed}: max |LOO decision - refit| {err:.2e}"


def test_blocks_of_rows_give_the_same_values(monkeypatch):
    """Many small blocks of rows (as for a large n) change nothing."""
    from skinfluence.parallel import row_blocks

    est, X, y, _ = PROBLEMS["multinomial"]
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    whole = own_decision_shifts(_objective(ex))
    monkeypatch.setattr(own_row, "row_blocks",
                        lambda n, cost: row_blocks(n, cost, block_elements=7 * cost))
    blocked = own_decision_shifts(_objective(ex))
    err = np.abs(blocked - whole).max()
    assert err < 1e-12, f"blocks of 7 rows vs one block: {err:.2e}"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_poisson_scorer_predictions_are_refit_means(seed):
    """A GLM scorer's ``predictions_`` is predict() (the mean, through the
    inverse link) of the model fitted without the row, not its log-mean."""
    from skinfluence import InfluencePruner

    rng = np.random.RandomState(seed)
    X = rng.normal(size=(120, 3))
    y = rng.poisson(np.exp(1.0 + 0.4 * X[:, 0])).astype(float)
    est = PoissonRegressor(alpha=0.01, solver="newton-cholesky", tol=1e-12)
    pred = InfluencePruner(est).fit(X, y).predictions_
    rows = np.arange(0, 120, 6)
    refit = np.array([PoissonRegressor(alpha=0.01, solver="newton-cholesky",
                                       tol=1e-12).fit(np.delete(X, j, 0),
                                                      np.delete(y, j))
                      .predict(X[j:j + 1])[0] for j in rows])
    rel = np.abs(pred[rows] - refit) / refit
    assert rel.max() < 1e-2, f"seed {seed}: max relative error {rel.max():.2e}"
