"""Section 4: building better models by pruning (First et al. §5.4, Tables 3–4).

For two pairs of digits, the training rows kept by each of the paper's three
rules (:class:`~skinfluence.InfluencePruner`) and by the pruner's default
(each row judged by its leave-one-out prediction, confident-joint budget), the
model refitted on them and scored on the test images.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.metrics import log_loss

from .. import InfluencePruner, InfluenceWarning
from .data import image_data, logistic_regression

__all__ = ["pruning_experiment"]

RULE_NAMES = {
    "all_positive": "Only positive (all scores > 0)",
    "sum_positive": "Sum is positive",
    "not_all_negative": "Not all negative",
}
PRUNER = "InfluencePruner(cv=3, reference='representative')"
DEFAULT_NAME = "InfluencePruner() default (leave-one-out, expected held-out loss)"


def pruning_experiment(data="digits", pairs=((1, 7), (4, 9)), random_state=0):
    """Keep the rows that pass each rule, refit, score on the test images.

    Parameters
    ----------
    data : {"digits", "mnist", "mnist-openml"}, default="digits"
    pairs : sequence of (int, int), default=((1, 7), (4, 9))
        The binary problems.
    random_state : int, default=0

    Returns
    -------
    numbers : dict
        JSON-ready: one table per pair, whose first row is "All training rows"
        and then one row per rule (rows kept, test accuracy and log-loss;
        None when the kept rows hold a single class).
    drawings : dict
        Empty: this section has no figure.

    Examples
    --------
    >>> from skinfluence.report.pruning import pruning_experiment
    >>> numbers, _ = pruning_experiment(pairs=((1, 7),))
    >>> [r["heuristic"] for r in numbers["tables"][0]["rows"]][:2]
    ['All training rows', 'Only positive (all scores > 0)']
    """
    tables = []
    for pair in pairs:
        Xtr, ytr, Xte, yte, _ = image_data(data, pair, random_state)
        model = logistic_regression()
        kept = {"All training rows": np.arange(len(ytr))}
        for rule, name in RULE_NAMES.items():
            pruner = InfluencePruner(
                clone(model), cv=3, reference="representative", rule=rule
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InfluenceWarning)
                pruner.fit_resample(Xtr, ytr)
            kept[name] = np.asarray(pruner.sample_indices_)
        default = InfluencePruner()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InfluenceWarning)
            default.fit_resample(Xtr, ytr)
        kept[DEFAULT_NAME] = np.asarray(default.sample_indices_)
        rows = []
        for name, idx in kept.items():
            row = {"heuristic": name, "n_rows": int(len(idx))}
            if len(np.unique(ytr[idx])) < 2:
                row.update(accuracy=None, log_loss=None)
            else:
                m = clone(model).fit(Xtr[idx], ytr[idx])
                row.update(
                    accuracy=float(m.score(Xte, yte)),
                    log_loss=float(
                        log_loss(yte, m.predict_proba(Xte), labels=m.classes_)
                    ),
                )
            rows.append(row)
        tables.append(
            {"pair": list(pair), "n_test": int(len(yte)), "rows": rows, "impl": PRUNER}
        )
    return {"data": data, "tables": tables}, {}
