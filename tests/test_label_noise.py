"""The default InfluencePruner on noisy labels: leave-one-out truth, what it removes,
what it costs on clean data, and find_label_issues.

Accuracy figures are means over several seeds per data set (never one seed); the
bounds are looser than the benchmark's targets (docs/pruning.md).
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skinfluence import (
    InfluenceExplainer,
    InfluencePrunedEstimator,
    InfluencePruner,
    find_label_issues,
)

SEEDS = range(5)
FINAL = LogisticRegression(max_iter=1000)


def _digits_600():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


LOADERS = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "digits": _digits_600,  # 10 classes
}


def _split(load, seed, noise):
    """Half/half split, standardised on the training half; ``noise`` of its labels
    moved to a uniformly drawn other class; the test half stays clean."""
    X, y = load()
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.5, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(Xtr)
    rng = np.random.RandomState(100 + seed)
    K = y.max() + 1
    flip = rng.rand(len(ytr)) < noise
    noisy = np.where(flip, (ytr + rng.randint(1, K, len(ytr))) % K, ytr)
    return scaler.transform(Xtr), noisy, scaler.transform(Xte), yte, flip


# ------------------------------------------------ leave-one-out against refits
def test_leave_one_out_predictions_of_ridge_are_exact_refits():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=60)
    p = InfluencePruner(Ridge(alpha=2.0)).fit(X, y)
    refit = [
        Ridge(alpha=2.0)
        .fit(np.delete(X, j, 0), np.delete(y, j))
        .predict(X[j : j + 1])[0]
        for j in range(60)
    ]
    np.testing.assert_allclose(p.predictions_, refit, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_leave_one_out_probabilities_match_refits(name):
    """Pregibon's one-step against 25 actual leave-one-out refits (binary and
    multinomial): the probability of the given label agrees closely."""
    X, y, _, _, _ = _split(LOADERS[name], 0, 0.1)
    scorer = LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-12)
    p = InfluencePruner(scorer).fit(X, y)
    rows = np.random.RandomState(0).choice(len(y), 25, replace=False)
    predicted, actual = [], []
    for j in rows:
        keep = np.arange(len(y)) != j
        model = clone(scorer).fit(X[keep], y[keep])
        actual.append(model.predict_proba(X[j : j + 1])[0, y[j]])
        predicted.append(p.predictions_[j, y[j]])
    predicted, actual = np.array(predicted), np.array(actual)
    err = np.abs(predicted - actual).max()
    r = np.corrcoef(predicted, actual)[0, 1]
    assert err < 0.02 and r > 0.999, f"max |error| {err:.4f}, Pearson {r:.5f}"


# ---------------------------------------------------------- noisy labels
@pytest.mark.parametrize("name", list(LOADERS))
def test_twenty_percent_noise_removed_rows_are_flipped_and_accuracy_rises(name):
    """20% flipped labels, 5 seeds: flipped rows make up >= 3x their base rate of
    the removed rows (pooled), and the pruned model is on average more accurate
    on the clean test set than the one fitted on every row."""
    n_removed = n_hits = n_flipped = n_train = 0
    gains = []
    for seed in SEEDS:
        Xtr, ytr, Xte, yte, flip = _split(LOADERS[name], seed, 0.2)
        model = InfluencePrunedEstimator(FINAL).fit(Xtr, ytr)
        removed = model.pruner_.removed_indices_
        n_removed += removed.size
        n_hits += flip[removed].sum()
        n_flipped += flip.sum()
        n_train += flip.size
        plain = clone(FINAL).fit(Xtr, ytr).score(Xte, yte)
        gains.append(100 * (model.score(Xte, yte) - plain))
    base = n_flipped / n_train
    precision = n_hits / max(n_removed, 1)
    msg = (
        f"{name}: removed {n_removed}, flipped among them {precision:.1%} (base "
        f"{base:.1%}, {precision / base:.1f}x), recall {n_hits / n_flipped:.1%}; "
        f"accuracy gain per seed {np.round(gains, 2)} pt, mean {np.mean(gains):+.2f}"
    )
    print(msg)
    assert precision >= 3 * base, msg
    assert np.mean(gains) > 0, msg


@pytest.mark.parametrize("name", list(LOADERS))
def test_clean_labels_cost_at_most_half_a_point(name):
    kept, deltas = [], []
    for seed in SEEDS:
        Xtr, ytr, Xte, yte, _ = _split(LOADERS[name], seed, 0.0)
        model = InfluencePrunedEstimator(FINAL).fit(Xtr, ytr)
        kept.append(model.sample_indices_.size / ytr.size)
        plain = clone(FINAL).fit(Xtr, ytr).score(Xte, yte)
        deltas.append(100 * (model.score(Xte, yte) - plain))
    msg = (
        f"{name}: kept {np.mean(kept):.2%} of rows; accuracy change per seed "
        f"{np.round(deltas, 2)} pt, mean {np.mean(deltas):+.2f}"
    )
    print(msg)
    assert np.mean(deltas) >= -0.5, msg
    assert np.mean(kept) > 0.97, msg


# ------------------------------------------------------- scores and reasons
def test_scores_are_leave_one_out_margins_and_reasons_mark_the_removed():
    Xtr, ytr, _, _, _ = _split(LOADERS["wine"], 1, 0.2)
    p = InfluencePruner().fit(Xtr, ytr)
    P = p.predictions_
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    own = P[np.arange(len(ytr)), ytr]
    other = np.where(np.eye(3, dtype=bool)[ytr], 0.0, P).max(axis=1)
    np.testing.assert_allclose(p.scores_[:, 0], np.log(own) - np.log(other), rtol=1e-8)
    removed = np.zeros(len(ytr), dtype=bool)
    removed[p.removed_indices_] = True
    assert removed.any()
    assert set(p.removal_reason_[removed]) == {"harmful_label"}
    assert set(p.removal_reason_[~removed]) == {""}
    # every removed row is one the leave-one-out model assigns to another class
    assert np.all(P[removed].argmax(axis=1) != ytr[removed])
    f = InfluencePruner(fraction=0.1).fit(Xtr, ytr)
    assert set(f.removal_reason_[f.removed_indices_]) == {"fraction"}
    worst = np.argsort(f.scores_[:, 0], kind="stable")[: int(0.1 * len(ytr))]
    np.testing.assert_array_equal(np.sort(worst), f.removed_indices_)


def test_regression_gross_errors_removed_by_the_residual_fence():
    found, false_alarms = [], []
    for seed in SEEDS:
        rng = np.random.RandomState(seed)
        X = rng.normal(size=(200, 5))
        y = X @ rng.normal(size=5) + rng.normal(size=200)
        bad = rng.choice(200, 10, replace=False)
        y[bad] += rng.choice([-1, 1], 10) * rng.uniform(8, 15, 10)
        p = InfluencePruner().fit(X, y)
        removed = np.zeros(200, dtype=bool)
        removed[p.removed_indices_] = True
        is_bad = np.isin(np.arange(200), bad)
        found.append(removed[is_bad].mean())
        false_alarms.append(removed[~is_bad].mean())
        assert set(p.removal_reason_[removed]) <= {"residual_fence"}
    msg = f"found {np.round(found, 2)}, false alarms {np.round(false_alarms, 3)}"
    assert min(found) >= 0.9 and max(false_alarms) <= 0.01, msg


def test_sparse_csr_gives_the_dense_result():
    Xtr, ytr, _, _, _ = _split(LOADERS["breast_cancer"], 2, 0.1)
    Xtr[np.abs(Xtr) < 0.5] = 0.0
    dense = InfluencePruner().fit(Xtr, ytr)
    sp = InfluencePruner().fit(sparse.csr_matrix(Xtr), ytr)
    np.testing.assert_array_equal(dense.removed_indices_, sp.removed_indices_)
    np.testing.assert_allclose(dense.scores_, sp.scores_, rtol=1e-6, atol=1e-8)


def test_leave_one_out_needs_probabilities_for_classes():
    Xtr, ytr, _, _, _ = _split(LOADERS["wine"], 0, 0.0)
    with pytest.raises(ValueError, match="needs predict_proba"):
        InfluencePruner(RidgeClassifier()).fit(Xtr, ytr)
    # the paper's references accept it
    InfluencePruner(RidgeClassifier(), reference="representative").fit(Xtr, ytr)


# ------------------------------------------------------------ find_label_issues
def test_find_label_issues_ranks_the_pruners_rows():
    Xtr, ytr, _, _, flip = _split(LOADERS["digits"], 3, 0.1)
    labels = np.array(list("abcdefghij"))[ytr]  # string labels
    issues = find_label_issues(Xtr, labels)
    pruner = InfluencePruner().fit(Xtr, labels)
    assert sorted(issues.index.tolist()) == pruner.removed_indices_.tolist()
    assert np.all(np.diff(issues.score) >= 0), "not ranked, most suspect first"
    np.testing.assert_array_equal(issues.given_label, labels[issues.index])
    assert np.all(issues.suggested_label != issues.given_label)
    precision = flip[issues.index].mean()
    assert precision > 0.7, f"{precision:.2f} of the suspect rows were flipped"
    pd = pytest.importorskip("pandas")
    frame = find_label_issues(Xtr, labels, as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["index", "given_label", "suggested_label", "score"]
    np.testing.assert_array_equal(frame["index"].to_numpy(), issues.index)


def test_find_label_issues_continuous_target_suggests_the_refit_prediction():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, 2.0, -1.0] + 0.1 * rng.normal(size=80)
    y[5] += 10.0
    issues = find_label_issues(X, y)
    assert issues.index.tolist() == [5]
    keep = np.arange(80) != 5
    # the default scorer scales the features (fitted once, on every row), then
    # Ridge: the truth is Ridge refitted on the scaled rows without row 5
    Xs = StandardScaler(with_mean=False).fit(X).transform(X)
    refit = Ridge().fit(Xs[keep], y[keep]).predict(Xs[5:6])[0]
    np.testing.assert_allclose(issues.suggested_label, [refit], rtol=1e-9)



def test_find_label_issues_column_vector_y_gives_flat_labels():
    """A column vector y (or a one-column DataFrame) is read as the pruner reads
    it, flat: ``given_label`` was (n, 1) and ``as_frame=True`` failed in pandas."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, 2.0, -1.0] + 0.1 * rng.normal(size=80)
    y[[5, 40]] += [10.0, -10.0]
    flat = find_label_issues(X, y)
    assert sorted(flat.index.tolist()) == [5, 40]
    for column in (y[:, None], pd.DataFrame({"y": y})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataConversionWarning)
            issues = find_label_issues(X, column)
            frame = find_label_issues(X, column, as_frame=True)
        assert issues.given_label.shape == (2,), issues.given_label.shape
        np.testing.assert_array_equal(issues.given_label, y[issues.index])
        np.testing.assert_array_equal(frame["given_label"].to_numpy(), y[flat.index])
        np.testing.assert_allclose(frame["score"].to_numpy(), flat.score)

