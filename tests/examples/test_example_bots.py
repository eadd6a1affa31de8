"""The example bots' own test suites (pytest with the ormar_bot plugin), one run per fork."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("fork", "folder"), [("discord", "discordpy_bot"), ("nextcord", "nextcord_bot")]
)
def test_example_bot_suite_passes(fork: str, folder: str) -> None:
    if importlib.util.find_spec(fork) is None:
        pytest.skip(f"{fork} is not installed")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=ROOT / "examples" / folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # pytest's exit code: any failure fails here, "no tests collected" (5) included.
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert not (ROOT / "examples" / folder / "bot.sqlite").exists()
