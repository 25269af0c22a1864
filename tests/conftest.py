import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew (only when pyplot was imported)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _split(X, y, n_test, seed):
    rng = np.random.RandomState(seed)
    test = rng.choice(len(X), n_test, replace=False)
    train = np.setdiff1d(np.arange(len(X)), test)
    return X[train], y[train], X[test], y[test]


@pytest.fixture(scope="session")
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return _split(StandardScaler().fit_transform(X), y, 20, 0)


@pytest.fixture(scope="session")
def digits():
    """All 1797 digits, 2x2-pooled to 4x4 images (16 features, 170 parameters) so
    that 50 multinomial refits stay fast; benchmarks/accuracy_vs_refit.py runs the
    full 8x8 images."""
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 4, 2, 4, 2).sum(axis=(2, 4)).reshape(-1, 16) / 64.0
    return _split(X, y, 20, 1)


@pytest.fixture(scope="session")
def digits_pca():
    """Digits on 10 principal components: not separable, so an unpenalised fit exists."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(PCA(10, random_state=0).fit_transform(X))
    return _split(X, y, 20, 2)


@pytest.fixture(scope="session")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return _split(X, y, 20, 3)


@pytest.fixture(scope="session")
def iris():
    X, y = load_iris(return_X_y=True)
    return _split(X, y, 15, 4)


TIGHT_LOGISTIC = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def fit_case(kind, breast_cancer, digits, diabetes, max_multinomial_rows=None):
    """A fitted binary / multinomial / ridge model and its data (X, y, X_test, y_test)."""
    from sklearn.linear_model import LogisticRegression, Ridge

    data, est = {
        "binary": (breast_cancer, LogisticRegression(**TIGHT_LOGISTIC)),
        "multinomial": (digits, LogisticRegression(**TIGHT_LOGISTIC)),
        "ridge": (diabetes, Ridge(alpha=0.5)),
    }[kind]
    X, y, Xt, yt = data
    if kind == "multinomial" and max_multinomial_rows is not None:
        X, y = X[:max_multinomial_rows], y[:max_multinomial_rows]
    return est.fit(X, y), X, y, Xt, yt


@pytest.fixture(params=["binary", "multinomial", "ridge"])
def fitted(request, breast_cancer, digits, diabetes):
    return fit_case(request.param, breast_cancer, digits, diabetes)
