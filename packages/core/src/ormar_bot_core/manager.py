"""The manager: one database URL, one connection for every app, and its start and close."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ormar
from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from .apps import OrmarApp
from .connection import SharedDatabase
from .errors import ConfigurationError, DatabaseUnavailableError
from .urls import mask_url, resolve_url

if TYPE_CHECKING:
    from .migrations import AppState

__all__ = ["DEFAULT_SQLITE_PRAGMAS", "OrmarManager"]

logger = logging.getLogger(__name__)

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
_RETRY_FIRST_DELAY = 0.1
_RETRY_MAX_DELAY = 1.0
# A connection unused for this long is pinged before its next query (see _install_idle_ping).
_PING_AFTER_IDLE = 0.1
_IDLE_SINCE = "ormar_bot_idle_since"
_LOST = "ormar_bot_lost"


class OrmarManager:
    """Owns the database connection that every app model uses.

    .. code-block:: python

        manager = OrmarManager("sqlite:///db.sqlite")
        await manager.start()
        ...
        await manager.close()

    :param database_url: ``sqlite:///path``, ``sqlite://`` (in memory), ``postgresql://…``,
        ``mysql://…`` or ``mariadb://…``, with or without a driver; the async driver is chosen
        for you.
    :param start_timeout: seconds :meth:`start` keeps trying to reach the database before it
        raises :class:`~ormar_bot_core.errors.DatabaseUnavailableError`.
    :param close_timeout: seconds :meth:`close` lets running queries finish before disconnecting.
    :param sqlite_pragmas: PRAGMAs merged over :data:`DEFAULT_SQLITE_PRAGMAS`; a value of ``None``
        leaves that PRAGMA at SQLite's default.
    :param force_rollback: run everything in one transaction that is rolled back at close
        (tests).
    :param engine_options: passed to :func:`sqlalchemy.ext.asyncio.create_async_engine`
        (``pool_size``, ``echo``, …).
    :param upgrade_on_start: apply every app's migrations (:meth:`upgrade`) when :meth:`start`
        connects, so a bot migrates itself at boot.
    """

    def __init__(
        self,
        database_url: str | URL,
        *,
        start_timeout: float = 10.0,
        close_timeout: float = 10.0,
        sqlite_pragmas: Mapping[str, str | int | None] | None = None,
        force_rollback: bool = False,
        upgrade_on_start: bool = False,
        **engine_options: Any,
    ) -> None:
        self.database_url = database_url
        """The URL as given."""
        self.url, self._backend = resolve_url(database_url)
        """The URL with its async driver, as the engine uses it."""
        self.start_timeout = start_timeout
        self.close_timeout = close_timeout
        self._sqlite_pragmas = _merge_pragmas(sqlite_pragmas)
        self._force_rollback = force_rollback
        self._engine_options = engine_options
        self.upgrade_on_start = upgrade_on_start
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OrmarManager({mask_url(self.url)!r})"

    @property
    def database(self) -> SharedDatabase:
        """The :class:`ormar.DatabaseConnection` every app model uses."""
        return OrmarApp.database

    @property
    def apps(self) -> Mapping[str, ormar.OrmarConfig]:
        """Every declared app's config, by app name."""
        return {name: app.config for name, app in OrmarApp.registered().items()}

    @property
    def is_sqlite(self) -> bool:
        return self._backend.dialect == "sqlite"

    async def start(self) -> None:
        """Connect, and return once the database answers. Does nothing if already connected.

        Concurrent callers wait for the same connection attempt.

        :raises DatabaseUnavailableError: the database did not answer within ``start_timeout``.
        """
        async with self._loop_lock():
            database = self.database
            if database.is_connected:
                if database.owner is not self:
                    raise ConfigurationError(
                        f"Another manager ({database.owner!r}) is connected: close it before "
                        f"starting {self!r}."
                    )
                return
            self._check_sqlite_folder()
            database.configure(
                self,
                self.url.render_as_string(hide_password=False),
                self._create_engine,
                force_rollback=self._force_rollback,
            )
            await self._connect_and_ping(database)
            logger.info("Connected to %s", mask_url(self.url))
            if self.upgrade_on_start:
                await self._upgrade_on_start(database)

    async def close(self) -> None:
        """Let running queries finish (up to ``close_timeout``), then disconnect.

        Does nothing if not connected; concurrent callers wait for the same close.
        """
        async with self._loop_lock():
            database = self.database
            if not database.is_connected or database.owner is not self:
                return
            try:
                if not await database.wait_idle(self.close_timeout):
                    logger.warning(
                        "Closing %s with %d queries still running after %.1fs",
                        mask_url(self.url),
                        database.in_flight,
                        self.close_timeout,
                    )
            finally:
                await database.disconnect()
            logger.info("Disconnected from %s", mask_url(self.url))

    async def __aenter__(self) -> OrmarManager:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _check_sqlite_folder(self) -> None:
        # SQLite creates a missing file but not a missing folder; say so before the driver
        # fails with its terse "unable to open database file".
        if not self.is_sqlite or self.url.database in (None, "", ":memory:"):
            return
        if self.url.query.get("uri") in ("true", "1"):
            return
        folder = Path(self.url.database).parent
        if not folder.is_dir():
            raise DatabaseUnavailableError(
                f"Cannot use the database at {mask_url(self.url)!r}: the folder "
                f"{str(folder)!r} does not exist. Create it, or fix the path in the URL "
                "(three slashes for a relative path, four for an absolute one)."
            )

    def _loop_lock(self) -> asyncio.Lock:
        # A bot may be run more than once in one process, each time on a new event loop.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def _create_engine(self) -> AsyncEngine:
        options = dict(self._engine_options)
        if self.is_sqlite:
            if self.url.database in (None, "", ":memory:"):
                # One connection for the whole process: each connection to ":memory:" would
                # be a database of its own. Queries take turns on it.
                options.setdefault("poolclass", AsyncAdaptedQueuePool)
                options.setdefault("pool_size", 1)
                options.setdefault("max_overflow", 0)
                options.setdefault("pool_timeout", 60)
            else:
                options.setdefault("pool_size", 5)
                options.setdefault("max_overflow", 10)
                options.setdefault("pool_timeout", 60)
        else:
            options.setdefault("pool_size", 5)
            options.setdefault("max_overflow", 10)
            # A burst of queries (thousands of tasks at once) queues for the 15 connections;
            # the last ones in line must wait their turn rather than fail after the 30 s default.
            options.setdefault("pool_timeout", 60)
        engine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            self._install_pragmas(engine)
        else:
            _survive_lost_connections(engine)
            if "pool_pre_ping" not in options:
                _install_idle_ping(engine)
        return engine

    def _install_pragmas(self, engine: AsyncEngine) -> None:
        pragmas = [f"PRAGMA {name}={value}" for name, value in self._sqlite_pragmas.items()]

        @event.listens_for(engine.sync_engine, "connect")
        def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                for pragma in pragmas:
                    cursor.execute(pragma)
            finally:
                cursor.close()

    async def _connect_and_ping(self, database: SharedDatabase) -> None:
        deadline = time.monotonic() + self.start_timeout
        delay = _RETRY_FIRST_DELAY
        while True:
            await database.connect()
            try:
                remaining = max(deadline - time.monotonic(), 0.001)
                await asyncio.wait_for(self._ping(database.engine), timeout=remaining)
                return
            except (asyncio.CancelledError, KeyboardInterrupt):
                await database.disconnect()
                raise
            except Exception as error:  # noqa: BLE001 - every failure becomes one clear error
                await database.disconnect()
                retry = _is_transient(error) and time.monotonic() + delay < deadline
                if not retry:
                    raise self._unavailable(error) from None
                logger.info("Waiting for %s: %s", mask_url(self.url), _describe(error))
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_DELAY)

    @staticmethod
    async def _ping(engine: AsyncEngine) -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def _unavailable(self, error: BaseException) -> DatabaseUnavailableError:
        reason = _describe(error)
        if self.url.password:
            reason = reason.replace(str(self.url.password), "***")
        return DatabaseUnavailableError(
            f"Cannot use the database at {mask_url(self.url)!r}: {reason}. Check that the "
            "database server runs and that the URL's host, port, user, password and database "
            "name are right."
        )

    # Migrations: thin wrappers over ormar_bot_core.migrations, imported only when used so that
    # a bot that never migrates never imports Alembic.

    async def upgrade(self, app: str | None = None, revision: str = "heads") -> list[AppState]:
        """Apply migrations: every app to its newest revision, in foreign-key dependency order,
        or ``app`` to ``revision``. Safe to run from several processes at once (it locks).
        Works whether or not the manager is started."""
        from .migrations import Project, commands

        return await commands.upgrade(Project.of_manager(self), app, revision)

    async def downgrade(self, app: str | None, revision: str = "-1") -> list[AppState]:
        """Revert ``app``'s migrations (one step by default); ``app=None`` with ``"base"``
        reverts every app, dependents first."""
        from .migrations import Project, commands

        return await commands.downgrade(Project.of_manager(self), app, revision)

    async def current(self, app: str | None = None) -> dict[str, tuple[str, ...]]:
        """The revisions applied to the database, by app."""
        from .migrations import Project, commands

        return await commands.current(Project.of_manager(self), app)

    async def stamp(self, app: str | None, revision: str = "heads") -> list[AppState]:
        """Record ``revision`` as applied without running migrations."""
        from .migrations import Project, commands

        return await commands.stamp(Project.of_manager(self), app, revision)

    async def check_migrations(self, app: str | None = None) -> dict[str, list[str]]:
        """What a new migration would contain, by app; empty when the models match."""
        from .migrations import Project, commands

        return await commands.check(Project.of_manager(self), app)

    async def _upgrade_on_start(self, database: SharedDatabase) -> None:
        try:
            await self.upgrade()
        except BaseException:
            await database.disconnect()
            raise


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


