"""Start-up costs: importing a fork package, and the manager's start() and close() on SQLite.

    python bench/startup.py [--rounds N]

Imports are timed in fresh interpreters, the two sides alternating so that machine noise hits
both alike; the figure to read is the ratio. start()/close() are timed in-process on a SQLite file
and in memory, next to a plain ormar.DatabaseConnection connect()/disconnect() on the same file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

IMPORTS = {
    "nextcord_ormar": ("import nextcord_ormar", "import nextcord, ormar"),
    "discordpy_ormar": ("import discordpy_ormar", "import discord, ormar"),
}


def import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    return float(result.stdout)


def bench_imports(rounds: int) -> None:
    print(f"Import time, median of {rounds} fresh interpreters each:")
    for package, (ours, baseline) in IMPORTS.items():
        try:
            import_seconds(ours)
        except subprocess.CalledProcessError:
            print(f"  {package}: not installed, skipped")
            continue
        ours_times, base_times = [], []
        for _ in range(rounds):
            ours_times.append(import_seconds(ours))
            base_times.append(import_seconds(baseline))
        ours_median, base_median = statistics.median(ours_times), statistics.median(base_times)
        print(
            f"  {ours!r}: {ours_median * 1000:.0f} ms; {baseline!r}: {base_median * 1000:.0f} ms;"
            f" ratio {ours_median / base_median:.2f}"
        )


async def timed(action: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def bench_start_close(rounds: int, folder: Path) -> None:
    import ormar
    from ormar_bot_core import OrmarManager

    file_url = f"sqlite:///{folder / 'bench.sqlite'}"
    print(f"\nstart()/close() latency, median of {rounds} cycles:")
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for label, url in (("file", file_url), ("memory", "sqlite://")):
            manager = OrmarManager(url)
            samples.setdefault(f"manager {label} start", []).append(await timed(manager.start))
            samples.setdefault(f"manager {label} close", []).append(await timed(manager.close))
        plain = ormar.DatabaseConnection(f"sqlite+aiosqlite:///{folder / 'bench.sqlite'}")

        async def plain_connect(connection: ormar.DatabaseConnection = plain) -> None:
            # connect() alone opens nothing; the first query does, so time one.
            await connection.connect()
            async with connection.connection() as raw:
                await raw.exec_driver_sql("SELECT 1")

        samples.setdefault("plain ormar file connect+SELECT 1", []).append(
            await timed(plain_connect)
        )
        samples.setdefault("plain ormar file disconnect", []).append(await timed(plain.disconnect))
    for label, values in samples.items():
        print(f"  {label}: {statistics.median(values) * 1000:.2f} ms")
    start_ratio = statistics.median(samples["manager file start"]) / statistics.median(
        samples["plain ormar file connect+SELECT 1"]
    )
    print(f"  ratio manager start / plain connect+SELECT 1 (file): {start_ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    bench_imports(options.rounds)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench_start_close(options.rounds, Path(folder)))


if __name__ == "__main__":
    main()
