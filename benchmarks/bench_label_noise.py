"""Label noise: does dropping the rows a pruner flags make a better model?

    python benchmarks/bench_label_noise.py                      # everything, 20 splits
    python benchmarks/bench_label_noise.py --splits 3 --datasets iris wine
    python benchmarks/bench_label_noise.py --report-only        # tables from the file
    python benchmarks/bench_label_noise.py --datasets synthetic --splits 10 \
        --output benchmarks/label_noise_synthetic.jsonl          # generated data

For each public data set bundled with an installed package, noise rate (0, 5, 10,
20, 30 % of the training labels) and kind of flip, and each of ``--splits``
random stratified half/half splits: the training half is standardised (on
itself) and a share of its labels flipped, the test half stays clean. The base
model, ``LogisticRegression(max_iter=1000)``, is fitted

- on every training row ("none");
- on the rows ``InfluencePruner()`` keeps ("influence", the library's default);
- on the rows cleanlab's ``find_label_issues`` does not flag ("cleanlab"),
  given ``pred_probs`` from ``cross_val_predict`` of the same base model
  (5 stratified folds, cleanlab's recommendation), its other options at their
  defaults;
- on the rows kept by the paper's rule as this library's former default did
  ("paper": ``reference="representative", rule="not_all_negative"``, scorer
  ``LogisticRegression(C=0.1)``);
- evidence only: without exactly the flipped rows ("oracle": what a perfect
  detector would gain), and without as many rows as ``InfluencePruner()``
  removes, taken by its scores across all class pairs instead of the
  confident joint's per-pair budget ("ranked"); the default with another cap
  on the odds of a removed row's label ("odds_1", "odds_4", "uncapped"), and
  the rule before commit d68adc6 ("former"); the scorer's ``C`` at 1 ("c1"),
  or chosen from {0.1, 1} by the leave-one-out log-loss ("loo_c") or, as a user
  can ask for today, by ``LogisticRegressionCV`` ("cv_c"); the default
  without its check that the model fitted without a row predicts another
  class ("no_guard", the rule at 62cb325).

``--datasets synthetic`` runs generated data sets instead (``SYNTHETIC``:
``make_classification``, low-dimensional, separated to overlapping classes),
which no choice of the default was made on.

Flips: "symmetric" moves a row to a uniformly drawn other class with
probability r; "class" (class-dependent) moves a row of class k to class
``(k + 1) mod K`` with probability ``r * (0.5 + k / (K - 1))`` (from r/2 for the
first class to 3r/2 for the last).

Reported per row of results (one JSON line each, appended to ``--output``):
rows removed, precision (flipped among removed) and recall (removed among
flipped), clean-test accuracy and log loss, the pruning step's time and one
fit of the base model on the same rows. The summary gives mean and standard
deviation over splits. cleanlab is a benchmark extra (``pip install
skinfluence[bench]``), never imported by the library.
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
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import (
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from skinfluence import InfluenceExplainer, InfluencePruner  # noqa: E402
from skinfluence.resampling.leave_one_out import (  # noqa: E402
    MAX_LABEL_ODDS,
    expected_loss_influence,
    harmful_label_issues,
    label_posterior,
    leave_one_out_decision,
    log_probabilities,
)
from skinfluence.resampling.pruner import COUNT_SHARPNESS  # noqa: E402
from skinfluence.resampling.scorer import default_scorer  # noqa: E402

RATES = (0.0, 0.05, 0.1, 0.2, 0.3)
KINDS = ("symmetric", "class")
BASE = LogisticRegression(max_iter=1000)
DEFAULT_OUTPUT = os.path.join(os.path.dirname(__file__), "label_noise.jsonl")


# ------------------------------------------------------------------ data sets
def _digits_pair(a, b):
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, [a, b])
    return X[keep], (y[keep] == b).astype(int)


def _fair(n=800):
    """statsmodels' affairs survey: any affair (1) or none (0); 800 of 6 366 rows."""
    from statsmodels.datasets import fair

    d = fair.load_pandas().data
    rows = np.random.RandomState(0).choice(len(d), n, replace=False)
    d = d.iloc[np.sort(rows)]
    return d.drop(columns="affairs").to_numpy(float), (d["affairs"] > 0).to_numpy(int)


