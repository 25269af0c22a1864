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

What reads those predictions:

- :func:`label_posterior` and :func:`expected_loss_influence` (class
  targets): the confident joint of given and likely labels (per-class
  thresholds at the class's mean self-confidence, calibrated to the class
  counts) estimates the label noise ``P(given | true)``; with it, Bayes' rule
  gives each row the probability of each true class given its label. Under
  those likely labels, the leave-one-out log-loss of the training rows is an
  estimate of the held-out loss, and each row's influence on it says whether
  removing the row would lower it; a row whose leave-one-out prediction is
  its label is kept (the pruner's rule, :class:`~skinfluence.InfluencePruner`).
- :func:`residual_fence` (continuous targets): Tukey's far-out fence
  ``[Q1 - 3 IQR, Q3 + 3 IQR]`` on the leave-one-out residuals (about 4.7
  standard deviations on Gaussian errors).
"""

import numpy as np
from scipy.special import log_softmax

from .._validation import num_rows
from ..influence import (
    FittedObjective,
    ShiftLoop,
    decision_sum_influence,
    own_decision_shifts,
)

__all__ = [
    "FENCE_K",
    "MAX_LABEL_ODDS",
    "expected_loss_influence",
    "harmful_label_issues",
    "label_posterior",
    "leave_one_out_decision",
    "log_probabilities",
    "residual_fence",
]

#: Tukey's "far out" multiple of the inter-quartile range.
FENCE_K = 3.0
#: A row goes only while its label is at most this many times as likely right
#: as wrong (posterior of the given label below 2/3). Without a cap or budget the
#: influence also removes clean rows that hold the strongly penalised scorer
#: back (clean iris: -1.13 pt). Odds 1, 2, 4 and no cap, with the per-class
#: budget, on splits 20-39 (docs/pruning.md): 2 keeps clean data best (iris
#: 0.00 pt against -0.13 / -0.33 for 4 / none), meets the recall target where 1
#: does not, and is within 0.11 pt of the best mean gain.
MAX_LABEL_ODDS = 2.0


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
    # row j's own z_{-j} - z_j from K x K leverage blocks: no (n, n_params) array
    return Z + own_decision_shifts(_objective(explainer), explainer.method)


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


def label_posterior(proba, labels):
    """Each row's probability of each true class, given its label and features.

    The confident joint (Northcutt et al., 2021) estimates the label noise:
    per-class thresholds at each class's mean self-confidence give each row a
    likely class, and the counts of (given, likely) pairs, calibrated to the
    class counts, estimate ``T[i, j] = P(given i | true j)``. The noisy class
    probabilities are ``T`` times the clean ones, so the clean ones are
    ``T^{-1} proba`` (clipped to the simplex), and Bayes' rule gives each row's
    posterior ``P(true j | given i, x)``, proportional to ``T[i, j] p_clean(j)``.

    Parameters
    ----------
    proba : ndarray of shape (n, n_classes)
        Out-of-sample class probabilities of every row.
    labels : ndarray of shape (n,) of int
        Given labels as column indices of ``proba``.

    Returns
    -------
    ndarray of shape (n, n_classes)
        Rows sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.leave_one_out import label_posterior
    >>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8],
    ...                   [0.05, 0.95]])
    >>> label_posterior(proba, np.array([0, 0, 1, 1, 0])).argmax(axis=1).tolist()
    [0, 0, 1, 1, 1]
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
    return posterior / posterior.sum(axis=1, keepdims=True)


