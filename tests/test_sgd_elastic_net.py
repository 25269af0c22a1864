"""SGDClassifier / SGDRegressor with an L1 part (penalty='l1' or 'elasticnet'), read
on SGD's active set: the restricted objective against finite differences, influence
against the exact optimum without rows, SGD's support against the optimum's, and
the support-change warning against exact refits.

Truth, as in ``test_sgd.py``: the *exact* optimum of the objective SGD estimates,

    1/n sum_i L_i + alpha (rho ||w||_1 + (1 - rho)/2 ||w||^2)   (intercept free),

found by scipy from scikit-learn's ``_sgd_fast`` formulas (``_sklearn_loss`` of
``test_sgd.py``), independent of skinfluence: on the whole objective with
``w = u - v``, ``u, v >= 0`` (L-BFGS-B with bounds) to find the support, then on
a signed support, where the L1 part is linear and the objective smooth, to full
precision. A solution on a signed support is the exact optimum iff it keeps the
signs and every zero coefficient satisfies ``|G_j| <= alpha rho`` (KKT; convex);
rows whose removal breaks that are the ones that change the support.
"""

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.datasets import load_iris
from sklearn.linear_model import ElasticNet, SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler

from _refit import agreement
from skinfluence import InfluenceExplainer
from skinfluence.exceptions import InfluenceWarning
from skinfluence.models import SGDAdapter, SGDElasticNetAdapter, make_adapter
from test_sgd import EPSILON, _breast_cancer, _diabetes, _sklearn_loss

REGRESSION = ("squared_error", "huber", "squared_epsilon_insensitive")


def _terms(loss, X, y, w, b):
    """Mean loss, its gradient in w and in b."""
    val, dz = _sklearn_loss(loss, X @ w + b, y)
    return val.mean(), X.T @ dz / len(y), dz.mean()


def on_support(loss, X, y, alpha, rho, signs, theta0):
    """argmin on the signed support (intercept last), and whether it is the exact
    optimum of the whole objective (signs kept, |G_j| <= alpha rho at the zeros)."""
    A = np.flatnonzero(signs)

    def f(t):
        w = np.zeros(X.shape[1])
        w[A] = t[:-1]
        val, gw, gb = _terms(loss, X, y, w, t[-1])
        wa = t[:-1]
        obj = val + alpha * rho * signs[A] @ wa + 0.5 * alpha * (1 - rho) * wa @ wa
        return obj, np.append(gw[A] + alpha * rho * signs[A] + alpha * (1 - rho) * wa,
                              gb)

    res = minimize(f, np.append(theta0[A], theta0[-1]), jac=True, method="L-BFGS-B",
                   options=dict(gtol=1e-13, ftol=1e-16, maxiter=50000, maxcor=30))
    w = np.zeros(X.shape[1])
    w[A] = res.x[:-1]
    gw = _terms(loss, X, y, w, res.x[-1])[1]
    kkt = np.all(np.abs(gw[signs == 0]) <= alpha * rho * (1 + 1e-6))
    return np.append(w, res.x[-1]), bool(kkt and np.all(np.sign(w[A]) == signs[A]))


def exact_optimum(loss, X, y, alpha, rho, theta0):
    """argmin of the whole objective: w = u - v with bounds, polished on its support."""
    p = X.shape[1]

    def f(t):
        w = t[:p] - t[p:2 * p]
        val, gw, gb = _terms(loss, X, y, w, t[-1])
        g = gw + alpha * (1 - rho) * w
        obj = val + alpha * rho * t[:2 * p].sum() + 0.5 * alpha * (1 - rho) * w @ w
        return obj, np.concatenate([g + alpha * rho, alpha * rho - g, [gb]])

    w0 = theta0[:-1]
    t0 = np.concatenate([np.maximum(w0, 0), np.maximum(-w0, 0), theta0[-1:]])
    res = minimize(f, t0, jac=True, method="L-BFGS-B",
                   bounds=[(0, None)] * (2 * p) + [(None, None)],
                   options=dict(gtol=1e-13, ftol=1e-16, maxiter=50000, maxcor=30))
    w = res.x[:p] - res.x[p:2 * p]
    signs = np.sign(np.where(np.abs(w) > 1e-7 * np.abs(w).max(), w, 0.0))
    theta, kkt = on_support(loss, X, y, alpha, rho, signs, np.append(w, res.x[-1]))
    assert kkt, f"{loss}: the exact optimum failed its own KKT check"
    return theta


def _sgd(loss, alpha, rho, max_iter=5000):
    kw = dict(loss=loss, alpha=alpha, penalty="elasticnet", l1_ratio=rho, tol=None,
              max_iter=max_iter, random_state=0)
    if rho == 1.0:
        kw["penalty"] = "l1"
    if loss in EPSILON:
        kw["epsilon"] = EPSILON[loss]
    if loss == "squared_hinge":  # the 'optimal' schedule diverges on breast_cancer
        kw.update(learning_rate="constant", eta0=1e-3)
    est = SGDRegressor(**kw) if loss in REGRESSION else SGDClassifier(**kw)
    return est