def _anes96():
    """statsmodels' 1996 US election survey: voted Dole (1) or Clinton (0)."""
    from statsmodels.datasets import anes96

    d = anes96.load_pandas().data
    return d.drop(columns="vote").to_numpy(float), d["vote"].to_numpy(int)


def _synthetic(sep, n_classes, imbalanced, clusters):
    """make_classification: 800 rows, 10 features (5 informative, 2 redundant),
    classes ``sep`` apart, ``clusters`` Gaussian clusters per class, balanced or
    70/30 (binary) and 60/25/15 (three classes); no label noise of its own."""
    weights = None
    if imbalanced:
        weights = [0.7, 0.3] if n_classes == 2 else [0.6, 0.25, 0.15]

    def load():
        return make_classification(
            n_samples=800, n_features=10, n_informative=5, n_redundant=2,
            n_classes=n_classes, n_clusters_per_class=clusters, class_sep=sep,
            weights=weights, flip_y=0.0, random_state=7,
        )

    return load


#: Generated data sets the default rule was never chosen on: a check that it
#: carries over (``--datasets synthetic``). Low-dimensional, from well separated
#: (sep 1) to overlapping classes (sep 0.5), one or two clusters per class.
SYNTHETIC = {
    f"syn_sep{sep}_{k}c{'_imb' if imb else ''}{'_2cl' if cl == 2 else ''}":
        _synthetic(sep, k, imb, cl)
    for sep in (0.5, 1.0) for k in (2, 3) for imb in (False, True)
    for cl in ((1, 2) if imb else (1,))
}

DATASETS = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "iris": lambda: load_iris(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "digits_3v8": lambda: _digits_pair(3, 8),
    "fair": _fair,
    "anes96": _anes96,
}
REAL = list(DATASETS)
DATASETS.update(SYNTHETIC)


def flip_labels(y, rate, kind, rng):
    """Noisy copy of ``y`` (labels 0..K-1) and the mask of flipped rows."""
    K = int(y.max()) + 1
    if kind == "symmetric":
        flip = rng.rand(len(y)) < rate
        shift = rng.randint(1, K, size=len(y))  # to a uniformly drawn other class
        return np.where(flip, (y + shift) % K, y), flip
    per_class = rate * (0.5 + np.arange(K) / (K - 1))
    flip = rng.rand(len(y)) < per_class[y]
    return np.where(flip, (y + 1) % K, y), flip


def make_split(X, y, seed, rate, kind):
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.5, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(Xtr)
    noisy, flip = flip_labels(ytr, rate, kind, np.random.RandomState(1000 + seed))
    return scaler.transform(Xtr), noisy, scaler.transform(Xte), yte, flip


# -------------------------------------------------------------------- methods
def _pruner(pruner):
    def remove(X, y):
        return np.isin(np.arange(len(y)), clone(pruner).fit(X, y).removed_indices_)

    return remove


def _cleanlab(X, y):
    from cleanlab.filter import find_label_issues

    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    proba = cross_val_predict(clone(BASE), X, y, cv=cv, method="predict_proba")
    return find_label_issues(y, proba)


def _ranked(X, y):
    """InfluencePruner's count, but the rows with the lowest scores overall (one
    ranking across class pairs instead of the confident joint's per-pair budget)."""
    pruner = InfluencePruner().fit(X, y)
    removed = np.zeros(len(y), dtype=bool)
    removed[np.argsort(pruner.scores_.ravel(), kind="stable")
            [: len(pruner.removed_indices_)]] = True
    return removed


def _scorer(C):
    """The default scorer with another ``C`` (evidence only)."""
    scorer = default_scorer(True)
    return scorer.set_params(logisticregression__C=C) if C is not None else scorer


