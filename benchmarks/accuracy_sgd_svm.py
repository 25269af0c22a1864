"""Single-row influence of SGD models and liblinear SVMs against their truth.

SGDClassifier / SGDRegressor: truth is the exact optimum of the objective SGD
estimates, refitted without each row by scipy (tests/test_sgd.py's
``exact_optimum``); the explained model is SGD's own fit. Multiclass
SGDClassifier (one-vs-rest, iris and wine): the K binary optima, each refitted
exactly. LinearSVC / LinearSVR: truth is refitting the estimator (liblinear,
tol=1e-10). Every case runs over ``--draws`` random draws: draw ``s`` picks 20
test rows and 20 removed rows with seed ``s`` and fits SGD with
``random_state=s``. Also the agreement of the SGD reader's ``refit`` and of
SGD's tol-stopped refit with the exact optimum (one draw). Prints markdown
tables for docs/accuracy.md: mean +- sd and min over the draws.

Run from the repository root: ``python benchmarks/accuracy_sgd_svm.py [--draws 10]``.
"""

import argparse
import copy
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import test_sgd as T  # noqa: E402
from _refit import agreement  # noqa: E402

from skinfluence import InfluenceExplainer  # noqa: E402
from skinfluence.models import make_adapter  # noqa: E402

METHODS = ("first_order", "newton")
MULTICLASS = [("log_loss", "iris"), ("modified_huber", "iris"),
              ("log_loss", "wine"), ("modified_huber", "wine")]


def split(X, y, n_rows=20, seed=0):
    rng = np.random.RandomState(seed)
    test = rng.choice(len(y), 20, replace=False)
    train = np.setdiff1d(np.arange(len(y)), test)
    rows = rng.choice(len(train), n_rows, replace=False)
    return X[train], y[train], X[test], y[test], rows


def explain(est, X, y, Xt, yt, rows, truth, optimum=None):
    """{method: (Pearson, slope)} and the stationarity gap; with ``optimum`` (the
    exact optimum's parameters, intercept last) also Newton's Pearson for the
    model moved there, under the key "newton at the exact optimum"."""
    out = {}
    for method in METHODS:
        ex = InfluenceExplainer(est, method=method).fit(X, y)
        g = agreement(ex.influence(Xt, yt)[:, rows], truth)
        out[method] = (g["pearson"], g["slope"])
    gap = ex.relative_gradient_norm_
    if optimum is not None:  # (n_params,), or (K, n_params) for one-vs-rest
        optimum = np.atleast_2d(optimum)
        at = copy.deepcopy(est)
        at.coef_ = optimum[:, :-1].reshape(np.shape(est.coef_))
        at.intercept_ = optimum[:, -1].reshape(np.shape(est.intercept_))
        ex = InfluenceExplainer(at, method="newton").fit(X, y)
        g = agreement(ex.influence(Xt, yt)[:, rows], truth)
        out["newton at the exact optimum"] = (g["pearson"], g["slope"])
    return out, gap


def sgd_draw(loss, data, seed):
    """One draw of a binary SGD model or SGD regressor."""
    X, y, Xt, yt, rows = split(*T._data(data), seed=seed)
    est = T._sgd(loss).set_params(random_state=seed).fit(X, y)
    theta = np.append(est.coef_.ravel(), est.intercept_)
    full = T.exact_optimum(loss, X, y, theta)
    f = 2.0 if loss in ("squared_error", "huber") else 1.0

    def q(t):
        return -f * T._sklearn_loss(loss, Xt @ t[:-1] + t[-1], yt)[0]

    truth = np.column_stack([
        q(full) - q(T.exact_optimum(loss, np.delete(X, j, 0), np.delete(y, j), full))
        for j in rows])
    return explain(est, X, y, Xt, yt, rows, truth, optimum=full)


