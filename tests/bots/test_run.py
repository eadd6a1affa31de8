"""``bot.run()`` in a process of its own, stopped from a command and by SIGTERM.

The process must exit with status 0 after closing its database, with every write it acknowledged
and every write made while shutting down on disk (``notes.shutdown_writes``: a cog's
``cog_unload``, and on nextcord a bot-level ``on_close`` listener too).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from forks import Fork
from notes import create_tables, define_notes, shutdown_writes, stored_texts
from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer

BOT_SCRIPT = Path(__file__).with_name("bot_process.py")
# A fresh interpreter imports the fork, ormar and SQLAlchemy before it connects: seconds on a
# busy machine. The wait still ends at once if the process dies.
STARTUP_TIMEOUT = 3 * DEFAULT_TIMEOUT


@asynccontextmanager
async def bot_process(
    fork: Fork, server: DiscordServer, database: Path, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot script running against ``server``; killed if still running on exit."""
    environ = {**os.environ, **server.endpoints.to_environ()}
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BOT_SCRIPT),
            fork.name,
            str(database),
            env=environ,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
    exited = asyncio.create_task(process.wait())
    server.watch(exited)
    try:
        yield process
    except AssertionError as failure:
        printed = await asyncio.to_thread(log.read_text)
        raise AssertionError(f"{failure}\n--- bot output ---\n{printed}") from None
    finally:
        server.unwatch(exited)
        if process.returncode is None:
            process.kill()
        await exited


@pytest.mark.parametrize("stop", ["command", "sigterm"])
async def test_run_exits_cleanly(
    fork: Fork, server: DiscordServer, database: Path, tmp_path: Path, stop: str
) -> None:
    create_tables(database, define_notes())
    channel = server.guilds[0].channel
    log = tmp_path / "bot.log"

    async with bot_process(fork, server, database, log) as process:
        await server.wait_until_connected(timeout=STARTUP_TIMEOUT)
        [reply] = await server.ask(channel, "!add acknowledged")
        assert reply.content == "saved 1: acknowledged"
        if stop == "command":
            await server.ask(channel, "!stop")
        else:
            process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(process.wait(), DEFAULT_TIMEOUT)

    output = await asyncio.to_thread(log.read_text)
    assert returncode == 0, output
    assert "after run: database closed" in output, output
    assert sorted(stored_texts(database)) == sorted({"acknowledged", *shutdown_writes(fork.name)})
