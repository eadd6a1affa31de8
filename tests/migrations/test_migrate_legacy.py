"""Taking over a database made by nextcord-ormar 0.3: ``<app>.<model>s`` tables and
``alembic.<app>`` version tables, with its revision files kept in the app's folder."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import ormar
import pytest
import sqlalchemy
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from ormar_bot_core import AppModel, OrmarApp, OrmarManager
from ormar_bot_core.errors import MigrationUsageError
from ormar_bot_core.migrations import Project, adopt, check, current, downgrade, migrate, upgrade
from ormar_bot_core.urls import resolve_url
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.databases import fresh_database
from tests.migrations.helpers import declare, pk, quote, table_names

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


# nextcord-ormar 0.3 with ormar 0.12: a MetaData without naming convention, so unique
# constraints were unnamed (the database chose), indexes got SQLAlchemy's default name
# (``ix_<table>_<column>``, written with op.f) and ormar named foreign keys itself.
LEGACY_OTHER = '''"""

Revision ID: 3f9d644431d6
Revises:
Create Date: 2022-07-24 21:47:21.179779

"""
from alembic import op
import sqlalchemy as sa


revision = '3f9d644431d6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('other.others',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('other.others')
'''

LEGACY_CONSTRAINED = '''"""

Revision ID: 5c1e0a9d2b7f
Revises:
Create Date: 2022-07-24 21:47:21.160156

"""
from alembic import op
import sqlalchemy as sa


revision = '5c1e0a9d2b7f'
down_revision = None
branch_labels = None
depends_on = None


# nextcord-ormar wrote ['other.others.id'], which SQLAlchemy reads as table "others" of schema
# "other": SQLite left the foreign key out, servers refused it. This is the revision as it had
# to be corrected by hand for the foreign keys to exist.
OWNER_FK = 'fk_example.examplecounters_other.others_id_owner'
COUNTER_FK = 'fk_example.examplenotes_example.examplecounters_id_counter'
OTHERS = sa.Table('other.others', sa.MetaData(), sa.Column('id', sa.Integer(), primary_key=True))


def upgrade() -> None:
    counters = op.create_table('example.examplecounters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('owner', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['owner'], [OTHERS.c.id], name=OWNER_FK),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('example.examplecounters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_example.examplecounters_user'), ['user'], unique=False)

    op.create_table('example.examplenotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=100), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['counter'], [counters.c.id], name=COUNTER_FK),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('example.examplenotes')
    with op.batch_alter_table('example.examplecounters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_example.examplecounters_user'))

    op.drop_table('example.examplecounters')
'''


def run_legacy_upgrade(connection: sqlalchemy.Connection, app: str, text: str) -> None:
    """What ``nxalembic upgrade`` did: the revision run against a MetaData without naming
    convention, recorded in ``alembic.<app>``."""
    namespace: dict[str, Any] = {}
    context = MigrationContext.configure(
        connection, opts={"target_metadata": sqlalchemy.MetaData(), "render_as_batch": True}
    )
    with Operations.context(context):
        exec(compile(text, f"{app}_legacy.py", "exec"), namespace)
        namespace["upgrade"]()
    versions = sqlalchemy.Table(
        f"alembic.{app}",
        sqlalchemy.MetaData(),
        sqlalchemy.Column("version_num", sqlalchemy.String(32), primary_key=True),
    )
    versions.create(connection)
    connection.execute(versions.insert().values(version_num=namespace["revision"]))


async def make_constrained_database(url: str) -> None:
    """Both apps upgraded by nextcord-ormar 0.3, with a row in each table."""
    engine = create_async_engine(resolve_url(url)[0])
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_legacy_upgrade, "other", LEGACY_OTHER)
            await connection.run_sync(run_legacy_upgrade, "example", LEGACY_CONSTRAINED)
            await connection.exec_driver_sql(
                f"INSERT INTO {quote(url, 'other.others')} (id, name) VALUES (1, 'o')"
            )
            await connection.exec_driver_sql(
                f"INSERT INTO {quote(url, 'example.examplecounters')} "
                f"(id, {quote(url, 'user')}, code, owner) VALUES (1, 42, 'a', 1)"
            )
            await connection.exec_driver_sql(
                f"INSERT INTO {quote(url, 'example.examplenotes')} (id, text, counter) "
                "VALUES (1, 'n', 1)"
            )
    finally:
        await engine.dispose()


def declare_constrained(tmp_path: Path, *, label: bool = False) -> None:
    """The models of both apps, as ormar-bot declares them (``label``: one column more)."""
    other_meta = OrmarApp.create_app(
        "other", migrations_dir=tmp_path / "other" / "migrations", module="test_apps.other"
    )
    meta = OrmarApp.create_app(
        "example", migrations_dir=tmp_path / "example" / "migrations", module="test_apps.example"
    )

    class Other(AppModel):
        ormar_config = other_meta.copy()
        __module__ = "test_apps.other"
        id: int = ormar.Integer(primary_key=True)
        name: str = ormar.String(max_length=40)

    class ExampleCounter(AppModel):
        ormar_config = meta.copy()
        __module__ = "test_apps.example"
        id: int = ormar.Integer(primary_key=True)
        user: int = ormar.BigInteger(index=True)
        code: str = ormar.String(max_length=20, unique=True)
        owner: Other | None = ormar.ForeignKey(Other, name="owner", nullable=True)
        if label:
            label_: str | None = ormar.String(max_length=10, nullable=True, name="label")

    class ExampleNote(AppModel):
        ormar_config = meta.copy()
        __module__ = "test_apps.example"
        id: int = ormar.Integer(primary_key=True)
        text: str = ormar.String(max_length=100)
        counter: ExampleCounter | None = ormar.ForeignKey(
            ExampleCounter, name="counter", nullable=True
        )


async def constraint_names(url: str) -> dict[str, set[str]]:
    """The names of the indexes, unique constraints and foreign keys of each table."""

    def read(connection: sqlalchemy.Connection) -> dict[str, set[str]]:
        inspector = sqlalchemy.inspect(connection)
        names: dict[str, set[str]] = {}
        for table in ("example_examplecounters", "example_examplenotes"):
            found = {each["name"] for each in inspector.get_indexes(table)}
            found |= {each["name"] for each in inspector.get_unique_constraints(table)}
            found |= {each["name"] for each in inspector.get_foreign_keys(table)}
            names[table] = {name for name in found if name}
        return names

    engine = create_async_engine(resolve_url(url)[0])
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


def write_constrained_revisions(tmp_path: Path) -> None:
    """The revision files nextcord-ormar 0.3 left in each app's folder."""
    for app, name, text in (
        ("other", "3f9d644431d6_.py", LEGACY_OTHER),
        ("example", "5c1e0a9d2b7f_.py", LEGACY_CONSTRAINED),
    ):
        migrations = tmp_path / app / "migrations"
        migrations.mkdir(parents=True)
        (migrations / name).write_text(text)


