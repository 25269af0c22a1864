"""Checking what the user passes in: arrays, weights, populations, estimators."""

import numbers

import numpy as np
from scipy import sparse
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

__all__ = [
    "num_rows",
    "check_features",
    "check_fitted_model",
    "is_dask_array",
    "check_rows",
    "check_same_rows",
    "check_top_k",
    "check_sample_weight",
    "check_populations",
    "split_pipeline",
]


def _as_float64(X, name):
    return check_array(
        X, accept_sparse=("csr", "csc"), dtype=np.float64, ensure_all_finite=True,
        input_name=name, ensure_min_samples=1,
    )


def split_pipeline(estimator, X, y, sample_weight):
    """Return ``(feature_map, final_estimator)``, both fitted.

    An unfitted estimator (or Pipeline) is cloned and fitted on ``X, y``; a fitted
    one is used as is. ``feature_map`` is ``None`` or the fitted Pipeline steps
    before the last, treated as a fixed transformation.
    """
    if not hasattr(estimator, "fit"):
        raise TypeError(f"estimator must be a scikit-learn estimator, got {estimator!r}.")
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        estimator = clone(estimator)
        if isinstance(estimator, Pipeline):
            fit_params = {}
            if sample_weight is not None:
                fit_params[f"{estimator.steps[-1][0]}__sample_weight"] = sample_weight
            # the weights go to the last step only, also when the user enabled
            # metadata routing (which refuses "step__param" arguments)
            with config_context(enable_metadata_routing=False):
                estimator.fit(X, y, **fit_params)
        else:
            X_fit = X if hasattr(X, "columns") or sparse.issparse(X) else _as_float64(X, "X")
            if hasattr(X_fit, "columns"):
                X_fit = X_fit.astype(np.float64)
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            estimator.fit(X_fit, y, **kwargs)
    if not isinstance(estimator, Pipeline):
        return None, estimator
    for name, step in estimator.steps[:-1]:
        if hasattr(step, "fit_resample"):
            raise ValueError(
                f"Pipeline step {name!r} removes rows (fit_resample): the last step was "
                "fitted on other rows than X. Explain the last step on the resampled data "
                "instead."
            )
    final = estimator.steps[-1][1]
    feature_map = estimator[:-1] if len(estimator.steps) > 1 else None
    return feature_map, final


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (without importing dask)."""
    return type(X).__module__.startswith("dask.array")


def check_fitted_model(estimator):
    """The model to explain on Dask input: fitted already, not a Pipeline."""
    if isinstance(estimator, Pipeline):
        raise ValueError(
            "With a Dask array X the estimator must be the fitted model itself, not a "
            "Pipeline: pass the transformed Dask array and the Pipeline's last step.")
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise ValueError(
            f"With a Dask array X, {type(estimator).__name__} must be fitted already "
            "(fitting scikit-learn on data larger than memory is not skinfluence's "
            "job: fit it on X.compute() if X fits in memory, or with dask-ml); "
            "InfluenceExplainer then reads the fitted model and checks it is at an "
            "optimum on X.") from None
    return estimator


def _check_dask_features(estimator, X, name):
    """A Dask array checked lazily: 2-D, numeric, float64, one chunk of columns.

    Finiteness is checked by the first pass over the chunks (the Hessian's).
    """
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got a Dask array of shape {X.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}."
                         "compute_chunk_sizes() first.")
    if sparse.issparse(getattr(X, "_meta", None)) or X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a dense numeric Dask array, got chunks of "
                         f"{type(X._meta).__name__} with dtype {X.dtype}.")
    n_expected = getattr(estimator, "n_features_in_", X.shape[1])
    if X.shape[1] != n_expected:
        raise ValueError(f"{name} has {X.shape[1]} features, but "
                         f"{type(estimator).__name__} is expecting {n_expected}.")
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return X.astype(np.float64)


def check_features(estimator, feature_map, X, name="X", sparse_format=None):
    """Transform ``X`` by the feature map and check it against the fitted model.

    ``sparse_format="csr"``: a sparse result is converted to CSR (rows sliced).
    A Dask array is checked lazily and returned lazy (float64, chunked by rows).
    """
    if is_dask_array(X):
        if feature_map is not None:
            raise ValueError(f"{name} is a Dask array but the model is a Pipeline's "
                             "last step; pass the transformed rows.")
        return _check_dask_features(estimator, X, name)
    X = _check_features(estimator, feature_map, X, name)
    if sparse_format is not None and sparse.issparse(X) and X.format != sparse_format:
        X = X.asformat(sparse_format)
    return X


def _check_features(estimator, feature_map, X, name):
    if feature_map is not None:
        X = feature_map.transform(X)
        X = _as_float64(X, name)
        n_expected = getattr(estimator, "n_features_in_", X.shape[1])
        if X.shape[1] != n_expected:
            raise ValueError(
                f"{name} has {X.shape[1]} features after the pipeline's transforms, "
                f"but the model expects {n_expected}."
            )
        return X
    try:
        return validate_data(
            estimator, X, reset=False, accept_sparse=("csr", "csc"), dtype=np.float64,
            ensure_all_finite=True,
        )
    except ValueError as exc:  # name the argument the user passed
        raise ValueError(str(exc).replace("Input X", f"Input {name}").replace(
            "X has", f"{name} has")) from None


def num_rows(a):
    """Rows of an array, sparse matrix, DataFrame or list."""
    return a.shape[0] if hasattr(a, "shape") else len(a)


def check_same_rows(X, y):
    """The number of rows of X, checked against y's."""
    n = num_rows(X)
    if num_rows(y) != n:
        raise ValueError(f"X has {n} rows but y has {num_rows(y)}.")
    return n


def check_rows(estimator, feature_map, X, y, name="X_test", y_name="y_test"):
    """:func:`check_features` of ``X``, and ``y`` with as many rows.

    Test rows given as a Dask array are checked, then computed (in memory).
    """
    Xt = check_features(estimator, feature_map, X, name=name)
    if is_dask_array(Xt):
        Xt = Xt.compute()
        if not np.isfinite(Xt).all():
            raise ValueError(f"Input {name} contains NaN or infinity.")
    if num_rows(y) != Xt.shape[0]:
        raise ValueError(
            f"{name} has {Xt.shape[0]} rows but {y_name} has {num_rows(y)}.")
    return Xt


def check_top_k(k, n_train):
    """``k`` of ``top_influences``: an integer in ``[1, n_train]``."""
    if not isinstance(k, numbers.Integral) or not 1 <= k <= n_train:
        raise ValueError(f"k must be an integer in [1, n_train={n_train}], got {k!r}.")


def check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    sw = check_array(sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight")
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {sw.shape}."
        )
    if np.any(sw < 0):
        raise ValueError("sample_weight has negative entries; weights must be >= 0.")
    if not np.any(sw > 0):
        raise ValueError("sample_weight is zero everywhere; at least one row must count.")
    return sw.copy()


def _one_population(pop, n_train, label):
    pop = np.asarray(pop)
    if pop.dtype == bool:
        if pop.shape != (n_train,):
            raise ValueError(
                f"population {label} is a boolean mask of shape {pop.shape}; "
                f"it must have shape ({n_train},), one entry per training row."
            )
        idx = np.flatnonzero(pop)
    else:
        if pop.ndim != 1 or (pop.size and not np.issubdtype(pop.dtype, np.integer)):
            raise ValueError(
                f"population {label} must be a boolean mask or a 1-D array of row "
                f"indices, got dtype {pop.dtype} and shape {pop.shape}."
            )
        idx = pop.astype(np.intp)
        if idx.size and (idx.min() < -n_train or idx.max() >= n_train):
            raise ValueError(
                f"population {label} has row indices outside [0, {n_train})."
            )
        idx = np.where(idx < 0, idx + n_train, idx)
        if np.unique(idx).size != idx.size:
            raise ValueError(f"population {label} lists a row more than once.")
    if idx.size == 0:
        raise ValueError(f"population {label} is empty: it must contain at least one row.")
    if idx.size == n_train:
        raise ValueError(
            f"population {label} contains every training row; removing it leaves no model."
        )
    return np.sort(idx)


def check_populations(populations, n_train):
    """Normalise populations to a list of sorted index arrays.

    Returns ``(index_arrays, single)``: ``single`` is True when one population
    (a mask or an index array) was given, so results drop the last axis.
    """
    if isinstance(populations, dict):
        items = list(populations.items())
        return [_one_population(p, n_train, repr(k)) for k, p in items], False
    if sparse.issparse(populations):
        raise TypeError("populations must be dense masks or index arrays.")
    if isinstance(populations, np.ndarray) and populations.ndim == 2:
        return [_one_population(p, n_train, i) for i, p in enumerate(populations)], False
    if isinstance(populations, (list, tuple)) and populations and all(
        isinstance(p, (numbers.Integral, bool, np.bool_)) for p in populations
    ):
        return [_one_population(populations, n_train, 0)], True
    if isinstance(populations, (list, tuple)):
        if not populations:
            raise ValueError("populations is an empty list.")
        return [_one_population(p, n_train, i) for i, p in enumerate(populations)], False
    return [_one_population(populations, n_train, 0)], True
