"""The example bots, one per fork: their committed migrations and their own test suites."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ormar_bot_core.testing import DEFAULT_TIMEOUT
from ormar_bot_core.testing.plugin import DATABASE_URL_VARIABLE

from tests.bot_scripts import bot_script, rows, run_process

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = pytest.mark.parametrize(
    ("fork", "folder"), [("discord", "discordpy_bot"), ("nextcord", "nextcord_bot")]
)


@EXAMPLES
def test_example_bot_migrations_match_its_models(fork: str, folder: str) -> None:
    if importlib.util.find_spec(fork) is None:
        pytest.skip(f"{fork} is not installed")
    # `ormar-bot check` as CI would run it in the bot's folder; it needs no database.
    result = subprocess.run(
        [sys.executable, "-m", "ormar_bot_core.cli", "check"],
        cwd=ROOT / "examples" / folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The migrations match the models." in result.stdout
    assert not (ROOT / "examples" / folder / "bot.sqlite").exists()


@EXAMPLES
async def test_example_bot_runs_as_its_docstring_says(
    fork: str, folder: str, tmp_path: Path
) -> None:
    """``ormar-bot upgrade``, then ``DISCORD_TOKEN=... python bot.py``, in a copy of the folder;
    the local Discord stands in for the real one, slash commands and their registration too."""
    if importlib.util.find_spec(fork) is None:
        pytest.skip(f"{fork} is not installed")
    project = tmp_path / folder
    ignore = shutil.ignore_patterns("__pycache__", "*.sqlite*")
    shutil.copytree(ROOT / "examples" / folder, project, ignore=ignore)
    upgrade = await run_process([sys.executable, "-m", "ormar_bot_core.cli", "upgrade"], project)
    assert upgrade.returncode == 0, upgrade.stdout
    async with bot_script(fork, project, "bot.py") as server:
        channel = server.guilds[0].channel
        [saved] = await server.ask(channel, "!note buy milk")
        assert saved.content == "Saved note #1."
        [greeted] = await server.ask(channel, "!hello")
        assert greeted.content.endswith("you have greeted me once.")
        if fork == "discord":
            # discord.py publishes the slash commands when the owner asks; nextcord on its own.
            [synced] = await server.ask(channel, "!sync", author=server.owner)
            assert synced.content == "Synced: /remember"
        await server.wait_until(
            lambda: ("remember", None) in server.application_commands,
            timeout=DEFAULT_TIMEOUT,
            waiting_for="the bot to register /remember",
        )
        response = await server.invoke(channel, "remember", {"text": "feed the cat"})
        assert response.content == "Saved note #2."
    assert rows(project / "bot.sqlite", "SELECT text FROM notes_notes ORDER BY id") == [
        ("buy milk",),
        ("feed the cat",),
    ]


@EXAMPLES
def test_example_bot_suite_passes(fork: str, folder: str, database_url: str) -> None:
    if importlib.util.find_spec(fork) is None:
        pytest.skip(f"{fork} is not installed")
    environ = dict(os.environ)
    environ.pop(DATABASE_URL_VARIABLE, None)
    if not database_url.startswith("sqlite"):
        # The plugin creates each fresh test's database on this server, next to this one.
        environ[DATABASE_URL_VARIABLE] = database_url
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=ROOT / "examples" / folder,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # pytest's exit code: any failure fails here, "no tests collected" (5) included.
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert not (ROOT / "examples" / folder / "bot.sqlite").exists()
