"""Markdown tables from benchmarks/results.jsonl (written by run_all.sh).

    python benchmarks/report.py benchmarks/results.jsonl
"""

import json
import sys


def fmt(v, spec=".3g"):
    if v is None:
        return "–"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def main(path):
    rows = [json.loads(line) for line in open(path)]
    print("| problem | tool | fit s | influence s | top-10 s | total s (first call) "
          "| peak RSS MB (before) | X MB | output MB | Pearson vs refit | slope vs refit "
          "| Pearson vs cholesky | Hessian % GEMM | product % GEMM | GEMM GFLOP/s |")
    print("|" + "---|" * 15)
    for r in rows:
        if r["tool"] == "refit":
            continue
        if "error" in r:
            print(f"| {r['problem']} | {r['tool']} | {r['error']} |" + " |" * 13)
            continue
        total = fmt(r.get("total_seconds"))
        if r.get("repeat", 1) > 1:
            total += f" ({fmt(r.get('first_total_seconds'))})"
        top = r.get("top10_seconds")
        print("| " + " | ".join([
            r["problem"], r["tool"], fmt(r.get("fit_seconds")), fmt(r.get("influence_seconds")),
            fmt(top), total,
            f"{fmt(r.get('peak_rss_mb'), '.0f')} ({fmt(r.get('rss_before_mb'), '.0f')})",
            fmt(r.get("X_mb"), ".0f"), fmt(r.get("output_mb"), ".0f"),
            fmt(r.get("refit_pearson"), ".4f"), fmt(r.get("refit_slope"), ".3f"),
            fmt(r.get("pearson_vs_cholesky"), ".5f"),
            fmt(100 * r["hessian_fraction_of_gemm"], ".0f") if "hessian_fraction_of_gemm" in r else "–",
            fmt(100 * r["influence_fraction_of_gemm"], ".0f") if "influence_fraction_of_gemm" in r else "–",
            fmt(r.get("gemm_gflops"), ".0f"),
        ]) + " |")
    print()
    print("| problem | refit s each | all rows by refitting (extrapolated) s |")
    print("|---|---|---|")
    for r in rows:
        if r["tool"] == "refit":
            print(f"| {r['problem']} | {fmt(r['refit_seconds_each'])} "
                  f"| {fmt(r['refit_all_rows_seconds_extrapolated'], '.0f')} |")
    sparse = [r for r in rows if r["problem"] == "sparse_text" and r["tool"] != "refit"]
    for r in sparse:
        print()
        print(f"sparse_text ({r['tool']}, {r.get('solver')}): fit {fmt(r.get('fit_seconds'))} s, "
              f"top-10 for 100 test rows {fmt(r.get('top10_seconds'))} s, self-influence of "
              f"every row {fmt(r.get('self_influence_seconds_extrapolated'), '.0f')} s "
              f"(extrapolated from {r.get('self_influence_rows_timed')} rows, "
              f"{r.get('self_influence_cg_iterations')} CG iterations), peak RSS "
              f"{fmt(r.get('peak_rss_mb'), '.0f')} MB.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results.jsonl")
