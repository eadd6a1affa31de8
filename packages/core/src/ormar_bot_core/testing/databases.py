"""Throwaway databases on a PostgreSQL or MySQL/MariaDB server: one per test, dropped after it.

.. code-block:: python

    async with fresh_database("postgresql://bot:secret@127.0.0.1/bot") as url:
        ...  # url names a new, empty database on the same server, as the caller wrote it

The URL's user must be allowed to create and drop databases (PostgreSQL: ``CREATEDB``;
MySQL/MariaDB: the ``CREATE`` and ``DROP`` privileges). The statements run through the URL's own
async driver, so every URL form the manager accepts works here too.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from ..engines import describe_error, mysql_error_code
from ..errors import ConfigurationError, DatabaseUnavailableError
from ..urls import mask_url, resolve_url

__all__ = ["fresh_database"]

_DROP_ATTEMPTS = 3
# Seconds to reach the server: a silent one fails the test instead of hanging it.
_CONNECT_TIMEOUT = 30
# PostgreSQL's "database is being accessed by other users": a pool left behind by a failed test
# reconnected between ending its sessions and the DROP.
_OBJECT_IN_USE = "55006"
# MySQL/MariaDB's "unknown thread id": a connection to KILL ended in the meantime.
_UNKNOWN_THREAD = 1094


@asynccontextmanager
async def fresh_database(
    server_url: str | URL, *, prefix: str = "ormar_bot_test"
) -> AsyncIterator[str]:
    """Create an empty database with a unique name on ``server_url``'s server, yield its URL,
    and drop it on exit, ending the connections still open to it.

    The URL yielded is ``server_url`` (same scheme, user, password and host) naming the new
    database; connect to it with an :class:`~ormar_bot_core.OrmarManager`.

    :param server_url: a database on the server that the user may connect to.
    :param prefix: the start of the new database's name (a random suffix follows).
    :raises ConfigurationError: ``server_url`` is a SQLite URL.
    :raises DatabaseUnavailableError: the database cannot be created (the server is down, the
        user may not create databases).
    """
    url, backend = resolve_url(server_url)
    written = make_url(server_url)
    if backend.dialect == "sqlite":
        raise ConfigurationError(
            f"fresh_database() needs a database server, not {mask_url(written)!r}: give each "
            "test a new SQLite file instead."
        )
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    postgresql = backend.dialect == "postgresql"
    try:
        async with _admin_connection(url) as connection:
            if postgresql:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                await connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except Exception as error:  # noqa: BLE001 - refused, unreachable, not allowed: one clear error
        # (SQLAlchemy 2.0 lets some driver errors through unwrapped, 2.1 wraps them.)
        reason = describe_error(error, url)
        raise DatabaseUnavailableError(
            f"Cannot create a test database on {mask_url(written)!r}: {reason}. Check that the "
            "server runs and that the URL's user may create databases (PostgreSQL: CREATEDB; "
            "MySQL/MariaDB: the CREATE and DROP privileges)."
        ) from None
    try:
        yield written.set(database=name).render_as_string(hide_password=False)
    finally:
        async with _admin_connection(url) as connection:
            if postgresql:
                await _drop_postgresql(connection, name)
            else:
                await _drop_mysql(connection, name)


@asynccontextmanager
async def _admin_connection(url: URL) -> AsyncIterator[AsyncConnection]:
    # CREATE/DROP DATABASE cannot run inside a transaction on PostgreSQL; no pool, so that no
    # connection to the server's database outlives the statement.
    timeout_arg = "timeout" if url.get_driver_name() == "asyncpg" else "connect_timeout"
    engine = create_async_engine(
        url,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={timeout_arg: _CONNECT_TIMEOUT},
    )
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def _drop_postgresql(connection: AsyncConnection, name: str) -> None:
    for attempt in range(1, _DROP_ATTEMPTS + 1):
        # A test that failed half-way may have left connections behind (its pool may even open
        # one again): end those of our own role. Not WITH (FORCE): it refuses to end an
        # autovacuum worker for a user who is not a superuser, while a plain DROP DATABASE
        # stops such workers itself.
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
                "AND usename = current_user AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        try:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            return
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != _OBJECT_IN_USE or attempt == _DROP_ATTEMPTS:
                raise


async def _drop_mysql(connection: AsyncConnection, name: str) -> None:
    # A connection left in a transaction by a failed test holds a metadata lock, and DROP
    # DATABASE would wait for it without end.
    threads = await connection.execute(
        text(
            "SELECT id FROM information_schema.processlist WHERE db = :name "
            "AND id <> CONNECTION_ID()"
        ),
        {"name": name},
    )
    for (thread_id,) in threads.all():
        try:
            await connection.execute(text(f"KILL {int(thread_id)}"))
        except DBAPIError as error:
            if error.orig is None or mysql_error_code(error.orig) != _UNKNOWN_THREAD:
                raise
    await connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
