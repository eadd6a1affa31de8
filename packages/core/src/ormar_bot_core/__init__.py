"""ormar-bot-core: async ormar models with per-app migrations for Discord bots, fork-free.

The fork packages ``nextcord-ormar`` and ``discordpy-ormar`` re-export everything here and add a
``Bot`` whose database follows the bot's life.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .apps import AppModel, OrmarApp
from .connection import SharedDatabase
from .errors import (
    AppError,
    ConfigurationError,
    DatabaseNotConnectedError,
    DatabaseUnavailableError,
    DatabaseURLError,
    DuplicateAppError,
    MissingDriverError,
    OrmarBotError,
)
from .lifecycle import BotLifecycle, OrmarBotMixin, attach
from .manager import OrmarManager

try:
    __version__ = version("ormar-bot-core")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "AppError",
    "AppModel",
    "BotLifecycle",
    "ConfigurationError",
    "DatabaseNotConnectedError",
    "DatabaseURLError",
    "DatabaseUnavailableError",
    "DuplicateAppError",
    "MissingDriverError",
    "OrmarApp",
    "OrmarBotError",
    "OrmarBotMixin",
    "OrmarManager",
    "SharedDatabase",
    "__version__",
    "attach",
]
