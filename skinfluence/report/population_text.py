"""The population section's text: its template fields and its two tables.

The sentences whose wording depends on the numbers live here: how the stroke
counter sorted the 7s, which way each removal moved P(7), how much of each
refitted effect first order and the Newton step recover.
"""

import html

from .render import HEADED_TABLE, cell, effect, fixed, share, sign_agrees
from .render import table as make_table

__all__ = ["population_fields"]

_PEAK_WORDS = {0: "no peak", 1: "one peak", 2: "two peaks", 3: "three peaks"}


def _moves(row):
    return "raises" if row["proba_without"] > row["proba_with"] else "lowers"


def _other_sevens(counts):
    """The training 7s that are neither dashed nor plain, by number of peaks."""
    rest = {int(p): n for p, n in counts.items() if int(p) not in (1, 2)}
    if not rest:
        return ""
    parts = [
        f"{n} with {_PEAK_WORDS.get(p, f'{p} peaks')}" for p, n in sorted(rest.items())
    ]
    total = sum(rest.values())
    return f"; the other {total} belong to neither population ({', '.join(parts)})"


def _population_tables(res):
    parts = []
    headers = [
        "Population",
        "Rows",
        "Predicted influence (first order)",
        "Predicted (Newton step)",
        "Refitted effect",
        "P(7) with the population",
        "P(7) refitted without it",
        "Same sign?",
    ]
    for tab in res["tables"]:
        rows = [
            [
                cell(r["population"]),
                cell(r["n_rows"], "int"),
                cell(r["predicted_first_order"], "effect", "predicted"),
                cell(r["predicted_newton"], "effect", "predicted-newton"),
                cell(r["refitted_effect"], "effect", "refit"),
                cell(r["proba_with"], "prob"),
                cell(r["proba_without"], "prob"),
                cell("yes" if sign_agrees(r) else "NO", cls="sign-agrees"),
            ]
            for r in tab["rows"]
        ]
        heading = f"{tab['image']} (test row {tab['test_index']}): {tab['why']}"
        parts.append(
            HEADED_TABLE.substitute(
                heading=html.escape(heading), table=make_table(headers, rows)
            )
        )
    return "".join(parts)


def population_fields(res):
    """The fields of ``templates/population.html``, from the section's numbers.

    Parameters
    ----------
    res : dict
        The numbers :func:`~skinfluence.report.population.population_experiment`
        returns.

    Returns
    -------
    dict of str
        One entry per ``$field`` of the template.

    Examples
    --------
    >>> from skinfluence.report.population import population_experiment
    >>> from skinfluence.report.population_text import population_fields
    >>> fields = population_fields(population_experiment()[0])
    >>> fields["sign_verdict"].startswith("Every predicted influence")
    True
    """
    t1, t2 = res["tables"]
    fields = {
        "n_train": res["n_train"],
        "accuracy": fixed(res["accuracy"]),
        "n_sevens": res["n_sevens"],
        "n_dashed": res["n_dashed"],
        "n_plain": res["n_plain"],
        "other_sevens": _other_sevens(res["stroke_counts"]),
        "i1_threshold": effect(t1["threshold"]),
    }
    for i, tab in enumerate((t1, t2), start=1):
        fields[f"i{i}_p"] = fixed(tab["rows"][0]["proba_with"])
        for key, row in zip(("dashed", "plain", "bad"), tab["rows"]):
            pre = f"i{i}_{key}"
            fields.update(
                {
                    f"{pre}_n": row["n_rows"],
                    f"{pre}_moves": _moves(row),
                    f"{pre}_without": fixed(row["proba_without"]),
                    f"{pre}_effect": effect(row["refitted_effect"]),
                    f"{pre}_first": effect(row["predicted_first_order"]),
                    f"{pre}_newton": effect(row["predicted_newton"]),
                }
            )
    d1, p1, b1 = t1["rows"]
    fields["style_note"] = (
        "Here most 7s are written with a dash (the paper found about one in ten "
        "among MNIST's), so the dashed 7s are most of the class and the plain 7s "
        "the smaller style group; both are shown."
        if res["n_dashed"] > res["n_sevens"] / 2
        else "As in the paper, the dashed 7s are a minority style of the class."
    )
    fields["plain_verdict"] = (
        ": the plain 7s, which look more like 1s, hurt this 7."
        if p1["refitted_effect"] < 0 < d1["refitted_effect"]
        else "."
    )
    fields["bad_verdict"] = (
        ", as in the paper's Table 1." if b1["refitted_effect"] < 0 else "."
    )
    big = [
        f"the {r['population'].split(' (')[0].lower()}"
        for r in t2["rows"]
        if abs(r["refitted_effect"]) >= 0.01
    ]
    fields["image2_verdict"] = (
        "No group moves it by as much as 0.01, as in the paper's Table 2: a "
        "confidently classified image does not depend on any group of rows."
        if not big
        else "Only removing " + " and ".join(big) + " moves it by 0.01 or more: "
        "as in the paper's Table 2, a confidently classified image depends little "
        "on small groups of rows."
    )
    agree = all(sign_agrees(r) for tab in res["tables"] for r in tab["rows"])
    fields["sign_verdict"] = (
        "Every predicted influence, first order and Newton, has the sign of the "
        "refitted effect."
        if agree
        else "<strong>Not every predicted sign agrees with the refit.</strong>"
    )
    fields["newton_verdict"] = _newton_verdict(res["tables"])
    fields["first_order_shares"] = _shares(res["tables"], "predicted_first_order")
    fields["newton_shares"] = _shares(res["tables"], "predicted_newton")
    fields["first_order_verdict"] = _first_order_verdict(res["tables"])
    fields["tables"] = _population_tables(res)
    return fields


def _shares(tables, key):
    """'21% and 10% for the 107 dashed 7s, ...': ``key`` / refit, both images."""
    parts = []
    for s, row in enumerate(tables[0]["rows"]):
        name = row["population"].split(" (")[0]
        pair = " and ".join(share(t["rows"][s][key], t["rows"][s]["refitted_effect"])
                            for t in tables)
        sizes = {t["rows"][s]["n_rows"] for t in tables}
        n = sizes.pop() if len(sizes) == 1 else " and ".join(
            str(t["rows"][s]["n_rows"]) for t in tables
        )
        parts.append(f"{pair} for the {n} {name[0].lower()}{name[1:]}")
    return "; ".join(parts)


def _first_order_verdict(tables):
    """Whether first order falls short for the largest group, as Koh et al. say."""
    s = max(range(3), key=lambda k: tables[0]["rows"][k]["n_rows"])
    ratios = [
        t["rows"][s]["predicted_first_order"] / t["rows"][s]["refitted_effect"]
        for t in tables
    ]
    if max(ratios) >= 0.8:
        return ""
    name = tables[0]["rows"][s]["population"].split(" (")[0].lower()
    return (
        f"It falls short for the largest group, the {name}, as Koh et al. (2019) "
        "report for large groups: it is linear in the removed rows and ignores how "
        "much the model changes."
    )


def _newton_verdict(tables):
    """Whether the Newton step's predictions are the right size."""
    off = [
        (tab, row)
        for tab in tables
        for row in tab["rows"]
        if not 0.5 <= row["predicted_newton"] / row["refitted_effect"] <= 2
    ]
    if not off:
        return "the right size everywhere, though one step is not the refit."
    return (
        "one step is not the refit, and it is off by more than a factor of two for "
        + " and ".join(
            f"the {row['population'].split(' (')[0].lower()} on {tab['image']} "
            f"(refitted effect {effect(row['refitted_effect'])})"
            for tab, row in off
        )
        + "."
    )
