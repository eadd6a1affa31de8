"""OrmarManager on SQLite: tuning, start and close semantics, clear errors."""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import ormar
import pytest
from ormar_bot_core import (
    AppModel,
    ConfigurationError,
    DatabaseNotConnectedError,
    DatabaseUnavailableError,
    OrmarApp,
    OrmarManager,
)
from sqlalchemy import text

from tests.core.helpers import create_tables


def declare_notes() -> type[AppModel]:
    config = OrmarApp.create_app("notes")

    class Note(AppModel):
        ormar_config = config.copy()
        id: int = ormar.Integer(primary_key=True)
        body: str = ormar.Text()

    return Note


def rows_on_disk(url: str, table: str = "notes_notes") -> list[str]:
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        return [row[0] for row in connection.execute(f"SELECT body FROM {table} ORDER BY id")]


async def test_sqlite_connections_are_tuned(sqlite_url: str) -> None:
    manager = OrmarManager(sqlite_url)
    await manager.start()
    async with manager.database.engine.connect() as connection:
        values = {
            pragma: (await connection.execute(text(f"PRAGMA {pragma}"))).scalar()
            for pragma in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    await manager.close()
    assert values == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 30000,
        "foreign_keys": 1,
    }


async def test_sqlite_pragmas_can_be_overridden(sqlite_url: str) -> None:
    manager = OrmarManager(
        sqlite_url, sqlite_pragmas={"journal_mode": "DELETE", "busy_timeout": None}
    )
    await manager.start()
    async with manager.database.engine.connect() as connection:
        journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
    await manager.close()
    # Without the PRAGMA, the driver's own 5 s timeout applies.
    assert (journal, timeout) == ("delete", 5000)


def test_a_malformed_pragma_is_refused(sqlite_url: str) -> None:
    with pytest.raises(ConfigurationError, match="Invalid SQLite PRAGMA journal_mode='WAL; DROP'"):
        OrmarManager(sqlite_url, sqlite_pragmas={"journal_mode": "WAL; DROP"})


