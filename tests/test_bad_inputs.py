"""The catalogue of bad inputs: each answered by a clear error (or warning) that
says what is wrong and what to do — never a wrong number, never modified input."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.utils._param_validation import InvalidParameterError

from skinfluence import (
    InfluenceExplainer,
    InfluencePruner,
    InfluenceWarning,
    SingularHessianError,
)

TIGHT = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)
RNG = np.random.RandomState(0)
X = RNG.standard_normal((60, 4))
Y_CLS = (X[:, 0] + 0.5 * RNG.standard_normal(60) > 0).astype(int)
Y_REG = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * RNG.standard_normal(60)


def _with(a, i, value):
    a = np.array(a, dtype=float)
    a.flat[i] = value
    return a


def _clf():
    return InfluenceExplainer(LogisticRegression(**TIGHT)).fit(X, Y_CLS)


def _reg():
    return InfluenceExplainer(Ridge()).fit(X, Y_REG)


def _fitted_on_other_data():
    est = LogisticRegression(**TIGHT).fit(X[:30], Y_CLS[:30])
    return InfluenceExplainer(est).fit(X, Y_CLS)


def _not_converged():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LogisticRegression(C=100.0, max_iter=1).fit(X, Y_CLS)
    return InfluenceExplainer(est).fit(X, Y_CLS)


def _fitted(est, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


CATALOGUE = {
    "nan in X": (lambda: InfluenceExplainer(LogisticRegression()).fit(_with(X, 3, np.nan), Y_CLS),
                 ValueError, "NaN"),
    "inf in X": (lambda: InfluenceExplainer(Ridge()).fit(_with(X, 3, np.inf), Y_REG),
                 ValueError, "infinity"),
    "nan in X_test": (lambda: _clf().influence(_with(X[:3], 0, np.nan), Y_CLS[:3]), ValueError, "NaN"),
    "nan in y": (lambda: InfluenceExplainer(Ridge()).fit(X, _with(Y_REG, 0, np.nan)), ValueError, "NaN"),
    "nan in y_test": (lambda: _reg().influence(X[:3], _with(Y_REG[:3], 0, np.nan)), ValueError, "NaN"),
    "nan in sample_weight": (lambda: _clf().fit(X, Y_CLS, sample_weight=_with(np.ones(60), 0, np.nan)),
                             ValueError, "NaN"),
    "inf in sample_weight": (lambda: _clf().fit(X, Y_CLS, sample_weight=_with(np.ones(60), 0, np.inf)),
                             ValueError, "infinity"),
    "negative sample_weight": (lambda: _clf().fit(X, Y_CLS, sample_weight=_with(np.ones(60), 0, -1)),
                               ValueError, "negative"),
    "all-zero sample_weight": (lambda: _clf().fit(X, Y_CLS, sample_weight=np.zeros(60)),
                               ValueError, "zero everywhere"),
    "sample_weight wrong length": (lambda: _clf().fit(X, Y_CLS, sample_weight=np.ones(59)),
                                   ValueError, r"shape \(60,\)"),
    "X and y lengths differ": (lambda: InfluenceExplainer(Ridge()).fit(X, Y_REG[:-1]), ValueError,
                               "60 rows but y has 59"),
    "X_test wrong feature count": (lambda: _clf().influence(X[:3, :2], Y_CLS[:3]), ValueError,
                                   "X_test has 2 features"),
    "X_test other feature names": (
        lambda: InfluenceExplainer(LogisticRegression(**TIGHT)).fit(
            pd.DataFrame(X, columns=list("abcd")), Y_CLS).influence(
            pd.DataFrame(X[:3], columns=list("abce")), Y_CLS[:3]),
        ValueError, "feature names"),
    "y_test unseen label": (lambda: _clf().influence(X[:2], [0, 5]), ValueError,
                            r"not fitted on: \[5\].*Known classes: \[0, 1\]"),
    "y_test wrong length": (lambda: _clf().influence(X[:3], Y_CLS[:2]), ValueError,
                            "X_test has 3 rows but y_test has 2"),
    "y_test wrong output count": (lambda: _reg().influence(X[:3], np.c_[Y_REG[:3], Y_REG[:3]]),
                                  ValueError, "2 output"),
    "1-D X": (lambda: InfluenceExplainer(Ridge()).fit(X[:, 0], Y_REG), ValueError, "2D array"),
    "empty X": (lambda: InfluenceExplainer(Ridge()).fit(X[:0], Y_REG[:0]), ValueError,
                "0 sample"),
    "used before fit": (lambda: InfluenceExplainer(Ridge()).self_influence(), NotFittedError,
                        "not fitted"),
    "unsupported estimator": (lambda: InfluenceExplainer(SVR()).fit(X, Y_REG), TypeError,
                              "SVR is not supported.*LogisticRegression.*Ridge"),
    "pipeline with unsupported last step": (
        lambda: InfluenceExplainer(make_pipeline(StandardScaler(), SVR())).fit(X, Y_REG),
        TypeError, "SVR is not supported.*Pipeline whose last step"),
    "not an estimator": (lambda: InfluenceExplainer("ridge").fit(X, Y_REG), TypeError,
                         "must be a scikit-learn estimator"),
    # L1 / elastic-net logistic models (binary and multinomial) are explained on
    # the active set: tests/test_l1.py, tests/test_l1_multinomial.py
    "liblinear": (lambda: InfluenceExplainer(_fitted(LogisticRegression(solver="liblinear"),
                                                     Y_CLS)).fit(X, Y_CLS), ValueError,
                  "penalises the intercept"),
    "positive=True": (lambda: InfluenceExplainer(Ridge(positive=True)).fit(X, Y_REG), ValueError,
                      "constrained"),
    "singular Hessian without damping": (
        lambda: InfluenceExplainer(LinearRegression()).fit(np.c_[X, X[:, 0]], Y_REG),
        SingularHessianError, "damping > 0"),
    "population mask of the wrong length": (
        lambda: _clf().population_influence(X[:2], Y_CLS[:2], np.ones(10, dtype=bool)),
        ValueError, r"shape \(60,\)"),
    "empty population": (lambda: _clf().population_influence(X[:2], Y_CLS[:2], np.array([], int)),
                         ValueError, "empty"),
    "population index out of range": (lambda: _clf().population_influence(X[:2], Y_CLS[:2], [3, 60]),
                                      ValueError, "outside"),
    "population lists a row twice": (lambda: _clf().population_influence(X[:2], Y_CLS[:2], [3, 3]),
                                     ValueError, "more than once"),
    "population of every row": (lambda: _clf().population_influence(X[:2], Y_CLS[:2], np.arange(60)),
                                ValueError, "every training row"),
    "population removing a whole class (refit)": (
        lambda: _clf().retrain_effect(X[:2], Y_CLS[:2], np.flatnonzero(Y_CLS == 1)),
        ValueError, "no row of class"),
    "k larger than n_train": (lambda: _clf().top_influences(X[:2], Y_CLS[:2], k=61), ValueError,
                              r"k must be an integer in \[1, n_train=60\]"),
    "unknown target": (lambda: _clf().influence(X[:2], Y_CLS[:2], target="accuracy"), ValueError,
                       "target='accuracy' is not supported"),
    "proba of a model without predict_proba": (
        lambda: _reg().influence(X[:2], Y_REG[:2], target="proba"), ValueError, "predict_proba"),
    "prediction of a multi-output regressor": (
        lambda: InfluenceExplainer(Ridge()).fit(X, np.c_[Y_REG, Y_REG]).influence(
            X[:2], np.c_[Y_REG, Y_REG][:2], target="prediction"), ValueError, "single-output"),
    "pruner fold lacking a class": (
        lambda: InfluencePruner(cv=KFold(3), reference="representative").fit_resample(
            X, np.repeat([0, 1, 2], 20)),
        ValueError, r"fold 0 lack class\(es\) \[0\].*stratified folds"),
    "unknown method": (lambda: InfluenceExplainer(Ridge(), method="exact").fit(X, Y_REG),
                       InvalidParameterError, "method"),
    "negative damping": (lambda: InfluenceExplainer(Ridge(), damping=-1.0).fit(X, Y_REG),
                         InvalidParameterError, "damping"),
    "unknown solver": (lambda: InfluenceExplainer(Ridge(), solver="qr").fit(X, Y_REG),
                       InvalidParameterError, "solver"),
}

WARNINGS = {
    "model fitted on other data": (_fitted_on_other_data, r"\|\|grad F\(theta\)\|\| = [0-9.e+-]+"),
    "non-converged model": (_not_converged, "not at an optimum.*max_iter"),
}


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_bad_input_gets_a_clear_error(case):
    call, error, match = CATALOGUE[case]
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_suspect_model_gets_a_warning_with_the_gradient_norm(case):
    call, match = WARNINGS[case]
    with pytest.warns(InfluenceWarning, match=match):
        ex = call()
    assert ex.relative_gradient_norm_ > 1.0


def test_inputs_are_never_modified():
    Xc, yc, sw = X.copy(), Y_CLS.copy(), np.linspace(0.5, 2, 60)
    swc = sw.copy()
    df = pd.DataFrame(X, columns=list("abcd"))
    dfc = df.copy()
    for method in ("first_order", "newton"):
        ex = InfluenceExplainer(LogisticRegression(**TIGHT), method=method).fit(X, Y_CLS, sample_weight=sw)
        ex.influence(X[:5], Y_CLS[:5])
        ex.population_influence(X[:5], Y_CLS[:5], [np.arange(5), np.arange(5, 9)])
        ex.retrain_effect(X[:5], Y_CLS[:5], np.arange(5))
        ex.self_influence()
        ex.params_influence()
        ex.top_influences(X[:5], Y_CLS[:5], k=3)
        InfluenceExplainer(make_pipeline(StandardScaler(), Ridge()), method=method).fit(df, Y_REG)
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(Y_CLS, yc)
    np.testing.assert_array_equal(sw, swc)
    pd.testing.assert_frame_equal(df, dfc)


@pytest.mark.filterwarnings("ignore::skinfluence.exceptions.InfluenceWarning")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("loss, has", [("modified_huber", "one of another form"),
                                       ("squared_hinge", "none")])
def test_proba_target_names_the_models_that_have_it(breast_cancer, loss, has):
    """SGDClassifier(loss='modified_huber') has a predict_proba (a clipped linear
    map of the decision), which the proba target does not model: the error says so
    rather than claiming it has none."""
    from sklearn.linear_model import SGDClassifier

    X, y, Xt, yt = breast_cancer
    est = SGDClassifier(loss=loss, alpha=0.01, random_state=0).fit(X, y)
    ex = InfluenceExplainer(est).fit(X, y)
    with pytest.raises(ValueError, match=rf"loss='{loss}'\) has {has}.*'loss' or"):
        ex.influence(Xt, yt, target="proba")
