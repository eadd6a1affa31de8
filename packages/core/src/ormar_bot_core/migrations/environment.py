"""The body of the bundled ``env.py``: configures Alembic from the typed :class:`.Config`.

Every setting comes from the :class:`.Config` ormar-bot built for the app, so projects carry no
``env.py`` of their own. Settings that hold for every app:

- ``render_as_batch``: revision files use ``batch_alter_table``, so that the same file alters
  tables on SQLite (which recreates the table) and on servers (plain ``ALTER``);
- ``compare_type`` and ``compare_server_default``: type and default changes are detected;
- the include filters of :class:`.Ownership`: an app's migration only sees its own tables.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from ..errors import MigrationError
from .autogen import render_item
from .config import Config
from .ownership import Ownership

__all__ = ["run_environment"]


def run_environment() -> None:
    """Run the migrations Alembic asked for; called by the bundled ``env.py``."""
    config = context.config
    if not isinstance(config, Config):
        raise MigrationError(
            "This env.py belongs to ormar-bot and runs only under its commands: use "
            "'ormar-bot upgrade' (or nxalembic) instead of 'alembic'."
        )
    ownership = Ownership(config.app_tables, config.revision.owned_tables)
    options: dict[str, Any] = {
        "target_metadata": config.target_metadata,
        "version_table": config.version_table,
        "render_as_batch": True,
        "compare_type": True,
        "compare_server_default": True,
        "include_name": ownership.include_name,
        "include_object": ownership.include_object,
        "render_item": render_item,
    }
    if context.is_offline_mode():
        context.configure(dialect_name=config.dialect_name, literal_binds=True, **options)
    else:
        if config.connection is None:
            raise MigrationError(f"No database connection for app {config.app.name!r}.")
        context.configure(connection=config.connection, **options)
    with context.begin_transaction():
        context.run_migrations()
