"""Each adapter's objective, gradient and Hessian: the fitted optimum, finite
differences, and scikit-learn's own LinearModelLoss as an oracle."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
)
from sklearn.preprocessing import StandardScaler

from skinfluence.models import make_adapter

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)


def _data(kind, seed=0):
    rng = np.random.RandomState(seed)
    if kind == "binary":
        X, y = load_breast_cancer(return_X_y=True)
        idx = rng.choice(len(X), 150, replace=False)
        return StandardScaler().fit_transform(X[idx][:, :8]), y[idx]
    if kind == "multi":
        X, y = load_iris(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    X, y = load_diabetes(return_X_y=True)
    return X, y


CASES = {
    "logistic-binary": (lambda: LogisticRegression(C=0.5, **TIGHT), "binary", None),
    "logistic-binary-noint": (lambda: LogisticRegression(fit_intercept=False, **TIGHT), "binary", None),
    "logistic-binary-sw-cw": (lambda: LogisticRegression(class_weight={0: 2.0}, **TIGHT), "binary", "sw"),
    "logistic-binary-balanced": (lambda: LogisticRegression(class_weight="balanced", **TIGHT), "binary", "sw"),
    "logistic-multi": (lambda: LogisticRegression(C=2.0, **TIGHT), "multi", None),
    "logistic-multi-nopenalty": (lambda: LogisticRegression(C=np.inf, **TIGHT), "multi-noisy", None),
    "logistic-multi-noint-sw": (lambda: LogisticRegression(fit_intercept=False, **TIGHT), "multi", "sw"),
    "logistic-cv": (lambda: LogisticRegressionCV(Cs=3, l1_ratios=(0.0,), use_legacy_attributes=False, scoring="neg_log_loss", **TIGHT), "binary", None),
    "ridge": (lambda: Ridge(alpha=3.0), "regression", "sw"),
    "ridge-noint": (lambda: Ridge(alpha=3.0, fit_intercept=False), "regression", None),
    "ridge-multi-alpha": (lambda: Ridge(alpha=[1.0, 10.0]), "regression-2", None),
    "ridgecv": (lambda: RidgeCV(alphas=[0.1, 1.0, 10.0]), "regression", None),
    "ridgecv-per-target": (lambda: RidgeCV(alphas=[0.1, 1.0, 10.0], alpha_per_target=True), "regression-2", None),
    "linear-regression": (lambda: LinearRegression(), "regression", "sw"),
    "ridge-classifier-binary": (lambda: RidgeClassifier(alpha=2.0, class_weight="balanced"), "binary", "sw"),
    "ridge-classifier-multi": (lambda: RidgeClassifier(alpha=2.0), "multi", None),
    "ridge-classifier-cv": (lambda: RidgeClassifierCV(alphas=[0.1, 1.0]), "multi", None),
}


def fitted_case(name):
    make, kind, weights = CASES[name]
    if kind == "multi-noisy":
        X, y = _data("multi")
        X = X[:, :2]  # sepal measurements only: classes overlap, an optimum exists
    elif kind == "regression-2":
        X, y = _data("regression")
        y = np.c_[y, np.log(y)]
    else:
        X, y = _data(kind)
    sw = None
    if weights == "sw":
        sw = np.random.RandomState(1).uniform(0.5, 2.0, len(X))
    est = make()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est.fit(X, y, **({} if sw is None else {"sample_weight": sw}))
    sw_full = np.ones(len(X)) if sw is None else sw
    adapter = make_adapter(est, y, sw_full)
    Y = adapter.encode_target(y)
    return est, adapter, X, Y, adapter.row_weights(Y, sw_full)


def objective(adapter, X, Y, c, theta):
    Z = adapter.decision(X, theta)
    return (c * adapter.loss(Z, Y)).sum() + 0.5 * (adapter.penalty_diagonal() * theta**2).sum()


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_vanishes_at_fitted_coefficients(name):
    est, a, X, Y, c = fitted_case(name)
    g = a.objective_gradient(X, Y, c)
    N = a.null_space()
    if N is not None:
        g = g - N @ (N.T @ g)
    rel = np.linalg.norm(g) / a.row_gradient_scale(X, Y, c)
    assert rel < 1e-6, f"{name}: relative gradient norm at scikit-learn's fit = {rel:.2e}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_and_hessian_match_finite_differences(name):
    est, a, X, Y, c = fitted_case(name)
    rng = np.random.RandomState(0)
    theta = a.theta.ravel() + 0.3 * rng.standard_normal(a.n_params)
    a.theta = theta.reshape(a.theta.shape)  # evaluate away from the optimum
    g = a.objective_gradient(X, Y, c)
    h = 1e-4  # central differences: exact for squared loss, O(h^2) for logistic
    fd = np.array([
        (objective(a, X, Y, c, theta + h * e) - objective(a, X, Y, c, theta - h * e)) / (2 * h)
        for e in np.eye(a.n_params)
    ])
    # allowed: 1e-6 relative, plus the rounding of F itself divided by the step
    roundoff = 10 * np.finfo(float).eps * abs(objective(a, X, Y, c, theta)) / h
    err = np.abs(fd - g).max()
    bound = 1e-6 * np.abs(g).max() + roundoff
    assert err < bound, f"{name}: gradient vs central differences, error {err:.2e} > {bound:.2e}"

    V = rng.standard_normal((a.n_params, 3))
    hv = a.hessian_vector_product(X, Y, c, V)
    fd_hv = np.column_stack([
        (_grad_at(a, X, Y, c, theta + h * v) - _grad_at(a, X, Y, c, theta - h * v)) / (2 * h)
        for v in V.T
    ])
    err = np.abs(fd_hv - hv).max() / np.abs(hv).max()
    assert err < 1e-5, f"{name}: Hessian-vector product vs differences of gradients, {err:.2e}"
    H = a.hessian(X, Y, c)
    err = np.abs(H @ V - hv).max() / np.abs(hv).max()
    assert err < 1e-12, f"{name}: dense Hessian vs Hessian-vector product, {err:.2e}"
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-10 * np.abs(H).max())


def _grad_at(a, X, Y, c, theta):
    saved = a.theta
    a.theta = theta.reshape(saved.shape)
    try:
        return a.objective_gradient(X, Y, c)
    finally:
        a.theta = saved


@pytest.mark.parametrize("name", ["logistic-multi", "logistic-multi-nopenalty"])
def test_null_space_is_exact(name):
    """Row gradients are orthogonal to the null space, and H annihilates it."""
    est, a, X, Y, c = fitted_case(name)
    N = a.null_space()
    G = a.row_gradients(X, Y, c)
    H = a.hessian(X, Y, c)
    assert np.abs(G @ N).max() < 1e-12 * np.abs(G).max()
    assert np.abs(H @ N).max() < 1e-12 * np.abs(H).max()
    np.testing.assert_allclose(N.T @ N, np.eye(N.shape[1]), atol=1e-14)


linear_loss = pytest.importorskip("sklearn.linear_model._linear_loss")
sklearn_loss = pytest.importorskip("sklearn._loss.loss")


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if "classifier" not in n])
def test_matches_scikit_learn_linear_model_loss(name):
    """Test-only oracle: scikit-learn's private LinearModelLoss (mean form)."""
    est, a, X, Y, c = fitted_case(name)
    if a.n_outputs > 1 and not a.is_classifier:
        pytest.skip("LinearModelLoss has no multi-output squared error")
    rng = np.random.RandomState(0)
    theta = a.theta + 0.2 * rng.standard_normal(a.theta.shape)
    s_sum = c.sum()
    if a.is_classifier:
        K = a.n_outputs
        base = sklearn_loss.HalfBinomialLoss() if K == 1 else sklearn_loss.HalfMultinomialLoss(n_classes=K)
        scale = s_sum  # ours = s_sum * theirs
        l2 = a.l2_strength[0] / s_sum
        y_oracle = Y.astype(float)
    else:
        base = sklearn_loss.HalfSquaredError()
        scale = 2 * s_sum
        l2 = a.l2_strength[0] / (2 * s_sum)
        y_oracle = Y[:, 0]
    loss = linear_loss.LinearModelLoss(base_loss=base, fit_intercept=a.fit_intercept)
    coef = theta[0] if a.n_outputs == 1 else theta
    grad, hess, _ = loss.gradient_hessian(coef, X, y_oracle, sample_weight=c, l2_reg_strength=l2)
    a.theta = theta
    ours_g = a.objective_gradient(X, Y, c)
    ours_H = a.hessian(X, Y, c)
    if a.n_outputs > 1:  # theirs ravels classes fastest (order="F")
        perm = np.arange(a.n_params).reshape(a.n_outputs, a.n_dof).ravel(order="F")
        ours_H = ours_H[np.ix_(perm, perm)]
    np.testing.assert_allclose(ours_g, scale * np.ravel(grad), rtol=1e-10, atol=1e-10 * scale)
    np.testing.assert_allclose(ours_H, scale * hess, rtol=1e-10, atol=1e-10 * scale)


