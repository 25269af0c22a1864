"""Row-removing steps in pipelines, cross-validation and grid search."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler

from skinfluence import (
    InfluenceOutlierRemover,
    InfluencePrunedEstimator,
    InfluencePruner,
)
from skinfluence.pipeline import Pipeline, make_pipeline
from skinfluence.resampling.scorer import default_scorer


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.RandomState(0)
    rows = rng.permutation(len(y))[:240]
    X, y = X[rows], y[rows]
    y = np.where(rng.rand(len(y)) < 0.1, 1 - y, y)  # some label noise to prune
    return X[:180], y[:180], X[180:], y[180:]


def _pipe(**prune):
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("prune", InfluencePruner(**prune)),
            ("clf", LogisticRegression()),
        ]
    )


def test_pipeline_fits_on_kept_rows_and_predicts_every_row(data):
    X, y, Xt, yt = data
    pipe = _pipe(fraction=0.1).fit(X, y)
    kept = pipe.named_steps["prune"].sample_indices_
    assert len(kept) == 162
    scaled = StandardScaler().fit(X)
    direct = LogisticRegression().fit(scaled.transform(X)[kept], y[kept])
    np.testing.assert_allclose(pipe.named_steps["clf"].coef_, direct.coef_, rtol=1e-6)
    assert pipe.predict(Xt).shape == (len(Xt),)
    assert pipe.predict_proba(Xt).shape == (len(Xt), 2)
    assert 0.8 < pipe.score(Xt, yt) <= 1.0
    assert make_pipeline(StandardScaler(), InfluencePruner(), LogisticRegression()).fit(
        X, y
    ).predict(Xt).shape == (len(Xt),)


def test_regression_pipeline_with_outlier_remover():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 10, (150, 1))
    y = 3 * X[:, 0] + rng.normal(size=150)
    y[:8] += 30
    pipe = make_pipeline(InfluenceOutlierRemover(), Ridge()).fit(X, y)
    assert set(range(8)) <= set(np.flatnonzero(~pipe[0].inlier_mask_))
    assert abs(pipe[-1].coef_[0] - 3) < 0.1, pipe[-1].coef_
    assert pipe.predict(X).shape == (150,)
    scores = cross_val_score(
        make_pipeline(InfluencePruner(), Ridge()), X, y, cv=KFold(3)
    )
    assert scores.shape == (3,)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_cross_val_score(data, n_jobs):
    X, y, _, _ = data
    scores = cross_val_score(_pipe(), X, y, cv=StratifiedKFold(3), n_jobs=n_jobs)
    assert scores.shape == (3,) and np.all(scores > 0.7), scores


def test_grid_search_over_pruning_and_model_same_with_1_and_2_jobs(data):
    X, y, Xt, yt = data
    grid = {"prune__fraction": [0.0, 0.05, 0.1], "clf__C": [0.1, 1.0]}
    results = []
    for n_jobs in (1, 2):
        search = GridSearchCV(_pipe(), grid, cv=StratifiedKFold(3), n_jobs=n_jobs).fit(
            X, y
        )
        results.append(search)
        assert search.predict(Xt).shape == (len(Xt),)
    a, b = results
    np.testing.assert_allclose(
        a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"]
    )
    assert a.best_params_ == b.best_params_
    assert len(a.cv_results_["params"]) == 6


def test_grid_search_meta_estimator(data):
    X, y, Xt, _ = data
    model = sk_make_pipeline(
        StandardScaler(), InfluencePrunedEstimator(LogisticRegression())
    )
    grid = {
        "influenceprunedestimator__pruner": [
            InfluencePruner(fraction=0.05),
            InfluencePruner(),
        ],
        "influenceprunedestimator__estimator__C": [0.1, 1.0],
    }
    search = GridSearchCV(model, grid, cv=StratifiedKFold(3)).fit(X, y)
    assert search.predict(Xt).shape == (len(Xt),)


def test_clone_and_pickle_round_trip(data):
    X, y, Xt, _ = data
    pipe = _pipe(fraction=0.1)
    c = clone(pipe)
    assert c.get_params()["prune__fraction"] == 0.1 and c is not pipe
    fitted = pipe.fit(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(Xt), fitted.predict_proba(Xt))
    np.testing.assert_array_equal(
        again.named_steps["prune"].sample_indices_,
        fitted.named_steps["prune"].sample_indices_,
    )
    Xs = StandardScaler().fit_transform(X)
    for est in (
        InfluenceOutlierRemover(contamination=0.05).fit(Xs, y),
        InfluencePrunedEstimator(LogisticRegression()).fit(Xs, y),
    ):
        back = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(back.sample_indices_, est.sample_indices_)


@pytest.mark.parametrize("step", [InfluencePruner(), InfluenceOutlierRemover()])
def test_sklearn_pipeline_refuses_the_step_and_the_class_repr_is_plain(data, step):
    """scikit-learn's Pipeline cannot drop rows (its own TypeError); the class repr
    stays the class's name (the fix is named in the docs)."""
    X, y, _, _ = data
    pipe = SkPipeline([("prune", step), ("clf", LogisticRegression())])
    with pytest.raises(TypeError, match="transform"):
        pipe.fit(X, y)
    cls = type(step)
    assert repr(cls) == f"<class '{cls.__module__}.{cls.__qualname__}'>", repr(cls)
    assert type(cls) is type


