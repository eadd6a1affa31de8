"""Helpers shared by the runtime tests."""

from __future__ import annotations

from ormar_bot_core import OrmarManager


async def create_tables(manager: OrmarManager) -> None:
    """Create every declared app's tables on the started ``manager``'s database."""
    async with manager.database.engine.begin() as connection:
        for config in manager.apps.values():
            await connection.run_sync(config.metadata.create_all)
