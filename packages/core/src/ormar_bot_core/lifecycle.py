"""A bot's database lifecycle, for any discord.py-style fork.

The sequence lives here once; a fork package only mixes :class:`OrmarBotMixin` into its
``commands.Bot``. Bots whose base class cannot change get the same behaviour from :func:`attach`.

- **Start**: the database connects at the beginning of ``login()``, before the fork's own setup
  (discord.py's ``setup_hook``, extension loading) and before the gateway connection, so no event
  handler can run before the database is ready. Reconnects and repeated ``on_connect`` leave it as
  it is.
- **Close**: the fork's own ``close()`` runs first (extensions and cogs unloaded, ``on_close``
  listeners started); then the work begun during shutdown is awaited (tasks spawned by a sync
  ``cog_unload`` or by listeners, but not the timers of the library's HTTP client, such as the
  rate-limit resets nextcord 3 starts after every response); then running queries finish and
  the database disconnects. ``close()`` returns only after that, and so does ``connect()``
  (hence ``start()`` and ``run()``) when the bot is closed while connected: ``run()`` cancels
  every task still running once ``start()`` returns, which would cut the close short.
- **SIGTERM** (systemd, container stops) triggers the same close, when the bot runs in the main
  thread and nobody else handles that signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from .errors import ConfigurationError
from .manager import OrmarManager

__all__ = ["BotLifecycle", "OrmarBotMixin", "attach"]

logger = logging.getLogger(__name__)

CloseCallable = Callable[[], Awaitable[None]]


class BotLifecycle:
    """Ties an :class:`~ormar_bot_core.OrmarManager` to a bot's login and close.

    :param manager: the database to manage.
    :param shutdown_timeout: seconds ``close()`` waits for work begun during shutdown.
    :param handle_sigterm: close the bot gracefully on SIGTERM.
    :param housekeeping_modules: modules whose tasks are not shutdown work (``close()`` does not
        wait for them), e.g. ``{"nextcord.http"}`` for the rate-limit timers it starts.
    """

    def __init__(
        self,
        manager: OrmarManager,
        *,
        shutdown_timeout: float = 10.0,
        handle_sigterm: bool = True,
        housekeeping_modules: Collection[str] = (),
    ) -> None:
        self.manager = manager
        self.shutdown_timeout = shutdown_timeout
        self.handle_sigterm = handle_sigterm
        self.housekeeping_modules = frozenset(housekeeping_modules)
        self._closing: asyncio.Future[None] | None = None
        self._close_waiters: set[asyncio.Task[Any]] = set()

    async def login(
        self, fork_login: Callable[[], Awaitable[None]], bot_close: CloseCallable
    ) -> None:
        """Connect the database, then run the fork's ``login()``."""
        self._closing = None
        await self.manager.start()
        if self.handle_sigterm:
            _close_on_sigterm(bot_close)
        await fork_login()

    async def connect(self, fork_connect: Callable[[], Awaitable[None]]) -> None:
        """Run the fork's ``connect()``; if the bot is closing, return once it is closed.

        The fork's ``connect()`` returns as soon as ``close()`` has closed the gateway socket,
        long before the shutdown work and the database are done.
        """
        try:
            await fork_connect()
        finally:
            await self._wait_for_close()

    async def close(self, fork_close: CloseCallable) -> None:
        """Run the fork's ``close()``, wait for shutdown work, then close the database.

        Concurrent and repeated calls wait for the first one.
        """
        if self._closing is not None:
            await self._wait_for_close()
            return
        closing = self._closing = asyncio.get_running_loop().create_future()
        started_before = asyncio.all_tasks()
        try:
            await fork_close()
        finally:
            try:
                await self._wait_for_shutdown_work(started_before)
            finally:
                try:
                    await self.manager.close()
                finally:
                    closing.set_result(None)

    async def _wait_for_close(self) -> None:
        closing = self._closing
        if closing is None or closing.done():
            return
        # Tasks waiting here (a second close(), e.g. from SIGTERM) are not shutdown work: waiting
        # for them would wait for ourselves.
        task = asyncio.current_task()
        if task is not None:
            self._close_waiters.add(task)
        try:
            await asyncio.shield(closing)
        finally:
            if task is not None:
                self._close_waiters.discard(task)

    async def _wait_for_shutdown_work(self, started_before: set[asyncio.Task[Any]]) -> None:
        # Work spawned during shutdown can spawn more work: wait until no new task appears.
        deadline = time.monotonic() + self.shutdown_timeout
        this_task = asyncio.current_task()
        while True:
            spawned = {
                task
                for task in asyncio.all_tasks()
                if task not in started_before
                and task is not this_task
                and task not in self._close_waiters
                and not task.done()
                and _task_module(task) not in self.housekeeping_modules
            }
            if not spawned:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                logger.warning(
                    "Closing the database while %d tasks started during shutdown still run: %s",
                    len(spawned),
                    ", ".join(sorted(task.get_name() for task in spawned)),
                )
                return
            await asyncio.wait(spawned, timeout=remaining)


