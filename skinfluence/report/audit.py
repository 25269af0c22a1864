"""``skinfluence audit``: which rows of a user's table hurt, help, or stand out.

Reads the table, preprocesses it (:mod:`~skinfluence.report.audit_table`),
fits a linear model on a training split and writes an HTML report with its
tables as CSV beside it: the training rows that most hurt and most help the
test split's mean loss, the rows with the largest self-influence (outliers),
and (``find_label_issues``) the ranked
suspect labels.
"""

import html
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split

from .. import InfluenceExplainer, InfluenceWarning, find_label_issues
from .audit_resampling import MAX_CV_ROWS, resampling_effects
from .audit_table import (
    DEFAULT_MEMORY_BUDGET_MB,
    TableError,
    check_memory,
    make_preprocessor,
    read_table,
    task_of,
)
from .render import LIST_ITEM, PARAGRAPH, cell, effect, fixed, render, table

__all__ = ["run_audit"]

#: Test rows whose mean loss the training rows are ranked by (a sample beyond).
MAX_TEST_ROWS = 2000


def _model(task):
    if task == "classification":
        return LogisticRegression(C=1.0, solver="newton-cg", tol=1e-8, max_iter=1000)
    return Ridge(alpha=1.0)


def _progress(quiet, start):
    """``say(message)``: one stderr line per step, stamped with the time so far."""
    if quiet:
        return lambda message: None

    def say(message):
        elapsed = time.perf_counter() - start
        print(f"[{elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)

    return say


def _suspects(X, y, model, index):
    """The ranked suspect labels (:func:`skinfluence.find_label_issues`).

    The design goes in as a DataFrame indexed like the table, so that
    ``as_frame=True`` labels the rows as the table does.
    """
    import pandas as pd

    design = pd.DataFrame(X, index=index)
    # classes: the pruner's evidence-chosen default scorer (docs/pruning.md)
    scorer = None if is_classifier(model) else model
    found = find_label_issues(design, y, estimator=scorer, as_frame=True)
    found = pd.DataFrame(found).drop(columns="index")
    found.insert(0, "row", found.index)
    return found.reset_index(drop=True)


def _rows_frame(index, X, y, score, name, order):
    frame = X.iloc[order].copy()
    frame.insert(0, "given target", np.asarray(y)[order])
    frame.insert(0, name, score[order])
    frame.insert(0, "row", np.asarray(index)[order])
    return frame.reset_index(drop=True)


def _value(v):
    """A table value as text: numbers to four significant figures."""
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else f"{v:.4g}"
    return str(v)


def _html_table(frame, score_column, signed=True, k=10):
    """The first ``k`` rows: row label, score, given target, up to 5 columns."""
    head = frame.head(k).iloc[:, :8]
    rows = [
        [
            cell(v, "effect" if signed else "sig3")
            if c == score_column
            else cell(_value(v))
            for c, v in zip(head.columns, r)
        ]
        for r in head.itertuples(index=False)
    ]
    return table([str(c) for c in head.columns], rows)


def _population(explainer, X_train, D_train, y_train, expression, X_test, y_test):
    """Predicted and refitted effect of removing the rows ``expression`` selects.

    All on the mean loss over the test rows (positive: the rows help). First
    order under-estimates the effect of removing a large group (Koh et al.,
    2019), so the Newton step, which takes the group's own curvature out of
    the Hessian, is given too.
    """
    try:
        mask = np.asarray(X_train.eval(expression), dtype=bool)
    except Exception as exc:  # pandas raises many kinds for a bad expression
        raise TableError(
            f"--population {expression!r} is not a condition on the table's columns "
            f"({type(exc).__name__}: {exc}). Example: --population \"city == 'north'\"."
        ) from exc
    if mask.shape != (len(X_train),) or not mask.any() or mask.all():
        raise TableError(
            f"--population {expression!r} selects {int(mask.sum())} of the "
            f"{len(X_train)} training rows; it must select some but not all."
        )
    predicted = explainer.population_influence(X_test, y_test, mask).mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)
        newton = clone(explainer).set_params(method="newton")
        newton.fit(D_train, y_train)
        refitted = explainer.retrain_effect(X_test, y_test, mask).mean()
    return {
        "expression": expression,
        "n_rows": int(mask.sum()),
        "predicted": float(predicted),
        "predicted_newton": float(
            newton.population_influence(X_test, y_test, mask).mean()
        ),
        "refitted": float(refitted),
    }


