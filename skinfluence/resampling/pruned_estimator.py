"""InfluencePrunedEstimator: prune the training rows, then fit a model on the rest.

The meta-estimator form of a row-removing step (like ``RANSACRegressor``): it
works as the last step of scikit-learn's own ``Pipeline``, forwards
``sample_weight`` to both the pruner and the model, and has nothing to
``transform``, so tools that call ``transform`` on every intermediate step are
never asked to drop rows.
"""

from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_regressor
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_is_fitted,
    indexable,
    validate_data,
)

from .._validation import check_sample_weight
from .pruner import InfluencePruner
from .scorer import default_scorer

__all__ = ["InfluencePrunedEstimator"]


def _estimator_has(attr):
    """Available when the fitted model (or, before fit, the given one) has ``attr``."""

    def check(self):
        if hasattr(self, "estimator_"):
            getattr(self.estimator_, attr)
        else:
            getattr(self.estimator, attr)
        return True

    return check


class InfluencePrunedEstimator(MetaEstimatorMixin, BaseEstimator):
    """Fit ``estimator`` on the training rows that ``pruner`` keeps.

    ``fit`` clones ``pruner``, lets it choose rows (:meth:`fit` of the pruner with
    the same ``sample_weight``), then clones ``estimator`` and fits it on those
    rows. Prediction methods delegate to the fitted model and see every row.

    Parameters
    ----------
    estimator : estimator
        The model fitted on the kept rows (any scikit-learn estimator).
    pruner : row-removing estimator, default=None
        Anything with ``fit(X, y, sample_weight=...)`` that sets
        ``sample_indices_``: :class:`InfluencePruner` or
        :class:`InfluenceOutlierRemover`. ``None`` means ``InfluencePruner()``,
        or for a regressor ``estimator`` an ``InfluencePruner`` scored by the
        continuous targets' default model (scaled ``Ridge()``): the target is
        then continuous, even when it takes few values (ratings
        stored as floats), and is not scored as classes.

    Attributes
    ----------
    pruner_ : estimator
        The fitted clone of ``pruner``.
    estimator_ : estimator
        The fitted clone of ``estimator``.
    sample_indices_ : ndarray of shape (n_kept,)
        The training rows the model was fitted on.
    classes_ : ndarray
        The model's classes (classifiers only).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    See Also
    --------
    skinfluence.pipeline.Pipeline : a pipeline whose steps may drop rows.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skinfluence import InfluencePrunedEstimator
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(), InfluencePrunedEstimator(LogisticRegression())).fit(X, y)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"])],
        "pruner": [HasMethods(["fit"]), None],
    }

    def __init__(self, estimator, pruner=None):
        self.estimator = estimator
        self.pruner = pruner

    def fit(self, X, y, sample_weight=None):
        """Choose the rows with the pruner, then fit the model on them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            One target (the row-removing steps score one; a column vector is
            read flat); several outputs are refused with a ``ValueError``.
        sample_weight : array-like of shape (n_samples,), default=None
            Used by the pruner's scoring model and by the model (the kept
            rows' weights).

        Returns
        -------
        self : InfluencePrunedEstimator
            With ``pruner_``, ``estimator_`` and ``sample_indices_`` set.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> model = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
        >>> import numpy as np
        >>> kept = model.sample_indices_
        >>> refit = LogisticRegression().fit(X[kept], y[kept])  # the same model
        >>> len(kept) < len(X), np.allclose(model.estimator_.coef_, refit.coef_)
        (True, True)
        """
        self._validate_params()
        X, y = indexable(X, y)
        validate_data(
            self,
            X,
            y,
            dtype=None,
            ensure_all_finite=False,
            skip_check_array=True,
            multi_output=True,
        )
        if self.pruner is not None:
            pruner = clone(self.pruner)
        elif is_regressor(self.estimator):  # the model says y is continuous
            pruner = InfluencePruner(default_scorer(is_classification=False))
        else:
            pruner = InfluencePruner()
        sw = None
        if sample_weight is not None:
            n_rows = y.shape[0] if hasattr(y, "shape") else len(y)
            sw = check_sample_weight(sample_weight, n_rows)
        self.pruner_ = pruner.fit(X, y, sample_weight=sw)
        idx = self.pruner_.sample_indices_
        kwargs = {} if sw is None else {"sample_weight": sw[idx]}
        self.estimator_ = clone(self.estimator).fit(
            _safe_indexing(X, idx), _safe_indexing(y, idx), **kwargs
        )
        self.sample_indices_ = idx
        return self

    @property
    def classes_(self):
        """The classes of the model fitted on the kept rows (classifiers only).

        Returns
        -------
        classes : ndarray of shape (n_classes,)
            ``estimator_.classes_``.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> model = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
        >>> model.classes_.tolist()
        [0, 1]
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.classes_

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the model fitted on the kept rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any rows (none is removed).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> model = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
        >>> model.predict(X[:5]).tolist() == model.estimator_.predict(X[:5]).tolist()
        True
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the model fitted on the kept rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any rows (none is removed).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> model = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
        >>> import numpy as np
        >>> proba = model.predict_proba(X)
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
        ((200, 2), True)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the model fitted on the kept rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any rows (none is removed).

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> model = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
        >>> import numpy as np
        >>> log_proba = model.predict_log_proba(X)
        >>> bool(np.allclose(np.exp(log_proba), model.predict_proba(X)))
        True
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the model fitted on the kept rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any rows (none is removed).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> model = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
        >>> import numpy as np
        >>> positive = model.decision_function(X) > 0
        >>> bool(np.array_equal(positive, model.predict(X) == 1))
        True
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """Transform with the model fitted on the kept rows (every row passes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any rows (none is removed).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.preprocessing import StandardScaler
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> scaler = InfluencePrunedEstimator(StandardScaler()).fit(X, y)
        >>> len(scaler.sample_indices_) < len(X), scaler.transform(X).shape
        (True, (200, 20))
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.transform(X)

    @available_if(_estimator_has("set_output"))
    def set_output(self, *, transform=None):
        """Set the output container of the model's ``transform`` (and its clone's).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            As in scikit-learn's ``set_output``; ``None`` leaves it unchanged.

        Returns
        -------
        self : InfluencePrunedEstimator

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.preprocessing import StandardScaler
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> X = pd.DataFrame(X).add_prefix("f")
        >>> scaler = InfluencePrunedEstimator(StandardScaler())
        >>> out = scaler.set_output(transform="pandas").fit(X, y).transform(X)
        >>> type(out).__name__, out.columns[:2].tolist()
        ('DataFrame', ['f0', 'f1'])
        """
        # as scikit-learn's Pipeline does with its steps: the given model is set
        self.estimator.set_output(transform=transform)
        if hasattr(self, "estimator_"):
            self.estimator_.set_output(transform=transform)
        return self

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """The model's own ``score`` on ``X, y`` (every row).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            Accuracy for a classifier, R^2 for a regressor (the model's own).

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skinfluence import InfluencePrunedEstimator
        >>> X, y = make_classification(n_samples=200, flip_y=0.1, random_state=0)
        >>> model = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
        >>> model.score(X, y) == model.estimator_.score(X, y)
        True
        """
        check_is_fitted(self, "estimator_")
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self.estimator_.score(X, y, **kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags.required = True
        tags.input_tags.sparse = inner.input_tags.sparse  # the pruners accept CSR
        return tags