def _flags(ex, decision, y, max_odds=MAX_LABEL_ODDS, guard=True):
    """The default rule's flags from a fitted explainer's leave-one-out decisions
    (``guard=False``: without the check that the model fitted without the row
    predicts another class, the rule before that check was added)."""
    post = label_posterior(np.exp(log_probabilities(COUNT_SHARPNESS * decision)), y)
    log_p = log_probabilities(decision)
    harm = expected_loss_influence(ex, np.exp(log_p), post)
    predicted = log_p.argmax(axis=1) if guard else None
    return harmful_label_issues(harm, post, y, max_odds, predicted=predicted)


def _rule(max_odds=MAX_LABEL_ODDS, former=False, C=None, guard=True):
    """The default's steps with one changed (evidence for the choice): the cap on
    the odds of a removed row's label, the scorer's ``C``, or the former rule
    (the posterior's most probable class is not the label, at most half of a
    class)."""

    def remove(X, y):
        ex = InfluenceExplainer(_scorer(C), method="newton").fit(X, y)
        decision = leave_one_out_decision(ex, X)
        if not former:
            return _flags(ex, decision, y, max_odds, guard)
        post = label_posterior(
            np.exp(log_probabilities(COUNT_SHARPNESS * decision)), y)
        flags = post.argmax(axis=1) != y
        doubt = post.max(axis=1) - post[np.arange(len(y)), y]
        for k in np.unique(y):
            rows = np.flatnonzero(flags & (y == k))
            surplus = rows.size - int((y == k).sum()) // 2
            if surplus > 0:
                least = np.argsort(doubt[rows], kind="stable")[:surplus]
                flags[rows[least]] = False
        return flags

    return remove


def _loo_c(X, y, grid=(0.1, 1.0)):
    """The default rule with the scorer's ``C`` chosen from ``grid`` by the
    leave-one-out log-loss of the given labels (one scorer per value)."""
    best = None
    for C in grid:
        ex = InfluenceExplainer(_scorer(C), method="newton").fit(X, y)
        decision = leave_one_out_decision(ex, X)
        loss = -log_probabilities(decision)[np.arange(len(y)), y].mean()
        if best is None or loss < best[0]:
            best = (loss, ex, decision)
    return _flags(best[1], best[2], y)


def _oracle(X, y):  # never called: run_one removes exactly the flipped rows
    raise RuntimeError("the oracle needs the flipped rows")


METHODS = {
    "none": lambda X, y: np.zeros(len(y), dtype=bool),
    # exactly the flipped rows: what a perfect detector would gain (evidence only)
    "oracle": _oracle,
    "ranked": _ranked,
    "influence": _pruner(InfluencePruner()),
    # evidence only: the default with another cap on the odds of a removed
    # row's label (1: the label less likely than not; 4; none), or the rule
    # before commit d68adc6 (the posterior's most probable class)
    "odds_1": _rule(1.0),
    "odds_4": _rule(4.0),
    "uncapped": _rule(np.inf),
    "former": _rule(former=True),
    # evidence only: the scorer's C at 1 (scikit-learn's default), or chosen
    # from {0.1, 1} by the leave-one-out log-loss (twice the cost)
    "c1": _rule(C=1.0),
    # evidence only: the default without its prediction check (as at 62cb325)
    "no_guard": _rule(guard=False),
    "loo_c": _loo_c,
    # evidence only: what a user can pass today, C chosen by 5-fold CV log-loss
    "cv_c": _pruner(InfluencePruner(make_pipeline(
        StandardScaler(with_mean=False),
        LogisticRegressionCV(Cs=[0.1, 1.0], scoring="neg_log_loss", tol=1e-6,
                             max_iter=1000)))),
    "cleanlab": _cleanlab,
    "paper": _pruner(
        InfluencePruner(
            LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-8),
            reference="representative",
            rule="not_all_negative",
        )
    ),
}


