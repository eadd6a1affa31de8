"""Names of app tables, constraints and indexes: at most 63 bytes, the same on every database."""

from __future__ import annotations

import hashlib
from typing import Any, ForwardRef

import ormar
import pytest
import sqlalchemy
from ormar_bot_core import AppError, AppModel, OrmarApp
from ormar_bot_core.migrations.graph import combined_metadata
from ormar_bot_core.naming import MAX_NAME_LENGTH, NAMING_CONVENTION, short_name
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql.elements import conv

# ormar's name for the foreign key of ReminderSchedule.guild below: 68 characters.
LONG_FK = "fk_reminders_reminderschedules_guildsettings_guildsettingss_id_guild"
SHORT_FK = "fk_reminders_reminderschedules_guildsettings_guildsett_c4246ba5"


def names(table: sqlalchemy.Table) -> dict[str, Any]:
    """Every constraint and index name of ``table``, with its object."""
    found: dict[str, Any] = {str(index.name): index for index in table.indexes if index.name}
    found.update((str(item.name), item) for item in table.constraints if item.name)
    return found


def all_names(*apps: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for app in apps:
        for table in OrmarApp.get(app).metadata.tables.values():
            found.update(names(table))
    return found


def declare_long_apps() -> tuple[type[AppModel], type[AppModel]]:
    """The two apps of the bug report, ``guildsettings`` and ``reminders``, whose names give
    constraint names longer than 63 characters, and one exactly 63 characters long."""
    guilds = OrmarApp.create_app("guildsettings")
    reminders = OrmarApp.create_app("reminders")

    class GuildSettings(AppModel):
        ormar_config = guilds.copy()
        id: int = ormar.Integer(primary_key=True)
        # ix_ + guildsettings_guildsettingss_ + this: exactly 63 characters.
        announcement_channel_identifier: int = ormar.BigInteger(index=True)
        # uq_ + ... + this: one character more, 64.
        moderation_log_channel_identifier: int = ormar.BigInteger(unique=True)
        welcome_message_channel_identifier: int = ormar.BigInteger(index=True)

    class ReminderSchedule(AppModel):
        ormar_config = reminders.copy(
            constraints=[
                ormar.CheckColumns("minutes_before_the_event > 0", name="minutes_are_positive"),
                ormar.IndexColumns(  # type: ignore[list-item] # ormar's own recipe
                    "minutes_before_the_event",
                    "id",
                    name="ix_reminderschedules_by_minutes_before_the_event_then_by_id",
                ),
            ]
        )
        id: int = ormar.Integer(primary_key=True)
        guild: GuildSettings = ormar.ForeignKey(GuildSettings)
        minutes_before_the_event: int = ormar.Integer()
        guilds_notified: list[GuildSettings] | None = ormar.ManyToMany(
            GuildSettings, related_name="notifying_reminders"
        )

    return GuildSettings, ReminderSchedule


def expected_short(full: str) -> str:
    return f"{full[:54]}_{hashlib.sha1(full.encode()).hexdigest()[:8]}"


def test_short_name_keeps_names_that_fit_and_hashes_the_full_name_of_others() -> None:
    fits = "x" * MAX_NAME_LENGTH
    assert short_name(fits) is fits
    assert short_name(LONG_FK) == SHORT_FK == expected_short(LONG_FK)
    assert len(SHORT_FK) == MAX_NAME_LENGTH
    # The hash is of the whole name: names sharing their first 54 characters stay apart.
    assert short_name("a" * 54 + "_one_long_name") != short_name("a" * 54 + "_another_long_name")
    # Bytes count, not characters: PostgreSQL's limit is 63 bytes.
    accented = "ix_" + "é" * 31  # 34 characters, 65 bytes
    shortened = short_name(accented)
    assert len(shortened.encode()) <= MAX_NAME_LENGTH
    assert shortened == short_name(accented)
    assert shortened.startswith("ix_éé")


def test_the_convention_text_is_unchanged() -> None:
    assert dict(NAMING_CONVENTION) == {
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }


def test_names_that_fit_stay_exactly_as_they_were() -> None:
    users = OrmarApp.create_app("users")
    stars = OrmarApp.create_app("stars")

    class User(AppModel):
        ormar_config = users.copy()
        id: int = ormar.Integer(primary_key=True)

    class Star(AppModel):
        ormar_config = stars.copy(constraints=[ormar.CheckColumns("count >= 0", name="count")])
        id: int = ormar.Integer(primary_key=True)
        user: User = ormar.ForeignKey(User)
        message_id: int = ormar.BigInteger(index=True)
        slug: str = ormar.String(max_length=20, unique=True)
        count: int = ormar.Integer(default=0)

    found = all_names("users", "stars")
    assert set(found) == {
        "pk_users_users",
        "pk_stars_stars",
        "fk_stars_stars_users_users_id_user",
        "ix_stars_stars_message_id",
        "uq_stars_stars_slug",
        "ck_stars_stars_count",
    }
    # Kinds are kept too: ormar's foreign key names are plain strings, convention names conv
    # (Alembic writes them as op.f(...) in revision files).
    assert type(found["fk_stars_stars_users_users_id_user"].name) is str
    assert isinstance(found["pk_stars_stars"].name, conv)


def test_long_constraint_and_index_names_are_shortened() -> None:
    declare_long_apps()
    found = all_names("guildsettings", "reminders")

    assert all(len(name.encode()) <= MAX_NAME_LENGTH for name in found), sorted(found)
    assert SHORT_FK in found
    assert type(found[SHORT_FK].name) is str
    # Exactly 63 characters: left alone.
    assert "ix_guildsettings_guildsettingss_announcement_channel_identifier" in found
    # 64 and more: the first 54 characters and a hash of the whole name.
    long_unique = short_name("uq_guildsettings_guildsettingss_moderation_log_channel_identifier")
    assert long_unique == "uq_guildsettings_guildsettingss_moderation_log_channel_f64d2f93"
    assert isinstance(found[long_unique].name, conv)
    for full in (
        "ix_guildsettings_guildsettingss_welcome_message_channel_identifier",
        "ck_reminders_reminderschedules_minutes_are_positive",  # fits
        "ix_reminderschedules_by_minutes_before_the_event_then_by_id",  # fits, given by hand
        # the many-to-many relation's own table, named by ormar
        "fk_reminderschedules_guildsettingss_guildsettings_guildsettingss_guildsettings_id",
        "fk_reminderschedules_guildsettingss_reminders_reminderschedules_reminderschedule_id",
    ):
        assert short_name(full) in found, (full, sorted(found))


def test_names_given_by_hand_and_check_constraints_are_shortened_too() -> None:
    app = OrmarApp.create_app("audit")
    long_check = "the_amount_of_the_entry_must_be_positive_or_the_entry_is_refused"
    long_index = "ix_audit_entries_by_the_amount_and_the_identifier_of_the_entry_x"

    class Entry(AppModel):
        ormar_config = app.copy(
            constraints=[
                ormar.CheckColumns("amount > 0", name=long_check),
                ormar.IndexColumns("amount", "id", name=long_index),  # type: ignore[list-item]
            ]
        )
        id: int = ormar.Integer(primary_key=True)
        amount: int = ormar.Integer()

    found = names(Entry.ormar_config.table)
    assert set(found) == {
        "pk_audit_entrys",
        short_name(f"ck_audit_entrys_{long_check}"),
        short_name(long_index),
    }
    assert short_name(long_index) != long_index


# ormar resolves forward references through pydantic, which on Python 3.13 calls
# typing.ForwardRef._evaluate in a way that warns; users' code sees the same warning.
@pytest.mark.filterwarnings(
    "ignore:Failing to pass a value to the 'type_params' parameter:DeprecationWarning"
)
def test_a_foreign_key_resolved_later_is_shortened() -> None:
    guilds = OrmarApp.create_app("guildsettings")
    reminders = OrmarApp.create_app("reminders")

    class ReminderSchedule(AppModel):
        ormar_config = reminders.copy()
        id: int = ormar.Integer(primary_key=True)
        guild: Any = ormar.ForeignKey(ForwardRef("GuildSettings"))

    class GuildSettings(AppModel):
        ormar_config = guilds.copy()
        id: int = ormar.Integer(primary_key=True)

    ReminderSchedule.update_forward_refs(GuildSettings=GuildSettings)
    assert SHORT_FK in names(ReminderSchedule.ormar_config.table)


@pytest.fixture
def long_tables() -> dict[str, sqlalchemy.Table]:
    """The tables of both apps, copied into one MetaData as migrations compare them (so that the
    foreign key between the apps resolves)."""
    declare_long_apps()
    apps = list(OrmarApp.registered().values())
    return dict(combined_metadata(apps, apps).tables)


@pytest.mark.parametrize(
    "backend", [postgresql, mysql, sqlite], ids=["postgresql", "mysql", "sqlite"]
)
def test_every_database_gets_the_same_names(
    long_tables: dict[str, sqlalchemy.Table], backend: Any
) -> None:
    """SQLAlchemy would shorten convention names on PostgreSQL and MySQL only, each its own
    way; the names here fit already, so each database is given exactly the model's names."""
    dialect = backend.dialect()
    for table in long_tables.values():
        ddl = str(CreateTable(table).compile(dialect=dialect))
        ddl += "".join(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
        for name, item in names(table).items():
            if isinstance(item, sqlalchemy.PrimaryKeyConstraint) and dialect.name == "mysql":
                continue  # MySQL names every primary key PRIMARY
            assert name in ddl, (name, ddl)


@pytest.mark.parametrize(
    ("app", "model", "tablename"),
    [
        ("a_rather_long_app_name_for_a_bot", "AModelNameLongerThanTheDatabasesAllow", None),
        ("short", "Short", "t" * 64),
    ],
)
def test_table_names_longer_than_63_are_refused(
    app: str, model: str, tablename: str | None
) -> None:
    config = OrmarApp.create_app(app)
    with pytest.raises(AppError, match="characters long: PostgreSQL allows 63 bytes"):
        type(
            model,
            (AppModel,),
            {
                "ormar_config": config.copy(tablename=tablename),
                "__annotations__": {"id": int},
                "id": ormar.Integer(primary_key=True),
            },
        )
    assert config.metadata.tables == {}


def test_the_message_says_how_to_choose_a_table_name() -> None:
    config = OrmarApp.create_app("short")
    with pytest.raises(AppError) as raised:

        class Short(AppModel):
            ormar_config = config.copy(tablename="t" * 64)
            id: int = ormar.Integer(primary_key=True)

    assert str(raised.value) == (
        f"Table name {'t' * 64!r} is 64 characters long: PostgreSQL allows 63 bytes (MySQL and "
        "MariaDB 64 characters). Give the model a shorter one with ormar_config = "
        "ModelMeta.copy(tablename='...'), or a shorter class name (for the table of a "
        "many-to-many relation, pass through= a model with a shorter table name)."
    )


def test_a_table_name_of_63_characters_is_accepted() -> None:
    config = OrmarApp.create_app("short")

    class Short(AppModel):
        ormar_config = config.copy(tablename="t" * 63)
        id: int = ormar.Integer(primary_key=True)

    assert Short.ormar_config.tablename == "t" * 63


def test_a_long_many_to_many_table_is_refused() -> None:
    config = OrmarApp.create_app("m2m")

    class AVeryLongModelNameForTheOneSide(AppModel):
        ormar_config = config.copy(tablename="ones")
        id: int = ormar.Integer(primary_key=True)

    with pytest.raises(AppError, match="anotherverylongmodelnamefortheothersides_avery"):

        class AnotherVeryLongModelNameForTheOtherSide(AppModel):
            ormar_config = config.copy(tablename="others")
            id: int = ormar.Integer(primary_key=True)
            ones: list[AVeryLongModelNameForTheOneSide] | None = ormar.ManyToMany(
                AVeryLongModelNameForTheOneSide
            )


def test_other_metadata_is_left_alone() -> None:
    metadata = sqlalchemy.MetaData()
    parent = sqlalchemy.Table("p" * 70, metadata, sqlalchemy.Column("id", sqlalchemy.Integer))
    child = sqlalchemy.Table(
        "child",
        metadata,
        sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("parent", sqlalchemy.ForeignKey(parent.c.id, name=LONG_FK)),
    )
    assert {constraint.name for constraint in child.foreign_key_constraints} == {LONG_FK}
