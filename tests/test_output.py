"""output="pandas": results carry the DataFrames' index labels, values unchanged."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skinfluence import InfluenceExplainer

pd = pytest.importorskip("pandas")


def _frames(n_train=60, n_test=7, seed=0):
    """Regression data as DataFrames with string and shuffled-int indexes."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_train + n_test, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(scale=0.5, size=len(X))
    cols = ["a", "b", "c", "d"]
    train_index = pd.Index([f"r{i}" for i in rng.permutation(n_train)])
    test_index = pd.Index(rng.permutation(np.arange(1000, 1000 + n_test)))
    X_tr = pd.DataFrame(X[:n_train], columns=cols, index=train_index)
    X_te = pd.DataFrame(X[n_train:], columns=cols, index=test_index)
    y_tr = pd.Series(y[:n_train], index=train_index)
    y_te = pd.Series(y[n_train:], index=test_index)
    return X_tr, y_tr, X_te, y_te


def _close(got, want, what):
    err = float(np.max(np.abs(np.asarray(got, dtype=float) - want)))
    assert err <= 1e-12 * max(1.0, float(np.max(np.abs(want)))), (
        f"{what}: labelled values differ from the numpy ones by {err:.3g}")


@pytest.mark.parametrize("method", ["first_order", "newton"])
def test_per_row_results_carry_labels_and_numpy_values(method):
    X_tr, y_tr, X_te, y_te = _frames()
    est = Ridge(alpha=1.0)
    ex = InfluenceExplainer(est, method=method, output="pandas").fit(X_tr, y_tr)
    ref = InfluenceExplainer(est, method=method).fit(X_tr.to_numpy(), y_tr.to_numpy())
    assert ex.train_index_.equals(X_tr.index)
    assert ref.train_index_ is None
    Xn, yn = X_te.to_numpy(), y_te.to_numpy()

    for name in ["self_influence", "params_influence"]:
        got, want = getattr(ex, name)(), getattr(ref, name)()
        assert got.index.equals(X_tr.index), name
        _close(got, want, name)
    got = ex.mean_influence(X_te, y_te)
    assert isinstance(got, pd.Series) and got.index.equals(X_tr.index)
    _close(got, ref.mean_influence(Xn, yn), "mean_influence")

    got = ex.influence(X_te, y_te)
    assert got.index.equals(X_te.index) and got.columns.equals(X_tr.index)
    _close(got, ref.influence(Xn, yn), "influence")


def test_self_influence_label_names_the_row_whose_refit_it_predicts():
    # newton is exact leave-one-out for Ridge: the label must point at the row
    # that X.drop(label) removes.
    X_tr, y_tr, _, _ = _frames()
    est = Ridge(alpha=1.0).fit(X_tr, y_tr)
    ex = InfluenceExplainer(est, method="newton", output="pandas").fit(X_tr, y_tr)
    s = ex.self_influence()
    for label in [s.idxmax(), X_tr.index[0], X_tr.index[-1]]:
        refit = clone(est).fit(X_tr.drop(index=label), y_tr.drop(index=label))
        row, target = X_tr.loc[[label]], y_tr.loc[label]
        loss_all = (target - est.predict(row)[0]) ** 2
        loss_without = (target - refit.predict(row)[0]) ** 2
        effect = loss_without - loss_all  # Q = -loss: Q(all) - Q(without)
        assert abs(s[label] - effect) <= 1e-8 * abs(effect), (
            f"row {label!r}: labelled self-influence {s[label]:.6g}, "
            f"refit {effect:.6g}")


def test_top_influences_indices_become_training_labels():
    X_tr, y_tr, X_te, y_te = _frames()
    ex = InfluenceExplainer(Ridge(), output="pandas").fit(X_tr, y_tr)
    ref = InfluenceExplainer(Ridge()).fit(X_tr.to_numpy(), y_tr.to_numpy())
    got = ex.top_influences(X_te, y_te, k=5)
    want = ref.top_influences(X_te.to_numpy(), y_te.to_numpy(), k=5)
    for side in ["helpful", "harmful"]:
        labels, scores = got[f"{side}_indices"], got[f"{side}_scores"]
        assert labels.index.equals(X_te.index) and scores.index.equals(X_te.index)
        assert labels.shape == (len(X_te), 5)
        expected = X_tr.index.to_numpy()[want[f"{side}_indices"]]
        assert (labels.to_numpy() == expected).all(), side
        _close(scores, want[f"{side}_scores"], f"{side}_scores")
    # a label's score is the influence matrix's entry at (test label, train label)
    full = ex.influence(X_te, y_te)
    t = X_te.index[2]
    best = got.helpful_indices.loc[t, 0]
    _close([got.helpful_scores.loc[t, 0]], [full.loc[t, best]], "top vs influence")


