"""Results as pandas objects labelled by the input's index (``output="pandas"``).

:class:`~skinfluence.InfluenceExplainer` computes on positions; with
``output="pandas"`` its results are relabelled here: training rows by the index of
the ``X`` given to ``fit`` (``train_index_``), test rows by the index of
``X_test``. Inputs that are not pandas objects get a ``RangeIndex``. The values
are those of ``output="default"``, unchanged.
"""

import sys

import numpy as np

__all__ = ["OUTPUT_OPTIONS", "index_of", "labelled", "labelled_populations",
           "labelled_top"]

OUTPUT_OPTIONS = ("default", "pandas")


def _pandas():
    try:
        import pandas
    except ImportError as exc:  # pandas is optional for the library
        raise ImportError(
            'output="pandas" needs pandas: pip install pandas, or use '
            'output="default" for numpy arrays.') from exc
    return pandas


def index_of(X):
    """The index of a pandas DataFrame or Series, else None.

    Parameters
    ----------
    X : object
        Any input; only pandas objects have an index (pandas is not imported).

    Returns
    -------
    pandas.Index or None

    Examples
    --------
    >>> import pandas as pd
    >>> index_of(pd.DataFrame({"a": [1.0, 2.0]}, index=["u", "v"])).tolist()
    ['u', 'v']
    >>> index_of([[1.0], [2.0]]) is None
    True
    """
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(X, (pd.DataFrame, pd.Series)):
        return X.index
    return None


def labelled_populations(values, single, output, X_test, populations):
    """A population result: one column per population, labelled if asked.

    The last axis is dropped for a single population (a Series by the test
    rows' labels); several give a DataFrame whose columns are a dict's keys,
    else positions.

    Parameters
    ----------
    values : ndarray of shape (n_test, n_populations)
    single : bool
        Whether one population (a mask or an index array) was given.
    output : {"default", "pandas"}
    X_test : array-like or DataFrame
        The test rows (their index labels the rows).
    populations : mask, index array, or a list / dict / 2-D mask array of them

    Returns
    -------
    ndarray, pandas.Series or pandas.DataFrame

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> X_test = pd.DataFrame({"a": [1.0, 2.0]}, index=["u", "v"])
    >>> labelled_populations(np.array([[0.5, 0.1], [0.2, 0.3]]), False, "pandas",
    ...                      X_test, {"sevens": [0, 3], "ones": [1]})
       sevens  ones
    u     0.5   0.1
    v     0.2   0.3
    """
    names = list(populations) if isinstance(populations, dict) else None
    return labelled(values[:, 0] if single else values, output, index_of(X_test),
                    names)


def labelled(values, output, index=None, columns=None, name=None):
    """``values`` as is (``"default"``), or as a labelled Series / DataFrame.

    Parameters
    ----------
    values : ndarray of shape (n,) or (n, m)
    output : {"default", "pandas"}
    index : pandas.Index, sequence or None
        Labels of the rows (None: ``RangeIndex``).
    columns : pandas.Index, sequence or None
        Labels of the columns of a 2-D result (None: ``RangeIndex``).
    name : str, default=None
        Name of a 1-D result's Series.

    Returns
    -------
    ndarray, pandas.Series or pandas.DataFrame

    Examples
    --------
    >>> import numpy as np
    >>> labelled(np.array([0.5, 0.25]), "pandas", index=["u", "v"], name="score")
    u    0.50
    v    0.25
    Name: score, dtype: float64
    >>> labelled(np.eye(2), "default").shape
    (2, 2)
    """
    if output == "default":
        return values
    pd = _pandas()
    if values.ndim == 1:
        return pd.Series(values, index=index, name=name)
    return pd.DataFrame(values, index=index, columns=columns)


def labelled_top(top, output, test_index=None, train_index=None):
    """:meth:`~skinfluence.InfluenceExplainer.top_influences` with labels.

    The ``*_indices`` (positions of training rows) become DataFrames of the
    training rows' labels, the ``*_scores`` DataFrames of floats; both have the
    test rows' labels as index and the rank ``0 .. k-1`` as columns.

    Parameters
    ----------
    top : Bunch
        ``helpful_indices``, ``helpful_scores``, ``harmful_indices``,
        ``harmful_scores``, each of shape (n_test, k).
    output : {"default", "pandas"}
    test_index, train_index : pandas.Index or None
        Labels of the test and training rows (None: positions).

    Returns
    -------
    Bunch
        ``top`` itself for ``"default"``, else a new Bunch of DataFrames.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> top = Bunch(helpful_indices=np.array([[2, 0]]),
    ...             helpful_scores=np.array([[0.5, 0.1]]),
    ...             harmful_indices=np.array([[1, 0]]),
    ...             harmful_scores=np.array([[-0.2, 0.1]]))
    >>> out = labelled_top(top, "pandas", pd.Index(["t"]), pd.Index([10, 20, 30]))
    >>> out.helpful_indices
        0   1
    t  30  10
    """
    if output == "default":
        return top
    pd = _pandas()
    out = type(top)()
    for key, values in top.items():
        if key.endswith("_indices") and train_index is not None:
            labels = pd.Index(train_index).take(np.ravel(values))
            values = np.asarray(labels).reshape(np.shape(values))
        out[key] = pd.DataFrame(values, index=test_index)
    return out