def expected_loss_influence(explainer, proba, posterior, sample_weight=None):
    """Influence of each training row on the held-out loss under likely labels.

    The quantity is ``Q = -sum_k w_k sum_j P(true j | row k) log p_{-k}(j)``:
    the log-loss each row would get from the model fitted without it, under
    the labels the posterior expects instead of the given ones. Its gradient
    is taken at the leave-one-out probabilities (cross-fitted: the row is
    scored by a model that did not see it), ``dQ/dz_k = w_k (P(. | row k) -
    p_{-k})``, and the influence is first order,
    :func:`~skinfluence.influence.decision_sum_influence` (one solve).
    Negative: removing the row lowers the expected held-out loss.

    Parameters
    ----------
    explainer : InfluenceExplainer
        Fitted classifier with a logistic loss.
    proba : ndarray of shape (n_train, n_classes)
        Leave-one-out class probabilities of the training rows.
    posterior : ndarray of shape (n_train, n_classes)
        Probability of each true class of each row (:func:`label_posterior`).
    sample_weight : ndarray of shape (n_train,), default=None
        Weights of the rows in ``Q``.

    Returns
    -------
    ndarray of shape (n_train,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skinfluence import InfluenceExplainer
    >>> from skinfluence.resampling.leave_one_out import expected_loss_influence
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> y[0] = 1 - y[0]  # a wrong label
    >>> ex = InfluenceExplainer(LogisticRegression()).fit(X, y)
    >>> p = ex.estimator_.predict_proba(X)
    >>> posterior = np.eye(2)[(X[:, 0] > 0).astype(int)]  # the true labels
    >>> int(np.argmin(expected_loss_influence(ex, p, posterior)))
    0
    """
    A = posterior - proba
    if explainer.adapter_.n_outputs == 1:  # binary: the log-odds of the second class
        A = A[:, 1:]
    if sample_weight is not None:
        A = A * sample_weight[:, None]
    return decision_sum_influence(_objective(explainer), explainer.design_, A)


def harmful_label_issues(harm, posterior, labels, max_odds=MAX_LABEL_ODDS,
                         predicted=None):
    """Rows to remove: doubtful labels whose removal lowers the expected loss.

    A row is flagged when its removal lowers the expected held-out loss
    (``harm < 0``, :func:`expected_loss_influence`), its label is at most
    ``max_odds`` times as likely right as wrong, and the model fitted without
    it predicts another class (``predicted``: as confident learning does, a
    label the out-of-sample model agrees with is not an issue). No class loses
    more rows than its expected number of wrong labels, ``sum (1 - P(given |
    row))`` over the class (rounded), nor more than half of its rows (confident
    learning assumes each class's own label is its most frequent); beyond
    that, the most harmful go.

    Parameters
    ----------
    harm : ndarray of shape (n,)
        Influence on the expected held-out loss (negative: removal lowers it).
    posterior : ndarray of shape (n, n_classes)
        :func:`label_posterior`.
    labels : ndarray of shape (n,) of int
    max_odds : float, default=MAX_LABEL_ODDS
        Largest odds ``P(given) / (1 - P(given))`` of a removed row's label;
        ``np.inf``: no cap.
    predicted : ndarray of shape (n,) of int, default=None
        The class (column index) the model fitted without each row predicts,
        e.g. ``proba.argmax(axis=1)`` of the leave-one-out probabilities; rows
        predicted as their label are kept. None: no such check.

    Returns
    -------
    ndarray of shape (n,), dtype=bool

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.resampling.leave_one_out import harmful_label_issues
    >>> posterior = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    >>> labels = np.array([0, 0, 1, 1])
    >>> harm = np.array([-1.0, -1.0, 1.0, -1.0])
    >>> harmful_label_issues(harm, posterior, labels).tolist()
    [False, True, False, False]
    >>> harmful_label_issues(harm, posterior, labels, predicted=labels).tolist()
    [False, False, False, False]
    """
    given = posterior[np.arange(len(labels)), labels]
    cap = 1.0 if np.isinf(max_odds) else max_odds / (1.0 + max_odds)
    issues = (harm < 0) & (given < cap)
    if predicted is not None:
        issues &= np.asarray(predicted) != labels
    K = posterior.shape[1]
    wrong = np.round(np.bincount(labels, weights=1.0 - given, minlength=K))
    budgets = np.minimum(wrong.astype(int), np.bincount(labels, minlength=K) // 2)
    for i, budget in enumerate(budgets):
        rows = np.flatnonzero(issues & (labels == i))
        if rows.size > budget:
            issues[rows[np.argsort(harm[rows], kind="stable")[budget:]]] = False
    return issues


def _objective(explainer):
    return FittedObjective(explainer.adapter_, explainer.design_, explainer.Y_,
                           explainer.weights_, explainer.solver_, explainer.operator_)


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
