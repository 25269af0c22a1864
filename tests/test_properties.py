"""Property tests over small random problems (binary, multinomial, ridge).

Each property runs on ``max_examples=25`` generated problems (n in [20, 60],
p in [1, 5], weights and seeds drawn by hypothesis), no deadline.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression, Ridge

from _refit import refit_effects
from skinfluence import InfluenceExplainer

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw, kinds=("binary", "multinomial", "ridge")):
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(20, 60))
    p = draw(st.integers(1, 5))
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    w = rng.standard_normal((p, 3))
    if kind == "ridge":
        y = X @ w[:, 0] + rng.standard_normal(n)
        est = Ridge(alpha=draw(st.floats(0.01, 10.0)))
    else:
        k = 2 if kind == "binary" else 3
        logits = X @ w[:, :k] + rng.gumbel(size=(n, k))
        y = logits.argmax(1)
        y[:2 * k] = np.tile(np.arange(k), 2)  # every class, twice: no row alone
        est = LogisticRegression(C=draw(st.floats(0.05, 10.0)), **TIGHT)
    return est.fit(X, y), X, y


# additivity holds whatever the population: one that holds every row of a class
# is warned about (a refit has fewer classes), not wrong here
@pytest.mark.filterwarnings("ignore:Population.*hold every row of a class")
@SETTINGS
@given(problems(), st.data())
def test_first_order_population_influence_is_additive(problem, data):
    est, X, y = problem
    ex = InfluenceExplainer(est).fit(X, y)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(X), max_size=len(X))))
    if not 0 < mask.sum() < len(X):
        mask[0], mask[-1] = True, False
    I = ex.influence(X[:4], y[:4])
    np.testing.assert_allclose(ex.population_influence(X[:4], y[:4], mask), I[:, mask].sum(1),
                               rtol=1e-8, atol=1e-12)


@SETTINGS
@given(problems(), st.sampled_from(["first_order", "newton"]))
def test_self_influence_is_nonnegative(problem, method):
    est, X, y = problem
    si = InfluenceExplainer(est, method=method).fit(X, y).self_influence()
    assert si.min() >= -1e-12 * max(si.max(), 1e-300), f"{method}: min {si.min():.3g}"


@SETTINGS
@given(problems(), st.integers(0, 2**31 - 1))
def test_influence_is_invariant_to_permuting_rows(problem, seed):
    est, X, y = problem
    perm = np.random.RandomState(seed).permutation(len(X))
    I = InfluenceExplainer(est).fit(X, y).influence(X[:5], y[:5])
    from sklearn.base import clone

    Ip = InfluenceExplainer(clone(est)).fit(X[perm], y[perm]).influence(X[:5], y[:5])
    np.testing.assert_allclose(Ip, I[:, perm], rtol=1e-6, atol=1e-9 * np.abs(I).max())


@SETTINGS
@given(problems(), st.integers(2, 3), st.integers(0, 10))
def test_row_weight_w_scales_first_order_influence_by_w(problem, w, j):
    """A row of weight w is w copies of it (same fit, same Hessian): its influence
    is w times that of removing one copy."""
    est, X, y = problem
    from sklearn.base import clone

    sw = np.ones(len(X))
    sw[j] = w
    weighted = InfluenceExplainer(clone(est)).fit(X, y, sample_weight=sw)
    copies = np.r_[np.arange(len(X)), np.full(w - 1, j)]
    copied = InfluenceExplainer(clone(est)).fit(X[copies], y[copies])
    a = weighted.influence(X[:5], y[:5])[:, j]
    b = copied.influence(X[:5], y[:5])[:, j]
    np.testing.assert_allclose(a, w * b, rtol=1e-6, atol=1e-9 * max(np.abs(a).max(), 1e-300))


@SETTINGS
@given(problems(kinds=("ridge",)), st.integers(0, 10))
def test_newton_is_exact_for_squared_loss(problem, j):
    est, X, y = problem
    pred = InfluenceExplainer(est, method="newton").fit(X, y).influence(X[:5] + 0.3, y[:5])[:, j]
    truth = refit_effects(est, X, y, X[:5] + 0.3, y[:5], [[j]])[:, 0]
    np.testing.assert_allclose(pred, truth, rtol=1e-8, atol=1e-10 * np.abs(truth).max())


@SETTINGS
@given(problems())
def test_results_are_identical_across_calls_and_jobs(problem):
    est, X, y = problem
    ex = InfluenceExplainer(est).fit(X, y)
    a = ex.influence(X[:5], y[:5])
    np.testing.assert_array_equal(a, ex.influence(X[:5], y[:5]))
    b = InfluenceExplainer(est, n_jobs=2).fit(X, y).influence(X[:5], y[:5])
    np.testing.assert_array_equal(a, b)