def test_meta_estimator_in_sklearn_pipeline_with_sample_weight(data):
    X, y, Xt, yt = data
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    pruner = InfluencePruner(fraction=0.1)
    pipe = SkPipeline(
        [
            ("scale", StandardScaler()),
            ("model", InfluencePrunedEstimator(LogisticRegression(), pruner=pruner)),
        ]
    )
    pipe.fit(X, y, model__sample_weight=w)
    model = pipe.named_steps["model"]
    Xs = StandardScaler().fit_transform(X)
    kept = InfluencePruner(fraction=0.1).fit(Xs, y, sample_weight=w).sample_indices_
    np.testing.assert_array_equal(model.sample_indices_, kept)
    direct = LogisticRegression().fit(Xs[kept], y[kept], sample_weight=w[kept])
    np.testing.assert_allclose(model.estimator_.coef_, direct.coef_, rtol=1e-6)
    assert pipe.predict(Xt).shape == (len(Xt),)
    np.testing.assert_array_equal(model.classes_, [0, 1])
    for method in ("predict_proba", "decision_function", "predict_log_proba"):
        np.testing.assert_allclose(
            getattr(pipe, method)(Xt), getattr(direct, method)(pipe[0].transform(Xt))
        )
    assert pipe.score(Xt, yt) == direct.score(pipe[0].transform(Xt), yt)
    assert not hasattr(InfluencePrunedEstimator(Ridge()), "predict_proba")


def test_step_sample_weight_reaches_the_row_removing_step(data):
    """``prune__sample_weight`` was dropped silently by imbalanced-learn's Pipeline
    (without metadata routing it passes step parameters to ``fit`` only): the
    pruner must choose its rows with the weights, as when fitted directly."""
    X, y, _, _ = data
    w = np.ones(len(y))
    w[:90] = 0.0  # the first half does not count
    clf = sk_make_pipeline(StandardScaler(), LogisticRegression())
    pipe = Pipeline([("prune", InfluencePruner()), ("clf", clf)])
    pipe.fit(X, y, prune__sample_weight=w)
    weighted = InfluencePruner().fit(X, y, sample_weight=w).sample_indices_
    unweighted = InfluencePruner().fit(X, y).sample_indices_
    assert not np.array_equal(weighted, unweighted)  # the weights matter here
    np.testing.assert_array_equal(pipe.named_steps["prune"].sample_indices_, weighted)
    made = make_pipeline(InfluenceOutlierRemover(), Ridge())
    yr = X[:, 0] + np.random.RandomState(2).normal(size=len(y))
    made.fit(X, yr, influenceoutlierremover__sample_weight=w)
    direct = InfluenceOutlierRemover().fit(X, yr, sample_weight=w)
    np.testing.assert_allclose(made[0].self_influence_, direct.self_influence_)


