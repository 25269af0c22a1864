"""Regression outliers on generated data: does dropping the flagged rows help?

    python benchmarks/bench_outliers_generated.py             # everything, 10 splits
    python benchmarks/bench_outliers_generated.py --splits 2 --datasets n200_d5
    python benchmarks/bench_outliers_generated.py --report-only  # tables from the file

The regression counterpart of ``bench_label_noise.py --datasets synthetic``: data
that no default of the row-removing steps was chosen on. Each data set
(``DATASETS``) is ``make_regression`` (``n_samples`` rows, ``n_features``
features of which ``n_informative`` carry signal, optionally ``effective_rank``
correlated features), drawn afresh for every split (``random_state`` = the
split's seed), with noise added here so that its kind can vary (``NOISES``):

- "gaussian": normal, sd ``sigma``;
- "t3": Student t with 3 degrees of freedom, scaled to sd ``sigma``;
- "hetero": normal with an sd proportional to ``0.2 + |x . v|`` (``v`` a random
  unit direction), scaled to a root-mean-square sd of ``sigma``;

``sigma`` is the data set's ``noise`` times the sd of the noiseless target.
Each draw is split half/half at random; the test half stays clean (its noise,
no corruption). In the training half (``CORRUPTIONS``):

- "clean": nothing corrupted;
- "y5", "y10": 5% / 10% of the targets get a gross error, ``+-`` U(5, 15)
  ``sigma``, sign drawn at random;
- "x5": 5% of the rows get high-leverage corrupted features: ``x`` moved by
  U(4, 8) standard deviations along one random unit direction shared by all of
  them (a cluster of bad leverage points, which can mask itself), the target
  kept.

Features are used as drawn (``make_regression``'s are standard normal; no
scaling fitted on a corrupted half). Base models ``Ridge()`` and
``LinearRegression()``, fitted

- on every training row ("none");
- on the rows ``InfluencePruner()`` keeps ("influence", its default: Ridge
  scorer, leave-one-out residuals beyond Tukey's far-out fence);
- on the rows ``InfluenceOutlierRemover()`` keeps ("remover", its default:
  Ridge scorer, self-influence, ``threshold="auto"``);
- evidence only: the same two steps with a scaled scorer,
  ``make_pipeline(StandardScaler(with_mean=False), Ridge())``
  ("influence_scaled", "remover_scaled"; the default scorer of class targets
  scales, that of continuous targets does not);
- evidence only: ``InfluencePruner()`` run again on the rows it kept until it
  removes none, at most 5 rounds ("influence_iter": outliers masked by other
  outliers);
- without exactly the corrupted rows ("oracle", evidence only);
- peers (benchmark extras, never imported by the library): the rows
  ``RANSACRegressor(base, min_samples=n_features + 1, random_state=0)``
  calls inliers ("ransac", its other defaults: the residual threshold is the
  MAD of ``y``), then the base model on them; and ``HuberRegressor()`` fitted
  on every row *instead of* the base model ("huber", the same model under both
  bases; its ``outliers_`` are the rows counted as removed for precision and
  recall).

Reported per row of results (one JSON line each, appended to ``--output``):
how gross the corrupted rows are (median ``|y - x . coef| / sigma`` with
their corrupted ``x``), rows removed, precision (corrupted among removed)
and recall (removed among corrupted), clean-test RMSE (against the test
targets, and against the noiseless ones), the method's time (removal, or
Huber's fit) and one fit of the base model on every row. The summaries give
the RMSE change against "none" in percent of its RMSE, mean and standard
deviation over splits.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from collections import defaultdict

import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.linear_model import (
    HuberRegressor,
    LinearRegression,
    RANSACRegressor,
    Ridge,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from skinfluence import InfluenceOutlierRemover, InfluencePruner  # noqa: E402

BASES = {"ridge": Ridge(), "linear": LinearRegression()}
NOISES = ("gaussian", "t3", "hetero")
CORRUPTIONS = ("clean", "y5", "y10", "x5")
DEFAULT_OUTPUT = os.path.join(os.path.dirname(__file__), "outliers_generated.jsonl")

#: name: make_regression settings and ``noise`` (noise sd / sd of the signal).
DATASETS = {
    "n200_d5": dict(n_samples=200, n_features=5, n_informative=5, noise=0.2),
    "n600_d20": dict(n_samples=600, n_features=20, n_informative=10, noise=0.2),
    "n600_d20_rank5": dict(n_samples=600, n_features=20, n_informative=10,
                           effective_rank=5, noise=0.2),
    "n300_d60": dict(n_samples=300, n_features=60, n_informative=30, noise=0.3),
    "n2000_d50_noisy": dict(n_samples=2000, n_features=50, n_informative=20,
                            noise=1.0),
}


# ------------------------------------------------------------------ data sets
def draw(name, noise_kind, seed):
    """X, the noisy target, the noiseless target, ``sigma`` and the coefficients
    of one draw."""
    params = dict(DATASETS[name])
    ratio = params.pop("noise")
    X, f, coef = make_regression(**params, noise=0.0, coef=True, random_state=seed)
    rng = np.random.RandomState(10_000 + seed)
    sigma = ratio * f.std()
    if noise_kind == "gaussian":
        eps = rng.standard_normal(len(f))
    elif noise_kind == "t3":
        eps = rng.standard_t(3, len(f)) / np.sqrt(3.0)  # sd 1
    else:
        v = rng.standard_normal(X.shape[1])
        scale = 0.2 + np.abs(X @ (v / np.linalg.norm(v)))
        eps = rng.standard_normal(len(f)) * scale / np.sqrt(np.mean(scale**2))
    return X, f + sigma * eps, f, sigma, coef


def corrupt(X, y, sigma, corruption, rng):
    """Corrupted copies of the training ``X``, ``y`` and the corrupted rows."""
    X, y = X.copy(), y.copy()
    bad = np.zeros(len(y), dtype=bool)
    if corruption == "clean":
        return X, y, bad
    rate = {"y5": 0.05, "y10": 0.1, "x5": 0.05}[corruption]
    rows = rng.choice(len(y), int(round(rate * len(y))), replace=False)
    bad[rows] = True
    if corruption == "x5":
        u = rng.standard_normal(X.shape[1])
        u /= np.linalg.norm(u)
        X[rows] += rng.uniform(4, 8, rows.size)[:, None] * X.std(axis=0) * u
    else:
        sign = np.where(rng.rand(rows.size) < 0.5, -1.0, 1.0)
        y[rows] += sign * rng.uniform(5, 15, rows.size) * sigma
    return X, y, bad


# -------------------------------------------------------------------- methods
def _remover(step):
    def remove(X, y, base):
        return np.isin(np.arange(len(y)), clone(step).fit(X, y).removed_indices_)

    return remove


def _iterated(step, rounds=5):
    """``step`` again on the rows it kept, until it removes none (at most
    ``rounds`` times): a row masked by other outliers shows once they are gone."""

    def remove(X, y, base):
        kept = np.arange(len(y))
        for _ in range(rounds):
            fitted = clone(step).fit(X[kept], y[kept])
            if fitted.removed_indices_.size == 0:
                break
            kept = kept[fitted.sample_indices_]
        return ~np.isin(np.arange(len(y)), kept)

    return remove


def _ransac(X, y, base):
    # min_samples: its default for LinearRegression, which it asks for with others
    ransac = RANSACRegressor(clone(base), min_samples=X.shape[1] + 1,
                             random_state=0).fit(X, y)
    return ~ransac.inlier_mask_


METHODS = {
    "none": lambda X, y, base: np.zeros(len(y), dtype=bool),
    "influence": _remover(InfluencePruner()),
    "remover": _remover(InfluenceOutlierRemover()),
    # evidence only: the same steps scoring with a scaled Ridge, as the default
    # scorer of class targets scales (the regression default does not)
    "influence_scaled": _remover(InfluencePruner(
        make_pipeline(StandardScaler(with_mean=False), Ridge()))),
    "remover_scaled": _remover(InfluenceOutlierRemover(
        make_pipeline(StandardScaler(with_mean=False), Ridge()))),
    # evidence only: the default pruner repeated on the rows it kept (masking)
    "influence_iter": _iterated(InfluencePruner()),
    "oracle": None,  # exactly the corrupted rows (run_one)
    "ransac": _ransac,
    "huber": None,  # HuberRegressor instead of the base model (run_one)
}


def _rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def run_one(name, noise, corruption, seed, methods):
    X, y, f, sigma, coef = draw(name, noise, seed)
    Xtr, Xte, ytr, yte, _, fte = train_test_split(
        X, y, f, test_size=0.5, random_state=seed)
    Xtr, ytr, bad = corrupt(Xtr, ytr, sigma, corruption,
                            np.random.RandomState(1000 + seed))
    # how gross the corrupted rows are: |y - x . coef| / sigma (x as corrupted)
    gross = (float(np.median(np.abs(ytr[bad] - Xtr[bad] @ coef)) / sigma)
             if bad.any() else None)
    rows = []
    for base_name, base in BASES.items():
        t0 = time.perf_counter()
        clone(base).fit(Xtr, ytr)
        t_fit = time.perf_counter() - t0
        for method in methods:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                if method == "oracle":
                    removed = bad.copy()
                elif method == "huber":
                    model = HuberRegressor().fit(Xtr, ytr)
                    removed = model.outliers_.copy()
                else:
                    removed = METHODS[method](Xtr, ytr, base)
                t_method = time.perf_counter() - t0
                if method != "huber":
                    model = clone(base).fit(Xtr[~removed], ytr[~removed])
            pred = model.predict(Xte)
            n_removed = int(removed.sum())
            hits = int((removed & bad).sum())
            rows.append({
                "dataset": name, "noise": noise, "corruption": corruption,
                "split": seed, "base": base_name, "method": method,
                "n_train": len(ytr), "n_corrupted": int(bad.sum()),
                "gross_sd": gross,
                "n_removed": n_removed,
                "precision": hits / n_removed if n_removed else None,
                "recall": hits / bad.sum() if bad.any() else None,
                "rmse": _rmse(yte, pred), "rmse_signal": _rmse(fte, pred),
                "t_method": t_method, "t_fit": t_fit,
            })
    return rows


# --------------------------------------------------------------------- report
def _mean_sd(values, fmt="{:.3f}"):
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "–"
    sd = v.std(ddof=1) if v.size > 1 else 0.0
    return f"{fmt.format(v.mean())} ± {fmt.format(sd)}"


def _groups(records):
    """{(dataset, noise, corruption, base): {method: {field: [per split]}}}, with
    the RMSE change against "none" on the same split in percent."""
    by_split = defaultdict(dict)
    for r in records:
        key = (r["dataset"], r["noise"], r["corruption"], r["base"], r["split"])
        by_split[key][r["method"]] = r
    out = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for key, res in by_split.items():
        if "none" not in res:
            continue
        none = res["none"]
        for m, r in res.items():
            g = out[key[:4]][m]
            g["delta"].append(100 * (r["rmse"] / none["rmse"] - 1))
            g["delta_signal"].append(100 * (r["rmse_signal"] / none["rmse_signal"] - 1))
            g["share"].append(r["n_removed"] / r["n_train"])
            for field in ("n_removed", "rmse", "precision", "recall"):
                g[field].append(np.nan if r[field] is None else r[field])
            g["cost"].append(r["t_method"] / r["t_fit"])
    return out


def _order(keys):
    return sorted(keys, key=lambda k: (k[3], k[0], NOISES.index(k[1]),
                                       CORRUPTIONS.index(k[2])))


def report(records, methods, commit=None):
    """Every cell: rows removed, precision, recall, Δ RMSE (%), cost / base fit."""
    groups = _groups(records)
    lines = [f"Measured at commit {commit}.\n"] if commit else []
    lines.append("| base | data | noise | corruption | method | splits "
                 "| removed (share) | precision | recall | Δ RMSE % "
                 "| Δ RMSE % (signal) | cost / fit |")
    lines.append("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for key in _order(groups):
        for m in methods:
            g = groups[key].get(m)
            if not g:
                continue
            lines.append(
                f"| {key[3]} | {key[0]} | {key[1]} | {key[2]} | {m} "
                f"| {len(g['delta'])} "
                f"| {np.mean(g['n_removed']):.1f} ({np.mean(g['share']):.1%}) "
                f"| {_mean_sd(g['precision'], '{:.2f}')} "
                f"| {_mean_sd(g['recall'], '{:.2f}')} "
                f"| {_mean_sd(g['delta'], '{:+.1f}')} "
                f"| {_mean_sd(g['delta_signal'], '{:+.1f}')} "
                f"| {np.median(g['cost']):.1f} |")
    return "\n".join(lines)


def deltas(records, methods, base="ridge", field="delta"):
    """Δ RMSE (%) of each method, mean ± sd over splits, one line per cell."""
    groups = _groups(records)
    methods = [m for m in methods if m != "none"]
    lines = ["| data | noise | corruption | " + " | ".join(methods) + " |",
             "|---|---|---|" + "---:|" * len(methods)]
    for key in _order(k for k in groups if k[3] == base):
        g = groups[key]
        cells = [_mean_sd(g[m][field], "{:+.1f}") if m in g else "–" for m in methods]
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(records, methods):
    """Per base, noise and corruption, over the data sets: the mean Δ RMSE (%),
    in how many data sets the method is clearly better / clearly worse than
    "none" (mean beyond two standard errors over splits), and the mean removed
    share, precision and recall."""
    groups = _groups(records)
    methods = [m for m in methods if m != "none"]
    cells = defaultdict(lambda: defaultdict(list))
    for (data, noise, corr, base), g in groups.items():
        for m in methods:
            if m not in g:
                continue
            d = np.array(g[m]["delta"])
            se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else 0.0
            c = cells[(base, noise, corr, m)]
            c["mean"].append(d.mean())
            c["better"].append(d.mean() < -2 * se)
            c["worse"].append(d.mean() > 2 * se)
            c["share"].append(np.mean(g[m]["share"]))
            c["precision"].append(np.nanmean(g[m]["precision"])
                                  if np.isfinite(g[m]["precision"]).any() else np.nan)
            c["recall"].append(np.nanmean(g[m]["recall"])
                               if np.isfinite(g[m]["recall"]).any() else np.nan)
            c["cost"].extend(g[m]["cost"])
    lines = ["| base | noise | corruption | method | Δ RMSE % (mean of data sets) "
             "| better / worse than none | removed share | precision | recall "
             "| cost / fit |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]

    def fmt(v):
        v = np.asarray(v, dtype=float)
        return "–" if not np.isfinite(v).any() else f"{np.nanmean(v):.2f}"

    for key in sorted(cells, key=lambda k: (k[0] != "ridge", NOISES.index(k[1]),
                                            CORRUPTIONS.index(k[2]),
                                            methods.index(k[3]))):
        c = cells[key]
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} "
            f"| {np.mean(c['mean']):+.2f} (worst {max(c['mean']):+.2f}) "
            f"| {sum(c['better'])} / {sum(c['worse'])} of {len(c['mean'])} "
            f"| {np.mean(c['share']):.1%} | {fmt(c['precision'])} "
            f"| {fmt(c['recall'])} | {np.median(c['cost']):.1f} |")
    return "\n".join(lines)


def wide(records, methods, base="linear"):
    """One line per noise and corruption, over the data sets: each method's
    mean Δ RMSE (%) and how many data sets it is clearly better / worse than
    "none" in (mean beyond two standard errors over splits); then precision
    and recall of the corrupted rows (means over data sets and splits)."""
    groups = _groups(records)
    methods = [m for m in methods if m != "none"]
    head = "| noise | corruption | " + " | ".join(methods) + " |"
    rule = "|---|---|" + "---:|" * len(methods)
    lines, pr = [head, rule], [head, rule]
    for noise in NOISES:
        for corr in CORRUPTIONS:
            keys = [k for k in groups if k[1:] == (noise, corr, base)]
            if not keys:
                continue
            cells, prs = [], []
            for m in methods:
                d = [np.array(groups[k][m]["delta"]) for k in keys if m in groups[k]]
                if not d:
                    cells.append("–")
                    prs.append("–")
                    continue
                se = [x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else 0.0
                      for x in d]
                means = [x.mean() for x in d]
                better = sum(mu < -2 * e for mu, e in zip(means, se))
                worse = sum(mu > 2 * e for mu, e in zip(means, se))
                cells.append(f"{np.mean(means):+.1f} ({better}/{worse})")
                prec = np.concatenate([groups[k][m]["precision"] for k in keys])
                rec = np.concatenate([groups[k][m]["recall"] for k in keys])
                recall = f"{np.nanmean(rec):.2f}" if corr != "clean" else "–"
                precision = (f"{np.nanmean(prec):.2f}" if np.isfinite(prec).any()
                             else "–")
                prs.append(f"{precision} / {recall}")
            lines.append(f"| {noise} | {corr} | " + " | ".join(cells) + " |")
            if corr != "clean":
                pr.append(f"| {noise} | {corr} | " + " | ".join(prs) + " |")
    return "\n".join(lines) + "\n\nprecision / recall:\n\n" + "\n".join(pr)


def grossness(records):
    """Median over splits of how gross the corrupted rows are (in ``sigma``),
    per data set and corruption (noise kinds pooled)."""
    cells = defaultdict(list)
    for r in records:
        if r["method"] == "none" and r["base"] == "ridge" and r.get("gross_sd"):
            cells[(r["dataset"], r["corruption"])].append(r["gross_sd"])
    corrs = [c for c in CORRUPTIONS if any(k[1] == c for k in cells)]
    lines = ["| data | " + " | ".join(corrs) + " |", "|---|" + "---:|" * len(corrs)]
    for d in sorted({k[0] for k in cells}):
        lines.append(f"| {d} | " + " | ".join(
            f"{np.median(cells[(d, c)]):.1f}" if cells[(d, c)] else "–"
            for c in corrs) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", type=int, default=10, help="random splits each")
    parser.add_argument("--first-split", type=int, default=0)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS),
                        choices=list(DATASETS))
    parser.add_argument("--noises", nargs="+", default=list(NOISES), choices=NOISES)
    parser.add_argument("--corruptions", nargs="+", default=list(CORRUPTIONS),
                        choices=CORRUPTIONS)
    parser.add_argument("--methods", nargs="+", default=list(METHODS),
                        choices=list(METHODS))
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="JSON lines file")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    if "none" not in args.methods:
        args.methods = ["none"] + args.methods
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
        cwd=os.path.dirname(os.path.abspath(__file__)),
    ).stdout.strip()
    if not args.report_only:
        threadpool_limits(1)  # one BLAS thread: a shared machine
        with open(args.output, "a") as out:
            for name in args.datasets:
                for noise in args.noises:
                    for corruption in args.corruptions:
                        for seed in range(args.first_split,
                                          args.first_split + args.splits):
                            for row in run_one(name, noise, corruption, seed,
                                               args.methods):
                                row["commit"] = commit
                                out.write(json.dumps(row) + "\n")
                            out.flush()
                        print(f"done {name} {noise} {corruption}", file=sys.stderr,
                              flush=True)
    with open(args.output) as f:
        records = [json.loads(line) for line in f]
    records = [r for r in records if r["dataset"] in args.datasets
               and r["noise"] in args.noises and r["corruption"] in args.corruptions]
    for base in BASES:
        print(f"Base {base}: mean Δ RMSE % over the data sets (clearly better / "
              "worse than none in how many):\n")
        print(wide(records, args.methods, base))
        print()
    print(summary(records, args.methods))
    print()
    print("How gross the corrupted rows are, median |y - x . coef| / sigma:\n")
    print(grossness(records))
    print()
    for base in BASES:
        print(f"Δ RMSE % against none, base {base}:\n")
        print(deltas(records, args.methods, base))
        print()
    print(report(records, args.methods, commit))


if __name__ == "__main__":
    main()
