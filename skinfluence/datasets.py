"""Data for the paper's experiments: MNIST and the stroke counter that finds dashed 7s.

:func:`load_mnist` fetches MNIST through :func:`sklearn.datasets.fetch_openml`
(cached by scikit-learn after the first download). :func:`count_strokes` is the
paper's §5.1.1 procedure: project each image on its vertical axis, smooth the
profile with a Gaussian kernel and count its relative maxima, so that a 7 with
a dash through the middle has two and a plain 7 one.
"""

import numbers
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import argrelextrema

__all__ = ["load_mnist", "count_strokes", "stroke_profile"]

#: Gaussian width in pixels of the smoothing for a 28-pixel-high image; other
#: heights scale it proportionally (8-pixel digits: 0.5 pixel).
_SIGMA_PER_PIXEL = 1.75 / 28


def load_mnist(
    *,
    digits=None,
    data_home=None,
    download_if_missing=True,
    n_retries=3,
    delay=1.0,
    return_X_y=False,
):
    """Load MNIST (70 000 images of 28×28 pixels) through OpenML.

    scikit-learn caches the download in ``data_home`` (default
    ``~/scikit_learn_data``), so only the first call needs the network.

    Parameters
    ----------
    digits : sequence of int, default=None
        Keep only these digits (e.g. ``(1, 7)``); ``None`` keeps all ten.
    data_home : str or path-like, default=None
        scikit-learn's data cache folder.
    download_if_missing : bool, default=True
        If False, raise instead of downloading when MNIST is not in
        scikit-learn's OpenML cache.
    n_retries, delay : int, float, default=3, 1.0
        Passed to :func:`~sklearn.datasets.fetch_openml` for the download.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch with ``data`` (n, 784) float64 pixels in [0, 1], ``target``
        (n,) int labels, ``images`` (n, 28, 28) and ``is_test`` (n,) bool,
        True for the usual last 10 000 test images; or ``(X, y)``.

    Raises
    ------
    OSError
        When MNIST is neither cached nor downloadable, with a message saying
        what to do.
    """
    from sklearn.datasets import fetch_openml, get_data_home
    from sklearn.utils import Bunch

    home = Path(get_data_home(data_home))
    cached = any(
        (
            home
            / "openml"
            / "openml.org"
            / "api"
            / "v1"
            / "json"
            / "data"
            / "list"
            / "data_name"
        ).glob("mnist_784/**/*.gz")
    )
    if not cached and not download_if_missing:
        raise OSError(
            f"MNIST is not in scikit-learn's data cache ({home}) and "
            "download_if_missing=False. Call load_mnist() once while online to cache "
            "it, "
            "or run the demo on the embedded data with `skinfluence demo --data "
            "digits`."
        )
    try:
        raw = fetch_openml(
            "mnist_784",
            version=1,
            as_frame=False,
            parser="liac-arff",
            data_home=data_home,
            n_retries=n_retries,
            delay=delay,
        )
    except (
        Exception
    ) as exc:  # URLError, OSError, HTTPError, ... depending on the failure
        raise OSError(
            f"Could not load MNIST: it is not in scikit-learn's data cache ({home}) "
            f"and could not be downloaded from OpenML ({type(exc).__name__}: {exc}). "
            "Connect to the internet once so fetch_openml('mnist_784') can cache it, "
            "or run the demo on the embedded data with `skinfluence demo --data "
            "digits`."
        ) from exc
    X = np.asarray(raw.data, dtype=np.float64) / 255.0
    y = np.asarray(raw.target).astype(int)
    is_test = np.arange(len(y)) >= 60_000
    if digits is not None:
        keep = np.isin(y, np.asarray(digits))
        X, y, is_test = X[keep], y[keep], is_test[keep]
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        images=X.reshape(-1, 28, 28),
        is_test=is_test,
        DESCR="MNIST handwritten digits (OpenML mnist_784), pixels scaled to [0, 1].",
    )