def _split(X, y, seed=0, n_test=20):
    rng = np.random.RandomState(seed)
    test = rng.choice(len(y), n_test, replace=False)
    train = np.setdiff1d(np.arange(len(y)), test)
    return X[train], y[train], X[test], y[test], rng


def _explain(est, X, y, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)
        return InfluenceExplainer(est, method=method).fit(X, y)


def _removals(loss, X, y, alpha, rho, full, removed):
    """Exact optimum without each population (on full's signed support), kept flags."""
    out, kept = [], []
    signs = np.sign(full[:-1])
    for pop in removed:
        t, k = on_support(loss, np.delete(X, pop, 0), np.delete(y, pop), alpha, rho,
                          signs, full)
        out.append(t)
        kept.append(k)
    return np.array(out), np.array(kept)


# ------------------------------------------------------- objective vs differences
@pytest.mark.parametrize("loss, data, alpha, rho", [
    ("log_loss", _breast_cancer, 0.03, 0.5),
    ("huber", _diabetes, 0.03, 1.0),
    ("squared_hinge", _breast_cancer, 0.03, 0.5),
])
def test_restricted_gradient_hessian_and_row_share_match_finite_differences(
        loss, data, alpha, rho):
    """At a perturbed theta with SGD's signs: the sum form is f n times the mean form
    (L1 linear on the support); removing row j takes out c_j (grad_j +
    row_penalty_gradient()), i.e. leaves f (n - 1) times the mean form without j."""
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd(loss, alpha, rho, 200).fit(X, y)
    a = make_adapter(est, y, None)
    assert isinstance(a, SGDElasticNetAdapter)
    XA, Y, c, n = a.design(X), a.encode_target(y), np.ones(len(y)), len(y)
    f = a.loss_factor

    def mean_objective(theta, rows=slice(None)):
        val, _, _ = _terms(loss, XA[rows], y[rows], theta[:-1], theta[-1])
        w = theta[:-1]
        return val + alpha * (rho * np.abs(w).sum() + 0.5 * (1 - rho) * w @ w)

    theta = a.theta.ravel() + 0.01 * np.sign(a.theta.ravel())  # same signs
    h, eye = 1e-6, np.eye(a.n_params)

    def grad(t):
        a.theta = t.reshape(a.theta.shape)
        return a.objective_gradient(XA, Y, c)

    fd = np.array([mean_objective(theta + h * e) - mean_objective(theta - h * e)
                   for e in eye]) / (2 * h) * f * n
    g = grad(theta)
    err = np.abs(fd - g).max() / np.abs(g).max()
    assert err < 1e-5, f"{loss}: gradient vs differences {err:.2e}"
    H = a.hessian(XA, Y, c)
    fdH = np.array([grad(theta + h * e) - grad(theta - h * e) for e in eye]) / (2 * h)
    err = np.abs(fdH - H).max() / np.abs(H).max()
    assert err < 1e-5, f"{loss}: Hessian vs differences of gradients {err:.2e}"
    a.theta = theta.reshape(a.theta.shape)
    j, keep = 7, np.arange(n) != 7
    fd_rest = np.array([mean_objective(theta + h * e, keep)
                        - mean_objective(theta - h * e, keep)
                        for e in eye]) / (2 * h) * f * (n - 1)
    row = a.row_gradients(XA[j:j + 1], Y[j:j + 1], c[j:j + 1])[0]
    err = np.abs(g - row - a.row_penalty_gradient() - fd_rest).max() / np.abs(g).max()
    assert err < 1e-5, f"{loss}: row's removed term vs differences {err:.2e}"


# ---------------------------------------------------- against the exact optimum
CASES = [  # loss, data, alpha, rho, epochs
    ("log_loss", _breast_cancer, 0.03, 0.5, 20000),
    ("squared_error", _diabetes, 0.01, 0.5, 5000),
    ("huber", _diabetes, 0.03, 1.0, 5000),
    ("squared_epsilon_insensitive", _diabetes, 0.03, 1.0, 5000),
]


@pytest.mark.parametrize("loss, data, alpha, rho, epochs", CASES,
                         ids=[f"{c[0]}-{c[1].__name__[1:]}" for c in CASES])
