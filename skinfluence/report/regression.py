"""Section 2: influence in regression and outlier removal (First et al. §5.2, Figs 3–4).

A Ridge line through generated points with gross outliers: the training rows'
influence on three test points, then the outliers found by self-influence
(:class:`~skinfluence.InfluenceOutlierRemover`) and the line refitted without
them.
"""

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.linear_model import HuberRegressor, Ridge

from .. import InfluenceExplainer, InfluenceOutlierRemover
from .data import make_regression_with_outliers

__all__ = ["regression_experiment"]

#: The three test points of Fig 3: (x, distance above the true line, where).
TEST_POINTS = (
    (2.0, 3.0, "left, above the line"),
    (5.0, 0.0, "middle, on the true line"),
    (8.5, -3.0, "right, below the line"),
)


def regression_experiment(random_state=0, n_samples=150):
    """Influence on three test points; outlier removal by self-influence.

    Parameters
    ----------
    random_state : int, default=0
        Seed of the generated data and of the clean points the lines are
        scored on.
    n_samples : int, default=150

    Returns
    -------
    numbers : dict
        JSON-ready: outliers flagged, threshold, score ranges, the fitted
        lines with their RMSE on new clean points (``lines``), each test
        point's outliers' share of the absolute influence (``fig3``).
    drawings : dict
        What the figures need: the rows, their influences and self-influence,
        the fitted models.

    Examples
    --------
    >>> from skinfluence.report.regression import regression_experiment
    >>> numbers, _ = regression_experiment()
    >>> numbers["n_true_flagged"] <= numbers["n_outliers"]
    True
    """
    X, y, is_out, (b_true, w_true) = make_regression_with_outliers(
        n_samples, random_state=random_state
    )
    model = Ridge(alpha=1.0).fit(X, y)
    ex = InfluenceExplainer(model).fit(X, y)

    points, influences = [], []
    for x_test, offset, where in TEST_POINTS:
        y_test = b_true + w_true * x_test + offset
        inf = ex.influence([[x_test]], [y_test])[0]
        influences.append(inf)
        points.append(
            {
                "where": where,
                "x": x_test,
                "y": y_test,
                "outlier_share_of_abs_influence": float(
                    np.abs(inf[is_out]).sum() / np.abs(inf).sum()
                ),
            }
        )

    remover = InfluenceOutlierRemover(clone(model), threshold="auto").fit(X, y)
    threshold, scores = float(remover.threshold_), remover.self_influence_
    inlier = np.asarray(remover.inlier_mask_, dtype=bool)
    robust = clone(model).fit(X[inlier], y[inlier])
    fits = [
        ("Ridge on all rows", model),
        ("Ridge without flagged rows", robust),
        (
            "Ridge without the generated outliers (oracle)",
            clone(model).fit(X[~is_out], y[~is_out]),
        ),
        ("HuberRegressor (for comparison)", HuberRegressor().fit(X, y)),
    ]
    rng = np.random.RandomState(random_state + 1)
    x_new = rng.uniform(0, 10, 1000)[:, None]
    y_new = b_true + w_true * x_new[:, 0] + rng.normal(0, 1, 1000)
    lines = [{"model": "true line", "intercept": b_true, "slope": w_true, "rmse": None}]
    for name, m in fits:
        lines.append(
            {
                "model": name,
                "intercept": float(m.intercept_),
                "slope": float(m.coef_[0]),
                "rmse": float(np.sqrt(np.mean((m.predict(x_new) - y_new) ** 2))),
            }
        )
    abs_err = np.abs(y - model.predict(X))
    flagged = ~inlier
    numbers = {
        "n_train": int(len(y)),
        "n_outliers": int(is_out.sum()),
        "threshold": threshold,
        "threshold_rule": getattr(remover, "threshold_rule_", "auto"),
        "impl": "InfluenceOutlierRemover(threshold='auto')",
        "n_flagged": int(flagged.sum()),
        "n_true_flagged": int((flagged & is_out).sum()),
        "score_range": (float(scores[scores > 0].min()), float(scores.max())),
        "max_ordinary_score": float(scores[~is_out].max()),
        "min_outlier_score": float(scores[is_out].min()),
        "lines": lines,
        "fig3": points,
        "spearman_error_vs_self_influence": float(spearmanr(abs_err, scores)[0]),
    }
    drawings = {
        "X": X,
        "y": y,
        "is_outlier": is_out,
        "true_line": (b_true, w_true),
        "influences": influences,
        "model": model,
        "robust": robust,
        "self_influence": scores,
        "threshold": threshold,
        "inlier": inlier,
        "abs_error": abs_err,
    }
    return numbers, drawings
