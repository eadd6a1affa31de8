"""The migration commands in-process, on every backend (``database_url``)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from pathlib import Path

import ormar
import pytest
from ormar_bot_core import AppModel, OrmarApp, OrmarManager
from ormar_bot_core.errors import (
    MigrationConflictError,
    MigrationError,
    MigrationUsageError,
    ModelsChangedError,
    RevisionNotFoundError,
    UnsafeMigrationError,
)
from ormar_bot_core.migrations import (
    NewRevision,
    Project,
    check,
    current,
    downgrade,
    heads,
    history,
    migrate,
    show,
    stamp,
    upgrade,
    upgrade_sql,
)
from sqlalchemy.engine import make_url

from tests.databases import DatabaseServers, fresh_database
from tests.migrations.helpers import declare, execute, pk, quote, table_names


def star_v1(tmp_path: Path) -> None:
    declare(tmp_path, "star", Star={"id": pk(), "body": (str, ormar.String(max_length=50))})


def star_v2(tmp_path: Path) -> None:
    declare(
        tmp_path,
        "star",
        Star={
            "id": pk(),
            "body": (str, ormar.String(max_length=50)),
            "note": (str | None, ormar.String(max_length=100, nullable=True)),
        },
    )


async def star_history(tmp_path: Path, database_url: str) -> NewRevision:
    """Write the star app's 0001 (create_star) and 0002 (star_add_note); return 0002."""
    star_v1(tmp_path)
    await migrate(Project(OrmarManager(database_url)))
    star_v2(tmp_path)
    (second,) = await migrate(Project(OrmarManager(database_url)))
    return second


async def test_revisions_are_numbered_and_named_after_their_changes(
    tmp_path: Path, database_url: str
) -> None:
    star_v1(tmp_path)
    (first,) = await migrate(Project(OrmarManager(database_url)))
    star_v2(tmp_path)
    (second,) = await migrate(Project(OrmarManager(database_url)))

    assert (first.revision, first.message, first.path.name) == (
        "0001",
        "create_star",
        "0001_create_star.py",
    )
    assert (second.revision, second.message, second.path.name) == (
        "0002",
        "star_add_note",
        "0002_star_add_note.py",
    )
    assert first.path.parent == tmp_path / "star" / "migrations"
    assert "batch_alter_table" in second.path.read_text()
    # Written without a database: none was created or touched.
    if database_url.startswith("sqlite"):
        assert not await asyncio.to_thread(Path(database_url.removeprefix("sqlite:///")).exists)


async def test_upgrade_applies_each_app_and_records_it_in_its_own_version_table(
    tmp_path: Path, database_url: str
) -> None:
    star_v1(tmp_path)
    declare(tmp_path, "users", User={"id": pk()})
    project = Project(OrmarManager(database_url))
    await migrate(project)

    states = await upgrade(project)

    assert [(state.app, state.before, state.after) for state in states] == [
        ("star", (), ("0001",)),
        ("users", (), ("0001",)),
    ]
    assert await table_names(database_url) >= {
        "star_stars",
        "users_users",
        "alembic_version_star",
        "alembic_version_users",
    }
    assert await current(project) == {"star": ("0001",), "users": ("0001",)}
    assert [state.changed for state in await upgrade(project)] == [False, False]


async def test_no_empty_revision_unless_asked(tmp_path: Path, database_url: str) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)

    assert await migrate(project) == []
    (empty,) = await migrate(project, "star", "backfill notes", empty=True)
    assert (empty.revision, empty.path.name) == ("0002", "0002_backfill_notes.py")
    assert "def upgrade() -> None:\n    pass" in empty.path.read_text()
    with pytest.raises(MigrationUsageError, match="An empty migration needs an app"):
        await migrate(project, empty=True)


async def test_a_given_message_names_the_revision(tmp_path: Path, database_url: str) -> None:
    star_v1(tmp_path)
    (revision,) = await migrate(Project(OrmarManager(database_url)), message="first stars")
    assert revision.path.name == "0001_first_stars.py"


@pytest.mark.parametrize("live", [False, True], ids=["replayed", "live"])
async def test_a_removed_model_is_dropped_by_its_app(
    tmp_path: Path, database_url: str, live: bool
) -> None:
    declare(tmp_path, "star", Star={"id": pk()}, Badge={"id": pk()})
    project = Project(OrmarManager(database_url))
    await migrate(project)
    await upgrade(project)

    declare(tmp_path, "star", Star={"id": pk()})
    project = Project(OrmarManager(database_url))
    (revision,) = await migrate(project, live=live)
    await upgrade(project)

    assert revision.message == "delete_badge"
    assert "star_badges" not in await table_names(database_url)


