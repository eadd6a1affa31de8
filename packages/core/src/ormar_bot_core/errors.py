"""Exceptions raised by ormar-bot.

Every error a user can cause derives from :class:`OrmarBotError`, and its message says what is
wrong and what to do about it. Database URLs in messages always have their password masked.
"""

from __future__ import annotations

__all__ = [
    "AppError",
    "ConfigurationError",
    "DatabaseNotConnectedError",
    "DatabaseUnavailableError",
    "DatabaseURLError",
    "DuplicateAppError",
    "MissingDriverError",
    "OrmarBotError",
]


class OrmarBotError(Exception):
    """Base class of every error raised by ormar-bot."""


class ConfigurationError(OrmarBotError):
    """The library was set up wrongly (bad option, bad project configuration)."""


class DatabaseURLError(ConfigurationError):
    """A database URL cannot be parsed or names a database ormar-bot does not support.

    Fix the URL: supported forms are ``sqlite:///path``, ``sqlite://`` (in memory),
    ``postgresql://…`` and ``mysql://…`` / ``mariadb://…``, with or without a driver.
    """


class MissingDriverError(ConfigurationError):
    """The async driver for the database is not installed.

    Install the extra the message names, e.g. ``pip install "ormar-bot-core[postgresql]"``.
    """


class AppError(ConfigurationError):
    """An app (a group of models, usually one per cog) is declared wrongly."""


class DuplicateAppError(AppError):
    """Two different modules declared an app with the same name.

    App names identify migration histories, so they must be unique: rename one of the apps.
    """


class DatabaseUnavailableError(OrmarBotError):
    """The database did not answer within the start timeout.

    Check that the server runs and the URL (host, port, user, password, database name) is right,
    or raise ``start_timeout`` if the database is slow to come up.
    """


class DatabaseNotConnectedError(OrmarBotError):
    """A query ran while the database was not connected.

    Queries work between ``await manager.start()`` and ``await manager.close()``; a bot starts the
    manager at login and closes it last in ``close()``.
    """
