"""The ``ormar-bot`` command end to end: a tiny project in a folder, the CLI in a subprocess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.migrations.helpers import CLI, CliProject, execute, write_project


@pytest.fixture
def cli(tmp_path: Path) -> CliProject:
    return write_project(tmp_path, "sqlite:///db.sqlite")


def tables(cli: CliProject) -> set[str]:
    with closing(sqlite3.connect(cli.root / "db.sqlite")) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def assert_error(result: object, status: int, message: str) -> None:
    assert isinstance(result, subprocess.CompletedProcess)
    assert result.returncode == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0], lines[0]
    assert lines[0].startswith("ormar-bot: error: ")
    assert "Traceback" not in result.stderr


def test_a_project_from_first_migration_to_downgrade(cli: CliProject) -> None:
    result = cli.run("migrate")
    assert result.stdout.splitlines() == [
        "users: wrote cogs/users/migrations/0001_create_user.py (create_user)",
        "star: wrote cogs/stars/migrations/0001_create_star.py (create_star)",
    ]
    assert not (cli.root / "db.sqlite").exists()
    assert cli.run("migrate").stdout.startswith("No changes in any app")
    assert cli.run("check").stdout == "The migrations match the models.\n"

    sql = cli.run("upgrade", "--sql").stdout
    assert "CREATE TABLE star_stars" in sql
    assert not (cli.root / "db.sqlite").exists()

    assert cli.run("upgrade").stdout.splitlines() == ["users: base -> 0001", "star: base -> 0001"]
    assert {"users_users", "star_stars", "alembic_version_users", "alembic_version_star"} <= (
        tables(cli)
    )
    assert cli.run("current").stdout.splitlines() == ["users: 0001 (head)", "star: 0001 (head)"]

    cli.write(
        "cogs/stars/__init__.py",
        (cli.root / "cogs/stars/__init__.py").read_text()
        + "    note: str = ormar.Text(nullable=True)\n",
    )
    result = cli.run("check", status=1)
    assert result.stdout == "star: star_add_note\n"
    assert "run 'ormar-bot migrate'" in result.stderr
    assert cli.run("migrate", "--app", "star").stdout == (
        "star: wrote cogs/stars/migrations/0002_star_add_note.py (star_add_note)\n"
    )
    assert cli.run("heads").stdout.splitlines() == ["users: 0001", "star: 0002"]
    assert cli.run("history", "--app", "star").stdout.splitlines() == [
        "star:",
        "  0001 -> 0002 (head), star_add_note",
        "  <base> -> 0001, create_star",
    ]
    assert "Revision ID: 0002" in cli.run("show", "star").stdout
    assert cli.run("upgrade", "--app", "star").stdout == "star: 0001 -> 0002\n"
    assert cli.run("downgrade", "star").stdout == "star: 0002 -> 0001\n"
    assert cli.run("downgrade", "star", "base").stdout == "star: 0001 -> base\n"
    assert cli.run("stamp", "--app", "star", "heads").stdout == "star: base -> 0002\n"
    assert cli.run("current", "--app", "star").stdout == "star: 0002 (head)\n"
    assert cli.run("migrate", "--app", "star", "--empty", "-m", "fill notes").stdout == (
        "star: wrote cogs/stars/migrations/0003_fill_notes.py\n"
    )


def test_a_removed_model_is_dropped_and_other_tables_are_left_alone(cli: CliProject) -> None:
    cli.write(
        "cogs/users/badges.py",
        """
        import ormar
        from ormar_bot_core import AppModel

        from cogs.users import ModelMeta


        class Badge(AppModel):
            ormar_config = ModelMeta.copy()
            id: int = ormar.Integer(primary_key=True)
        """,
    )
    users = cli.root / "cogs/users/__init__.py"
    users.write_text(users.read_text() + "\nfrom cogs.users import badges  # noqa: E402,F401\n")
    cli.run("migrate")
    cli.run("upgrade")
    with closing(sqlite3.connect(cli.root / "db.sqlite")) as connection, connection:
        connection.execute("CREATE TABLE hand_made (id INTEGER PRIMARY KEY)")

    users.write_text(users.read_text().replace("from cogs.users import badges", "#"))
    assert cli.run("migrate").stdout == (
        "users: wrote cogs/users/migrations/0002_delete_badge.py (delete_badge)\n"
    )
    assert_error(cli.run("migrate", "--live", status=None), 1, "run 'ormar-bot upgrade' first")
    cli.run("upgrade")
    assert "users_badges" not in tables(cli)
    assert {"hand_made", "star_stars", "users_users"} <= tables(cli)
    assert cli.run("migrate", "--live").stdout.startswith("No changes")


def test_apps_beside_the_bot_keep_their_migrations_in_a_folder_of_their_own(
    tmp_path: Path,
) -> None:
    cli = CliProject(tmp_path, "sqlite:///db.sqlite")
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = manager\n")
    cli.write(
        "bot.py",
        """
        import os

        import ormar
        from ormar_bot_core import AppModel, OrmarApp, OrmarManager

        manager = OrmarManager(os.environ["BOT_DATABASE_URL"])
        ModelMeta = OrmarApp.create_app("example")


        class Example(AppModel):
            ormar_config = ModelMeta.copy()
            id: int = ormar.Integer(primary_key=True)

        import stars  # noqa: E402,F401
        """,
    )
    cli.write(
        "stars.py",
        """
        import ormar
        from ormar_bot_core import AppModel, OrmarApp

        ModelMeta = OrmarApp.create_app("star")


        class Star(AppModel):
            ormar_config = ModelMeta.copy()
            id: int = ormar.Integer(primary_key=True)
        """,
    )
    cli.run("migrate")
    assert (tmp_path / "example/migrations/0001_create_example.py").is_file()
    assert (tmp_path / "star/migrations/0001_create_star.py").is_file()


def test_the_bot_may_be_named_on_the_command_line(cli: CliProject) -> None:
    (cli.root / "nxalembic.ini").unlink()
    assert cli.run("--bot", "bot:manager", "heads").stdout.splitlines() == [
        "users: (no migrations)",
        "star: (no migrations)",
    ]
    assert cli.run("heads", "--bot", "bot:manager").returncode == 0


@pytest.mark.nextcord
def test_a_nextcord_bot_is_a_target(tmp_path: Path) -> None:
    pytest.importorskip("nextcord_ormar")
    cli = write_project(tmp_path, "sqlite:///db.sqlite")
    cli.write(
        "bot.py",
        """
        import os

        import nextcord
        from nextcord_ormar import Bot

        bot = Bot("!", os.environ["BOT_DATABASE_URL"], intents=nextcord.Intents.default())

        import cogs.stars  # noqa: E402,F401
        """,
    )
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = bot\n")
    cli.run("migrate")
    assert cli.run("upgrade").stdout.splitlines() == ["users: base -> 0001", "star: base -> 0001"]


async def test_several_processes_upgrading_at_once_apply_each_migration_once(
    tmp_path: Path, database_url: str
) -> None:
    cli = write_project(tmp_path, database_url)
    cli.run("migrate")
    processes = [cli.start("upgrade") for _ in range(4)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, outputs
    applied = [out for out, _ in outputs if "base -> 0001" in out]
    assert len(applied) == 1, outputs
    [versions] = await execute(database_url, "SELECT version_num FROM alembic_version_star")
    assert versions == [("0001",)]


# -- bad input: one line on stderr, status 2 for usage errors and 1 for failures ---------------


def test_no_ini_and_no_bot(cli: CliProject) -> None:
    (cli.root / "nxalembic.ini").unlink()
    assert_error(cli.run("upgrade", status=None), 2, "No nxalembic.ini in")


def test_a_broken_ini(cli: CliProject) -> None:
    cli.write("nxalembic.ini", "[nxalembic\nmodule = bot\n")
    result = cli.run("upgrade", status=None)
    assert_error(result, 2, "Cannot read")
    assert "headers. It needs a [nxalembic] section" in result.stderr
    assert ".." not in result.stderr
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\n")
    assert_error(cli.run("upgrade", status=None), 2, "is incomplete: it needs a [nxalembic]")


def test_a_malformed_bot_option(cli: CliProject) -> None:
    assert_error(cli.run("--bot", "bot", "heads", status=None), 2, "is not MODULE:ATTRIBUTE")


def test_a_module_that_fails_to_import_shows_its_error(cli: CliProject) -> None:
    cli.write("bot.py", "import os\nraise RuntimeError('token missing')\n")
    result = cli.run("heads", status=None)
    assert_error(result, 1, "Cannot import 'bot' (from nxalembic.ini): RuntimeError: token missing")
    assert "bot.py, line 2" in result.stderr
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = nobot\nbot = bot\n")
    result = cli.run("heads", status=None)
    assert_error(result, 1, "ModuleNotFoundError: No module named 'nobot'.")
    assert "line" not in result.stderr  # no line of the library, nor of importlib
    # A SyntaxError points at its own file and line, in a module the bot imports.
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = manager\n")
    cli.write("bot.py", "import helpers\n")
    cli.write("helpers.py", "x = 1\ndef broken(:\n")
    result = cli.run("heads", status=None)
    assert_error(result, 1, "Cannot import 'bot' (from nxalembic.ini): SyntaxError: ")
    assert f"({cli.root / 'helpers.py'}, line 2). Run" in result.stderr
    assert "discovery.py" not in result.stderr
    # An error raised inside the library points at the project's line that led to it.
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = manager\n")
    cli.write(
        "bot.py", "from ormar_bot_core import OrmarManager\nmanager = OrmarManager('ftp://x')\n"
    )
    result = cli.run("heads", status=None)
    assert_error(result, 1, "DatabaseURLError: Unsupported database 'ftp' in URL 'ftp://x'")
    assert f"({cli.root / 'bot.py'}, line 2)" in result.stderr


def test_an_attribute_that_is_missing_or_neither_bot_nor_manager(cli: CliProject) -> None:
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = robot\n")
    assert_error(cli.run("heads", status=None), 2, "Module 'bot' has no attribute 'robot'")
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = os\n")
    assert_error(
        cli.run("heads", status=None),
        2,
        "bot:os is a module, neither a bot with an _ormar manager",
    )


def test_an_unknown_app(cli: CliProject) -> None:
    assert_error(
        cli.run("upgrade", "--app", "stars", status=None),
        2,
        "Unknown app 'stars'; the apps are: star, users.",
    )


def test_an_unreachable_database_masks_its_password(tmp_path: Path) -> None:
    cli = write_project(tmp_path, "postgresql://bot:s3cret@127.0.0.1:9/bot")
    result = cli.run("current", status=None)
    assert_error(
        result,
        1,
        "Cannot connect to the database at 'postgresql+asyncpg://bot:***@127.0.0.1:9/bot'",
    )
    assert "s3cret" not in result.stderr
    # Writing migrations needs no database.
    assert "wrote" in cli.run("migrate").stdout


def test_a_sqlite_file_that_cannot_be_opened_gets_advice_about_files(tmp_path: Path) -> None:
    cli = write_project(tmp_path, "sqlite:///no/such/folder/db.sqlite")
    result = cli.run("current", status=None)
    assert_error(result, 1, "Check that the file's folder exists")
    assert "server" not in result.stderr
    assert ".." not in result.stderr


def test_a_revision_that_does_not_exist(cli: CliProject) -> None:
    cli.run("migrate")
    assert_error(
        cli.run("upgrade", "--app", "star", "0007", status=None),
        2,
        "App 'star' has no revision '0007'; its revisions: 0001",
    )
    assert_error(cli.run("show", "users", "abc", status=None), 2, "no revision 'abc'")


def test_malformed_revisions_and_ranges_are_usage_errors(cli: CliProject) -> None:
    cli.run("migrate")
    cases = [
        (("show", "users", "0001:0001"), "show takes one revision, not a range ('0001:0001')"),
        (("show", "users", "0001@"), "App 'users' has no revision '0001@'"),
        (("show", "users", "-5"), "App 'users' has no revision '-5'"),
        (("show", "users", "base"), "'base' is the state before the first migration"),
        (("show", "users", "head+1"), "'head+1' goes beyond its newest migration"),
        (("upgrade", "--app", "users", "@"), "App 'users' has no revision '@'"),
        (("upgrade", "--app", "users", "head+1"), "'head+1' goes beyond its newest migration"),
        (("upgrade", "--app", "users", "heads+2"), "'heads+2' goes beyond its newest migration"),
    ]
    for args, message in cases:
        assert_error(cli.run(*args, status=None), 2, message)
    assert "Revision ID: 0001" in cli.run("show", "users", "head").stdout
    assert not (cli.root / "db.sqlite").exists()


CYCLE = """
import os