async def test_a_migration_never_touches_tables_its_app_does_not_own(
    tmp_path: Path, database_url: str
) -> None:
    declare(tmp_path, "star", Star={"id": pk()})
    declare(tmp_path, "users", User={"id": pk()})
    project = Project(OrmarManager(database_url))
    await migrate(project)
    await upgrade(project)
    # Ownership comes from the history, not from names: "star_scratchpad" is not star's.
    await execute(
        database_url,
        "CREATE TABLE legacy_things (id INTEGER PRIMARY KEY)",
        "CREATE TABLE star_scratchpad (id INTEGER PRIMARY KEY)",
    )

    # The "users" app disappears from this program (its cog is not loaded), "star" changes.
    declare(tmp_path, "star", Star={"id": pk(), "n": (int, ormar.Integer(server_default="0"))})
    partial = Project(OrmarManager(database_url), apps={"star": OrmarApp.get("star")})
    for live in (False, True):
        (revision,) = await migrate(partial, live=live)
        text = revision.path.read_text()
        assert "users_users" not in text
        assert "legacy_things" not in text
        assert "star_scratchpad" not in text
        assert "alembic_version" not in text
        revision.path.unlink()


async def test_a_not_null_column_without_default_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)

    declare(
        tmp_path,
        "star",
        Star={
            "id": pk(),
            "body": (str, ormar.String(max_length=50)),
            "color": (str, ormar.String(max_length=10)),
        },
    )
    with pytest.raises(UnsafeMigrationError, match=r"star_stars\.color .* server_default="):
        await migrate(Project(OrmarManager(database_url)))
    assert [path.name for path in (tmp_path / "star" / "migrations").glob("*.py")] == [
        "0001_create_star.py"
    ]

    declare(
        tmp_path,
        "star",
        Star={
            "id": pk(),
            "body": (str, ormar.String(max_length=50)),
            "color": (str, ormar.String(max_length=10, server_default="red")),
        },
    )
    project = Project(OrmarManager(database_url))
    (revision,) = await migrate(project)
    assert revision.message == "star_add_color"


async def test_renames_are_not_guessed(tmp_path: Path, database_url: str) -> None:
    declare(tmp_path, "star", Star={"id": pk(), "body": (str | None, ormar.Text(nullable=True))})
    project = Project(OrmarManager(database_url))
    await migrate(project)

    declare(tmp_path, "star", Star={"id": pk(), "text": (str | None, ormar.Text(nullable=True))})
    assert await check(Project(OrmarManager(database_url))) == {
        "star": ["star_add_text", "star_remove_body"]
    }
    declare(tmp_path, "star", Note={"id": pk(), "body": (str | None, ormar.Text(nullable=True))})
    assert await check(Project(OrmarManager(database_url))) == {
        "star": ["create_note", "delete_star"]
    }


def declare_coded_stars(tmp_path: Path, *, unique: bool, with_user: bool) -> None:
    """A star app whose ``code`` is unique (or indexed), and whose ``Star`` references
    the ``User`` of another app (or not)."""
    users = OrmarApp.create_app("users", migrations_dir=tmp_path / "users", module="test_apps.u")
    star = OrmarApp.create_app("star", migrations_dir=tmp_path / "star", module="test_apps.star")

    class User(AppModel):
        ormar_config = users.copy()
        id: int = ormar.Integer(primary_key=True)

    code = ormar.String(max_length=10, unique=unique, index=not unique)
    fields = {"id": pk(), "code": (str, code)}
    if with_user:
        fields["user"] = (User | None, ormar.ForeignKey(User))
    namespace = {
        "ormar_config": star.copy(),
        "__module__": "test_apps.star",
        "__annotations__": {name: kind for name, (kind, _) in fields.items()},
        **{name: value for name, (_, value) in fields.items()},
    }
    type("Star", (AppModel,), namespace)


