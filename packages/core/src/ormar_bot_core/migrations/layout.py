"""Where each app's migrations live, what its version table is called, how revisions are named."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from ..apps import OrmarApp
from ..errors import MigrationUsageError
from ..naming import MAX_NAME_LENGTH

__all__ = [
    "LEGACY_VERSION_TABLE",
    "VERSION_TABLE_PREFIX",
    "default_migrations_dir",
    "legacy_version_table",
    "migrations_dir",
    "next_revision_id",
    "version_table",
]

VERSION_TABLE_PREFIX = "alembic_version_"
"""Every app's version table is this prefix followed by the app's name."""

LEGACY_VERSION_TABLE = "alembic.{app}"
"""How nextcord-ormar 0.3 named an app's version table."""

_NUMBERED = re.compile(r"\d+\Z")


def version_table(app_name: str) -> str:
    """The version table of ``app_name``: ``alembic_version_<app>``, valid on every database.

    App names are letters, digits and underscores; a name too long for PostgreSQL is shortened
    and given a hash of the full name so that two long names never share a table. (The name
    Alembic gives the table's primary key, ``<table>_pkc``, is shortened too when the table is
    created.)
    """
    name = f"{VERSION_TABLE_PREFIX}{app_name}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha1(app_name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{name[: MAX_NAME_LENGTH - 9]}_{digest}"


def legacy_version_table(app_name: str) -> str:
    """The version table nextcord-ormar 0.3 used for ``app_name``."""
    return LEGACY_VERSION_TABLE.format(app=app_name)


def default_migrations_dir(app: OrmarApp, bot_dir: Path | None) -> Path:
    """Where ``app`` keeps its migrations when ``create_app`` was not told.

    ``<module dir>/migrations``, or ``<bot dir>/<app>/migrations`` when the app's module sits
    beside the bot's module (so that several apps declared there keep separate histories).

    :raises MigrationUsageError: the app's module has no file (declared interactively).
    """
    if app.module_file is None:
        raise MigrationUsageError(
            f"Cannot tell where app {app.name!r} keeps its migrations: its module "
            f"{app.module!r} has no file. Pass migrations_dir= to OrmarApp.create_app()."
        )
    module_dir = app.module_file.parent
    if bot_dir is not None and module_dir == bot_dir.resolve():
        return bot_dir.resolve() / app.name / "migrations"
    return module_dir / "migrations"


def migrations_dir(app: OrmarApp, bot_dir: Path | None) -> Path:
    """The folder of ``app``'s revision files: ``create_app(migrations_dir=)`` when given
    (relative to the app's module), else :func:`default_migrations_dir`."""
    if app.migrations_dir is None:
        return default_migrations_dir(app, bot_dir)
    if app.migrations_dir.is_absolute() or app.module_file is None:
        return app.migrations_dir.resolve()
    return (app.module_file.parent / app.migrations_dir).resolve()


def next_revision_id(existing: Iterable[str]) -> str:
    """The next sequential revision id of a history: ``0001``, ``0002``, ...

    Histories started elsewhere (nextcord-ormar's random ids) continue from their length.
    """
    revisions = list(existing)
    numbers = [int(rev) for rev in revisions if _NUMBERED.match(rev)]
    return f"{max([len(revisions), *numbers]) + 1:04d}"
