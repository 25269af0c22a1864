"""Accuracy of influence against refitting, on scikit-learn's bundled data sets.

For each problem: 50 random training rows x 20 test rows, single-row removal,
target="loss"; the truth is scikit-learn refitting a clone without the row
(warm-started, newton-cholesky at tol=1e-12 for logistic models). Then 20
random populations of 10% of the rows. Prints a Markdown table.

    python benchmarks/accuracy_vs_refit.py                 # every family
    python benchmarks/accuracy_vs_refit.py glm huber       # some families
    python benchmarks/accuracy_vs_refit.py --spread 10 glm # Pearson over 10 draws

Families: logistic, squared, glm (Poisson/Gamma/Tweedie; statsmodels' bundled
data sets for some problems), huber.
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.decomposition import PCA
from sklearn.datasets import load_linnerud
from sklearn.linear_model import (
    GammaRegressor,
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    TweedieRegressor,
)
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _refit import agreement, refit_effects  # noqa: E402

from skinfluence import InfluenceExplainer  # noqa: E402

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def problems():
    """(family, name, X, y, unfitted estimator) for every problem."""
    X, y = load_breast_cancer(return_X_y=True)
    yield "logistic", "breast_cancer, LogisticRegression(C=1)", \
        StandardScaler().fit_transform(X), y, LogisticRegression(C=1.0, **TIGHT)
    X, y = load_digits(return_X_y=True)
    yield "logistic", "digits 8x8 (/16), multinomial C=1", X / 16.0, y, \
        LogisticRegression(C=1.0, **TIGHT)
    Xp = StandardScaler().fit_transform(PCA(10, random_state=0).fit_transform(X))
    yield "logistic", "digits PCA-10, multinomial no penalty", Xp, y, \
        LogisticRegression(C=np.inf, **TIGHT)
    X, y = load_diabetes(return_X_y=True)
    yield "squared", "diabetes, Ridge(alpha=1)", X, y, Ridge(alpha=1.0)
    yield "squared", "diabetes 2 outputs, Ridge(alpha=[0.5, 5])", X, \
        np.c_[y, np.sqrt(y)], Ridge(alpha=[0.5, 5.0])
    yield "squared", "diabetes, LinearRegression", X, y, LinearRegression()
    X, y = load_iris(return_X_y=True)
    yield "squared", "iris, RidgeClassifier(alpha=1)", X, y, RidgeClassifier(alpha=1.0)
    yield from glm_problems()


def glm_problems():
    """Counts for Poisson, positive skewed targets for Gamma/Tweedie."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    yield "glm", "diabetes, GammaRegressor(alpha=0.01)", X, y, \
        GammaRegressor(alpha=0.01, **TIGHT)
    yield "glm", "diabetes, TweedieRegressor(power=1.5, alpha=0.1)", X, y, \
        TweedieRegressor(power=1.5, alpha=0.1, **TIGHT)
    yield "glm", "diabetes, TweedieRegressor(power=3, alpha=0.01)", X, y, \
        TweedieRegressor(power=3, alpha=0.01, **TIGHT)
    yield "glm", "diabetes, TweedieRegressor(power=2, link='identity', alpha=0.01)", \
        X, y, TweedieRegressor(power=2, link="identity", alpha=0.01, **TIGHT)
    d = load_linnerud()
    yield "glm", "linnerud chins (20 rows), PoissonRegressor(alpha=0.1)", \
        StandardScaler().fit_transform(d.target), d.data[:, 0].astype(float), \
        PoissonRegressor(alpha=0.1, **TIGHT)
    try:
        import statsmodels.api as sm
    except ImportError:
        print("statsmodels is not installed: its data sets are skipped",
              file=sys.stderr)
        return
    rng = np.random.RandomState(0)
    d = sm.datasets.randhie.load_pandas().data
    idx = rng.choice(len(d), 1000, replace=False)
    X = StandardScaler().fit_transform(d.drop(columns="mdvis").to_numpy(float)[idx])
    yield "glm", "randhie visits (1000 rows), PoissonRegressor(alpha=0.01)", X, \
        d["mdvis"].to_numpy(float)[idx], PoissonRegressor(alpha=0.01, **TIGHT)
    d = sm.datasets.star98.load_pandas()
    X = StandardScaler().fit_transform(d.exog.to_numpy(float))
    yield "glm", "star98 NABOVE counts, PoissonRegressor(alpha=0.01)", X, \
        d.endog["NABOVE"].to_numpy(float), PoissonRegressor(alpha=0.01, **TIGHT)
    d = sm.datasets.engel.load_pandas().data
    X = StandardScaler().fit_transform(np.log(d[["income"]].to_numpy(float)))
    yield "glm", "engel food expenditure, GammaRegressor(alpha=0.1)", X, \
        d["foodexp"].to_numpy(float), GammaRegressor(alpha=0.1, **TIGHT)
    d = sm.datasets.fair.load_pandas().data
    idx = rng.choice(len(d), 1000, replace=False)
    X = StandardScaler().fit_transform(d.drop(columns="affairs").to_numpy(float)[idx])
    yield "glm", "fair affairs (1000 rows), TweedieRegressor(power=1.5, alpha=0.01)", \
        X, d["affairs"].to_numpy(float)[idx], \
        TweedieRegressor(power=1.5, alpha=0.01, **TIGHT)