def _draw(rng, P):
    """One class per row of the probability rows P (inverse CDF)."""
    return (rng.rand(len(P), 1) > np.cumsum(P, axis=1)).sum(axis=1)


@pytest.mark.parametrize("seed", range(3))
def test_label_posterior_is_the_bayes_posterior_under_the_true_noise(seed):
    """With the noisy labels' true probabilities, the posterior estimates the noise
    from the confident joint and calls (almost) exactly the rows more likely wrong
    than right that Bayes' rule under the true noise calls so: more than half of
    them flipped, by construction."""
    from skinfluence.resampling.leave_one_out import label_posterior

    rng = np.random.RandomState(seed)
    n, K = 6000, 3
    clean = rng.dirichlet(np.full(K, 0.3), size=n)
    true = _draw(rng, clean)
    noise = np.array([[0.8, 0.1, 0.3], [0.15, 0.85, 0.0], [0.05, 0.05, 0.7]])
    given = _draw(rng, noise[:, true].T)  # noise[i, j] = P(given i | true j)
    estimate = label_posterior(clean @ noise.T, given)
    flags = estimate.argmax(axis=1) != given
    posterior = noise[given] * clean
    posterior /= posterior.sum(axis=1, keepdims=True)
    gap = np.abs(estimate - posterior).mean()
    assert gap < 0.05, f"mean |posterior - Bayes posterior| {gap:.3f}"
    bayes = posterior.argmax(axis=1) != given
    flipped = given != true
    agree = (flags == bayes).mean()
    precision = flipped[flags].mean()
    assert agree > 0.94, f"agrees with the Bayes decision on {agree:.3f} of rows"
    assert precision > 0.6, f"flipped among flagged {precision:.3f}"
    assert flags.sum() > 0.5 * flipped.sum(), f"{flags.sum()} flagged, {flipped.sum()}"


