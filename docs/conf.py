"""Sphinx configuration of the ormar-bot documentation.

Build with ``hatch run docs:build``, i.e.
``sphinx-build -W --keep-going -b html docs docs/_build/html``.
The API reference imports the three packages, so they must be installed.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer

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

# Every reference to our own API must resolve: a broken one fails the ``-W`` build. The docs build
# offline, without intersphinx, so references into other projects (types in signatures, the
# standard library, SQLAlchemy, ormar, the Discord libraries...) have no target and are ignored.
nitpicky = True
_THIRD_PARTY = (
    "_asyncio|aiohttp|alembic|asyncio|collections|contextlib|discord|nextcord|ormar|pathlib"
    "|pytest|sqlalchemy|types|typing"
)
nitpick_ignore_regex = [(r"py:.*", rf"(?:{_THIRD_PARTY})(?:\..+)?")]
# Types that some annotations name unqualified (``path: Path``), which autodoc shows as written.
nitpick_ignore = [("py:class", name) for name in ("Path", "URL")]

_CHANGELOG = ROOT / "CHANGELOG.md"


def _changelog_source(app: Sphinx, docname: str, source: list[str]) -> None:
    """The changelog page is the root ``CHANGELOG.md`` when there is one."""
    if docname != "changelog":
        return
    if _CHANGELOG.is_file():
        source[0] = ".. include:: ../CHANGELOG.md\n   :parser: myst_parser.sphinx_\n"
    else:
        source[0] = "Changelog\n=========\n\nNo release has been made yet.\n"


def _lazy_constant_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    """A constant that a package imports on first use (``_HOMES`` and ``__getattr__``, as in
    ``ormar_bot_core.testing``) keeps the docstring of the module defining it, not its type's."""
    if what != "data":
        return
    package, _, attribute = name.rpartition(".")
    homes = getattr(sys.modules.get(package), "_HOMES", None)
    if not isinstance(homes, dict) or attribute not in homes:
        return
    home = importlib.import_module(f".{homes[attribute]}", package).__name__
    docstring = ModuleAnalyzer.for_module(home).find_attr_docs().get(("", attribute))
    lines[:] = list(docstring or [])


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("source-read", _changelog_source)
    app.connect("autodoc-process-docstring", _lazy_constant_docstring)
    return {"parallel_read_safe": True}
