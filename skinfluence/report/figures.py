"""The report's figures, drawn with matplotlib from what each section computed.

Each ``*_figures(drawings)`` function returns a list of ``(caption, png)``
pairs, the PNG base64-encoded so that the HTML embeds it.
"""

import base64
import io

import numpy as np

from ..plotting import (
    InfluenceDistanceDisplay,
    InfluentialImagesDisplay,
    RegressionInfluenceDisplay,
    SelfInfluenceHistogramDisplay,
)
from .strokes import count_strokes, stroke_profile

__all__ = ["png_base64", "section_figures"]


def png_base64(fig):
    """The figure as a base64-encoded PNG, to embed in HTML; the figure is closed.

    Parameters
    ----------
    fig : matplotlib Figure

    Returns
    -------
    str

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import base64
    >>> from skinfluence.report.figures import png_base64
    >>> base64.b64decode(png_base64(plt.figure(figsize=(1, 1))))[:4]
    b'\x89PNG'
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _population_figures(drawings):
    """The stroke counter on a plain and a dashed 7; each test 7's top images."""
    X, y, shape = drawings["X_train"], drawings["y_train"], drawings["image_shape"]
    figures = [
        (
            "The stroke counter: a plain 7 has one peak in its vertical "
            "profile, a dashed 7 two",
            png_base64(_stroke_figure(X, shape, drawings["plain"], drawings["dashed"])),
        )
    ]
    for top in drawings["tops"]:
        images = X.reshape((-1,) + tuple(shape))
        disp = InfluentialImagesDisplay(
            np.reshape(top["test_image"], shape),
            images[top["helpful"]],
            top["helpful_scores"],
            images[top["harmful"]],
            top["harmful_scores"],
            helpful_labels=y[top["helpful"]],
            harmful_labels=y[top["harmful"]],
            helpful_indices=top["helpful"],
            harmful_indices=top["harmful"],
            test_label=top["test_label"],
        ).plot(target="proba")
        disp.figure_.suptitle(
            f"{top['name']}: {top['why']}\nits 5 most helpful and most harmful "
            "training images (influence on P(7))",
            fontsize="medium",
        )
        caption = f"{top['name']}: test image and its most influential training images"
        figures.append((caption, png_base64(disp.figure_)))
    return figures


