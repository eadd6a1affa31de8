"""Database work started while the bot shuts down is on disk once ``close()`` returns.

discord.py awaits an async ``cog_unload``; nextcord's ``cog_unload`` is synchronous, so cogs spawn
a task; nextcord also runs bot-level ``on_close`` listeners as tasks. None of these may lose a
write, and the database must be closed when ``close()`` returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from forks import Fork
from notes import NoteBase, create_tables, define_notes, notes_cog, stored_texts
from ormar_bot_core.testing import DiscordServer, running_bot


async def _write_later(note: type[NoteBase], text: str) -> None:
    # Idle first, with no query in flight: a close that only waited for running queries would
    # disconnect here. The pause makes such a regression show; correct code passes regardless.
    await asyncio.sleep(0.05)
    saved = await note.objects.create(author_id=0, text=f"{text} (pending)")
    await saved.update(text=text)


def shutdown_cog(fork: Fork, note: type[NoteBase]) -> Any:
    """A cog that writes when it is unloaded, the way each fork allows."""
    tasks: set[asyncio.Task[None]] = set()

    def spawn(work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    if fork.is_discordpy:

        class AsyncUnload(fork.commands.Cog):  # type: ignore[name-defined,misc]
            async def cog_unload(self) -> None:
                await _write_later(note, "cog_unload")
                spawn(_write_later(note, "task from cog_unload"))

        return AsyncUnload()

    class SyncUnload(fork.commands.Cog):  # type: ignore[name-defined,misc]
        def cog_unload(self) -> None:
            spawn(_write_later(note, "task from cog_unload"))

    return SyncUnload()


async def test_writes_during_close_are_on_disk(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)
    await fork.add_cog(bot, notes_cog(fork.commands, note))
    await fork.add_cog(bot, shutdown_cog(fork, note))
    expected = {"acknowledged", "task from cog_unload"}
    if fork.is_discordpy:
        expected.add("cog_unload")
    else:

        async def on_close() -> None:
            await _write_later(note, "on_close")

        bot.add_listener(on_close, "on_close")
        expected.add("on_close")

    async with running_bot(bot, server):
        await server.ask(server.guilds[0].channel, "!add acknowledged")
        await bot.close()
        assert not bot._ormar.database.is_connected
        assert sorted(stored_texts(database)) == sorted(expected)
