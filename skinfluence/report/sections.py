"""Each section's HTML: its numbers turned into the fields of its template.

The prose lives in ``templates/<section>.html``; here are the tables and the
few sentences whose wording depends on the numbers (a sign, a majority, a
verdict), so that the text always says what the numbers show.
"""

from .population_text import population_fields
from .render import HEADED_TABLE, PARAGRAPH, cell, figures_html, fixed, render, share
from .render import table as make_table

__all__ = ["TITLES", "section_html"]

TITLES = {
    "population": "1. Influence of populations (paper §5.1, Tables 1–2)",
    "regression": "2. Influence in regression and outlier removal (§5.2, Figs 3–4)",
    "multiclass": "3. Multi-class influence against distance (§5.3, Figs 5–7)",
    "pruning": "4. Building better models by pruning (§5.4, Tables 3–4)",
}
def _regression_fields(res):
    """The regression template's fields."""
    lines = {r["model"]: r for r in res["lines"]}
    rows = [
        [
            cell(r["model"]),
            cell(r["intercept"], "coef"),
            cell(r["slope"], "coef"),
            cell(r["rmse"], "coef"),
        ]
        for r in res["lines"]
    ]
    n_flagged = res["n_flagged"]
    missed = res["n_outliers"] - res["n_true_flagged"]
    low, high = res["max_ordinary_score"], res["min_outlier_score"]
    if missed == 0 and n_flagged == res["n_outliers"]:
        verdict = "The cut separates exactly the outliers, as in the paper's Fig 4."
    elif high > low:
        verdict = (
            f"The automatic cut missed {missed} outlier(s) although a threshold "
            f"between {low:.3g} and {high:.3g} would separate them all: the valley "
            "between the two modes is shallow next to the spread of the ordinary "
            "rows' scores. A threshold read off the histogram, or "
            "<code>contamination=</code>, does better here; the paper, too, picked "
            "its threshold from the histogram by eye."
        )
    else:
        verdict = (
            f"{missed} generated outlier(s) were not flagged: they score no higher "
            "than some ordinary rows, so no threshold could separate them."
        )
    return {
        "n_train": res["n_train"],
        "n_outliers": res["n_outliers"],
        "outlier_shares": ", ".join(
            share(r["outlier_share_of_abs_influence"], 1) for r in res["fig3"]
        ),
        "spearman": f"{res['spearman_error_vs_self_influence']:.2f}",
        "score_min": f"{res['score_range'][0]:.3g}",
        "score_max": f"{res['score_range'][1]:.3g}",
        "min_outlier_score": f"{high:.3g}",
        "max_ordinary_score": f"{low:.3g}",
        "impl": res["impl"],
        "threshold": f"{res['threshold']:.3g}",
        "threshold_rule": res["threshold_rule"],
        "flagged": f"{n_flagged} row{'s' if n_flagged != 1 else ''}",
        "n_true_flagged": res["n_true_flagged"],
        "slope_all": fixed(lines["Ridge on all rows"]["slope"], 3),
        "slope_flagged": fixed(lines["Ridge without flagged rows"]["slope"], 3),
        "slope_oracle": fixed(
            lines["Ridge without the generated outliers (oracle)"]["slope"], 3
        ),
        "slope_huber": fixed(lines["HuberRegressor (for comparison)"]["slope"], 3),
        "verdict": verdict,
        "table": make_table(
            ["Model", "Intercept", "Slope", "RMSE on 1000 clean new points"], rows
        ),
    }


def _article(digit):
    return "an" if digit == 8 else "a"


def _multiclass_fields(res):
    """The multi-class template's fields."""
    rows = res["rows"]
    other = [r for r in rows if r["harmful_class"] != r["test_class"]]
    own = [r for r in rows if r["harmful_class"] == r["test_class"]]
    verdict = ""
    if other:
        verdict += (
            "The most harmful image is of another class for "
            + ", ".join(
                f"the {r['test_class']} ({_article(r['harmful_class'])} "
                f"{r['harmful_class']}, "
                f"{fixed(r['harmful_distance_pct'], 1)}% of images nearer)"
                for r in other
            )
            + ": an image of another digit pulls the model towards the wrong label "
            "(the paper's Figs 6–7). "
        )
    far = [r for r in own if r["harmful_distance_pct"] > 50]
    near = [r for r in own if r["harmful_distance_pct"] <= 50]
    if far:
        verdict += (
            "For "
            + ", ".join(f"the {r['test_class']}" for r in far)
            + " it is an image of the same class far from the test image ("
            + ", ".join(f"{fixed(r['harmful_distance_pct'], 1)}%" for r in far)
            + " of images nearer): an odd way of writing the digit that stretches the "
            "class (the paper's Fig 5). "
        )
    if near:
        verdict += (
            "For "
            + ", ".join(
                f"the {r['test_class']} it is another {r['test_class']} "
                f"({fixed(r['harmful_distance_pct'], 1)}% of images nearer)"
                for r in near
            )
            + ". "
        )
    table_rows = [
        [
            cell(r["test_class"], "int"),
            cell(r["harmful_class"], "int"),
            cell(r["harmful_influence"], "effect"),
            cell(r["harmful_distance_pct"], "pct"),
            cell(r["helpful_class"], "int"),
            cell(r["helpful_influence"], "effect"),
            cell(r["helpful_distance_pct"], "pct"),
            cell(f"{r['top20_same_class']}/20"),
            cell(f"{r['worst20_other_class']}/20"),
        ]
        for r in rows
    ]
    headers = [
        "Test class",
        "Most harmful: class",
        "its influence",
        "% of rows nearer",
        "Most helpful: class",
        "its influence",
        "% of rows nearer",
        "20 most helpful in the same class",
        "20 most harmful from another class",
    ]
    return {
        "n_train": res["n_train"],
        "model_note": "" if res["data"] == "digits" else "; on 50 principal components",
        "accuracy": fixed(res["accuracy"]),
        "n_same": sum(r["helpful_class"] == r["test_class"] for r in rows),
        "n_rows": len(rows),
        "top20": ", ".join(str(r["top20_same_class"]) for r in rows),
        "helpful_pct": ", ".join(
            f"{fixed(r['helpful_distance_pct'], 1)}%" for r in rows
        ),
        "nearest_note": (
            "none of them is the nearest training image, as the paper noticed"
            if all(r["helpful_distance_pct"] > 0 for r in rows)
            else "so the nearest training image is sometimes the most helpful"
        ),
        "harmful_verdict": verdict,
        "table": make_table(headers, table_rows),
    }


