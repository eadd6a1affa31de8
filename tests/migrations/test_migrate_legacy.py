"""Taking over a database made by nextcord-ormar 0.3: ``<app>.<model>s`` tables and
``alembic.<app>`` version tables, with its revision files kept in the app's folder."""

from __future__ import annotations

import datetime
from pathlib import Path

import ormar
import sqlalchemy
from ormar_bot_core import OrmarManager
from ormar_bot_core.migrations import Project, adopt, check, current, downgrade, migrate, upgrade
from ormar_bot_core.urls import resolve_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.migrations.helpers import declare, pk, table_names

# A revision file as nextcord-ormar 0.3 wrote it: random id, dotted table name.
LEGACY_REVISION = '''"""

Revision ID: ab3828b16751
Revises:
Create Date: 2022-07-24 21:47:21.160156

"""
from alembic import op
import sqlalchemy as sa


revision = 'ab3828b16751'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('example.examplecounters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user', sa.BigInteger(), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('example.examplecounters')
'''


async def make_legacy_database(url: str) -> None:
    """The tables nextcord-ormar 0.3 left behind, with one row."""
    metadata = sqlalchemy.MetaData()
    counters = sqlalchemy.Table(
        "example.examplecounters",
        metadata,
        sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("user", sqlalchemy.BigInteger, nullable=False),
        sqlalchemy.Column("time", sqlalchemy.DateTime, nullable=False),
    )
    versions = sqlalchemy.Table(
        "alembic.example",
        metadata,
        sqlalchemy.Column("version_num", sqlalchemy.String(32), primary_key=True),
    )
    engine = create_async_engine(resolve_url(url)[0])
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(versions.insert().values(version_num="ab3828b16751"))
            await connection.execute(
                counters.insert().values(user=42, time=datetime.datetime(2022, 7, 24))
            )
    finally:
        await engine.dispose()


def declare_example(tmp_path: Path) -> type[ormar.Model]:
    return declare(
        tmp_path,
        "example",
        ExampleCounter={
            "id": pk(),
            "user": (int, ormar.BigInteger()),
            "time": (datetime.datetime, ormar.DateTime()),
        },
    )["ExampleCounter"]


async def test_a_nextcord_ormar_database_is_adopted(tmp_path: Path, database_url: str) -> None:
    migrations = tmp_path / "example" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "ab3828b16751_.py").write_text(LEGACY_REVISION)
    await make_legacy_database(database_url)
    counter = declare_example(tmp_path)
    project = Project(OrmarManager(database_url))

    # Before adoption, the old version table is read.
    assert await current(project) == {"example": ("ab3828b16751",)}

    (revision,) = await adopt(project)
    assert revision.path.name == "0002_adopt_ormar_bot_table_names.py"
    assert revision.changes == ["rename example.examplecounters to example_examplecounters"]
    assert await adopt(project) == []  # once is enough
    assert await check(project) == {}
    assert await migrate(project) == []

    (state,) = await upgrade(project)
    assert (state.before, state.after) == (("ab3828b16751",), ("0002",))
    tables = await table_names(database_url)
    assert {"example_examplecounters", "alembic_version_example"} <= tables
    assert not {"example.examplecounters", "alembic.example"} & tables
    assert await check(project, live=True) == {}

    manager = OrmarManager(database_url)
    async with manager:
        (row,) = await counter.objects.all()
        assert row.user == 42

    # The adoption is a revision like any other.
    (state,) = await downgrade(project, "example")
    assert state.after == ("ab3828b16751",)
    assert "example.examplecounters" in await table_names(database_url)
