"""How far a fitted model is from the optimum of its objective, free of the
features' scales.

The stationarity check compares ``||grad F(theta)||`` with a typical row's gradient
term. Plain norms are ruled by the column on the largest scale: with one feature in
units of 1e6, a model stopped far from the optimum along the other features passes.
Here both norms are taken in the metric of the Hessian's diagonal, a
Jacobi-preconditioned Newton step against a typical row's, which rescaling a
feature leaves unchanged and which is the plain ratio when all columns share one
scale.
"""

import numpy as np
from scipy import sparse

__all__ = ["row_gradient_scales", "relative_gradient"]


def row_gradient_scales(objective, X, Y, weights):
    """Root mean square over rows of each parameter's ``c_i grad_i`` component.

    Structured (residuals squared times features squared), without forming the
    gradients.

    Parameters
    ----------
    objective : LinearObjective
        At its fitted parameters.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray
        The encoded target.
    weights : ndarray of shape (n_samples,)

    Returns
    -------
    ndarray of shape (n_params,)
        ``sqrt(mean_i (c_i r_ik x_if)^2)`` in the augmented layout.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from skinfluence.models import make_adapter
    >>> from skinfluence.models.stationarity import row_gradient_scales
    >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 2.0, 1.0])
    >>> a = make_adapter(LinearRegression().fit(X, y), y, None)
    >>> G = a.row_gradients(X, a.encode_target(y), np.ones(3))
    >>> bool(np.allclose(row_gradient_scales(a, X, a.encode_target(y), np.ones(3)),
    ...                  np.sqrt((G**2).mean(0))))
    True
    """
    _, dZ = objective.loss_gradient(objective.decision(X), Y)
    E2 = (weights[:, None] * dZ) ** 2
    X2 = X.multiply(X) if sparse.issparse(X) else X * X
    S2 = np.asarray(X2.T @ E2).T  # (K, n_features)
    if objective.fit_intercept:
        S2 = np.hstack([S2, E2.sum(0)[:, None]])
    return np.sqrt(S2.ravel() / X.shape[0])


def relative_gradient(grad, scales, diagonal):
    """``||grad||`` over a typical row's gradient term, both in the Hessian's metric.

    ``sqrt(sum_k grad_k^2 / h_k / sum_k scale_k^2 / h_k)`` with ``h`` the
    Hessian's diagonal; parameters with no curvature (``h_k == 0``) are left out.

    Parameters
    ----------
    grad : ndarray of shape (n_params,)
        ``grad F(theta)``.
    scales : ndarray of shape (n_params,)
        :func:`row_gradient_scales`.
    diagonal : ndarray of shape (n_params,)
        The diagonal of the Hessian.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models.stationarity import relative_gradient
    >>> scale = np.array([1e-6, 1e6])  # the same for any scale
    >>> relative_gradient(0.5 * scale, scale, scale**2)
    0.5
    """
    seen = diagonal > 0
    num = float(np.sum(grad[seen] ** 2 / diagonal[seen]))
    den = float(np.sum(scales[seen] ** 2 / diagonal[seen]))
    return float(np.sqrt(num / den)) if den > 0 else (0.0 if num == 0 else np.inf)
