"""The Discord forks the bot tests run on, and the few calls that differ between them."""

from __future__ import annotations

import importlib
import inspect
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest


@dataclass(frozen=True)
class Fork:
    """One Discord library and its ormar package, with the few calls that differ between them."""

    name: str
    """The library's import name: ``"nextcord"`` or ``"discord"``."""
    library: ModuleType
    commands: ModuleType
    package: ModuleType
    """``nextcord_ormar`` or ``discordpy_ormar``."""

    @property
    def is_discordpy(self) -> bool:
        return self.name == "discord"

    def intents(self) -> Any:
        intents = self.library.Intents.default()
        intents.message_content = True
        return intents

    def bot(self, database_url: str, **options: Any) -> Any:
        """The package's ``Bot`` with prefix ``!``."""
        return self.package.Bot("!", database_url, intents=self.intents(), **options)

    async def add_cog(self, bot: Any, cog: Any) -> None:
        # discord.py's add_cog is a coroutine, nextcord's is not.
        result = bot.add_cog(cog)
        if inspect.isawaitable(result):
            await result

    async def load_extension(self, bot: Any, name: str) -> None:
        # discord.py's extension calls are coroutines, nextcord's are not.
        result = bot.load_extension(name)
        if inspect.isawaitable(result):
            await result

    async def reload_extension(self, bot: Any, name: str) -> None:
        result = bot.reload_extension(name)
        if inspect.isawaitable(result):
            await result


PACKAGES = {"nextcord": "nextcord_ormar", "discord": "discordpy_ormar"}


def load_fork(name: str) -> Fork:
    """Import a fork and its package, skipping the test when the library is not installed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            library = importlib.import_module(name)
        except ImportError:
            pytest.skip(f"{name} is not installed")
        commands = importlib.import_module(f"{name}.ext.commands")
        package = importlib.import_module(PACKAGES[name])
    return Fork(name, library, commands, package)
