"""HuberRegressor: predicted removal effects against refitting, sigma included.

Two bundled data sets with planted outliers (both Huber zones populated):
diabetes (442 rows) and wine (178 rows, alcohol from the 12 other measurements),
features and target standardised, 8% of the targets shifted by 4-8 standard
deviations (two thirds upwards). HuberRegressor(epsilon=1.35, alpha=1e-3),
tol=1e-12. 20 test rows; 60 single training rows removed (half of them in the
linear zone when there are that many); 20 populations of 10% of the rows.
``target="loss"`` is the Huber term at the fitted scale, ``"prediction"`` is
``predict()``. Truth: ``clone(est).fit`` without the rows (warm-started,
tol=1e-12), evaluated from scikit-learn's ``predict``. Also the same shifts with
``sigma`` held fixed (the Schur term dropped), to show what the scale adds.

Run from the repository root: ``python benchmarks/accuracy_huber.py`` (the
table), ``python benchmarks/accuracy_huber.py spread`` (Pearson over 5 draws of
the planted outliers and of the rows removed, single rows, ``target="loss"``).
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import HuberRegressor

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from _refit import agreement  # noqa: E402

from skinfluence.models.huber import HuberAdapter
from skinfluence.models.huber_removal import HuberRemoval  # noqa: E402


def planted(name, seed=0, share=0.08):
    """Standardised X, y with ``share`` of the targets moved by 4-8 std."""
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
    else:
        data = load_wine().data
        X, y = data[:, 1:], data[:, 0]
    rng = np.random.RandomState(seed)
    X = (X - X.mean(0)) / X.std(0)
    y = (y - y.mean()) / y.std()
    out = rng.choice(len(y), int(share * len(y)), replace=False)
    sign = np.where(rng.rand(len(out)) < 2 / 3, 1.0, -1.0)
    y[out] += sign * rng.uniform(4, 8, len(out))
    return X, y


def huber(**kw):
    return HuberRegressor(epsilon=1.35, alpha=1e-3, tol=1e-12, max_iter=10_000, **kw)


def refit(est, X, y, keep, sample_weight=None):
    """scikit-learn's refit without the rows, warm-started at the full fit."""
    new = clone(est).set_params(warm_start=True)
    new.coef_, new.intercept_, new.scale_ = est.coef_.copy(), est.intercept_, est.scale_
    kw = {} if sample_weight is None else {"sample_weight": sample_weight[keep]}
    return new.fit(X[keep], y[keep], **kw)


def quantity(model, scale, eps, X, y, target):
    """Q from scikit-learn's predictions: -Huber term at ``scale``, or predict()."""
    pred = model.predict(X)
    if target == "prediction":
        return pred
    a = np.abs(y - pred)
    return -np.where(a <= eps * scale, a**2 / scale, 2 * eps * a - eps**2 * scale)


def predicted(adapter, shifts, X, y, target, method):
    """Q(phi) - Q(phi + shift) for each shift, (n_test, n_shifts)."""
    Z = adapter.decision(X)
    Y = adapter.encode_target(y)
    dz = adapter.augmented_rows(X) @ shifts[:, :-1].T  # (n_test, n_shifts)
    if target == "prediction":
        return -dz
    if method == "first_order":
        return adapter.loss_gradient(Z, Y)[1] * dz  # -dQ/dz = +dloss/dz
    loss = adapter.loss(Z, Y)[:, None]
    return adapter.loss(Z[:, None, :] + dz[..., None], Y[:, None, :]) - loss