def _as_images(X, image_shape):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 3:
        return X
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2:
        raise ValueError(
            f"Expected images of shape (n, h, w) or (n, h*w); got {X.shape}."
        )
    if image_shape is None:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ValueError(
                f"Rows of {X.shape[1]} pixels are not square images; pass "
                "image_shape=(h, w)."
            )
        image_shape = (side, side)
    h, w = image_shape
    if h * w != X.shape[1]:
        raise ValueError(
            f"image_shape {image_shape} does not match {X.shape[1]} pixels per row."
        )
    return X.reshape(-1, h, w)


def stroke_profile(X, *, image_shape=None, sigma=None):
    """The smoothed vertical profile of each image: row sums, Gaussian-smoothed.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h*w)
        Images (flat rows are taken as square unless ``image_shape`` is given).
    image_shape : tuple (h, w), default=None
        Shape of each image when ``X`` holds flat rows.
    sigma : float, default=None
        Width of the Gaussian kernel in pixels; ``None`` scales it with the
        image height, ``1.75 * h / 28`` (0.5 for 8×8 digits, 1.75 for MNIST).

    Returns
    -------
    ndarray of shape (n, h)
        The smoothed intensity at each vertical position, top to bottom.
    """
    images = _as_images(X, image_shape)
    if sigma is None:
        sigma = _SIGMA_PER_PIXEL * images.shape[1]
    if not isinstance(sigma, numbers.Real) or sigma < 0:
        raise ValueError(f"sigma must be a non-negative number, got {sigma!r}.")
    profile = images.sum(axis=2)
    if sigma == 0:
        return profile
    # mode="constant": outside the image is blank.
    return gaussian_filter1d(profile, sigma, axis=1, mode="constant", truncate=4.0)


def count_strokes(X, *, image_shape=None, sigma=None):
    """Count horizontal strokes in each image, the paper's dashed-7 detector (§5.1.1).

    Each image is projected on its vertical axis (the sum of each pixel row),
    the profile is smoothed with a Gaussian kernel and its relative maxima are
    counted with :func:`scipy.signal.argrelextrema`. A plain 7 has one
    horizontal stroke (its top bar), a 7 with a dash through the middle two, so
    the dashed 7s are ``count_strokes(X7) == 2``. Like the paper's, this is a
    heuristic: some badly written 7s also give two peaks.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h*w)
        Images, dark background (0) and bright strokes; 8×8 (scikit-learn's
        digits) and 28×28 (MNIST) both work.
    image_shape : tuple (h, w), default=None
        Shape of each image when ``X`` holds flat rows (default: square).
    sigma : float, default=None
        Width of the Gaussian kernel in pixels; ``None`` scales it with the
        image height (``1.75 * h / 28``).

    Returns
    -------
    counts : ndarray of shape (n,), int
        The number of relative maxima of each image's smoothed profile.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.datasets import count_strokes
    >>> seven = np.zeros((28, 28)); seven[3:6, 5:23] = 1; seven[14:16, 8:20] = 1
    >>> for r in range(3, 26):
    ...     seven[r, 22 - (r - 3) // 2] = 1
    >>> count_strokes(seven[None]).tolist()
    [2]
    """
    profile = stroke_profile(X, image_shape=image_shape, sigma=sigma)
    return np.array([_count_maxima(p) for p in profile], dtype=int)


def _count_maxima(signal):
    """Relative maxima of a non-negative 1-d signal, a flat-topped peak counted once.

    ``argrelextrema(np.greater)`` misses a peak whose top is two equal values
    (a symmetric stroke two pixels thick), so runs of equal values (to 1e-9 of
    the signal's maximum) are first collapsed to one. A blank image has none.
    """
    scale = np.max(np.abs(signal))
    if scale == 0:
        return 0
    q = np.round(signal / (scale * 1e-9))
    q = q[np.r_[True, np.diff(q) != 0]]
    # blank margins on both sides, so a stroke on the first or last pixel row
    # is a maximum too
    q = np.r_[0.0, q, 0.0]
    return len(argrelextrema(q, np.greater)[0])
