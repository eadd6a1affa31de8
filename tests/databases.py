"""Real database servers for the suite: the ``database_url`` fixture and its helpers.

``database_url`` runs a test once per backend (SQLite, PostgreSQL, MariaDB), each time with a
fresh, empty database, as a URL written the way users write it (no async driver). The server
URLs come from ``ORMAR_BOT_TEST_POSTGRESQL_URL`` / ``ORMAR_BOT_TEST_MARIADB_URL`` (CI exports them
with ``.ci/databases.sh start``); their user must be allowed to create databases. When a variable
is unset, throwaway servers are started for the session by the same script, if the server is
installed; otherwise that backend is skipped, with the reason in the summary, unless
``ORMAR_BOT_TEST_REQUIRE_SERVERS`` is set (``.ci/run`` sets it): then such a test fails.

``controllable_server`` is a server that a test may stop and start again (restarts, a database
that comes up late). It is never the one the URLs above point at: other tests keep using that
one, and CI's servers may not belong to this process at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from ormar_bot_core.testing.databases import fresh_database
from sqlalchemy.engine import make_url

__all__ = [
    "SERVER_BACKENDS",
    "ControllableServer",
    "DatabaseServers",
    "ServerSet",
    "controllable_server",
    "database_servers",
    "database_url",
    "fresh_database",
    "missing_driver",
    "server_url",
    "skip_without_server",
]

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "databases.sh"
SERVER_BACKENDS = ("postgresql", "mariadb")
ENV_VARS = {
    "postgresql": "ORMAR_BOT_TEST_POSTGRESQL_URL",
    "mariadb": "ORMAR_BOT_TEST_MARIADB_URL",
}
_DRIVERS = {"postgresql": ("asyncpg", "postgresql"), "mariadb": ("aiomysql", "mysql")}
REQUIRE_VARIABLE = "ORMAR_BOT_TEST_REQUIRE_SERVERS"
"""Set (to anything but empty or 0) where the servers must be there, as in CI: a test that
would be skipped for want of a server or its driver fails instead."""
# Starting a server from scratch takes seconds; this bounds a wedged one.
_SCRIPT_TIMEOUT = 300


class ServerSet:
    """Servers run by ``.ci/databases.sh`` in a state directory of their own."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.notes: list[str] = []
        """What the script said about servers it could not start (missing binaries)."""

    @classmethod
    def in_temp_dir(cls, purpose: str) -> ServerSet:
        # Not pytest's tmp_path: its parents are private to root, and the servers run as their
        # own users. The script makes the directory and may delete it.
        return cls(Path(tempfile.gettempdir()) / f"ormar-bot-{purpose}-{uuid.uuid4().hex[:12]}")

    def _run(self, *args: str) -> str:
        environment = {**os.environ, "ORMAR_BOT_DB_DIR": str(self.directory)}
        result = subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=_SCRIPT_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"'.ci/databases.sh {' '.join(args)}' failed ({result.returncode}):\n"
                f"{result.stderr}"
            )
        self.notes = [line for line in result.stderr.splitlines() if "not installed" in line]
        return result.stdout

    def start(self, backend: str) -> str | None:
        """Start ``backend`` unless it runs; its URL, or ``None`` if it is not installed.

        The servers are stopped when this process ends, even if it is killed.
        """
        exports = self._run("start", "--no-install", "--owner-pid", str(os.getpid()), backend)
        return _urls_from_exports(exports).get(backend)

    def halt(self, backend: str) -> None:
        self._run("halt", backend)

    def kill(self, backend: str) -> None:
        self._run("kill", backend)

    def stop(self) -> None:
        self._run("stop")


def _urls_from_exports(exports: str) -> dict[str, str]:
    # The script prints lines such as: export ORMAR_BOT_TEST_MARIADB_URL='mariadb://…'
    urls: dict[str, str] = {}
    for line in exports.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        for backend, variable in ENV_VARS.items():
            if name == variable:
                urls[backend] = value.strip("'")
    return urls


def _cannot_run_servers() -> str | None:
    if not SCRIPT.is_file():
        return f"{SCRIPT} is missing"
    if shutil.which("bash") is None:
        return "bash is not available to run .ci/databases.sh"
    return None


def skip_without_server(reason: str) -> NoReturn:
    """Skip the test for ``reason`` (a server or its driver is missing), or fail it when
    :data:`REQUIRE_VARIABLE` says the servers must be there."""
    if os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0"):
        pytest.fail(
            f"{reason} ({REQUIRE_VARIABLE} is set: the servers must be there)", pytrace=False
        )
    pytest.skip(reason)


