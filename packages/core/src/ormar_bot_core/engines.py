"""Engines: how each database's SQLAlchemy engine is built and kept healthy.

SQLite gets PRAGMAs suited to a bot (WAL, a busy timeout, foreign keys) and, in memory, one
shared connection; PostgreSQL and MySQL/MariaDB get a pool that checks idle connections and
survives a restarting server. The errors a driver raises are classified here too: worth waiting
for (the server is not up yet) or not (a wrong password).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from .errors import ConfigurationError

__all__ = [
    "DEFAULT_SQLITE_PRAGMAS",
    "create_engine",
    "describe_error",
    "is_transient",
    "mysql_error_code",
    "sqlite_pragmas",
]

DEFAULT_SQLITE_PRAGMAS: Mapping[str, str | int] = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "busy_timeout": 30_000,
    "foreign_keys": "ON",
}
"""PRAGMAs set on every SQLite connection: readers never block the writer, commits are fast and
still durable against a crashing process, writers wait for each other instead of failing with
"database is locked", and foreign keys are enforced."""

_PRAGMA_WORD = re.compile(r"-?\w+\Z")
# A connection unused for this long is pinged before its next query (see _install_idle_ping).
_PING_AFTER_IDLE = 0.1
_IDLE_SINCE = "ormar_bot_idle_since"
_LOST = "ormar_bot_lost"


def create_engine(
    url: URL, options: Mapping[str, Any], pragmas: Mapping[str, str | int]
) -> AsyncEngine:
    """The engine for ``url`` (with its async driver), with our defaults under ``options``.

    :param pragmas: for SQLite, the PRAGMAs each new connection runs (see :func:`sqlite_pragmas`).
    """
    options = dict(options)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and url.database in (None, "", ":memory:"):
        # One connection for the whole process: each connection to ":memory:" would be a
        # database of its own. Queries take turns on it.
        options.setdefault("poolclass", AsyncAdaptedQueuePool)
        options.setdefault("pool_size", 1)
        options.setdefault("max_overflow", 0)
    else:
        options.setdefault("pool_size", 5)
        options.setdefault("max_overflow", 10)
    # A burst of queries (thousands of tasks at once) queues for the pool's connections; the
    # last ones in line must wait their turn rather than fail after the 30 s default.
    options.setdefault("pool_timeout", 60)
    engine = create_async_engine(url, **options)
    if sqlite:
        _run_pragmas_on_connect(engine, pragmas)
    else:
        _survive_lost_connections(engine)
        if "pool_pre_ping" not in options:
            _install_idle_ping(engine)
    return engine


def _run_pragmas_on_connect(engine: AsyncEngine, pragmas: Mapping[str, str | int]) -> None:
    statements = [f"PRAGMA {name}={value}" for name, value in pragmas.items()]

    @event.listens_for(engine.sync_engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
        finally:
            cursor.close()


def _install_idle_ping(engine: AsyncEngine) -> None:
    """Check a pooled connection before use when it sat idle, and reconnect if it is dead.

    Connections left over from before a server restart are replaced on checkout instead of
    failing the next query. SQLAlchemy's ``pool_pre_ping`` does the same on *every* checkout,
    which costs a round trip per query: a third of the throughput of a burst on PostgreSQL.
    In a burst, connections go straight from one query to the next and are never idle.
    """
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < _PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # Any failure means the connection is unusable. As with pool_pre_ping, the server
            # went away, so every pooled connection is stale.
            raise InvalidatePoolError(str(error)) from error


def _survive_lost_connections(engine: AsyncEngine) -> None:
    """Make a connection lost while its isolation level is switched fail the usual way.

    ormar runs single queries in autocommit mode, so SQLAlchemy switches the isolation level of
    a connection when it leaves the pool and back when it returns. On MySQL/MariaDB each switch
    is a round trip, made outside SQLAlchemy's error handling: when the server had just died,
    the driver's error escaped unwrapped (even from a query that had succeeded, its write
    committed) and the connection was never returned to the pool. Instead, the loss is noted:
    a query on the connection then fails as usual (a wrapped error, the pool invalidated), and
    a connection lost on its way back is replaced at its next checkout.
    """
    dialect = engine.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    set_isolation_level = dialect.set_isolation_level
    lost: set[int] = set()

    def _set_isolation_level(dbapi_connection: Any, level: Any) -> None:
        try:
            set_isolation_level(dbapi_connection, level)
        except dbapi_error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            lost.add(id(dbapi_connection))

    # This engine's dialect only: SQLAlchemy has no hook around these round trips.
    dialect.set_isolation_level = _set_isolation_level  # type: ignore[method-assign]

    @event.listens_for(engine.sync_engine, "checkin")
    def _mark_if_lost(dbapi_connection: Any, record: Any) -> None:
        # The reset to the default level runs right before this, for the same connection.
        if dbapi_connection is not None and id(dbapi_connection) in lost:
            lost.discard(id(dbapi_connection))
            record.info[_LOST] = True

    @event.listens_for(engine.sync_engine, "invalidate")
    def _forget_lost(dbapi_connection: Any, _record: Any, _error: Any) -> None:
        lost.discard(id(dbapi_connection))

    @event.listens_for(engine.sync_engine, "checkout")
    def _replace_if_lost(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop(_LOST, False):
            raise InvalidatePoolError("the connection was lost when it was last returned")


def sqlite_pragmas(overrides: Mapping[str, str | int | None] | None) -> dict[str, str | int]:
    """:data:`DEFAULT_SQLITE_PRAGMAS` with ``overrides`` applied (``None`` removes one).

    :raises ConfigurationError: a name or value is not a single word or number.
    """
    merged: dict[str, str | int | None] = {**DEFAULT_SQLITE_PRAGMAS, **(overrides or {})}
    for name, value in merged.items():
        if not _PRAGMA_WORD.match(name) or (
            value is not None and not _PRAGMA_WORD.match(str(value))
        ):
            raise ConfigurationError(
                f"Invalid SQLite PRAGMA {name}={value!r}: names and values are single words or "
                "numbers."
            )
    return {name: value for name, value in merged.items() if value is not None}


# PostgreSQL SQLSTATEs that mean "not now" rather than "never": the server is shutting down,
# crashed, still starting (or recovering), or out of connection slots. Class 08 (connection
# exception) is checked as a whole.
_TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# asyncio's TimeoutError (raised by wait_for and the drivers' connect timeouts) is the builtin
# one from Python 3.11 on; on 3.10 it is a class of its own.
_TIMEOUTS = (TimeoutError, asyncio.TimeoutError)
# MySQL/MariaDB codes with the same meaning. Server: too many connections, shutdown in
# progress. Client: cannot connect (socket, TCP), unknown host (a container's name resolves
# once it runs; PostgreSQL's DNS failure is an OSError and retried too), server has gone
# away, lost connection.
_TRANSIENT_MYSQL_CODES = frozenset({1040, 1053, 2002, 2003, 2005, 2006, 2013})
_MYSQL_DRIVERS = frozenset({"pymysql", "aiomysql", "asyncmy", "MySQLdb"})


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` means the server is not reachable yet (worth retrying).

    Wrong credentials, a missing database and other answers from a running server are not:
    waiting cannot fix them, so :meth:`~ormar_bot_core.OrmarManager.start` reports them at
    once. The whole chain is looked at, because SQLAlchemy wraps the driver's error (sometimes
    twice).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (*_TIMEOUTS, OSError)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith("08") or sqlstate in _TRANSIENT_SQLSTATES
        ):
            return True
        if mysql_error_code(current) in _TRANSIENT_MYSQL_CODES:
            return True
        if isinstance(current, DBAPIError) and current.orig is not None:
            current = current.orig
        else:
            current = current.__cause__
    return False


def mysql_error_code(error: BaseException) -> int | None:
    """The MySQL/MariaDB error code of a driver's exception, ``None`` for other exceptions."""
    # The MySQL drivers raise ``Error(code, message)``; the first argument of other exceptions
    # is no such code even when it is a number.
    if type(error).__module__.partition(".")[0] not in _MYSQL_DRIVERS or not error.args:
        return None
    code = error.args[0]
    return code if isinstance(code, int) else None


def describe_error(error: BaseException, url: URL | None = None) -> str:
    """``ErrorType: first line of the message`` of the driver's error behind ``error``.

    :param url: the database's URL, whose password is masked should the message contain it.
    """
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if type(error).__module__.startswith("sqlalchemy.") and error.__cause__ is not None:
        # SQLAlchemy's asyncpg adapter re-raises every driver error as a plain "Error"; the
        # driver's own exception names the problem (InvalidPasswordError, ...).
        error = error.__cause__
    if isinstance(error, _TIMEOUTS):
        return "no answer in time"
    lines = str(error).strip().splitlines()
    detail = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    if url is not None and url.password:
        detail = detail.replace(str(url.password), "***")
    return detail
