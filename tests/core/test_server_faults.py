"""Faults on the way to a database server, each with real drivers and, where one is needed, a real
server: down at start, late, wrong credentials, restarted under a connected manager, silent,
and a driver that is not installed. Nothing acknowledged may be lost."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator

import ormar
import pytest
from ormar_bot_core import AppModel, DatabaseUnavailableError, OrmarApp, OrmarManager
from ormar_bot_core.engines import _PING_AFTER_IDLE
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.core.helpers import create_tables
from tests.databases import ControllableServer, missing_driver, skip_without_server

# Far longer than any of these tests needs: reaching it means a hang, which fails the test.
HANG = 60.0
PASSWORD = "s3cret-Pa55word"

SERVER_SCHEMES = [
    pytest.param("postgresql", "postgresql", id="postgresql"),
    pytest.param("mariadb", "mariadb", id="mariadb"),
]


def declare_items() -> type[AppModel]:
    config = OrmarApp.create_app("items")

    class Item(AppModel):
        ormar_config = config.copy()
        id: int = ormar.Integer(primary_key=True)
        n: int = ormar.Integer()

    return Item


def require_driver(backend: str) -> None:
    reason = missing_driver(backend)
    if reason is not None:
        skip_without_server(reason)


class RetryLog(logging.Handler):
    """Collects the manager's "Waiting for …" messages, one per retry, and signals the first."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries: list[str] = []
        self.first = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Waiting for"):
            self.retries.append(message)
            self.first.set()


@pytest.fixture
def retry_log() -> Iterator[RetryLog]:
    handler = RetryLog()
    logger = logging.getLogger("ormar_bot_core.manager")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel completes the handshake) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("force_rollback", [False, True], ids=["", "force_rollback"])
@pytest.mark.parametrize(("backend", "scheme"), SERVER_SCHEMES)
async def test_database_down_at_start_fails_after_start_timeout(
    backend: str, scheme: str, force_rollback: bool, closed_port: int, retry_log: RetryLog
) -> None:
    require_driver(backend)
    manager = OrmarManager(
        f"{scheme}://bot:{PASSWORD}@127.0.0.1:{closed_port}/bot",
        start_timeout=1.0,
        force_rollback=force_rollback,
    )
    # A second start() fails the same way: the first one left nothing half-connected.
    for _attempt in range(2):
        retry_log.retries.clear()
        with pytest.raises(DatabaseUnavailableError) as raised:
            await asyncio.wait_for(manager.start(), HANG)
        message = str(raised.value)
        assert f"bot:***@127.0.0.1:{closed_port}/bot" in message
        assert PASSWORD not in message
        assert "Check that the database server runs" in message
        # Refused connections are retried until start_timeout is spent.
        assert retry_log.retries
        assert not any(PASSWORD in retry for retry in retry_log.retries)
        assert not manager.database.is_connected


@pytest.mark.parametrize(("backend", "scheme"), SERVER_SCHEMES)
async def test_unreachable_host_fails_after_start_timeout(backend: str, scheme: str) -> None:
    require_driver(backend)
    # TEST-NET-1 (RFC 5737) is never routed: depending on the network the connection is
    # refused at once, reported unreachable, or never answered. Each must end in time.
    manager = OrmarManager(f"{scheme}://bot:{PASSWORD}@192.0.2.1:5999/bot", start_timeout=1.0)
    with pytest.raises(DatabaseUnavailableError) as raised:
        await asyncio.wait_for(manager.start(), HANG)
    assert "192.0.2.1:5999" in str(raised.value)
    assert PASSWORD not in str(raised.value)


@pytest.mark.parametrize(("backend", "scheme"), SERVER_SCHEMES)
async def test_server_that_never_answers_fails_after_start_timeout(
    backend: str, scheme: str, silent_server: int
) -> None:
    require_driver(backend)
    manager = OrmarManager(
        f"{scheme}://bot:{PASSWORD}@127.0.0.1:{silent_server}/bot", start_timeout=1.0
    )
    with pytest.raises(DatabaseUnavailableError, match="no answer in time"):
        await asyncio.wait_for(manager.start(), HANG)
    assert not manager.database.is_connected


@pytest.mark.server
@pytest.mark.parametrize("fault", ["password", "database"])
async def test_wrong_credentials_fail_at_once(
    server_url: str, fault: str, retry_log: RetryLog
) -> None:
    url = make_url(server_url)
    wrong = url.set(password=PASSWORD) if fault == "password" else url.set(database="no_such_db")
    # A start_timeout far beyond HANG: only giving up without retrying ends this in time.
    manager = OrmarManager(wrong, start_timeout=10 * HANG)
    with pytest.raises(DatabaseUnavailableError) as raised:
        await asyncio.wait_for(manager.start(), HANG)
    message = str(raised.value)
    assert PASSWORD not in message
    expected = {
        "password": ("InvalidPasswordError", "Access denied"),
        "database": ("InvalidCatalogNameError", "Unknown database"),
    }[fault]
    assert any(text in message for text in expected), message
    assert retry_log.retries == []


@pytest.mark.server
async def test_start_waits_for_a_database_that_comes_up(
    controllable_server: ControllableServer, retry_log: RetryLog
) -> None:
    item = declare_items()
    await asyncio.to_thread(controllable_server.halt)
    manager = OrmarManager(controllable_server.url, start_timeout=2 * HANG)
    starting = asyncio.create_task(manager.start())
    try:
        # Start the server only once start() has been refused at least once.
        await asyncio.wait_for(retry_log.first.wait(), HANG)
        assert not starting.done()
        await asyncio.to_thread(controllable_server.start)
        await asyncio.wait_for(starting, HANG)
    finally:
        starting.cancel()
    assert manager.database.is_connected
    await create_tables(manager)
    await item.objects.create(n=1)
    assert await item.objects.count() == 1
    await manager.close()


