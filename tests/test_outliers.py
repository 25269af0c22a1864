"""InfluenceOutlierRemover: self-influence, the automatic cut, planted outliers."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from skinfluence import InfluenceExplainer, InfluenceOutlierRemover
from skinfluence.resampling.outliers import valley_threshold


def planted_line(seed, n=200, share=0.05):
    """y = 3x + 2 + N(0, 1) on x in [0, 10]; ``share`` of rows shifted by 10-25 sd."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 10, size=(n, 1))
    y_clean = 3.0 * X[:, 0] + 2.0 + rng.normal(size=n)
    outliers = rng.choice(n, int(share * n), replace=False)
    y = y_clean.copy()
    y[outliers] += rng.choice([-1.0, 1.0], outliers.size) * rng.uniform(
        10, 25, outliers.size
    )
    return X, y, outliers


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_planted_outliers_found_and_slope_recovered(method):
    """5 seeds: threshold='auto' finds >= 90% of the outliers with <= 5% false alarms,
    and Ridge refitted on the kept rows has the clean data's slope within 5%."""
    found, false_alarm, slope_err = [], [], []
    for seed in range(5):
        X, y, outliers = planted_line(seed)
        remover = InfluenceOutlierRemover(method=method).fit(X, y)
        flagged = ~remover.inlier_mask_
        is_out = np.zeros(len(y), dtype=bool)
        is_out[outliers] = True
        found.append(flagged[is_out].mean())
        false_alarm.append(flagged[~is_out].mean())
        clean = Ridge().fit(X[~is_out], y[~is_out]).coef_[0]
        refit = Ridge().fit(X[remover.inlier_mask_], y[remover.inlier_mask_]).coef_[0]
        slope_err.append(abs(refit / clean - 1))
        assert remover.threshold_rule_ == "valley", remover.threshold_rule_
    msg = (
        f"found {np.round(found, 3)}, false alarms {np.round(false_alarm, 3)}, "
        f"slope error {np.round(slope_err, 4)}"
    )
    print(msg)
    assert min(found) >= 0.9 and max(false_alarm) <= 0.05 and max(slope_err) <= 0.05, (
        msg
    )


def test_unmodified_ridge_slope_is_off():
    """The comparison is not vacuous: with the outliers in, the slope is visibly off."""
    X, y, outliers = planted_line(0, share=0.05)
    y[outliers] = np.abs(y[outliers] - 3 * X[outliers, 0] - 2) + 40  # all above, far
    keep = np.setdiff1d(np.arange(len(y)), outliers)
    clean = Ridge().fit(X[keep], y[keep]).coef_[0]
    raw = Ridge().fit(X, y).coef_[0]
    remover = InfluenceOutlierRemover().fit(X, y)
    refit = Ridge().fit(X[remover.inlier_mask_], y[remover.inlier_mask_]).coef_[0]
    msg = f"clean slope {clean:.3f}, with outliers {raw:.3f}, after removal {refit:.3f}"
    assert abs(raw / clean - 1) > 0.05 and abs(refit / clean - 1) < 0.01, msg


def test_clean_data_falls_back_to_the_fence_and_keeps_nearly_all():
    for seed in range(5):
        X, y, _ = planted_line(seed, share=0.0)
        remover = InfluenceOutlierRemover().fit(X, y)
        assert remover.inlier_mask_.mean() >= 0.99, (seed, remover.threshold_rule_)


def test_self_influence_is_the_explainers():
    X, y, _ = planted_line(1)
    remover = InfluenceOutlierRemover(Ridge(alpha=0.5)).fit(X, y)
    expected = InfluenceExplainer(Ridge(alpha=0.5)).fit(X, y).self_influence()
    np.testing.assert_allclose(remover.self_influence_, expected, rtol=1e-12)
    np.testing.assert_array_equal(
        remover.inlier_mask_, remover.self_influence_ <= remover.threshold_
    )


def test_numeric_threshold_contamination_and_fit_predict():
    X, y, outliers = planted_line(2)
    scores = InfluenceOutlierRemover().fit(X, y).self_influence_
    cut = np.sort(scores)[-7]
    r = InfluenceOutlierRemover(threshold=cut).fit(X, y)
    assert r.threshold_rule_ == "value" and (~r.inlier_mask_).sum() == 6
    r = InfluenceOutlierRemover(contamination=0.1)
    labels = r.fit_predict(X, y)
    assert set(labels) == {-1, 1} and (labels == -1).sum() == 20
    np.testing.assert_array_equal(labels == 1, r.inlier_mask_)
    np.testing.assert_array_equal(np.flatnonzero(labels == 1), r.sample_indices_)
    Xr, yr = r.fit_resample(X, y)
    np.testing.assert_array_equal(Xr, X[labels == 1])
    with pytest.raises(ValueError, match="either threshold"):
        InfluenceOutlierRemover(threshold=1.0, contamination=0.1).fit(X, y)


def test_valley_threshold_on_known_mixtures():
    rng = np.random.RandomState(0)
    # squared Gaussian residuals, and 5% gross ones at 10-25 sigma
    bulk = rng.normal(size=950) ** 2
    far = rng.uniform(10, 25, 50) ** 2
    cut, rule = valley_threshold(np.r_[bulk, far])
    assert rule == "valley" and bulk.max() < cut < far.min(), (cut, bulk.max(), far.min())
    # a heavy-tailed (log-normal) bulk with a far mode
    logbulk = 10 ** rng.normal(0, 0.5, 950)
    cut, rule = valley_threshold(np.r_[logbulk, 10 ** rng.normal(5, 0.3, 50)])
    assert rule == "valley" and logbulk.max() < cut, (cut, logbulk.max())
    # one mode: the far-out fence flags (almost) nothing
    cut, rule = valley_threshold(bulk)
    assert rule == "fence" and (bulk > cut).mean() < 0.005, (bulk > cut).mean()
    assert valley_threshold(np.zeros(10)) == (np.inf, "fence")


