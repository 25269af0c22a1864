import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402

from skinfluence import InfluenceExplainer  # noqa: E402
from skinfluence.plotting import (  # noqa: E402
    InfluenceDistanceDisplay,
    InfluentialImagesDisplay,
    RegressionInfluenceDisplay,
    SelfInfluenceHistogramDisplay,
)


@pytest.fixture(scope="module")
def line_data():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 10, (60, 1))
    y = 1.0 + 2.0 * X[:, 0] + rng.normal(0, 0.5, 60)
    y[7] += 25.0  # one gross outlier
    ex = InfluenceExplainer(Ridge(alpha=1.0)).fit(X, y)
    return X, y, ex


@pytest.fixture(scope="module")
def digits_explainer():
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, (0, 1, 5))
    X, y = X[keep][::2] / 16.0, y[keep][::2]
    model = LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X[5:], y[5:])
    return X, y, InfluenceExplainer(model).fit(X[5:], y[5:])


def test_histogram_threshold_line_and_red_bars(line_data):
    _, _, ex = line_data
    scores = ex.self_influence()
    thr = float(np.sort(scores)[-2] + np.sort(scores)[-1]) / 2  # only row 7 above
    fig, ax = plt.subplots()
    disp = SelfInfluenceHistogramDisplay.from_explainer(
        ex, threshold=thr, ax=ax, bins=20
    )
    assert disp.ax_ is ax and disp.figure_ is fig
    np.testing.assert_allclose(disp.self_influence, scores)
    assert disp.counts_.sum() == len(scores) and len(disp.patches_) == 20
    np.testing.assert_allclose(disp.threshold_line_.get_xdata(), [thr, thr])
    red = to_rgba("tab:red")
    for patch, left in zip(disp.patches_, disp.bin_edges_[:-1]):
        assert (patch.get_facecolor() == red) == (left >= thr)
    assert disp.patches_[-1].get_facecolor() == red  # the outlier's bar
    assert "1 outlier" in disp.threshold_line_.get_label()


def test_histogram_log_scale_without_threshold(line_data):
    _, _, ex = line_data
    disp = SelfInfluenceHistogramDisplay(ex.self_influence()).plot(log_x=True, bins=15)
    assert disp.threshold_line_ is None
    assert disp.ax_.get_xscale() == "log"
    assert np.all(
        np.diff(np.log(disp.bin_edges_))
        == pytest.approx(np.log(disp.bin_edges_[1] / disp.bin_edges_[0]))
    )


def test_regression_display_plots_rows_coloured_by_influence(line_data):
    X, y, ex = line_data
    x_test, y_test = 2.0, 5.0 + 2.0
    disp = RegressionInfluenceDisplay.from_explainer(ex, [[x_test]], [y_test])
    inf = ex.influence([[x_test]], [y_test])[0]
    np.testing.assert_allclose(disp.scatter_.get_offsets(), np.c_[X[:, 0], y])
    np.testing.assert_allclose(disp.scatter_.get_array(), inf)
    np.testing.assert_allclose(disp.test_point_.get_offsets(), [[x_test, y_test]])
    xs, ys = disp.line_.get_data()
    np.testing.assert_allclose(ys, ex.estimator_.predict(np.asarray(xs)[:, None]))
    # blue = helps, red = hurts, white-ish = about zero
    colors = disp.scatter_.to_rgba(inf)
    best, worst = np.argmax(inf), np.argmin(inf)
    assert colors[best][2] > colors[best][0]  # more blue than red
    assert colors[worst][0] > colors[worst][2]
    assert disp.colorbar_ is not None
    assert disp.ax_.figure is disp.figure_


def test_regression_display_linear_scale():
    disp = RegressionInfluenceDisplay([0, 1, 2], [0, 1, 2], [-1.0, 0.0, 2.0], 1.0, 1.0)
    disp.plot(linthresh=np.inf, colorbar=False)
    assert disp.line_ is None and disp.colorbar_ is None
    assert disp.scatter_.norm.vmin == -2.0 and disp.scatter_.norm.vmax == 2.0


