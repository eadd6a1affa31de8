"""A pytest plugin: a running bot of your own class, a local Discord and a fresh database per test.

It comes with every install of ormar-bot-core and pytest loads it on its own (entry point
``ormar_bot``; ``-p no:ormar_bot`` turns it off). Its fixtures need the ``testing`` extra (for
aiohttp) and pytest-asyncio. Tell it how to build your bot, with an ini option or a fixture:

.. code-block:: ini

    [pytest]
    ormar_bot_factory = bot:create_bot

.. code-block:: python

    import pytest

    from bot import create_bot


    @pytest.fixture
    def bot_factory():
        return create_bot  # called with the test's database URL

Fixtures (all per test, requested by name as a test's arguments; the parameters listed below
are the fixtures each one uses): :func:`discord_server` (a started
:class:`~ormar_bot_core.testing.DiscordServer` with one guild), :func:`discord_channel` (its
first channel), :func:`bot_database_url`, :func:`bot_modules` and :func:`discord_bot` (your bot,
connected, its migrations applied; closed after the test). Isolation is a fresh database per
test (``fresh``, the default) or one database whose changes are rolled back after each test
(``rollback``): ini option ``ormar_bot_isolation``, or per test
``@pytest.mark.ormar_bot(isolation="rollback")``.

Nothing here imports a Discord library, aiohttp or pytest-asyncio until a fixture runs.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from ..manager import OrmarManager
    from .server import DiscordServer

__all__ = [
    "DATABASE_URL_VARIABLE",
    "ISOLATIONS",
    "bot_database_url",
    "bot_factory",
    "bot_isolation",
    "bot_modules",
    "discord_bot",
    "discord_channel",
    "discord_library",
    "discord_server",
]

DATABASE_URL_VARIABLE = "ORMAR_BOT_TEST_DATABASE_URL"
"""Environment variable naming the database the tests use instead of SQLite files."""

ISOLATIONS = ("fresh", "rollback")
"""``fresh``: a new database per test; ``rollback``: one database, each test's changes undone."""

_FACTORY_INI = "ormar_bot_factory"
_MODULES_INI = "ormar_bot_modules"
_ISOLATION_INI = "ormar_bot_isolation"
_MARKER = "ormar_bot"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        _FACTORY_INI,
        "module:callable building the bot from a database URL (for the discord_bot fixture)",
        default="",
    )
    parser.addini(
        _MODULES_INI,
        "modules declaring apps to import before migrations are applied (e.g. cogs)",
        type="linelist",
        default=[],
    )
    parser.addini(
        _ISOLATION_INI,
        "database isolation of the discord_bot fixture: fresh (default) or rollback",
        default="fresh",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f'{_MARKER}(isolation="fresh"|"rollback"): database isolation of the discord_bot fixture',
    )


