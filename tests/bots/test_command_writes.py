"""A command of a cog writes through an app model; the row is on disk when the bot answers."""

from __future__ import annotations

from pathlib import Path

from forks import Fork
from notes import create_tables, define_notes, notes_cog, stored_texts
from ormar_bot_core.testing import DiscordServer, running_bot


async def test_command_writes_to_database(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)
    await fork.add_cog(bot, notes_cog(fork.commands, note))
    channel = server.guilds[0].channel

    async with running_bot(bot, server):
        [reply] = await server.ask(channel, "!add buy milk")
        assert reply.content == "saved 1: buy milk"
        assert stored_texts(database) == ["buy milk"]
        [reply] = await server.ask(channel, "!count")
        assert reply.content == "1 notes"

    assert not bot._ormar.database.is_connected
