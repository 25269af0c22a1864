"""Each loss object's derivatives in the raw linear predictor, against finite
differences, and its inverse link against scikit-learn's own losses."""

import numpy as np
import pytest

from skinfluence.models import BinomialLoss, MultinomialLoss, SquaredLoss


def _cases():
    rng = np.random.RandomState(0)
    n = 40
    yield "binomial", BinomialLoss(), rng.randint(0, 2, n)
    yield "multinomial", MultinomialLoss(4), rng.randint(0, 4, n)
    yield "squared-1", SquaredLoss(1), rng.standard_normal((n, 1))
    yield "squared-3", SquaredLoss(3), rng.standard_normal((n, 3))


CASES = {name: (loss, Y) for name, loss, Y in _cases()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_derivatives_match_finite_differences(name):
    loss, Y = CASES[name]
    rng = np.random.RandomState(1)
    K = loss.n_outputs
    Z = 1.5 * rng.standard_normal((len(Y), K))
    value, dZ, D = loss.loss_terms(Z, Y, gradient=True, curvature=True)
    h = 1e-5
    fd_grad = np.empty_like(Z)
    fd_curv = np.empty((len(Y), K, K))
    for k in range(K):
        E = np.zeros_like(Z)
        E[:, k] = h
        fd_grad[:, k] = (loss.loss(Z + E, Y) - loss.loss(Z - E, Y)) / (2 * h)
        fd_curv[:, :, k] = (loss.gradient(Z + E, Y) - loss.gradient(Z - E, Y)) / (2 * h)
    err = np.abs(fd_grad - dZ).max() / np.abs(dZ).max()
    assert err < 1e-8, f"{name}: d loss/dz vs central differences, rel. error {err:.2e}"
    D_full = D if D.ndim == 3 else np.einsum("ik,kl->ikl", D, np.eye(K))
    err = np.abs(fd_curv - D_full).max() / np.abs(D_full).max()
    assert err < 1e-7, f"{name}: d2 loss/dz2 vs differences of d/dz, rel. err {err:.2e}"
    np.testing.assert_allclose(value, loss.loss(Z, Y))


sklearn_loss = pytest.importorskip("sklearn._loss.loss")


@pytest.mark.parametrize("name", ["binomial", "multinomial"])
def test_classification_losses_match_scikit_learn(name):
    """Test-only oracle: scikit-learn's private half-deviance losses."""
    loss, Y = CASES[name]
    Z = np.random.RandomState(2).standard_normal((len(Y), loss.n_outputs))
    if name == "binomial":
        theirs = sklearn_loss.HalfBinomialLoss()
        raw = Z[:, 0]
    else:
        theirs = sklearn_loss.HalfMultinomialLoss(n_classes=loss.n_outputs)
        raw = np.ascontiguousarray(Z)
    y = Y.astype(float)
    np.testing.assert_allclose(loss.loss(Z, Y), theirs.loss(y, raw), rtol=1e-12)
    g, _ = theirs.gradient_hessian(y, raw)
    np.testing.assert_allclose(loss.gradient(Z, Y), np.reshape(g, Z.shape), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_allclose(loss.inverse_link(Z), theirs.predict_proba(raw),
                               rtol=1e-12)