def _relative_gradient(adapter, X, y, sw):
    Y = adapter.encode_target(y)
    c = adapter.row_weights(Y, sw)
    g = adapter.objective_gradient(X, Y, c)
    N = adapter.null_space()
    if N is not None:
        g = g - N @ (N.T @ g)
    return np.linalg.norm(g) / adapter.row_gradient_scale(X, Y, c)


@pytest.mark.parametrize("name", sorted(CASES))
def test_refit_reaches_the_optimum_of_the_same_objective(name):
    """``refit`` on fewer rows: same hyper-parameters (CV: the chosen value), the
    full-data class weights, at the optimum of that objective."""
    est, a, X, Y, c = fitted_case(name)
    make, kind, weights = CASES[name]
    y = _target(kind, len(X))
    sw = c / a.class_weight[a.class_index(Y)] if a.class_weight is not None else c
    keep = np.ones(len(X), dtype=bool)
    keep[[0, 7, 20]] = False
    refit = a.refit(X[keep], y[keep], sw[keep])
    assert type(refit) in (type(est), type(a.refit_estimator()))
    b = make_adapter(refit, y[keep], sw[keep])
    np.testing.assert_allclose(b.l2_strength, a.l2_strength, rtol=1e-12)
    if a.class_weight is not None:
        np.testing.assert_allclose(b.class_weight, a.class_weight, rtol=1e-12)
    rel = _relative_gradient(b, X[keep], y[keep], sw[keep])
    assert rel < 1e-6, f"{name}: relative gradient norm of the refit = {rel:.2e}"