def ovr_draw(loss, data, seed):
    """One draw of a one-vs-rest SGDClassifier: Q = -(sum of the K binary losses)."""
    X, y, Xt, yt, rows = split(*T._multiclass(data), seed=seed)
    est = T._sgd(loss).set_params(random_state=seed).fit(X, y)
    K = len(est.classes_)
    full = [T.exact_optimum(loss, X, (y == k) * 1.0,
                            np.append(est.coef_[k], est.intercept_[k]))
            for k in range(K)]

    def q(thetas):
        return -sum(T._sklearn_loss(loss, Xt @ t[:-1] + t[-1], (yt == k) * 1.0)[0]
                    for k, t in enumerate(thetas))

    truth = np.column_stack([
        q(full) - q([T.exact_optimum(loss, np.delete(X, j, 0),
                                     np.delete((y == k) * 1.0, j), full[k])
                     for k in range(K)]) for j in rows])
    return explain(est, X, y, Xt, yt, rows, truth, optimum=np.array(full))


def svm_draw(name, data, seed):
    X, y, Xt, yt, rows = split(*T._data(data), seed=seed)
    est = T._svm(name).fit(X, y)
    truth = np.column_stack([
        T._svm_loss(est, Xt, yt)
        - T._svm_loss(clone(est).fit(np.delete(X, j, 0), np.delete(y, j)), Xt, yt)
        for j in rows])
    return explain(est, X, y, Xt, yt, rows, truth)


def summary_table(title, cases, draw, draws):
    print(f"\n| {title} | data | gap (median / max) | method | Pearson mean ± sd "
          "| Pearson min | slope mean (min-max) |")
    print("|---|---|---|---|---|---|---|")
    for a, data in cases:
        runs = [draw(a, data, s) for s in range(draws)]
        gaps = np.array([gap for _, gap in runs])
        for method in runs[0][0]:
            r = np.array([res[method][0] for res, _ in runs])
            s = np.array([res[method][1] for res, _ in runs])
            print(f"| {a} | {data} | {np.median(gaps):.1e} / {gaps.max():.1e} "
                  f"| {method} | {r.mean():.4f} ± {r.std(ddof=1):.4f} "
                  f"| {r.min():.4f} | {s.mean():.3f} ({s.min():.3f}-{s.max():.3f}) |",
                  flush=True)


def refit_table():
    print("\n| SGD refit | data | Pearson vs exact optimum | slope "
          "| time per refit (s) |")
    print("|---|---|---|---|---|")
    for loss, data in [("log_loss", "fair"), ("squared_error", "diabetes"),
                       ("huber", "engel")]:
        X, y, Xt, yt, rows = split(*T._data(data), n_rows=8)
        est = T._sgd(loss).fit(X, y)
        theta = np.append(est.coef_.ravel(), est.intercept_)
        f = 2.0 if loss in ("squared_error", "huber") else 1.0

        def q(t):
            return -f * T._sklearn_loss(loss, Xt @ t[:-1] + t[-1], yt)[0]

        truth = np.column_stack([
            q(theta) - q(T.exact_optimum(loss, np.delete(X, j, 0), np.delete(y, j),
                                         theta)) for j in rows])
        a = make_adapter(est, y, None)
        for name, fit in [
            ("reader's refit (tol=None, 10000 epochs)", a.refit),
            ("clone with tol=1e-12 (SGD's stopping rule)",
             lambda Xk, yk: clone(est).set_params(tol=1e-12,
                                                  max_iter=10_000).fit(Xk, yk)),
        ]:
            t0, got = time.perf_counter(), []
            for j in rows:
                m = fit(np.delete(X, j, 0), np.delete(y, j))
                got.append(q(theta) - q(np.append(m.coef_.ravel(), m.intercept_)))
            sec = (time.perf_counter() - t0) / len(rows)
            g = agreement(np.column_stack(got), truth)
            print(f"| {loss}: {name} | {data} | {g['pearson']:.4f} | {g['slope']:.3f} "
                  f"| {sec:.2f} |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--tables", nargs="+", default=["sgd", "ovr", "svm", "refit"],
                        choices=["sgd", "ovr", "svm", "refit"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if "sgd" in args.tables:
        summary_table("SGD loss", T.CASES, sgd_draw, args.draws)
    if "ovr" in args.tables:
        summary_table("one-vs-rest SGD loss", MULTICLASS, ovr_draw, args.draws)
    if "svm" in args.tables:
        summary_table("estimator", T.SVM_CASES, svm_draw, args.draws)
    if "refit" in args.tables:
        refit_table()