def _population_html(pop):
    if pop is None:
        return PARAGRAPH.substitute(
            text='No population was given (<code>--population "COLUMN == value"'
            "</code> checks a group of rows by one refit)."
        )
    def has_sign(key):
        return "has" if np.sign(pop[key]) == np.sign(pop["refitted"]) else (
            "<strong>does not have</strong>"
        )

    verdict = "helps" if pop["refitted"] > 0 else "hurts"
    text = (
        f"The {pop['n_rows']} training rows where <code>"
        f"{html.escape(pop['expression'])}</code>, removed together: predicted "
        f"influence on the mean held-out loss {effect(pop['predicted'])} at first "
        f"order, {effect(pop['predicted_newton'])} by the Newton step; measured by "
        f"refitting without them {effect(pop['refitted'])}, so the group "
        f"{verdict} the model. First order {has_sign('predicted')} the refit's "
        f"sign, the Newton step {has_sign('predicted_newton')}. First order is "
        "linear in the removed rows and under-estimates the effect of removing "
        "many at once (Koh et al., 2019); the Newton step, which takes the group's "
        "own curvature out of the Hessian, is the one to trust for large groups."
    )
    return PARAGRAPH.substitute(text=text)


def _resampling_html(rows):
    base = rows[0]
    cells = [
        [
            cell(r["candidate"]),
            cell(r["mean"], "sig3"),
            cell(r["std"], "sig3"),
            cell(r["mean"] - base["mean"], "effect"),
        ]
        for r in rows
    ]
    cut = base["mean"] - base["std"]
    better = [r["candidate"] for r in rows[1:] if r["mean"] < cut]
    verdict = (
        "Removing rows lowers the cross-validated "
        f"{base['metric']} by more than one fold-to-fold standard deviation with "
        + ", ".join(better)
        + "."
        if better
        else "No removal beats keeping every row by more than the fold-to-fold "
        "spread: removing rows is not worth it for this table."
    )
    text = (
        f"{len(rows) - 1} ways of removing training rows against keeping them all: "
        f"{base['metric']} over 3 cross-validation folds of {base['n_rows']} "
        f"training rows, the removal refitted inside each fold (lower is better). "
        + verdict
    )
    headers = [
        "Training rows",
        f"{base['metric']} (mean)",
        "standard deviation",
        "change against every row",
    ]
    return PARAGRAPH.substitute(text=text) + table(headers, cells)