def _target(kind, n):
    if kind == "multi-noisy":
        return _data("multi")[1]
    if kind == "regression-2":
        y = _data("regression")[1]
        return np.c_[y, np.log(y)]
    return _data(kind)[1]


def test_refit_refuses_a_population_without_a_class():
    est, a, X, Y, c = fitted_case("logistic-multi")
    y = _data("multi")[1]
    keep = y != 2
    with pytest.raises(ValueError, match=r"no row of class\(es\) \[.*2\]"):
        a.refit(X[keep], y[keep])


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_reader_fills_the_contract(name):
    from skinfluence.models import LinearModelAdapter

    est, a, X, Y, c = fitted_case(name)
    assert isinstance(a, LinearModelAdapter)
    assert a.is_classifier == (a.classes is not None) == hasattr(est, "classes_")
    assert a.has_proba == hasattr(est, "predict_proba")


@pytest.mark.parametrize("classes, y", [
    (np.array([0, 1, 2]), np.array([2, 0, 1, 1, 2])),
    (np.array([0, 1, 2]), np.array([2.0, 0.0, 1.0])),
    (np.array(["a", "b", "c"]), np.array(["c", "a", "b"])),
    (np.array(["a", "b"], dtype=object), np.array(["b", "a", "b"], dtype=object)),
    (np.array([False, True]), np.array([True, False, True])),
    (np.array([3, "a"], dtype=object), np.array(["a", 3, "a"], dtype=object)),  # mixed
])
def test_labels_are_encoded_by_position_in_classes(classes, y):
    from skinfluence.models._classes import encode_labels

    expected = [classes.tolist().index(v) for v in y.tolist()]
    np.testing.assert_array_equal(encode_labels(y, classes), expected)
    unseen = np.concatenate([y, np.array([99], dtype=y.dtype)
                             if y.dtype.kind in "iuf" else np.array(["zz"], dtype=object)])
    with pytest.raises(ValueError, match="not fitted on"):
        encode_labels(unseen, classes)


def _digits_multinomial():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(0)
    idx = rng.choice(len(X), 600, replace=False)
    X = StandardScaler().fit_transform(X[idx])
    est = LogisticRegression(C=0.1, tol=1e-8, max_iter=2000).fit(X, y[idx])
    sw = rng.uniform(0.5, 2.0, len(idx))
    a = make_adapter(est, y[idx], sw)
    Y = a.encode_target(y[idx])
    return a, X, Y, a.row_weights(Y, sw)


