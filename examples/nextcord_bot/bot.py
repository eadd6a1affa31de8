"""An example nextcord bot whose cogs keep their data in a database.

Run it for real from this folder: ``ormar-bot upgrade`` creates the tables from the migrations
committed next to the cogs (run it again after pulling new ones), then
``DISCORD_TOKEN=... python bot.py``. The database is a SQLite file next to this script unless
``DATABASE_URL`` names another (PostgreSQL, MySQL/MariaDB); give both commands the same one.

nextcord brings the slash commands (``/remember``) up to date on Discord as the bot connects.
"""

from __future__ import annotations

import os
from pathlib import Path

import nextcord
from nextcord_ormar import Bot

HERE = Path(__file__).resolve().parent
EXTENSIONS = ("cogs.notes", "cogs.greetings")


def create_bot(database_url: str | None = None) -> Bot:
    intents = nextcord.Intents.default()
    intents.message_content = True
    url = database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{HERE / 'bot.sqlite'}"
    bot = Bot("!", url, intents=intents)
    # nextcord loads extensions synchronously: their apps are declared as soon as the bot exists,
    # before its database connects at login.
    for extension in EXTENSIONS:
        bot.load_extension(extension)
    return bot


bot = create_bot()

if __name__ == "__main__":
    bot.run(os.environ["DISCORD_TOKEN"])
