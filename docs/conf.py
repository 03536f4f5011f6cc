"""Sphinx configuration: the API reference from the numpydoc docstrings, the user guide from
docs/*.md (MyST). Built by ``make docs`` with warnings as errors."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import daphnelib

project = "daphnelib"
author = "The daphnelib developers"
copyright = "The daphnelib developers, Apache-2.0"
version = release = daphnelib.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "bench"]
myst_heading_anchors = 3

autodoc_member_order = "groupwise"
autodoc_typehints = "none"  # the signatures show them; numpydoc sections describe them
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

html_theme = "alabaster"
html_title = f"daphnelib {release}"
