"""Run an example bot offline and show what it stored.

A local Discord (gateway and REST on 127.0.0.1, from ``ormar_bot_core.testing``) stands in for
the real one; the bot itself is unmodified discord.py (``discordpy_bot``, the default) or nextcord
(``nextcord_bot``). The database is a fresh SQLite file, migrated with the migrations committed
next to the bot's cogs.

    python examples/offline_demo.py [--fork discord|nextcord] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sqlite3
import sys
import tempfile
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from ormar_bot_core.testing import Channel, DiscordServer, point_client_at, running_bot

HERE = Path(__file__).resolve().parent
EXAMPLES = {"discord": HERE / "discordpy_bot", "nextcord": HERE / "nextcord_bot"}
"""The example bot of each fork, by the name of its library."""
CONVERSATION = ["!hello", "!note buy milk", "/remember text:feed the cat", "!notes", "!hello"]
"""What the member says: messages, and a slash command with its option (``/name option:value``)."""


async def play(database: Path, fork: str) -> None:
    sys.path.insert(0, str(EXAMPLES[fork]))
    from bot import EXTENSIONS, create_bot  # the example bot, as its own script imports it

    async with DiscordServer() as server:
        guild = server.add_guild("Demo Guild")
        channel = guild.channel
        with point_client_at(fork, server):
            bot = create_bot(f"sqlite:///{database}")
            await migrate(bot, EXTENSIONS)
            async with running_bot(bot, server):
                print(f"{bot.user} is online in {guild.name!r}, #{channel.name}\n")
                for line in CONVERSATION:
                    answer, ephemeral = await say(server, channel, line)
                    print(f"  {server.user.name}: {line}")
                    speaker = bot.user.name
                    if ephemeral:
                        speaker += f" (only {server.user.name} sees it)"
                    for answer_line in answer.splitlines():
                        print(f"  {speaker}: {answer_line}")
        print(f"\nThe bot closed; database connected: {bot._ormar.database.is_connected}")


async def say(server: DiscordServer, channel: Channel, line: str) -> tuple[str, bool]:
    """Post ``line``, or invoke it if it is a slash command: the bot's answer, and whether only
    the member sees it."""
    if not line.startswith("/"):
        [reply] = await server.ask(channel, line)
        return reply.content, False
    command, _, option = line[1:].partition(" ")
    name, _, value = option.partition(":")
    response = await server.invoke(channel, command, {name: value} if name else None)
    return response.content, response.ephemeral


async def migrate(bot: Any, extensions: Iterable[str]) -> None:
    """Apply the migrations committed with the bot's cogs to the fresh database."""
    for extension in extensions:
        importlib.import_module(extension)  # declares the extension's app
    for state in await bot._ormar.upgrade():
        print(f"Migrated app {state.app!r} to revision {', '.join(state.after)}")


def show_rows(database: Path) -> None:
    print(f"\nRows in {database}:")
    with closing(sqlite3.connect(database)) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [description[0] for description in cursor.description]
            print(f"  {table}:")
            for row in cursor:
                print("    " + ", ".join(f"{c}={v!r}" for c, v in zip(columns, row, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fork", choices=sorted(EXAMPLES), default="discord", help="the example bot to run"
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file afterwards")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ormar-bot-demo-"))
    database = folder / "demo.sqlite"
    asyncio.run(play(database, options.fork))
    show_rows(database)
    if not options.keep:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