def test_population_results_label_test_rows_and_populations():
    rng = np.random.RandomState(1)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"],
                     index=rng.permutation(np.arange(500, 590)))
    y = pd.Series(np.digitize(X["a"] + 0.5 * rng.normal(size=90), [-0.5, 0.5]),
                  index=X.index)
    X_tr, y_tr, X_te, y_te = X.iloc[:70], y.iloc[:70], X.iloc[70:], y.iloc[70:]
    est = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000)
    ex = InfluenceExplainer(est, output="pandas").fit(X_tr, y_tr)
    ref = InfluenceExplainer(est).fit(X_tr.to_numpy(), y_tr.to_numpy())
    some_twos = (y_tr == 2).to_numpy() & (np.arange(70) < 35)
    pops = {"first": np.arange(5), "some twos": some_twos}
    Xn, yn = X_te.to_numpy(), y_te.to_numpy()

    got = ex.population_influence(X_te, y_te, pops)
    assert got.index.equals(X_te.index) and list(got.columns) == list(pops)
    _close(got, ref.population_influence(Xn, yn, pops), "population_influence")
    one = ex.population_influence(X_te, y_te, pops["first"], target="proba")
    assert isinstance(one, pd.Series) and one.index.equals(X_te.index)
    _close(one, ref.population_influence(Xn, yn, pops["first"], target="proba"),
           "single population")
    actual = ex.retrain_effect(X_te, y_te, pops)
    assert actual.index.equals(X_te.index) and list(actual.columns) == list(pops)
    _close(actual, ref.retrain_effect(Xn, yn, pops), "retrain_effect")


def test_pipeline_on_a_mixed_dataframe_keeps_the_training_labels():
    rng = np.random.RandomState(2)
    X = pd.DataFrame({"x": rng.normal(size=40), "colour": rng.choice(["r", "g"], 40)},
                     index=[f"id{i:02d}" for i in rng.permutation(40)])
    y = 2 * X["x"] + (X["colour"] == "r") + rng.normal(scale=0.3, size=40)
    pre = ColumnTransformer([("num", StandardScaler(), ["x"]),
                             ("cat", OneHotEncoder(), ["colour"])])
    ex = InfluenceExplainer(make_pipeline(pre, Ridge()), output="pandas").fit(X, y)
    ref = InfluenceExplainer(make_pipeline(pre, Ridge())).fit(X, y)
    got = ex.self_influence()
    assert got.index.equals(X.index)
    _close(got, ref.self_influence(), "pipeline self_influence")


def test_numpy_input_gets_positions_and_default_output_is_unchanged():
    X_tr, y_tr, X_te, y_te = _frames()
    ex = InfluenceExplainer(Ridge(), output="pandas").fit(X_tr.to_numpy(), y_tr)
    assert ex.train_index_ is None
    got = ex.influence(X_te.to_numpy(), y_te.to_numpy())
    assert isinstance(got, pd.DataFrame)
    assert got.index.equals(pd.RangeIndex(len(X_te)))
    assert got.columns.equals(pd.RangeIndex(len(X_tr)))
    top = ex.top_influences(X_te.to_numpy(), y_te.to_numpy(), k=3)
    assert np.issubdtype(top.helpful_indices.to_numpy().dtype, np.integer)

    plain = InfluenceExplainer(Ridge()).fit(X_tr, y_tr)
    assert plain.train_index_.equals(X_tr.index)  # remembered either way
    assert type(plain.self_influence()) is np.ndarray
    assert type(plain.top_influences(X_te, y_te, k=3).helpful_indices) is np.ndarray
    assert_allclose(plain.self_influence(), ex.self_influence().to_numpy(), rtol=1e-12)


def test_unknown_output_is_refused():
    X_tr, y_tr, _, _ = _frames()
    with pytest.raises(InvalidParameterError, match="output"):
        InfluenceExplainer(Ridge(), output="polars").fit(X_tr, y_tr)