class OrmarBotMixin:
    """Mix into a fork's ``commands.Bot`` (before it) to give the bot a managed database.

    The bot gains ``_ormar``, its :class:`~ormar_bot_core.OrmarManager`.

    :param command_prefix: passed on to the fork's ``Bot``.
    :param database_url: a database URL, or an :class:`~ormar_bot_core.OrmarManager` built with
        your own options.
    :param shutdown_timeout: seconds ``close()`` waits for work begun during shutdown.
    :param handle_sigterm: close the bot gracefully on SIGTERM.
    """

    _ormar: OrmarManager
    _ormar_lifecycle: BotLifecycle

    def __init__(
        self,
        command_prefix: Any,
        database_url: str | OrmarManager,
        *args: Any,
        shutdown_timeout: float = 10.0,
        handle_sigterm: bool = True,
        **kwargs: Any,
    ) -> None:
        # The fork's Bot follows this class in the MRO.
        super().__init__(command_prefix, *args, **kwargs)  # type: ignore[call-arg]
        manager = _as_manager(database_url)
        self._ormar = manager
        self._ormar_lifecycle = BotLifecycle(
            manager,
            shutdown_timeout=shutdown_timeout,
            handle_sigterm=handle_sigterm,
            housekeeping_modules=_http_modules(type(self)),
        )

    async def login(self, token: str) -> None:
        fork_login = super().login  # type: ignore[misc]
        await self._ormar_lifecycle.login(lambda: fork_login(token), self.close)

    async def connect(self, *args: Any, **kwargs: Any) -> None:
        fork_connect = super().connect  # type: ignore[misc]
        await self._ormar_lifecycle.connect(lambda: fork_connect(*args, **kwargs))

    async def close(self) -> None:
        await self._ormar_lifecycle.close(super().close)  # type: ignore[misc]


def attach(
    bot: Any,
    database_url: str | OrmarManager,
    *,
    shutdown_timeout: float = 10.0,
    handle_sigterm: bool = True,
) -> OrmarManager:
    """Give an existing bot instance a managed database, without changing its class.

    Sets ``bot._ormar`` and wraps the instance's ``login``, ``connect`` and ``close`` so the
    database follows the bot's life exactly as with the packaged ``Bot`` classes. Call it before
    the bot starts.

    :returns: the bot's :class:`~ormar_bot_core.OrmarManager`.
    :raises ConfigurationError: the bot has a managed database already (a second ``attach``,
        or a ``Bot`` of nextcord-ormar / discordpy-ormar).
    """
    if isinstance(getattr(bot, "_ormar_lifecycle", None), BotLifecycle):
        raise ConfigurationError(
            f"{type(bot).__name__} already has a managed database ({bot._ormar!r}): attach() "
            "once per bot, and not to a Bot of nextcord-ormar or discordpy-ormar."
        )
    manager = _as_manager(database_url)
    lifecycle = BotLifecycle(
        manager,
        shutdown_timeout=shutdown_timeout,
        handle_sigterm=handle_sigterm,
        housekeeping_modules=_http_modules(type(bot)),
    )
    fork_login: Callable[[str], Awaitable[None]] = bot.login
    fork_connect: Callable[..., Awaitable[None]] = bot.connect
    fork_close: CloseCallable = bot.close

    async def login(token: str) -> None:
        await lifecycle.login(lambda: fork_login(token), bot.close)

    async def connect(*args: Any, **kwargs: Any) -> None:
        await lifecycle.connect(lambda: fork_connect(*args, **kwargs))

    async def close() -> None:
        await lifecycle.close(fork_close)

    bot._ormar = manager
    bot._ormar_lifecycle = lifecycle
    bot.login = login
    bot.connect = connect
    bot.close = close
    return manager


def _http_modules(bot_class: type) -> set[str]:
    """The REST client modules of the Discord libraries ``bot_class`` is built on."""
    names = set()
    for cls in bot_class.__mro__:
        module = sys.modules.get(cls.__module__.partition(".")[0] + ".http")
        # Only a discord.py-style library's REST client, not a user's own ``http`` module.
        if module is not None and hasattr(module, "HTTPClient"):
            names.add(module.__name__)
    return names


def _task_module(task: asyncio.Task[Any]) -> str | None:
    """The module of the coroutine ``task`` runs (where its function is defined)."""
    frame = getattr(task.get_coro(), "cr_frame", None)
    return None if frame is None else frame.f_globals.get("__name__")


def _as_manager(database: str | OrmarManager) -> OrmarManager:
    return database if isinstance(database, OrmarManager) else OrmarManager(database)


def _close_on_sigterm(close: CloseCallable) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGTERM)
    # asyncio's own handlers show up as its no-op function; anything else belongs to the user.
    if (
        current not in (signal.SIG_DFL, None)
        and getattr(current, "__name__", "") != "_sighandler_noop"
    ):
        return
    loop = asyncio.get_running_loop()
    # The loop keeps only a weak reference to a task: hold the close until it is done.
    running: set[asyncio.Task[None]] = set()

    async def close_bot() -> None:
        await close()

    def on_sigterm() -> None:
        logger.info("SIGTERM received: closing the bot")
        task = loop.create_task(close_bot(), name="ormar-bot: close on SIGTERM")
        running.add(task)
        task.add_done_callback(running.discard)

    # Windows event loops have no signal handlers.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
