"""Each training row as predicted by the model fitted without it, from one fit.

The Newton step of :class:`~skinfluence.InfluenceExplainer` (``method="newton"``)
gives ``theta_{-j}`` for every row j: exact leave-one-out for squared loss
(Ridge, LinearRegression), Pregibon's one-step for logistic regression. Row j's
decision value under ``theta_{-j}`` (computed from ``K x K`` leverage blocks,
:func:`~skinfluence.influence.own_decision_shifts`, without forming
``theta_{-j}``) is what a model that never saw the row says about it -- the
cross-validated prediction of confident learning (Northcutt et al., 2021),
with ``n - 1`` training rows instead of ``(k - 1) n / k`` and one fit instead
of ``k``.

Two rules read those predictions:

- :func:`confident_label_issues` (class targets): the confident joint of
  given and likely labels (per-class thresholds at the class's mean
  self-confidence, calibrated to the class counts) estimates the label noise
  ``P(given | true)``; with it, Bayes' rule gives each row the probability of
  each true class given its label, and a row is flagged when its label is not
  the most probable one -- more likely wrong than right. How many rows go is
  thus estimated from the data, not fixed: on clean data it is near zero.
- :func:`residual_fence` (continuous targets): Tukey's far-out fence
  ``[Q1 - 3 IQR, Q3 + 3 IQR]`` on the leave-one-out residuals (about 4.7
  standard deviations on Gaussian errors).
"""

import numpy as np
from scipy.special import log_softmax

from .._validation import num_rows
from ..influence import FittedObjective, ShiftLoop, own_decision_shifts

__all__ = [
    "FENCE_K",
    "confident_label_issues",
    "leave_one_out_decision",
    "log_probabilities",
    "residual_fence",
]

#: Tukey's "far out" multiple of the inter-quartile range.
FENCE_K = 3.0


def leave_one_out_decision(explainer, X):
    """Decision values of every training row under the fit without that row.

    Parameters
    ----------
    explainer : InfluenceExplainer
        Fitted on ``X`` (any method; ``"newton"`` gives the leave-one-out
        parameters, ``"first_order"`` their linearisation).
    X : {ndarray, sparse matrix} of shape (n_train, n_features)
        The training rows the explainer was fitted on (their transformed
        copy, ``explainer.X_``, is what is read; the number of rows is checked).

    Returns
    -------
    ndarray of shape (n_train, n_outputs)
        ``decision_function`` (``predict`` for regressors) of row j by the
        model with parameters ``theta_{-j}``; one column for binary or
        single-output models.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.resampling.leave_one_out import leave_one_out_decision
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    >>> ex = InfluenceExplainer(Ridge(), method="newton").fit(X, y)
    >>> z = leave_one_out_decision(ex, X)[:, 0]
    >>> refit = Ridge().fit(X[1:], y[1:]).predict(X[:1])[0]
    >>> bool(np.isclose(z[0], refit))
    True
    """
    if num_rows(X) != explainer.n_train_:
        raise ValueError(f"X has {num_rows(X)} rows; the explainer was fitted on "
                         f"{explainer.n_train_}.")
    est = explainer.estimator_
    coef = np.atleast_2d(est.coef_)
    # the rows as the model sees them (through a Pipeline's transforms), kept by
    # the explainer: not transformed again
    Z = np.asarray(explainer.X_ @ coef.T) + np.ravel(getattr(est, "intercept_", 0.0))
    if explainer.removal_ is not None:  # HuberRegressor: its scale moves too
        loop = ShiftLoop(explainer.removal_, explainer.adapter_, explainer.method)
        return Z + loop.own_decision_shifts()
    objective = FittedObjective(explainer.adapter_, explainer.design_, explainer.Y_,
                                explainer.weights_, explainer.solver_,
                                explainer.operator_)
    # row j's own z_{-j} - z_j from K x K leverage blocks: no (n, n_params) array
    return Z + own_decision_shifts(objective, explainer.method)


def log_probabilities(decision):
    """Class log-probabilities of a logistic model from its decision values.

    Parameters
    ----------
    decision : ndarray of shape (n, 1) or (n, n_classes)
        Binary (one column: the log-odds of the second class) or multinomial.

    Returns
    -------
    ndarray of shape (n, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.leave_one_out import log_probabilities
    >>> np.exp(log_probabilities(np.array([[0.0]]))).round(2).tolist()
    [[0.5, 0.5]]
    """
    if decision.shape[1] == 1:
        z = decision[:, 0]
        return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
    return log_softmax(decision, axis=1)


