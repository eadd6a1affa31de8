"""A bot run the way users run one, with ``bot.run()``, for tests/bots/test_run.py.

Usage: ``python bot_process.py FORK DATABASE`` with the local Discord's endpoints in the
environment (``DiscordServer.endpoints.to_environ()``). Commands: ``!add <text>``, ``!stop``
(closes the bot from inside). While closing, it makes the writes of ``notes.shutdown_writes``
(nextcord's include a bot-level ``on_close`` listener). After ``run()`` returns, prints whether
the database is closed.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from forks import load_fork
from notes import define_notes, listen_for_close, notes_cog, shutdown_cog
from ormar_bot_core.testing import Endpoints, point_client_at


def main(fork: str, database: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    loaded = load_fork(fork)
    point_client_at(fork, Endpoints.from_environ())

    note = define_notes()
    cogs = [notes_cog(loaded.commands, note), shutdown_cog(fork, loaded.commands, note)]

    class Bot(loaded.package.Bot):  # type: ignore[name-defined,misc]
        async def setup_hook(self) -> None:
            # discord.py: cogs are added (asynchronously) here; nextcord never calls it.
            for cog in cogs:
                await self.add_cog(cog)

    bot = Bot("!", f"sqlite:///{database}", intents=loaded.intents())
    if fork == "nextcord":
        for cog in cogs:
            bot.add_cog(cog)
    listen_for_close(fork, bot, note)

    @bot.command()  # type: ignore[untyped-decorator]
    async def stop(ctx: Any) -> None:
        await ctx.send("stopping")
        await bot.close()

    options: dict[str, Any] = {"log_handler": None} if fork == "discord" else {}
    bot.run("test-token", **options)
    state = "still connected" if bot._ormar.database.is_connected else "closed"
    print(f"after run: database {state}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
