"""InfluencePruner: the scores of the paper's k-fold references, the rules, what it
removes and keeps back (the default's noisy-label behaviour: test_label_noise.py)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from skinfluence import (
    InfluenceExplainer,
    InfluenceOutlierRemover,
    InfluencePruner,
    InfluenceWarning,
)
from skinfluence.exceptions import SingularHessianError
from skinfluence.resampling.base import BaseRowSampler


def _breast_cancer():
    return load_breast_cancer(return_X_y=True)


@pytest.fixture(scope="module")
def small_binary():
    X, y = _breast_cancer()
    X = StandardScaler().fit_transform(X)[:150]
    return X, y[:150]


# ------------------------------------------------------------ the scores
def test_mean_influence_is_mean_of_influence_rows(small_binary):
    """One solve on the averaged test gradient equals averaging n_test solves."""
    X, y = small_binary
    ex = InfluenceExplainer(
        LogisticRegression(solver="newton-cholesky", tol=1e-10)
    ).fit(X[:100], y[:100])
    fast = ex.mean_influence(X[100:], y[100:])
    slow = ex.influence(X[100:], y[100:]).mean(axis=0)
    err = np.abs(fast - slow).max() / np.abs(slow).max()
    assert err < 1e-10, f"relative difference {err:.2e}"


def test_mean_influence_regression_and_multiclass():
    X, y = make_regression(80, 5, noise=5.0, random_state=0)
    ex = InfluenceExplainer(Ridge(alpha=1.0)).fit(X[:60], y[:60])
    slow = ex.influence(X[60:], y[60:]).mean(axis=0)
    np.testing.assert_allclose(
        ex.mean_influence(X[60:], y[60:]),
        slow,
        rtol=1e-10,
        atol=1e-12 * np.abs(slow).max(),
    )
    Xd, yd = load_digits(return_X_y=True)
    Xd, yd = Xd[:300, ::4] / 16.0, yd[:300]
    ex = InfluenceExplainer(
        LogisticRegression(solver="newton-cholesky", tol=1e-10)
    ).fit(Xd[:200], yd[:200])
    slow = ex.influence(Xd[200:], yd[200:]).mean(axis=0)
    np.testing.assert_allclose(
        ex.mean_influence(Xd[200:], yd[200:]),
        slow,
        rtol=1e-8,
        atol=1e-10 * np.abs(slow).max(),
    )


@pytest.mark.parametrize("reference", ["representative", "validation"])
def test_scores_match_explainer_fold_by_fold(small_binary, reference):
    """Every stored score is the influence computed by hand for its fold/reference."""
    X, y = small_binary
    scorer = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-10)
    pruner = InfluencePruner(scorer, cv=3, reference=reference).fit(X, y)
    folds = list(StratifiedKFold(3).split(X, y))
    n_refs = 2 if reference == "representative" else 1
    assert pruner.scores_.shape == (len(y), 3 * n_refs)
    for f, (train, held) in enumerate(folds):
        ex = InfluenceExplainer(clone(scorer)).fit(X[train], y[train])
        block = pruner.scores_[:, f * n_refs : (f + 1) * n_refs]
        assert np.isnan(block[held]).all(), (
            "held-out rows must have no score in their fold"
        )
        if reference == "validation":
            expected = ex.influence(X[held], y[held]).mean(axis=0)[:, None]
        else:
            refs = []
            for c in (0, 1):
                rows = held[y[held] == c]
                refs.append(rows[np.argmin(((X[rows] - X[rows].mean(0)) ** 2).sum(1))])
            expected = ex.influence(X[refs], y[refs]).T
        np.testing.assert_allclose(
            block[train], expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max()
        )


def _rule_by_hand(scores, rule):
    out = []
    for row in scores:
        s = row[~np.isnan(row)]
        if rule == "all_positive":
            out.append(not np.all(s > 0))
        elif rule == "sum_positive":
            out.append(not s.sum() > 0)
        else:
            out.append(bool(np.all(s < 0)))
    return np.array(out)


@pytest.mark.parametrize("rule", ["all_positive", "sum_positive", "not_all_negative"])
def test_rules_follow_their_definition(small_binary, rule):
    X, y = small_binary
    p = InfluencePruner(reference="representative", rule=rule).fit(X, y)
    removed = np.zeros(len(y), dtype=bool)
    removed[p.removed_indices_] = True
    np.testing.assert_array_equal(removed, _rule_by_hand(p.scores_, rule))
    np.testing.assert_array_equal(
        np.sort(np.r_[p.sample_indices_, p.removed_indices_]), np.arange(len(y))
    )


def test_rules_are_nested(small_binary):
    """Removed sets nest: not_all_negative <= sum_positive <= all_positive."""
    X, y = small_binary
    removed = {
        r: set(
            InfluencePruner(reference="representative", rule=r)
            .fit(X, y)
            .removed_indices_
        )
        for r in ("all_positive", "sum_positive", "not_all_negative")
    }
    assert (
        removed["not_all_negative"]
        <= removed["sum_positive"]
        <= removed["all_positive"]
    ), {r: len(v) for r, v in removed.items()}


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.33])
def test_fraction_removes_the_most_harmful(small_binary, fraction):
    X, y = small_binary
    p = InfluencePruner(
        reference="representative", fraction=fraction, rule="all_positive"
    ).fit(X, y)
    n_remove = int(np.floor(fraction * len(y)))
    assert len(p.removed_indices_) == n_remove
    mean = np.nanmean(p.scores_, axis=1)
    if n_remove:
        kept_min = mean[p.sample_indices_].min()
        assert mean[p.removed_indices_].max() <= kept_min, (
            "a kept row scored worse than a removed one"
        )


def test_regression_target_paper_references():
    X, y = make_regression(90, 4, noise=1.0, random_state=0)
    y[:3] += 300.0  # gross errors hurt every held-out reference
    for reference in ("representative", "validation"):
        p = InfluencePruner(reference=reference).fit(X, y)
        assert p.scores_.shape == (90, 3)
        assert np.isfinite(p.scores_).sum() == 90 * 2
        assert set(range(3)) <= set(p.removed_indices_), (reference, p.removed_indices_)


class _DropEverything(BaseRowSampler):
    """A sampler whose rule removes every row; harm = row index."""

    _parameter_constraints = {"estimator": [None]}

    def __init__(self, estimator=None):
        self.estimator = estimator

    def _fit(self, X, y, sample_weight):
        return np.ones(len(y), dtype=bool), np.arange(len(y), dtype=float)


def test_never_empties_a_class_or_the_data():
    X = np.random.RandomState(0).normal(size=(12, 2))
    y = np.array([0, 1, 2] * 4)
    with pytest.warns(InfluenceWarning, match="every row of class") as record:
        s = _DropEverything().fit(X, y)
    assert len(record) == 3
    np.testing.assert_array_equal(
        s.sample_indices_, [0, 1, 2]
    )  # least harmful per class
    with pytest.warns(InfluenceWarning, match="every row \\(12 rows\\)"):
        s = _DropEverything().fit(X, y + 0.5 * np.arange(12))
    np.testing.assert_array_equal(s.sample_indices_, [0])



def test_kept_back_class_is_named_as_the_user_wrote_it():
    """The warning named numpy 2's reprs ("class np.int64(2)", "np.str_('b')")."""
    X = np.random.RandomState(0).normal(size=(12, 2))
    for y, name in ((np.array([0, 1, 2] * 4), "2"), (np.array(list("abc") * 4), "'b'")):
        with pytest.warns(InfluenceWarning) as record:
            _DropEverything().fit(X, y)
        messages = [str(r.message) for r in record]
        expected = f"every row of class {name} (4 rows)"
        assert any(expected in m for m in messages), messages
        assert not any("np." in m for m in messages), messages


