"""Column types and server defaults that autogenerate must render and compare faithfully.

Revision files name importable SQLAlchemy types (never a driver's own type classes, nor ormar
internals), and equivalent spellings of a server default (``false()`` reflected as ``'0'``,
``now()`` as ``current_timestamp()``) are no change: after ``migrate`` and ``upgrade``,
``check`` finds nothing and ``migrate`` writes nothing, on every backend.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import logging
import uuid
from pathlib import Path
from typing import Any

import ormar
import pytest
import sqlalchemy
from alembic.runtime.migration import MigrationContext
from ormar_bot_core import OrmarManager
from ormar_bot_core.migrations import Project, check, migrate, upgrade
from ormar_bot_core.migrations import scratch as scratch_module
from ormar_bot_core.migrations.autogen import compare_server_default
from sqlalchemy.dialects import mysql, postgresql, sqlite

from tests.databases import DatabaseServers, fresh_database
from tests.migrations.helpers import declare, execute, pk, quote


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


def typed_fields() -> dict[str, tuple[Any, Any]]:
    return {
        "id": pk(),
        "key": (uuid.UUID, ormar.UUID(default=uuid.uuid4)),
        "key_text": (uuid.UUID, ormar.UUID(uuid_format="string", nullable=True)),
        "done": (bool, ormar.Boolean(default=False)),
        "at": (datetime.datetime, ormar.DateTime(timezone=True, nullable=True)),
        "naive_at": (datetime.datetime, ormar.DateTime(nullable=True)),
        "day": (datetime.date, ormar.Date(nullable=True)),
        "data": (dict, ormar.JSON(nullable=True)),
        "price": (decimal.Decimal, ormar.Decimal(max_digits=10, decimal_places=2, nullable=True)),
        "big": (int, ormar.BigInteger(nullable=True)),
        "small": (int, ormar.SmallInteger(nullable=True)),
        "ratio": (float, ormar.Float(nullable=True)),
        "text": (str, ormar.Text(nullable=True)),
        "colour": (Colour, ormar.Enum(enum_class=Colour, nullable=True)),
        "blob": (bytes, ormar.LargeBinary(max_length=100, nullable=True)),
    }


def default_fields() -> dict[str, tuple[Any, Any]]:
    return {
        "id": pk(),
        "off": (bool, ormar.Boolean(server_default=sqlalchemy.false())),
        "on": (bool, ormar.Boolean(server_default=sqlalchemy.true())),
        "created": (datetime.datetime, ormar.DateTime(server_default=sqlalchemy.func.now())),
        "stamped": (
            datetime.datetime,
            ormar.DateTime(timezone=True, server_default=sqlalchemy.text("CURRENT_TIMESTAMP")),
        ),
        "name": (str, ormar.String(max_length=20, server_default="x")),
        "quoted": (str, ormar.String(max_length=20, server_default="it's")),
        "count": (int, ormar.Integer(server_default="0")),
        "score": (int, ormar.Integer(server_default=sqlalchemy.text("7"))),
    }


async def settled(tmp_path: Path, url: str, **models: dict[str, tuple[Any, Any]]) -> str:
    """Declare ``star`` with ``models``, migrate and upgrade; assert that nothing is left to
    migrate; return the revision file's text."""
    declare(tmp_path, "star", **models)
    project = Project(OrmarManager(url))
    (revision,) = await migrate(project)
    text = revision.path.read_text()
    await upgrade(project)

    assert await check(project) == {}, text
    assert await check(project, live=True) == {}, text
    assert await migrate(project) == [], text
    return text


async def test_types_render_as_importable_sqlalchemy_types(
    tmp_path: Path, database_url: str
) -> None:
    text = await settled(tmp_path, database_url, Star=typed_fields())

    for internal in ("Asyncpg", "AsyncAdapt", "_PG", "aiomysql", "asyncmy", "ormar"):
        assert internal not in text
    assert "CHAR(length=32)" in text
    assert "CHAR(length=36)" in text
    # The file runs: upgrade created the table, and rows go in and come out.
    false = "false" if database_url.startswith("postgresql") else "0"
    await execute(
        database_url,
        f"INSERT INTO star_stars ({quote(database_url, 'key')}, done) "
        f"VALUES ('0123456789abcdef0123456789abcdef', {false})",
    )


