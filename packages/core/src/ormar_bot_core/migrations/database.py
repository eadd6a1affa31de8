"""Connections for migrations: through the manager's async engine, under a lock.

Alembic is synchronous; it runs inside :meth:`AsyncConnection.run_sync`, so the async driver
the manager already uses is the only one needed. ``upgrade``, ``downgrade`` and ``stamp`` run
every app in one transaction (where the database allows) while holding a lock, so that several
processes starting at once (shards) apply each migration exactly once:

- PostgreSQL: a transaction-level advisory lock;
- MySQL/MariaDB: ``GET_LOCK`` (their DDL is not transactional, the lock still serialises);
- SQLite: an exclusive transaction; foreign keys are off meanwhile, as batch migrations need.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..engines import describe_error
from ..errors import DatabaseUnavailableError, MigrationError
from ..urls import mask_url

if TYPE_CHECKING:
    from ..manager import OrmarManager

__all__ = ["LOCK_NAME", "open_engine", "run_on_database"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOCK_NAME = "ormar_bot_migrations"
_PG_LOCK_KEY = zlib.crc32(LOCK_NAME.encode())
_MYSQL_LOCK_TIMEOUT = 600


@asynccontextmanager
async def open_engine(manager: OrmarManager) -> AsyncIterator[AsyncEngine]:
    """The manager's engine when it is connected, else a temporary engine like it."""
    database = manager.database
    if database.is_connected and database.owner is manager:
        yield database.engine
        return
    engine = manager._create_engine()
    try:
        yield engine
    finally:
        await engine.dispose()


async def _connect(engine: AsyncEngine, url: URL) -> AsyncConnection:
    try:
        return await engine.connect()
    except Exception as error:  # noqa: BLE001 - any failure to connect is the same to the user
        advice = (
            "Check that the file's folder exists and that the file may be read and written."
            if url.get_backend_name() == "sqlite"
            else "Check that the server runs and that the URL is right."
        )
        raise DatabaseUnavailableError(
            f"Cannot connect to the database at {mask_url(url)!r}: "
            f"{describe_error(error, url).rstrip('.')}. {advice}"
        ) from None


async def run_on_database(
    manager: OrmarManager, work: Callable[[Connection], T], *, lock: bool = False
) -> T:
    """Run ``work`` with a synchronous connection to the manager's database and commit.

    :param lock: hold the migration lock, in one transaction, for the whole of ``work``.
    :raises DatabaseUnavailableError: the database cannot be reached.
    """
    async with open_engine(manager) as engine:
        connection = await _connect(engine, manager.url)
        try:
            if lock:
                async with _locked(connection):
                    result = await connection.run_sync(work)
            else:
                result = await connection.run_sync(work)
                await connection.commit()
            return result
        finally:
            await connection.close()


@asynccontextmanager
async def _locked(connection: AsyncConnection) -> AsyncIterator[None]:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        async with _sqlite_exclusive(connection):
            yield
    elif dialect == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        async with _committed(connection):
            yield
    elif dialect in ("mysql", "mariadb"):
        async with _mysql_lock(connection):
            yield
    else:  # pragma: no cover - the manager accepts no other database
        async with _committed(connection):
            yield


@asynccontextmanager
async def _committed(connection: AsyncConnection) -> AsyncIterator[None]:
    """Commit what the block did, or roll it back when it raises."""
    try:
        yield
    except BaseException:
        await connection.rollback()
        raise
    await connection.commit()


@asynccontextmanager
async def _sqlite_exclusive(connection: AsyncConnection) -> AsyncIterator[None]:
    # PRAGMA foreign_keys is ignored inside a transaction: switch it off before BEGIN.
    foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        await connection.exec_driver_sql("BEGIN EXCLUSIVE")
        async with _committed(connection):
            yield
    finally:
        if foreign_keys:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()


@asynccontextmanager
async def _mysql_lock(connection: AsyncConnection) -> AsyncIterator[None]:
    database = connection.engine.url.database or ""
    name = f"{LOCK_NAME}.{database}"[:64]
    got = (
        await connection.execute(
            text("SELECT GET_LOCK(:name, :timeout)"),
            {"name": name, "timeout": _MYSQL_LOCK_TIMEOUT},
        )
    ).scalar()
    if got != 1:
        raise MigrationError(
            f"Another process has held the migration lock {name!r} for {_MYSQL_LOCK_TIMEOUT} s; "
            "wait for it to finish, or find the stuck process."
        )
    try:
        async with _committed(connection):
            yield
    finally:
        await connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})
        await connection.commit()
