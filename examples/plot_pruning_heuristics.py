"""
=================================================
Pruning training rows by influence: does it help?
=================================================

The paper's §5.4 removes training rows whose influence on held-out points is
consistently negative. Three-fold cross-validation over the training rows; in
each fold every training row is scored against reference points of the
held-out fold, and one of three rules decides which rows go:

- ``"all_positive"``: keep a row only if all its scores are positive;
- ``"sum_positive"``: keep it if its scores sum to a positive value;
- ``"not_all_negative"``: keep it unless all its scores are negative.

Its Tables 3-4 (MNIST 1-vs-7 and 4-vs-9) show the rules removing up to 90% of
the rows, and costing accuracy on 4-vs-9. This example reruns that experiment
on scikit-learn's 8x8 digits, with both references of
:class:`~skinfluence.InfluencePruner` (``"representative"``: the held-out row
nearest each class centroid, as in the paper; ``"validation"``: the mean loss
over the whole held-out fold), and then asks where pruning should help: labels
with 10% of them flipped, comparing the paper's rules with the pruner's default
(each row judged by its leave-one-out prediction). The defaults were chosen by
``benchmarks/bench_label_noise.py`` on seven data sets (``docs/pruning.md``).
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluencePruner

N_SEEDS = 5  # docs/pruning.md also records a run with N_SEEDS = 20
RULES = ["all_positive", "sum_positive", "not_all_negative"]
REFERENCES = ["representative", "validation"]


def digits_pair(a, b):
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, [a, b])
    return X[keep], (y[keep] == b).astype(int)


def split(X, y, seed, noise=0.0):
    """Half/half split, standardised on the training half, ``noise`` of it flipped."""
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.5, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(Xtr)
    flip = np.random.RandomState(seed).rand(len(ytr)) < noise
    return (
        scaler.transform(Xtr),
        np.where(flip, 1 - ytr, ytr),
        scaler.transform(Xte),
        yte,
        flip,
    )


def evaluate(X, y, configs, noise=0.0, n_seeds=N_SEEDS):
    """Per pruner: rows kept, test accuracy, and how many removed rows were flipped."""
    out = {
        name: {"kept": [], "acc": [], "flipped": [], "removed": [], "n_train": []}
        for name in configs
    }
    for seed in range(n_seeds):
        Xtr, ytr, Xte, yte, flip = split(X, y, seed, noise)
        for name, pruner in configs.items():
            keep = (
                np.arange(len(ytr))
                if pruner is None
                else pruner.fit(Xtr, ytr).sample_indices_
            )
            clf = LogisticRegression(max_iter=5000).fit(Xtr[keep], ytr[keep])
            removed = np.setdiff1d(np.arange(len(ytr)), keep)
            out[name]["kept"].append(len(keep))
            out[name]["n_train"].append(len(ytr))
            out[name]["acc"].append(clf.score(Xte, yte))
            out[name]["removed"].append(removed.size)
            out[name]["flipped"].append(flip[removed].sum())
    return out


# %%
# Part 1: the paper's Tables 3-4
# ------------------------------
# Every rule with both references, and the default pruner, against training on
# all rows. Mean over ``N_SEEDS`` random half/half splits; the paper used one split.

paper_configs = {"all training rows": None}
for reference in REFERENCES:
    for rule in RULES:
        paper_configs[f"{rule} / {reference}"] = InfluencePruner(
            reference=reference,
            rule=rule,
            estimator=LogisticRegression(
                solver="newton-cholesky", tol=1e-8
            ),  # C=1, as the paper
        )
paper_configs["default InfluencePruner()"] = InfluencePruner()

tables = {}
for a, b in [(1, 7), (4, 9)]:
    X, y = digits_pair(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the pruner's keep-back warnings, if any
        res = evaluate(X, y, paper_configs)
    tables[f"{a} vs {b}"] = res
    n_train = res["all training rows"]["n_train"][0]
    print(f"\nDigits {a} vs {b}: {n_train} training rows, mean over {N_SEEDS} splits")
    print(f"{'rule / reference':38s} {'rows kept':>10s} {'test accuracy':>15s}")
    for name, r in res.items():
        print(
            f"{name:38s} {np.mean(r['kept']):10.1f} "
            f"{np.mean(r['acc']):9.4f} ± {np.std(r['acc']):.4f}"
        )

# %%
# Part 2: label noise, and the choice of defaults
# -----------------------------------------------
# breast_cancer and digits 4-vs-9, with clean labels and with 10% of the
# training labels flipped (the test labels stay clean). "Δ accuracy" is the
# pruned model's test accuracy minus the unpruned model's, per split, averaged;
# "flipped / removed" is the share of removed rows that carry a flipped label
# (the base rate is 10%).

PAPER_SCORER = LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-8)
noise_configs = {
    "default (leave_one_out, auto)": InfluencePruner(),
    "representative, not_all_negative, C=0.1": InfluencePruner(
        PAPER_SCORER, reference="representative"
    ),
    "representative, not_all_negative, C=1": InfluencePruner(
        LogisticRegression(solver="newton-cholesky", tol=1e-8),
        reference="representative",
    ),
    "representative, sum_positive": InfluencePruner(
        PAPER_SCORER, reference="representative", rule="sum_positive"
    ),
    "representative, all_positive": InfluencePruner(
        PAPER_SCORER, reference="representative", rule="all_positive"
    ),
    "validation, not_all_negative": InfluencePruner(
        PAPER_SCORER, reference="validation"
    ),
    "validation, sum_positive": InfluencePruner(
        PAPER_SCORER, reference="validation", rule="sum_positive"
    ),
    "representative, fraction=0.02": InfluencePruner(
        PAPER_SCORER, reference="representative", fraction=0.02
    ),
    "validation, fraction=0.05": InfluencePruner(
        PAPER_SCORER, reference="validation", fraction=0.05
    ),
}
datasets = {
    "breast_cancer": load_breast_cancer(return_X_y=True),
    "digits 4 vs 9": digits_pair(4, 9),
}

summary = {}
for data_name, (X, y) in datasets.items():
    for noise in (0.0, 0.1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = evaluate(X, y, {"none": None, **noise_configs}, noise=noise)
        n_train = res["none"]["n_train"][0]
        base = np.array(res.pop("none")["acc"])
        print(
            f"\n{data_name}, {noise:.0%} flipped labels: "
            f"unpruned accuracy {base.mean():.4f}"
        )
        print(
            f"{'pruner':52s} {'kept':>7s} {'Δ accuracy':>18s} {'flipped/removed':>16s}"
        )
        for name, r in res.items():
            delta = np.array(r["acc"]) - base
            share = np.sum(r["flipped"]) / max(np.sum(r["removed"]), 1)
            summary[(data_name, noise, name)] = (
                np.mean(r["kept"]) / n_train,
                delta.mean(),
            )
            flipped = f"{share:15.1%}" if noise else f"{'-':>15s}"
            print(
                f"{name:52s} {np.mean(r['kept']) / n_train:7.1%} "
                f"{delta.mean():+8.4f} ± {delta.std() / np.sqrt(len(delta)):.4f} "
                f"{flipped}"
            )

# %%
# The trade-off in one picture: rows kept against the change of accuracy, for
# clean and noisy labels. A good default sits near 100% kept and Δ = 0 on clean
# data, and above Δ = 0 on noisy data.

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
for ax, noise in zip(axes, (0.0, 0.1)):
    for (data_name, nz, name), (kept, delta) in summary.items():
        if nz != noise:
            continue
        marker = "o" if data_name == "breast_cancer" else "s"
        color = "C3" if name.startswith("default") else "C0"
        ax.scatter(kept, delta, marker=marker, color=color, alpha=0.8)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("share of training rows kept")
    ax.set_title(
        f"{noise:.0%} flipped labels (red: default; o breast_cancer, s 4-vs-9)"
    )
axes[0].set_ylabel("Δ test accuracy vs unpruned")
fig.tight_layout()
plt.show()
