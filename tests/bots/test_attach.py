"""``ormar_bot_core.attach()`` on a plain ``commands.Bot`` instance gives the packaged Bot's
guarantees: the database is up for the first event, and shutdown writes are on disk when
``close()`` returns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
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
from ormar_bot_core import ConfigurationError, attach
from ormar_bot_core.testing import DiscordServer, running_bot


async def test_attached_bot_keeps_the_guarantees(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.commands.Bot("!", intents=fork.intents())
    manager = attach(bot, sqlite_url)
    assert bot._ormar is manager
    await fork.add_cog(bot, notes_cog(fork.commands, note))
    await fork.add_cog(bot, shutdown_cog(fork.name, fork.commands, note))
    expected = {"in the READY burst", *shutdown_writes(fork.name)}
    listen_for_close(fork.name, bot, note)
    channel = server.guilds[0].channel
    first = server.queue_message(channel, "!add in the READY burst")

    async with running_bot(bot, server):
        [reply] = await server.wait_for_replies(channel=channel, after=first)
        assert reply.content == "saved 1: in the READY burst"
        await bot.close()
        assert not manager.database.is_connected
        assert sorted(stored_texts(database)) == sorted(expected)


async def test_a_bot_gets_one_managed_database(fork: Fork, sqlite_url: str) -> None:
    attached = fork.commands.Bot("!", intents=fork.intents())
    attach(attached, sqlite_url)
    packaged = fork.bot(sqlite_url)
    for bot in (attached, packaged):
        with pytest.raises(ConfigurationError, match=r"already has a managed database \(Orm"):
            attach(bot, sqlite_url)
