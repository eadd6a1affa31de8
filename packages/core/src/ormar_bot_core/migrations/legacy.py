"""Databases of nextcord-ormar 0.3: tables ``<app>.<model>s``, version tables ``alembic.<app>``.

Moving such a project to ormar-bot takes two steps, documented in the package docstring:

1. ``ormar-bot adopt`` (once, in the project): keeps the old revision files, which stay in the
   same folders, and writes one more revision per app that renames its tables from
   ``<app>.<model>s`` to the current names, ``<app>_<model>s``.
2. ``ormar-bot upgrade`` (on every database, or ``upgrade_on_start``): finds the old version
   table ``alembic.<app>``, moves what it records into ``alembic_version_<app>``, drops it, then
   applies the renaming revision like any other.

A model that keeps its old table (``ModelMeta.copy(tablename="<app>.<model>s")``) is not
renamed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from ..apps import OrmarApp
from .config import Config
from .layout import legacy_version_table, next_revision_id
from .runner import revisions_of, run_alembic, script_directory

__all__ = ["ADOPT_MESSAGE", "adopt_version_table", "renames", "version_heads", "write_adoption"]

logger = logging.getLogger(__name__)

ADOPT_MESSAGE = "adopt_ormar_bot_table_names"


def version_heads(connection: Connection, app: OrmarApp) -> tuple[str, ...]:
    """What ``alembic.<app>`` records, when the database still has it."""
    table = legacy_version_table(app.name)
    if not sqlalchemy.inspect(connection).has_table(table):
        return ()
    context = MigrationContext.configure(connection, opts={"version_table": table})
    return tuple(sorted(context.get_current_heads()))


def adopt_version_table(connection: Connection, config: Config, tables: set[str]) -> bool:
    """Move ``alembic.<app>`` into the app's version table, when only the old one exists.

    :param tables: the tables of the database.
    :returns: whether the app's version table exists now.
    """
    legacy = legacy_version_table(config.app.name)
    if config.version_table in tables or legacy not in tables:
        return False
    heads = version_heads(connection, config.app)
    if heads:
        run_alembic(
            config,
            "Taking over the nextcord-ormar version table of",
            lambda: command.stamp(config, list(heads)),
            hint=f"Restore the app's nextcord-ormar revision files into {config.migrations_dir}.",
        )
    sqlalchemy.Table(legacy, sqlalchemy.MetaData()).drop(connection)
    logger.warning(
        "App %s: moved nextcord-ormar's version table %r to %r (at %s)",
        config.app.name,
        legacy,
        config.version_table,
        ", ".join(heads) or "base",
    )
    return bool(heads)


def renames(app: OrmarApp, owned: frozenset[str]) -> dict[str, str]:
    """The tables of ``app``'s history named the nextcord-ormar way, and their new names."""
    prefix = f"{app.name}."
    return {
        old: f"{app.name}_{old.removeprefix(prefix)}"
        for old in sorted(owned)
        if old.startswith(prefix) and old not in app.metadata.tables
    }


def write_adoption(config: Config, table_renames: dict[str, str]) -> Path:
    """Write the revision renaming ``table_renames`` (old -> new) at the head of the app's
    history; return its path."""
    upgrades = "\n    ".join(
        f"op.rename_table({old!r}, {new!r})" for old, new in table_renames.items()
    )
    downgrades = "\n    ".join(
        f"op.rename_table({new!r}, {old!r})" for old, new in reversed(table_renames.items())
    )
    rev_id = next_revision_id(revisions_of(config))
    script = run_alembic(
        config,
        "Writing the adoption revision of",
        lambda: script_directory(config).generate_revision(
            rev_id, ADOPT_MESSAGE, upgrades=upgrades, downgrades=downgrades, imports=""
        ),
    )
    if script is None:  # pragma: no cover - Alembic returns None only for unwritable templates
        raise RuntimeError("Alembic wrote no revision file")
    return Path(script.path)