@pytest.mark.parametrize("step", [InfluencePruner, InfluenceOutlierRemover])
def test_singular_scoring_model_error_names_what_the_step_takes(step):
    """Fewer rows than features and no penalty: the explainer's advice, "pass
    damping > 0 to InfluenceExplainer", is no parameter of the steps."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(10, 25)), rng.normal(size=10)
    with pytest.raises(SingularHessianError) as info:
        step(LinearRegression()).fit(X, y)
    message = str(info.value)
    assert step.__name__ in message and "penalised" in message, message
    assert "damping > 0 to InfluenceExplainer" not in message, message
    kept = step(Ridge()).fit(X, y).sample_indices_  # the advice works
    assert kept.size >= 9, kept

def test_pruner_keeps_a_class_back(small_binary):
    X, y = small_binary
    X, y = X[:100], y[:100]
    with pytest.warns(InfluenceWarning, match="keeping the least harmful"):
        p = InfluencePruner(fraction=0.99).fit(X, y)  # 99 of 100 rows would go
    assert p.removal_reason_[p.sample_indices_].tolist() == ["", ""]
    assert set(y[p.sample_indices_]) == {0, 1}, np.bincount(y[p.sample_indices_])


def test_inputs_are_not_modified_and_results_deterministic(small_binary):
    X, y = small_binary
    X0, y0 = X.copy(), y.copy()
    Xr, yr = InfluencePruner(fraction=0.1).fit_resample(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    Xr2, yr2 = InfluencePruner(fraction=0.1).fit_resample(X, y)
    np.testing.assert_array_equal(Xr, Xr2)
    assert Xr.dtype == np.float64 and len(Xr) == len(y) - 15


def test_sample_weight_changes_the_scoring_model(small_binary):
    X, y = small_binary
    w = np.ones(len(y))
    a = InfluencePruner().fit(X, y, sample_weight=w).scores_
    b = InfluencePruner().fit(X, y).scores_
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    w[:20] = 5.0
    c = InfluencePruner().fit(X, y, sample_weight=w).scores_
    assert not np.allclose(np.nan_to_num(c), np.nan_to_num(b))


def test_pandas_input_keeps_its_type(small_binary):
    pd = pytest.importorskip("pandas")
    X, y = small_binary
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    s = pd.Series(y)
    Xr, yr = InfluencePruner(fraction=0.1).fit_resample(df, s)
    assert isinstance(Xr, pd.DataFrame) and isinstance(yr, pd.Series)
    assert list(Xr.index) == list(df.index[np.sort(Xr.index)])


def test_bad_parameters():
    X, y = _breast_cancer()
    with pytest.raises(ValueError, match="rule"):
        InfluencePruner(rule="most_negative").fit(X[:60], y[:60])
    with pytest.raises(ValueError, match="fraction"):
        InfluencePruner(fraction=1.0).fit(X[:60], y[:60])


def test_multiclass_paper_references_one_column_per_fold_and_class():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X[:300, ::4])
    y = y[:300]
    p = InfluencePruner(reference="representative").fit(X, y)
    assert p.scores_.shape == (300, 3 * 10)
    # each row is held out in exactly one fold: 10 NaN columns per row
    np.testing.assert_array_equal(np.isnan(p.scores_).sum(axis=1), 10)
    v = InfluencePruner(reference="validation").fit(X, y)
    assert v.scores_.shape == (300, 3)
    np.testing.assert_array_equal(np.isnan(v.scores_).sum(axis=1), 1)
    assert set(v.removal_reason_[v.removed_indices_]) <= {"all_negative"}


@pytest.mark.parametrize("reference", ["representative", "validation"])
def test_held_out_rows_of_weight_zero_are_no_reference(small_binary, reference):
    """A row of weight 0 counts nowhere: flipping the labels of such rows leaves
    every other row's scores unchanged (as a reference it would move them)."""
    X, y = small_binary[:2]
    w = np.ones(len(y))
    zero = np.arange(0, len(y), 7)
    w[zero] = 0.0
    y_flipped = y.copy()
    y_flipped[zero] = 1 - y_flipped[zero]
    folds = list(KFold(3).split(X))  # the same folds for both label sets
    pruner = InfluencePruner(reference=reference, cv=folds)
    a = clone(pruner).fit(X, y, sample_weight=w).scores_
    b = clone(pruner).fit(X, y_flipped, sample_weight=w).scores_
    others = np.setdiff1d(np.arange(len(y)), zero)
    np.testing.assert_allclose(a[others], b[others], rtol=1e-6, atol=1e-10)
    unweighted = clone(pruner).fit(X, y_flipped).scores_
    gap = np.nanmax(np.abs(unweighted[others] - b[others]))
    assert gap > 1e-6, f"the flipped rows as references move the scores by {gap:.2e}"