@pytest.mark.parametrize("n_classes", [2, 3])
def test_expected_loss_influence_is_the_refits_change_of_its_linearisation(n_classes):
    """The pruner's harm: the first-order influence of each row on
    ``sum_k A_k . z_k`` (``A = posterior - leave-one-out probabilities``, fixed)
    against refitting without the row, 40 rows."""
    from sklearn.datasets import load_iris

    from skinfluence.resampling.leave_one_out import expected_loss_influence

    X, y = load_iris(return_X_y=True)
    if n_classes == 2:
        X, y = X[y > 0], y[y > 0] - 1
    rng = np.random.RandomState(0)
    model = LogisticRegression(C=0.5, tol=1e-10, max_iter=10000)
    ex = InfluenceExplainer(model, method="newton").fit(X, y)
    proba = ex.estimator_.predict_proba(X)
    posterior = rng.dirichlet(np.ones(n_classes), size=len(y))
    harm = expected_loss_influence(ex, proba, posterior)
    A = posterior - proba
    A = A[:, 1:] if n_classes == 2 else A

    def functional(m):
        z = np.atleast_2d(m.decision_function(X).T).T
        return float((A * z).sum())

    full = functional(ex.estimator_)
    rows = rng.choice(len(y), 40, replace=False)
    keep = np.ones(len(y), dtype=bool)
    refit = []
    for j in rows:
        keep[j] = False
        refit.append(full - functional(clone(model).fit(X[keep], y[keep])))
        keep[j] = True
    r = np.corrcoef(harm[rows], refit)[0, 1]
    slope = np.polyfit(refit, harm[rows], 1)[0]
    assert r > 0.97, f"correlation with refits {r:.4f}"
    assert 0.8 < slope < 1.25, f"slope against refits {slope:.3f}"


