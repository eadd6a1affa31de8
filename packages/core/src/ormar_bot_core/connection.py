"""The database connection every app model shares.

ormar needs a connection object when a model class is created, but a bot learns its database URL
later, when it builds its :class:`~ormar_bot_core.OrmarManager`. :class:`SharedDatabase` is an
:class:`ormar.DatabaseConnection` that exists before its URL is known: the manager configures and
opens it. It also counts the queries in flight, so that closing can let them finish, and turns
the use of a closed connection into a readable
:class:`~ormar_bot_core.errors.DatabaseNotConnectedError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType

import ormar
from ormar.databases.query_executor import QueryExecutor
from ormar.databases.transaction import Transaction
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .errors import DatabaseNotConnectedError

__all__ = ["SharedDatabase"]

_UNCONFIGURED_URL = "unconfigured://"
_IDLE_POLL_SECONDS = 0.01


class SharedDatabase(ormar.DatabaseConnection):
    """An :class:`ormar.DatabaseConnection` whose engine an :class:`OrmarManager` provides."""

    def __init__(self) -> None:
        super().__init__(_UNCONFIGURED_URL)
        self._engine_factory: Callable[[], AsyncEngine] | None = None
        self._in_flight = 0
        self._retired_engines: list[AsyncEngine] = []
        self.owner: object | None = None
        """The manager that configured this connection last."""

    def configure(
        self,
        owner: object,
        url: str,
        engine_factory: Callable[[], AsyncEngine],
        *,
        force_rollback: bool = False,
    ) -> None:
        """Point the connection at a database; takes effect at the next
        :meth:`~ormar.DatabaseConnection.connect` (:meth:`OrmarManager.start` calls it)."""
        self.owner = owner
        self._url = url
        self._engine_factory = engine_factory
        self._force_rollback = force_rollback

    @property
    def in_flight(self) -> int:
        """How many queries and transactions are running right now."""
        return self._in_flight

    async def connect(self) -> None:
        engine = self.prepare_engine()
        if not self._force_rollback or self._global_transaction is not None:
            return
        # Held in a ContextVar: queries see it only in this task and the tasks it starts.
        transaction = Transaction(self, force_rollback=True)
        try:
            await transaction.__aenter__()
        except BaseException:
            # Not connected after all: the next connect() starts over.
            self._engine = self._autocommit_engine = None
            await engine.dispose()
            raise
        self._global_transaction = transaction

    def prepare_engine(self) -> AsyncEngine:
        """Create the engine, without connecting, unless there is one; :meth:`connect` then
        opens the rolled-back transaction when ``force_rollback`` is set."""
        if self._engine is not None:
            return self._engine
        if self._engine_factory is None:
            raise DatabaseNotConnectedError(
                "No database is configured yet: create an OrmarManager with your database URL "
                "and call 'await manager.start()' (a Bot from nextcord-ormar or discordpy-ormar "
                "does it)."
            )
        engine = self._engine = self._engine_factory()
        self._autocommit_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        return engine

    async def disconnect(self) -> None:
        engine = self._engine
        if engine is None:
            return
        if self._global_transaction is not None:
            await self._global_transaction.__aexit__()
            self._global_transaction = None
        self._engine = self._autocommit_engine = None
        if self._in_flight:
            # Work that outlived the close timeout still holds connections: the engine is
            # disposed when that work ends, so that its connections are closed, not leaked.
            self._retired_engines.append(engine)
        else:
            await engine.dispose()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for running queries to finish; ``True`` once none run.

        Queries that start while waiting are waited for too.
        """
        deadline = time.monotonic() + timeout
        while self._in_flight:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_IDLE_POLL_SECONDS)
        return True

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise _not_connected()
        return self._engine

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self._tracked(), super().connection() as conn:
            yield conn

    @asynccontextmanager
    async def get_query_executor(
        self, *, transactional: bool = False
    ) -> AsyncIterator[QueryExecutor]:
        if self._engine is None:
            raise _not_connected()
        executor_context = super().get_query_executor(transactional=transactional)
        async with self._tracked(), executor_context as executor:
            yield executor

    def transaction(self, force_rollback: bool = False) -> Transaction:
        return _TrackedTransaction(self, force_rollback=force_rollback)

    @asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        self._in_flight += 1
        try:
            yield
        finally:
            await self._work_done()

    async def _work_done(self) -> None:
        self._in_flight -= 1
        if not self._in_flight:
            while self._retired_engines:
                await self._retired_engines.pop().dispose()


class _TrackedTransaction(Transaction):
    """An ormar transaction that counts as work in flight while it is open."""

    _database: SharedDatabase

    async def __aenter__(self) -> Transaction:
        if self._database._engine is None:
            raise _not_connected()
        self._database._in_flight += 1
        try:
            return await super().__aenter__()
        except BaseException:
            await self._database._work_done()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc_value, traceback)
        finally:
            await self._database._work_done()


def _not_connected() -> DatabaseNotConnectedError:
    return DatabaseNotConnectedError(
        "The database is not connected: queries work between 'await manager.start()' and "
        "'await manager.close()' (a bot connects at login and disconnects last when it closes)."
    )
