"""The cost of the model layer: create + get through an AppModel against a plain ormar.Model.

    python bench/overhead.py [--backend sqlite|postgresql|mariadb] [--rounds 40] [--ops 50]

Both models live on the same connection (the manager's), each in a table of its own, so the
only difference is the model class: ``AppModel`` (app registry, table naming, counting of
queries in flight for a clean close) against ``ormar.Model``. One operation is a create followed
by a get of that row, awaited one after the other, as a command handler does. Each round runs
both sides back to back, alternating which goes first; the ratio is the median over rounds of
the two sides' times, so that drift and noise on the machine (other processes) hit both alike
and odd rounds do not count. A ratio of 1.00 means no overhead; the goal is at least 0.95.

SQLite uses a fresh file. The servers come from ``ORMAR_BOT_TEST_POSTGRESQL_URL`` /
``ORMAR_BOT_TEST_MARIADB_URL`` (``eval "$(bash .ci/databases.sh start)"``); the tables are
dropped afterwards.
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
from pathlib import Path
from typing import Any

import ormar
import sqlalchemy
from ormar_bot_core import AppModel, OrmarApp, OrmarManager

ENV_VARS = {
    "postgresql": "ORMAR_BOT_TEST_POSTGRESQL_URL",
    "mariadb": "ORMAR_BOT_TEST_MARIADB_URL",
}


def database_url(backend: str, scratch: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{scratch / 'overhead.sqlite'}"
    url = os.environ.get(ENV_VARS[backend])
    if not url:
        sys.exit(f'{ENV_VARS[backend]} is not set: eval "$(bash .ci/databases.sh start)"')
    return url


async def round_of(model: Any, ops: int) -> float:
    started = time.perf_counter()
    for n in range(ops):
        row = await model.objects.create(n=n, label="benchmark")
        await model.objects.get(id=row.id)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=40, help="rounds of each side")
    parser.add_argument("--ops", type=int, default=50, help="create + get pairs per round")
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:8]

    with tempfile.TemporaryDirectory() as scratch:
        manager = OrmarManager(database_url(args.backend, Path(scratch)))
        config = OrmarApp.create_app("overhead")

        class AppItem(AppModel):
            ormar_config = config.copy(tablename=f"overhead_app_{suffix}")
            id: int = ormar.Integer(primary_key=True)
            n: int = ormar.Integer()
            label: str = ormar.String(max_length=50)

        plain_metadata = sqlalchemy.MetaData()

        class PlainItem(ormar.Model):
            ormar_config = ormar.OrmarConfig(
                metadata=plain_metadata,
                database=manager.database,
                tablename=f"overhead_plain_{suffix}",
            )
            id: int = ormar.Integer(primary_key=True)
            n: int = ormar.Integer()
            label: str = ormar.String(max_length=50)

        sides: dict[str, Any] = {"AppModel": AppItem, "ormar.Model": PlainItem}
        seconds: dict[str, list[float]] = {side: [] for side in sides}
        async with manager:
            async with manager.database.engine.begin() as connection:
                for metadata in (config.metadata, plain_metadata):
                    await connection.run_sync(metadata.create_all)
            try:
                # One unmeasured round each: connections, prepared statements, caches.
                for model in sides.values():
                    await round_of(model, args.ops)
                for number in range(args.rounds):
                    order = list(sides) if number % 2 == 0 else list(reversed(sides))
                    for side in order:
                        seconds[side].append(await round_of(sides[side], args.ops))
            finally:
                async with manager.database.engine.begin() as connection:
                    for metadata in (config.metadata, plain_metadata):
                        await connection.run_sync(metadata.drop_all)

    total_ops = args.rounds * args.ops
    print(f"create + get on {args.backend}, {args.rounds} rounds of {args.ops} each, interleaved:")
    for side, times in seconds.items():
        print(
            f"  {side:<12} {total_ops / sum(times):8.0f} ops/s  "
            f"(median round {statistics.median(times) * 1000:7.1f} ms)"
        )
    paired = statistics.median(
        plain / app for plain, app in zip(seconds["ormar.Model"], seconds["AppModel"], strict=True)
    )
    overall = sum(seconds["ormar.Model"]) / sum(seconds["AppModel"])
    print(f"  ratio AppModel / ormar.Model throughput: {paired:.3f} (median of rounds)")
    print(f"  {'':39} {overall:.3f} (all rounds summed)")


if __name__ == "__main__":
    asyncio.run(main())
