from __future__ import annotations

import ormar
from ormar_bot_core import AppModel, OrmarApp, OrmarManager


async def test_create_and_read_back(sqlite_url: str) -> None:
    config = OrmarApp.create_app("example")

    class ExampleTable(AppModel):
        ormar_config = config.copy()
        id: int = ormar.Integer(primary_key=True)
        message: str = ormar.Text()

    manager = OrmarManager(sqlite_url)
    await manager.start()
    async with manager.database.engine.begin() as connection:
        await connection.run_sync(config.metadata.create_all)
    await ExampleTable.objects.create(message="hi")
    assert [row.message for row in await ExampleTable.objects.all()] == ["hi"]
    await manager.close()
