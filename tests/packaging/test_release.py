"""Releasing: one command sets the version of all three distributions, and the changelog follows.

``scripts/bump_version.py`` rewrites ``VERSION`` and dates the changelog's Unreleased entries.
The changelog rule checked here: an ``## [Unreleased]`` section always comes first, so that every
change has a place to be listed, and no section is newer than ``VERSION``. ``VERSION`` is either
released (it has its own section) or about to be (newer than every section). The release workflow
adds the strict check for a tag: ``VERSION`` equals the tag and has its own section.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version as PackagingVersion

from scripts.bump_version import ReleaseError, Version, bump, changelog_problems, check
from tests.packaging.builds import PACKAGES, ROOT, build_wheels, core_pins

SCRIPT = ROOT / "scripts" / "bump_version.py"
TODAY = datetime.date(2026, 1, 31)

CHANGELOG = """\
# Changelog

## [Unreleased]

### Added

- A thing.

## [1.1.0] - 2025-12-01

### Fixed

- Another thing.

[1.1.0]: https://example.invalid/1.1.0
"""


def copy_of_the_tree(destination: Path) -> Path:
    """VERSION and packages/, all a build needs, without build leftovers."""
    destination.mkdir()
    shutil.copy2(ROOT / "VERSION", destination / "VERSION")
    shutil.copytree(
        ROOT / "packages",
        destination / "packages",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "dist", "build", ".*_cache"),
    )
    return destination


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_a_bump_reaches_every_wheel_and_every_pin(tmp_path: Path) -> None:
    tree = copy_of_the_tree(tmp_path / "tree")
    major, minor, *_ = PackagingVersion((ROOT / "VERSION").read_text()).release
    expected = f"{major}.{minor + 1}.0"

    result = run_script("--root", str(tree), "minor")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
    assert (tree / "VERSION").read_text() == f"{expected}\n"
    wheels = build_wheels(tree, tmp_path / "dist")
    assert {folder: meta["Version"] for folder, meta in wheels.items()} == dict.fromkeys(
        PACKAGES, expected
    )
    assert core_pins(wheels) == {
        "nextcord": [f"ormar-bot-core=={expected}"],
        "discordpy": [f"ormar-bot-core=={expected}"],
    }


def test_the_changelog_fits_the_version() -> None:
    assert check(ROOT, tag=None) == []


def write_tree(root: Path, version: str, changelog: str | None = CHANGELOG) -> Path:
    root.mkdir(exist_ok=True)
    (root / "VERSION").write_text(f"{version}\n")
    if changelog is not None:
        (root / "CHANGELOG.md").write_text(changelog)
    return root


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        ("1.1.0", "patch", "1.1.1"),
        ("1.1.0", "minor", "1.2.0"),
        ("1.1.0", "major", "2.0.0"),
        ("1.1.0", "1.2.0rc1", "1.2.0rc1"),
        ("1.2.0rc1", "1.2.0", "1.2.0"),
        ("1.2.0rc1", "patch", "1.2.1"),
        # The current version released as it stands: it has no section yet.
        ("1.2.0", "1.2.0", "1.2.0"),
    ],
)
def test_bump_targets(tmp_path: Path, current: str, target: str, expected: str) -> None:
    root = write_tree(tmp_path, current)
    assert str(bump(root, target, TODAY)) == expected
    assert (root / "VERSION").read_text() == f"{expected}\n"


def test_a_bump_dates_the_unreleased_entries_and_opens_a_new_section(tmp_path: Path) -> None:
    root = write_tree(tmp_path, "1.1.0")
    bump(root, "minor", TODAY)
    assert (root / "CHANGELOG.md").read_text() == CHANGELOG.replace(
        "## [Unreleased]\n", "## [Unreleased]\n\n## [1.2.0] - 2026-01-31\n"
    )
    assert check(root, tag="v1.2.0") == []


@pytest.mark.parametrize(
    ("current", "target", "changelog", "message"),
    [
        ("1.1.0", "1.0.9", CHANGELOG, "not newer than the current version 1.1.0"),
        ("1.1.0", "1.1.0", CHANGELOG, "not newer than the current version 1.1.0"),
        ("1.1.0", "1.1.0", None, "not newer than the current version 1.1.0"),
        ("1.1.0", "1.2", CHANGELOG, "not a version of the form X.Y.Z"),
        ("1.1.0", "v1.2.0", CHANGELOG, "not a version of the form X.Y.Z"),
        (
            "1.1.0",
            "minor",
            CHANGELOG.replace("### Added\n\n- A thing.\n\n", ""),
            "lists nothing under '## [Unreleased]'",
        ),
        ("1.1.0", "minor", CHANGELOG.replace("## [Unreleased]\n", ""), "no '## [Unreleased]'"),
    ],
)
def test_bump_refuses_and_writes_nothing(
    tmp_path: Path, current: str, target: str, changelog: str | None, message: str
) -> None:
    root = write_tree(tmp_path, current, changelog)
    with pytest.raises(ReleaseError, match=re.escape(message)):
        bump(root, target, TODAY)
    assert (root / "VERSION").read_text() == f"{current}\n"
    if changelog is not None:
        assert (root / "CHANGELOG.md").read_text() == changelog


@pytest.mark.parametrize(
    ("version", "changelog", "problem"),
    [
        ("1.2.0", CHANGELOG, None),  # about to be released
        ("1.1.0", CHANGELOG, None),  # released
        ("1.0.0", CHANGELOG, "sections for 1.1.0, newer than VERSION 1.0.0"),
        ("1.1.0", CHANGELOG.replace("## [Unreleased]", "## Unreleased"), "first section"),
        ("1.1.0", CHANGELOG.replace(" - 2025-12-01", ""), "expected '## [X.Y.Z] - YYYY-MM-DD'"),
        (
            "1.1.0",
            CHANGELOG + "\n## [1.2.0] - 2025-01-01\n",
            "newest first",
        ),
    ],
)
def test_changelog_rules(version: str, changelog: str, problem: str | None) -> None:
    problems = changelog_problems(changelog, Version.parse(version))
    if problem is None:
        assert problems == []
    else:
        assert any(problem in found for found in problems), problems


@pytest.mark.parametrize(
    ("version", "tag", "problem"),
    [
        ("1.1.0", "v1.1.0", None),
        ("1.1.0", "v1.1.1", "tag v1.1.1 does not match VERSION 1.1.0"),
        ("1.2.0", "v1.2.0", "no section for 1.2.0"),
    ],
)
def test_the_release_check_of_a_tag(
    tmp_path: Path, version: str, tag: str, problem: str | None
) -> None:
    root = write_tree(tmp_path, version)
    result = run_script("--root", str(root), "--check", "--tag", tag)
    if problem is None:
        assert (result.returncode, result.stderr) == (0, "")
    else:
        assert result.returncode == 1
        assert problem in result.stderr
