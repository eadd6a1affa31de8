"""The body of the bundled ``env.py``: configures Alembic from the typed :class:`.Config`.

Every setting comes from the :class:`.Config` ormar-bot built for the app, so projects carry no
``env.py`` of their own. Settings that hold for every app:

- ``render_as_batch``: revision files use ``batch_alter_table``, so that the same file alters
  tables on SQLite (which recreates the table) and on servers (plain ``ALTER``);
- ``compare_type`` and ``compare_server_default``: type and default changes are detected;
- the include filters of :class:`.Ownership`: an app's migration only sees its own tables.
"""

from __future__ import annotations

from alembic import context
from alembic.runtime.migration import MigrationContext

from ..errors import MigrationError
from ..naming import short_name
from .autogen import context_options
from .config import Config

__all__ = ["run_environment"]


def run_environment() -> None:
    """Run the migrations Alembic asked for; called by the bundled ``env.py``."""
    config = context.config
    if not isinstance(config, Config):
        raise MigrationError(
            "This env.py belongs to ormar-bot and runs only under its commands: use "
            "'ormar-bot upgrade' (or nxalembic) instead of 'alembic'."
        )
    options = context_options(config)
    if context.is_offline_mode():
        context.configure(dialect_name=config.dialect_name, literal_binds=True, **options)
        _short_version_key(context.get_context())
    else:
        if config.connection is None:
            raise MigrationError(f"No database connection for app {config.app.name!r}.")
        context.configure(connection=config.connection, **options)
        _short_version_key(context.get_context())
        if config.version_table_exists is not None:
            _known_version_table(context.get_context(), config.version_table_exists)
    with context.begin_transaction():
        context.run_migrations()


def _known_version_table(migration_context: MigrationContext, exists: bool) -> None:
    """Answer "does the version table exist?" from what the caller already knows.

    Alembic asks the database before each command, twice for a new app; on PostgreSQL each
    question is a catalog query. Commands that change the database hold the migration lock and
    read the table list once, so the answer cannot change behind their back. Should Alembic
    stop calling these methods, this only costs the queries again.
    """
    known = {"exists": exists}
    ensure = migration_context._ensure_version_table

    def has_version_table() -> bool:
        return known["exists"]

    def ensure_version_table(purge: bool = False) -> None:
        if purge or not hasattr(migration_context, "_version"):
            ensure(purge)
        elif not known["exists"]:
            assert migration_context.connection is not None
            migration_context._version.create(migration_context.connection)
        known["exists"] = True

    migration_context._has_version_table = has_version_table  # type: ignore[method-assign]
    migration_context._ensure_version_table = ensure_version_table  # type: ignore[method-assign]


def _short_version_key(migration_context: MigrationContext) -> None:
    """Give the version table's primary key a name every database accepts.

    Alembic names it ``<version table>_pkc``; the version table of a long app name fits in 63
    characters (see :func:`.layout.version_table`), but not with that suffix, which PostgreSQL,
    MySQL and MariaDB then refuse when the table is created. The key is shortened like every
    other name (:func:`ormar_bot_core.naming.short_name`); nothing refers to it by name, and a
    name that fits is left as Alembic made it. Should Alembic stop keeping the table in
    ``_version``, long app names only fail again on those databases.
    """
    version = getattr(migration_context, "_version", None)
    key = getattr(version, "primary_key", None)
    if key is not None and isinstance(key.name, str):
        key.name = short_name(key.name)
