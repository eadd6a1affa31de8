"""Fixtures of the end-to-end bot tests: each test runs once per Discord fork.

The bots are real, unmodified nextcord / discord.py clients talking to the local Discord of
``ormar_bot_core.testing``; the database is a real SQLite file.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from forks import PACKAGES, Fork, load_fork
from ormar_bot_core.testing import DiscordServer, point_client_at

HERE = Path(__file__).parent

# Warnings the forks themselves cause, which the suite's "warnings are errors" rule must not turn
# into failures of the bot under test.
_FORK_WARNINGS = (
    # discord.py and nextcord import audioop for voice.
    "ignore:'audioop' is deprecated:DeprecationWarning",
    # nextcord passes a float websocket timeout to aiohttp.
    "ignore:parameter 'timeout' of type 'float' is deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            for spec in _FORK_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture(params=sorted(PACKAGES))
def fork(request: pytest.FixtureRequest) -> Fork:
    """Each fork in turn."""
    return load_fork(request.param)


@pytest.fixture
def database(sqlite_url: str) -> Path:
    """The SQLite file behind ``sqlite_url``."""
    return Path(sqlite_url.removeprefix("sqlite:///"))


@pytest.fixture
async def server(fork: Fork) -> AsyncIterator[DiscordServer]:
    """A local Discord with one guild, the fork pointed at it."""
    async with DiscordServer() as server:
        server.add_guild("Test Guild", channels=("general", "random"))
        with point_client_at(fork.name, server):
            yield server


@pytest.fixture
def extension_package(tmp_path: Path) -> Iterator[Path]:
    """An empty package ``bot_cogs`` on ``sys.path`` for the test's extension modules; it and
    its modules are forgotten afterwards."""
    root = tmp_path / "extensions"
    package = root / "bot_cogs"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    yield package
    sys.path.remove(str(root))
    for name in [name for name in sys.modules if name.partition(".")[0] == package.name]:
        del sys.modules[name]