def main(families=()):
    rng = np.random.RandomState(0)
    print("| problem | method | Pearson | slope | MAE | pop. Spearman | pop. sign "
          "| pop. sign (>= 10%) | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for family, name, X, y, est in problems():
        # the draws come first, so a problem's rows do not depend on the families run
        test = rng.choice(len(X), min(20, len(X) // 4), replace=False)
        train = np.setdiff1d(np.arange(len(X)), test)
        rows = rng.choice(len(train), min(50, len(train)), replace=False)
        pops = [rng.choice(len(train), max(2, len(train) // 10), replace=False)
                for _ in range(20)]
        if families and family not in families:
            continue
        X_tr, y_tr, X_te, y_te = X[train], y[train], X[test], y[test]
        est.fit(X_tr, y_tr)
        truth = refit_effects(est, X_tr, y_tr, X_te, y_te, rows[:, None])
        pop_truth = refit_effects(est, X_tr, y_tr, X_te[:5], y_te[:5], pops)
        large = np.abs(pop_truth) >= 0.1 * np.abs(pop_truth).max()
        for method in ("first_order", "newton"):
            t0 = time.perf_counter()
            ex = InfluenceExplainer(est, method=method).fit(X_tr, y_tr)
            pred = ex.influence(X_te, y_te)[:, rows]
            pop = ex.population_influence(X_te[:5], y_te[:5], pops)
            elapsed = time.perf_counter() - t0
            a, b = agreement(pred, truth), agreement(pop, pop_truth)
            same = np.sign(pop) == np.sign(pop_truth)
            print(f"| {name} | {method} | {a['pearson']:.4f} | {a['slope']:.3f} "
                  f"| {a['mae']:.2e} | {b['spearman']:.3f} | {same.mean():.2f} "
                  f"| {same[large].mean():.2f} | {elapsed:.2f} |", flush=True)


def spread(n_draws, families=()):
    """Single-row Pearson of each method over ``n_draws`` random splits."""
    print(f"| problem | method | Pearson min | median | max (over {n_draws} draws) |")
    print("|---|---|---|---|---|")
    for family, name, X, y, est in problems():
        if families and family not in families:
            continue
        found = {"first_order": [], "newton": []}
        for seed in range(n_draws):
            rng = np.random.RandomState(seed)
            test = rng.choice(len(X), min(20, len(X) // 4), replace=False)
            train = np.setdiff1d(np.arange(len(X)), test)
            rows = rng.choice(len(train), min(50, len(train)), replace=False)
            est.fit(X[train], y[train])
            truth = refit_effects(est, X[train], y[train], X[test], y[test], rows[:, None])
            for method, values in found.items():
                ex = InfluenceExplainer(est, method=method).fit(X[train], y[train])
                pred = ex.influence(X[test], y[test])[:, rows]
                values.append(agreement(pred, truth)["pearson"])
        for method, values in found.items():
            print(f"| {name} | {method} | {np.min(values):.4f} | {np.median(values):.4f} "
                  f"| {np.max(values):.4f} |", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--spread"]:
        spread(int(args[1]), args[2:])
    else:
        main(args)
