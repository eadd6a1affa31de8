#!/usr/bin/env python3
"""Set the one version of all three distributions, and date its changelog section.

    python3 scripts/bump_version.py patch|minor|major   # 0.1.0 -> 0.1.1 | 0.2.0 | 1.0.0
    python3 scripts/bump_version.py 1.2.0               # a version of your choice (also 1.2.0rc1)
    python3 scripts/bump_version.py --check             # only check VERSION against CHANGELOG.md

The three packages read ``VERSION`` when they are built, and the fork packages' exact pins on the
core follow it, so ``VERSION`` is the one file a release changes. When ``CHANGELOG.md`` lies beside
it, the entries under ``## [Unreleased]`` move into a new ``## [X.Y.Z] - YYYY-MM-DD`` section and
an empty Unreleased section stays on top for what comes next.

The version given may equal the current one if the changelog has no section for it yet: that
releases the current version as it stands (the first release, for instance).

Needs nothing but Python 3.10+.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("major", "minor", "patch")

# A subset of PEP 440 that is also SemVer-shaped: 1.2.3, 1.2.3a1, 1.2.3b2, 1.2.3rc1.
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?")
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}
# Keep a Changelog headings: "## [Unreleased]" and "## [1.2.3] - 2026-01-31".
_SECTION = re.compile(r"^## \[(?P<name>[^\]]+)\](?P<rest>.*)$")
_RELEASED_REST = re.compile(r" - \d{4}-\d{2}-\d{2}")
UNRELEASED = "Unreleased"


class ReleaseError(Exception):
    """A bump that would leave the version or the changelog inconsistent; nothing was written."""


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    # (order of a/b/rc, number) for a pre-release; a final release sorts after all of them.
    pre: tuple[int, int] | None = None

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.fullmatch(text.strip())
        if match is None:
            raise ReleaseError(
                f"{text.strip()!r} is not a version of the form X.Y.Z (or X.Y.ZaN, bN, rcN)"
            )
        major, minor, patch, kind, number = match.groups()
        pre = (_PRE_ORDER[kind], int(number)) if kind else None
        return cls(int(major), int(minor), int(patch), pre)

    def _key(self) -> tuple[int, int, int, int, int]:
        pre = self.pre if self.pre is not None else (len(_PRE_ORDER), 0)
        return (self.major, self.minor, self.patch, *pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def bumped(self, part: str) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre is not None:
            kind = next(name for name, order in _PRE_ORDER.items() if order == self.pre[0])
            text += f"{kind}{self.pre[1]}"
        return text


@dataclass(frozen=True)
class Section:
    """One ``## [...]`` section of the changelog: its name and its line range, heading included."""

    name: str
    rest: str
    """What follows the name on the heading line: `` - YYYY-MM-DD`` for a release."""
    heading: str
    start: int
    end: int

    @property
    def released(self) -> bool:
        return self.name.lower() != UNRELEASED.lower()


def changelog_sections(text: str) -> list[Section]:
    """The ``## [name]`` sections of a Keep a Changelog file, in file order."""
    lines = text.splitlines()
    starts = [(number, line) for number, line in enumerate(lines) if _SECTION.match(line)]
    sections = []
    for index, (start, heading) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        # Link references ("[1.0.0]: https://…") at the bottom belong to no section.
        while end > start + 1 and re.match(r"^\[[^\]]+\]:\s", lines[end - 1]):
            end -= 1
        match = _SECTION.match(heading)
        assert match is not None
        sections.append(Section(match["name"].strip(), match["rest"], heading, start, end))
    return sections


def changelog_problems(text: str, version: Version) -> list[str]:
    """Why ``text`` does not fit ``version``; empty when it does.

    The rules: an ``## [Unreleased]`` section comes first (new entries go there); every other
    section is a release, ``## [X.Y.Z] - YYYY-MM-DD``, newest first, none newer than ``VERSION``.
    ``VERSION`` itself either has its section (released) or is newer than every section (about
    to be released: ``bump_version.py`` adds its section).
    """
    sections = changelog_sections(text)
    problems = []
    if not sections or sections[0].released:
        problems.append("the first section must be '## [Unreleased]'")
    if sum(not section.released for section in sections) > 1:
        problems.append("more than one Unreleased section")
    released: list[Version] = []
    for section in sections:
        if not section.released:
            continue
        try:
            released.append(Version.parse(section.name))
        except ReleaseError as error:
            problems.append(f"{section.heading!r}: {error}")
            continue
        if not _RELEASED_REST.fullmatch(section.rest):
            problems.append(f"{section.heading!r}: expected '## [X.Y.Z] - YYYY-MM-DD'")
    if released != sorted(released, reverse=True) or len(set(released)) != len(released):
        problems.append("release sections must be newest first, each version once")
    newer = [str(v) for v in released if version < v]
    if newer:
        problems.append(f"sections for {', '.join(newer)}, newer than VERSION {version}")
    return problems


