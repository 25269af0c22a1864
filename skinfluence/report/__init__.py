"""The demo report: the paper's four experiments, checked by refitting, in HTML.

The paper is Emily First, Sudeep Raja Putta and Subendhu Rongali, *Influence
functions in Machine Learning tasks*, which extends the influence functions of
Koh & Liang (2017) to populations, regression and multi-class problems.
``skinfluence demo`` runs :func:`run_demo`. This subpackage is not imported by
``import skinfluence``; it draws with matplotlib (``pip install matplotlib``, or
the ``plot`` extra in a checkout: ``pip install ".[plot]"``).

Modules, one job each: :mod:`.data` (the demo's data), :mod:`.strokes` (the
paper's stroke counter), one module per experiment computing its numbers
(:mod:`.population`, :mod:`.regression`, :mod:`.multiclass`, :mod:`.pruning`),
:mod:`.figures` (matplotlib), :mod:`.render` (templates and number formats),
:mod:`.sections` and :mod:`.population_text` (each section's template fields)
and :mod:`.demo` (the run). ``skinfluence audit`` on a user's table:
:mod:`.audit_table` (reading, checks, preprocessing), :mod:`.audit_resampling`
(cross-validated row removal) and :mod:`.audit` (the run and its report).
"""

from .demo import SECTIONS, run_demo
from .strokes import count_strokes, stroke_profile

__all__ = ["SECTIONS", "count_strokes", "run_demo", "stroke_profile"]
