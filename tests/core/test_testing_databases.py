"""ormar_bot_core.testing.fresh_database: a throwaway database per test on a real server."""

from __future__ import annotations

import socket

import ormar
import pytest
from ormar_bot_core import (
    AppModel,
    ConfigurationError,
    DatabaseUnavailableError,
    OrmarApp,
    OrmarManager,
)
from ormar_bot_core.testing.databases import fresh_database
from sqlalchemy.engine import make_url

from tests.core.helpers import create_tables
from tests.databases import DatabaseServers
from tests.migrations.helpers import execute

PASSWORD = "s3cret-Pa55word"

# The older URL forms too: the new database's URL is written the way the caller wrote it.
SCHEMES = [
    pytest.param("postgresql", "postgres", id="postgres://"),
    pytest.param("postgresql", "postgresql+psycopg2", id="postgresql+psycopg2://"),
    pytest.param("mariadb", "mysql+pymysql", id="mysql+pymysql://"),
    pytest.param("mariadb", "mariadb", id="mariadb://"),
]


def declare_items() -> type[AppModel]:
    config = OrmarApp.create_app("items")

    class Item(AppModel):
        ormar_config = config.copy()
        id: int = ormar.Integer(primary_key=True)

    return Item


@pytest.mark.server
@pytest.mark.parametrize(("backend", "scheme"), SCHEMES)
async def test_a_new_empty_database_that_is_dropped_even_with_connections_left_open(
    database_servers: DatabaseServers, backend: str, scheme: str
) -> None:
    server = make_url(database_servers.url(backend)).set(drivername=scheme)
    item = declare_items()
    async with fresh_database(server) as url, fresh_database(server) as other:
        written = make_url(url)
        assert written.drivername == scheme
        assert (written.host, written.port, written.username) == (
            server.host,
            server.port,
            server.username,
        )
        assert written.database not in (server.database, make_url(other).database)
        # A test that fails half-way leaves its manager connected: the drop must not wait on it.
        manager = OrmarManager(url)
        await manager.start()
        await create_tables(manager)
        await item.objects.create()
        assert await item.objects.count() == 1
    # Gone, and the connections it had were ended: the manager closes without waiting on them.
    await manager.close()
    # The driver's error (SQLAlchemy 2.1 wraps it in a DBAPIError, 2.0 does not).
    with pytest.raises(Exception, match=r"does not exist|Unknown database"):
        await execute(url, "SELECT 1")


async def test_a_server_that_is_down_is_one_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with pytest.raises(DatabaseUnavailableError) as raised:
        async with fresh_database(f"postgresql://bot:{PASSWORD}@127.0.0.1:{port}/bot"):
            pytest.fail("no database can have been created")  # pragma: no cover
    message = str(raised.value)
    assert (
        f"Cannot create a test database on 'postgresql://bot:***@127.0.0.1:{port}/bot'" in message
    )
    assert "may create databases" in message
    assert PASSWORD not in message


async def test_sqlite_is_refused(sqlite_url: str) -> None:
    with pytest.raises(ConfigurationError, match="needs a database server"):
        async with fresh_database(sqlite_url):
            pass  # pragma: no cover
