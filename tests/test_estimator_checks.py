"""scikit-learn's estimator checks for the row-removing steps and the meta-estimator."""

from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from skinfluence import (
    InfluenceOutlierRemover,
    InfluencePrunedEstimator,
    InfluencePruner,
)

ESTIMATORS = [
    InfluencePruner(),
    InfluencePruner(reference="validation", fraction=0.1),
    InfluenceOutlierRemover(),
    InfluenceOutlierRemover(contamination=0.1, method="newton"),
    InfluencePrunedEstimator(LogisticRegression(solver="newton-cholesky")),
    InfluencePrunedEstimator(Ridge(), pruner=InfluenceOutlierRemover()),
]


WEIGHTS_ARE_NOT_REPEATS = (
    "A row of weight 2 is one row: removing it removes both units of weight, while "
    "of two repeated rows each is scored and removed on its own (leave-one-out "
    "leaves its twin in), so the rows kept differ by design."
)


def expected_failed_checks(estimator):
    if isinstance(estimator, InfluencePruner):  # no predictions to compare
        return {}
    step = getattr(estimator, "pruner", estimator)
    if isinstance(estimator, InfluencePrunedEstimator) and step is None:
        step = InfluencePruner()
    removes_single_rows = isinstance(step, InfluenceOutlierRemover) or (
        isinstance(step, InfluencePruner) and step.reference == "leave_one_out"
    )
    if removes_single_rows:
        return {
            "check_sample_weight_equivalence_on_dense_data": WEIGHTS_ARE_NOT_REPEATS,
            "check_sample_weight_equivalence_on_sparse_data": WEIGHTS_ARE_NOT_REPEATS,
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