def _merge_pragmas(overrides: Mapping[str, str | int | None] | None) -> dict[str, str | int]:
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
# MySQL/MariaDB codes with the same meaning. Server: too many connections, shutdown in
# progress. Client: cannot connect (socket, TCP), unknown host (a container's name resolves
# once it runs; PostgreSQL's DNS failure is an OSError and retried too), server has gone
# away, lost connection.
_TRANSIENT_MYSQL_CODES = frozenset({1040, 1053, 2002, 2003, 2005, 2006, 2013})
_MYSQL_DRIVERS = frozenset({"pymysql", "aiomysql", "asyncmy", "MySQLdb"})


def _is_transient(error: BaseException) -> bool:
    """Whether ``error`` means the server is not reachable yet (worth retrying).

    Wrong credentials, a missing database and other answers from a running server are not:
    waiting cannot fix them, so :meth:`OrmarManager.start` reports them at once. The whole
    chain is looked at, because SQLAlchemy wraps the driver's error (sometimes twice).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError | OSError):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith("08") or sqlstate in _TRANSIENT_SQLSTATES
        ):
            return True
        if _mysql_code(current) in _TRANSIENT_MYSQL_CODES:
            return True
        if isinstance(current, DBAPIError) and current.orig is not None:
            current = current.orig
        else:
            current = current.__cause__
    return False


def _mysql_code(error: BaseException) -> int | None:
    # The MySQL drivers raise ``Error(code, message)``; the first argument of other exceptions
    # is no such code even when it is a number.
    if type(error).__module__.partition(".")[0] not in _MYSQL_DRIVERS or not error.args:
        return None
    code = error.args[0]
    return code if isinstance(code, int) else None


def _describe(error: BaseException) -> str:
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if type(error).__module__.startswith("sqlalchemy.") and error.__cause__ is not None:
        # SQLAlchemy's asyncpg adapter re-raises every driver error as a plain "Error"; the
        # driver's own exception names the problem (InvalidPasswordError, ...).
        error = error.__cause__
    if isinstance(error, TimeoutError):
        return "no answer in time"
    text_ = str(error).strip().splitlines()
    detail = text_[0] if text_ else type(error).__name__
    return f"{type(error).__name__}: {detail}"
