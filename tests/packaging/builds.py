"""Build the three distributions the way users get them, and read their wheels' metadata."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Folder under packages/ -> import package.
PACKAGES = {"core": "ormar_bot_core", "nextcord": "nextcord_ormar", "discordpy": "discordpy_ormar"}


def build_wheels(root: Path, out: Path) -> dict[str, Message]:
    """Build each package of ``root/packages`` as users get it: the sdist, then the wheel from
    that sdist (``python -m build``). Returns each wheel's METADATA, by folder name."""
    metadata = {}
    for folder in PACKAGES:
        target = out / folder
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "build",
                "--outdir",
                str(target),
                str(root / "packages" / folder),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (
            f"building {folder} failed:\n{result.stdout}\n{result.stderr}"
        )
        (wheel,) = target.glob("*.whl")
        assert len(list(target.glob("*.tar.gz"))) == 1
        with zipfile.ZipFile(wheel) as archive:
            # Without the marker, type checkers ignore the package's annotations.
            assert f"{PACKAGES[folder]}/py.typed" in archive.namelist(), (
                f"{wheel.name}: no py.typed"
            )
            (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            metadata[folder] = Parser().parsestr(archive.read(name).decode())
    return metadata


def core_pins(wheels: dict[str, Message]) -> dict[str, list[str]]:
    """Each fork package's requirements on ``ormar-bot-core``, by folder name."""
    return {
        folder: [
            requirement
            for requirement in meta.get_all("Requires-Dist") or []
            if requirement.startswith("ormar-bot-core")
        ]
        for folder, meta in wheels.items()
        if folder != "core"
    }
