"""Pointing unmodified Discord libraries at a local server, and running a bot against it.

Nothing here imports a Discord library at import time: :func:`point_client_at` imports the one it
is asked for when called. It works with any discord.py-style fork that keeps its REST base in
``<library>.http.Route.BASE`` (and, for the gateway, either asks ``/gateway`` as nextcord does or
reads ``<library>.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` as discord.py does).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractContextManager, asynccontextmanager
from types import TracebackType
from typing import Protocol

from .endpoints import Endpoints
from .server import DEFAULT_TIMEOUT, DiscordServer

__all__ = ["ClientRedirect", "point_client_at", "running_bot"]


class ClientRedirect(AbstractContextManager["ClientRedirect"]):
    """A library pointed at a local server; :meth:`restore` (or leaving ``with``) undoes it."""

    def __init__(self, library: str, server: DiscordServer | Endpoints) -> None:
        self.library = library
        route = importlib.import_module(f"{library}.http").Route
        websocket = getattr(importlib.import_module(f"{library}.gateway"), "DiscordWebSocket", None)
        self._saved: list[tuple[object, str, object]] = [(route, "BASE", route.BASE)]
        route.BASE = server.api_url
        if websocket is not None and hasattr(websocket, "DEFAULT_GATEWAY"):
            # discord.py connects there without asking /gateway, and keeps it as a yarl URL.
            default = websocket.DEFAULT_GATEWAY
            self._saved.append((websocket, "DEFAULT_GATEWAY", default))
            websocket.DEFAULT_GATEWAY = type(default)(server.gateway_url)

    def restore(self) -> None:
        """Give the library back its previous endpoints (idempotent)."""
        while self._saved:
            owner, name, value = self._saved.pop()
            setattr(owner, name, value)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.restore()


def point_client_at(library: str, server: DiscordServer | Endpoints) -> ClientRedirect:
    """Make every client of ``library`` (``"discord"``, ``"nextcord"``, …) talk to ``server``.

    ``server`` is a running :class:`DiscordServer`, or its :class:`Endpoints` (in a child
    process: ``Endpoints.from_environ()``). Takes effect at once, for the whole process; use the
    result as a context manager to undo it on exit:

    .. code-block:: python

        with point_client_at("nextcord", server):
            ...
    """
    return ClientRedirect(library, server)


class _Bot(Protocol):
    def start(self, token: str) -> Awaitable[None]: ...

    def close(self) -> Awaitable[None]: ...


@asynccontextmanager
async def running_bot(
    bot: _Bot,
    server: DiscordServer,
    *,
    token: str = "test-token",
    timeout: float = DEFAULT_TIMEOUT,
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``bot.start(token)`` in a task until every shard is connected; close it on exit.

    Point the bot's library at ``server`` first (:func:`point_client_at`). Leaving the block
    awaits ``bot.close()`` and the end of the task, and raises what the task raised; waits on
    ``server`` fail at once if the bot stops early.

    :yields: the task running the bot.
    """

    async def run() -> None:
        await bot.start(token)

    task = asyncio.create_task(run(), name=f"bot {type(bot).__name__}")
    server.watch(task)
    try:
        await server.wait_until_connected(timeout=timeout)
        yield task
    except BaseException:
        server.unwatch(task)
        # The failure at hand says more than whatever the bot raises while stopping.
        with contextlib.suppress(Exception):
            await _stop(bot, task, timeout)
        raise
    server.unwatch(task)
    await _stop(bot, task, timeout)


async def _stop(bot: _Bot, task: asyncio.Task[None], timeout: float) -> None:
    try:
        await asyncio.wait_for(bot.close(), timeout)
    finally:
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.cancel()
            await asyncio.wait({task})
    if not done:
        raise AssertionError(f"The bot did not stop within {timeout:g}s of close()")
    task.result()
