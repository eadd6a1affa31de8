"""An example discord.py bot whose cogs keep their data in a database.

Run it for real from this folder: ``ormar-bot upgrade`` creates the tables from the migrations
committed next to the cogs (run it again after pulling new ones), then
``DISCORD_TOKEN=... python bot.py``. The database is a SQLite file next to this script unless
``DATABASE_URL`` names another (PostgreSQL, MySQL/MariaDB); give both commands the same one.

Slash commands (``/remember``) reach Discord when the bot's owner sends ``!sync``: once, and
again after changing them. discord.py does not publish them by itself, and syncing at every
start would spend a rate-limited call for nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import discord
from discord.ext import commands
from discordpy_ormar import Bot

HERE = Path(__file__).resolve().parent
EXTENSIONS = ("cogs.notes", "cogs.greetings")


class ExampleBot(Bot):
    async def setup_hook(self) -> None:
        # The database is already connected here: extensions may query it while loading.
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_command(sync)


@commands.command()
@commands.is_owner()
async def sync(ctx: commands.Context[commands.Bot]) -> None:
    """Publish the slash commands to Discord (the bot's owner only)."""
    synced = await ctx.bot.tree.sync()
    await ctx.send("Synced: " + (", ".join(f"/{command.name}" for command in synced) or "none"))


def create_bot(database_url: str | None = None) -> ExampleBot:
    intents = discord.Intents.default()
    intents.message_content = True
    url = database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{HERE / 'bot.sqlite'}"
    return ExampleBot("!", url, intents=intents)


bot = create_bot()

if __name__ == "__main__":
    bot.run(os.environ["DISCORD_TOKEN"])
