"""Scratch databases: an app's schema rebuilt from its history, to diff the models against.

``migrate`` needs no live database: it replays the histories into a scratch database and lets
autogenerate compare the models with the result. The scratch database is of the configured
dialect when a server is reachable and lets us create one, so dialect-specific types survive
the replay: on PostgreSQL a schema created inside a transaction that is rolled back (nothing is
left behind), else a temporary database; otherwise an in-memory SQLite database. The replay
also tells which tables each app's history creates: the tables the app *owns*.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy
from alembic import command
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool

from ..apps import OrmarApp
from ..engines import describe_error
from ..urls import mask_url
from . import legacy
from .ownership import is_version_table
from .runner import run_alembic

if TYPE_CHECKING:
    from .project import Project

__all__ = ["replay", "run_in_scratch"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_CONNECT_TIMEOUT = 5


class _ScratchUnavailable(Exception):
    """The server cannot give us a scratch database; SQLite will do."""


def replay(
    connection: Connection, project: Project, apps: Sequence[OrmarApp]
) -> dict[str, frozenset[str]]:
    """Upgrade ``apps`` (in order) to their heads on ``connection``; return the tables each
    app's history created.

    Apps adopted from nextcord-ormar are first all upgraded to the revision their adoption
    revision revises: their old revisions name each other's tables the old way, and ran before
    any table was renamed.
    """
    configs = [(app, project.config(app, connection=connection)) for app in apps]
    configs = [(app, config) for app, config in configs if config.has_history()]
    steps = legacy.upgrade_steps(configs)
    owned: dict[str, set[str]] = {app.name: set() for app in apps}
    for app, config, target in steps:
        before = set(sqlalchemy.inspect(connection).get_table_names())
        run_alembic(
            config,
            "Replaying the migrations of",
            partial(command.upgrade, config, target),
            hint="Fix that revision file, or compare with your database instead (--live).",
        )
        after = set(sqlalchemy.inspect(connection).get_table_names())
        created = {name for name in after - before if not is_version_table(name)}
        owned[app.name] = (owned[app.name] - (before - after)) | created
    return {name: frozenset(tables) for name, tables in owned.items()}


async def run_in_scratch(project: Project, work: Callable[[Connection], T]) -> T:
    """Run ``work`` on a fresh, empty database, dropped afterwards."""
    url = project.manager.url
    if url.get_backend_name() != "sqlite":
        try:
            return await _on_server(url, work)
        except _ScratchUnavailable as reason:
            logger.warning(
                "No scratch database on %s (%s): replaying the migrations into SQLite instead, "
                "so types only that database has may not compare exactly.",
                mask_url(url),
                reason,
            )
    return _in_sqlite(work)


def _in_sqlite(work: Callable[[Connection], T]) -> T:
    engine = sqlalchemy.create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.connect() as connection:
            return work(connection)
    finally:
        engine.dispose()


def _quick_engine(url: URL, **options: Any) -> AsyncEngine:
    timeout_arg = "timeout" if url.get_backend_name() == "postgresql" else "connect_timeout"
    return create_async_engine(
        url, poolclass=NullPool, connect_args={timeout_arg: _CONNECT_TIMEOUT}, **options
    )


async def _on_server(url: URL, work: Callable[[Connection], T]) -> T:
    name = f"ormar_bot_scratch_{secrets.token_hex(6)}"
    if url.get_backend_name() == "postgresql":
        found, result = await _in_schema(url, name, work)
        if found:
            return result  # type: ignore[return-value]
    admin = _quick_engine(url, isolation_level="AUTOCOMMIT")
    try:
        try:
            async with admin.connect() as connection:
                created = await _try(connection, f"CREATE DATABASE {name}")
        except Exception as error:  # noqa: BLE001 - unreachable, refused: all mean "use SQLite"
            raise _ScratchUnavailable(describe_error(error, url)) from None
        if not created:
            raise _ScratchUnavailable("not allowed to create a database or a schema")
        try:
            return await _in_database(url.set(database=name), work)
        finally:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f"DROP DATABASE {name}")
    finally:
        await admin.dispose()


async def _try(connection: AsyncConnection, statement: str) -> bool:
    try:
        await connection.exec_driver_sql(statement)
    except sqlalchemy.exc.DBAPIError as error:
        logger.debug("%s failed: %s", statement, describe_error(error))
        return False
    return True


async def _in_database(url: URL, work: Callable[[Connection], T]) -> T:
    engine = _quick_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


async def _in_schema(url: URL, name: str, work: Callable[[Connection], T]) -> tuple[bool, T | None]:
    """Run ``work`` in a schema created inside one transaction that is rolled back: on
    PostgreSQL, DDL is transactional, so nothing is left behind whatever happens. The search
    path holds the scratch schema alone, so no table of the real database is visible.

    :returns: ``(False, None)`` when the schema cannot be created (no privilege).
    """
    engine = _quick_engine(url)
    try:
        try:
            connection = await engine.connect()
        except Exception as error:  # noqa: BLE001 - unreachable, refused: all mean "use SQLite"
            raise _ScratchUnavailable(describe_error(error, url)) from None
        try:
            if not await _try(connection, f"CREATE SCHEMA {name}"):
                return False, None
            await connection.exec_driver_sql(f"SET LOCAL search_path TO {name}")
            return True, await connection.run_sync(work)
        finally:
            await connection.rollback()
            await connection.close()
    finally:
        await engine.dispose()
