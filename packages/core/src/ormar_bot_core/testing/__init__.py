"""An offline Discord for testing bots: real, unmodified clients against a local server.

Install with ``pip install ormar-bot-core[testing]`` (it needs aiohttp, which every Discord
library already depends on). Nothing here imports a Discord library until you ask for one.

A discord.py bot with a ``!ping`` command, on an in-memory database, tested with pytest and
pytest-asyncio (``asyncio_mode = "auto"``):

.. code-block:: python

    import discord
    from discord.ext import commands
    from discordpy_ormar import Bot
    from ormar_bot_core.testing import DiscordServer, point_client_at, running_bot


    def make_bot() -> Bot:
        intents = discord.Intents.default()
        intents.message_content = True
        bot = Bot("!", "sqlite://", intents=intents)

        @bot.command()
        async def ping(ctx: commands.Context[Bot]) -> None:
            await ctx.send("pong")

        return bot


    async def test_ping() -> None:
        async with DiscordServer() as server:
            guild = server.add_guild()
            with point_client_at("discord", server):
                async with running_bot(make_bot(), server):
                    [reply] = await server.ask(guild.channel, "!ping")
        assert reply.content == "pong"

What the server speaks: the REST calls of login, connection and sending messages, and the
gateway's HELLO, heartbeats, IDENTIFY with sharding, READY and GUILD_CREATE, RESUME and
INVALID_SESSION, and slash commands with their responses. Test bodies post messages
(:meth:`DiscordServer.send_message`, :meth:`DiscordServer.ask`), invoke slash commands
(:meth:`DiscordServer.invoke`), send any gateway event (:meth:`DiscordServer.dispatch`),
queue events into the READY burst (:meth:`DiscordServer.queue_message`), wait for the bot's
messages (:meth:`DiscordServer.wait_for_replies`) and cut a connection
(:meth:`DiscordServer.drop_connection`). Every wait has a timeout and fails with a report of what
the bot said and did; an event name Discord does not send (:data:`GATEWAY_EVENTS`) is refused.

With pytest, the fixtures of :mod:`ormar_bot_core.testing.plugin` run your own bot on a fresh
database per test; :func:`fresh_database` gives a test a throwaway database on a PostgreSQL or
MySQL/MariaDB server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clients import ClientRedirect, point_client_at, running_bot
    from .databases import fresh_database
    from .endpoints import Endpoints
    from .gateway import ConnectionEvent
    from .interactions import Interaction, InteractionResponse
    from .payloads import Channel, Guild, Message, User
    from .server import DEFAULT_TIMEOUT, GATEWAY_EVENTS, DiscordServer

__all__ = [
    "DEFAULT_TIMEOUT",
    "GATEWAY_EVENTS",
    "Channel",
    "ClientRedirect",
    "ConnectionEvent",
    "DiscordServer",
    "Endpoints",
    "Guild",
    "Interaction",
    "InteractionResponse",
    "Message",
    "User",
    "fresh_database",
    "point_client_at",
    "running_bot",
]

# Imported on first use, so that the pytest plugin (.plugin, loaded in every pytest run of an
# environment holding this package) costs nothing and needs no aiohttp until a fixture runs.
_HOMES = {
    "ClientRedirect": "clients",
    "point_client_at": "clients",
    "running_bot": "clients",
    "fresh_database": "databases",
    "Endpoints": "endpoints",
    "ConnectionEvent": "gateway",
    "Interaction": "interactions",
    "InteractionResponse": "interactions",
    "Channel": "payloads",
    "Guild": "payloads",
    "Message": "payloads",
    "User": "payloads",
    "DEFAULT_TIMEOUT": "server",
    "GATEWAY_EVENTS": "server",
    "DiscordServer": "server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
