"""Database URLs: parsing, choosing the async driver, and masking passwords.

Users write URLs the way they always have (``sqlite:///db.sqlite``, ``postgres://…``,
``mysql+pymysql://…``); ormar needs an async driver, so the URL is rewritten to the async driver of
its database. SQLAlchemy's own :class:`~sqlalchemy.engine.URL` does the parsing.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .errors import DatabaseURLError, MissingDriverError

__all__ = ["Backend", "mask_url", "resolve_url"]


@dataclass(frozen=True)
class Backend:
    """A database family ormar-bot supports, with the async drivers it can use."""

    dialect: str
    default_driver: str
    async_drivers: frozenset[str]
    extra: str | None
    """The ``ormar-bot-core`` extra installing the default driver (``None``: always installed)."""


_SQLITE = Backend("sqlite", "aiosqlite", frozenset({"aiosqlite"}), None)
_POSTGRESQL = Backend("postgresql", "asyncpg", frozenset({"asyncpg", "psycopg"}), "postgresql")
_MYSQL = Backend("mysql", "aiomysql", frozenset({"aiomysql", "asyncmy"}), "mysql")
_MARIADB = Backend("mariadb", "aiomysql", frozenset({"aiomysql", "asyncmy"}), "mysql")

_BACKENDS = {
    "sqlite": _SQLITE,
    "postgresql": _POSTGRESQL,
    "postgres": _POSTGRESQL,
    "mysql": _MYSQL,
    "mariadb": _MARIADB,
}

# SQLAlchemy names drivers after their distribution, the import check needs the module.
_DRIVER_MODULES = {"psycopg": "psycopg"}


def mask_url(url: str | URL) -> str:
    """Return ``url`` as text with its password replaced by ``***``.

    Works on URLs SQLAlchemy cannot parse too, so even an error about a broken URL never shows
    the password.
    """
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    # Text that may be malformed: whatever could be a password goes, even at the cost of
    # more. It ends at the last "@" (a password may hold an unquoted "@" or "/") and starts
    # after the user name: the first ":" after "//", or the first ":" at all when the text
    # has no "//" ("postgresql:/user:password@host", "user:password@host").
    at = url.rfind("@")
    slashes = url.find("//", 0, max(at, 0))
    start = slashes + 2 if slashes != -1 else 0
    colon = url.find(":", start, max(at, 0))
    if at == -1 or colon == -1:
        return url
    return f"{url[: colon + 1]}***{url[at:]}"


def resolve_url(database_url: str | URL) -> tuple[URL, Backend]:
    """Parse ``database_url`` and return it with the async driver ormar needs.

    :raises DatabaseURLError: the URL cannot be parsed or names an unsupported database.
    :raises MissingDriverError: the async driver is not installed.
    """
    # Messages show the URL as written: when a password holds an unquoted "@", SQLAlchemy
    # takes part of it for the host, and the parsed URL would show that part.
    shown = mask_url(database_url if isinstance(database_url, URL) else str(database_url))
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError) as error:
        # ValueError: the text after the host's ":" is not a port number.
        problem = " (the port is not a number)" if isinstance(error, ValueError) else ""
        raise DatabaseURLError(
            f"Cannot parse the database URL {shown!r}{problem}: expected a URL such as "
            "'sqlite:///bot.sqlite' or 'postgresql://user:password@host/dbname'."
        ) from None

    dialect, _, driver = url.drivername.partition("+")
    backend = _BACKENDS.get(dialect)
    if backend is None:
        raise DatabaseURLError(
            f"Unsupported database {dialect!r} in URL {shown!r}: use sqlite, postgresql, "
            "mysql or mariadb."
        )
    if "@" in (url.host or ""):
        raise DatabaseURLError(
            f"The password in the database URL {shown!r} holds an '@': write it as '%40' (and "
            "any ':' or '/' in it as '%3A' and '%2F')."
        )
    if backend is not _SQLITE and url.host is None and "@" in (url.database or ""):
        # "postgresql:///user:password@host/db" parses as a database named "user:password@…"
        # on the local socket.
        raise DatabaseURLError(
            f"The database URL {shown!r} has a third slash before "
            f"'user:password@host': write {dialect}://user:password@host/dbname."
        )
    async_driver = driver if driver in backend.async_drivers else backend.default_driver
    _require_driver(async_driver, backend, shown)
    return url.set(drivername=f"{backend.dialect}+{async_driver}"), backend


def _require_driver(driver: str, backend: Backend, shown_url: str) -> None:
    module = _DRIVER_MODULES.get(driver, driver)
    if importlib.util.find_spec(module) is not None:
        return
    # The extra installs the default driver; a driver the URL names is installed by its name.
    from_extra = backend.extra is not None and driver == backend.default_driver
    install = (
        f'pip install "ormar-bot-core[{backend.extra}]"' if from_extra else f"pip install {driver}"
    )
    raise MissingDriverError(
        f"The async driver {driver!r} needed for {shown_url!r} is not installed: run {install}."
    )
