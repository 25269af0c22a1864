"""Accuracy of influence against refitting, on scikit-learn's bundled data sets.

For each problem: 50 random training rows x 20 test rows, single-row removal,
target="loss"; the truth is scikit-learn refitting a clone without the row
(warm-started, newton-cholesky at tol=1e-12 for logistic models). Then 20
random populations of 10% of the rows. Prints a Markdown table.

    python benchmarks/accuracy_vs_refit.py
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _refit import agreement, refit_effects  # noqa: E402

from skinfluence import InfluenceExplainer  # noqa: E402

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def problems():
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast_cancer, LogisticRegression(C=1)", StandardScaler().fit_transform(X), y, \
        LogisticRegression(C=1.0, **TIGHT)
    X, y = load_digits(return_X_y=True)
    yield "digits 8x8 (/16), multinomial C=1", X / 16.0, y, LogisticRegression(C=1.0, **TIGHT)
    Xp = StandardScaler().fit_transform(PCA(10, random_state=0).fit_transform(X))
    yield "digits PCA-10, multinomial no penalty", Xp, y, LogisticRegression(C=np.inf, **TIGHT)
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes, Ridge(alpha=1)", X, y, Ridge(alpha=1.0)
    yield "diabetes 2 outputs, Ridge(alpha=[0.5, 5])", X, np.c_[y, np.sqrt(y)], Ridge(alpha=[0.5, 5.0])
    yield "diabetes, LinearRegression", X, y, LinearRegression()
    X, y = load_iris(return_X_y=True)
    yield "iris, RidgeClassifier(alpha=1)", X, y, RidgeClassifier(alpha=1.0)


def main():
    rng = np.random.RandomState(0)
    print("| problem | method | Pearson | slope | MAE | pop. Spearman | pop. sign | time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, X, y, est in problems():
        test = rng.choice(len(X), 20, replace=False)
        train = np.setdiff1d(np.arange(len(X)), test)
        X_tr, y_tr, X_te, y_te = X[train], y[train], X[test], y[test]
        est.fit(X_tr, y_tr)
        rows = rng.choice(len(train), 50, replace=False)
        truth = refit_effects(est, X_tr, y_tr, X_te, y_te, rows[:, None])
        pops = [rng.choice(len(train), len(train) // 10, replace=False) for _ in range(20)]
        pop_truth = refit_effects(est, X_tr, y_tr, X_te[:5], y_te[:5], pops)
        for method in ("first_order", "newton"):
            t0 = time.perf_counter()
            ex = InfluenceExplainer(est, method=method).fit(X_tr, y_tr)
            pred = ex.influence(X_te, y_te)[:, rows]
            pop = ex.population_influence(X_te[:5], y_te[:5], pops)
            elapsed = time.perf_counter() - t0
            a, b = agreement(pred, truth), agreement(pop, pop_truth)
            sign = np.mean(np.sign(pop) == np.sign(pop_truth))
            print(f"| {name} | {method} | {a['pearson']:.4f} | {a['slope']:.3f} | {a['mae']:.2e} "
                  f"| {b['spearman']:.3f} | {sign:.2f} | {elapsed:.2f} |", flush=True)


if __name__ == "__main__":
    main()
