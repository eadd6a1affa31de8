"""The manager at runtime on every backend: SQLite, and real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import asyncio

import ormar
import pytest
from ormar_bot_core import AppModel, DatabaseNotConnectedError, OrmarApp, OrmarManager
from sqlalchemy.engine import make_url

from tests.core.helpers import create_tables
from tests.databases import DatabaseServers, fresh_database

BURST = 5_000


def declare_items() -> type[AppModel]:
    config = OrmarApp.create_app("items")

    class Item(AppModel):
        ormar_config = config.copy()
        id: int = ormar.Integer(primary_key=True)
        n: int = ormar.Integer()
        discord_id: int = ormar.BigInteger(default=0)
        label: str = ormar.String(max_length=100, default="")

    return Item


def is_connected(manager: OrmarManager) -> bool:
    # A call, not the property: the state changes behind the type checker's back.
    return manager.database.is_connected


async def count_rows(url: str, item: type[AppModel]) -> list[int]:
    """The ``n`` of every row, read through a manager of its own (after the first closed)."""
    manager = OrmarManager(url)
    async with manager:
        return sorted(row.n for row in await item.objects.all())


async def test_start_and_close_are_idempotent_and_safe_concurrently(database_url: str) -> None:
    item = declare_items()
    manager = OrmarManager(database_url)

    await asyncio.gather(*(manager.start() for _ in range(10)))
    engine = manager.database.engine
    await manager.start()
    assert is_connected(manager)
    # Repeated and concurrent starts share the first connection instead of reconnecting.
    assert manager.database.engine is engine
    await create_tables(manager)
    await item.objects.create(n=1)

    await asyncio.gather(*(manager.close() for _ in range(10)))
    assert not is_connected(manager)
    await manager.close()

    # A closed manager starts again, on the same data.
    await manager.start()
    assert [row.n for row in await item.objects.all()] == [1]
    await asyncio.gather(manager.close(), manager.start(), manager.close())
    assert not is_connected(manager)


async def test_create_and_read_back(database_url: str) -> None:
    item = declare_items()
    async with OrmarManager(database_url) as manager:
        await create_tables(manager)
        # Discord snowflakes need all 64 bits.
        created = await item.objects.create(n=7, discord_id=2**62 + 5, label="héllo ✓")
        fetched = await item.objects.get(id=created.id)
        assert (fetched.n, fetched.discord_id, fetched.label) == (7, 2**62 + 5, "héllo ✓")
        await fetched.update(label="changed")
        assert (await item.objects.get(discord_id=2**62 + 5)).label == "changed"
        await item.objects.create(n=8)
        assert [row.n for row in await item.objects.order_by("n").all()] == [7, 8]
        await item.objects.filter(n=7).delete()
        assert await item.objects.count() == 1


@pytest.mark.slow
async def test_burst_of_concurrent_creates_all_land(database_url: str) -> None:
    item = declare_items()
    async with OrmarManager(database_url) as manager:
        await create_tables(manager)
        created = await asyncio.gather(*(item.objects.create(n=n) for n in range(BURST)))
        assert len({row.id for row in created}) == BURST
        assert await item.objects.count() == BURST
    assert await count_rows(database_url, item) == list(range(BURST))


async def test_close_waits_for_in_flight_queries(database_url: str) -> None:
    item = declare_items()
    manager = OrmarManager(database_url)
    await manager.start()
    await create_tables(manager)
    inside = asyncio.Event()
    release = asyncio.Event()

    async def unit_of_work() -> None:
        async with manager.database.transaction():
            await item.objects.create(n=1)
            inside.set()
            await release.wait()
            await item.objects.create(n=2)

    work = asyncio.create_task(unit_of_work())
    await inside.wait()
    closing = asyncio.create_task(manager.close())
    # However long close() is given, it must not disconnect under the open transaction.
    await asyncio.sleep(0.2)
    assert not closing.done()
    assert is_connected(manager)
    release.set()
    await work
    await closing
    assert not is_connected(manager)
    assert await count_rows(database_url, item) == [1, 2]


async def test_queries_after_close_raise_not_connected(database_url: str) -> None:
    item = declare_items()
    async with OrmarManager(database_url) as manager:
        await create_tables(manager)
        await item.objects.create(n=1)
    with pytest.raises(DatabaseNotConnectedError, match=r"await manager\.start\(\)"):
        await item.objects.create(n=2)
    with pytest.raises(DatabaseNotConnectedError):
        await item.objects.count()
    with pytest.raises(DatabaseNotConnectedError):
        async with manager.database.transaction():
            pass
    assert await count_rows(database_url, item) == [1]


# Every URL form of the original docs, against the real servers; each must end up on the
# async driver whatever driver it names.
URL_FORMS = [
    pytest.param("postgresql", "postgresql", "asyncpg", id="postgresql://"),
    pytest.param("postgresql", "postgresql+psycopg2", "asyncpg", id="postgresql+psycopg2://"),
    pytest.param("postgresql", "postgres", "asyncpg", id="postgres://"),
    pytest.param("mariadb", "mysql", "aiomysql", id="mysql://"),
    pytest.param("mariadb", "mysql+pymysql", "aiomysql", id="mysql+pymysql://"),
    pytest.param("mariadb", "mariadb", "aiomysql", id="mariadb://"),
]


@pytest.mark.server
@pytest.mark.parametrize(("backend", "scheme", "driver"), URL_FORMS)
async def test_url_forms_connect_through_the_async_driver(
    database_servers: DatabaseServers, backend: str, scheme: str, driver: str
) -> None:
    item = declare_items()
    async with fresh_database(database_servers.url(backend)) as url:
        written = make_url(url).set(drivername=scheme).render_as_string(hide_password=False)
        assert written.startswith(f"{scheme}://")
        async with OrmarManager(written) as manager:
            assert manager.database.engine.dialect.driver == driver
            await create_tables(manager)
            await item.objects.create(n=1)
            assert [row.n for row in await item.objects.all()] == [1]