def _ordered(losses):
    """Log-losses decreasing from the strictest rule to the mildest."""
    if any(v is None for v in losses):
        return False
    return all(a >= b for a, b in zip(losses, losses[1:]))


def _pruning_fields(res):
    """The pruning template's fields."""
    tables, summaries, improved = [], [], []
    for tab in res["tables"]:
        a, b = tab["pair"]
        base, rows = tab["rows"][0], tab["rows"][1:]
        cells = [
            [
                cell(r["heuristic"]),
                cell(r["n_rows"], "int"),
                cell(r["accuracy"], "prob"),
                cell(r["log_loss"], "prob"),
            ]
            for r in tab["rows"]
        ]
        headers = ["Heuristic", "Training rows kept", "Test accuracy", "Test log-loss"]
        tables.append(
            HEADED_TABLE.substitute(
                heading=f"{a}s against {b}s ({tab['n_test']} test images)",
                table=make_table(headers, cells),
            )
        )
        desc = ", ".join(
            f"'{r['heuristic']}' keeps {r['n_rows']} of {base['n_rows']} rows "
            f"(accuracy {fixed(r['accuracy'])}, log-loss {fixed(r['log_loss'])})"
            for r in rows
        )
        better = [
            r["heuristic"]
            for r in rows
            if r["log_loss"] is not None and r["log_loss"] < base["log_loss"]
        ]
        if better:
            names = ", ".join(f"'{name}'" for name in better)
            improved.append(f"{a}s against {b}s ({names})")
        verdict = (
            f"Better log-loss with: {', '.join(better)}."
            if better
            else "No heuristic improves on keeping every row."
        )
        summaries.append(
            PARAGRAPH.substitute(
                text=f"{a}s against {b}s: all rows give accuracy "
                f"{fixed(base['accuracy'])} and log-loss {fixed(base['log_loss'])}; "
                f"{desc}. {verdict}"
            )
        )
    near_perfect = all(t["rows"][0]["accuracy"] > 0.98 for t in res["tables"])
    stricter_hurts = all(
        _ordered([r["log_loss"] for r in t["rows"][1:4]])  # the paper's three rules
        for t in res["tables"]
    )
    closing = (
        "The paper found that removing rows by a handful of reference points "
        "rarely helps; "
        + (
            "here it improves the log-loss only for " + "; ".join(improved)
            if improved
            else "so here: no rule beats keeping every row"
        )
        + (
            ", and the stricter the rule, the more it hurts. "
            if stricter_hurts
            else ". "
        )
        + "A row that hurts two reference images may well help many others."
    )
    return {
        "impl": res["tables"][0]["impl"],
        "easy_note": (
            "These pairs are easy (the full model is near perfect on the test "
            "images), so the log-loss tells more than the accuracy."
            if near_perfect
            else ""
        ),
        "summaries": "".join(summaries),
        "closing": closing,
        "tables": "".join(tables),
    }


def section_html(key, numbers, figures):
    """The ``<section>`` of one experiment.

    Parameters
    ----------
    key : {"population", "regression", "multiclass", "pruning"}
    numbers : dict
        What the section's experiment computed.
    figures : list of (caption, base64 PNG)

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.pruning import pruning_experiment
    >>> from skinfluence.report.sections import section_html
    >>> numbers, _ = pruning_experiment(pairs=((1, 7),))
    >>> section_html("pruning", numbers, []).splitlines()[0]
    '<section id="pruning">'
    """
    fields = {
        "population": population_fields,
        "regression": _regression_fields,
        "multiclass": _multiclass_fields,
        "pruning": _pruning_fields,
    }[key](numbers)
    if key != "pruning":
        fields["figures"] = figures_html(figures)
    body = render(f"{key}.html", **fields)
    return render("section.html", key=key, title=TITLES[key], body=body)