@pytest.mark.parametrize("reference", ["leave_one_out", "validation", "representative"])
def test_a_pipeline_scorer_takes_string_columns(reference):
    """A DataFrame with a string column and a scoring Pipeline that one-hot
    encodes it: the same scores and removals as the encoded matrix with the bare
    model (the steps used to convert X to float64 first and refuse it)."""
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline as sk_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    n = 240
    df = pd.DataFrame({"cat": rng.choice(["a", "b", "c"], n),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    logit = 2 * df.x1 + 1.5 * (df.cat == "a") - 0.5
    y = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    y = np.where(rng.rand(n) < 0.15, 1 - y, y)
    encode = make_column_transformer((OneHotEncoder(), ["cat"]),
                                     remainder="passthrough")
    scorer = sk_pipeline(encode, LogisticRegression())
    raw = InfluencePruner(scorer, reference=reference).fit(df, y)
    encoded = InfluencePruner(LogisticRegression(), reference=reference).fit(
        encode.fit_transform(df), y)
    np.testing.assert_allclose(raw.scores_, encoded.scores_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(raw.removed_indices_, encoded.removed_indices_)
    X_kept, _ = raw.fit_resample(df, y)
    assert isinstance(X_kept, pd.DataFrame)
    assert len(X_kept) == n - raw.removed_indices_.size


def test_a_pipeline_scorer_with_an_imputer_takes_nan_a_bare_model_refuses_it():
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline as sk_pipeline

    X, y = _breast_cancer()
    X = StandardScaler().fit_transform(X)[:200]
    y = y[:200]
    X_nan = X.copy()
    X_nan[::17, 3] = np.nan
    filled = X_nan.copy()
    filled[::17, 3] = np.nanmean(X_nan[:, 3])
    imputed = InfluenceOutlierRemover(
        sk_pipeline(SimpleImputer(), LogisticRegression())).fit(X_nan, y)
    direct = InfluenceOutlierRemover(LogisticRegression()).fit(filled, y)
    np.testing.assert_allclose(imputed.self_influence_, direct.self_influence_,
                               rtol=1e-8)
    with pytest.raises(ValueError, match="NaN"):
        InfluenceOutlierRemover(LogisticRegression()).fit(X_nan, y)