def confident_label_issues(proba, labels):
    """Rows whose given label is more likely wrong than right.

    The confident joint (Northcutt et al., 2021) estimates the label noise:
    per-class thresholds at each class's mean self-confidence give each row a
    likely class, and the counts of (given, likely) pairs, calibrated to the
    class counts, estimate ``T[i, j] = P(given i | true j)``. The noisy class
    probabilities are ``T`` times the clean ones, so the clean ones are
    ``T^{-1} proba`` (clipped to the simplex), and Bayes' rule gives each row's
    posterior ``P(true j | given i, x)``, proportional to ``T[i, j] p_clean(j)``.
    A row is flagged when that posterior's most probable class is not its label,
    at most half of each class (the least doubtful of a larger set are kept).

    Parameters
    ----------
    proba : ndarray of shape (n, n_classes)
        Out-of-sample class probabilities of every row.
    labels : ndarray of shape (n,) of int
        Given labels as column indices of ``proba``.

    Returns
    -------
    issues : ndarray of shape (n,), dtype=bool
    likely : ndarray of shape (n,) of int
        The most probable true class of each row.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.leave_one_out import confident_label_issues
    >>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8],
    ...                   [0.05, 0.95]])
    >>> confident_label_issues(proba, np.array([0, 0, 1, 1, 0]))[0].tolist()
    [False, False, False, False, True]
    """
    n, K = proba.shape
    counts = np.bincount(labels, minlength=K)
    # per-class threshold: the class's mean self-confidence (expit(0) for none)
    sums = np.bincount(labels, weights=proba[np.arange(n), labels], minlength=K)
    thresholds = np.where(counts > 0, sums / np.maximum(counts, 1), 0.5)
    above = proba >= thresholds
    likely = np.where(above, proba, -np.inf).argmax(axis=1)
    likely = np.where(above.any(axis=1), likely, labels)
    joint = np.zeros((K, K))  # [given i, true j]
    np.add.at(joint, (labels, likely), 1.0)
    # calibrate each given-label row of the joint to that class's row count
    row_sums = joint.sum(axis=1, keepdims=True)
    joint = joint / np.where(row_sums > 0, row_sums, 1.0) * counts[:, None]
    true_counts = joint.sum(axis=0, keepdims=True)
    noise = joint / np.where(true_counts > 0, true_counts, 1.0)  # P(given | true)
    try:
        clean = np.linalg.solve(noise, proba.T).T
    except np.linalg.LinAlgError:  # a class no row is likely to be: no inverse
        clean = proba
    clean = np.clip(clean, 1e-12, None)
    posterior = noise[labels] * (clean / clean.sum(axis=1, keepdims=True))
    likely = posterior.argmax(axis=1)
    issues = likely != labels
    # at most half of a class: beyond that its label would mean another class
    # (confident learning assumes each class's own label is the most frequent)
    doubt = posterior.max(axis=1) - posterior[np.arange(n), labels]
    for i in range(K):
        rows = np.flatnonzero(issues & (labels == i))
        if rows.size > counts[i] // 2:
            surplus = rows.size - counts[i] // 2
            issues[rows[np.argsort(doubt[rows], kind="stable")[:surplus]]] = False
    return issues, likely


def residual_fence(residuals):
    """Distance of each residual inside Tukey's far-out fence, in IQRs.

    Parameters
    ----------
    residuals : ndarray of shape (n,)

    Returns
    -------
    ndarray of shape (n,)
        Negative beyond the fence ``[Q1 - 3 IQR, Q3 + 3 IQR]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.leave_one_out import residual_fence
    >>> r = np.r_[np.linspace(-1, 1, 20), 30.0]
    >>> bool(residual_fence(r)[-1] < 0 < residual_fence(r)[:-1].min())
    True
    """
    q1, q3 = np.percentile(residuals, [25, 75])
    iqr = q3 - q1
    if iqr <= 0:
        iqr = np.abs(residuals - np.median(residuals)).max() or 1.0
    return np.minimum(residuals - q1, q3 - residuals) / iqr + FENCE_K