def run(name, seed=0):
    X, y = planted(name, seed)
    rng = np.random.RandomState(seed)
    test = rng.choice(len(y), 20, replace=False)
    train = np.setdiff1d(np.arange(len(y)), test)
    Xtr, ytr, Xt, yt = X[train], y[train], X[test], y[test]
    est = huber().fit(Xtr, ytr)
    a = HuberAdapter(est, ytr, None)
    removal = HuberRemoval(a, Xtr, a.encode_target(ytr), None)
    outside = np.flatnonzero(~removal.inside)
    rows = np.r_[rng.choice(outside, min(30, len(outside)), replace=False),
                 rng.choice(np.flatnonzero(removal.inside), 30, replace=False)]
    pops = [rng.choice(len(ytr), len(ytr) // 10, replace=False) for _ in range(20)]
    keep = [np.setdiff1d(np.arange(len(ytr)), np.atleast_1d(r)) for r in rows]
    refits = [refit(est, Xtr, ytr, k) for k in keep]
    pop_refits = [refit(est, Xtr, ytr, np.setdiff1d(np.arange(len(ytr)), p))
                  for p in pops]
    label = (f"{name} ({len(ytr)} rows, {len(outside)} in the linear zone), "
             f"HuberRegressor(alpha=1e-3)")
    rel = removal.gradient_norms()[1]
    print(f"<!-- relative gradient norm of the fit: {rel:.1e} -->")
    for target in ("loss", "prediction"):
        def truth(models):
            q = quantity(est, a.scale, a.epsilon, Xt, yt, target)
            return np.column_stack(
                [q - quantity(m, a.scale, a.epsilon, Xt, yt, target) for m in models])
        single, group = truth(refits), truth(pop_refits)
        for method in ("first_order", "newton"):
            start = time.perf_counter()
            pred = predicted(a, removal.shifts(rows, method), Xt, yt, target, method)
            pop = predicted(a, removal.population_shifts(pops, method), Xt, yt,
                            target, method)
            seconds = time.perf_counter() - start
            g = agreement(pred, single)
            big = np.abs(group) >= 0.1 * np.abs(group).max()
            sign = np.mean(np.sign(pop[big]) == np.sign(group[big]))
            print(f"| {label} | {target} | {method} | {g['pearson']:.4f} | "
                  f"{g['slope']:.3f} | {g['mae']:.2e} | "
                  f"{agreement(pop, group)['pearson']:.4f} | {sign:.2f} | "
                  f"{seconds:.2f} |", flush=True)
        fixed = sigma_fixed_shifts(a, removal, rows)
        g = agreement(predicted(a, fixed, Xt, yt, target, "first_order"), single)
        print(f"| {label} | {target} | first_order, sigma held fixed | "
              f"{g['pearson']:.4f} | {g['slope']:.3f} | {g['mae']:.2e} | | | |")


def sigma_fixed_shifts(adapter, removal, rows):
    """First-order shifts ignoring the scale: the theta block of H alone."""
    p = adapter.n_params
    Ht = np.linalg.inv(removal.inverse)[:p, :p]
    c = removal.weights[rows]
    G = (-c * removal.psi[rows])[:, None] * adapter.augmented_rows(removal.X[rows])
    return np.hstack([np.linalg.solve(Ht, G.T).T, np.zeros((len(rows), 1))])


def spread(n_draws=5):
    """Min / median / max Pearson of single-row effects over draws."""
    print("| data | method | Pearson min | median | max | slope min | max |")
    print("|---|---|---|---|---|---|---|")
    for name in ("diabetes", "wine"):
        figures = {"first_order": [], "newton": []}
        for seed in range(n_draws):
            X, y = planted(name, seed)
            rng = np.random.RandomState(seed)
            test = rng.choice(len(y), 20, replace=False)
            train = np.setdiff1d(np.arange(len(y)), test)
            Xtr, ytr, Xt, yt = X[train], y[train], X[test], y[test]
            est = huber().fit(Xtr, ytr)
            a = HuberAdapter(est, ytr, None)
            removal = HuberRemoval(a, Xtr, a.encode_target(ytr), None)
            rows = rng.choice(len(ytr), 40, replace=False)
            q = quantity(est, a.scale, a.epsilon, Xt, yt, "loss")
            truth = np.column_stack([
                q - quantity(refit(est, Xtr, ytr, np.arange(len(ytr)) != j), a.scale,
                             a.epsilon, Xt, yt, "loss") for j in rows])
            for method, got in figures.items():
                pred = predicted(a, removal.shifts(rows, method), Xt, yt, "loss",
                                 method)
                g = agreement(pred, truth)
                got.append((g["pearson"], g["slope"]))
        for method, got in figures.items():
            r, b = np.array(got).T
            print(f"| {name} | {method} | {r.min():.4f} | {np.median(r):.4f} | "
                  f"{r.max():.4f} | {b.min():.3f} | {b.max():.3f} |", flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["spread"]:
    spread()
elif __name__ == "__main__":
    print("| problem | target | method | Pearson | slope | MAE | pop. Pearson "
          "| pop. sign (>= 10%) | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ("diabetes", "wine"):
        run(name)
