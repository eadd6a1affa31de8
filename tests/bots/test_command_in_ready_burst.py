"""A command that arrives in the same burst as READY finds the database connected.

Discord sends READY, the guilds and the first messages back to back; a bot that connects its
database from an ``on_connect`` listener would race them.
"""

from __future__ import annotations

from pathlib import Path

from forks import Fork
from notes import create_tables, define_notes, notes_cog, stored_texts
from ormar_bot_core.testing import DiscordServer, running_bot


async def test_command_right_after_ready_writes(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)
    await fork.add_cog(bot, notes_cog(fork.commands, note))
    channel = server.guilds[0].channel
    first = server.queue_message(channel, "!add first")
    assert not bot._ormar.database.is_connected

    async with running_bot(bot, server):
        [reply] = await server.wait_for_replies(channel=channel, after=first)
        assert reply.content == "saved 1: first"

    assert stored_texts(database) == ["first"]
