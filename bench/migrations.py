"""Per-app migrations against plain Alembic: ``upgrade`` from empty and ``migrate`` from nothing.

    python bench/migrations.py [--backend sqlite|postgresql|mariadb] [--apps 30] [--repeat 5]

A project of ``--apps`` apps with one table each. "ormar-bot" runs its ``migrate`` (one revision
per app, written after replaying the empty histories into a scratch database) and its ``upgrade``
(every app, in dependency order, each with its own version table, under the migration lock).
"plain Alembic" has the same tables in one MetaData, with an ``env.py`` as Alembic's async
template writes it: ``alembic revision --autogenerate`` against an empty database, then
``alembic upgrade heads``; both sides use the same async driver. Every run starts from an empty
database and an empty versions folder; the sides alternate (A B, B A, ...) so drift on the
machine hits both alike. The figures to read are the ratios of the medians; the goals are
``upgrade`` within 2x and ``migrate`` within 3x of plain Alembic.

The servers come from ``ORMAR_BOT_TEST_POSTGRESQL_URL`` / ``ORMAR_BOT_TEST_MARIADB_URL``
(``eval "$(bash .ci/databases.sh start)"``); each run gets a database of its own there.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import ormar
import sqlalchemy
from alembic import command
from alembic.config import Config as AlembicConfig
from ormar_bot_core import AppModel, OrmarApp, OrmarManager
from ormar_bot_core.apps import NAMING_CONVENTION
from ormar_bot_core.migrations import Project, current, migrate, upgrade
from ormar_bot_core.urls import resolve_url
from sqlalchemy.ext.asyncio import create_async_engine

ENV_VARS = {
    "postgresql": "ORMAR_BOT_TEST_POSTGRESQL_URL",
    "mariadb": "ORMAR_BOT_TEST_MARIADB_URL",
}

PLAIN_ENV = """
from alembic import context

config = context.config
context.configure(
    connection=config.attributes["connection"],
    target_metadata=config.attributes["metadata"],
)
with context.begin_transaction():
    context.run_migrations()
"""

PLAIN_SCRIPT = '''"""${message}"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''


def declare_apps(count: int, root: Path) -> sqlalchemy.MetaData:
    """``count`` apps with one model each; also their tables together in one MetaData."""
    OrmarApp.reset()
    combined = sqlalchemy.MetaData(naming_convention=dict(NAMING_CONVENTION))
    for number in range(count):
        name = f"app{number:02d}"
        config = OrmarApp.create_app(
            name, migrations_dir=root / name / "migrations", module=f"bench_apps.{name}"
        )
        namespace: dict[str, Any] = {
            "ormar_config": config.copy(),
            "__module__": f"bench_apps.{name}",
            "__annotations__": {"id": int, "name": str, "score": int},
            "id": ormar.Integer(primary_key=True),
            "name": ormar.String(max_length=100, index=True),
            "score": ormar.Integer(server_default="0"),
        }
        model: type[AppModel] = type("Item", (AppModel,), namespace)
        model.ormar_config.table.to_metadata(combined)
    return combined


@asynccontextmanager
async def empty_database(backend: str, scratch: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{scratch / f'{uuid.uuid4().hex}.sqlite'}"
        return
    server = os.environ.get(ENV_VARS[backend])
    if not server:
        sys.exit(f'{ENV_VARS[backend]} is not set: eval "$(bash .ci/databases.sh start)"')
    url = resolve_url(server)[0]
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f"DROP DATABASE {name}")
    finally:
        await admin.dispose()


def plain_config(directory: Path, connection: Any, metadata: sqlalchemy.MetaData) -> AlembicConfig:
    config = AlembicConfig(cmd_opts=argparse.Namespace(quiet=True, x=[]))
    config.set_main_option("script_location", str(directory))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


def plain_directory(root: Path) -> Path:
    directory = root / "plain"
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "versions").mkdir(parents=True)
    (directory / "env.py").write_text(textwrap.dedent(PLAIN_ENV))
    (directory / "script.py.mako").write_text(PLAIN_SCRIPT)
    return directory


async def timed(work: Awaitable[object]) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def on_connection(url: str, work: Callable[[Any], object]) -> None:
    """Run ``work`` with a connection of the async engine, as Alembic's async template does."""
    engine = create_async_engine(resolve_url(url)[0])
    try:
        async with engine.connect() as connection:
            await connection.run_sync(work)
            await connection.commit()
    finally:
        await engine.dispose()


async def run_ours(backend: str, root: Path, count: int) -> tuple[float, float]:
    for app in OrmarApp.registered().values():
        if app.migrations_dir is not None and app.migrations_dir.exists():
            shutil.rmtree(app.migrations_dir)
    async with empty_database(backend, root) as url:
        migrate_seconds = await timed(migrate(Project(OrmarManager(url))))
    async with empty_database(backend, root) as url:
        project = Project(OrmarManager(url))
        upgrade_seconds = await timed(upgrade(project))
        applied = {name for name, revisions in (await current(project)).items() if revisions}
    assert len(applied) == count, applied
    return migrate_seconds, upgrade_seconds


async def run_plain(backend: str, root: Path, metadata: sqlalchemy.MetaData) -> tuple[float, float]:
    directory = plain_directory(root)

    def revision(connection: Any) -> None:
        config = plain_config(directory, connection, metadata)
        command.revision(config, message="all", autogenerate=True)

    def upgrade_all(connection: Any) -> None:
        command.upgrade(plain_config(directory, connection, metadata), "heads")

    async with empty_database(backend, root) as url:
        migrate_seconds = await timed(on_connection(url, revision))
    async with empty_database(backend, root) as url:
        upgrade_seconds = await timed(on_connection(url, upgrade_all))
    return migrate_seconds, upgrade_seconds


async def measure(backend: str, count: int, repeat: int, root: Path) -> dict[str, list[float]]:
    metadata = declare_apps(count, root)
    times: dict[str, list[float]] = {
        "ormar-bot migrate": [],
        "plain migrate": [],
        "ormar-bot upgrade": [],
        "plain upgrade": [],
    }
    # The first round warms caches up (imports, compiled templates) and is not counted.
    for round_ in range(repeat + 1):
        order = ["ormar-bot", "plain"] if round_ % 2 == 0 else ["plain", "ormar-bot"]
        for side in order:
            if side == "ormar-bot":
                migrate_seconds, upgrade_seconds = await run_ours(backend, root, count)
            else:
                migrate_seconds, upgrade_seconds = await run_plain(backend, root, metadata)
            if round_:
                times[f"{side} migrate"].append(migrate_seconds)
                times[f"{side} upgrade"].append(upgrade_seconds)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    parser.add_argument("--apps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5, help="counted runs of each side")
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("ormar_bot_core").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as scratch:
        times = asyncio.run(measure(args.backend, args.apps, args.repeat, Path(scratch)))

    print(f"{args.apps} apps x 1 table on {args.backend}, median of {args.repeat} runs")
    for name, values in times.items():
        print(f"  {name:<18} {statistics.median(values) * 1000:8.1f} ms")
    for action, goal in (("upgrade", 2.0), ("migrate", 3.0)):
        ratio = statistics.median(times[f"ormar-bot {action}"]) / statistics.median(
            times[f"plain {action}"]
        )
        verdict = "ok" if ratio <= goal else "over the goal"
        print(f"  {action:<7} ratio {ratio:5.2f}x  (goal <= {goal:.0f}x: {verdict})")


if __name__ == "__main__":
    main()