@pytest.mark.parametrize("option", ["start_timeout", "close_timeout"])
@pytest.mark.parametrize("value", ["5", -1, 0, True, None])
def test_a_timeout_that_is_not_seconds_is_refused(
    sqlite_url: str, option: str, value: object
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        OrmarManager(sqlite_url, **{option: value})
    assert str(caught.value) == f"{option} must be a number of seconds above 0, not {value!r}."


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"pool_sise": 3}, "Invalid argument(s) 'pool_sise' sent to create_engine()"),
        ({"poolclass": 3}, "AttributeError: "),
    ],
)
def test_an_engine_option_sqlalchemy_refuses_is_a_clear_error_at_once(
    options: dict[str, object], reason: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        OrmarManager("postgresql://bot:secret@localhost/bot", **options)
    message = str(caught.value)
    assert message.startswith("Invalid OrmarManager option for 'postgresql+asyncpg://bot:***@")
    assert reason in message
    assert message.endswith("create_async_engine(); check their spelling.")


async def test_start_is_idempotent_and_safe_to_call_concurrently(sqlite_url: str) -> None:
    manager = OrmarManager(sqlite_url)
    await asyncio.gather(*(manager.start() for _ in range(10)))
    engine = manager.database.engine
    await manager.start()
    assert manager.database.engine is engine
    assert manager.database.is_connected
    await asyncio.gather(manager.close(), manager.close())
    await manager.close()
    assert not manager.database.is_connected


async def test_in_memory_database_is_one_database_for_the_whole_process() -> None:
    note = declare_notes()
    manager = OrmarManager("sqlite://")
    await manager.start()
    await create_tables(manager)
    await asyncio.gather(*(note.objects.create(body=str(i)) for i in range(200)))
    assert await note.objects.count() == 200
    await manager.close()


async def test_concurrent_creates_all_land(sqlite_url: str) -> None:
    note = declare_notes()
    manager = OrmarManager(sqlite_url)
    await manager.start()
    await create_tables(manager)
    await asyncio.gather(*(note.objects.create(body=str(i)) for i in range(1000)))
    await manager.close()
    assert len(rows_on_disk(sqlite_url)) == 1000


async def test_close_lets_running_work_finish(sqlite_url: str) -> None:
    note = declare_notes()
    manager = OrmarManager(sqlite_url)
    await manager.start()
    await create_tables(manager)
    inside = asyncio.Event()
    release = asyncio.Event()

    async def slow_transaction() -> None:
        async with manager.database.transaction():
            await note.objects.create(body="first")
            inside.set()
            await release.wait()
            await note.objects.create(body="second")

    work = asyncio.create_task(slow_transaction())
    await inside.wait()
    closing = asyncio.create_task(manager.close())
    await asyncio.sleep(0.05)
    assert not closing.done(), "close() must wait for the open transaction"
    release.set()
    await asyncio.wait_for(closing, timeout=10)
    await work
    assert rows_on_disk(sqlite_url) == ["first", "second"]


async def test_close_gives_up_waiting_after_close_timeout(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    declare_notes()
    manager = OrmarManager(sqlite_url, close_timeout=0.1)
    await manager.start()
    await create_tables(manager)
    stuck = asyncio.Event()
    entered = asyncio.Event()

    async def never_finishes() -> None:
        async with manager.database.transaction():
            entered.set()
            await stuck.wait()

    work = asyncio.create_task(never_finishes())
    await entered.wait()
    with caplog.at_level(logging.WARNING, logger="ormar_bot_core"):
        await asyncio.wait_for(manager.close(), timeout=10)
    assert "with 1 queries still running after 0.1s" in caplog.text
    assert not manager.database.is_connected
    # The abandoned transaction still ends, and its connection is closed (no ResourceWarning).
    stuck.set()
    await work
    del work
    gc.collect()


async def test_queries_outside_start_and_close_are_clear_errors(sqlite_url: str) -> None:
    note = declare_notes()
    manager = OrmarManager(sqlite_url)
    with pytest.raises(DatabaseNotConnectedError, match="The database is not connected"):
        await note.objects.count()
    await manager.start()
    await create_tables(manager)
    await note.objects.create(body="kept")
    await manager.close()
    with pytest.raises(DatabaseNotConnectedError, match=r"await manager\.start\(\)"):
        await note.objects.create(body="lost")
    with pytest.raises(DatabaseNotConnectedError):
        async with manager.database.transaction():
            pass
    assert rows_on_disk(sqlite_url) == ["kept"]


async def test_force_rollback_discards_everything_at_close(sqlite_url: str) -> None:
    note = declare_notes()
    setup = OrmarManager(sqlite_url)
    await setup.start()
    await create_tables(setup)
    await setup.close()

    manager = OrmarManager(sqlite_url, force_rollback=True)
    await manager.start()
    await note.objects.create(body="temporary")
    assert await note.objects.count() == 1
    await manager.close()
    assert rows_on_disk(sqlite_url) == []


async def test_unusable_sqlite_path_fails_fast_and_clearly(tmp_path: Path) -> None:
    manager = OrmarManager(f"sqlite:///{tmp_path}/missing/dir/bot.sqlite", start_timeout=30)
    with pytest.raises(DatabaseUnavailableError) as caught:
        await asyncio.wait_for(manager.start(), timeout=10)
    assert "bot.sqlite': the folder" in str(caught.value)
    assert "does not exist. Create it, or fix the path" in str(caught.value)
    assert not manager.database.is_connected


async def test_a_sqlite_path_that_is_a_folder_fails_fast_and_clearly(tmp_path: Path) -> None:
    manager = OrmarManager(f"sqlite:///{tmp_path}", start_timeout=30)
    with pytest.raises(DatabaseUnavailableError) as caught:
        await asyncio.wait_for(manager.start(), timeout=10)
    assert str(caught.value).endswith(
        f"{str(tmp_path)!r} is a folder. Name a file in it, such as sqlite:///data/bot.sqlite."
    )
    assert not manager.database.is_connected


async def test_a_file_that_is_not_a_sqlite_database_fails_with_advice_for_a_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, but a text file long enough to hold a SQLite header\n" * 20)
    manager = OrmarManager(f"sqlite:///{path}", start_timeout=30)
    with pytest.raises(DatabaseUnavailableError) as caught:
        await asyncio.wait_for(manager.start(), timeout=10)
    message = str(caught.value)
    assert message.startswith(f"Cannot use the database at 'sqlite+aiosqlite:///{path}': ")
    assert "file is not a database" in message
    assert message.endswith(
        "Check the file's path and that this user may read and write it and its folder."
    )
    assert not manager.database.is_connected


async def test_a_second_manager_cannot_take_over_a_connected_database(
    sqlite_url: str, tmp_path: Path
) -> None:
    first = OrmarManager(sqlite_url)
    second = OrmarManager(f"sqlite:///{tmp_path / 'other.sqlite'}")
    await first.start()
    with pytest.raises(ConfigurationError, match=r"Another manager .* is connected"):
        await second.start()
    await second.close()  # not connected: nothing to do, the first stays connected
    assert first.database.is_connected
    await first.close()
    await second.start()
    await second.close()


def test_a_manager_survives_being_used_from_several_event_loops(sqlite_url: str) -> None:
    note = declare_notes()
    manager = OrmarManager(sqlite_url)

    async def session(body: str) -> None:
        await manager.start()
        await create_tables(manager)
        await note.objects.create(body=body)
        await manager.close()

    asyncio.run(session("one"))
    asyncio.run(session("two"))
    assert rows_on_disk(sqlite_url) == ["one", "two"]


async def test_logs_name_the_database_with_its_password_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert logging.getLogger("ormar_bot_core").handlers == []
    manager = OrmarManager("sqlite://")
    with caplog.at_level(logging.INFO, logger="ormar_bot_core"):
        await manager.start()
        await manager.close()
    assert "Connected to sqlite+aiosqlite://" in caplog.text
    assert "Disconnected from sqlite+aiosqlite://" in caplog.text