def test_params_and_test_loss_match_the_exact_optimum_where_support_is_kept(
        loss, data, alpha, rho, epochs):
    """Issue 12's targets on SGD's own fit, on the rows whose removal keeps the
    signed support: Newton Pearson >= 0.99, first order >= 0.95, parameters and
    test loss, against the exact optimum without each row."""
    X, y, Xt, yt, rng = _split(*data())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd(loss, alpha, rho, epochs).fit(X, y)
    sgd = np.append(est.coef_.ravel(), est.intercept_)
    full = exact_optimum(loss, X, y, alpha, rho, sgd)
    if loss == "squared_error":  # the same objective as ElasticNet's
        ref = ElasticNet(alpha=alpha, l1_ratio=rho, tol=1e-14, max_iter=100_000)
        ref = np.append(ref.fit(X, y).coef_, ref.intercept_)
        assert np.abs(ref - full).max() < 1e-6, "scipy's optimum vs ElasticNet's"
    mismatch = int(np.sum(np.sign(sgd[:-1]) != np.sign(full[:-1])))
    assert mismatch == 0, f"{loss}: SGD's signed support differs in {mismatch}"
    rows = rng.choice(len(y), 40, replace=False)
    refits, kept = _removals(loss, X, y, alpha, rho, full, rows)
    f = 2.0 if loss in ("squared_error", "huber") else 1.0

    def q(theta):
        return -f * _sklearn_loss(loss, Xt @ theta[:-1] + theta[-1], yt)[0]

    truth = full - refits
    qtruth = np.column_stack([q(full) - q(t) for t in refits])
    for method, floor in (("first_order", 0.95), ("newton", 0.99)):
        ex = _explain(est, X, y, method)
        P = ex.params_influence()[rows]
        r_params = np.corrcoef(P[kept].ravel(), truth[kept].ravel())[0, 1]
        got = agreement(ex.influence(Xt, yt)[:, rows[kept]], qtruth[:, kept])
        msg = (f"{loss} alpha={alpha} rho={rho}, {method}: params Pearson "
               f"{r_params:.4f}, test loss Pearson {got['pearson']:.4f} (slope "
               f"{got['slope']:.3f}) on {kept.sum()} of {len(rows)} rows; gap "
               f"{ex.relative_gradient_norm_:.2e}, {len(ex.adapter_.active)} of "
               f"{X.shape[1]} active")
        print(msg)
        assert ex.relative_gradient_norm_ < 1.0, msg
        assert r_params >= floor and got["pearson"] >= floor, msg
        assert np.all(ex.params_influence()[:, np.flatnonzero(sgd[:-1] == 0)] == 0)


def test_one_vs_rest_has_a_support_per_class_and_matches_the_exact_optimum():
    """Multiclass (iris): K binary elastic-net objectives, each with its own
    support (the others frozen at zero), refitted exactly per class."""
    X, y = load_iris(return_X_y=True)
    X, y, Xt, yt, rng = _split(StandardScaler().fit_transform(X), y)
    alpha, rho = 0.03, 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = _sgd("log_loss", alpha, rho, 20000).fit(X, y)
    K = 3
    Yk = [(y == k) * 1.0 for k in range(K)]
    full = [exact_optimum("log_loss", X, Yk[k], alpha, rho,
                          np.append(est.coef_[k], est.intercept_[k])) for k in range(K)]
    support = np.array([t[:-1] != 0 for t in full])
    assert np.array_equal(support, est.coef_ != 0), (
        f"SGD's supports {(est.coef_ != 0).astype(int).tolist()} vs exact "
        f"{support.astype(int).tolist()}")
    rows = rng.choice(len(y), 30, replace=False)
    per_class = [_removals("log_loss", X, Yk[k], alpha, rho, full[k], rows)
                 for k in range(K)]
    kept = np.all([k for _, k in per_class], axis=0)
    truth = np.hstack([full[k][:-1] - per_class[k][0][:, :-1] for k in range(K)]
                      + [full[k][-1] - per_class[k][0][:, -1:] for k in range(K)])

    def q(thetas):
        return -sum(_sklearn_loss("log_loss", Xt @ t[:-1] + t[-1], (yt == k) * 1.0)[0]
                    for k, t in enumerate(thetas))

    qtruth = np.column_stack([
        q(full) - q([per_class[k][0][i] for k in range(K)]) for i in range(len(rows))])
    for method, floor in (("first_order", 0.95), ("newton", 0.99)):
        ex = _explain(est, X, y, method)
        a = ex.adapter_
        P = ex.params_influence()[rows]
        r_params = np.corrcoef(P[kept].ravel(), truth[kept].ravel())[0, 1]
        got = agreement(ex.influence(Xt, yt)[:, rows[kept]], qtruth[:, kept])
        msg = (f"one-vs-rest iris {method}: params Pearson {r_params:.4f}, test loss "
               f"Pearson {got['pearson']:.4f} (slope {got['slope']:.3f}) on "
               f"{kept.sum()} of {len(rows)} rows; gap {ex.relative_gradient_norm_:.2e}"
               f", supports {a.support.astype(int).tolist()}, "
               f"{int(a.frozen.sum())} frozen")
        print(msg)
        assert r_params >= floor and got["pearson"] >= floor, msg