def run_audit(
    table_path,
    target,
    *,
    model="auto",
    test_size=0.2,
    out="skinfluence-audit",
    max_categories=20,
    memory_budget=DEFAULT_MEMORY_BUDGET_MB,
    population=None,
    random_state=0,
    quiet=False,
):
    """Audit a table: harmful and helpful rows, outliers, suspect labels.

    Parameters
    ----------
    table_path : str or path-like
        A CSV or Parquet file.
    target : str
        The column to predict.
    model : {"auto", "logistic", "ridge"}, default="auto"
        ``"auto"`` picks logistic regression for a class-like target, Ridge
        otherwise (see :func:`~skinfluence.report.audit_table.task_of`).
    test_size : float, default=0.2
        Share of the rows held out; their mean loss ranks the training rows.
    out : str or path, default="skinfluence-audit"
        Folder for ``index.html`` and the CSV tables.
    max_categories : int, default=20
        One-hot levels per categorical column.
    memory_budget : float, default=2048
        Megabytes the design and its Hessian may take.
    population : str, default=None
        A condition on the table's columns, the target included
        (:meth:`pandas.DataFrame.eval`, e.g. ``"city == 'north'"``): the
        training rows it selects are removed
        together, their predicted influence checked by one refit.
    random_state : int, default=0
    quiet : bool, default=False
        No progress lines on stderr.

    Returns
    -------
    path : pathlib.Path
        The report's ``index.html``.

    Raises
    ------
    TableError
        When the table cannot be audited (the message says why).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, pandas as pd
    >>> from skinfluence.report.audit import run_audit
    >>> rng = np.random.RandomState(0)
    >>> t = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b"], 200)})
    >>> t["y"] = (t.x + (t.c == "a") + rng.normal(size=200) > 0.5).astype(int)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     t.to_csv(pathlib.Path(d) / "t.csv", index=False)
    ...     path = run_audit(pathlib.Path(d) / "t.csv", "y", out=pathlib.Path(d) / "a",
    ...                      quiet=True)
    ...     sorted(p.name for p in path.parent.glob("*.csv"))
    ['harmful_helpful.csv', 'outliers.csv', 'resampling.csv', 'suspects.csv']
    """
    start = time.perf_counter()
    say = _progress(quiet, start)
    say(f"skinfluence audit: reading {table_path} ...")
    X, y, n_dropped = read_table(table_path, target)
    task = task_of(y, model)
    stratify = y if task == "classification" and y.value_counts().min() >= 2 else None
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=test_size, random_state=random_state, stratify=stratify
        )
    except ValueError as exc:  # test_size out of (0, 1), or too few rows for it
        raise TableError(
            f"Cannot hold out test_size={test_size} of the {len(y)} rows: {exc}"
        ) from exc
    say(f"  preprocessing {len(X)} rows x {X.shape[1]} columns ...")
    pre, steps = make_preprocessor(X_tr, max_categories=max_categories)
    D_tr = pre.fit_transform(X_tr)
    n_outputs = y.nunique() if task == "classification" and y.nunique() > 2 else 1
    check_memory(len(D_tr), (D_tr.shape[1] + 1) * n_outputs, memory_budget)
    D_te = pre.transform(X_te)
    Y_tr = y_tr.to_numpy() if task == "classification" else y_tr.to_numpy(float)
    Y_te = y_te.to_numpy() if task == "classification" else y_te.to_numpy(float)
    if task == "classification":
        unseen = ~np.isin(Y_te, np.unique(Y_tr))
        D_te, Y_te = D_te[~unseen], Y_te[~unseen]
    say(f"  fitting {task} on {len(Y_tr)} rows x {D_tr.shape[1]} columns ...")
    estimator = _model(task).fit(D_tr, Y_tr)
    score = float(estimator.score(D_te, Y_te))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfluenceWarning)
        explainer = InfluenceExplainer(estimator).fit(D_tr, Y_tr)
    rng = np.random.RandomState(random_state)
    sample = np.sort(rng.permutation(len(Y_te))[:MAX_TEST_ROWS])
    say(f"  influence on the mean loss of {len(sample)} test rows ...")
    mean_inf = explainer.mean_influence(D_te[sample], Y_te[sample])
    say("  self-influence of every training row ...")
    self_inf = explainer.self_influence()
    order = np.argsort(mean_inf)
    ranked = _rows_frame(X_tr.index, X_tr, Y_tr, mean_inf, "influence", order)
    outliers = _rows_frame(
        X_tr.index, X_tr, Y_tr, self_inf, "self-influence", np.argsort(-self_inf)
    )
    say("  suspect labels (cross-validated influence) ...")
    suspects = _suspects(D_tr, Y_tr, _model(task), X_tr.index)
    say(f"  cross-validating removal of rows on {min(len(Y_tr), MAX_CV_ROWS)} rows ...")
    resampling = resampling_effects(
        _model(task), D_tr, Y_tr, task, random_state=random_state
    )
    pop = None
    if population is not None:
        say(f"  population {population!r}: predicted and refitted ...")
        table_tr = X_tr.assign(**{target: y_tr})  # the condition may name the target
        pop = _population(
            explainer, table_tr, D_tr, Y_tr, population, D_te[sample], Y_te[sample]
        )

    say("  writing the report ...")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ranked.to_csv(out / "harmful_helpful.csv", index=False)
    outliers.to_csv(out / "outliers.csv", index=False)
    suspects.to_csv(out / "suspects.csv", index=False)
    import pandas as pd

    pd.DataFrame(resampling).to_csv(out / "resampling.csv", index=False)
    if pop is not None:
        pd.DataFrame([pop]).to_csv(out / "population.csv", index=False)
    helpful = ranked.iloc[::-1].reset_index(drop=True)
    page = render(
        "audit.html",
        table=Path(table_path).name,
        target=target,
        n_rows=len(y),
        n_dropped=n_dropped,
        task=task,
        model=type(estimator).__name__,
        n_train=len(Y_tr),
        n_test=len(Y_te),
        n_sample=len(sample),
        metric="accuracy" if task == "classification" else "R²",
        score=fixed(score),
        steps="".join(LIST_ITEM.substitute(text=s) for s in steps),
        n_columns=D_tr.shape[1],
        harmful=_html_table(ranked, "influence"),
        helpful=_html_table(helpful, "influence"),
        outliers=_html_table(outliers, "self-influence", signed=False),
        suspects=table(
            [str(c) for c in suspects.columns],
            [[cell(_value(v)) for v in r] for r in suspects.head(10).itertuples(False)],
        ),
        population=_population_html(pop),
        resampling=_resampling_html(resampling),
        elapsed=f"{time.perf_counter() - start:.1f}",
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    say(f"  report written to {path.resolve()}")
    return path
