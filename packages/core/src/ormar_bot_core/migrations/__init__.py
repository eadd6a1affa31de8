"""Per-app Alembic migrations: each app keeps its own history and version table.

Use the ``ormar-bot`` command (``nxalembic`` with nextcord-ormar), the manager's coroutines
(``await manager.upgrade()``), or the functions of this package directly.

Layout
    An app's revision files live in ``<module dir>/migrations``, or in
    ``<bot dir>/<app>/migrations`` when the app's module sits beside the bot's module;
    ``OrmarApp.create_app(name, migrations_dir=...)`` chooses another folder. Revision ids count
    up per app (``0001``, ``0002``, ...) and the files are named after their changes
    (``0001_create_star.py``). Each app records what is applied in ``alembic_version_<app>``.

Ownership
    An app owns the tables its history creates. Its migrations never create, alter or drop any
    other table: not other apps' tables, not tables no app declares, not version tables. A model
    removed from an app is dropped by that app's next migration.

Writing migrations
    ``migrate`` rebuilds each app's schema from its history in a scratch database (a temporary
    database or schema on the configured PostgreSQL/MariaDB server when one is reachable and
    allows it, in-memory SQLite otherwise) and writes the difference with the models, so no live
    database is needed; ``--live`` compares with the configured database instead. Apps without
    changes get no file (``--empty`` writes one to fill by hand). Adding a NOT NULL column without
    a database default to an existing table is refused. Revision files use batch operations, so
    that they run on SQLite too.

Applying them
    ``upgrade`` applies apps in foreign-key dependency order (``downgrade`` of every app goes in
    reverse), under a lock, so several processes may run it at once.

Coming from nextcord-ormar 0.3
    Its tables were named ``<app>.<model>s`` and its version tables ``alembic.<app>``. Keep its
    revision files where they are, run ``ormar-bot adopt`` once (it writes, per app, a revision
    renaming the tables to ``<app>_<model>s``) and ``ormar-bot upgrade`` on each database (it
    moves ``alembic.<app>`` into ``alembic_version_<app>``, then renames the tables).
"""

from __future__ import annotations

from .commands import (
    AppState,
    NewRevision,
    adopt,
    check,
    current,
    downgrade,
    downgrade_sql,
    heads,
    history,
    migrate,
    show,
    stamp,
    upgrade,
    upgrade_sql,
)
from .config import Config
from .discovery import find_project
from .layout import version_table
from .project import Project

__all__ = [
    "AppState",
    "Config",
    "NewRevision",
    "Project",
    "adopt",
    "check",
    "current",
    "downgrade",
    "downgrade_sql",
    "find_project",
    "heads",
    "history",
    "migrate",
    "show",
    "stamp",
    "upgrade",
    "upgrade_sql",
    "version_table",
]
