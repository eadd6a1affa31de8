"""The database stays usable through gateway reconnects.

A dropped socket is first RESUMEd (no new READY), then dropped again with the session invalidated,
so the client IDENTIFYs afresh: READY, and ``on_connect``, come a second time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from forks import Fork
from notes import create_tables, define_notes, notes_cog, stored_texts
from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer, running_bot


async def test_database_survives_resume_and_new_session(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)
    await fork.add_cog(bot, notes_cog(fork.commands, note))
    # What the original recipe wired up: starting an already connected database again.
    bot.add_listener(bot._ormar.start, "on_connect")
    connects = 0
    connected_again = asyncio.Event()

    async def count_connects() -> None:
        nonlocal connects
        connects += 1
        if connects == 2:
            connected_again.set()

    bot.add_listener(count_connects, "on_connect")
    channel = server.guilds[0].channel

    async with running_bot(bot, server):
        await server.ask(channel, "!add before")

        assert (await server.drop_connection(resume=True)).kind == "resume"
        [reply] = await server.ask(channel, "!add after resume")
        assert reply.content == "saved 2: after resume"

        assert (await server.drop_connection(resume=False)).kind == "identify"
        await asyncio.wait_for(connected_again.wait(), DEFAULT_TIMEOUT)
        [reply] = await server.ask(channel, "!add after new session")
        assert reply.content == "saved 3: after new session"
        assert bot._ormar.database.is_connected

    assert connects == 2
    assert stored_texts(database) == ["before", "after resume", "after new session"]
    assert not bot._ormar.database.is_connected