def _load(reference: str, what: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise pytest.UsageError(f"{what} must look like 'package.module:name', got {reference!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


@pytest.fixture
def bot_isolation(request: pytest.FixtureRequest) -> str:
    """``"fresh"`` or ``"rollback"``: the test's ``ormar_bot`` marker, else the ini option."""
    marker = request.node.get_closest_marker(_MARKER)
    isolation = marker.kwargs.get("isolation") if marker is not None else None
    value = str(isolation or request.config.getini(_ISOLATION_INI) or "fresh")
    if value not in ISOLATIONS:
        raise pytest.UsageError(
            f"Unknown isolation {value!r}: use one of {', '.join(map(repr, ISOLATIONS))}"
        )
    return value


@pytest.fixture
def bot_factory(request: pytest.FixtureRequest) -> Callable[[str], Any]:
    """Builds the bot under test from a database URL; from the ``ormar_bot_factory`` ini option.

    Override it to build the bot yourself:

    .. code-block:: python

        @pytest.fixture
        def bot_factory():
            return lambda url: MyBot("!", url, intents=intents)
    """
    reference = str(request.config.getini(_FACTORY_INI))
    if not reference:
        raise pytest.UsageError(
            "The discord_bot fixture does not know how to build your bot: set "
            f"'{_FACTORY_INI} = package.module:create_bot' in pytest's configuration, or "
            "define a 'bot_factory' fixture returning a callable that takes the database URL"
        )
    factory = _load(reference, _FACTORY_INI)
    if not callable(factory):
        raise pytest.UsageError(f"{_FACTORY_INI} {reference!r} is not callable")
    return factory  # type: ignore[no-any-return]


@pytest.fixture
def bot_modules(request: pytest.FixtureRequest) -> list[str]:
    """Modules imported before migrations run, so their apps are declared (ini option
    ``ormar_bot_modules``). List the extensions your bot loads only once it runs (discord.py's
    ``setup_hook``); apps declared at construction or at start need no listing."""
    return [str(name) for name in request.config.getini(_MODULES_INI)]


def discord_library(bot: object) -> str:
    """The import name of the Discord library ``bot`` is built on (``"discord"``, ``"nextcord"``…).

    :raises TypeError: no class of the bot comes from a discord.py-style library.
    """
    for cls in type(bot).__mro__:
        top = cls.__module__.partition(".")[0]
        if top != "builtins" and _has_route(top):
            return top
    raise TypeError(
        f"{type(bot).__qualname__} is not a client of a discord.py-style library "
        "(none of its classes comes from a package with '<package>.http.Route')"
    )


def _has_route(package: str) -> bool:
    try:
        module = importlib.import_module(f"{package}.http")
    except ImportError:
        return False
    return hasattr(module, "Route")


_F = TypeVar("_F", bound=Callable[..., Any])


def _async_fixture(function: _F) -> _F:
    """pytest-asyncio's fixture, so that it runs in its strict mode as in its auto mode."""
    try:
        import pytest_asyncio
    except ImportError:  # pragma: no cover - a documented requirement
        return cast(_F, pytest.fixture(function))
    return cast(_F, pytest_asyncio.fixture(function))


@_async_fixture
async def bot_database_url(
    bot_isolation: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The database of the test: a new SQLite file, or one on the server that
    ``$ORMAR_BOT_TEST_DATABASE_URL`` names.

    With ``fresh`` isolation, each test gets a new database: a file in its ``tmp_path``, or,
    when the variable names a PostgreSQL or MySQL/MariaDB server, a database created there for
    the test and dropped after it (the URL's user must be allowed to create databases). With
    ``rollback``, the session's tests share one database, whose migrations are applied once
    and stay: the one the variable names (SQLite too), else a file shared by the session.
    """
    from ..errors import OrmarBotError
    from .databases import fresh_database

    url = os.environ.get(DATABASE_URL_VARIABLE)
    if bot_isolation == "rollback":
        yield url or f"sqlite:///{tmp_path_factory.getbasetemp() / 'ormar-bot-rollback.sqlite'}"
    elif not url or url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'bot.sqlite'}"
    else:
        async with contextlib.AsyncExitStack() as stack:
            try:
                fresh = await stack.enter_async_context(fresh_database(url))
            except OrmarBotError as error:
                # What to fix, without the plugin's traceback.
                message = f"{DATABASE_URL_VARIABLE}: {error}"
                raise pytest.fail.Exception(message, pytrace=False) from None
            yield fresh


@_async_fixture
async def discord_server() -> AsyncIterator[DiscordServer]:
    """A started local Discord with one guild ("Test Guild", channels #general and #random)."""
    from .server import DiscordServer

    async with DiscordServer() as server:
        server.add_guild("Test Guild", channels=("general", "random"))
        yield server


@pytest.fixture
def discord_channel(discord_server: DiscordServer) -> Any:
    """The first channel (#general) of the first guild of :func:`discord_server`."""
    return discord_server.guilds[0].channel


@_async_fixture
async def discord_bot(
    discord_server: DiscordServer,
    bot_factory: Callable[[str], Any],
    bot_database_url: str,
    bot_modules: list[str],
    bot_isolation: str,
) -> AsyncIterator[Any]:
    """Your bot, connected to :func:`discord_server` with its migrations applied.

    Built by :func:`bot_factory` on :func:`bot_database_url`, its library pointed at the server,
    the :func:`bot_modules` imported and every declared app upgraded before it starts (and apps
    its ``setup_hook`` declared, once connected). Closed after the test, with its database.
    """
    from .clients import point_client_at, running_bot

    for module in bot_modules:
        importlib.import_module(module)
    bot = bot_factory(bot_database_url)
    manager = _manager_of(bot)
    with point_client_at(discord_library(bot), discord_server):
        await manager.upgrade()
        upgraded = set(manager.apps)
        if bot_isolation == "rollback":
            # Set before the manager connects: every query then runs in one transaction.
            manager.force_rollback = True
        async with running_bot(bot, discord_server):
            if set(manager.apps) - upgraded:
                await manager.upgrade()
            yield bot


def _manager_of(bot: object) -> OrmarManager:
    from ..manager import OrmarManager

    manager = getattr(bot, "_ormar", None)
    if not isinstance(manager, OrmarManager):
        raise TypeError(
            f"{type(bot).__qualname__} has no OrmarManager in '_ormar': build it from "
            "nextcord_ormar.Bot, discordpy_ormar.Bot, or give it one"
        )
    return manager
