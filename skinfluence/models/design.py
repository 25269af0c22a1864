"""Products with the augmented design matrix ``[X, 1]``, never built.

A linear model's parameters are stored augmented (the intercept last in each
row of ``theta``), so every product of the objective is a product with
``[X, 1]`` (or ``X`` alone without intercept). These functions compute them
from ``X`` directly, so a sparse ``X`` stays sparse and no ``n x p`` temporary
is made.
"""

import numpy as np
from scipy import sparse
from scipy.linalg import blas

__all__ = ["BLOCK_ELEMENTS", "augmented_dot", "augmented_tdot", "block_quadratic_forms",
           "block_sandwich_dots", "sandwich_dot", "squared_tdot"]

#: Dense products over rows of X work on blocks of at most this many values.
BLOCK_ELEMENTS = 2**22


#: Pair products ``x_a x_b`` are formed for blocks of about this many values
#: (cache-sized, 2 MB), and at least ``MIN_PAIR_ROWS`` rows (a GEMM's depth).
PAIR_BLOCK_ELEMENTS = 2**18
MIN_PAIR_ROWS = 64
#: The pair products pay (half the flops, plus writing the pairs) up to this many
#: pairs per row (``n_dof`` up to 180) and from this many weight vectors or
#: matrices (10 classes: 55; measured on one core against one product each,
#: which wins below about 20 of them and for wider rows). Sparse X: never.
MAX_PAIRS = 2**14
MIN_PAIR_PRODUCTS = 21