@pytest.mark.parametrize("seed", range(3))
def test_harmful_label_issues_stay_within_each_class_budget(seed):
    """Random posteriors and harms: no class loses more rows than its expected
    number of wrong labels, nor more than half, and every flagged row is doubtful
    (label odds <= 2) and harmful."""
    from skinfluence.resampling.leave_one_out import harmful_label_issues

    rng = np.random.RandomState(seed)
    n, K = 300, 4
    labels = rng.randint(K, size=n)
    posterior = rng.dirichlet(np.full(K, 0.5), size=n)
    harm = rng.normal(size=n)
    flags = harmful_label_issues(harm, posterior, labels)
    given = posterior[np.arange(n), labels]
    assert np.all(harm[flags] < 0) and np.all(given[flags] < 2 / 3)
    for k in range(K):
        in_class = labels == k
        budget = min(round((1 - given[in_class]).sum()), in_class.sum() // 2)
        assert flags[in_class].sum() <= budget, (k, flags[in_class].sum(), budget)
        # the budget takes the most harmful of the eligible rows
        eligible = in_class & (harm < 0) & (given < 2 / 3)
        if eligible.sum() > budget:
            kept_out = eligible & ~flags
            assert harm[flags & in_class].max() <= harm[kept_out].min()


def _weak_three_classes(seed):
    """Overlapping, imbalanced (60/25/15) three classes of two clusters each, 20%
    of the training labels moved at random: the scorer's leave-one-out accuracy
    is about 0.5, and it predicts the majority class for most rows."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=800, n_features=10, n_informative=5, n_redundant=2, n_classes=3,
        n_clusters_per_class=2, class_sep=0.5, weights=[0.6, 0.25, 0.15],
        flip_y=0.0, random_state=7,
    )
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.5, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(Xtr)
    rng = np.random.RandomState(1000 + seed)
    flip = rng.rand(len(ytr)) < 0.2
    noisy = np.where(flip, (ytr + rng.randint(1, 3, len(ytr))) % 3, ytr)
    return scaler.transform(Xtr), noisy, scaler.transform(Xte), yte


def _without_prediction_check(pruner, X, y):
    """The default rule's flags on the same quantities, without the check that
    the model fitted without a row predicts another class."""
    from skinfluence.resampling.leave_one_out import (
        expected_loss_influence,
        harmful_label_issues,
        label_posterior,
    )
    from skinfluence.resampling.pruner import COUNT_SHARPNESS
    from skinfluence.resampling.scorer import default_scorer

    ex = InfluenceExplainer(default_scorer(True), method="newton").fit(X, y)
    sharp = pruner.predictions_ ** COUNT_SHARPNESS  # softmax of the doubled z
    posterior = label_posterior(sharp / sharp.sum(axis=1, keepdims=True), y)
    harm = expected_loss_influence(ex, pruner.predictions_, posterior)
    return harmful_label_issues(harm, posterior, y)


def test_rows_the_out_of_sample_model_agrees_with_are_kept():
    """A removed row's label is never the class the model fitted without it
    predicts (its leave-one-out probabilities, ``predictions_``), on a weak
    model where the noise estimate alone would remove such rows."""
    agreeing_without_check = 0
    for seed in range(3):
        X, y, _, _ = _weak_three_classes(seed)
        pruner = InfluencePruner().fit(X, y)
        predicted = pruner.predictions_.argmax(axis=1)
        removed = pruner.removed_indices_
        assert removed.size > 0
        assert np.all(predicted[removed] != y[removed]), seed
        flags = _without_prediction_check(pruner, X, y)
        agreeing_without_check += int(np.sum(flags & (predicted == y)))
    assert agreeing_without_check > 0, "the check never mattered on these splits"


def test_weak_model_removes_less_harmfully_with_the_prediction_check():
    """Same weak three-class problem, 5 splits (the benchmark's
    syn_sep0.5_3c_imb_2cl at 20% symmetric noise): the default, with the check,
    loses less clean-test accuracy than the rule without it (-2.1 pt against
    -4.5 pt on average at 33fd61a; pruning still loses here, see
    docs/pruning.md)."""
    gains = []
    for seed in range(5):
        X, y, Xte, yte = _weak_three_classes(seed)
        pruner = InfluencePruner().fit(X, y)
        without = _without_prediction_check(pruner, X, y)
        with_check = np.isin(np.arange(len(y)), pruner.removed_indices_)
        scores = [clone(FINAL).fit(X[~r], y[~r]).score(Xte, yte)
                  for r in (with_check, without)]
        gains.append(100 * (scores[0] - scores[1]))
    assert np.mean(gains) > 0.5, f"gain of the check {np.round(gains, 2)} pt"
    assert min(gains) > -1.0, f"gain of the check {np.round(gains, 2)} pt"
