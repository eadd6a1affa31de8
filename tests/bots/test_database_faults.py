"""A running bot and its database server's faults: down when the bot starts, restarted while it
runs. The bot ends with a clear error, or carries on without a restart; nothing it
acknowledged is lost."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from forks import Fork
from notes import define_notes, notes_cog
from ormar_bot_core import DatabaseUnavailableError, OrmarManager
from ormar_bot_core.testing import DiscordServer, running_bot

from tests.databases import ControllableServer, missing_driver, skip_without_server

# Far longer than any of these tests needs: reaching it means a hang, which fails the test.
HANG = 60.0
PASSWORD = "s3cret-Pa55word"


@pytest.mark.parametrize("scheme", ["postgresql", "mariadb"])
async def test_a_database_down_at_start_stops_the_bot_before_the_gateway(
    fork: Fork, server: DiscordServer, scheme: str
) -> None:
    reason = missing_driver(scheme)
    if reason is not None:
        skip_without_server(reason)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    # The bounded wait: refused connections are retried for start_timeout, then it gives up.
    manager = OrmarManager(f"{scheme}://bot:{PASSWORD}@127.0.0.1:{port}/bot", start_timeout=1.0)
    bot = fork.bot(manager)
    try:
        with pytest.raises(DatabaseUnavailableError) as raised:
            await asyncio.wait_for(bot.start("test-token"), HANG)
    finally:
        await bot.close()
    message = str(raised.value)
    assert message.startswith(f"Cannot use the database at '{scheme}+")
    assert f"bot:***@127.0.0.1:{port}/bot" in message
    assert "Check that the database server runs" in message
    assert PASSWORD not in message
    # No event handler could have run without its database.
    assert server.gateway.events == []
    assert not manager.database.is_connected


@pytest.mark.server
async def test_a_server_restart_while_the_bot_runs_needs_no_bot_restart(
    fork: Fork, server: DiscordServer, controllable_server: ControllableServer
) -> None:
    note = define_notes()
    setup = OrmarManager(controllable_server.url)
    async with setup, setup.database.engine.begin() as connection:
        await connection.run_sync(note.ormar_config.metadata.create_all)

    bot = fork.bot(controllable_server.url)
    await fork.add_cog(bot, notes_cog(fork.commands, note))

    @bot.event  # type: ignore[untyped-decorator]
    async def on_command_error(ctx: Any, error: Any) -> None:
        # What the bot's users would see: the command failed, the bot carries on.
        await ctx.send(f"failed: {type(getattr(error, 'original', error)).__name__}")

    channel = server.guilds[0].channel
    async with running_bot(bot, server):
        [reply] = await server.ask(channel, "!add before")
        assert reply.content == "saved 1: before"

        await asyncio.to_thread(controllable_server.halt)
        # While the server is down, a command fails promptly (no hang), with the driver's error.
        [reply] = await server.ask(channel, "!add while down", timeout=HANG)
        assert reply.content.startswith("failed: "), reply.content

        await asyncio.to_thread(controllable_server.start)
        # The same bot, the same manager: stale connections are replaced on their next use.
        [reply] = await server.ask(channel, "!add after restart")
        assert reply.content.endswith(": after restart"), reply.content
        [reply] = await server.ask(channel, "!count")
        assert reply.content == "2 notes"
        assert bot._ormar.database.is_connected

    async with OrmarManager(controllable_server.url):
        texts = [row.text for row in await note.objects.order_by("id").all()]
    assert texts == ["before", "after restart"]
