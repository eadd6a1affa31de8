"""URL parsing, async driver choice and password masking."""

from __future__ import annotations

import pytest
from ormar_bot_core import DatabaseURLError, MissingDriverError, OrmarManager
from ormar_bot_core.urls import mask_url, resolve_url


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("sqlite:///db.sqlite", "sqlite+aiosqlite:///db.sqlite"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+pysqlite:///db.sqlite", "sqlite+aiosqlite:///db.sqlite"),
        ("postgresql://u:p@host/db", "postgresql+asyncpg://u:***@host/db"),
        ("postgresql+psycopg2://u:p@host:5433/db", "postgresql+asyncpg://u:***@host:5433/db"),
        ("postgres://u:p@host/db", "postgresql+asyncpg://u:***@host/db"),
        ("postgresql+asyncpg://u:p@host/db", "postgresql+asyncpg://u:***@host/db"),
        ("mysql://u:p@host/db", "mysql+aiomysql://u:***@host/db"),
        ("mysql+pymysql://u:p@host/db", "mysql+aiomysql://u:***@host/db"),
        ("mariadb://u:p@host/db", "mariadb+aiomysql://u:***@host/db"),
        ("mariadb+mariadbconnector://u:p@host/db", "mariadb+aiomysql://u:***@host/db"),
    ],
)
def test_plain_urls_get_their_async_driver(written: str, used: str) -> None:
    url, _backend = resolve_url(written)
    assert mask_url(url) == used


def test_manager_keeps_the_url_as_written() -> None:
    manager = OrmarManager("postgres://bot:secret@db.example/bot")
    assert manager.database_url == "postgres://bot:secret@db.example/bot"
    assert manager.url.drivername == "postgresql+asyncpg"
    assert "secret" not in repr(manager)


def test_unknown_dialect_is_named_with_the_password_masked() -> None:
    with pytest.raises(DatabaseURLError) as caught:
        OrmarManager("oracle://scott:tiger@host/db")
    message = str(caught.value)
    assert "'oracle'" in message
    assert "tiger" not in message
    assert "scott:***@host" in message
    assert "use sqlite, postgresql, mysql or mariadb" in message


@pytest.mark.parametrize(
    "garbage",
    [
        "db.sqlite",
        "not a url",
        "://bot:hunter2@nowhere",
        "postgresql:/bot:hunter2@host/db",
        "bot:hunter2@host/db",
    ],
)
def test_unparseable_url_is_a_clear_error(garbage: str) -> None:
    with pytest.raises(DatabaseURLError, match="Cannot parse the database URL") as caught:
        OrmarManager(garbage)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["postgresql://bot:hunter2@host:54x2/db", "mysql://bot:hunter2@[::1/db"]
)
def test_a_port_that_is_not_a_number_is_a_clear_error(url: str) -> None:
    with pytest.raises(DatabaseURLError, match=r"\(the port is not a number\)") as caught:
        OrmarManager(url)
    assert "hunter2" not in str(caught.value)
    assert "bot:***@" in str(caught.value)


def test_user_and_password_after_a_third_slash_are_refused() -> None:
    # SQLAlchemy reads this as the local socket and a database named "bot:hunter2@host/db".
    with pytest.raises(DatabaseURLError, match="has a third slash") as caught:
        OrmarManager("postgresql:///bot:hunter2@host/db")
    assert "hunter2" not in str(caught.value)
    assert "write postgresql://user:password@host/dbname" in str(caught.value)


def test_a_password_with_an_unquoted_at_sign_is_refused_and_masked_whole() -> None:
    with pytest.raises(DatabaseURLError, match="holds an '@': write it as '%40'") as caught:
        OrmarManager("postgresql://bot:hun@ter2@host/db")
    assert "ter2" not in str(caught.value)
    assert "postgresql://bot:***@host/db" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("weird+x://user:p@ss@host/db", "weird+x://user:***@host/db"),
        ("weird://user:pa/ss@host/db", "weird://user:***@host/db"),
        ("postgresql:/bot:hunter2@host/db", "postgresql:***@host/db"),
        ("bot:hunter2@host/db", "bot:***@host/db"),
        ("sqlite:///plain.sqlite", "sqlite:///plain.sqlite"),
        ("postgresql://bot@host/db", "postgresql://bot@host/db"),
    ],
)
def test_mask_url_masks_text_sqlalchemy_cannot_parse(text: str, masked: str) -> None:
    assert mask_url(text) == masked


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hide asyncpg from the import system: the check must name the extra that installs it.
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "asyncpg" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDriverError) as caught:
        OrmarManager("postgresql://bot:secret@localhost/bot")
    message = str(caught.value)
    assert 'pip install "ormar-bot-core[postgresql]"' in message
    assert "secret" not in message


def test_missing_driver_named_in_the_url_is_installed_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "asyncmy" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDriverError, match="is not installed: run pip install asyncmy"):
        OrmarManager("mysql+asyncmy://bot:secret@localhost/bot")
