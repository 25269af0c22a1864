"""The Displays as a user meets them: pipelines, pandas rows, output="pandas"."""

import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
pd = pytest.importorskip("pandas")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from skinfluence import InfluenceExplainer  # noqa: E402
from skinfluence.plotting import (  # noqa: E402
    InfluenceDistanceDisplay,
    InfluentialImagesDisplay,
    RegressionInfluenceDisplay,
    SelfInfluenceHistogramDisplay,
)


@pytest.fixture(scope="module")
def line_pipeline():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 10, (50, 1))
    y = 3.0 + 2.0 * X[:, 0] + rng.normal(size=50)
    pipe = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    return X, y, InfluenceExplainer(pipe).fit(X, y)


def test_regression_display_of_a_pipeline_stays_in_one_space(line_pipeline):
    X, y, ex = line_pipeline
    x_test, y_test = 5.0, 13.0
    scaled = ex.feature_map_.transform([[x_test]])[0, 0]
    # default: the model's (scaled) features, the test point scaled too
    disp = RegressionInfluenceDisplay.from_explainer(ex, [[x_test]], [y_test])
    assert disp.test_point_.get_offsets()[0, 0] == pytest.approx(scaled)
    xs, ys = disp.line_.get_data()
    x_model = disp.scatter_.get_offsets()[:, 0]
    assert xs.min() == pytest.approx(x_model.min())
    assert xs.max() == pytest.approx(x_model.max())
    np.testing.assert_allclose(ys, ex.estimator_.predict(np.asarray(xs)[:, None]))
    # X as given: raw features, the line is the pipeline's prediction
    disp = RegressionInfluenceDisplay.from_explainer(ex, [[x_test]], [y_test], X=X)
    assert disp.test_point_.get_offsets()[0, 0] == pytest.approx(x_test)
    xs, ys = disp.line_.get_data()
    pipeline_line = ex.estimator_.predict(ex.feature_map_.transform(xs[:, None]))
    np.testing.assert_allclose(ys, pipeline_line)
    np.testing.assert_allclose(disp.scatter_.get_offsets()[:, 0], X[:, 0])


def test_distance_display_of_a_pipeline_measures_in_one_space():
    rng = np.random.RandomState(1)
    X = rng.normal(5.0, 3.0, (80, 4))
    y = (X[:, 0] + rng.normal(size=80) > 5).astype(int)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    ex = InfluenceExplainer(pipe).fit(X, y)
    disp = InfluenceDistanceDisplay.from_explainer(ex, X[3], y[3])
    Z = ex.feature_map_.transform(X)
    np.testing.assert_allclose(disp.distance, np.linalg.norm(Z - Z[3], axis=1))
    assert disp.distance[3] == 0.0, f"row 3 is {disp.distance[3]} from itself"
    disp = InfluenceDistanceDisplay.from_explainer(ex, X[3], y[3], X=X)
    np.testing.assert_allclose(disp.distance, np.linalg.norm(X - X[3], axis=1))