import ormar
from ormar_bot_core import AppModel, OrmarApp, OrmarManager

manager = OrmarManager(os.environ["BOT_DATABASE_URL"])
alpha = OrmarApp.create_app("alpha")
beta = OrmarApp.create_app("beta"{beta_dir})


class A(AppModel):
    ormar_config = alpha.copy()
    id: int = ormar.Integer(primary_key=True)


class B(AppModel):
    ormar_config = beta.copy()
    id: int = ormar.Integer(primary_key=True)
    {beta_field}


class C(AppModel):
    ormar_config = alpha.copy()
    id: int = ormar.Integer(primary_key=True)
    b: B | None = ormar.ForeignKey(B)
"""


def test_a_cycle_or_a_shared_folder_is_a_configuration_error_with_or_without_app(
    tmp_path: Path,
) -> None:
    cli = CliProject(tmp_path, "sqlite:///db.sqlite")
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = manager\n")
    cli.write("bot.py", CYCLE.format(beta_dir="", beta_field="a: A | None = ormar.ForeignKey(A)"))
    for args in (
        ("upgrade",),
        ("upgrade", "--app", "alpha"),
        ("migrate", "--app", "beta"),
        ("history", "--app", "alpha"),
    ):
        assert_error(cli.run(*args, status=None), 2, "cycle: 'alpha' -> 'beta' -> 'alpha'")
    assert not (tmp_path / "db.sqlite").exists()

    cli.write(
        "bot.py",
        CYCLE.format(beta_dir=", migrations_dir='alpha/migrations'", beta_field="name: str = ''"),
    )
    assert_error(
        cli.run("migrate", "--app", "alpha", status=None),
        2,
        "Apps 'alpha' and 'beta' would both keep their migrations in",
    )


def test_downgrading_below_the_first_migration(cli: CliProject) -> None:
    cli.run("migrate")
    cli.run("upgrade")
    assert_error(cli.run("downgrade", "star", "-2", status=None), 1, "below its first migration")
    cli.run("downgrade", "star")
    assert_error(cli.run("downgrade", "star", status=None), 1, "nothing to downgrade")


def test_steps_beyond_the_history_the_wrong_way_or_over_a_range(cli: CliProject) -> None:
    cli.run("migrate")
    assert_error(
        cli.run("upgrade", "--app", "users", "+2", status=None), 1, "beyond its newest migration"
    )
    assert_error(
        cli.run("upgrade", "--app", "star", "-1", status=None),
        2,
        "Upgrade goes forward, not '-1': run 'ormar-bot downgrade star -1' instead.",
    )
    assert_error(
        cli.run("downgrade", "star", "+1", status=None),
        2,
        "Downgrade goes back, not '+1': run 'ormar-bot upgrade --app star +1' instead.",
    )
    for command in (("upgrade", "--app", "star"), ("downgrade", "star")):
        assert_error(
            cli.run(*command, "0001:base", status=None), 2, "is only for printing SQL (--sql)"
        )


def test_sql_of_a_table_rebuilt_on_sqlite_explains_the_limit(tmp_path: Path) -> None:
    note = "note: str = ormar.Text(nullable=True)"
    cli = write_project(tmp_path, "sqlite:///db.sqlite", star_extra=note)
    cli.run("migrate")
    stars = cli.root / "cogs/stars/__init__.py"
    stars.write_text(stars.read_text().replace(note, ""))
    assert "star_remove_note" in cli.run("migrate").stdout
    result = cli.run("upgrade", "--sql", status=None)
    assert_error(
        result,
        1,
        "Writing the SQL of app 'star' failed in 0002_star_remove_note.py, line",
    )
    assert "SQLite alters table 'star_stars' by rebuilding it (batch mode)" in result.stderr
    assert "Run it on a copy of the database file instead" in result.stderr
    assert not (cli.root / "db.sqlite").exists()


def test_a_broken_revision_file(cli: CliProject) -> None:
    cli.run("migrate")
    first = cli.root / "cogs/stars/migrations/0001_create_star.py"
    text = first.read_text()
    first.write_text(text + "def broken(:\n")
    for command in (("heads",), ("history",), ("current",), ("show", "star"), ("upgrade",)):
        assert_error(
            cli.run(*command, status=None),
            1,
            "app 'star' failed: SyntaxError: invalid syntax (0001_create_star.py, line",
        )
    first.write_text(text.replace("| None = None", '| None = "0000"', 1))
    for command in (("heads",), ("upgrade",), ("migrate",)):
        assert_error(
            cli.run(*command, status=None),
            1,
            "App 'star': 0001_create_star.py revises '0000', which no file in",
        )


def test_two_files_with_one_revision_id(cli: CliProject) -> None:
    cli.run("migrate")
    folder = cli.root / "cogs/stars/migrations"
    first = folder / "0001_create_star.py"
    (folder / "0001_create_star_too.py").write_text(first.read_text())
    for command in (("upgrade",), ("check",), ("history",)):
        assert_error(
            cli.run(*command, status=None),
            1,
            "App 'star' has two migrations with revision id '0001' "
            "(0001_create_star.py, 0001_create_star_too.py)",
        )


def test_an_unsafe_column_is_refused(cli: CliProject) -> None:
    cli.run("migrate")
    cli.write(
        "cogs/stars/__init__.py",
        (cli.root / "cogs/stars/__init__.py").read_text()
        + "    color: str = ormar.String(max_length=10)\n",
    )
    assert_error(
        cli.run("migrate", status=None),
        1,
        "star_stars.color would be added as NOT NULL without a default",
    )


def test_usage_errors_from_the_parser(cli: CliProject) -> None:
    result = cli.run("frobnicate", status=None)
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr
    assert cli.run("downgrade", status=None).returncode == 2


@pytest.mark.nextcord
def test_nxalembic_is_the_same_program(cli: CliProject) -> None:
    nxalembic = CLI.with_name("nxalembic")
    if not nxalembic.exists():
        pytest.skip("nextcord-ormar is not installed")
    result = subprocess.run(
        [str(nxalembic), "heads"],
        cwd=cli.root,
        env={**os.environ, "BOT_DATABASE_URL": cli.database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, cli.run("heads").stdout)
    result = subprocess.run(
        [str(nxalembic), "upgrade", "--app", "nope"],
        cwd=cli.root,
        env={**os.environ, "BOT_DATABASE_URL": cli.database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stderr.startswith("nxalembic: error: Unknown app 'nope'")
    # The commands a message suggests are written as the program was run.
    result = subprocess.run(
        [str(nxalembic), "upgrade", "--app", "star", "-1"],
        cwd=cli.root,
        env={**os.environ, "BOT_DATABASE_URL": cli.database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "run 'nxalembic downgrade star -1' instead" in result.stderr
    assert "ormar-bot" not in result.stderr


def test_a_bot_whose_apps_load_at_run_time_is_told_to_name_them(cli: CliProject) -> None:
    cli.write(
        "bot.py",
        """
        import os

        from ormar_bot_core import OrmarManager

        manager = OrmarManager(os.environ["BOT_DATABASE_URL"])
        """,
    )
    assert_error(cli.run("heads", status=None), 2, "list them in nxalembic.ini as 'modules =")
    both = ["users: (no migrations)", "star: (no migrations)"]
    # --module, before or after the command, with nxalembic.ini or with --bot
    assert cli.run("--module", "cogs.stars", "heads").stdout.splitlines() == both
    assert cli.run(
        "heads", "--bot", "bot:manager", "--module", "cogs.stars"
    ).stdout.splitlines() == (both)
    assert cli.run(
        "--module", "cogs.users", "heads", "--module", "cogs.stars"
    ).stdout.splitlines() == (both)
    cli.write("nxalembic.ini", "[nxalembic]\nmodule = bot\nbot = manager\nmodules = cogs.stars\n")
    assert cli.run("heads").stdout.splitlines() == both
