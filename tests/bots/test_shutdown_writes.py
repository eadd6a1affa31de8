"""Database work started while the bot shuts down is on disk once ``close()`` returns.

discord.py awaits an async ``cog_unload``; nextcord's ``cog_unload`` is synchronous, so cogs spawn
a task; nextcord also runs bot-level ``on_close`` listeners as tasks. None of these may lose a
write, and the database must be closed when ``close()`` returns.
"""

from __future__ import annotations

from pathlib import Path

from forks import Fork
from notes import (
    create_tables,
    define_notes,
    listen_for_close,
    notes_cog,
    shutdown_cog,
    shutdown_writes,
    stored_texts,
)
from ormar_bot_core.testing import DiscordServer, running_bot


async def test_writes_during_close_are_on_disk(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)
    await fork.add_cog(bot, notes_cog(fork.commands, note))
    await fork.add_cog(bot, shutdown_cog(fork.name, fork.commands, note))
    expected = {"acknowledged", *shutdown_writes(fork.name)}
    listen_for_close(fork.name, bot, note)

    async with running_bot(bot, server):
        await server.ask(server.guilds[0].channel, "!add acknowledged")
        await bot.close()
        assert not bot._ormar.database.is_connected
        assert sorted(stored_texts(database)) == sorted(expected)
