"""The earliest code a bot runs can query the database, since it connects at the start of login().

discord.py runs ``setup_hook`` (and the extensions it loads, and their cogs' ``cog_load``) at the
end of ``login()``, before the gateway connection. nextcord has no ``setup_hook`` and calls an
extension's ``setup()`` when it is loaded, usually before the bot starts (an async ``setup()``
only becomes a task nobody waits for), so its earliest async code are the ``on_connect`` and
``on_ready`` listeners; discord.py dispatches those too. (A command in the READY burst is
test_command_in_ready_burst.py.)
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from extensions import write_notes_extension
from forks import Fork
from notes import create_tables, define_notes, stored_texts
from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer, running_bot


@pytest.mark.parametrize("fork", ["discord"], indirect=True)
async def test_setup_hook_extension_setup_and_cog_load_query(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path, extension_package: Path
) -> None:
    extension = write_notes_extension(extension_package, fork.name, query_on_load=True)
    # The bot's own module imports the model it queries, as `from bot_cogs.notebook import Note`
    # would; load_extension then executes the module afresh (same app, same table).
    module = importlib.import_module(extension)
    create_tables(database, module.Note)

    class Bot(fork.package.Bot):  # type: ignore[name-defined,misc]
        async def setup_hook(self) -> None:
            await super().setup_hook()
            await module.note_down("setup_hook")
            await self.load_extension(extension)

    bot = Bot("!", sqlite_url, intents=fork.intents())
    channel = server.guilds[0].channel

    async with running_bot(bot, server):
        [reply] = await server.ask(channel, "!count")
        assert reply.content == "3 notes"
        [reply] = await server.ask(channel, "!add after READY")
        assert reply.content == "saved 4: after READY"

    assert stored_texts(database) == [
        "setup_hook saw 0",
        "extension setup saw 1",
        "cog_load saw 2",
        "after READY",
    ]


async def test_on_connect_and_on_ready_listeners_query(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    counted: dict[str, int] = {}

    async def write_and_count(event: str) -> None:
        await note.objects.create(author_id=0, text=event)
        counted[event] = await note.objects.filter(text=event).count()

    class Early(fork.commands.Cog):  # type: ignore[name-defined,misc]
        @fork.commands.Cog.listener()  # type: ignore[untyped-decorator]
        async def on_connect(self) -> None:
            await write_and_count("on_connect")

        @fork.commands.Cog.listener()  # type: ignore[untyped-decorator]
        async def on_ready(self) -> None:
            await write_and_count("on_ready")

    # on_ready waits this long after the last GUILD_CREATE (2 s by default).
    bot = fork.bot(sqlite_url, guild_ready_timeout=0.1)
    await fork.add_cog(bot, Early())

    async with running_bot(bot, server):
        await server.wait_until(
            lambda: len(counted) == 2,
            timeout=DEFAULT_TIMEOUT,
            waiting_for="the on_connect and on_ready listeners to write and count",
        )

    assert counted == {"on_connect": 1, "on_ready": 1}
    assert sorted(stored_texts(database)) == ["on_connect", "on_ready"]
