"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ormar_bot_core import OrmarApp

# database_url (SQLite, PostgreSQL, MariaDB) and the servers behind it.
pytest_plugins = ["tests.databases"]


@pytest.fixture(autouse=True)
def fresh_apps() -> Iterator[None]:
    """Every test starts with no apps and an unconfigured connection."""
    OrmarApp.reset()
    yield
    OrmarApp.reset()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite file, written as users write it (no async driver)."""
    return f"sqlite:///{tmp_path / 'bot.sqlite'}"