async def test_equivalent_server_defaults_are_no_change(tmp_path: Path, database_url: str) -> None:
    text = await settled(tmp_path, database_url, Star=default_fields())
    assert "server_default" in text


@pytest.mark.server
@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
async def test_with_a_sqlite_scratch_database_too(
    tmp_path: Path,
    database_servers: DatabaseServers,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def unavailable(*_: object) -> object:
        raise scratch_module._ScratchUnavailable("not allowed to create a database or a schema")

    monkeypatch.setattr(scratch_module, "_on_server", unavailable)
    caplog.set_level(logging.WARNING)
    async with fresh_database(database_servers.url(backend)) as url:
        await settled(tmp_path, url, Star={**default_fields(), **typed_fields(), "id": pk()})
    assert "replaying the migrations into SQLite" in caplog.text


async def test_defaults_are_written_to_compile_for_the_database_they_run_on(
    tmp_path: Path,
) -> None:
    # Compared in SQLite, false() is 0, which is no default for a PostgreSQL boolean.
    declare(tmp_path, "star", Star=default_fields())
    (revision,) = await migrate(Project(OrmarManager(f"sqlite:///{tmp_path / 'bot.sqlite'}")))
    text = revision.path.read_text()

    assert "server_default=sa.false()" in text
    assert "server_default=sa.true()" in text
    assert "server_default=sa.func.now()" in text
    assert "server_default=sa.text('(CURRENT_TIMESTAMP)')" in text


def column(type_: sqlalchemy.types.TypeEngine[Any], default: Any) -> sqlalchemy.Column[Any]:
    return sqlalchemy.Column("c", type_, server_default=default)


@pytest.mark.parametrize(
    ("dialect", "type_", "model", "reported", "changed"),
    [
        ("mysql", sqlalchemy.Boolean(), sqlalchemy.false(), "0", False),
        ("mysql", sqlalchemy.Boolean(), sqlalchemy.false(), "'0'", False),
        ("mysql", sqlalchemy.Boolean(), sqlalchemy.false(), "b'0'", False),
        ("mysql", sqlalchemy.Boolean(), sqlalchemy.false(), "1", True),
        ("postgresql", sqlalchemy.Boolean(), sqlalchemy.true(), "true", False),
        ("mysql", sqlalchemy.DateTime(), sqlalchemy.func.now(), "current_timestamp()", False),
        ("mysql", sqlalchemy.DateTime(), sqlalchemy.func.now(), "current_timestamp(6)", False),
        ("sqlite", sqlalchemy.DateTime(), sqlalchemy.func.now(), "(CURRENT_TIMESTAMP)", False),
        ("postgresql", sqlalchemy.String(), "x", "'x'::character varying", False),
        ("postgresql", sqlalchemy.String(), "x", "'y'::character varying", True),
        ("postgresql", sqlalchemy.String(), "it's", "'it''s'::character varying", False),
        ("mysql", sqlalchemy.String(), "it's", "'it\\'s'", False),
        ("postgresql", sqlalchemy.Numeric(), "1.5", "1.50", False),
        ("postgresql", sqlalchemy.String(), "007", "'7'::text", True),
        ("postgresql", sqlalchemy.Integer(), None, "nextval('s'::regclass)", None),
        ("postgresql", sqlalchemy.String(), sqlalchemy.text("md5('a')"), "md5('a'::text)", None),
    ],
)
def test_equivalent_spellings_of_a_default(
    dialect: str, type_: Any, model: Any, reported: str, changed: bool | None
) -> None:
    engine_dialect = {"mysql": mysql, "postgresql": postgresql, "sqlite": sqlite}[dialect].dialect()
    context = MigrationContext.configure(dialect=engine_dialect)
    metadata_column = column(type_, model)
    default = metadata_column.server_default
    rendered = (
        None
        if not isinstance(default, sqlalchemy.DefaultClause)
        else default.arg
        if isinstance(default.arg, str)
        else str(default.arg.compile(dialect=engine_dialect))  # type: ignore[attr-defined]
    )
    found = compare_server_default(
        context, column(type_, None), metadata_column, reported, default, rendered
    )
    assert found is changed
