"""discordpy-ormar: a discord.py ``Bot`` with a managed ormar database.

.. code-block:: python

    import os

    import discord
    from discordpy_ormar import Bot


    class MyBot(Bot):
        async def setup_hook(self) -> None:
            await self.load_extension("cogs.example")


    bot = MyBot("!", "sqlite:///bot.sqlite", intents=discord.Intents.default())

    if __name__ == "__main__":  # the migration command imports this module to find the bot
        bot.run(os.environ["DISCORD_TOKEN"])

The database connects at the start of ``login()``, before ``setup_hook`` and the gateway
connection, so extensions loaded in ``setup_hook`` can already query it. ``close()`` awaits every
cog's ``cog_unload`` and the tasks they spawn, and only then closes the database. Every name of
:mod:`ormar_bot_core` is available here too.
"""

from __future__ import annotations

from importlib.metadata import version

from discord.ext import commands
from ormar_bot_core import *  # noqa: F403 - the core's public names are part of this package's API
from ormar_bot_core import OrmarBotMixin
from ormar_bot_core import __all__ as _core_names

__version__ = version("discordpy-ormar")
__all__ = ["AutoShardedBot", "Bot", *_core_names]


class Bot(OrmarBotMixin, commands.Bot):
    """:class:`discord.ext.commands.Bot` with a database.

    ``Bot(command_prefix, database_url, **kwargs)``; see :class:`ormar_bot_core.OrmarBotMixin`.
    """


class AutoShardedBot(OrmarBotMixin, commands.AutoShardedBot):
    """:class:`discord.ext.commands.AutoShardedBot` with a database, shared by all shards."""
