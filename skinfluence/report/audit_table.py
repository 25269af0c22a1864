"""The audit's table: read it, check it, turn it into numbers a linear model fits.

Every problem with the table raises :class:`TableError`, whose message names
the problem and what to do; the command line turns it into exit code 2.
"""

from pathlib import Path

import numpy as np
from sklearn.utils.multiclass import type_of_target

__all__ = ["TableError", "check_memory", "make_preprocessor", "read_table", "task_of"]

#: A target with at most this many distinct integer values is a class label.
MAX_INTEGER_CLASSES = 10
#: Bytes of the dense Hessian (p x p float64) plus the design (n x p float64)
#: beyond which the audit refuses the table, unless told otherwise.
DEFAULT_MEMORY_BUDGET_MB = 2048


class TableError(ValueError):
    """The table cannot be audited; the message says why and what helps."""


def read_table(path, target):
    """Read a CSV or Parquet table and split off the target column.

    Rows whose target is missing are dropped (their number is returned).

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (or ``.csv.gz``, …) or ``.parquet`` file.
    target : str
        The column to predict.

    Returns
    -------
    X : pandas.DataFrame
        The other columns, with the table's index.
    y : pandas.Series
    n_missing_target : int

    Raises
    ------
    TableError
        Missing file, unreadable table, unknown target column, a target with
        one value, or columns with no value at all.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skinfluence.report.audit_table import read_table
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "t.csv"
    ...     _ = p.write_text("a,b,y\\n1,x,0\\n2,y,1\\n3,x,\\n")
    ...     X, y, dropped = read_table(p, "y")
    >>> list(X.columns), y.tolist(), dropped
    (['a', 'b'], [0.0, 1.0], 1)
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise TableError(f"No such file: {path}.")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except ImportError as exc:
        raise TableError(
            f"Reading {path.name} needs a Parquet engine: pip install pyarrow, "
            f"or the 'parquet' extra ({exc})."
        ) from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise TableError(f"Could not read {path} as a table: {exc}") from exc
    if target not in frame.columns:
        raise TableError(
            f"The table has no column {target!r}; its columns are "
            f"{', '.join(map(str, frame.columns))}."
        )
    known = frame[target].notna()
    y, X = frame.loc[known, target], frame.loc[known].drop(columns=[target])
    if y.nunique() < 2:
        raise TableError(
            f"The target {target!r} has {y.nunique()} distinct value(s) among its "
            f"{len(y)} non-missing rows: there is nothing to predict."
        )
    empty = [str(c) for c in X.columns if X[c].isna().all()]
    if empty:
        raise TableError(
            f"Column(s) {', '.join(empty)} have no value at all: drop them from "
            "the table."
        )
    if X.shape[1] == 0:
        raise TableError(f"The table has no column besides the target {target!r}.")
    return X, y, int((~known).sum())


def task_of(y, model="auto"):
    """``"classification"`` or ``"regression"``, from the target or the model.

    Parameters
    ----------
    y : pandas.Series
    model : {"auto", "logistic", "ridge"}, default="auto"
        ``"auto"``: a non-numeric or boolean target, or one with at most 10
        distinct integer values, is a class label.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> from skinfluence.report.audit_table import task_of
    >>> task_of(pd.Series(["a", "b"])), task_of(pd.Series([0.5, 1.7, 2.2]))
    ('classification', 'regression')
    """
    numeric = y.dtype.kind in "iuf"
    if model == "logistic":
        if numeric and type_of_target(y) == "continuous":
            raise TableError(
                f"--model logistic needs class labels; {y.name!r} holds "
                f"{y.nunique()} distinct non-integer numbers such as "
                f"{y.iloc[0]:g}. Use --model ridge."
            )
        return "classification"
    if model == "ridge":
        if not numeric:
            raise TableError(
                f"--model ridge needs a numeric target; {y.name!r} holds "
                f"{y.dtype} values such as {y.iloc[0]!r}. Use --model logistic."
            )
        return "regression"
    if model != "auto":
        raise TableError(f"Unknown model {model!r}; choose auto, logistic or ridge.")
    if not numeric:
        return "classification"
    values = y.to_numpy(dtype=np.float64)
    integer = np.all(values == np.round(values))
    few = y.nunique() <= MAX_INTEGER_CLASSES
    return "classification" if integer and few else "regression"


def make_preprocessor(X, max_categories=20):
    """Scale numbers, one-hot categories, impute missing values.

    Parameters
    ----------
    X : pandas.DataFrame
    max_categories : int, default=20
        Per categorical column, the rarer levels beyond this many share one
        column.

    Returns
    -------
    preprocessor : sklearn ColumnTransformer
        Unfitted.
    description : list of str
        What it does, in words, for the report.

    Examples
    --------
    >>> import pandas as pd
    >>> from skinfluence.report.audit_table import make_preprocessor
    >>> X = pd.DataFrame({"a": [1.0, None, 3.0], "b": ["x", "y", None]})
    >>> pre, words = make_preprocessor(X)
    >>> pre.fit_transform(X).shape
    (3, 5)
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = [c for c in X.columns if X[c].dtype.kind in "iufb"]
    categories = [c for c in X.columns if c not in numbers]
    steps, words = [], []
    if numbers:
        steps.append(
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True),
                    StandardScaler(),
                ),
                numbers,
            )
        )
        n_missing = int(X[numbers].isna().any(axis=0).sum())
        words.append(
            f"{len(numbers)} numeric column(s) scaled to mean 0 and variance 1"
            + (
                f"; missing values in {n_missing} of them replaced by the median, "
                "with a 0/1 column marking them"
                if n_missing
                else " (none has missing values)"
            )
        )
    if categories:
        steps.append(
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist",
                        max_categories=max_categories,
                        sparse_output=False,
                    ),
                ),
                categories,
            )
        )
        words.append(
            f"{len(categories)} categorical column(s) one-hot encoded (at most "
            f"{max_categories} levels each, rarer ones grouped; missing values are "
            "a level of their own)"
        )
    pre = ColumnTransformer(steps, verbose_feature_names_out=True)
    return pre, words


def check_memory(n_rows, n_columns, budget_mb=DEFAULT_MEMORY_BUDGET_MB):
    """Refuse a design whose dense Hessian and matrix exceed the budget.

    Parameters
    ----------
    n_rows, n_columns : int
        The design after preprocessing (parameters ≈ columns × outputs).
    budget_mb : float

    Raises
    ------
    TableError
        Naming the size and the options that help.

    Examples
    --------
    >>> from skinfluence.report.audit_table import check_memory
    >>> check_memory(1000, 30)
    """
    need = 8 * (n_rows * n_columns + n_columns**2) / 2**20
    if need > budget_mb:
        raise TableError(
            f"The preprocessed table is {n_rows} rows x {n_columns} columns, "
            f"about {need:.0f} MB with its Hessian, over the memory budget of "
            f"{budget_mb:.0f} MB. Lower --max-categories (fewer one-hot columns), "
            "drop identifier-like columns, or raise --memory-budget."
        )