async def test_constraints_are_named_so_that_later_migrations_can_drop_them(
    tmp_path: Path, database_url: str
) -> None:
    declare_coded_stars(tmp_path, unique=True, with_user=True)
    assert all(app.metadata.naming_convention.get("uq") for app in OrmarApp.registered().values())
    project = Project(OrmarManager(database_url))
    await migrate(project)
    await upgrade(project)
    await execute(
        database_url,
        "INSERT INTO users_users (id) VALUES (1)",
        f"INSERT INTO star_stars (code, {quote(database_url, 'user')}) VALUES ('a', 1)",
    )

    # Dropping a unique constraint and a foreign key: on SQLite, batch mode rebuilds the
    # table, which it can only do for constraints that have names.
    declare_coded_stars(tmp_path, unique=False, with_user=False)
    project = Project(OrmarManager(database_url))
    (revision,) = await migrate(project)
    text = revision.path.read_text()
    assert "uq_star_stars_code" in text
    assert "batch_op.drop_constraint(batch_op.f('fk_star_stars_users_users_id_user')" in text
    # Readable files: dialect imports, when any, are set apart like the others.
    assert re.search(r"^from alembic import op\n(from \S+ import \S+\n)*\nrevision:", text, re.M)
    await upgrade(project)

    assert await check(project) == {}
    assert await check(project, live=True) == {}
    assert await execute(database_url, "SELECT code FROM star_stars") == [[("a",)]]
    await downgrade(project, "star")
    assert await execute(database_url, "SELECT code FROM star_stars") == [[("a",)]]


async def test_types_and_server_defaults_are_compared_and_altered(
    tmp_path: Path, database_url: str
) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)
    await upgrade(project)
    await execute(database_url, "INSERT INTO star_stars (body) VALUES ('kept')")

    declare(
        tmp_path,
        "star",
        Star={"id": pk(), "body": (str, ormar.String(max_length=200, server_default="x"))},
    )
    project = Project(OrmarManager(database_url))
    (revision,) = await migrate(project)
    await upgrade(project)

    text = revision.path.read_text()
    # The existing type is reflected from a scratch database of the same dialect.
    assert re.search(r"existing_type=(sa|mysql)\.VARCHAR\(length=50\)", text)
    assert "type_=sa.String(length=200)" in text
    assert "server_default" in text
    assert await check(project) == {}
    assert await execute(database_url, "SELECT body FROM star_stars") == [[("kept",)]]


async def test_check_reports_what_migrate_would_write(tmp_path: Path, database_url: str) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    assert await check(project) == {"star": ["create_star"]}
    with pytest.raises(ModelsChangedError, match="star: create_star"):
        await check(project, strict=True)
    await migrate(project)
    assert await check(project, strict=True) == {}


async def test_sql_is_written_without_a_database(tmp_path: Path, database_url: str) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)

    sql = upgrade_sql(project)

    assert "CREATE TABLE alembic_version_star" in sql
    assert "CREATE TABLE star_stars" in sql
    assert "star_stars" not in await table_names(database_url)


async def test_history_heads_show_and_stamp(tmp_path: Path, database_url: str) -> None:
    await star_history(tmp_path, database_url)
    project = Project(OrmarManager(database_url))

    assert [script.revision for script in history(project)["star"]] == ["0002", "0001"]
    assert heads(project) == {"star": ("0002",)}
    (shown,) = show(project, "star", "0001")
    assert shown.doc == "create_star"

    await stamp(project, "star", "0001")
    assert await current(project) == {"star": ("0001",)}
    await stamp(project, None, "base")
    assert await current(project) == {"star": ()}


async def test_downgrade_goes_one_step_and_not_below_the_first(
    tmp_path: Path, database_url: str
) -> None:
    await star_history(tmp_path, database_url)
    project = Project(OrmarManager(database_url))
    await upgrade(project)

    (state,) = await downgrade(project, "star")
    assert (state.before, state.after) == (("0002",), ("0001",))
    with pytest.raises(MigrationError, match="below its first migration"):
        await downgrade(project, "star", "-2")
    (state,) = await downgrade(project, "star", "base")
    assert state.after == ()
    assert "star_stars" not in await table_names(database_url)
    with pytest.raises(MigrationError, match="no migration applied"):
        await downgrade(project, "star")


async def test_unknown_apps_and_revisions_are_named(tmp_path: Path, database_url: str) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)

    with pytest.raises(MigrationUsageError, match="Unknown app 'stars'; the apps are: star"):
        await upgrade(project, "stars")
    with pytest.raises(RevisionNotFoundError, match="no revision 'abc'; its revisions: 0001"):
        await upgrade(project, "star", "abc")
    with pytest.raises(MigrationUsageError, match="needs an app"):
        await upgrade(project, None, "0001")


