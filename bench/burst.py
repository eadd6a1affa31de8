"""A burst of concurrent creates: OrmarManager's defaults against plain ormar, side by side.

    python bench/burst.py [--backend sqlite|postgresql|mariadb] [--rows 5000] [--repeat 2]

Each side gets an empty table and ``--rows`` creates started at once (``asyncio.gather``), as a
bot does when many events arrive together. "ormar-bot" is an ``AppModel`` behind an
``OrmarManager`` with its defaults; "plain ormar" is an ``ormar.Model`` on ormar's own default
``ormar.DatabaseConnection`` (the URL with its async driver, nothing else set). Failed creates
are counted, not retried: the figure that matters first is how many rows landed. Repetitions
alternate which side goes first (A B, B A, ...) so drift on the machine hits both alike.

SQLite uses a fresh file per run. The servers come from ``ORMAR_BOT_TEST_POSTGRESQL_URL`` /
``ORMAR_BOT_TEST_MARIADB_URL`` (``eval "$(bash .ci/databases.sh start)"``); each run uses a
table of its own there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import ormar
import sqlalchemy
from ormar_bot_core import AppModel, OrmarApp, OrmarManager
from ormar_bot_core.urls import resolve_url

ENV_VARS = {
    "postgresql": "ORMAR_BOT_TEST_POSTGRESQL_URL",
    "mariadb": "ORMAR_BOT_TEST_MARIADB_URL",
}


@dataclass
class Run:
    side: str
    landed: int
    failures: Counter[str]
    seconds: float

    @property
    def throughput(self) -> float:
        return self.landed / self.seconds


def base_url(backend: str, scratch: Path) -> str:
    """A URL as users write it; for SQLite a new file, so every run starts empty."""
    if backend == "sqlite":
        return f"sqlite:///{scratch / f'{uuid.uuid4().hex}.sqlite'}"
    url = os.environ.get(ENV_VARS[backend])
    if not url:
        sys.exit(f'{ENV_VARS[backend]} is not set: eval "$(bash .ci/databases.sh start)"')
    return url


async def burst(
    rows: int, create: Callable[[int], Awaitable[object]]
) -> tuple[Counter[str], float]:
    started = time.perf_counter()
    results = await asyncio.gather(*(create(n) for n in range(rows)), return_exceptions=True)
    seconds = time.perf_counter() - started
    failures = Counter(
        f"{type(result).__name__}: {str(result).splitlines()[0][:60]}"
        for result in results
        if isinstance(result, BaseException)
    )
    return failures, seconds


async def run_ormar_bot(url: str, rows: int) -> Run:
    OrmarApp.reset()
    config = OrmarApp.create_app("burst")

    class Item(AppModel):
        ormar_config = config.copy(tablename=f"burst_{uuid.uuid4().hex[:8]}")
        id: int = ormar.Integer(primary_key=True)
        n: int = ormar.Integer()

    manager = OrmarManager(url)
    await manager.start()
    try:
        async with manager.database.engine.begin() as connection:
            await connection.run_sync(config.metadata.create_all)
        failures, seconds = await burst(rows, lambda n: Item.objects.create(n=n))
        landed = await Item.objects.count()
        async with manager.database.engine.begin() as connection:
            await connection.run_sync(config.metadata.drop_all)
    finally:
        await manager.close()
    return Run("ormar-bot", landed, failures, seconds)


async def run_plain_ormar(url: str, rows: int) -> Run:
    database = ormar.DatabaseConnection(resolve_url(url)[0].render_as_string(hide_password=False))
    metadata = sqlalchemy.MetaData()

    class Item(ormar.Model):
        ormar_config = ormar.OrmarConfig(
            metadata=metadata, database=database, tablename=f"plain_{uuid.uuid4().hex[:8]}"
        )
        id: int = ormar.Integer(primary_key=True)
        n: int = ormar.Integer()

    await database.connect()
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        failures, seconds = await burst(rows, lambda n: Item.objects.create(n=n))
        landed = await Item.objects.count()
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
    finally:
        await database.disconnect()
    return Run("plain ormar", landed, failures, seconds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side")
    args = parser.parse_args()

    sides = {"ormar-bot": run_ormar_bot, "plain ormar": run_plain_ormar}
    runs: dict[str, list[Run]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as scratch:
        for repetition in range(args.repeat):
            order = list(sides) if repetition % 2 == 0 else list(reversed(sides))
            for side in order:
                url = base_url(args.backend, Path(scratch))
                run = await sides[side](url, args.rows)
                runs[side].append(run)
                failed = sum(run.failures.values())
                print(
                    f"  {side:<12} landed {run.landed:>6}/{args.rows}  failed {failed:>5}  "
                    f"{run.seconds:6.2f} s  {run.throughput:8.0f} rows/s",
                    flush=True,
                )
                for failure, count in run.failures.most_common(3):
                    print(f"{'':16}{count:>5} x {failure}")

    print(f"\n{args.rows} concurrent creates on {args.backend}, {args.repeat} runs each:")
    medians = {}
    for side, side_runs in runs.items():
        medians[side] = statistics.median(run.throughput for run in side_runs)
        landed = min(run.landed for run in side_runs)
        print(
            f"  {side:<12} rows landed (worst run) {landed:>6}/{args.rows}  "
            f"median {medians[side]:8.0f} rows/s"
        )
    print(f"  ratio ormar-bot / plain ormar: {medians['ormar-bot'] / medians['plain ormar']:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
