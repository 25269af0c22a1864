"""Newton across kinks: its cost against one Newton step and against refitting.

LinearSVC (squared hinge, liblinear, tol=1e-10) on make_classification data with
5% flipped labels, so that many rows sit near the margin and most removals move
other rows across it. For each size: ``self_influence()`` with
``method="newton"`` (kinks followed: the default), the same with one Newton
step (``skinfluence.influence.shifts.has_kinks`` patched to False: what the
explainer did before), first order, and refitting the estimator without each of
``--refits`` rows (timed, extrapolated to every row), whose parameters are the
truth for the max relative error of both Newton variants on those rows.

Run from the repository root: ``python benchmarks/bench_kinks.py``.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import skinfluence.influence.shifts as shifts  # noqa: E402
from skinfluence import InfluenceExplainer  # noqa: E402


def timed(func):
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def run(n, p, n_refits):
    X, y = make_classification(n, p, n_informative=p // 2, flip_y=0.05,
                               random_state=0)
    est = LinearSVC(C=0.1, tol=1e-10, max_iter=100_000).fit(X, y)
    theta = np.append(est.coef_.ravel(), est.intercept_)
    rows = np.random.RandomState(0).choice(n, n_refits, replace=False)
    truth, refit_time = [], 0.0
    for j in rows:
        m, sec = timed(lambda: clone(est).fit(np.delete(X, j, 0), np.delete(y, j)))
        truth.append(np.append(m.coef_.ravel(), m.intercept_) - theta)
        refit_time += sec
    truth = np.array(truth)
    ex = InfluenceExplainer(est, method="newton").fit(X, y)
    _, t_followed = timed(ex.self_influence)
    followed = -ex.params_influence()[rows]
    _, t_first = timed(InfluenceExplainer(est).fit(X, y).self_influence)
    original = shifts.has_kinks
    shifts.has_kinks = lambda adapter: False
    try:
        _, t_step = timed(ex.self_influence)
        step = -ex.params_influence()[rows]
    finally:
        shifts.has_kinks = original
    scale = np.abs(truth).max()
    err = [np.abs(s - truth).max() / scale for s in (followed, step)]
    all_refits = refit_time / n_refits * n
    print(f"| {n} x {p} | {t_followed:.2f} | {t_step:.3f} | {t_first:.3f} "
          f"| {all_refits:.0f} | {t_followed / t_step:.0f} "
          f"| {all_refits / t_followed:.0f} | {err[0]:.1e} | {err[1]:.1e} |",
          flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["5000x50", "20000x100"])
    parser.add_argument("--refits", type=int, default=20)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print("| n x p | newton, kinks followed (s) | one Newton step (s) | first order (s) "
          "| refitting every row (s, extrapolated) | followed / one step "
          "| refits / followed | max rel. error, followed | one step |")
    print("|---|---|---|---|---|---|---|---|---|")
    with threadpool_limits(1):
        for size in args.sizes:
            n, p = map(int, size.split("x"))
            run(n, p, args.refits)