def test_meta_estimator_of_a_transformer_takes_set_output(data):
    """``InfluencePrunedEstimator(StandardScaler())`` has ``transform``, so
    scikit-learn's ``Pipeline.set_output`` asks it for ``set_output`` (was
    refused: "Unable to configure output ... `set_output` is not available")."""
    pd = pytest.importorskip("pandas")
    X, y, Xt, _ = data
    columns = [f"f{i}" for i in range(X.shape[1])]
    Xd, Xtd = pd.DataFrame(X, columns=columns), pd.DataFrame(Xt, columns=columns)
    scaler = InfluencePrunedEstimator(StandardScaler(), InfluencePruner(fraction=0.1))
    pipe = SkPipeline([("scale", scaler), ("clf", LogisticRegression())])
    pipe.set_output(transform="pandas").fit(Xd, y)
    kept = pipe[0].sample_indices_
    out = pipe[0].transform(Xtd)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == columns
    direct = StandardScaler().fit(X[kept]).transform(Xt)
    np.testing.assert_allclose(out.to_numpy(), direct)
    assert not hasattr(InfluencePrunedEstimator(LogisticRegression()), "set_output")


def test_meta_estimator_of_a_regressor_scores_the_target_as_continuous():
    """The meta-estimator sees its model: with a regressor the default pruner
    scores y as a continuous quantity. Ratings 1-5 stored as floats (few distinct
    values) were scored as 5 classes by a logistic model, and a fifth of the rows
    went as "label issues"."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    y = np.clip(np.round(3 + X @ [1.0, 0.5, 0, 0] + 0.5 * rng.normal(size=300)), 1, 5)
    gross = np.flatnonzero(X @ [1.0, 0.5, 0, 0] < -1.5)[:3]
    y[gross] = 5.0  # gross errors: the others' model predicts about 1
    model = InfluencePrunedEstimator(Ridge()).fit(X, y)
    assert not hasattr(model.pruner_, "classes_"), "scored as classes"
    direct = InfluencePruner(default_scorer(is_classification=False)).fit(X, y)
    np.testing.assert_array_equal(model.sample_indices_, direct.sample_indices_)
    removed = np.setdiff1d(np.arange(len(y)), model.sample_indices_)
    assert set(gross) <= set(removed) and len(removed) <= 6, removed
    # a classifier still reads the same values as classes
    clf = InfluencePrunedEstimator(LogisticRegression()).fit(X, y)
    np.testing.assert_array_equal(clf.pruner_.classes_, [1.0, 2.0, 3.0, 4.0, 5.0])


@pytest.mark.parametrize("step", [InfluencePruner(), InfluenceOutlierRemover()])
@pytest.mark.filterwarnings("ignore:A column-vector y was passed")  # scikit-learn's
def test_several_outputs_are_refused_by_name(step):
    """The row-removing steps score one target: two outputs get an error that
    says so (it was scikit-learn's "y should be a 1d array"), through the
    meta-estimator too; a column vector still works."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = np.column_stack([X @ [1.0, 2.0, 0.0], X @ [0.0, 1.0, -1.0]])
    with pytest.raises(ValueError, match=r"one target .* shape \(40, 2\)"):
        clone(step).fit(X, Y)
    with pytest.raises(ValueError, match=r"one target"):
        InfluencePrunedEstimator(Ridge(), pruner=clone(step)).fit(X, Y)
    kept = clone(step).fit(X, Y[:, :1] + 0.1 * rng.normal(size=(40, 1)))
    assert kept.sample_indices_.size > 0