def test_displays_pass_pandas_rows_with_their_column_names():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X = X.assign(colour=np.where(np.arange(len(X)) % 3, "red", "green"))
    labels = y.map({0: "setosa", 1: "versicolor", 2: "virginica"})
    encode = make_column_transformer(
        (OneHotEncoder(), ["colour"]), remainder=StandardScaler()
    )
    pipe = make_pipeline(encode, LogisticRegression(max_iter=1000))
    ex = InfluenceExplainer(pipe).fit(X, labels)
    expected = ex.influence(X.iloc[[60]], labels.iloc[[60]])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        for row in (X.iloc[[60]], X.iloc[60]):  # a one-row frame, a Series
            disp = InfluenceDistanceDisplay.from_explainer(ex, row, labels.iloc[60])
            np.testing.assert_allclose(disp.influence, expected)
            assert disp.test_label == "versicolor"
    num = X.drop(columns="colour")
    ridge = InfluenceExplainer(Ridge()).fit(num[["petal length (cm)"]], y * 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disp = RegressionInfluenceDisplay.from_explainer(
            ridge, num[["petal length (cm)"]].iloc[0], 0.0
        )
    xs, ys = disp.line_.get_data()
    line = ridge.estimator_.predict(pd.DataFrame({"petal length (cm)": xs}))
    np.testing.assert_allclose(ys, line)


def test_displays_of_an_explainer_with_pandas_output():
    X, y = load_digits(return_X_y=True)
    X = pd.DataFrame(X[:300] / 16.0, index=np.arange(300) + 1000)
    y = y[:300]
    model = LogisticRegression(max_iter=2000)
    kwargs = {"estimator": model}
    plain = InfluenceExplainer(**kwargs).fit(X.iloc[10:], y[10:])
    labelled = InfluenceExplainer(**kwargs, output="pandas").fit(X.iloc[10:], y[10:])
    row, label = X.iloc[[0]], y[:1]
    a = InfluenceDistanceDisplay.from_explainer(plain, row, label)
    b = InfluenceDistanceDisplay.from_explainer(labelled, row, label)
    np.testing.assert_allclose(b.influence, a.influence)
    assert b.harmful_index_ == a.harmful_index_
    a = InfluentialImagesDisplay.from_explainer(plain, row, label, k=3)
    b = InfluentialImagesDisplay.from_explainer(labelled, row, label, k=3)
    np.testing.assert_array_equal(b.helpful_indices, a.helpful_indices)
    np.testing.assert_allclose(b.harmful_images, a.harmful_images)
    assert labelled.output == "pandas"  # the user's explainer is left as it was
    reg = InfluenceExplainer(Ridge(), output="pandas").fit(X.iloc[:, [20]], y * 1.0)
    disp = RegressionInfluenceDisplay.from_explainer(reg, X.iloc[[0], [20]], [1.0])
    np.testing.assert_allclose(
        disp.influence, reg.influence(X.iloc[[0], [20]], [1.0]).to_numpy()[0]
    )
    hist = SelfInfluenceHistogramDisplay.from_explainer(labelled)
    assert hist.counts_.sum() == 290


def test_regression_display_labels_prediction_influence_by_its_sign():
    rng = np.random.RandomState(2)
    X = rng.uniform(0, 10, (40, 1))
    y = 1.0 + 0.5 * X[:, 0] + rng.normal(size=40)
    model = Ridge(alpha=1.0).fit(X, y)
    ex = InfluenceExplainer(model, method="newton").fit(X, y)
    disp = RegressionInfluenceDisplay.from_explainer(
        ex, [[9.0]], [5.5], target="prediction"
    )
    label = disp.colorbar_.ax.get_ylabel()
    assert "prediction" in label and "raises" in label, label
    j = int(np.argmax(disp.influence))
    keep = np.arange(40) != j
    refit = clone(model).fit(X[keep], y[keep]).predict([[9.0]])[0]
    change = model.predict([[9.0]])[0] - refit
    assert change > 0, f"row {j} (blue) changes the prediction by {change:+.3g}"
    assert disp.influence[j] == pytest.approx(change, rel=1e-6)
    loss = RegressionInfluenceDisplay.from_explainer(ex, [[9.0]], [5.5])
    assert "loss" in loss.colorbar_.ax.get_ylabel()


def test_regression_display_refuses_classifiers_and_several_outputs():
    X, y = load_iris(return_X_y=True)
    clf = InfluenceExplainer(LogisticRegression(max_iter=1000)).fit(X, y)
    with pytest.raises(ValueError, match="regressor with one output"):
        RegressionInfluenceDisplay.from_explainer(clf, X[0], y[0])
    two = InfluenceExplainer(Ridge()).fit(X[:, :1], np.c_[X[:, 2], X[:, 3]])
    with pytest.raises(ValueError, match=r"y of shape \(150, 2\)"):
        RegressionInfluenceDisplay.from_explainer(two, X[:1, :1], [[1.0, 1.0]])


def test_text_columns_shown_as_numbers_get_a_clear_error():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X = X.assign(colour=np.where(np.arange(len(X)) % 3, "red", "green"))
    encode = make_column_transformer(
        (OneHotEncoder(), ["colour"]), remainder=StandardScaler()
    )
    pipe = make_pipeline(encode, LogisticRegression(max_iter=1000))
    ex = InfluenceExplainer(pipe).fit(X, y)
    with pytest.raises(ValueError, match="X=None to show the features"):
        InfluenceDistanceDisplay.from_explainer(ex, X.iloc[[60]], y.iloc[60], X=X)
    disp = InfluenceDistanceDisplay.from_explainer(ex, X.iloc[[60]], y.iloc[60])
    Z = ex.feature_map_.transform(X)
    np.testing.assert_allclose(disp.distance, np.linalg.norm(Z - Z[60], axis=1))
