"""An example discord.py bot whose cogs keep their data in a database.

Run it for real with ``DISCORD_TOKEN=... python bot.py`` (the database defaults to a SQLite file
next to this script; set ``DATABASE_URL`` for PostgreSQL or MySQL/MariaDB).
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