def test_multinomial_hessian_from_pair_products_equals_one_sandwich_per_block():
    """10 classes, 65 parameters each (several blocks of rows): the dense Hessian
    built from one GEMM with the pair products equals the former construction
    (one ``sandwich_dot`` per pair of classes) to rounding, its products match
    differences of gradients, and sparse X (one product per pair) gives it too."""
    from scipy import sparse

    from skinfluence.models import sandwich_dot

    a, X, Y, c = _digits_multinomial()
    H = a.data_hessian(X, Y, c)
    D = a.curvature(a.decision(X), Y)
    K, d = a.n_outputs, a.n_dof
    former = np.zeros((K, d, K, d))
    for k in range(K):
        for l in range(k, K):
            block = sandwich_dot(X, D[:, k, l] * c, True)
            former[k, :, l, :] = block
            former[l, :, k, :] = block.T
    former = former.reshape(K * d, K * d)
    err = np.abs(H - former).max() / np.abs(former).max()
    assert err < 1e-13, f"pair-product Hessian vs one sandwich per block: {err:.2e}"
    assert np.array_equal(H, H.T)
    err = np.abs(a.data_hessian(sparse.csr_matrix(X), Y, c) - H).max() / np.abs(H).max()
    assert err < 1e-13, f"sparse X vs dense X: {err:.2e}"
    rng, h = np.random.RandomState(1), 1e-5
    theta = a.theta.ravel().copy()
    V = rng.standard_normal((a.n_params, 2))
    fd = np.column_stack([
        (_grad_at(a, X, Y, c, theta + h * v) - _grad_at(a, X, Y, c, theta - h * v)) / (2 * h)
        for v in V.T
    ])
    HV = a.hessian(X, Y, c) @ V
    err = np.abs(fd - HV).max() / np.abs(HV).max()
    assert err < 1e-6, f"dense Hessian vs differences of gradients: {err:.2e}"


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("block_elements", [2**18, 200])  # one block, many blocks
@pytest.mark.parametrize("zero_columns", [[], [0, 4]])  # left out of the pairs
def test_block_sandwich_dots_and_quadratic_forms_equal_their_definitions(
        fit_intercept, block_elements, zero_columns, monkeypatch):
    """K = 3 blocks of 7 + fit_intercept parameters: the pair products (forced
    here: 6 blocks), the fallback (sparse X, or too few blocks) and the
    definitions agree."""
    from scipy import sparse

    from skinfluence.models import (
        block_quadratic_forms,
        block_sandwich_dots,
        design,
        sandwich_dot,
    )

    monkeypatch.setattr(design, "PAIR_BLOCK_ELEMENTS", block_elements)
    monkeypatch.setattr(design, "MIN_PAIR_ROWS", 8)
    rng = np.random.RandomState(0)
    K, d = 3, 7 + fit_intercept
    X, W = rng.normal(size=(97, 7)), rng.normal(size=(97, 6))
    X[:, zero_columns] = 0.0
    A = rng.normal(size=(K * d, K * d))  # not symmetric: forms of each block as is
    Xa = np.hstack([X, np.ones((97, 1))]) if fit_intercept else X
    k, l = np.triu_indices(K)
    want_H = np.zeros((K, d, K, d))
    for t in range(6):
        want_H[k[t], :, l[t], :] = want_H[l[t], :, k[t], :] = sandwich_dot(
            X, W[:, t], fit_intercept)
    want_H = want_H.reshape(K * d, K * d)
    A4 = A.reshape(K, d, K, d)
    want_q = np.column_stack([np.einsum("ia,ab,ib->i", Xa, A4[k[t], :, l[t], :], Xa)
                              for t in range(6)])
    for min_products in (2, 10**9):  # pair products, one product per block
        monkeypatch.setattr(design, "MIN_PAIR_PRODUCTS", min_products)
        for Xk in (X, sparse.csr_matrix(X)):
            H = block_sandwich_dots(Xk, W, fit_intercept)
            q = block_quadratic_forms(Xk, A, fit_intercept)
            err = np.abs(H - want_H).max() / np.abs(want_H).max()
            assert err < 1e-14, f"block_sandwich_dots: {err:.2e}"
            # the pairs fill both mirror entries with one value; a sandwich
            # product's GEMM is symmetric to rounding
            asym = np.abs(H - H.T).max() / np.abs(H).max()
            assert asym == 0 if min_products == 2 and Xk is X else asym < 1e-15, asym
            err = np.abs(q - want_q).max() / np.abs(want_q).max()
            assert err < 1e-14, f"block_quadratic_forms: {err:.2e}"
