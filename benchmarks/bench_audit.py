"""Time ``skinfluence audit`` on synthetic mixed-type tables (issue 13's targets).

- small: a 1 000-row table, ``run_audit`` timed in-process (no interpreter start);
- large: a 100 000 x 30 CSV, ``python -m skinfluence audit`` as a subprocess:
  wall time and peak RSS (``resource.getrusage(RUSAGE_CHILDREN)``).

Columns: 20 numeric (2% missing), 8 categorical (3-12 levels, 2% missing),
one integer count, and a binary target with 5% flipped labels.

    python benchmarks/bench_audit.py [--rows-large 100000] [--repeat 3]
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_table(n_rows, seed=0):
    rng = np.random.RandomState(seed)
    cols = {}
    logit = np.zeros(n_rows)
    for j in range(20):
        x = rng.normal(size=n_rows)
        logit += x * (1.0 / (j + 1))
        x[rng.rand(n_rows) < 0.02] = np.nan
        cols[f"num{j}"] = x
    for j in range(8):
        levels = np.array([f"L{j}_{k}" for k in range(3 + j + (j > 4))])
        codes = rng.randint(len(levels), size=n_rows)
        logit += 0.3 * (codes == 0)
        c = levels[codes].astype(object)
        c[rng.rand(n_rows) < 0.02] = np.nan
        cols[f"cat{j}"] = c
    cols["count"] = rng.poisson(3.0, size=n_rows)
    y = (logit + rng.logistic(size=n_rows) > 0).astype(int)
    flip = rng.rand(n_rows) < 0.05
    cols["label"] = np.where(flip, 1 - y, y)
    return pd.DataFrame(cols)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows-large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from skinfluence.report.audit import run_audit

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = tmp / "small.csv"
        make_table(1000).to_csv(small, index=False)
        times, cpu = [], []
        for r in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            run_audit(small, "label", out=tmp / f"small{r}", quiet=True)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(f"1000 x 30 CSV, in-process run_audit: wall {np.median(times):.2f} s "
              f"median of {args.repeat} (min {min(times):.2f}, max {max(times):.2f}); "
              f"CPU {np.median(cpu):.2f} s")

        large = tmp / "large.csv"
        make_table(args.rows_large).to_csv(large, index=False)
        size_mb = large.stat().st_size / 1e6
        cmd = [sys.executable, "-m", "skinfluence", "audit", str(large),
               "--target", "label", "--out", str(tmp / "large")]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime
        print(f"{args.rows_large} x 30 CSV ({size_mb:.0f} MB), `skinfluence audit` "
              f"subprocess: wall {wall:.1f} s, CPU {cpu:.1f} s, "
              f"peak RSS {usage.ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
