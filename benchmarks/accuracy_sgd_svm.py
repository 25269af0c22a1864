"""Single-row influence of SGD models and liblinear SVMs against their truth.

SGDClassifier / SGDRegressor: truth is the exact optimum of the objective SGD
estimates, refitted without each row by scipy (tests/test_sgd.py's
``exact_optimum``); the explained model is SGD's own fit. LinearSVC /
LinearSVR: truth is refitting the estimator (liblinear, tol=1e-10). Also the
agreement of the SGD reader's ``refit`` and of SGD's tol-stopped refit with the
exact optimum. Prints markdown tables for docs/accuracy.md.

Run from the repository root: ``python benchmarks/accuracy_sgd_svm.py``.
"""

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


def split(data, n_rows=20, seed=0):
    X, y = T._data(data)
    rng = np.random.RandomState(seed)
    test = rng.choice(len(y), 20, replace=False)
    train = np.setdiff1d(np.arange(len(y)), test)
    rows = rng.choice(len(train), n_rows, replace=False)
    return X[train], y[train], X[test], y[test], rows


def sgd_table():
    print("| loss | data | SGD gap (rel. grad. norm) | method | Pearson | slope |")
    print("|---|---|---|---|---|---|")
    for loss, data in T.CASES:
        X, y, Xt, yt, rows = split(data)
        est = T._sgd(loss).fit(X, y)
        theta = np.append(est.coef_.ravel(), est.intercept_)
        full = T.exact_optimum(loss, X, y, theta)
        f = 2.0 if loss in ("squared_error", "huber") else 1.0

        def q(t):
            return -f * T._sklearn_loss(loss, Xt @ t[:-1] + t[-1], yt)[0]

        truth = np.column_stack([
            q(full) - q(T.exact_optimum(loss, np.delete(X, j, 0), np.delete(y, j),
                                        full)) for j in rows])
        for method in ("first_order", "newton"):
            ex = InfluenceExplainer(est, method=method).fit(X, y)
            g = agreement(ex.influence(Xt, yt)[:, rows], truth)
            print(f"| {loss} | {data} | {ex.relative_gradient_norm_:.1e} | {method} "
                  f"| {g['pearson']:.4f} | {g['slope']:.3f} |", flush=True)


def refit_table():
    print("\n| SGD refit | data | Pearson vs exact optimum | slope "
          "| time per refit (s) |")
    print("|---|---|---|---|---|")
    for loss, data in [("log_loss", "fair"), ("squared_error", "diabetes"),
                       ("huber", "engel")]:
        X, y, Xt, yt, rows = split(data, n_rows=8)
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


def svm_table():
    print("\n| estimator | data | method | Pearson | slope | gap with / without "
          "the intercept's penalty |")
    print("|---|---|---|---|---|---|")
    for name, data in T.SVM_CASES:
        X, y, Xt, yt, rows = split(data)
        est = T._svm(name).fit(X, y)
        truth = np.column_stack([
            T._svm_loss(est, Xt, yt)
            - T._svm_loss(clone(est).fit(np.delete(X, j, 0), np.delete(y, j)), Xt, yt)
            for j in rows])
        a = make_adapter(est, y, None)
        Y, c = a.encode_target(y), np.ones(len(y))
        scale = a.row_gradient_scale(X, Y, c)
        with_b = np.linalg.norm(a.objective_gradient(X, Y, c)) / scale
        no_b = np.linalg.norm(a.data_gradient(X, Y, c) + np.append(
            est.coef_.ravel(), 0) / a.C) / scale
        for method in ("first_order", "newton"):
            ex = InfluenceExplainer(est, method=method).fit(X, y)
            g = agreement(ex.influence(Xt, yt)[:, rows], truth)
            print(f"| {name} | {data} | {method} | {g['pearson']:.4f} | "
                  f"{g['slope']:.3f} | {with_b:.1e} / {no_b:.1e} |", flush=True)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    sgd_table()
    svm_table()
    refit_table()
