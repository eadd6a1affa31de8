"""The README's first command: the example bot plays its conversation offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_offline_demo_prints_replies_and_stored_rows() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "offline_demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "Migrated app 'notes' to revision 0001" in output
    assert "OrmarBot: Hello tester, you have greeted me 2 times." in output
    assert "OrmarBot: #2 feed the cat" in output
    assert "The bot closed; database connected: False" in output
    assert "text='feed the cat'" in output
    assert "count=2" in output
