"""find_label_issues: the rows the default pruner flags, as a ranked table."""

import numpy as np
from sklearn.utils import Bunch

from .pruner import InfluencePruner

__all__ = ["find_label_issues"]


def find_label_issues(X, y, estimator=None, *, sample_weight=None, as_frame=False):
    """Rows whose label looks wrong, most suspect first.

    Each row is judged by the model fitted on all the other rows
    (:class:`InfluencePruner` with its defaults, ``reference="leave_one_out"``,
    ``rule="auto"``): for class targets, the rows whose label is doubtful and
    whose removal lowers the expected held-out loss; for a continuous target,
    the rows whose leave-one-out residual lies beyond Tukey's far-out fence.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels or a continuous target.
    estimator : estimator, default=None
        The scoring model (see :class:`InfluencePruner`); ``None``: a scaled
        ``LogisticRegression(C=0.1)`` for classes, a scaled ``Ridge()``
        otherwise.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows in the scoring model's objective.
    as_frame : bool, default=False
        Return a pandas DataFrame (pandas must be installed) instead of a Bunch.
        When ``X`` is a DataFrame, the result is indexed by ``X``'s row labels.

    Returns
    -------
    issues : Bunch or DataFrame
        One entry per suspect row, sorted by ``score`` (lowest first):

        - ``index``: the row's position in ``X``;
        - ``given_label``: ``y`` of the row;
        - ``suggested_label``: the class the model fitted without the row
          finds most probable, or its prediction for a continuous target;
        - ``score``: the row's ``InfluencePruner.scores_`` -- the log-odds
          margin of the given label against the best other one (negative: the
          model prefers another label), or for a continuous target the
          distance inside the far-out fence in IQRs (negative: beyond it).

    See Also
    --------
    InfluencePruner : removes these rows as a pipeline step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from skinfluence import find_label_issues
    >>> X, y = load_iris(return_X_y=True)
    >>> y_noisy = y.copy()
    >>> y_noisy[[0, 60, 120]] = [2, 0, 1]  # three wrong labels
    >>> issues = find_label_issues(X, y_noisy)
    >>> issues.index[:3].tolist(), issues.suggested_label[:3].tolist()
    ([0, 60, 120], [0, 1, 2])
    >>> issues.index.size  # those three only
    3
    """
    pruner = InfluencePruner(estimator).fit(X, y, sample_weight=sample_weight)
    rows = pruner.removed_indices_
    score = pruner.scores_[rows, 0]
    order = np.argsort(score, kind="stable")
    rows, score = rows[order], score[order]
    predictions = pruner.predictions_[rows]
    if predictions.ndim == 2:
        suggested = pruner.classes_[np.argmax(predictions, axis=1)]
    else:
        suggested = predictions
    given = np.asarray(y)[rows] if not hasattr(y, "iloc") else y.iloc[rows].to_numpy()
    given = given.reshape(len(rows))  # a column vector, read flat as the pruner does
    table = Bunch(index=rows, given_label=given, suggested_label=suggested, score=score)
    if not as_frame:
        return table
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "find_label_issues(..., as_frame=True) needs pandas; install it or use "
            "the default as_frame=False (a Bunch of arrays)."
        ) from exc
    frame = pd.DataFrame(dict(table))
    if hasattr(X, "index"):  # a DataFrame's rows keep their labels
        frame.index = X.index[rows]
    return frame
