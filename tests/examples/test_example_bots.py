"""The example bots, one per fork: their committed migrations and their own test suites."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ormar_bot_core.testing.plugin import DATABASE_URL_VARIABLE

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
