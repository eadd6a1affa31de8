"""An example discord.py bot whose cogs keep their data in a database.

Run it for real from this folder: ``ormar-bot upgrade`` creates the tables from the migrations
committed next to the cogs (run it again after pulling new ones), then
``DISCORD_TOKEN=... python bot.py``. The database is a SQLite file next to this script unless
``DATABASE_URL`` names another (PostgreSQL, MySQL/MariaDB); give both commands the same one.
"""

from __future__ import annotations

import os
from pathlib import Path

import discord
from discordpy_ormar import Bot

HERE = Path(__file__).resolve().parent
EXTENSIONS = ("cogs.notes", "cogs.greetings")


class ExampleBot(Bot):
    async def setup_hook(self) -> None:
        # The database is already connected here: extensions may query it while loading.
        for extension in EXTENSIONS:
            await self.load_extension(extension)


def create_bot(database_url: str | None = None) -> ExampleBot:
    intents = discord.Intents.default()
    intents.message_content = True
    url = database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{HERE / 'bot.sqlite'}"
    return ExampleBot("!", url, intents=intents)


bot = create_bot()

if __name__ == "__main__":
    bot.run(os.environ["DISCORD_TOKEN"])