def _row_step(X):
    return max(1, BLOCK_ELEMENTS // max(1, X.shape[1]))


def augmented_dot(X, W, fit_intercept):
    """``[X, 1] @ W.T`` for ``W`` of shape ``(m, n_features + fit_intercept)``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    W : ndarray of shape (m, n_features + fit_intercept)
        One augmented parameter vector per row, the intercept last.
    fit_intercept : bool
        Whether ``W`` has the intercept column.

    Returns
    -------
    ndarray of shape (n_samples, m)

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import augmented_dot
    >>> augmented_dot(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0, 5.0]]), True)
    array([[16.]])
    """
    if fit_intercept:
        out = X @ W[:, :-1].T
        out += W[:, -1]
    else:
        out = X @ W.T
    return np.asarray(out)


def augmented_tdot(X, A, fit_intercept):
    """``[X, 1].T @ A`` for ``A`` of shape ``(n_samples, m)``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    A : ndarray of shape (n_samples, m)
    fit_intercept : bool
        Whether to append the row ``1.T @ A`` (the intercept's part).

    Returns
    -------
    ndarray of shape (n_features + fit_intercept, m)

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import augmented_tdot
    >>> augmented_tdot(np.array([[1.0], [2.0]]), np.array([[1.0], [1.0]]), True)
    array([[3.],
           [2.]])
    """
    XtA = np.asarray(X.T @ A)
    if fit_intercept:
        XtA = np.vstack([XtA, A.sum(axis=0, keepdims=True)])
    return XtA


def squared_tdot(X, A, fit_intercept):
    """``([X, 1] ** 2).T @ A``: the structural part of a Hessian's diagonal.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    A : ndarray of shape (n_samples, m)
    fit_intercept : bool

    Returns
    -------
    ndarray of shape (n_features + fit_intercept, m)

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import squared_tdot
    >>> squared_tdot(np.array([[1.0], [2.0]]), np.array([[1.0], [1.0]]), True)
    array([[5.],
           [2.]])
    """
    if sparse.issparse(X):
        return augmented_tdot(X.multiply(X), A, fit_intercept)
    step = _row_step(X)  # blocks of rows: no n x p temporary
    return sum(
        augmented_tdot(np.square(X[s:s + step]), A[s:s + step], fit_intercept)
        for s in range(0, X.shape[0], step)
    )


def sandwich_dot(X, w, fit_intercept):
    """``[X, 1].T @ diag(w) @ [X, 1]`` with BLAS-3 products (or a sparse one).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    w : ndarray of shape (n_samples,)
    fit_intercept : bool

    Returns
    -------
    ndarray of shape (n_dof, n_dof), ``n_dof = n_features + fit_intercept``

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import sandwich_dot
    >>> sandwich_dot(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), True)
    array([[9., 5.],
           [5., 3.]])
    """
    if sparse.issparse(X):
        wX = sparse.diags_array(w) @ X
        XtwX = (X.T @ wX).toarray()
        wX_sum = np.asarray(wX.sum(axis=0)).ravel()
    else:  # blocks of rows: no n x p temporary, still one BLAS-3 product each
        p = X.shape[1]
        step = _row_step(X)
        XtwX, wX_sum = np.zeros((p, p)), np.zeros(p)
        for s in range(0, X.shape[0], step):
            wX = X[s:s + step] * w[s:s + step, None]
            XtwX += X[s:s + step].T @ wX
            wX_sum += wX.sum(axis=0)
    if not fit_intercept:
        return XtwX
    n_dof = X.shape[1] + 1
    out = np.empty((n_dof, n_dof))
    out[:-1, :-1] = XtwX
    out[:-1, -1] = wX_sum
    out[-1, :-1] = wX_sum
    out[-1, -1] = w.sum()
    return out


def _use_pairs(X, n_products, fit_intercept):
    n_dof = X.shape[1] + int(fit_intercept)
    return (not sparse.issparse(X) and n_products >= MIN_PAIR_PRODUCTS
            and n_dof * (n_dof + 1) // 2 <= MAX_PAIRS)


def _pair_columns(X, fit_intercept):
    """The augmented columns worth pairing: those of X not all zero (their
    products vanish; one-hot or pixel data have many), then the intercept's."""
    columns = np.flatnonzero(np.any(X != 0, axis=0))
    return np.append(columns, X.shape[1]) if fit_intercept else columns


def _pair_products(X, columns):
    """Blocks of rows and their products ``x_a x_b`` over the augmented
    ``columns`` (pairs ``a <= b`` in the order of ``np.triu_indices``),
    transposed: (n_pairs, m).

    One buffer serves every block (fresh pages cost more than the products):
    use each block before asking for the next.
    """
    n, p = X.shape
    q = len(columns)
    features = columns[columns < p]
    step = min(n, max(MIN_PAIR_ROWS, PAIR_BLOCK_ELEMENTS // max(1, q * (q + 1) // 2)))
    XaT_buffer, buffer = np.ones((q, step)), np.empty((q * (q + 1) // 2, step))
    for s in range(0, n, step):
        rows = slice(s, min(s + step, n))
        m = rows.stop - s
        XaT, out = XaT_buffer[:, :m], buffer[:, :m]
        block = X[rows] if features.size == p else X[rows][:, features]
        XaT[:features.size] = block.T
        start = 0
        for a in range(q):  # rows (a, a..q-1): contiguous, one product each
            np.multiply(XaT[a:], XaT[a], out=out[start:start + q - a])
            start += q - a
        yield rows, out


def _column_pairs(X, fit_intercept):
    """The columns paired and the pairs ``(a_p, b_p)``, ``a_p <= b_p``."""
    columns = _pair_columns(X, fit_intercept)
    a, b = (columns[i] for i in np.triu_indices(columns.size))
    return columns, a, b


def block_sandwich_dots(X, W, fit_intercept):
    """The symmetric matrix of ``K x K`` blocks ``[X, 1].T diag(W[:, t]) [X, 1]``.

    Block ``(k, l)`` and its mirror ``(l, k)`` hold the sandwich product with
    the weights ``W[:, t]``, ``t`` the index of ``(k, l)``, ``k <= l``, in
    ``np.triu_indices(K)`` order: the data Hessian of a model whose outputs
    couple (multinomial). Every block is symmetric, so for dense X and many
    blocks they all come from one GEMM with the rows' pair products ``x_a
    x_b`` (``a <= b``): half the flops of one sandwich product per block.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, K * (K + 1) // 2)
    fit_intercept : bool

    Returns
    -------
    ndarray of shape (K * n_dof, K * n_dof), ``n_dof = n_features + fit_intercept``

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import block_sandwich_dots, sandwich_dot
    >>> rng = np.random.RandomState(0)
    >>> X, W = rng.normal(size=(20, 3)), rng.rand(20, 6)  # K = 3: 6 blocks
    >>> H = block_sandwich_dots(X, W, True)
    >>> H.shape, bool(np.allclose(H[4:8, 8:], sandwich_dot(X, W[:, 4], True)))
    ((12, 12), True)
    """
    T, d = W.shape[1], X.shape[1] + int(fit_intercept)
    K = int(round((np.sqrt(8 * T + 1) - 1) / 2))
    H = np.zeros((K, d, K, d))
    if not _use_pairs(X, T, fit_intercept):
        for t, (k, l) in enumerate(zip(*np.triu_indices(K))):
            H[k, :, l, :] = sandwich_dot(X, W[:, t], fit_intercept)
            H[l, :, k, :] = H[k, :, l, :].T
        return H.reshape(K * d, K * d)
    columns, a, b = _column_pairs(X, fit_intercept)
    packed = np.zeros((T, a.size))  # accumulated in place, transposed: (pairs, T)
    for rows, pairs in _pair_products(X, columns):
        blas.dgemm(1.0, pairs.T, W[rows].T, 1.0, packed.T, trans_a=1, trans_b=1,
                   overwrite_c=1)
    blocks = np.zeros((T, d, d))  # fancy indices on two axes, then on one: fast
    blocks[:, a, b] = packed
    blocks[:, b, a] = packed
    k, l = np.triu_indices(K)
    H[k, :, l, :] = blocks
    H[l, :, k, :] = blocks
    return H.reshape(K * d, K * d)


def block_quadratic_forms(X, A, fit_intercept):
    """``[x_i, 1] A_kl [x_i, 1]`` for every row ``i`` and block ``A_kl`` of A, k <= l.

    ``A`` is made of ``K x K`` blocks of ``n_dof x n_dof`` (the inverse Hessian
    of a multinomial model); the blocks ``(k, l)`` with ``k <= l`` are taken in
    ``np.triu_indices(K)`` order. For dense X and many blocks: one GEMM of the
    rows' pair products ``x_a x_b`` (``a <= b``) with the blocks' packed
    symmetric parts (half the flops of ``[X, 1] A_kl`` followed by row-wise
    dots); otherwise that.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    A : ndarray of shape (K * n_dof, K * n_dof)
    fit_intercept : bool

    Returns
    -------
    ndarray of shape (n_samples, K * (K + 1) // 2)

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models import block_quadratic_forms
    >>> rng = np.random.RandomState(0)
    >>> X, A = rng.normal(size=(20, 3)), rng.normal(size=(8, 8))  # K = 2
    >>> Xa = np.hstack([X, np.ones((20, 1))])
    >>> q = block_quadratic_forms(X, A, True)  # blocks (0, 0), (0, 1), (1, 1)
    >>> bool(np.allclose(q[:, 1], np.einsum("ia,ab,ib->i", Xa, A[:4, 4:], Xa)))
    True
    """
    n, p = X.shape
    d = p + int(fit_intercept)
    K = A.shape[0] // d
    T = K * (K + 1) // 2
    A4 = A.reshape(K, d, K, d)
    if not _use_pairs(X, T, fit_intercept):
        k, l = np.triu_indices(K)
        W = A4[k, :, l, :].transpose(0, 2, 1).reshape(-1, d)  # rows (t, b), cols a
        P = augmented_dot(X, W, fit_intercept).reshape(n, T, d)
        Xa = X.toarray() if sparse.issparse(X) else np.asarray(X)
        out = np.einsum("jtb,jb->jt", P[:, :, :p], Xa)
        if fit_intercept:
            out += P[:, :, p]
        return out
    # x^T S x = sum_a S_aa x_a^2 + sum_{a<b} (S_ab + S_ba) x_a x_b
    columns, a, b = _column_pairs(X, fit_intercept)
    k, l = np.triu_indices(K)
    blocks = A4[k, :, l, :]  # fancy indices on one axis, then on two: fast
    packed = blocks[:, a, b]
    packed += blocks[:, b, a]
    packed[:, a == b] *= 0.5
    out = np.empty((n, T))
    for rows, pairs in _pair_products(X, columns):
        np.matmul(pairs.T, packed.T, out=out[rows])
    return out
