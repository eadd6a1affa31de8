"""``reload_extension`` of an extension that declares an app: the fork executes the module again,
the app is declared again by the same module (no duplicate-app error), and the reloaded model
reads and writes the rows written before the reload.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from extensions import write_notes_extension
from forks import Fork
from notes import create_tables, stored_texts
from ormar_bot_core import OrmarApp
from ormar_bot_core.testing import DiscordServer, running_bot


async def test_reloaded_extension_redeclares_its_app_and_keeps_the_rows(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path, extension_package: Path
) -> None:
    extension = write_notes_extension(extension_package, fork.name)
    # As the migrations do before the bot runs; load_extension executes the module afresh.
    create_tables(database, importlib.import_module(extension).Note)
    bot = fork.bot(sqlite_url)
    await fork.load_extension(bot, extension)
    channel = server.guilds[0].channel

    async with running_bot(bot, server):
        [reply] = await server.ask(channel, "!add before the reload")
        assert reply.content == "saved 1: before the reload"
        loaded = bot.extensions[extension]
        assert OrmarApp.get("notes").config is loaded.ModelMeta

        await fork.reload_extension(bot, extension)

        reloaded = bot.extensions[extension]
        assert reloaded is not loaded
        assert list(OrmarApp.registered()) == ["notes"]
        app = OrmarApp.get("notes")
        assert app.module == extension
        assert app.config is reloaded.ModelMeta
        assert set(app.metadata.tables) == {"notes"}
        assert type(bot.get_cog("Notes")) is reloaded.Notes
        [reply] = await server.ask(channel, "!add after the reload")
        assert reply.content == "saved 2: after the reload"
        [reply] = await server.ask(channel, "!count")
        assert reply.content == "2 notes"

    assert stored_texts(database) == ["before the reload", "after the reload"]
    assert not bot._ormar.database.is_connected
