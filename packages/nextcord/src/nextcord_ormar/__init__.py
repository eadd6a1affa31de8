"""nextcord-ormar: a nextcord ``Bot`` with a managed ormar database.

.. code-block:: python

    import os

    import nextcord
    from nextcord_ormar import Bot

    bot = Bot("!", "sqlite:///bot.sqlite", intents=nextcord.Intents.default())
    bot.load_extension("cogs.example")

    if __name__ == "__main__":  # the migration command imports this module to find the bot
        bot.run(os.environ["DISCORD_TOKEN"])

The database connects in ``login()``, before the gateway connection, so no event can reach a cog
before its tables are usable. ``close()`` removes the cogs, lets tasks spawned by a ``cog_unload``
and ``on_close`` listeners finish, and only then closes the database. Every name of
:mod:`ormar_bot_core` is available here too.
"""

from __future__ import annotations

from importlib.metadata import version

from nextcord.ext import commands
from ormar_bot_core import *  # noqa: F403 - the core's public names are part of this package's API
from ormar_bot_core import OrmarBotMixin
from ormar_bot_core import __all__ as _core_names

__version__ = version("nextcord-ormar")
__all__ = ["AutoShardedBot", "Bot", *_core_names]


# nextcord declares add_cog, remove_cog and dispatch differently in its two Bot bases.
class Bot(OrmarBotMixin, commands.Bot):  # type: ignore[misc]
    """:class:`nextcord.ext.commands.Bot` with a database.

    ``Bot(command_prefix, database_url, **kwargs)``; see :class:`ormar_bot_core.OrmarBotMixin`.
    """


class AutoShardedBot(OrmarBotMixin, commands.AutoShardedBot):  # type: ignore[misc]
    """:class:`nextcord.ext.commands.AutoShardedBot` with a database, shared by all shards."""