def run_one(name, X, y, seed, rate, kind, methods):
    Xtr, ytr, Xte, yte, flip = make_split(X, y, seed, rate, kind)
    labels = np.arange(int(y.max()) + 1)
    t0 = time.perf_counter()
    clone(BASE).fit(Xtr, ytr)
    t_fit = time.perf_counter() - t0
    rows = []
    for method in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            removed = (flip.copy() if method == "oracle" else
                       np.asarray(METHODS[method](Xtr, ytr), dtype=bool))
            t_prune = time.perf_counter() - t0
            model = clone(BASE).fit(Xtr[~removed], ytr[~removed])
        n_removed = int(removed.sum())
        hits = int((removed & flip).sum())
        rows.append(
            {
                "dataset": name,
                "kind": kind,
                "rate": rate,
                "split": seed,
                "method": method,
                "n_train": len(ytr),
                "n_flipped": int(flip.sum()),
                "n_removed": n_removed,
                "precision": hits / n_removed if n_removed else None,
                "recall": hits / flip.sum() if flip.any() else None,
                "accuracy": accuracy_score(yte, model.predict(Xte)),
                "log_loss": log_loss(yte, model.predict_proba(Xte), labels=labels),
                "t_prune": t_prune,
                "t_fit": t_fit,
            }
        )
    return rows


# --------------------------------------------------------------------- report
def _mean_sd(values):
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "–"
    return f"{v.mean():.3f} ± {v.std(ddof=1) if v.size > 1 else 0.0:.3f}"


def report(records, methods, commit=None):
    """Markdown tables: per data set, kind and rate, each method against "none"."""
    by_key = defaultdict(dict)
    for r in records:
        by_key[(r["dataset"], r["kind"], r["rate"], r["split"])][r["method"]] = r
    groups = defaultdict(lambda: defaultdict(list))
    for (dataset, kind, rate, _), res in by_key.items():
        if "none" not in res:
            continue
        kind = "clean" if rate == 0 else kind
        for m, r in res.items():
            g = groups[(dataset, kind, rate, m)]
            g["delta"].append(100 * (r["accuracy"] - res["none"]["accuracy"]))
            for field in ("accuracy", "log_loss", "n_removed", "precision", "recall"):
                g[field].append(r[field])
            g["share"].append(r["n_removed"] / r["n_train"])
            g["cost"].append(r["t_prune"] / r["t_fit"])
    lines = []
    if commit:
        lines.append(f"Measured at commit {commit}.\n")
    lines.append(
        "| data | noise | method | splits | removed (share) | precision | recall "
        "| accuracy | Δ acc vs none (pt) | log loss | cost / fit |"
    )
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    seen = sorted({k[:3] for k in groups}, key=lambda k: (k[0], k[2], k[1]))
    for dataset, kind, rate in seen:
        for m in methods:
            g = groups.get((dataset, kind, rate, m))
            if not g:
                continue
            noise = "0%" if rate == 0 else f"{rate:.0%} {kind}"
            lines.append(
                f"| {dataset} | {noise} | {m} | {len(g['delta'])} "
                f"| {np.mean(g['n_removed']):.1f} ({np.mean(g['share']):.1%}) "
                f"| {_mean_sd(g['precision'])} | {_mean_sd(g['recall'])} "
                f"| {_mean_sd(g['accuracy'])} | {_mean_sd(g['delta'])} "
                f"| {_mean_sd(g['log_loss'])} "
                f"| {np.median(g['cost']):.1f} |"
            )
    return "\n".join(lines)


def _groups(records):
    """{(dataset, noise, rate): {method: {field: [per split]}}}, Δ against "none"."""
    by_key = defaultdict(dict)
    for r in records:
        by_key[(r["dataset"], r["kind"], r["rate"], r["split"])][r["method"]] = r
    out = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for (dataset, kind, rate, _), res in by_key.items():
        if "none" not in res:
            continue
        for m, r in res.items():
            g = out[(dataset, "clean" if rate == 0 else kind, rate)][m]
            g["delta"].append(100 * (r["accuracy"] - res["none"]["accuracy"]))
            g["dloss"].append(r["log_loss"] - res["none"]["log_loss"])
            for field in ("accuracy", "n_removed", "precision", "recall"):
                g[field].append(np.nan if r[field] is None else r[field])
            g["cost"].append(r["t_prune"] / r["t_fit"])
    return out