def test_classification_mislabelled_rows_score_high():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    flip = np.random.RandomState(0).rand(len(y)) < 0.05
    y_noisy = np.where(flip, 1 - y, y)
    r = InfluenceOutlierRemover(
        LogisticRegression(solver="newton-cholesky", tol=1e-10), contamination=0.05
    ).fit(X, y_noisy)
    precision = flip[~r.inlier_mask_].mean()
    assert precision >= 0.5, (
        f"{precision:.2f} of the flagged rows are flipped (base {flip.mean():.2f})"
    )


def test_inputs_not_modified():
    X, y, _ = planted_line(3)
    X0, y0 = X.copy(), y.copy()
    InfluenceOutlierRemover().fit_resample(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_whole_number_float_target_is_continuous_and_scored_by_ridge():
    """load_diabetes: 214 distinct whole-number floats. The default scorer is Ridge
    (not a LogisticRegression over 214 classes), with no warning; a classifier
    passed for such a target is refused with a clear error."""
    import warnings

    from sklearn.datasets import load_diabetes

    from skinfluence.resampling.scorer import is_class_target

    X, y = load_diabetes(return_X_y=True)
    assert np.all(y == np.round(y)) and np.unique(y).size > 200
    assert not is_class_target(y)
    assert is_class_target(np.array([0.0, 1.0, 2.0] * 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        remover = InfluenceOutlierRemover().fit(X, y)
    assert isinstance(remover.explainer_.estimator_, Ridge), remover.explainer_
    assert remover.inlier_mask_.mean() > 0.95, remover.inlier_mask_.mean()
    with pytest.raises(ValueError, match="classifier but y is continuous"):
        InfluenceOutlierRemover(LogisticRegression()).fit(X, y)


def test_integer_target_with_a_row_per_value_warns():
    from skinfluence import InfluenceWarning
    from skinfluence.resampling.scorer import is_class_target

    with pytest.warns(InfluenceWarning, match="distinct"):
        assert is_class_target(np.arange(50))



def test_integer_target_whose_values_mostly_occur_once_or_twice_warns():
    """load_diabetes' target cast to int: 214 values in 442 rows, 71% of them once
    or twice, but 2.07 rows per value on average: no warning was given while a
    LogisticRegression over 214 "classes" scored the rows. Real classes do not
    warn."""
    from skinfluence import InfluenceWarning
    from skinfluence.resampling.scorer import is_class_target

    y = load_diabetes().target.astype(int)
    with pytest.warns(InfluenceWarning, match="214 distinct"):
        assert is_class_target(y)
    rare = np.r_[np.repeat(np.arange(5), 10), [5, 6]]  # 5 classes, 2 single rows
    for classes in (load_wine().target, rare):
        with warnings.catch_warnings():
            warnings.simplefilter("error", InfluenceWarning)
            assert is_class_target(classes)

def test_multiclass_default_scorer_flags_relabelled_rows_and_sparse_matches_dense():
    """wine (3 classes), 5% of labels moved to another class, 5 seeds: the default
    scorer (scaled multinomial LogisticRegression) puts the relabelled rows among the
    highest self-influence (contamination=0.05 flags them at >= 5x the base rate,
    pooled), and CSR input gives the dense scores."""
    from scipy import sparse
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    hits = flagged = 0
    for seed in range(5):
        rng = np.random.RandomState(seed)
        flip = rng.rand(len(y)) < 0.05
        y_noisy = np.where(flip, (y + rng.randint(1, 3, len(y))) % 3, y)
        r = InfluenceOutlierRemover(contamination=0.05).fit(X, y_noisy)
        hits += flip[~r.inlier_mask_].sum()
        flagged += (~r.inlier_mask_).sum()
    rate = hits / flagged
    assert rate >= 5 * 0.05, f"{rate:.2f} of the flagged rows were relabelled"
    dense = InfluenceOutlierRemover().fit(X, y_noisy).self_influence_
    csr = InfluenceOutlierRemover().fit(sparse.csr_matrix(X), y_noisy).self_influence_
    # lbfgs stops at tol=1e-8 on a slightly different path for CSR: ~1e-6 apart
    np.testing.assert_allclose(csr, dense, rtol=1e-4)


def test_a_given_regressor_scores_integer_counts_as_continuous():
    """Integer counts with a PoissonRegressor scorer are a continuous target: the
    most extreme count is not protected as the only row of its "class", and the
    removal matches the GLM's own largest self-influence."""
    from sklearn.linear_model import PoissonRegressor


    rng = np.random.RandomState(0)
    X = rng.standard_normal((200, 3))
    y = rng.poisson(np.exp(0.3 * X[:, 0] + 1.0))
    y[17] = 60  # a gross count outlier, the only row with that value
    scorer = PoissonRegressor(alpha=0.01, solver="newton-cholesky", tol=1e-10)
    remover = InfluenceOutlierRemover(scorer, contamination=0.01).fit(X, y)
    expected = np.argsort(-InfluenceExplainer(clone(scorer)).fit(X, y)
                          .self_influence(), kind="stable")[:2]
    assert 17 in remover.removed_indices_, remover.removed_indices_
    assert sorted(remover.removed_indices_) == sorted(expected)


def test_a_classifier_on_a_continuous_target_is_refused():
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((60, 2)), rng.standard_normal(60)
    with pytest.raises(ValueError, match="is a classifier but y is continuous"):
        InfluenceOutlierRemover(LogisticRegression()).fit(X, y)
