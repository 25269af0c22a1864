"""Issue 11: sparse self-influence at scale; dense influence vs memory bandwidth.

    python benchmarks/bench_sparse_self_influence.py --part sparse [--repeat 3]
    python benchmarks/bench_sparse_self_influence.py --part mid    [--repeat 3]
    python benchmarks/bench_sparse_self_influence.py --part dense  [--repeat 3]

sparse: the sparse_text problem of bench_influence.py (20 000 x 50 000 tf-idf-like,
density 0.001, binary logistic, 100 test rows). Timed (best of --repeat, one
process): ``row_leverages`` (skinfluence/solvers/leverage.py, method "auto" with
max_memory = 2 GiB, the target) giving ``self_influence`` of every row, then
``top_influences(k=10)`` for the 100 test rows; peak RSS of that work (VmHWM reset
after data and fit). Then the old path, one CG solve per row
(``solver_.quad_form`` on the rows' gradients, as ``self_influence()`` does today),
on 500 sampled rows: its time extrapolated to every row, and its values, the exact
reference for the Pearson / relative error of the new self-influences and
leverages on those rows.

mid: 5 000 x 12 500 tf-idf-like (density 0.004), where the exact dual form runs on
every row: the time of each method and the randomized estimate's error over all
rows (not only a sample).

dense: the machine's memory write bandwidth (numpy filling fresh pages, as a
result array is, and refilling pages already mapped), then for dense20k
(20 000 x 100, 1 000 test rows) and dense100k (100 000 x 500, 2 000 test rows)
``influence()`` (cholesky) and pyinfluence's ``explain`` in the same process: the
GB of result written per second, the time of writing that many fresh bytes, and
the time of the step's bare product (test side (m, p+1) times the rows [X, 1]
transposed, into a fresh array: the floor of the step).
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_influence import (  # noqa: E402
    _synthetic, load_problem, peak_rss_mb, reset_peak_rss, rss_mb, tfidf_like,
)


def best_of(repeat, func):
    """(min seconds, last result) of ``repeat`` calls of ``func``."""
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t)
    return best, out


# ------------------------------------------------------------------- sparse
def sparse_part(repeat, n_check=500):
    from skinfluence import InfluenceExplainer
    from skinfluence.solvers.leverage import row_leverages

    est, (X, y, Xt, yt) = load_problem("sparse_text")
    warnings.simplefilter("ignore")
    out = dict(part="sparse", n_train=X.shape[0], n_features=X.shape[1], nnz=X.nnz,
               n_test=Xt.shape[0], repeat=repeat)
    t = time.perf_counter()
    ex = InfluenceExplainer(est, random_state=0, max_memory=2 * 2**30).fit(X, y)
    out["fit_seconds"] = time.perf_counter() - t
    out["solver"] = type(ex.solver_).__name__
    out["rss_before_mb"] = rss_mb()
    reset_peak_rss()

    def leverages():
        return row_leverages(ex.operator_, ex.solver_, max_memory=2 * 2**30,
                             random_state=0, verbose=1)

    out["self_influence_seconds"], res = best_of(repeat, leverages)
    out["top10_seconds"], _ = best_of(repeat, lambda: ex.top_influences(Xt, yt, k=10))
    out["total_seconds"] = out["self_influence_seconds"] + out["top10_seconds"]
    out["peak_rss_mb"] = peak_rss_mb()
    out["method"] = res.method
    out["calibration_error"] = res.calibration_error

    # the old path: one CG solve per row, on a sample, as the exact reference
    rows = np.sort(np.random.RandomState(0).choice(X.shape[0], n_check, replace=False))
    a = ex.adapter_
    t = time.perf_counter()
    U = a.row_gradients(ex.X_[rows], ex.Y_[rows], np.ones(n_check))
    exact_si = ex.weights_[rows] * ex.solver_.quad_form(U.T)
    dt = time.perf_counter() - t
    out["per_row_seconds_extrapolated"] = dt * X.shape[0] / n_check
    out["per_row_cg_iterations"] = ex.solver_.n_iter_
    out["speedup_vs_per_row"] = out["per_row_seconds_extrapolated"] / out[
        "self_influence_seconds"]
    si = res.self_influence[rows]
    out["pearson_self_influence"] = float(np.corrcoef(si, exact_si)[0, 1])
    _, r = a.loss_gradient(a.decision(ex.X_[rows]), ex.Y_[rows])
    exact_q = exact_si / (ex.weights_[rows] * r[:, 0] ** 2)
    q = res.leverages[rows, 0, 0]
    out["pearson_leverage"] = float(np.corrcoef(q, exact_q)[0, 1])
    out["leverage_rms_relative_error"] = float(np.sqrt(np.mean((q / exact_q - 1) ** 2)))
    out["leverage_max_relative_error"] = float(np.abs(q / exact_q - 1).max())
    out["leverage_cv"] = float(exact_q.std() / exact_q.mean())
    return out


def mid_part(repeat, n=5_000, p=12_500):
    """A tf-idf-like problem small enough for the exact dual form on every row:
    each method's time, and the randomized estimate's error over all rows."""
    from sklearn.linear_model import LogisticRegression

    from skinfluence import InfluenceExplainer
    from skinfluence.solvers.leverage import row_leverages

    X, y = tfidf_like(n, p, 0.004, 5)
    est = LogisticRegression(C=1.0, solver="newton-cg", tol=1e-10, max_iter=1000)
    warnings.simplefilter("ignore")
    est.fit(X, y)
    ex = InfluenceExplainer(est, random_state=0).fit(X, y)
    out = dict(part="mid", n_train=n, n_features=p, nnz=X.nnz, repeat=repeat,
               solver=type(ex.solver_).__name__)
    res = {}
    for method in ("dual", "randomized"):
        out[f"{method}_seconds"], res[method] = best_of(repeat, lambda: row_leverages(
            ex.operator_, ex.solver_, method=method, random_state=0))
    out["auto_method"] = row_leverages(ex.operator_, ex.solver_, method="auto",
                                       random_state=0).method
    rows = np.arange(200)
    t = time.perf_counter()
    U = ex.adapter_.row_gradients(ex.X_[rows], ex.Y_[rows], np.ones(len(rows)))
    per_row = ex.weights_[rows] * ex.solver_.quad_form(U.T)
    out["per_row_seconds_extrapolated"] = (time.perf_counter() - t) * n / len(rows)
    exact = res["dual"]
    out["dual_vs_per_row_max_relative"] = float(
        np.abs(exact.self_influence[rows] - per_row).max() / per_row.max())
    q, q0 = res["randomized"].leverages[:, 0, 0], exact.leverages[:, 0, 0]
    out["randomized_rms_relative_error"] = float(np.sqrt(np.mean((q / q0 - 1) ** 2)))
    out["randomized_max_relative_error"] = float(np.abs(q / q0 - 1).max())
    out["randomized_pearson_leverage"] = float(np.corrcoef(q, q0)[0, 1])
    out["randomized_pearson_self_influence"] = float(np.corrcoef(
        res["randomized"].self_influence, exact.self_influence)[0, 1])
    out["randomized_reported"] = res["randomized"].calibration_error
    out["leverage_cv"] = float(q0.std() / q0.mean())
    return out


# -------------------------------------------------------------------- dense
def dense_part(repeat, problems):
    """Rounds interleave every measurement, so the machine's load hits them alike;
    the best of the rounds is kept for each."""
    import pyinfluence
    from sklearn.linear_model import LogisticRegression

    from skinfluence import InfluenceExplainer

    shapes = {"dense20k": (20_000, 1_000, 100, 0),
              "dense100k": (100_000, 2_000, 500, 1)}
    results = []
    for name in problems:
        X, y, Xt, yt = _synthetic(*shapes[name])
        est = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10,
                                 max_iter=1000).fit(X, y)
        warnings.simplefilter("ignore")
        nbytes = 8 * Xt.shape[0] * X.shape[0]
        ex = InfluenceExplainer(est, solver="cholesky").fit(X, y)
        attr = pyinfluence.InfluenceFunctions(mode="loss").fit(est, X, y)
        buf = np.empty(nbytes // 8)
        rng = np.random.RandomState(0)
        S = rng.standard_normal((Xt.shape[0], X.shape[1] + 1))  # the test side
        Xa = np.hstack([X, np.ones((X.shape[0], 1))])

        def fresh():  # a new array: page faults included, as for a result array
            a = np.empty(nbytes // 8)
            a.fill(1.0)

        steps = {
            "write_fresh": fresh,
            "write_mapped": lambda: buf.fill(2.0),  # pages already mapped
            # the bare product of the step, into a fresh array: its floor
            "gemm_fresh": lambda: S @ Xa.T,
            "skinfluence_fit": lambda: InfluenceExplainer(
                est, solver="cholesky").fit(X, y),
            "skinfluence_influence": lambda: ex.influence(Xt, yt),
            "pyinfluence_fit": lambda: pyinfluence.InfluenceFunctions(
                mode="loss").fit(est, X, y),
            "pyinfluence_explain": lambda: attr.explain(Xt, yt),
        }
        times = {k: [] for k in steps}
        for _ in range(repeat):
            for k, func in steps.items():
                t = time.perf_counter()
                func()
                times[k].append(time.perf_counter() - t)
        out = dict(part="dense", problem=name, n_train=X.shape[0],
                   n_features=X.shape[1], n_test=Xt.shape[0], repeat=repeat,
                   output_gb=nbytes / 1e9)
        for k, ts in times.items():
            out[f"{k}_seconds"] = min(ts)
            out[f"{k}_seconds_max"] = max(ts)
        for k in ("write_fresh", "write_mapped", "gemm_fresh",
                  "skinfluence_influence", "pyinfluence_explain"):
            out[f"{k}_gb_s"] = nbytes / out[f"{k}_seconds"] / 1e9
        for k in ("skinfluence_influence", "pyinfluence_explain"):
            out[f"{k}_over_write_fresh"] = (out[f"{k}_seconds"]
                                            / out["write_fresh_seconds"])
            out[f"{k}_over_gemm_fresh"] = (out[f"{k}_seconds"]
                                           / out["gemm_fresh_seconds"])
        out["gemm_fresh_gflops"] = (2.0 * S.shape[0] * S.shape[1] * X.shape[0]
                                    / out["gemm_fresh_seconds"] / 1e9)
        out["ratio_influence_step"] = (out["skinfluence_influence_seconds"]
                                       / out["pyinfluence_explain_seconds"])
        out["ratio_fit_plus_influence"] = (
            (out["skinfluence_fit_seconds"] + out["skinfluence_influence_seconds"])
            / (out["pyinfluence_fit_seconds"] + out["pyinfluence_explain_seconds"]))
        results.append(out)
        del X, Xt, ex, attr, buf, S, Xa
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["sparse", "mid", "dense"], required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--problems", nargs="+", default=["dense20k", "dense100k"])
    ap.add_argument("--output", help="append the JSON lines to this file")
    args = ap.parse_args(argv)
    if args.part == "sparse":
        results = [sparse_part(args.repeat)]
    elif args.part == "mid":
        results = [mid_part(args.repeat)]
    else:
        results = dense_part(args.repeat, args.problems)
    for res in results:
        line = json.dumps({k: (float(f"{v:.6g}") if isinstance(v, float) else v)
                           for k, v in res.items()})
        print(line)
        if args.output:
            with open(args.output, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())
