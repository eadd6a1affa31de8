"""The feature the bot tests exercise: a ``notes`` app, its model and a cog, built per fork.

Models are defined per call because every test starts from an empty app registry. The
subprocess bot imports this module too, so both paths run the same code.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from types import ModuleType
from typing import Any

import ormar
import sqlalchemy
from ormar_bot_core import AppModel, OrmarApp


class NoteBase(AppModel):
    """Only for type checkers: the shape of the model :func:`define_notes` returns."""

    ormar_config = ormar.OrmarConfig(abstract=True)

    id: int = ormar.Integer(primary_key=True)
    author_id: int = ormar.BigInteger()
    text: str = ormar.Text()


def define_notes() -> type[NoteBase]:
    """Declare the ``notes`` app and return its model."""
    config = OrmarApp.create_app("notes")

    class Note(NoteBase):
        ormar_config = config.copy(tablename="notes")

    return Note


def create_tables(database: Path, note: type[NoteBase]) -> None:
    """Create the app's tables with a throwaway sync engine, leaving the bot's database closed."""
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    try:
        note.ormar_config.metadata.create_all(engine)
    finally:
        engine.dispose()


def stored_texts(database: Path) -> list[str]:
    """The notes on disk, read with a connection of its own (as another process would)."""
    connection = sqlite3.connect(database)
    try:
        return [text for (text,) in connection.execute("SELECT text FROM notes ORDER BY id")]
    finally:
        connection.close()


def notes_cog(commands: ModuleType, note: type[NoteBase]) -> Any:
    """A cog of the fork whose ``commands`` module is given: ``!add <text>`` and ``!count``."""

    class Notes(commands.Cog):  # type: ignore[name-defined,misc]
        @commands.command()  # type: ignore[untyped-decorator]
        async def add(self, ctx: Any, *, text: str) -> None:
            saved = await note.objects.create(author_id=ctx.author.id, text=text)
            await ctx.send(f"saved {saved.id}: {text}")

        @commands.command()  # type: ignore[untyped-decorator]
        async def count(self, ctx: Any) -> None:
            await ctx.send(f"{await note.objects.count()} notes")

    return Notes()


async def write_later(note: type[NoteBase], text: str) -> None:
    # Idle first, with no query in flight: a close that only waited for running queries would
    # disconnect here. The pause makes such a regression show; correct code passes regardless.
    await asyncio.sleep(0.05)
    saved = await note.objects.create(author_id=0, text=f"{text} (pending)")
    await saved.update(text=text)


def shutdown_cog(fork: str, commands: ModuleType, note: type[NoteBase]) -> Any:
    """A cog of ``fork`` that writes when it is unloaded, the way that fork allows."""
    tasks: set[asyncio.Task[None]] = set()

    def spawn(work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    if fork == "discord":

        class AsyncUnload(commands.Cog):  # type: ignore[name-defined,misc]
            async def cog_unload(self) -> None:
                await write_later(note, "cog_unload")
                spawn(write_later(note, "task from cog_unload"))

        return AsyncUnload()

    class SyncUnload(commands.Cog):  # type: ignore[name-defined,misc]
        def cog_unload(self) -> None:
            spawn(write_later(note, "task from cog_unload"))

    return SyncUnload()


def listen_for_close(fork: str, bot: Any, note: type[NoteBase]) -> None:
    """On nextcord, give ``bot`` a bot-level ``on_close`` listener that writes (nextcord runs it
    as a task while closing); discord.py has no such event."""
    if fork == "discord":
        return

    async def on_close() -> None:
        await write_later(note, "on_close")

    bot.add_listener(on_close, "on_close")


def shutdown_writes(fork: str) -> set[str]:
    """The notes :func:`shutdown_cog` and :func:`listen_for_close` write on ``fork``."""
    if fork == "discord":
        return {"cog_unload", "task from cog_unload"}
    return {"task from cog_unload", "on_close"}