def missing_driver(backend: str) -> str | None:
    """Why ``backend``'s async driver cannot be used, or ``None`` when it is installed."""
    module, extra = _DRIVERS[backend]
    try:
        __import__(module)
    except ImportError:
        return f"{module} is not installed (pip install 'ormar-bot-core[{extra}]')"
    return None


@dataclass
class DatabaseServers:
    """The session's server URL per backend: from the environment, else started on demand."""

    _urls: dict[str, str] = field(default_factory=dict)
    _skips: dict[str, str] = field(default_factory=dict)
    _own: ServerSet | None = None

    def url(self, backend: str) -> str:
        """The server's URL (its main database), or skip the test with the reason."""
        if backend not in self._urls and backend not in self._skips:
            self._find(backend)
        if backend in self._skips:
            skip_without_server(self._skips[backend])
        return self._urls[backend]

    def _find(self, backend: str) -> None:
        reason = missing_driver(backend)
        from_env = os.environ.get(ENV_VARS[backend])
        if reason is None and from_env:
            self._urls[backend] = from_env
            return
        reason = reason or _cannot_run_servers()
        if reason is None:
            if self._own is None:
                self._own = ServerSet.in_temp_dir("test-servers")
            url = self._own.start(backend)
            if url is not None:
                self._urls[backend] = url
                return
            reason = "; ".join(self._own.notes) or f"{backend} did not start"
        self._skips[backend] = f"{backend}: {ENV_VARS[backend]} is unset and {reason}"

    def close(self) -> None:
        if self._own is not None:
            self._own.stop()


@pytest.fixture(scope="session")
def database_servers() -> Iterator[DatabaseServers]:
    """Server URLs for the session; servers started here are stopped at its end."""
    servers = DatabaseServers()
    yield servers
    servers.close()


def _backend_params() -> list[object]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.server),
        pytest.param("mariadb", id="mariadb", marks=pytest.mark.server),
    ]


@pytest.fixture(params=_backend_params())
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_servers: DatabaseServers
) -> AsyncIterator[str]:
    """URL of a fresh, empty database on each backend in turn, as users write URLs."""
    backend: str = request.param
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.sqlite'}"
        return
    async with fresh_database(database_servers.url(backend)) as url:
        yield url


@pytest.fixture(params=_backend_params()[1:])
def server_url(request: pytest.FixtureRequest, database_servers: DatabaseServers) -> str:
    """The main database URL of each server backend in turn (for tests that only connect)."""
    return database_servers.url(request.param)


@dataclass
class ControllableServer:
    """A server of the test's own, to stop and start; ``url`` is a fresh database on it."""

    backend: str
    url: str
    _servers: ServerSet

    def halt(self) -> None:
        """Stop the server process (clean shutdown); its data and port stay."""
        self._servers.halt(self.backend)

    def kill(self) -> None:
        """Crash the server: SIGKILL its processes; its data and port stay."""
        self._servers.kill(self.backend)

    def start(self) -> None:
        """Start it again on the same data and port."""
        url = self._servers.start(self.backend)
        if url is None or make_url(url).port != make_url(self.url).port:
            raise RuntimeError(f"{self.backend} came back on another port: {url}")

    def restart(self) -> None:
        self.halt()
        self.start()


@dataclass
class _ControllableServers:
    _set: ServerSet | None = None
    _skips: dict[str, str] = field(default_factory=dict)

    def url(self, backend: str) -> tuple[str, ServerSet]:
        reason = self._skips.get(backend) or missing_driver(backend) or _cannot_run_servers()
        if reason is None:
            if self._set is None:
                self._set = ServerSet.in_temp_dir("test-restarts")
            url = self._set.start(backend)
            if url is not None:
                return url, self._set
            reason = "; ".join(self._set.notes) or f"{backend} did not start"
        self._skips[backend] = reason
        skip_without_server(f"{backend} server to stop and start: {reason}")

    def close(self) -> None:
        if self._set is not None:
            self._set.stop()


@pytest.fixture(scope="session")
def _controllable_servers() -> Iterator[_ControllableServers]:
    servers = _ControllableServers()
    yield servers
    servers.close()


@pytest.fixture(params=_backend_params()[1:])
async def controllable_server(
    request: pytest.FixtureRequest, _controllable_servers: _ControllableServers
) -> AsyncIterator[ControllableServer]:
    """Each server backend in turn, on a server the test may stop and start."""
    backend: str = request.param
    server_url, servers = _controllable_servers.url(backend)
    async with fresh_database(server_url) as url:
        server = ControllableServer(backend, url, servers)
        try:
            yield server
        finally:
            # Leave it running for the next test (and for dropping the database).
            server.start()