def test_distance_display_classes_circle_and_images(digits_explainer):
    X, y, ex = digits_explainer
    xt, yt = X[0], y[0]
    disp = InfluenceDistanceDisplay.from_explainer(ex, xt, yt)
    inf = ex.influence(xt[None], [yt])[0]
    dist = np.linalg.norm(X[5:] - xt, axis=1)
    labels = y[5:]
    assert list(disp.scatters_) == [0, 1, 5]
    seen = 0
    facecolors = set()
    for c, sc in disp.scatters_.items():
        m = labels == c
        np.testing.assert_allclose(sc.get_offsets(), np.c_[dist[m], inf[m]])
        facecolors.add(tuple(np.round(sc.get_facecolor()[0][:3], 3)))
        seen += m.sum()
    assert seen == len(labels) and len(facecolors) == 3  # one colour per class
    j = int(np.argmin(inf))
    assert disp.harmful_index_ == j
    np.testing.assert_allclose(disp.circle_.get_offsets(), [[dist[j], inf[j]]])
    assert np.allclose(disp.circle_.get_facecolor()[:, 3], 0)  # a ring, not a dot
    assert f"row {j}" in disp.circle_label_.get_text()
    assert len(disp.image_axes_) == 2
    np.testing.assert_allclose(
        disp.image_axes_[1].images[0].get_array(), X[5:][j].reshape(8, 8)
    )
    np.testing.assert_allclose(
        disp.image_axes_[0].images[0].get_array(), xt.reshape(8, 8)
    )


def test_distance_display_without_images():
    disp = InfluenceDistanceDisplay(
        [0.5, -1.0, 0.2], [1.0, 2.0, 3.0], ["a", "b", "a"]
    ).plot()
    assert disp.image_axes_ == [] and disp.harmful_index_ == 1
    assert set(disp.scatters_) == {"a", "b"}


def test_images_display_shows_top_influences(digits_explainer):
    X, y, ex = digits_explainer
    k = 3
    fig, ax = plt.subplots()
    disp = InfluentialImagesDisplay.from_explainer(ex, X[1], y[1], k=k, ax=ax)
    top = ex.top_influences(X[1:2], y[1:2], k=k)
    assert disp.figure_ is fig and disp.axes_.shape == (2, k + 1)
    assert ax not in fig.axes  # the grid took its place
    Xtr = X[5:]
    for c in range(k):
        np.testing.assert_allclose(
            disp.images_["helpful"][c].get_array(),
            Xtr[top.helpful_indices[0, c]].reshape(8, 8),
        )
        np.testing.assert_allclose(
            disp.images_["harmful"][c].get_array(),
            Xtr[top.harmful_indices[0, c]].reshape(8, 8),
        )
        assert f"{top.helpful_scores[0, c]:+.3g}" in disp.axes_[0, c + 1].get_title()
        assert f"#{top.harmful_indices[0, c]}" in disp.axes_[1, c + 1].get_title()
    np.testing.assert_allclose(disp.images_["test"].get_array(), X[1].reshape(8, 8))


def test_one_test_row_only(digits_explainer):
    X, y, ex = digits_explainer
    with pytest.raises(ValueError, match="one test row"):
        InfluenceDistanceDisplay.from_explainer(ex, X[:2], y[:2])


def test_clear_error_without_matplotlib(monkeypatch, line_data):
    _, _, ex = line_data
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        SelfInfluenceHistogramDisplay.from_explainer(ex)
    with pytest.raises(ImportError, match=r"\.\[plot\]"):
        RegressionInfluenceDisplay([0], [0], [0.0], 0, 0).plot()


def test_images_display_needs_a_subplot_it_can_replace():
    imgs = np.zeros((2, 4, 4))
    disp = InfluentialImagesDisplay(imgs[0], imgs, [2.0, 1.0], imgs, [-1.0, -2.0])
    fig, (left, right) = plt.subplots(1, 2)
    disp.plot(ax=left)
    assert right in fig.axes and len(fig.axes) == 1 + 2 * 3
    with pytest.raises(ValueError, match="already replaced"):
        disp.plot(ax=left)  # the grid took its place
    with pytest.raises(ValueError, match="not an inset"):
        disp.plot(ax=right.inset_axes([0, 0, 0.5, 0.5]))
