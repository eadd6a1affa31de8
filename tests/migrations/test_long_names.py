"""Long app and model names migrate on every backend (``database_url``): no name is too long."""

from __future__ import annotations

from pathlib import Path

import ormar
import pytest
import sqlalchemy
from ormar_bot_core import OrmarManager
from ormar_bot_core.migrations import (
    Project,
    check,
    current,
    downgrade,
    migrate,
    upgrade,
    upgrade_sql,
    version_table,
)
from ormar_bot_core.naming import MAX_NAME_LENGTH, short_name
from ormar_bot_core.urls import resolve_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.migrations.helpers import declare, pk, table_names

# ormar names the foreign key of ReminderSchedule.guild, between the two apps, like this: 68
# characters, which PostgreSQL, MySQL and MariaDB refuse.
LONG_FK = "fk_reminders_reminderschedules_guildsettings_guildsettingss_id_guild"
SHORT_FK = "fk_reminders_reminderschedules_guildsettings_guildsett_c4246ba5"
LONG_APP = "moderation_and_reminders_for_the_community_server_x"  # 51 characters


def declare_long_apps(tmp_path: Path) -> None:
    (guilds,) = declare(
        tmp_path,
        "guildsettings",
        GuildSettings={
            "id": pk(),
            "welcome_message_channel_identifier": (int, ormar.BigInteger(index=True)),
            "moderation_log_channel_identifier": (int, ormar.BigInteger(unique=True)),
        },
    ).values()
    declare(
        tmp_path,
        "reminders",
        ReminderSchedule={
            "id": pk(),
            "guild": (guilds, ormar.ForeignKey(guilds)),
            "guilds_notified": (
                list[guilds] | None,  # type: ignore[valid-type]
                ormar.ManyToMany(guilds, related_name="notifying_reminders"),
            ),
        },
    )


async def database_names(url: str) -> dict[str, set[str]]:
    """The names of the foreign keys, indexes and unique constraints of each table at ``url``."""
    engine = create_async_engine(resolve_url(url)[0])

    def read(connection: sqlalchemy.Connection) -> dict[str, set[str]]:
        inspector = sqlalchemy.inspect(connection)
        found: dict[str, set[str]] = {}
        for table in inspector.get_table_names():
            items = [
                *inspector.get_foreign_keys(table),
                *inspector.get_indexes(table),
                *inspector.get_unique_constraints(table),
            ]
            found[table] = {str(item["name"]) for item in items if item["name"]}
        return found

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def test_long_constraint_names_migrate_on_every_database(
    tmp_path: Path, database_url: str
) -> None:
    declare_long_apps(tmp_path)
    created = await migrate(Project(OrmarManager(database_url)))
    assert [revision.app for revision in created] == ["guildsettings", "reminders"]
    reminders_file = next(r.path for r in created if r.app == "reminders").read_text()
    assert SHORT_FK in reminders_file
    assert LONG_FK not in reminders_file

    await upgrade(Project(OrmarManager(database_url)))
    assert await check(Project(OrmarManager(database_url))) == {}
    assert await migrate(Project(OrmarManager(database_url))) == []

    found = await database_names(database_url)
    assert SHORT_FK in found["reminders_reminderschedules"]
    assert (
        short_name("ix_guildsettings_guildsettingss_welcome_message_channel_identifier")
        in found["guildsettings_guildsettingss"]
    )
    assert (
        short_name("uq_guildsettings_guildsettingss_moderation_log_channel_identifier")
        in found["guildsettings_guildsettingss"]
    )
    assert {
        short_name(
            "fk_reminderschedules_guildsettingss_guildsettings_guildsettingss_guildsettings_id"
        ),
        short_name(
            "fk_reminderschedules_guildsettingss_reminders_reminderschedules_reminderschedule_id"
        ),
    } <= found["reminderschedules_guildsettingss"]
    assert all(len(name) <= MAX_NAME_LENGTH for names in found.values() for name in names)

    await downgrade(Project(OrmarManager(database_url)), "reminders", "base")
    await downgrade(Project(OrmarManager(database_url)), "guildsettings", "base")
    assert {name for name in await table_names(database_url) if "version" not in name} == set()


async def test_a_long_app_name_has_a_version_table_every_database_accepts(
    tmp_path: Path, database_url: str
) -> None:
    declare(tmp_path, LONG_APP, Note={"id": pk()}, Tag={"id": pk()})
    table = version_table(LONG_APP)
    assert len(table) == MAX_NAME_LENGTH  # shortened: the app name is too long for it

    await migrate(Project(OrmarManager(database_url)))
    await upgrade(Project(OrmarManager(database_url)))
    assert table in await table_names(database_url)
    assert await current(Project(OrmarManager(database_url))) == {LONG_APP: ("0001",)}
    assert await check(Project(OrmarManager(database_url))) == {}
    await downgrade(Project(OrmarManager(database_url)), LONG_APP, "base")
    assert await current(Project(OrmarManager(database_url))) == {LONG_APP: ()}


@pytest.mark.parametrize("server", ["postgresql://bot@localhost/bot", "mysql://bot@localhost/bot"])
async def test_the_sql_of_a_long_app_name_names_its_version_key_within_the_limit(
    tmp_path: Path, sqlite_url: str, server: str
) -> None:
    """``upgrade --sql`` creates the version table too: its primary key, which Alembic names
    ``<version table>_pkc``, must fit as well (no server is needed to write the SQL)."""
    declare(tmp_path, LONG_APP, Note={"id": pk()})
    await migrate(Project(OrmarManager(sqlite_url)))
    sql = upgrade_sql(Project(OrmarManager(server)))
    key = short_name(f"{version_table(LONG_APP)}_pkc")
    assert len(key) == MAX_NAME_LENGTH
    assert f"CONSTRAINT {key} PRIMARY KEY" in sql
