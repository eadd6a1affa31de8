"""The three distributions: one version, exact pins, and a core free of Discord libraries."""

from __future__ import annotations

import subprocess
import sys
from email.message import Message

import pytest

from tests.packaging.builds import PACKAGES, ROOT, build_wheels, core_pins

DISCORD_LIBRARIES = ("discord", "nextcord", "disnake", "hikari", "interactions")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Message]:
    """Each package built as users get it: the sdist, then the wheel from that sdist."""
    return build_wheels(ROOT, tmp_path_factory.mktemp("dist"))


def test_all_three_carry_the_shared_version(wheels: dict[str, Message]) -> None:
    version = (ROOT / "VERSION").read_text().strip()
    assert {folder: meta["Version"] for folder, meta in wheels.items()} == dict.fromkeys(
        PACKAGES, version
    )


def test_fork_packages_pin_the_core_exactly(wheels: dict[str, Message]) -> None:
    version = wheels["core"]["Version"]
    assert core_pins(wheels) == {
        "nextcord": [f"ormar-bot-core=={version}"],
        "discordpy": [f"ormar-bot-core=={version}"],
    }


def test_all_three_support_the_same_pythons(wheels: dict[str, Message]) -> None:
    supported = {
        folder: (
            meta["Requires-Python"],
            frozenset(
                value
                for value in meta.get_all("Classifier", [])
                if value.startswith("Programming Language :: Python ::")
            ),
        )
        for folder, meta in wheels.items()
    }
    assert len(set(supported.values())) == 1, supported


def test_core_metadata_names_no_discord_library(wheels: dict[str, Message]) -> None:
    requirements = wheels["core"].get_all("Requires-Dist") or []
    names = [requirement.split(";")[0].lower() for requirement in requirements]
    assert not [name for name in names if name.startswith(DISCORD_LIBRARIES)], names
    assert any(name.startswith("ormar>=0.23.1") for name in names), names


IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import ormar_bot_core
for module in pkgutil.walk_packages(ormar_bot_core.__path__, "ormar_bot_core."):
    importlib.import_module(module.name)
found = sorted(name for name in sys.modules if name.split(".")[0] in {libraries!r})
print(",".join(found))
"""


def test_core_import_graph_contains_no_discord_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING.format(libraries=set(DISCORD_LIBRARIES))],
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == ""


RUN_WITHOUT_ALEMBIC = """
import asyncio, sys
from ormar_bot_core import OrmarManager

async def main():
    manager = OrmarManager("sqlite://")
    await manager.start()
    await manager.close()

asyncio.run(main())
print("alembic" in sys.modules)
"""


def test_the_runtime_never_imports_alembic() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT_ALEMBIC], check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == "False"
