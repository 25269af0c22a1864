"""Sphinx configuration for skinfluence.

Builds offline with warnings as errors (``python -m sphinx -W -b html docs
docs/_build/html``). Environment variables:

- ``SKINFLUENCE_DOCS_INTERSPHINX=1``: link to scikit-learn, NumPy, SciPy and
  matplotlib docs (needs the network).
- ``SKINFLUENCE_DOCS_PLOT_GALLERY=0``: do not run the gallery examples (their
  pages then show the code without output).
"""

import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import skinfluence  # noqa: E402

project = "skinfluence"
author = "The skinfluence developers"
copyright = "2026, The skinfluence developers"
version = release = skinfluence.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "**/*.codeobj.json",
]

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True
autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
add_module_names = False

# -- MyST --------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# -- sphinx-gallery ----------------------------------------------------------
_plot_gallery = os.environ.get("SKINFLUENCE_DOCS_PLOT_GALLERY", "1").lower() not in (
    "0",
    "false",
    "no",
)
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": _plot_gallery,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reference_url": {"skinfluence": None},
    "show_memory": False,
    "capture_repr": ("_repr_html_", "__repr__"),
}

# -- intersphinx: only when asked (the default build is offline) -------------
if os.environ.get("SKINFLUENCE_DOCS_INTERSPHINX", "").lower() in ("1", "true", "yes"):
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "scipy": ("https://docs.scipy.org/doc/scipy/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "matplotlib": ("https://matplotlib.org/stable/", None),
    }
    numpydoc_xref_param_type = True
    numpydoc_xref_ignore = {
        "of",
        "shape",
        "or",
        "default",
        "optional",
        "instance",
        "sparse",
        "matrix",
        "callable",
        "object",
    }

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skinfluence {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "header_links_before_dropdown": 6,
}
html_show_sourcelink = False


_TRAILING_UNDERSCORE = re.compile(r"(\w)_(?=[,)\s])")


def _escape_shapes(app, what, name, obj, options, lines):
    """``ndarray of shape (n_features_in_,)``: keep ``n_features_in_`` from being
    read as an RST reference (the scikit-learn docstring convention)."""
    for i, line in enumerate(lines):
        if "of shape (" in line:
            lines[i] = _TRAILING_UNDERSCORE.sub(r"\1\\_", line)


def setup(app):
    # before numpydoc (priority 500) turns the docstring into RST
    app.connect("autodoc-process-docstring", _escape_shapes, priority=400)