async def test_two_branches_numbering_the_same_revision_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite'}"
    added = await star_history(tmp_path, url)
    # What merging two branches that each wrote a 0002 leaves behind.
    other = added.path.with_name("0002_star_add_flag.py")
    other.write_text(added.path.read_text())
    project = Project(OrmarManager(url))

    expected = (
        r"App 'star' has two migrations with revision id '0002' "
        r"\(0002_star_add_flag.py, 0002_star_add_note.py\), written on two branches\? Give one"
    )
    with pytest.raises(MigrationError, match=expected):
        await upgrade(project)
    with pytest.raises(MigrationError, match=expected):
        await migrate(project)
    with pytest.raises(MigrationError, match=expected):
        heads(project)
    assert "star_stars" not in await table_names(url)


async def test_two_heads_in_one_app_are_both_applied(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite'}"
    added = await star_history(tmp_path, url)
    sibling = added.path.read_text().replace("'0002'", "'0003'").replace("'note'", "'flag'")
    added.path.with_name("0003_star_add_flag.py").write_text(sibling)
    declare(
        tmp_path,
        "star",
        Star={
            "id": pk(),
            "body": (str, ormar.String(max_length=50)),
            "note": (str | None, ormar.String(max_length=100, nullable=True)),
            "flag": (str | None, ormar.String(max_length=100, nullable=True)),
            "extra": (str | None, ormar.String(max_length=100, nullable=True)),
        },
    )
    project = Project(OrmarManager(url))

    states = await upgrade(project)
    assert [state.after for state in states] == [("0002", "0003")]

    # The next migration joins the two branches.
    (joined,) = await migrate(project)
    assert joined.changes == ["star_add_extra"]
    assert heads(project) == {"star": ("0004",)}
    (script,) = show(project, "star", "0004")
    assert script.down_revision == ("0002", "0003")
    await upgrade(project)
    assert await current(project) == {"star": ("0004",)}


# -- foreign keys between apps ----------------------------------------------------------------


def declare_related(tmp_path: Path) -> None:
    # "star" is declared before the app its model references.
    star = OrmarApp.create_app("star", migrations_dir=tmp_path / "star", module="test_apps.star")
    users = OrmarApp.create_app(
        "users", migrations_dir=tmp_path / "users", module="test_apps.users"
    )

    class User(AppModel):
        ormar_config = users.copy()
        id: int = ormar.Integer(primary_key=True)

    class Star(AppModel):
        ormar_config = star.copy()
        id: int = ormar.Integer(primary_key=True)
        user: User | None = ormar.ForeignKey(User)


async def test_apps_are_upgraded_in_foreign_key_order_and_downgraded_in_reverse(
    tmp_path: Path, database_url: str
) -> None:
    declare_related(tmp_path)
    project = Project(OrmarManager(database_url))
    (users, star) = await migrate(project)
    assert (users.app, star.app) == ("users", "star")
    assert "sa.ForeignKeyConstraint(['user'], ['users_users.id']" in star.path.read_text()

    assert [state.app for state in await upgrade(project)] == ["users", "star"]
    assert await check(project) == {}
    assert [state.app for state in await downgrade(project, None, "base")] == ["star", "users"]
    assert not {"star_stars", "users_users"} & await table_names(database_url)


async def test_an_app_upgraded_alone_needs_the_apps_it_references_at_their_newest(
    tmp_path: Path, database_url: str
) -> None:
    declare_related(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)
    with pytest.raises(
        MigrationUsageError,
        match=r"App 'star' needs 'users' first .*run 'ormar-bot upgrade --app users', or "
        "upgrade without --app",
    ):
        await upgrade(project, "star")
    assert not {"star_stars", "users_users"} & await table_names(database_url)
    assert await current(project) == {"users": (), "star": ()}

    # Once the referenced app is at its newest migration, the app goes alone.
    await upgrade(project, "users")
    assert [state.after for state in await upgrade(project, "star")] == [("0001",)]
    assert await check(project, live=True) == {}


async def test_an_app_referenced_by_applied_apps_is_not_downgraded(
    tmp_path: Path, database_url: str
) -> None:
    declare_related(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)
    await upgrade(project)
    with pytest.raises(
        MigrationUsageError,
        match=r"App 'users' cannot be downgraded while 'star' has migrations applied .*"
        "run 'ormar-bot downgrade star base' first",
    ):
        await downgrade(project, "users")
    assert {"star_stars", "users_users"} <= await table_names(database_url)
    assert await current(project) == {"users": ("0001",), "star": ("0001",)}

    # Once the referencing app is at base, the referenced one may go.
    await downgrade(project, "star", "base")
    assert [state.after for state in await downgrade(project, "users")] == [()]
    assert not {"star_stars", "users_users"} & await table_names(database_url)


def test_a_cycle_between_apps_is_named(tmp_path: Path) -> None:
    first = OrmarApp.create_app("first", migrations_dir=tmp_path / "a", module="test_apps.a")
    second = OrmarApp.create_app("second", migrations_dir=tmp_path / "b", module="test_apps.b")

    class A(AppModel):
        ormar_config = first.copy()
        id: int = ormar.Integer(primary_key=True)

    class B(AppModel):
        ormar_config = second.copy()
        id: int = ormar.Integer(primary_key=True)
        a: A | None = ormar.ForeignKey(A)

    class C(AppModel):
        ormar_config = first.copy()
        id: int = ormar.Integer(primary_key=True)
        b: B | None = ormar.ForeignKey(B)

    project = Project(OrmarManager("sqlite://"))
    for name in (None, "first", "second"):
        with pytest.raises(MigrationConflictError, match="cycle: 'first' -> 'second' -> 'first'"):
            project.select(name)


# -- without a database, or against it ---------------------------------------------------------


async def test_migrate_needs_no_reachable_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager("postgresql://bot:s3cret@127.0.0.1:9/nowhere"))
    caplog.set_level(logging.WARNING)

    (revision,) = await migrate(project)
    star_v2(tmp_path)
    (second,) = await migrate(Project(OrmarManager("postgresql://bot:s3cret@127.0.0.1:9/x")))

    assert (revision.message, second.message) == ("create_star", "star_add_note")
    assert "replaying the migrations into SQLite" in caplog.text
    assert "s3cret" not in caplog.text