@asynccontextmanager
async def another_database(url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A second empty database on the backend of ``url``."""
    if make_url(url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.sqlite'}"
        return
    async with fresh_database(url) as other:
        yield other


async def test_indexes_and_constraints_take_the_current_names(
    tmp_path: Path, database_url: str
) -> None:
    write_constrained_revisions(tmp_path)
    await make_constrained_database(database_url)
    declare_constrained(tmp_path)
    project = Project(OrmarManager(database_url))

    revisions = await adopt(project)
    assert [each.app for each in revisions] == ["other", "example"]
    assert await check(project) == {}
    assert await migrate(project) == []

    await upgrade(project)
    assert await check(project, live=True) == {}
    names = await constraint_names(database_url)
    assert {
        "ix_example_examplecounters_user",
        "uq_example_examplecounters_code",
        "fk_example_examplecounters_other_others_id_owner",
    } <= names["example_examplecounters"]
    assert (
        "fk_example_examplenotes_example_examplecounters_id_counter"
        in names["example_examplenotes"]
    )
    assert not any("." in name for each in names.values() for name in each)

    # A later change migrates and upgrades like any other.
    declare_constrained(tmp_path, label=True)
    project = Project(OrmarManager(database_url))
    (revision,) = await migrate(project)
    assert revision.app == "example"
    await upgrade(project)
    assert await check(project, live=True) == {}
    await downgrade(project, "example")
    await upgrade(project)
    assert await check(project, live=True) == {}


async def test_a_new_database_upgrades_after_adoption(tmp_path: Path, database_url: str) -> None:
    """Every app's old revisions run before any adoption revision renames a table: example's
    old revision points its foreign key at ``other.others``, which other's adoption renames."""
    write_constrained_revisions(tmp_path)
    await make_constrained_database(database_url)
    declare_constrained(tmp_path)
    assert len(await adopt(Project(OrmarManager(database_url)))) == 2

    async with another_database(database_url, tmp_path) as url:
        project = Project(OrmarManager(url))
        # Alone, either app would run an adoption revision before the other's old revision.
        for app in ("other", "example"):
            with pytest.raises(MigrationUsageError, match="without --app"):
                await upgrade(project, app)
        states = await upgrade(project)
        assert [(state.app, state.before) for state in states] == [("other", ()), ("example", ())]
        assert all(state.after for state in states)
        assert await check(project, live=True) == {}
        names = await constraint_names(url)
        assert (
            "fk_example_examplecounters_other_others_id_owner" in names["example_examplecounters"]
        )
        assert not any("." in name for each in names.values() for name in each)
        assert not any("." in name for name in await table_names(url))

        # Already at its heads, a second upgrade changes nothing; each app alone may go too.
        assert not any(state.changed for state in await upgrade(project))
        assert not any(state.changed for state in await upgrade(project, "example"))
