"""HTML of the report: the package's templates, filled with formatted numbers.

The templates are files in ``skinfluence/report/templates/`` rendered with
:class:`string.Template`; ``$name`` fields are filled by
:mod:`skinfluence.report.sections`. Numbers are formatted here, one rule per
kind of number:

- influences and effects (their sign says help or hurt): signed, three
  significant figures (``+0.0963``, ``-0.000133``, ``+0.00100``);
- probabilities, accuracies and log-losses: four decimals, no sign;
- fitted coefficients and RMSE: three decimals, no sign;
- percentages: one decimal.
"""

import html
from functools import lru_cache
from importlib import resources
from string import Template

import numpy as np

__all__ = [
    "HEADED_TABLE",
    "LIST_ITEM",
    "PARAGRAPH",
    "cell",
    "effect",
    "figures_html",
    "fixed",
    "render",
    "share",
    "sign_agrees",
    "table",
]

_CELL = Template('<td$attrs>$text</td>')
_ROW = Template("<tr>$cells</tr>")
_HEADER = Template("<th>$text</th>")
_TABLE = Template(
    '<table class="numbers"><thead><tr>$headers</tr></thead>'
    "<tbody>$rows</tbody></table>"
)
#: Small fragments the section modules fill (block-level HTML stays in templates).
HEADED_TABLE = Template("<h3>$heading</h3>\n$table")
PARAGRAPH = Template("<p>$text</p>")
LIST_ITEM = Template("<li>$text</li>")
_FIGURE = Template(
    '<figure><img alt="$caption" src="data:image/png;base64,$png">'
    "<figcaption>$caption</figcaption></figure>"
)


@lru_cache(maxsize=None)
def _template(name):
    folder = resources.files(__package__).joinpath("templates")
    return Template(folder.joinpath(name).read_text(encoding="utf-8"))


def render(name, **fields):
    """Fill the template file ``templates/<name>`` with ``fields``.

    Parameters
    ----------
    name : str
        File name in ``skinfluence/report/templates/``.
    **fields : str
        Every ``$field`` of the template; a missing one raises ``KeyError``.

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.render import render
    >>> render("section.html", key="x", title="T", body="<p>b</p>").split("\\n")[0]
    '<section id="x">'
    """
    return _template(name).substitute(fields)


def effect(v):
    """A signed influence or effect with three significant figures ("–" for None).

    Parameters
    ----------
    v : float or None

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.render import effect
    >>> [effect(v) for v in (0.0963, -0.000133, 0.001, 0.78123, None)]
    ['+0.0963', '-0.000133', '+0.00100', '+0.781', '–']
    """
    if v is None:
        return "–"
    if v == 0:
        return "0"
    text = f"{v:+#.3g}"
    return text[:-1] if text.endswith(".") else text


def fixed(v, decimals=4):
    """An unsigned number with a fixed number of decimals ("–" for None).

    Parameters
    ----------
    v : float or None
    decimals : int, default=4

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.render import fixed
    >>> fixed(0.86123), fixed(1.2349, 3), fixed(None)
    ('0.8612', '1.235', '–')
    """
    return "–" if v is None else f"{v:.{decimals}f}"


def cell(v, kind="text", cls=None):
    """One table cell; numbers carry their exact value in ``data-value``.

    Parameters
    ----------
    v : str, int, float or None
    kind : {"text", "int", "effect", "prob", "coef", "pct", "sig3"}, default="text"
        How to format ``v`` (see the module docstring; "sig3": three
        significant figures, unsigned).
    cls : str, default=None
        The cell's class.

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.render import cell
    >>> cell(-0.0145, "effect", "refit")
    '<td class="refit" data-value="-0.0145">-0.0145</td>'
    """
    formats = {
        "int": lambda x: str(int(x)),
        "effect": effect,
        "prob": fixed,
        "coef": lambda x: fixed(x, 3),
        "pct": lambda x: fixed(x, 1),
        "sig3": lambda x: f"{x:#.3g}".rstrip("."),
    }
    attrs = f' class="{cls}"' if cls else ""
    if kind == "text":
        return _CELL.substitute(attrs=attrs, text=html.escape(str(v)))
    if v is not None:
        attrs += f' data-value="{float(v)!r}"'
    return _CELL.substitute(attrs=attrs, text=formats[kind](v))


def table(headers, rows):
    """A table of ``rows`` (lists of cells made by :func:`cell`) under ``headers``.

    Parameters
    ----------
    headers : list of str
    rows : list of list of str

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.render import cell, table
    >>> table(["n"], [[cell(3, "int")]]).count("<tr>")
    2
    """
    return _TABLE.substitute(
        headers="".join(_HEADER.substitute(text=html.escape(h)) for h in headers),
        rows="".join(_ROW.substitute(cells="".join(r)) for r in rows),
    )


def figures_html(figures):
    """``<figure>`` elements embedding base64 PNGs, with their captions.

    Parameters
    ----------
    figures : list of (caption, base64 PNG)

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.render import figures_html
    >>> figures_html([("a plot", "iVBO")]).count("<figure>")
    1
    """
    return "".join(
        _FIGURE.substitute(caption=html.escape(caption), png=png)
        for caption, png in figures
    )


def share(part, whole):
    """``part`` as a percentage of ``whole``, no decimals ("–" if ``whole`` is 0).

    Parameters
    ----------
    part, whole : float

    Returns
    -------
    str

    Examples
    --------
    >>> from skinfluence.report.render import share
    >>> share(0.413, 0.340), share(1, 0)
    ('121%', '–')
    """
    return f"{100 * part / whole:.0f}%" if whole else "–"


def sign_agrees(row):
    """Whether first order, Newton step and refit have the same sign.

    Parameters
    ----------
    row : dict
        With ``predicted_first_order``, ``predicted_newton`` and
        ``refitted_effect``.

    Returns
    -------
    bool

    Examples
    --------
    >>> from skinfluence.report.render import sign_agrees
    >>> sign_agrees({"predicted_first_order": 0.07, "predicted_newton": 0.4,
    ...              "refitted_effect": 0.34})
    True
    """
    return bool(
        np.sign(row["predicted_first_order"])
        == np.sign(row["refitted_effect"])
        == np.sign(row["predicted_newton"])
    )
