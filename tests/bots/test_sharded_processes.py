"""Two processes, each running one shard of an ``AutoShardedBot``, write to one database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from forks import Fork
from notes import define_notes
from ormar_bot_core import OrmarManager
from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer

SHARD_SCRIPT = Path(__file__).with_name("shard_process.py")
STARTUP_TIMEOUT = 3 * DEFAULT_TIMEOUT
MESSAGES_PER_SHARD = 20


async def test_two_shard_processes_write_to_one_database(
    fork: Fork, database_url: str, tmp_path: Path
) -> None:
    note = define_notes()
    manager = OrmarManager(database_url)
    async with manager, manager.database.engine.begin() as connection:
        await connection.run_sync(note.ormar_config.metadata.create_all)

    async with DiscordServer(shard_count=2) as server:
        guilds = [server.add_guild(f"Shard {shard}", shard_id=shard) for shard in (0, 1)]
        environ = {**os.environ, **server.endpoints.to_environ()}
        logs = [tmp_path / f"shard{shard}.log" for shard in (0, 1)]
        processes = []
        for shard, log in enumerate(logs):
            with log.open("wb") as output:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        str(SHARD_SCRIPT),
                        fork.name,
                        database_url,
                        str(shard),
                        "2",
                        env=environ,
                        stdout=output,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                )
        try:
            await server.wait_until_connected(timeout=STARTUP_TIMEOUT)
            sent = [
                server.send_message(guild.channel, f"!add {guild.name} #{number}")
                for number in range(MESSAGES_PER_SHARD)
                for guild in guilds
            ]
            await asyncio.gather(*sent)
            await server.wait_for_replies(2 * MESSAGES_PER_SHARD, timeout=STARTUP_TIMEOUT)
            for process in processes:
                process.send_signal(signal.SIGTERM)
            codes = [await asyncio.wait_for(p.wait(), DEFAULT_TIMEOUT) for p in processes]
        finally:
            for process in processes:
                if process.returncode is None:
                    process.kill()
                    await process.wait()

    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], outputs
    assert all("after run: database closed" in output for output in outputs), outputs
    async with manager:
        texts = {row.text for row in await note.objects.all()}
    assert texts == {
        f"{guild.name} #{number}" for guild in guilds for number in range(MESSAGES_PER_SHARD)
    }
