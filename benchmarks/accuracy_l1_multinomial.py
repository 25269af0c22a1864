"""Multinomial L1 / elastic-net LogisticRegression on its active set against refitting:
the spread over penalties and random draws.

For each data set (iris, wine; standardised), ``C`` and ``l1_ratio``, and each of
``--draws`` random draws (20 held-out test rows, ``--rows`` training rows removed one
at a time): refit without each row (saga, tol=1e-12, warm-started: the reader's
``refit``), set apart the removals that change ``sign(W)``, and correlate on the
others first order's and newton's parameter shifts (public layout, null space
projected out) and test-loss influence with the refits. Prints a markdown table of
the median and minimum Pearson over the draws for docs/accuracy.md.

Run from the repository root: ``python benchmarks/accuracy_l1_multinomial.py``.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
from skinfluence import InfluenceExplainer  # noqa: E402
from skinfluence.exceptions import InfluenceWarning  # noqa: E402

DATA = {"iris": load_iris, "wine": load_wine}
SETTINGS = [(C, rho) for rho in (1.0, 0.5) for C in (0.1, 0.3, 1.0)]


def neg_log_loss(model, X, y):
    return np.log(model.predict_proba(X)[np.arange(len(y)), y])


def one_draw(X, y, C, rho, seed, n_rows):
    rng = np.random.RandomState(seed)
    test = rng.choice(len(y), 20, replace=False)
    train = np.setdiff1d(np.arange(len(y)), test)
    Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
    est = LogisticRegression(C=C, l1_ratio=rho, solver="saga", tol=1e-10,
                             max_iter=100_000).fit(Xtr, ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)
        exs = {m: InfluenceExplainer(est, method=m).fit(Xtr, ytr)
               for m in ("first_order", "newton")}
    a = exs["newton"].adapter_
    rows = rng.choice(len(ytr), n_rows, replace=False)
    full = np.r_[est.coef_.ravel(), est.intercept_]
    q_full = neg_log_loss(est, Xte, yte)
    shifts, effects, changed = [], [], []
    for j in rows:
        keep = np.arange(len(ytr)) != j
        r = a.refit(Xtr[keep], ytr[keep])
        shifts.append(full - np.r_[r.coef_.ravel(), r.intercept_])
        effects.append(q_full - neg_log_loss(r, Xte, yte))
        changed.append(np.any(np.sign(r.coef_) != np.sign(est.coef_)))
    kept = ~np.array(changed)
    N = a.to_public(a.null_space().T).T
    truth = np.array(shifts)
    truth = (truth - truth @ N @ N.T)[kept]
    effects = np.array(effects).T[:, kept]
    out = dict(active=int(a.support.sum()), size=a.support.size,
               changed=float(np.mean(changed)), warn=a.support_change_share_)
    for m, ex in exs.items():
        P = ex.params_influence()[rows]
        P = (P - P @ N @ N.T)[kept]
        pred = ex.influence(Xte, yte)[:, rows[kept]]
        out[m] = (np.corrcoef(P.ravel(), truth.ravel())[0, 1],
                  np.corrcoef(pred.ravel(), effects.ravel())[0, 1])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--rows", type=int, default=15)
    args = parser.parse_args()
    print("| data | C | l1_ratio | active | removals changing sign(W) | "
          "first order params / test loss: median (min) | "
          "newton params / test loss: median (min) |")
    print("|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for name, load in DATA.items():
        X, y = load(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        for C, rho in SETTINGS:
            runs = [one_draw(X, y, C, rho, seed, args.rows)
                    for seed in range(args.draws)]
            cells = []
            for m in ("first_order", "newton"):
                r = np.array([run[m] for run in runs])
                med, low = np.median(r, axis=0), r.min(axis=0)
                cells.append(f"{med[0]:.5f} / {med[1]:.5f} "
                             f"({low[0]:.5f} / {low[1]:.5f})")
            active = np.median([run["active"] for run in runs])
            changed = np.mean([run["changed"] for run in runs])
            warned = np.mean([run["warn"] > 0.05 for run in runs])
            print(f"| {name} | {C} | {rho} | {active:.0f} of {runs[0]['size']} | "
                  f"{changed:.0%} (warned in {warned:.0%} of draws) | {cells[0]} | "
                  f"{cells[1]} |")
    print(f"\n{args.draws} draws of {args.rows} removals each; "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
