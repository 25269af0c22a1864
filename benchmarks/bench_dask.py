"""Dask-array input on a LocalCluster: fit, top-10 and self-influence, chunk-wise.

Issue 11's target: a 1 000 000 x 200 dense logistic problem, top-10 for 1 000 test
rows on a LocalCluster with a 2 GB per-worker memory limit, agreeing with the
in-memory result on a subsample. X is generated chunk-wise on the workers
(``dask.array.random``); the client computes it once only to fit scikit-learn's
model (not skinfluence's job) and for the in-memory reference.

    PYTHONPATH=. python benchmarks/bench_dask.py --n 1000000 --p 200 --n-test 1000
"""

import argparse
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster
from sklearn.linear_model import LogisticRegression

from skinfluence import InfluenceExplainer


def peak_rss_mb(dask_worker):
    """Largest RSS the worker's own monitor sampled (every 0.5 s): ru_maxrss would
    carry the parent's high-water mark across spawn."""
    return max(dask_worker.monitor.quantities["memory"]) / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--p", type=int, default=200)
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--n-check", type=int, default=50, help="test rows checked")
    args = ap.parse_args()
    n, p = args.n, args.p

    rs = da.random.RandomState(0)
    X = rs.standard_normal((n, p), chunks=(args.chunk, p))
    w = np.random.default_rng(1).standard_normal(p) / np.sqrt(p) * 3
    noise = rs.logistic(size=n, chunks=args.chunk)
    y_lazy = (X @ w + noise > 0).astype(np.int64)
    Xt = np.random.default_rng(2).standard_normal((args.n_test, p))
    yt = (Xt @ w + np.random.default_rng(3).logistic(size=args.n_test) > 0).astype(int)

    t = time.perf_counter()
    Xm, y = da.compute(X, y_lazy)
    est = LogisticRegression(C=1.0, tol=1e-8, max_iter=1000).fit(Xm, y)
    t_model = time.perf_counter() - t
    print(f"X: {n} x {p}, {Xm.nbytes / 1e9:.2f} GB; chunks of {args.chunk} rows; "
          f"sklearn fit (in memory, not timed below): {t_model:.1f} s")

    with LocalCluster(n_workers=args.workers, threads_per_worker=1,
                      memory_limit=args.memory_limit, dashboard_address=":0") as cl, \
            Client(cl) as client:
        ex = InfluenceExplainer(est, max_memory=1e9)
        t = time.perf_counter()
        ex.fit(X, y)
        t_fit = time.perf_counter() - t
        t = time.perf_counter()
        top = ex.top_influences(Xt, yt, k=10)
        t_top = time.perf_counter() - t
        t = time.perf_counter()
        s = ex.self_influence().compute()
        t_self = time.perf_counter() - t
        cols = np.sort(np.random.default_rng(4).choice(n, 2000, replace=False))
        sub = ex.influence(Xt, yt)[:, cols].compute()
        worker_rss = client.run(peak_rss_mb)
    print(f"dask fit (Hessian pass, tree sum, Cholesky): {t_fit:.1f} s; "
          f"relative gradient norm {ex.relative_gradient_norm_:.2g}")
    print(f"top_influences(k=10) for {args.n_test} test rows: {t_top:.1f} s")
    print(f"self_influence() computed: {t_self:.1f} s")
    print("peak sampled RSS per worker (MB): "
          + ", ".join(f"{v:.0f}" for v in worker_rss.values())
          + f" (limit {args.memory_limit}); X is {Xm.nbytes / 1e6:.0f} MB")

    ref = InfluenceExplainer(est, max_memory=8e9).fit(Xm, y)
    c = args.n_check
    ref_top = ref.top_influences(Xt[:c], yt[:c], k=10)
    same = np.mean(ref_top.helpful_indices == top.helpful_indices[:c])
    same_h = np.mean(ref_top.harmful_indices == top.harmful_indices[:c])
    err_top = np.max(np.abs(ref_top.helpful_scores - top.helpful_scores[:c]))
    ref_sub = ref.influence(Xt[:c], yt[:c])[:, cols]
    err_sub = np.max(np.abs(ref_sub - sub[:c])) / np.max(np.abs(sub[:c]))
    err_self = np.max(np.abs(ref.self_influence()[cols] - s[cols])) / np.max(s[cols])
    print(f"agreement with in-memory: top-10 indices identical on {c} test rows: "
          f"helpful {same:.3f}, harmful {same_h:.3f}; max score diff {err_top:.1e}")
    print(f"influence of 2000 sampled rows on {c} test rows, max rel diff "
          f"{err_sub:.1e}; self-influence of those rows {err_self:.1e}")


if __name__ == "__main__":
    main()