def compact(records, ours="influence", peer="cleanlab"):
    """One line per data set and noise: accuracy without pruning, then for
    ``ours`` and ``peer`` rows removed, precision, recall, Δ accuracy (pt) and
    Δ log loss, mean ± sd over splits."""
    groups = _groups(records)
    head = "removed | precision | recall | Δ acc (pt) | Δ log loss"
    lines = [
        f"| data | noise | none: accuracy | {ours}: {head} | {peer}: {head} |",
        "|---|---|---:|" + "---:|" * 10,
    ]
    for (dataset, kind, rate) in sorted(groups, key=lambda k: (k[0], k[2], k[1])):
        g = groups[(dataset, kind, rate)]
        if ours not in g or peer not in g:
            continue
        cells = [dataset, "0%" if rate == 0 else f"{rate:.0%} {kind}",
                 _mean_sd(g["none"]["accuracy"])]
        for m in (ours, peer):
            cells += [f"{np.mean(g[m]['n_removed']):.1f}", _mean_sd(g[m]["precision"]),
                      _mean_sd(g[m]["recall"]), _mean_sd(g[m]["delta"]),
                      _mean_sd(g[m]["dloss"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(records, ours="influence", peer="cleanlab"):
    """The issue's targets, checked over every data set (means over splits)."""
    groups = _groups(records)
    lines = []
    clean = {d: np.mean(g[ours]["delta"]) for (d, k, r), g in groups.items()
             if r == 0 and ours in g}
    if clean:
        lines.append(
            f"clean: mean Δ acc {np.mean(list(clean.values())):+.3f} pt "
            "(target >= -0.2); "
            f"worst data set {min(clean, key=clean.get)} {min(clean.values()):+.3f} pt "
            "(target >= -0.5)"
        )
    for rate in (0.1, 0.2):
        for kind in KINDS:
            rows = {d: g for (d, k, r), g in groups.items()
                    if r == rate and k == kind and ours in g and peer in g}
            if not rows:
                continue
            gain = {d: np.mean(g[ours]["delta"]) for d, g in rows.items()}
            beat = sum(np.mean(g[ours]["delta"]) >= np.mean(g[peer]["delta"])
                       for g in rows.values())
            dp = [np.nanmean(g[ours]["precision"]) - np.nanmean(g[peer]["precision"])
                  for g in rows.values()]
            dr = [np.nanmean(g[ours]["recall"]) - np.nanmean(g[peer]["recall"])
                  for g in rows.values()]
            lines.append(
                f"{rate:.0%} {kind}: gain > 0 on {sum(v > 0 for v in gain.values())}/"
                f"{len(gain)} (min {min(gain.values()):+.2f} pt, "
                f"{min(gain, key=gain.get)}); >= {peer} on {beat}/{len(rows)}; "
                f"precision - {peer}: min {min(dp):+.3f}, mean {np.mean(dp):+.3f}; "
                f"recall - {peer}: min {min(dr):+.3f}, mean {np.mean(dr):+.3f}"
            )
    cost = [c for g in groups.values() if ours in g for c in g[ours]["cost"]]
    if cost:
        lines.append(
            f"cost of {ours} / one base fit: median {np.median(cost):.1f}, "
            f"90th percentile {np.percentile(cost, 90):.1f}"
        )
    return "\n".join(lines)


def gains(records, methods, peer="cleanlab"):
    """Δ accuracy (pt, mean over splits) of each method per data set and noise,
    then per method over the noisy cells: the mean, how many are above 0 and how
    many at least ``peer``'s."""
    groups = _groups(records)
    methods = [m for m in methods if m != "none"]
    lines = ["| data | noise | " + " | ".join(methods) + " |",
             "|---|---|" + "---:|" * len(methods)]
    noisy = defaultdict(list)
    for key in sorted(groups, key=lambda k: (k[0], k[2], k[1])):
        g = groups[key]
        if not all(m in g for m in methods):
            continue
        means = {m: np.mean(g[m]["delta"]) for m in methods}
        noise = "0%" if key[2] == 0 else f"{key[2]:.0%} {key[1]}"
        lines.append(f"| {key[0]} | {noise} | "
                     + " | ".join(f"{means[m]:+.2f}" for m in methods) + " |")
        if key[2] > 0:
            for m in methods:
                noisy[m].append((means[m], means.get(peer, np.nan)))
    lines.append("")
    for m, v in noisy.items():
        gain, ref = np.array(v).T
        lines.append(f"{m}: noisy cells {len(gain)}, mean {gain.mean():+.2f} pt, "
                     f"> 0 on {int(np.sum(gain > 0))}, >= {peer} on "
                     f"{int(np.sum(gain >= ref))}, worst {gain.min():+.2f}")
    return "\n".join(lines)


def costs(records, methods=("influence", "cleanlab")):
    """Per data set: rows, one base fit and each method (median ms), and the
    ratio method / base fit on the same split (median, 90th percentile)."""
    latest = {(r["dataset"], r["kind"], r["rate"], r["split"], r["method"]): r
              for r in records}
    head = "| data | training rows | one base fit (ms) |"
    head += "".join(f" {m} (ms) | ratio | 90th pct |" for m in methods)
    lines = [head, "|---|" + "---:|" * (2 + 3 * len(methods))]
    for d in sorted({k[0] for k in latest}):
        rs = {m: [r for k, r in latest.items() if k[0] == d and k[4] == m]
              for m in methods}
        if not all(rs.values()):
            continue
        fit = 1e3 * np.median([r["t_fit"] for r in rs[methods[0]]])
        cells = [d, str(rs[methods[0]][0]["n_train"]), f"{fit:.1f}"]
        for m in methods:
            ratio = [r["t_prune"] / r["t_fit"] for r in rs[m]]
            cells += [f"{1e3 * np.median([r['t_prune'] for r in rs[m]]):.1f}",
                      f"{np.median(ratio):.1f}", f"{np.percentile(ratio, 90):.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", type=int, default=20, help="random splits each")
    parser.add_argument("--first-split", type=int, default=0,
                        help="seed of the first split (tuning runs used 20-29)")
    parser.add_argument(
        "--datasets", nargs="+", default=REAL,
        help="names, or 'synthetic' for all generated ones (default: the real ones)",
    )
    parser.add_argument("--rates", nargs="+", type=float, default=list(RATES))
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument(
        "--methods", nargs="+", default=["none", "influence", "cleanlab"],
        choices=list(METHODS),
    )
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="JSON lines file")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    args.datasets = [d for name in args.datasets
                     for d in (SYNTHETIC if name == "synthetic" else [name])]
    unknown = sorted(set(args.datasets) - set(DATASETS))
    if unknown:
        parser.error(f"unknown data sets {unknown}; known: {sorted(DATASETS)}")
    if "none" not in args.methods:
        args.methods = ["none"] + args.methods
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
        cwd=os.path.dirname(os.path.abspath(__file__)),
    ).stdout.strip()
    if not args.report_only:
        threadpool_limits(1)  # n_jobs=1 and one BLAS thread: a shared machine
        with open(args.output, "a") as out:
            for name in args.datasets:
                X, y = DATASETS[name]()
                for rate in args.rates:
                    for kind in args.kinds if rate > 0 else KINDS[:1]:
                        for seed in range(args.first_split,
                                          args.first_split + args.splits):
                            rows = run_one(name, X, y, seed, rate, kind, args.methods)
                            for row in rows:
                                row["commit"] = commit
                                out.write(json.dumps(row) + "\n")
                            out.flush()
                        print(f"done {name} {rate} {kind}", file=sys.stderr, flush=True)
    with open(args.output) as f:
        records = [json.loads(line) for line in f]
    records = [r for r in records if r["dataset"] in args.datasets]
    print(report(records, args.methods, commit))
    print()
    print(compact(records))
    print()
    print(targets(records))
    print()
    print(costs(records, [m for m in args.methods if m != "none"]))
    print()
    print(gains(records, args.methods))


if __name__ == "__main__":
    main()
