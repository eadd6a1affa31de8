"""Sphinx configuration of the ormar-bot documentation.

Build with ``hatch run docs:build``, i.e.
``sphinx-build -W --keep-going -b html docs docs/_build/html``.
The API reference imports the three packages, so they must be installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "ormar-bot"
author = "ormar-bot contributors"
copyright = "ormar-bot contributors"
release = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "sphinx_design",
    "myst_parser",
    "argparse_commands",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []

html_theme = "furo"
html_title = f"ormar-bot {release}"
html_static_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_default_options = {"show-inheritance": True}
# Keep signatures short: ``Mapping[str, str | int]`` rather than the full module paths.
python_use_unqualified_type_names = True

myst_heading_anchors = 3

_CHANGELOG = ROOT / "CHANGELOG.md"


def _changelog_source(app: Sphinx, docname: str, source: list[str]) -> None:
    """The changelog page is the root ``CHANGELOG.md`` when there is one."""
    if docname != "changelog":
        return
    if _CHANGELOG.is_file():
        source[0] = ".. include:: ../CHANGELOG.md\n   :parser: myst_parser.sphinx_\n"
    else:
        source[0] = "Changelog\n=========\n\nNo release has been made yet.\n"


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("source-read", _changelog_source)
    return {"parallel_read_safe": True}
