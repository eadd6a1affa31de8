"""Exceptions raised by ormar-bot.

Every error a user can cause derives from :class:`OrmarBotError`, and its message says what is
wrong and what to do about it. Database URLs in messages always have their password masked.
"""

from __future__ import annotations

__all__ = [
    "AppError",
    "ConfigurationError",
    "DatabaseNotConnectedError",
    "DatabaseURLError",
    "DatabaseUnavailableError",
    "DuplicateAppError",
    "MigrationConflictError",
    "MigrationError",
    "MigrationTargetError",
    "MigrationUsageError",
    "MissingDriverError",
    "ModelsChangedError",
    "OrmarBotError",
    "RevisionNotFoundError",
    "UnsafeMigrationError",
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


class MigrationError(OrmarBotError):
    """A migration command could not do its work; the message says why and what to do."""


class MigrationUsageError(MigrationError):
    """A migration command was given something it cannot use: an unknown app or revision, a
    missing or broken ``nxalembic.ini``, a ``--bot`` that names neither a bot nor a manager.

    Fix the command line or the project's configuration as the message says.
    """


class MigrationTargetError(MigrationError):
    """The module holding the bot (or manager) failed to import; the message shows its error.

    Run ``python -c "import <module>"`` to see the full traceback, and fix the module.
    """


class RevisionNotFoundError(MigrationUsageError):
    """An app's migration history has no such revision.

    ``ormar-bot history --app <app>`` lists the revisions the app has.
    """


class MigrationConflictError(MigrationError):
    """Apps' migrations cannot be ordered or placed: foreign keys between apps form a cycle,
    two apps share a migrations folder, or an app declares a table another app's history owns.
    """


class UnsafeMigrationError(MigrationError):
    """The models ask for a change that would fail on a table holding rows, such as a NOT NULL
    column without a default; no migration was written.

    Give the column a database default (``server_default=``) or make it nullable, or write the
    migration by hand from ``ormar-bot migrate --empty``.
    """


class ModelsChangedError(MigrationError):
    """The models differ from what the migrations build (``ormar-bot check``, for CI).

    Run ``ormar-bot migrate`` and commit the new migration files.
    """
