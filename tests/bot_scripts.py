"""Running a project's commands and its bot script the way a user does, for tests of examples.

:func:`run_process` runs a command in a project folder; :func:`bot_script` runs
``python <script>`` there against a local Discord, as a user runs a bot with a real token.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SUBPROCESS_TIMEOUT = 120


@dataclass(frozen=True)
class ProcessResult:
    returncode: int
    stdout: str


async def run_process(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> ProcessResult:
    """Run ``command`` in ``cwd`` (in a thread, so the event loop goes on); output merged."""

    def run() -> ProcessResult:
        done = subprocess.run(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_SUBPROCESS_TIMEOUT,
            check=False,
        )
        return ProcessResult(done.returncode, done.stdout)

    return await asyncio.to_thread(run)


_RUN_OFFLINE = """\
import runpy, sys
from ormar_bot_core.testing import Endpoints, point_client_at
point_client_at(sys.argv[1], Endpoints.from_environ())
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@asynccontextmanager
async def bot_script(library: str, folder: Path, script: str) -> AsyncIterator[Any]:
    """``python <script>`` in ``folder`` against a local Discord with one guild; yields the
    server once the bot is connected, then stops the bot with SIGTERM and checks it exits 0."""
    from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer

    async with DiscordServer() as server:
        server.add_guild("Test Guild")
        env = {**os.environ, **server.endpoints.to_environ(), "DISCORD_TOKEN": "test-token"}
        log = folder / "bot.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _RUN_OFFLINE, library, script,
                cwd=folder, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        exited = asyncio.create_task(process.wait())
        server.watch(exited)
        try:
            await server.wait_until_connected()
            yield server
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(asyncio.shield(exited), DEFAULT_TIMEOUT)
            assert returncode == 0, log.read_text()
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n--- bot output ---\n{log.read_text()}") from None
        finally:
            server.unwatch(exited)
            if process.returncode is None:
                process.kill()
            await exited


def rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()