async def test_live_compares_with_the_configured_database(
    tmp_path: Path, database_url: str
) -> None:
    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)
    star_v2(tmp_path)
    project = Project(OrmarManager(database_url))
    with pytest.raises(MigrationError, match="database lacks migrations of app 'star'"):
        await migrate(project, live=True)

    await upgrade(project)
    (revision,) = await migrate(project, live=True)
    assert revision.message == "star_add_note"


async def test_the_scratch_database_is_of_the_configured_dialect(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    declare(
        tmp_path,
        "star",
        Star={
            "id": pk(),
            "at": (object, ormar.DateTime(timezone=True)),
            "data": (dict, ormar.JSON()),
            "price": (object, ormar.Decimal(max_digits=10, decimal_places=2)),
        },
    )
    project = Project(OrmarManager(database_url))
    await migrate(project)

    assert await check(project) == {}
    assert "No scratch database" not in caplog.text
    # The scratch database is gone again.
    if not database_url.startswith("sqlite"):
        rows = await execute(
            database_url,
            "SELECT count(*) FROM information_schema.schemata "
            "WHERE schema_name LIKE 'ormar_bot_scratch%%'"
            if "postgres" not in database_url
            else "SELECT count(*) FROM pg_database WHERE datname LIKE 'ormar_bot_scratch%'",
        )
        assert rows == [[(0,)]]


@pytest.mark.server
async def test_without_a_scratch_schema_postgresql_gets_a_scratch_database(
    tmp_path: Path, database_servers: DatabaseServers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ormar_bot_core.migrations.scratch")
    async with fresh_database(database_servers.url("postgresql")) as url:
        database = make_url(url).database
        # Even the owner may give up CREATE on its database: no schema can be created in it.
        await execute(url, f"REVOKE CREATE ON DATABASE {database} FROM current_user")
        star_v1(tmp_path)
        project = Project(OrmarManager(url))
        (revision,) = await migrate(project)
        assert await check(project) == {}

        assert revision.message == "create_star"
        assert "CREATE SCHEMA ormar_bot_scratch_" in caplog.text  # refused, so a database
        assert "No scratch database" not in caplog.text
        rows = await execute(
            url, "SELECT count(*) FROM pg_database WHERE datname LIKE 'ormar_bot_scratch%'"
        )
        assert rows == [[(0,)]]


@pytest.mark.server
async def test_a_server_that_allows_no_scratch_database_falls_back_to_sqlite(
    tmp_path: Path, database_servers: DatabaseServers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    server = make_url(database_servers.url("mariadb"))
    user = f"ormar_bot_ro_{uuid.uuid4().hex[:8]}"
    server_url = server.render_as_string(hide_password=False)
    # "%%": the driver formats the statement, so a literal % is doubled.
    await execute(server_url, f"CREATE USER '{user}'@'%%' IDENTIFIED BY 'pw'")
    try:
        # A user without privileges may still use information_schema, but create nothing.
        url = server.set(username=user, password="pw", database="information_schema")
        star_v1(tmp_path)
        (revision,) = await migrate(
            Project(OrmarManager(url.render_as_string(hide_password=False)))
        )
    finally:
        await execute(server_url, f"DROP USER '{user}'@'%%'")

    assert revision.message == "create_star"
    assert "not allowed to create a database or a schema" in caplog.text
    assert "replaying the migrations into SQLite" in caplog.text


# -- the manager -------------------------------------------------------------------------------


async def test_the_manager_migrates_itself(tmp_path: Path, database_url: str) -> None:
    star_v1(tmp_path)
    await migrate(Project(OrmarManager(database_url)))
    manager = OrmarManager(database_url)
    await manager.start()
    try:
        states = await manager.upgrade()
        assert [state.after for state in states] == [("0001",)]
        assert await manager.current() == {"star": ("0001",)}
        await manager.downgrade("star")
        assert await manager.current() == {"star": ()}
    finally:
        await manager.close()


async def test_the_manager_can_upgrade_on_start(tmp_path: Path, database_url: str) -> None:
    (star,) = declare(
        tmp_path, "star", Star={"id": pk(), "body": (str, ormar.String(max_length=50))}
    ).values()
    await migrate(Project(OrmarManager(database_url)))
    manager = OrmarManager(database_url, upgrade_on_start=True)
    async with manager:
        await star.objects.create(body="hi")
        assert await star.objects.count() == 1


async def test_an_app_without_migrations_is_named_in_a_warning_on_upgrade(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    star_v1(tmp_path)
    declare(tmp_path, "users", User={"id": pk()})
    await migrate(Project(OrmarManager(database_url)), "star")
    manager = OrmarManager(database_url, upgrade_on_start=True)
    with caplog.at_level(logging.WARNING, logger="ormar_bot_core"):
        async with manager:
            pass
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].name.startswith("ormar_bot_core.")
    message = warnings[0].getMessage()
    assert f"App 'users' has no migrations in {tmp_path / 'users' / 'migrations'}" in message
    assert "'ormar-bot migrate --app users'" in message
    assert "star" not in message
    assert "users_users" not in await table_names(database_url)


async def test_version_table_names_are_quoted_nowhere(database_url: str) -> None:
    from ormar_bot_core.migrations import version_table

    name = version_table("star")
    assert quote(database_url, name) == name
    long = version_table("a" * 80)
    assert len(long) <= 63
    assert long != version_table("a" * 79)


async def test_concurrent_upgrades_apply_each_migration_once(
    tmp_path: Path, database_url: str
) -> None:
    star_v1(tmp_path)
    declare(tmp_path, "users", User={"id": pk()})
    await migrate(Project(OrmarManager(database_url)))

    # Separate managers: separate engines and connections, as in separate processes.
    results = await asyncio.gather(
        *(upgrade(Project(OrmarManager(database_url))) for _ in range(4))
    )

    applied = [state.app for states in results for state in states if state.changed]
    assert sorted(applied) == ["star", "users"]
    rows = await execute(database_url, "SELECT version_num FROM alembic_version_star")
    assert rows == [[("0001",)]]


async def test_downgrade_sql_needs_a_range(tmp_path: Path, database_url: str) -> None:
    from ormar_bot_core.migrations import downgrade_sql

    star_v1(tmp_path)
    project = Project(OrmarManager(database_url))
    await migrate(project)

    assert "DROP TABLE star_stars" in downgrade_sql(project, "star", "0001:base")
    with pytest.raises(MigrationUsageError, match="FROM:TO"):
        downgrade_sql(project, "star", "-1")


def test_the_runtime_never_imports_alembic() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ormar_bot_core; from ormar_bot_core import OrmarManager; "
        "OrmarManager('sqlite://'); "
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('alembic', 'mako')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
