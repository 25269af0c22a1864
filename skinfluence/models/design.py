"""Products with the augmented design matrix ``[X, 1]``, never built.

A linear model's parameters are stored augmented (the intercept last in each
row of ``theta``), so every product of the objective is a product with
``[X, 1]`` (or ``X`` alone without intercept). These functions compute them
from ``X`` directly, so a sparse ``X`` stays sparse and no ``n x p`` temporary
is made.
"""

import numpy as np
from scipy import sparse

__all__ = ["BLOCK_ELEMENTS", "augmented_dot", "augmented_tdot", "sandwich_dot",
           "squared_tdot"]

#: Dense products over rows of X work on blocks of at most this many values.
BLOCK_ELEMENTS = 2**22


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
