"""The README's first command: an example bot plays its conversation offline, for each fork."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("fork", ["discord", "nextcord"])
def test_offline_demo_prints_replies_and_stored_rows(fork: str) -> None:
    if importlib.util.find_spec(fork) is None:
        pytest.skip(f"{fork} is not installed")
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "offline_demo.py"), "--fork", fork],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "Migrated app 'notes' to revision 0001" in output
    assert "OrmarBot: Hello tester, you have greeted me 2 times." in output
    assert "tester: /remember text:feed the cat" in output
    assert "OrmarBot (only tester sees it): Saved note #2." in output
    assert "OrmarBot: #2 feed the cat" in output
    assert "The bot closed; database connected: False" in output
    assert "text='feed the cat'" in output
    assert "count=2" in output
