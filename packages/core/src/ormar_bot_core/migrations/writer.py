"""Writing revision files from the bundled ``script.py.mako``.

Alembic's ``revision`` command compiles the template, runs ``env.py`` and imports the new file
back, once per call; a project migrates many apps at a time, so ormar-bot compiles the template
once per process and writes each file directly. The file name follows Alembic's rule
(``<rev>_<slug of the message>.py``) and the template receives the variables Alembic gives it.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from alembic.util import format_as_comma
from mako.template import Template  # type: ignore[import-untyped]

from .config import TEMPLATES_DIR

__all__ = ["revision_path", "write_revision"]

_WORD = re.compile(r"\w+")
_SLUG_LENGTH = 40


@functools.cache
def _template() -> Template:
    return Template(filename=str(TEMPLATES_DIR / "script.py.mako"))


def revision_path(migrations_dir: Path, rev_id: str, message: str) -> Path:
    """``<rev>_<slug>.py``: the slug is the message's words, lower case, at most 40 characters."""
    slug = "_".join(_WORD.findall(message)).lower()
    if len(slug) > _SLUG_LENGTH:
        slug = slug[:_SLUG_LENGTH].rsplit("_", 1)[0] + "_"
    return migrations_dir / f"{rev_id}_{slug}.py"


def write_revision(
    migrations_dir: Path,
    rev_id: str,
    message: str,
    heads: Sequence[str],
    *,
    upgrades: str = "",
    downgrades: str = "",
    imports: Iterable[str] = (),
) -> Path:
    """Write a revision on top of ``heads`` (the history's heads, none for the first one)."""
    if not heads:
        down_revision: str | tuple[str, ...] | None = None
    elif len(heads) == 1:
        down_revision = heads[0]
    else:
        down_revision = tuple(heads)
    text = _template().render_unicode(
        up_revision=rev_id,
        down_revision=down_revision,
        branch_labels=None,
        depends_on=None,
        create_date=datetime.datetime.now(),
        comma=format_as_comma,
        message=message,
        upgrades=upgrades,
        downgrades=downgrades,
        imports="\n".join(sorted(set(imports))),
    )
    migrations_dir.mkdir(parents=True, exist_ok=True)
    path = revision_path(migrations_dir, rev_id, message)
    path.write_text(text, encoding="utf-8")
    return path
