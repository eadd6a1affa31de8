"""The pytest plugin of ormar_bot_core.testing: loaded by its entry point, clear about misuse."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from ormar_bot_core.testing import plugin

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


def test_the_database_url_comes_from_the_environment_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(plugin.DATABASE_URL_VARIABLE, "sqlite:///elsewhere.sqlite")
    result = run_pytest(
        tmp_path,
        "def test_it(bot_database_url):\n"
        "    assert bot_database_url == 'sqlite:///elsewhere.sqlite'\n",
    )
    assert result.returncode == 0, result.stdout


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
