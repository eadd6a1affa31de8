"""The manager: one database URL, one connection for every app, and its start and close."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ormar
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine

from .apps import OrmarApp
from .connection import SharedDatabase
from .engines import DEFAULT_SQLITE_PRAGMAS, create_engine, describe_error, is_transient
from .engines import sqlite_pragmas as merge_pragmas
from .errors import ConfigurationError, DatabaseUnavailableError
from .urls import mask_url, resolve_url

if TYPE_CHECKING:
    from .migrations import AppState

__all__ = ["DEFAULT_SQLITE_PRAGMAS", "OrmarManager"]

logger = logging.getLogger(__name__)

_RETRY_FIRST_DELAY = 0.1
_RETRY_MAX_DELAY = 1.0


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
    :param sqlite_pragmas: PRAGMAs merged over
        :data:`~ormar_bot_core.engines.DEFAULT_SQLITE_PRAGMAS`; a value of ``None`` leaves that
        PRAGMA at SQLite's default.
    :param force_rollback: run everything in one transaction that is rolled back at close
        (tests).
    :param engine_options: passed to :func:`sqlalchemy.ext.asyncio.create_async_engine`
        (``pool_size``, ``echo``, …).
    :param upgrade_on_start: apply every app's migrations (:meth:`upgrade`) when :meth:`start`
        connects, so a bot migrates itself at boot.
    :raises ~ormar_bot_core.errors.DatabaseURLError: the URL is malformed or names a database
        other than SQLite, PostgreSQL, MySQL or MariaDB.
    :raises ~ormar_bot_core.errors.MissingDriverError: its async driver is not installed.
    :raises ~ormar_bot_core.errors.ConfigurationError: a timeout is not a number of seconds
        above 0, or a PRAGMA or an engine option is refused.
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
        self.start_timeout = _positive_seconds("start_timeout", start_timeout)
        self.close_timeout = _positive_seconds("close_timeout", close_timeout)
        self._sqlite_pragmas = merge_pragmas(sqlite_pragmas)
        self.force_rollback = force_rollback
        """Takes effect at the next :meth:`start`."""
        self._engine_options = engine_options
        self._check_engine_options()
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
                force_rollback=self.force_rollback,
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
        path = Path(self.url.database)
        if path.is_dir():
            raise DatabaseUnavailableError(
                f"Cannot use the database at {mask_url(self.url)!r}: {str(path)!r} is a folder. "
                "Name a file in it, such as sqlite:///data/bot.sqlite."
            )
        folder = path.parent
        if not folder.is_dir():
            raise DatabaseUnavailableError(
                f"Cannot use the database at {mask_url(self.url)!r}: the folder "
                f"{str(folder)!r} does not exist. Create it, or fix the path in the URL "
                "(three slashes for a relative path, four for an absolute one)."
            )

    def _check_engine_options(self) -> None:
        # A misspelt option would otherwise surface as SQLAlchemy's TypeError at start(),
        # when the bot is already logging in. Building an engine opens no connection.
        try:
            engine = self._create_engine()
        except Exception as error:  # noqa: BLE001 - a wrong value can fail in any way
            # "Invalid argument(s) 'pool_sise' sent to create_engine(), using configuration …"
            reason = str(error).split(", using configuration")[0].rstrip(". ")
            if not isinstance(error, (TypeError, ArgumentError)):
                reason = f"{type(error).__name__}: {reason}"
            raise ConfigurationError(
                f"Invalid OrmarManager option for {mask_url(self.url)!r}: {reason}. The "
                "keywords OrmarManager does not take itself go to SQLAlchemy's "
                "create_async_engine(); check their spelling."
            ) from None
        engine.sync_engine.dispose()

    def _loop_lock(self) -> asyncio.Lock:
        # A bot may be run more than once in one process, each time on a new event loop.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def _create_engine(self) -> AsyncEngine:
        return create_engine(self.url, self._engine_options, self._sqlite_pragmas)

    async def _connect_and_ping(self, database: SharedDatabase) -> None:
        deadline = time.monotonic() + self.start_timeout
        delay = _RETRY_FIRST_DELAY
        while True:
            try:
                remaining = max(deadline - time.monotonic(), 0.001)
                await asyncio.wait_for(self._ping(database.prepare_engine()), timeout=remaining)
                # With force_rollback this opens the transaction rolled back at close: here, not
                # in wait_for's task, whose context would keep it from the caller's queries.
                await database.connect()
                return
            except (asyncio.CancelledError, KeyboardInterrupt):
                await database.disconnect()
                raise
            except Exception as error:  # noqa: BLE001 - every failure becomes one clear error
                await database.disconnect()
                retry = is_transient(error) and time.monotonic() + delay < deadline
                if not retry:
                    raise self._unavailable(error) from None
                reason = describe_error(error, self.url)
                logger.info("Waiting for %s: %s", mask_url(self.url), reason)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_DELAY)

    @staticmethod
    async def _ping(engine: AsyncEngine) -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def _unavailable(self, error: BaseException) -> DatabaseUnavailableError:
        reason = describe_error(error, self.url)
        check = (
            "Check the file's path and that this user may read and write it and its folder."
            if self.is_sqlite
            else "Check that the database server runs and that the URL's host, port, user, "
            "password and database name are right."
        )
        return DatabaseUnavailableError(
            f"Cannot use the database at {mask_url(self.url)!r}: {reason}. {check}"
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


def _positive_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be a number of seconds above 0, not {value!r}.")
    return float(value)