def roll_changelog(text: str, version: Version, date: datetime.date) -> str:
    """Move the Unreleased entries under a new ``## [version] - date`` section."""
    sections = changelog_sections(text)
    unreleased = [section for section in sections if not section.released]
    if not unreleased:
        raise ReleaseError("CHANGELOG.md has no '## [Unreleased]' section to release")
    if any(section.name == str(version) for section in sections):
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    lines = text.splitlines()
    section = unreleased[0]
    entries = lines[section.start + 1 : section.end]
    if not any(line.strip() for line in entries):
        raise ReleaseError(
            "CHANGELOG.md lists nothing under '## [Unreleased]': add the changes of this "
            "release there first"
        )
    while entries and not entries[0].strip():
        entries.pop(0)
    while entries and not entries[-1].strip():
        entries.pop()
    released = [section.heading, "", f"## [{version}] - {date.isoformat()}", "", *entries, ""]
    rolled = [*lines[: section.start], *released, *lines[section.end :]]
    return "\n".join(rolled).rstrip("\n") + "\n"


def new_version(current: Version, target: str) -> Version:
    return current.bumped(target) if target in PARTS else Version.parse(target)


def bump(root: Path, target: str, date: datetime.date) -> Version:
    """Write the new version to ``root/VERSION`` (and roll ``root/CHANGELOG.md`` if present)."""
    version_file = root / "VERSION"
    current = Version.parse(version_file.read_text(encoding="utf-8"))
    version = new_version(current, target)
    changelog = root / "CHANGELOG.md"
    has_changelog = changelog.is_file()
    text = changelog.read_text(encoding="utf-8") if has_changelog else ""
    already_listed = any(s.name == str(version) for s in changelog_sections(text))
    if version < current or (version == current and (already_listed or not has_changelog)):
        raise ReleaseError(f"{version} is not newer than the current version {current}")
    if has_changelog:
        text = roll_changelog(text, version, date)
        problems = changelog_problems(text, version)
        if problems:
            raise ReleaseError("CHANGELOG.md: " + "; ".join(problems))
        changelog.write_text(text, encoding="utf-8")
    version_file.write_text(f"{version}\n", encoding="utf-8")
    return version


def check(root: Path, tag: str | None) -> list[str]:
    """Problems with ``VERSION`` and ``CHANGELOG.md``; with ``tag``, as a release of that tag."""
    version = Version.parse((root / "VERSION").read_text(encoding="utf-8"))
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    problems = changelog_problems(text, version)
    if tag is not None:
        if tag.removeprefix("v") != str(version):
            problems.append(f"tag {tag} does not match VERSION {version} (expected v{version})")
        if not any(section.name == str(version) for section in changelog_sections(text)):
            problems.append(
                f"CHANGELOG.md has no section for {version}: run scripts/bump_version.py first"
            )
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Set the shared version of the three distributions."
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("target", nargs="?", help="major, minor, patch, or a version X.Y.Z")
    group.add_argument(
        "--check", action="store_true", help="check VERSION and CHANGELOG.md, change nothing"
    )
    parser.add_argument(
        "--tag", help="with --check: also check a release tag (vX.Y.Z) against VERSION"
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="repository root (default: this one)"
    )
    parser.add_argument(
        "--date", type=datetime.date.fromisoformat, help="release date (default: today, UTC)"
    )
    options = parser.parse_args(argv)
    if options.tag is not None and not options.check:
        parser.error("--tag goes with --check")
    try:
        if options.check:
            problems = check(options.root, options.tag)
            for problem in problems:
                print(f"bump_version: {problem}", file=sys.stderr)
            return 1 if problems else 0
        date = options.date or datetime.datetime.now(datetime.timezone.utc).date()
        version = bump(options.root, options.target, date)
    except ReleaseError as error:
        print(f"bump_version: {error}", file=sys.stderr)
        return 1
    print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
