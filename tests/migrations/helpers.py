"""Helpers of the migration tests: apps declared in code, and tiny projects run by the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ormar
import sqlalchemy
from ormar_bot_core import AppModel, OrmarApp, OrmarManager
from ormar_bot_core.migrations import Project
from ormar_bot_core.urls import resolve_url
from sqlalchemy.ext.asyncio import create_async_engine

CLI = Path(sys.executable).with_name("ormar-bot")


def declare(
    tmp_path: Path, app: str, **models: dict[str, tuple[Any, Any]]
) -> dict[str, type[AppModel]]:
    """Declare (or declare again) ``app`` with ``models``: ``Name={"field": (type, ormar field)}``.

    The app keeps its migrations in ``tmp_path/<app>/migrations``.
    """
    config = OrmarApp.create_app(
        app, migrations_dir=tmp_path / app / "migrations", module=f"test_apps.{app}"
    )
    declared: dict[str, type[AppModel]] = {}
    for name, fields in models.items():
        namespace: dict[str, Any] = {
            "ormar_config": config.copy(),
            "__annotations__": {field: kind for field, (kind, _) in fields.items()},
            "__module__": f"test_apps.{app}",
        }
        namespace.update({field: value for field, (_, value) in fields.items()})
        declared[name] = type(name, (AppModel,), namespace)
    return declared


ID = (int, ormar.Integer(primary_key=True))


def pk() -> tuple[Any, Any]:
    """A fresh primary key field (ormar fields cannot be shared between models)."""
    return (int, ormar.Integer(primary_key=True))


def project(url: str) -> Project:
    """The project of the declared apps on ``url``."""
    return Project(OrmarManager(url))


async def table_names(url: str) -> set[str]:
    """The tables in the database at ``url``."""
    engine = create_async_engine(resolve_url(url)[0])
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: sqlalchemy.inspect(sync).get_table_names()
            )
    finally:
        await engine.dispose()
    return set(names)


async def execute(url: str, *statements: str) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` on ``url`` and commit; the rows of each."""
    engine = create_async_engine(resolve_url(url)[0])
    results: list[list[tuple[Any, ...]]] = []
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.exec_driver_sql(statement)
                results.append([tuple(row) for row in result] if result.returns_rows else [])
    finally:
        await engine.dispose()
    return results


def quote(url: str, name: str) -> str:
    """``name`` as the database at ``url`` writes it: quoted only if it must be."""
    return resolve_url(url)[0].get_dialect()().identifier_preparer.quote(name)


@dataclass
class CliProject:
    """A project on disk that the ``ormar-bot`` command is run in."""

    root: Path
    database_url: str

    def write(self, path: str, text: str) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return target

    def run(self, *args: str, status: int | None = 0) -> subprocess.CompletedProcess[str]:
        """Run ``ormar-bot ARGS`` in the project; check its exit status unless ``None``."""
        environment = {**os.environ, "BOT_DATABASE_URL": self.database_url}
        environment.pop("PYTHONPATH", None)
        result = subprocess.run(
            [str(CLI), *args],
            cwd=self.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if status is not None:
            assert result.returncode == status, (
                f"ormar-bot {' '.join(args)} exited {result.returncode}, not {status}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start ``ormar-bot ARGS`` without waiting."""
        environment = {**os.environ, "BOT_DATABASE_URL": self.database_url}
        return subprocess.Popen(
            [str(CLI), *args],
            cwd=self.root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


BOT = """
import os

from ormar_bot_core import OrmarManager

manager = OrmarManager(os.environ["BOT_DATABASE_URL"])

import cogs.stars  # noqa: E402,F401 - the apps are declared when their modules load
"""

USERS = """
import ormar
from ormar_bot_core import AppModel, OrmarApp

ModelMeta = OrmarApp.create_app("users")


class User(AppModel):
    ormar_config = ModelMeta.copy()
    id: int = ormar.Integer(primary_key=True)
    name: str = ormar.String(max_length=50)
"""

STARS = """
import ormar
from ormar_bot_core import AppModel, OrmarApp

# Declared before the app it references: the order of declaration must not matter.
ModelMeta = OrmarApp.create_app("star")

from cogs.users import User  # noqa: E402


class Star(AppModel):
    ormar_config = ModelMeta.copy()
    id: int = ormar.Integer(primary_key=True)
    user: User = ormar.ForeignKey(User)
    {extra}
"""


def write_project(root: Path, database_url: str, *, star_extra: str = "") -> CliProject:
    """A bot module with a manager, and two apps in packages: ``star``, declared first, whose
    ``Star`` references the ``User`` of ``users``."""
    cli = CliProject(root, database_url)
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = manager\n")
    cli.write("bot.py", BOT)
    cli.write("cogs/__init__.py", "")
    cli.write("cogs/users/__init__.py", USERS)
    cli.write("cogs/stars/__init__.py", STARS.format(extra=star_extra))
    return cli