@pytest.mark.server
async def test_restart_under_a_connected_manager_keeps_every_write(
    controllable_server: ControllableServer,
) -> None:
    item = declare_items()
    manager = OrmarManager(controllable_server.url)
    await manager.start()
    await create_tables(manager)
    # Fill the pool with connections that the restart will cut.
    await asyncio.gather(*(item.objects.create(n=n) for n in range(300)))

    await asyncio.to_thread(controllable_server.restart)
    # The restart alone takes longer, but this makes it certain: every pooled connection has
    # sat idle long enough to be checked before its next use.
    await asyncio.sleep(_PING_AFTER_IDLE)

    # The pool's connections are dead; they are replaced on checkout, so the same manager
    # serves the next queries without being restarted.
    assert manager.database.is_connected
    assert sorted(row.n for row in await item.objects.all()) == list(range(300))
    await asyncio.gather(*(item.objects.create(n=n) for n in range(300, 400)))
    assert await item.objects.count() == 400
    await manager.close()


@pytest.mark.server
async def test_crash_under_load_keeps_every_acknowledged_write(
    controllable_server: ControllableServer,
) -> None:
    item = declare_items()
    manager = OrmarManager(controllable_server.url)
    await manager.start()
    await create_tables(manager)
    acknowledged: list[int] = []
    failures: list[BaseException] = []
    enough = asyncio.Event()

    async def write(n: int) -> None:
        try:
            await item.objects.create(n=n)
        except Exception as error:  # noqa: BLE001 - each failure is checked below
            failures.append(error)
        else:
            acknowledged.append(n)
            if len(acknowledged) == 200:
                enough.set()

    writers = [asyncio.create_task(write(n)) for n in range(3000)]
    # Crash the server in the middle of the writes, once some are acknowledged.
    await asyncio.wait_for(enough.wait(), HANG)
    await asyncio.to_thread(controllable_server.kill)
    await asyncio.wait_for(asyncio.gather(*writers), HANG)
    assert failures, "the crash happened after every write: nothing was tested"
    # Writes cut by the crash fail with the driver's connection error, nothing stranger.
    for failure in failures:
        assert isinstance(failure, OSError | DBAPIError), repr(failure)

    await asyncio.to_thread(controllable_server.start)
    await asyncio.sleep(_PING_AFTER_IDLE)
    stored = {row.n for row in await item.objects.all()}
    # Every write reported as done survived the crash (the server's recovery replays its log).
    # A write cut after its commit may be stored although it failed: the client could not know.
    assert set(acknowledged) <= stored
    assert stored <= set(range(3000))
    await item.objects.create(n=-1)
    await manager.close()


@pytest.mark.server
async def test_queries_fail_cleanly_while_the_server_is_down(
    controllable_server: ControllableServer,
) -> None:
    item = declare_items()
    manager = OrmarManager(controllable_server.url)
    await manager.start()
    await create_tables(manager)
    await asyncio.gather(*(item.objects.create(n=n) for n in range(100)))

    await asyncio.to_thread(controllable_server.halt)
    for _ in range(3):
        # The driver's connection error, promptly: no hang, no half-done write reported as done.
        with pytest.raises((OSError, DBAPIError)):
            await asyncio.wait_for(item.objects.create(n=-1), HANG)
    await asyncio.to_thread(controllable_server.start)

    assert sorted(row.n for row in await item.objects.all()) == list(range(100))
    await item.objects.create(n=100)
    assert await item.objects.count() == 101
    await manager.close()


# Runs in a fresh interpreter where the driver is not installed as far as imports can tell:
# the path finder does not find it, exactly as for a package that was never installed (a stub
# that raises on import would still be "found").
_WITHOUT_DRIVER = """
import importlib.machinery
import json
import sys

hidden = set(sys.argv[1].split(","))


class PathFinderWithout(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] in hidden:
            return None
        return super().find_spec(name, path, target)


sys.meta_path[:] = [
    PathFinderWithout if finder is importlib.machinery.PathFinder else finder
    for finder in sys.meta_path
]
for name in hidden:
    try:
        __import__(name)
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit(f"{name} is still importable")

from ormar_bot_core import MissingDriverError, OrmarManager

try:
    OrmarManager(sys.argv[2])
except MissingDriverError as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
else:
    print(json.dumps({"error": None, "message": ""}))
"""


@pytest.mark.parametrize(
    ("url", "hidden", "extra"),
    [
        ("postgresql://bot:{pw}@db.example/bot", "asyncpg", "ormar-bot-core[postgresql]"),
        ("postgres://bot:{pw}@db.example/bot", "asyncpg", "ormar-bot-core[postgresql]"),
        ("postgresql+psycopg2://bot:{pw}@db.example/bot", "asyncpg", "ormar-bot-core[postgresql]"),
        ("mysql://bot:{pw}@db.example/bot", "aiomysql", "ormar-bot-core[mysql]"),
        ("mysql+pymysql://bot:{pw}@db.example/bot", "aiomysql", "ormar-bot-core[mysql]"),
        ("mariadb://bot:{pw}@db.example/bot", "aiomysql", "ormar-bot-core[mysql]"),
    ],
)
def test_missing_driver_names_the_extra(url: str, hidden: str, extra: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_DRIVER, hidden, url.format(pw=PASSWORD)],
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["error"] == "MissingDriverError"
    assert extra in outcome["message"]
    assert PASSWORD not in outcome["message"]
