"""Helpers shared by the Display objects."""

import copy

import numpy as np

#: Colour of a helpful row (positive influence) and of a harmful one.
HELPFUL_COLOR = "tab:blue"
HARMFUL_COLOR = "tab:red"
#: Diverging colour map: red = harmful (negative), blue = helpful (positive).
INFLUENCE_CMAP = "RdBu"


def check_matplotlib(caller):
    """Import matplotlib or raise an ImportError that says how to install it."""
    try:
        import matplotlib  # noqa: F401
        import matplotlib.pyplot  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, an optional dependency of skinfluence. "
            "Install it with `pip install matplotlib` (or, in a checkout of "
            "skinfluence, `pip install \".[plot]\"`)."
        ) from exc


def get_ax(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def explainer_rows(explainer, X):
    """The training rows as the caller wants them shown: ``X`` if given, else the
    features the model was fitted on (``explainer.X_``), dense."""
    if X is None:
        X = explainer.X_
    X = X.toarray() if hasattr(X, "toarray") else as_numbers(X, "X")
    if X.shape[0] != explainer.n_train_:
        raise ValueError(
            f"X has {X.shape[0]} rows but the explainer was fitted on "
            f"{explainer.n_train_}."
        )
    return X


def one_row(X_test, y_test):
    """Check and return a single test row and its label (1,).

    A pandas row stays a one-row DataFrame (a Series becomes one), so that a
    model or pipeline fitted on named columns receives them; anything else
    becomes an array of shape (1, n_features).
    """
    if hasattr(X_test, "iloc"):
        if X_test.ndim == 1:
            X_test = X_test.to_frame().T.infer_objects()
    else:
        X_test = X_test.toarray() if hasattr(X_test, "toarray") else np.asarray(X_test)
        if X_test.ndim == 1:
            X_test = X_test[None, :]
    y_test = np.atleast_1d(np.asarray(y_test))
    if X_test.shape[0] != 1 or y_test.shape[0] != 1:
        raise ValueError(
            "Pass one test row (shape (1, n_features) or (n_features,)) and its "
            "label; "
            f"got X_test of shape {X_test.shape} and {y_test.shape[0]} label(s)."
        )
    return X_test, y_test


def shown_test_row(explainer, X, X_test):
    """The test row as float64 numbers, in the space of the training rows shown.

    That is ``X``'s columns when the caller passes ``X``; otherwise the
    features the model was fitted on (``explainer.X_``), so the row goes
    through the pipeline's ``feature_map_`` first.
    """
    if X is None and explainer.feature_map_ is not None:
        X_test = explainer.feature_map_.transform(X_test)
    if hasattr(X_test, "toarray"):
        X_test = X_test.toarray()
    return as_numbers(X_test, "X_test")[0]


def as_numbers(rows, name):
    """``rows`` as a float64 array, or a ValueError that says what to pass."""
    try:
        return np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"The Display draws {name} as numbers (positions, distances, images), "
            f"but it holds values that are not ({exc}). Pass X with numeric "
            "columns, or X=None to show the features the model was fitted on."
        ) from exc


def with_fitted_names(step, rows):
    """``rows`` as a DataFrame with the column names ``step`` was fitted on, if any."""
    names = getattr(step, "feature_names_in_", None)
    if names is None:
        return rows
    import pandas as pd

    return pd.DataFrame(rows, columns=names)


def positional(explainer):
    """The explainer answering by position (numpy arrays, row positions).

    With ``output="pandas"`` a shallow copy set to ``output="default"``: the
    Displays index the training rows by position.
    """
    if getattr(explainer, "output", "default") == "default":
        return explainer
    explainer = copy.copy(explainer)
    explainer.output = "default"
    return explainer


def image_shape_of(n_pixels, image_shape):
    if image_shape is not None:
        if int(np.prod(image_shape)) != n_pixels:
            raise ValueError(
                f"image_shape {image_shape} does not hold {n_pixels} pixels."
            )
        return tuple(image_shape)
    side = int(round(np.sqrt(n_pixels)))
    if side * side != n_pixels:
        raise ValueError(
            f"Rows of {n_pixels} features are not square images; pass image_shape=(h, "
            "w)."
        )
    return side, side


def format_score(score):
    return f"{score:+.3g}"
