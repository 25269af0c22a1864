"""Issue 12's estimators as the scoring model of the row-removing steps.

Each step is run on public data with planted errors (gross count or value
errors for regressors, flipped labels for classifiers) and must remove planted
rows at least 3 times as often as their share of the data (enrichment), or
refuse the scorer with an error naming what is supported. The leave-one-out
predictions the pruner reads are checked against refitting without each row.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import (
    Lasso,
    LogisticRegression,
    PoissonRegressor,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.model_selection import KFold, cross_validate
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skinfluence import InfluenceOutlierRemover, InfluencePruner, find_label_issues
from skinfluence.pipeline import make_pipeline
from test_glm import _randhie
from test_l1 import _diabetes

ENRICHMENT = 3.0


def enrichment(removed, planted, n):
    """Share of planted rows among the removed, over their share of all rows."""
    removed = np.asarray(removed)
    if removed.size == 0:
        return 0.0, 0.0
    precision = np.isin(removed, planted).mean()
    return precision / (len(planted) / n), np.isin(planted, removed).mean()


def assert_enriched(name, removed, planted, n):
    e, recall = enrichment(removed, planted, n)
    msg = (f"{name}: {len(removed)} removed, enrichment of planted rows {e:.1f}x "
           f"(base rate {len(planted) / n:.3f}), recall {recall:.2f}")
    print(msg)
    assert e >= ENRICHMENT, msg


def counts_with_gross_errors(seed=0, n_planted=16):
    """randhie outpatient visits (400 rows); some counts raised by 40 visits."""
    X, y = _randhie(400)
    planted = np.random.RandomState(seed).choice(len(y), n_planted, replace=False)
    y = y.copy()
    y[planted] += 40.0
    return X, y, planted


def values_with_gross_errors(seed=0, n_planted=15):
    """diabetes progression; some values shifted by +-300 (about 4 sd)."""
    X, y = _diabetes()
    rng = np.random.RandomState(seed)
    planted = rng.choice(len(y), n_planted, replace=False)
    y = y.copy()
    y[planted] += 300.0 * rng.choice([-1.0, 1.0], n_planted)
    return X, y, planted


def flipped_labels(seed=0, rate=0.07):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.RandomState(seed)
    planted = rng.choice(len(y), int(rate * len(y)), replace=False)
    y = y.copy()
    y[planted] = 1 - y[planted]
    return X, y, planted


def _sgd_classifier(loss="log_loss", seed=0):
    return SGDClassifier(loss=loss, alpha=0.01, tol=None, max_iter=2000,
                         random_state=seed)


def _l1_logistic():
    return LogisticRegression(C=0.3, l1_ratio=1.0, solver="saga", tol=1e-8,
                              max_iter=10_000)


# ------------------------------------------------------ the outlier remover
@pytest.mark.parametrize("seed", [0, 1])
def test_outlier_remover_with_poisson_finds_gross_count_errors(seed):
    X, y, planted = counts_with_gross_errors(seed)
    remover = InfluenceOutlierRemover(PoissonRegressor(alpha=0.01)).fit(X, y)
    assert_enriched(f"OutlierRemover(PoissonRegressor), seed {seed}",
                    remover.removed_indices_, planted, len(y))


@pytest.mark.parametrize("make", [lambda: Lasso(alpha=1.0),
                                  lambda: SGDRegressor(alpha=0.01, random_state=0)],
                         ids=["Lasso", "SGDRegressor"])
def test_outlier_remover_with_lasso_and_sgd_finds_gross_errors(make):
    X, y, planted = values_with_gross_errors()
    if isinstance(make(), SGDRegressor):
        y = (y - y.mean()) / y.std()  # SGD's step size needs a unit-scale target
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SGD's stationarity warning
        remover = InfluenceOutlierRemover(make()).fit(X, y)
    assert_enriched(f"OutlierRemover({type(make()).__name__})",
                    remover.removed_indices_, planted, len(y))


@pytest.mark.parametrize("make", [_sgd_classifier, lambda: LinearSVC(C=0.1),
                                  _l1_logistic],
                         ids=["SGDClassifier", "LinearSVC", "L1 logistic"])
def test_outlier_remover_with_classifiers_finds_flipped_labels(make):
    X, y, planted = flipped_labels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        remover = InfluenceOutlierRemover(make()).fit(X, y)
    assert_enriched(f"OutlierRemover({type(make()).__name__})",
                    remover.removed_indices_, planted, len(y))


# ---------------------------------------------------------------- the pruner
def test_pruner_with_poisson_predicts_the_mean_left_out():
    """The leave-one-out prediction of a GLM is its mean (``predict``), not the
    linear predictor: checked against refits without each row; the far-out
    fence on the residuals finds the gross count errors; find_label_issues
    suggests the left-out mean."""
    X, y, planted = counts_with_gross_errors()
    est = PoissonRegressor(alpha=0.01, solver="newton-cholesky", tol=1e-12)
    pruner = InfluencePruner(est).fit(X, y)
    rows = np.r_[planted[:5], np.arange(0, len(y), 40)]
    refits = np.array([
        clone(est).fit(np.delete(X, j, 0), np.delete(y, j)).predict(X[j:j + 1])[0]
        for j in rows])
    full = clone(est).fit(X, y).predict(X[rows])
    err = np.abs(pruner.predictions_[rows] - refits) / refits
    r = np.corrcoef(pruner.predictions_[rows] - full, refits - full)[0, 1]
    msg = (f"leave-one-out mean vs refits: relative error up to {err[5:].max():.1e} "
           f"(ordinary rows), {err[:5].max():.3f} (gross errors, Pregibon's one "
           f"step); Pearson of the change {r:.4f}")
    print(msg)
    assert err[5:].max() < 0.01 and err[:5].max() < 0.15 and r >= 0.99, msg
    assert_enriched("Pruner(PoissonRegressor)", pruner.removed_indices_, planted,
                    len(y))
    issues = find_label_issues(X, y, est)
    np.testing.assert_allclose(issues.suggested_label,
                               pruner.predictions_[issues.index])


def test_pruner_with_lasso_predicts_the_value_left_out():
    X, y, planted = values_with_gross_errors()
    est = Lasso(alpha=1.0, tol=1e-12, max_iter=100_000)
    pruner = InfluencePruner(est).fit(X, y)
    rows = np.r_[planted[:5], np.arange(0, len(y), 40)]
    refits = np.array([
        clone(est).fit(np.delete(X, j, 0), np.delete(y, j)).predict(X[j:j + 1])[0]
        for j in rows])
    err = np.abs(pruner.predictions_[rows] - refits).max() / y.std()
    assert err < 0.05, f"leave-one-out value vs refits: error {err:.3f} sd of y"
    assert_enriched("Pruner(Lasso)", pruner.removed_indices_, planted, len(y))


@pytest.mark.parametrize("seed", [0, 1])
def test_pruner_with_sgd_log_loss_finds_flipped_labels(seed):
    """Binary SGDClassifier(loss='log_loss'): its probability is the logistic
    link of its decision value, which the leave-one-out confident joint reads."""
    X, y, planted = flipped_labels(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pruner = InfluencePruner(_sgd_classifier(seed=seed)).fit(X, y)
    assert_enriched(f"Pruner(SGDClassifier(log_loss)), seed {seed}",
                    pruner.removed_indices_, planted, len(y))
    # the leave-one-out probabilities against the exact optimum without the row
    from scipy.special import expit
    from test_sgd import exact_optimum

    model = _sgd_classifier(seed=seed).fit(X, y)
    full = exact_optimum("log_loss", X, y, np.append(model.coef_, model.intercept_))
    rows = np.r_[planted[:2], 0, 300]
    exact = []
    for j in rows:
        t = exact_optimum("log_loss", np.delete(X, j, 0), np.delete(y, j), full)
        exact.append(expit(X[j] @ t[:-1] + t[-1]))
    err = np.abs(pruner.predictions_[rows, 1] - np.array(exact))
    print(f"leave-one-out P(class 1) vs exact optima: |error| {err.round(4)}")
    assert err.max() < 0.02, f"leave-one-out P(class 1) vs exact optima: {err}"


@pytest.mark.parametrize("make, what", [
    (lambda: LinearSVC(C=0.1), "LinearSVC"),
    (lambda: _sgd_classifier("modified_huber"), "modified_huber"),
])
def test_pruner_refuses_scores_without_a_logistic_probability(make, what):
    """reference='leave_one_out' reads logistic probabilities from decision
    values: a margin classifier (no predict_proba, or modified_huber's, which is
    not the logistic link) is refused, naming the supported models; the paper's
    references, which need only the loss, accept it and find the flipped rows."""
    X, y, planted = flipped_labels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=f"logistic loss.*got .*{what}"):
            InfluencePruner(make()).fit(X, y)
        pruner = InfluencePruner(make(), reference="representative").fit(X, y)
    assert_enriched(f"Pruner({what}, representative)", pruner.removed_indices_,
                    planted, len(y))


def test_pruner_refuses_one_vs_rest_sgd_probabilities():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="binary SGDClassifier"):
            InfluencePruner(_sgd_classifier()).fit(StandardScaler().fit_transform(X),
                                                  y)


def test_l1_logistic_pruner_in_a_cross_validated_pipeline():
    """The L1 scorer inside the pipeline, refitted on each training fold by
    cross_validate: each fold's pruner removes flipped rows, and the pruned
    pipeline scores at least as well as the unpruned one."""
    X, y, planted = flipped_labels()
    # not seed 0: its permutation is the one that planted the flips (all of them
    # would sit in fold 0's held-out part)
    cv = KFold(3, shuffle=True, random_state=1)
    pruned = make_pipeline(StandardScaler(), InfluencePruner(_l1_logistic()),
                           LogisticRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = cross_validate(pruned, X, y, cv=cv, return_estimator=True)
    plain = cross_validate(make_pipeline(StandardScaler(), LogisticRegression()),
                           X, y, cv=cv)
    for k, ((train, _), model) in enumerate(zip(cv.split(X), out["estimator"])):
        removed = train[model[1].removed_indices_]
        assert_enriched(f"fold {k}: Pipeline(L1 logistic pruner)", removed,
                        planted, len(y))
    print(f"accuracy pruned {out['test_score'].mean():.4f}, "
          f"plain {plain['test_score'].mean():.4f}")
    assert out["test_score"].mean() >= plain["test_score"].mean() - 0.01
