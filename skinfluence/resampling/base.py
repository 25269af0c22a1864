"""A small base for estimators that remove training rows (``fit_resample``).

Not imbalanced-learn's ``BaseSampler``: that one refuses continuous targets,
and the steps here score regression rows as well as classification rows. The
contract is the one imbalanced-learn's ``Pipeline`` relies on (it duck-types
``fit_resample``): ``fit_resample(X, y)`` returns the kept rows ``X[idx], y[idx]``
with ``idx = sample_indices_``, in their original order.

A row-removing step has no ``transform``, so scikit-learn's own ``Pipeline``
refuses it at ``fit`` ("All intermediate steps should be transformers ...").
Use :class:`skinfluence.pipeline.Pipeline` (imbalanced-learn's), or wrap the
final model in :class:`skinfluence.InfluencePrunedEstimator`.
"""

import warnings

# imbalanced-learn adds fit_resample to scikit-learn's routed methods on import;
# it must happen before the classes below are defined, or they lack the
# set_fit_resample_request its Pipeline asks for under metadata routing
import imblearn.base  # noqa: F401
import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import validate_data

from .._validation import check_sample_weight
from ..exceptions import InfluenceWarning, SingularHessianError
from .scorer import is_class_target

__all__ = ["BaseRowSampler"]


class BaseRowSampler(BaseEstimator):
    """Base class: ``fit`` decides which rows to keep, ``fit_resample`` returns them.

    Subclasses implement ``_fit(X, y, sample_weight)``, which receives validated
    float64 ``X`` (``X`` as given, e.g. a DataFrame with string columns, when
    the scoring model is a Pipeline that encodes it) and ``y`` and returns
    ``(remove, harm)``: a boolean mask of the
    rows to drop and a per-row harm score (larger = more harmful) used to decide
    which rows to keep back when the removal would empty a class or the data.
    Subclasses take the scoring model as their ``estimator`` parameter (``None``:
    the default for the target, :mod:`skinfluence.resampling.scorer`); a given
    model decides whether the target is scored as classes (a classifier) or as
    a continuous quantity (a regressor, e.g. a Poisson model of counts).

    Examples
    --------
    >>> import numpy as np
    >>> from skinfluence import InfluenceOutlierRemover
    >>> from skinfluence.resampling.base import BaseRowSampler
    >>> X, y = np.arange(40.0).reshape(-1, 1), np.arange(40.0)
    >>> y[7] += 50
    >>> remover = InfluenceOutlierRemover()
    >>> isinstance(remover, BaseRowSampler), remover.fit_resample(X, y)[0].shape
    (True, (39, 1))
    """

    def fit(self, X, y, sample_weight=None):
        """Score the rows and decide which to keep.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels or a continuous target.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the scoring model's objective (the rows kept
            are chosen with them; they are not returned by :meth:`fit_resample`).

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from skinfluence import InfluenceOutlierRemover
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> y = 2 * X[:, 0] + np.sin(X[:, 0])
        >>> y[7] += 50
        >>> InfluenceOutlierRemover().fit(X, y).removed_indices_.tolist()
        [7]
        """
        self._validate_params()
        shape = np.asarray(y).shape
        if len(shape) == 2 and shape[1] > 1:
            raise ValueError(
                f"{type(self).__name__} scores rows against one target (class "
                f"labels or one continuous output); got y of shape {shape}. For "
                "several outputs, remove rows for each output on its own, or "
                "explain a multi-output Ridge or LinearRegression with "
                "InfluenceExplainer."
            )
        # a Pipeline scorer encodes its own rows (strings through a OneHotEncoder,
        # NaN through an imputer): X reaches it as given, only its shape checked
        raw = hasattr(self.estimator, "steps")
        X_checked, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=None if raw else np.float64,
            ensure_all_finite=not raw,
            y_numeric=False,
            ensure_min_samples=2,
        )
        if not raw:
            X = X_checked
        # a given scoring model says what the target is (a Poisson scorer's
        # integer counts are not classes); without one, the target's values do
        self._is_classification = (
            is_class_target(y) if self.estimator is None
            else is_classifier(self.estimator)
        )
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(y))
            if self._is_classification and np.unique(y[sample_weight > 0]).size < 2:
                raise ValueError(
                    "The rows with positive sample_weight hold a single class; the "
                    "scoring model needs at least 2 classes."
                )
        try:
            remove, harm = self._fit(X, y, sample_weight)
        except SingularHessianError as exc:  # its advice names the explainer's damping
            raise SingularHessianError(
                f"{type(self).__name__} cannot score the rows with "
                f"estimator={self.estimator!r}: the Hessian of its objective is "
                "singular (collinear or constant features, fewer rows than "
                "features, or separable classes, with no or a tiny penalty). The "
                "step takes no damping: pass a penalised scoring model (e.g. "
                "Ridge() instead of LinearRegression(), LogisticRegression() with "
                "its default penalty), or remove the redundant features."
            ) from exc
        remove = self._protect(remove, harm, y)
        self.sample_indices_ = np.flatnonzero(~remove)
        self.removed_indices_ = np.flatnonzero(remove)
        return self

    def fit_resample(self, X, y, sample_weight=None):
        """Fit, then return the kept rows.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        X_resampled : same type as ``X``, shape (n_kept, n_features)
            ``X[sample_indices_]`` (a new object: ``X`` is not modified).
        y_resampled : same type as ``y``, shape (n_kept,)

        Examples
        --------
        >>> import numpy as np
        >>> from skinfluence import InfluenceOutlierRemover
        >>> X = np.arange(40.0).reshape(-1, 1)
        >>> y = 2 * X[:, 0] + np.sin(X[:, 0])
        >>> y[7] += 50
        >>> X_kept, y_kept = InfluenceOutlierRemover().fit_resample(X, y)
        >>> X_kept.shape
        (39, 1)
        """
        self.fit(X, y, sample_weight=sample_weight)
        idx = self.sample_indices_
        return _safe_indexing(X, idx), _safe_indexing(y, idx)

    def _fit(self, X, y, sample_weight):
        raise NotImplementedError

    def _protect(self, remove, harm, y):
        """Keep back rows so that no class, and not the whole data, disappears.

        For each group (a class, or all rows for a continuous target) that the
        removal would empty, the group's least harmful row is kept and an
        :class:`InfluenceWarning` says so.
        """
        remove = remove.copy()
        groups = np.unique(y) if self._is_classification else [None]
        for label in groups:
            rows = np.arange(len(y)) if label is None else np.flatnonzero(y == label)
            if rows.size and remove[rows].all():
                keep = rows[np.argmin(harm[rows])]
                remove[keep] = False
                if isinstance(label, np.generic):  # 2, not numpy 2's np.int64(2)
                    label = label.item()
                what = "every row" if label is None else f"every row of class {label!r}"
                warnings.warn(
                    f"{type(self).__name__} would remove {what} ({rows.size} rows); "
                    f"keeping the least harmful one (row {keep}).",
                    InfluenceWarning,
                    stacklevel=3,
                )
        return remove

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags
