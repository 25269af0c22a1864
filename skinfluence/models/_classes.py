"""Class labels to indices, shared by the classifier adapters."""

import numpy as np
from sklearn.utils.validation import check_array, column_or_1d


def encode_labels(y, classes):
    """Indices of ``y`` in ``classes``; a clear error for labels never seen in fit."""
    y = column_or_1d(y, warn=True)
    try:
        idx = _sorted_lookup(y, np.asarray(classes))
    except TypeError:  # labels that do not compare (mixed types): one by one
        lookup = {label: i for i, label in enumerate(classes.tolist())}
        try:
            idx = np.fromiter(
                (lookup.get(v, -1) for v in y.tolist()), dtype=np.intp, count=len(y)
            )
        except TypeError:  # unhashable labels
            idx = np.full(len(y), -1, dtype=np.intp)
    if np.any(idx < 0):
        unseen = list(dict.fromkeys(np.asarray(y, dtype=object)[idx < 0].tolist()))[:5]
        raise ValueError(
            f"y contains labels the model was not fitted on: {unseen}. "
            f"Known classes: {list(classes.tolist())}."
        )
    return idx


def missing_classes(classes, y):
    """The labels of ``classes`` no row of ``y`` has: a refit on ``y`` drops them.

    Parameters
    ----------
    classes : ndarray
        The fitted model's classes.
    y : array-like of shape (n_samples,)
        Labels (e.g. of the rows a refit keeps).

    Returns
    -------
    ndarray
        The missing labels, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models._classes import missing_classes
    >>> missing_classes(np.array([0, 1, 2]), [0, 0, 2]).tolist()
    [1]
    """
    return np.setdiff1d(classes, np.unique(np.asarray(y)))


def class_emptying_removals(classes, y, populations=None):
    """The removals after which a refit has fewer classes (:func:`missing_classes`).

    Parameters
    ----------
    classes : ndarray or None
        The fitted model's classes (``None`` for a regressor: no removal).
    y : array-like of shape (n_samples,)
        The training labels.
    populations : list of ndarray of int, default=None
        Removed populations; ``None``: each row alone.

    Returns
    -------
    ndarray of int
        Rows that are the only member of their class (``populations=None``), else
        the positions of the populations holding every row of a class.

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence.models._classes import class_emptying_removals
    >>> y, classes = np.array([0, 0, 1, 2, 2]), np.array([0, 1, 2])
    >>> class_emptying_removals(classes, y).tolist()
    [2]
    >>> class_emptying_removals(classes, y, [np.array([0]), np.array([3, 4])]).tolist()
    [1]
    """
    if classes is None:
        return np.array([], dtype=np.intp)
    y = np.asarray(y)
    labels, counts = np.unique(y, return_counts=True)
    if populations is None:  # the classes that lose their last row with any one row
        lone = missing_classes(classes, labels[counts > 1])
        return np.flatnonzero(np.isin(y, lone))
    smallest = counts.min()  # a smaller population cannot hold a whole class
    return np.array([s for s, rows in enumerate(populations) if len(rows) >= smallest
                     and missing_classes(classes, np.delete(y, rows)).size],
                    dtype=np.intp)


def _sorted_lookup(y, classes):
    """Index of each label of ``y`` in ``classes`` by binary search, -1 if absent."""
    if classes.dtype.kind != y.dtype.kind and "O" not in (classes.dtype.kind,
                                                             y.dtype.kind):
        if {classes.dtype.kind, y.dtype.kind} - set("biuf"):
            raise TypeError("labels of different kinds")  # e.g. str vs int
    order = np.argsort(classes, kind="stable")
    pos = np.searchsorted(classes[order], y).clip(max=len(classes) - 1)
    idx = order[pos]
    found = classes[idx] == y
    if not isinstance(found, np.ndarray) or found.shape != y.shape:
        raise TypeError("labels do not compare element-wise")
    return np.where(found, idx, -1).astype(np.intp)


def resolved_class_weight(class_weight, classes, y_idx, sample_weight, *,
                          with_sample_weight):
    """Weight per class index, with 'balanced' frozen at the given data.

    ``with_sample_weight`` mirrors scikit-learn: LogisticRegression and LinearSVC
    compute 'balanced' from weighted counts, RidgeClassifier from plain counts.
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str) and class_weight == "balanced":
        w = sample_weight if with_sample_weight else np.ones(len(y_idx))
        counts = np.bincount(y_idx, weights=w, minlength=n_classes)
        return counts.sum() / (n_classes * counts)
    if isinstance(class_weight, dict):
        out = np.ones(n_classes)
        for label, weight in class_weight.items():
            matches = np.flatnonzero(classes == label)
            if matches.size:
                out[matches[0]] = weight
        return out
    raise ValueError(
        f"class_weight={class_weight!r} is not supported: use None, a dict or "
        "'balanced'."
    )


def encode_labels_or_values(y, classes, name):
    """Class indices of ``y`` (``classes`` given), else ``y`` as floats ``(n, 1)``.

    The encoded target of a model that is either a classifier or a
    single-output regressor (``name`` is the estimator's, for the error).
    """
    if classes is not None:
        return encode_labels(y, classes)
    Y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    if Y.ndim != 1:
        raise ValueError(f"y must be 1-D for {name}.")
    return Y[:, None]
