"""One shard of an ``AutoShardedBot`` in a process of its own, for test_sharded_processes.py.

Usage: ``python shard_process.py FORK DATABASE_URL SHARD_ID SHARD_COUNT`` with the local
Discord's endpoints in the environment. Runs ``bot.run()`` with the ``notes`` cog until SIGTERM.
"""

from __future__ import annotations

import sys
from typing import Any

from forks import load_fork
from notes import define_notes, notes_cog
from ormar_bot_core.testing import Endpoints, point_client_at


def main(fork: str, database_url: str, shard_id: int, shard_count: int) -> None:
    loaded = load_fork(fork)
    point_client_at(fork, Endpoints.from_environ())
    cog = notes_cog(loaded.commands, define_notes())

    class Bot(loaded.package.AutoShardedBot):  # type: ignore[name-defined,misc]
        async def setup_hook(self) -> None:
            await self.add_cog(cog)  # discord.py; nextcord never calls setup_hook

    bot = Bot(
        "!",
        database_url,
        intents=loaded.intents(),
        shard_ids=[shard_id],
        shard_count=shard_count,
    )
    if fork == "nextcord":
        bot.add_cog(cog)
    options: dict[str, Any] = {"log_handler": None} if fork == "discord" else {}
    bot.run("test-token", **options)
    state = "still connected" if bot._ormar.database.is_connected else "closed"
    print(f"after run: database {state}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
