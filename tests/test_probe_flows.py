"""End-to-end flows a scikit-learn user runs: search, routing, persistence."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler

from skinfluence import (
    InfluenceExplainer,
    InfluenceOutlierRemover,
    InfluencePruner,
    find_label_issues,
)
from skinfluence.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def noisy():
    X, y = make_classification(
        n_samples=150, n_features=5, flip_y=0.1, random_state=0
    )
    w = np.random.RandomState(0).uniform(0.1, 3.0, len(y))
    return X, y, w


@pytest.fixture
def routing():
    sklearn.set_config(enable_metadata_routing=True)
    yield
    sklearn.set_config(enable_metadata_routing=False)


def test_fit_resample_request_exists_whatever_the_import_order():
    # skinfluence imported before imbalanced-learn: the row-removing steps were
    # defined before imblearn registered fit_resample as a routed method, so
    # set_fit_resample_request (which imblearn's Pipeline asks for) was missing
    code = (
        "import skinfluence\n"
        "from skinfluence import InfluencePruner, InfluenceOutlierRemover\n"
        "print(all(hasattr(c(), 'set_fit_resample_request')\n"
        "          for c in (InfluencePruner, InfluenceOutlierRemover)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip() == "True", out.stdout + out.stderr


@pytest.mark.parametrize(
    "make", [lambda: InfluencePruner(), lambda: InfluenceOutlierRemover()]
)
def test_weights_reach_the_step_with_routing(noisy, routing, make):
    X, y, w = noisy
    # imbalanced-learn's Pipeline maps its fit to a sampler's fit and
    # fit_resample alike, so both requests are set (it calls fit_resample)
    step = (
        make()
        .set_fit_request(sample_weight=True)
        .set_fit_resample_request(sample_weight=True)
    )
    # a full-length weight vector does not fit the rows the step keeps
    clf = LogisticRegression().set_fit_request(sample_weight=False)
    model = Pipeline([("prune", step), ("clf", clf)])
    model.fit(X, y, sample_weight=w)
    with sklearn.config_context(enable_metadata_routing=False):
        expected = make().fit(X, y, sample_weight=w).removed_indices_
        unweighted = make().fit(X, y).removed_indices_
        kept = model.named_steps["prune"].sample_indices_
        refit = LogisticRegression().fit(X[kept], y[kept])
    removed = model.named_steps["prune"].removed_indices_
    assert np.array_equal(removed, expected), (removed, expected)
    assert not np.array_equal(removed, unweighted)  # the weights mattered
    gap = np.abs(model.named_steps["clf"].coef_ - refit.coef_).max()
    assert gap < 1e-10, f"final model != refit on the kept rows: {gap}"


@pytest.mark.parametrize(
    "fit",
    [
        lambda X, y, w: InfluencePruner().fit(X, y, sample_weight=w).removed_indices_,
        lambda X, y, w: InfluencePruner(reference="validation")
        .fit(X, y, sample_weight=w)
        .removed_indices_,
        lambda X, y, w: InfluenceOutlierRemover()
        .fit(X, y, sample_weight=w)
        .removed_indices_,
        lambda X, y, w: find_label_issues(X, y, sample_weight=w).index,
        lambda X, y, w: InfluenceExplainer(
            sk_make_pipeline(StandardScaler(), LogisticRegression())
        )
        .fit(X, y, sample_weight=w)
        .self_influence(),
    ],
    ids=["pruner", "pruner_validation", "remover", "find_label_issues", "explainer"],
)
def test_weighted_pipeline_scorer_same_with_routing_on(noisy, fit):
    # the default scorer is a Pipeline; with routing on, its fit refused the
    # "<last step>__sample_weight" the library passes it (TypeError)
    X, y, w = noisy
    off = fit(X, y, w)
    with sklearn.config_context(enable_metadata_routing=True):
        on = fit(X, y, w)
    assert np.array_equal(on, off), (on, off)


@pytest.mark.parametrize(
    "scores",
    [1.0 + np.arange(50) * 2.2e-16, 0.3 + (np.arange(50) % 2) * 5.6e-17],
    ids=["ramp", "two_values"],
)
def test_valley_threshold_scores_equal_to_rounding(scores):
    # numpy's histogram refused 256 bins over a range of a few ulps
    # ("Too many bins for data range"); equal scores: no row stands apart
    from skinfluence.resampling.outliers import valley_threshold

    threshold, rule = valley_threshold(scores)
    assert threshold == np.inf and rule == "fence", (threshold, rule)


def test_outlier_remover_on_identical_rows_removes_nothing():
    # identical rows, 20 float target values (scored as 20 one-row classes):
    # the self-influences agree to rounding, and fit crashed in np.histogram
    X, y = np.ones((20, 3)), np.arange(20.0)
    with pytest.warns(Warning):
        remover = InfluenceOutlierRemover().fit(X, y)
    spread = np.ptp(remover.self_influence_) / remover.self_influence_.max()
    assert spread < 1e-10, f"self-influences differ by {spread:.2e} (relative)"
    assert remover.removed_indices_.size == 0, remover.removed_indices_
