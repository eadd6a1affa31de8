"""The seed page's recipe for other forks, with its slips fixed (docs/advanced.rst).

Fixed: ``__init__`` takes ``self``, and ``add_listener`` comes after ``super().__init__()``
(which creates the listener table). It has two close wirings: closing the database in
``close()``, for forks without an ``on_close`` event (tried on discord.py), and registering the
close as an ``on_close`` listener from ``close()``, for forks with one (tried on nextcord).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from forks import load_fork
from notes import create_tables, define_notes, notes_cog, stored_texts
from ormar_bot_core import OrmarManager
from ormar_bot_core.testing import DiscordServer, point_client_at, running_bot


def recipe_bot_class(commands: Any, database_url: str, *, on_close: bool = False) -> Any:
    class MyBot(commands.Bot):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._ormar = OrmarManager(database_url)
            self.add_listener(self._ormar.start, "on_connect")

        async def close(self) -> None:
            if on_close:
                self.add_listener(self._ormar.close, "on_close")
            else:
                await self._ormar.close()
            await super().close()

    return MyBot


@pytest.mark.parametrize(
    ("fork_name", "on_close"),
    [("discord", False), ("nextcord", True)],
    ids=["close-first-on-discordpy", "on_close-listener-on-nextcord"],
)
async def test_corrected_recipe_keeps_the_write_and_closes_the_database(
    sqlite_url: str, database: Path, fork_name: str, on_close: bool
) -> None:
    fork = load_fork(fork_name)
    note = define_notes()
    create_tables(database, note)
    async with DiscordServer() as server:
        channel = server.add_guild().channel
        with point_client_at(fork.name, server):
            bot_class = recipe_bot_class(fork.commands, sqlite_url, on_close=on_close)
            bot = bot_class("!", intents=fork.intents())
            await fork.add_cog(bot, notes_cog(fork.commands, note))

            async with running_bot(bot, server):
                # The recipe connects from an on_connect listener, which runs concurrently
                # with the events that follow READY: wait for it.
                await server.wait_until(
                    lambda: bot._ormar.database.is_connected,
                    timeout=10,
                    waiting_for="the on_connect listener to connect the database",
                )
                [reply] = await server.ask(channel, "!add from the recipe")
                assert reply.content == "saved 1: from the recipe"
                await bot.close()
                if not on_close:
                    assert not bot._ormar.database.is_connected
                # nextcord runs an on_close listener as a task, so close() may return before
                # it ends (the weak spot the docs name): it still closes the database itself.
                await server.wait_until(
                    lambda: not bot._ormar.database.is_connected,
                    timeout=10,
                    waiting_for="the recipe to close the database",
                )

    assert stored_texts(database) == ["from the recipe"]