def _stroke_figure(X, shape, plain, dashed):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, 4, figsize=(8, 2.4), gridspec_kw={"width_ratios": [2, 1, 2, 1]}
    )
    for k, (idx, name) in enumerate([(plain, "plain 7"), (dashed, "dashed 7")]):
        image_ax, profile_ax = axes[2 * k], axes[2 * k + 1]
        if len(idx) == 0:
            image_ax.axis("off")
            profile_ax.axis("off")
            continue
        img = X[idx[0]].reshape(shape)
        n = count_strokes(img[None])[0]
        rows = np.arange(shape[0])
        image_ax.imshow(img, cmap="gray_r")
        image_ax.set_title(name, fontsize="small")
        profile_ax.plot(img.sum(axis=1), rows, color="0.6", label="row sums")
        profile_ax.plot(
            stroke_profile(img[None])[0], rows, color="tab:blue", label="smoothed"
        )
        profile_ax.invert_yaxis()
        profile_ax.set_title(f"{n} peak{'s' if n != 1 else ''}", fontsize="small")
        for ax in (image_ax, profile_ax):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[1].legend(fontsize="x-small", loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def _regression_figures(drawings):
    """Fig 3 (influence on three test points) and Fig 4 (outlier removal)."""
    return [
        (
            "Fig 3 analogue: training rows coloured by their influence on the "
            "loss of the test point (star)",
            png_base64(_influence_figure(drawings)),
        ),
        (
            "Fig 4 analogue: outlier removal by self-influence",
            png_base64(_outlier_figure(drawings)),
        ),
    ]


def _influence_figure(d):
    import matplotlib.pyplot as plt

    from .regression import TEST_POINTS

    b, w = d["true_line"]
    x = d["X"][:, 0]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, (x_test, offset, where), inf in zip(axes, TEST_POINTS, d["influences"]):
        line_x = np.linspace(min(x.min(), x_test), max(x.max(), x_test), 200)
        RegressionInfluenceDisplay(
            x,
            d["y"],
            inf,
            x_test,
            b + w * x_test + offset,
            line_x=line_x,
            line_y=d["model"].predict(line_x[:, None]),
        ).plot(ax=ax)
        ax.set_title(f"test point {where}", fontsize="medium")
    fig.tight_layout()
    return fig


def _outlier_figure(d):
    import matplotlib.pyplot as plt

    X, y, inlier, is_out = d["X"], d["y"], d["inlier"], d["is_outlier"]
    scores, thr, abs_err = d["self_influence"], d["threshold"], d["abs_error"]
    b, w = d["true_line"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    grid = np.linspace(0, 10, 100)[:, None]
    ax = axes[0]
    ax.scatter(X[inlier, 0], y[inlier], s=14, color="0.5", label="kept rows")
    ax.scatter(
        X[~inlier, 0],
        y[~inlier],
        s=40,
        color="tab:red",
        marker="x",
        label="removed (self-influence above threshold)",
    )
    ax.plot(
        grid, d["model"].predict(grid), "--", color="tab:red", label="Ridge, all rows"
    )
    ax.plot(
        grid,
        d["robust"].predict(grid),
        color="tab:blue",
        label="Ridge without removed rows",
    )
    ax.plot(grid, b + w * grid[:, 0], ":", color="black", lw=0.8, label="true line")
    ax.set(xlabel="x", ylabel="y", title="(a) regression lines before and after")
    ax.legend(
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.15),
        ncol=2,
        frameon=False,
    )
    SelfInfluenceHistogramDisplay(scores, threshold=thr).plot(
        ax=axes[1], bins=40, log_x=True
    )
    axes[1].set_title("(b) histogram of self-influence (log scale)")
    ax = axes[2]
    ax.scatter(
        abs_err[~is_out], scores[~is_out], s=14, color="0.5", label="ordinary rows"
    )
    ax.scatter(
        abs_err[is_out],
        scores[is_out],
        s=30,
        color="tab:red",
        label="generated outliers",
    )
    ax.axhline(thr, color="black", linestyle="--", linewidth=1, label="threshold")
    ax.set_yscale("log")
    ax.set(
        xlabel="absolute error |y - prediction|",
        ylabel="self-influence",
        title="(c) self-influence vs absolute error",
    )
    ax.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def _multiclass_figures(drawings):
    """Figs 5–7: influence against distance, one panel per test image."""
    import matplotlib.pyplot as plt

    panels = drawings["panels"]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 5.5))
    for ax, panel in zip(np.atleast_1d(axes), panels):
        InfluenceDistanceDisplay(
            panel["influence"],
            panel["distance"],
            drawings["labels"],
            test_label=panel["test_label"],
            test_image=panel["test_image"],
            harmful_image=panel["harmful_image"],
        ).plot(ax=ax)
    fig.tight_layout()
    caption = (
        "Figs 5–7 analogue: influence of every training image on one test image "
        "against its distance to it; the most harmful one is circled, and shown "
        "beside the test image in the top left corner"
    )
    return [(caption, png_base64(fig))]


def section_figures(key, drawings):
    """The figures of the section ``key`` (none for "pruning").

    Parameters
    ----------
    key : {"population", "regression", "multiclass", "pruning"}
    drawings : dict
        The second value returned by the section's experiment.

    Returns
    -------
    list of (caption, base64 PNG)

    Examples
    --------
    >>> from skinfluence.report.figures import section_figures
    >>> section_figures("pruning", {})
    []
    """
    draw = {
        "population": _population_figures,
        "regression": _regression_figures,
        "multiclass": _multiclass_figures,
    }.get(key)
    if draw is None:
        return []
    import matplotlib.pyplot as plt

    try:
        return draw(drawings)
    finally:
        plt.close("all")
