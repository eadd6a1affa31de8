"""The pytest plugin of ormar_bot_core.testing: loaded by its entry point, clear about misuse."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from ormar_bot_core.testing import plugin
from sqlalchemy.engine import make_url

PASSWORD = "s3cret-Pa55word"
INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
addopts = -p no:cacheprovider
"""


def run_pytest(folder: Path, test: str, ini: str = INI) -> subprocess.CompletedProcess[str]:
    (folder / "pytest.ini").write_text(ini)
    (folder / "test_it.py").write_text(test)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_pytest_loads_the_plugin_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    [entry] = [entry for entry in entry_points(group="pytest11") if entry.name == "ormar_bot"]
    assert entry.value == "ormar_bot_core.testing.plugin"
    assert pytestconfig.pluginmanager.get_plugin("ormar_bot") is plugin


def test_the_plugin_imports_no_discord_library() -> None:
    code = (
        "import sys, ormar_bot_core.testing.plugin; "
        "assert not {'discord', 'nextcord', 'aiohttp'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_bot_without_a_factory_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "async def test_it(discord_bot):\n    pass\n")
    assert result.returncode != 0
    assert "does not know how to build your bot" in result.stdout
    assert "ormar_bot_factory = package.module:create_bot" in result.stdout


def test_an_unknown_isolation_is_a_usage_error(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        "import pytest\n\n"
        "@pytest.mark.ormar_bot(isolation='shared')\n"
        "def test_it(bot_database_url):\n    pass\n",
    )
    assert result.returncode != 0
    assert "Unknown isolation 'shared'" in result.stdout


def test_a_sqlite_url_in_the_environment_is_the_rollback_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(plugin.DATABASE_URL_VARIABLE, "sqlite:///elsewhere.sqlite")
    result = run_pytest(
        tmp_path,
        "import pytest\n\n"
        "@pytest.mark.ormar_bot(isolation='rollback')\n"
        "def test_shared(bot_database_url):\n"
        "    assert bot_database_url == 'sqlite:///elsewhere.sqlite'\n\n"
        "def test_fresh(bot_database_url, tmp_path):\n"
        "    assert bot_database_url == f'sqlite:///{tmp_path / \"bot.sqlite\"}'\n",
    )
    assert result.returncode == 0, result.stdout


# Two tests write a row each and must see only their own: on a server named by the variable,
# fresh isolation creates a database per test (and drops it), rollback undoes each test's rows.
SERVER_TESTS = """\
import json, os

import ormar
import pytest
from ormar_bot_core import AppModel, OrmarApp, OrmarManager

config = OrmarApp.create_app("items")


class Item(AppModel):
    ormar_config = config.copy()
    id: int = ormar.Integer(primary_key=True)
    test: str = ormar.String(max_length=20)


async def write_and_count(url, name):
    with open("urls.jsonl", "a") as log:
        log.write(json.dumps(url) + "\\n")
    manager = OrmarManager(url)
    manager.force_rollback = os.environ["ISOLATION"] == "rollback"
    async with manager:
        async with manager.database.engine.begin() as connection:
            await connection.run_sync(config.metadata.create_all)
        await Item.objects.create(test=name)
        assert [item.test for item in await Item.objects.all()] == [name]


@pytest.mark.parametrize("name", ["first", "second"])
async def test_it(bot_database_url, name):
    await write_and_count(bot_database_url, name)
"""


@pytest.mark.server
@pytest.mark.parametrize("isolation", plugin.ISOLATIONS)
def test_a_server_in_the_environment_keeps_tests_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_url: str, isolation: str
) -> None:
    monkeypatch.setenv(plugin.DATABASE_URL_VARIABLE, server_url)
    monkeypatch.setenv("ISOLATION", isolation)
    result = run_pytest(tmp_path, SERVER_TESTS, INI + f"ormar_bot_isolation = {isolation}\n")
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout
    urls = [json.loads(line) for line in (tmp_path / "urls.jsonl").read_text().splitlines()]
    if isolation == "rollback":
        assert urls == [server_url, server_url]
    else:
        first, second = (make_url(url) for url in urls)
        server = make_url(server_url)
        assert first.database != second.database
        assert server.database not in (first.database, second.database)
        assert (first.drivername, first.host, first.port) == (
            server.drivername,
            server.host,
            server.port,
        )


def test_a_server_that_cannot_give_a_database_fails_the_test_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    monkeypatch.setenv(
        plugin.DATABASE_URL_VARIABLE, f"mariadb://bot:{PASSWORD}@127.0.0.1:{port}/bot"
    )
    result = run_pytest(tmp_path, "def test_it(bot_database_url):\n    pass\n")
    assert result.returncode == 1, result.stdout
    assert (
        f"\n{plugin.DATABASE_URL_VARIABLE}: Cannot create a test database on "
        f"'mariadb://bot:***@127.0.0.1:{port}/bot': "
    ) in result.stdout
    assert "may create databases" in result.stdout
    assert "During handling" not in result.stdout
    assert PASSWORD not in result.stdout
    assert "Traceback" not in result.stdout


def test_a_fresh_sqlite_file_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(plugin.DATABASE_URL_VARIABLE, raising=False)
    result = run_pytest(
        tmp_path,
        "urls = []\n\n"
        "def test_one(bot_database_url):\n    urls.append(bot_database_url)\n\n"
        "def test_two(bot_database_url):\n"
        "    urls.append(bot_database_url)\n"
        "    assert urls[0] != urls[1] and all(u.startswith('sqlite:///') for u in urls)\n",
    )
    assert result.returncode == 0, result.stdout


def test_a_class_of_no_discord_library_is_named() -> None:
    with pytest.raises(TypeError, match=r"not a client of a discord\.py-style library"):
        plugin.discord_library(object())
