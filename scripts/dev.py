#!/usr/bin/env python3
"""Run the project's everyday jobs on a machine that has nothing but Python 3.10+.

    python3 scripts/dev.py demo             # the example bot, offline, on a fresh SQLite file
    python3 scripts/dev.py test [ARGS]      # the whole test suite (ARGS go to pytest)
    python3 scripts/dev.py lint [GATE...]   # quality gates: ruff, format, types, workflows
    python3 scripts/dev.py coverage [ARGS]  # `test`, reporting the core's line coverage

The first run installs Hatch into ``.venv-tools/``; Hatch then builds the workspace environment
(the three packages, editable, with their test dependencies). The full test run also repeats the
runtime and bot tests on Python 3.10 (the oldest supported), the bot tests on Python 3.12 with
nextcord 3.x, and the runtime and migration tests on Python 3.13 (the newest), each when such an
interpreter can be found (on PATH or through pyenv).

``lint`` runs every gate named (all four by default) and fails if any failed: ``ruff`` (ruff
check), ``format`` (ruff format --check), ``types`` (mypy --strict on the three packages) and
``workflows`` (actionlint on .github/workflows). ``coverage`` is ``test`` with the core's line
coverage reported; it fails below 90% of lines, so it is meant for the whole suite.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".venv-tools"
HATCH_REQUIREMENT = "hatch>=1.16,<1.19"
# After a full test run, these repeat part of the suite on other interpreters, each when one is
# found: (Python version, what the run covers, test paths). Each version has a Hatch environment
# python.py<version> (hatch.toml).
EXTRA_RUNS = (
    (
        "3.10",
        "the runtime and bot tests on the oldest supported Python",
        ("tests/core", "tests/bots"),
    ),
    ("3.12", "the bot tests on nextcord 3.x", ("tests/bots",)),
    (
        "3.13",
        "the runtime and migration tests on the newest supported Python",
        ("tests/core", "tests/migrations"),
    ),
)
BIN = "Scripts" if os.name == "nt" else "bin"
# Quality gate -> the Hatch script (hatch.toml) that runs it.
GATES = {
    "ruff": "lint:check",
    "format": "lint:format",
    "types": "types:check",
    "workflows": "workflows:check",
}


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 - the script runs on whatever python3 is
        print("ormar-bot needs Python 3.10 or newer.", file=sys.stderr)
        return 2
    if not argv or argv[0] not in {"demo", "test", "lint", "coverage"}:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    if command == "demo":
        return hatch("run", "demo", *args)
    if command == "lint":
        return lint(args)
    status = hatch("run", "coverage:test" if command == "coverage" else "test", *args)
    if args:
        return status
    return status or test_on_other_interpreters()


def lint(gates: list[str]) -> int:
    unknown = [gate for gate in gates if gate not in GATES]
    if unknown:
        print(f"Unknown gate {', '.join(unknown)}; the gates: {', '.join(GATES)}", file=sys.stderr)
        return 2
    failed = []
    for gate in gates or GATES:
        print(f"== {gate}", flush=True)
        if hatch("run", GATES[gate]) != 0:
            failed.append(gate)
    if failed:
        print(f"Failed: {', '.join(failed)}", flush=True)
        return 1
    print("All gates passed.", flush=True)
    return 0


def test_on_other_interpreters() -> int:
    for version, covers, paths in EXTRA_RUNS:
        if _runs_as(str(TOOLS / BIN / "python"), version):
            continue  # the main run used this version already
        interpreter = find_python(version)
        if interpreter is None:
            print(f"No Python {version} found: {covers} not run.", flush=True)
            continue
        print(f"Running {covers} with {interpreter}", flush=True)
        path = f"{interpreter.parent}{os.pathsep}{os.environ.get('PATH', '')}"
        status = hatch("run", f"python.py{version}:test", *paths, env={"PATH": path})
        if status:
            return status
    return 0


def hatch(*args: str, env: dict[str, str] | None = None) -> int:
    executable = TOOLS / BIN / "hatch"
    if not executable.exists():
        print(f"Installing {HATCH_REQUIREMENT} into {TOOLS.name}/", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run(
            [str(TOOLS / BIN / "python"), "-m", "pip", "install", "-q", HATCH_REQUIREMENT],
            check=True,
        )
    _prune_stale_environments(executable)
    return subprocess.run(
        [str(executable), *args], cwd=ROOT, env={**os.environ, **(env or {})}
    ).returncode


def _prune_stale_environments(executable: Path) -> None:
    # Editable installs record a package's entry points (console scripts, the pytest plugin)
    # once; Hatch re-syncs dependencies but not those. Rebuild when a package's metadata changed.
    metadata = hashlib.sha256()
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        metadata.update(pyproject.read_bytes())
    stamp = TOOLS / "packages-metadata.sha256"
    if stamp.exists() and stamp.read_text() == metadata.hexdigest():
        return
    if stamp.exists():
        print("Package metadata changed: rebuilding the Hatch environments", flush=True)
    subprocess.run([str(executable), "env", "prune"], cwd=ROOT, check=True)
    stamp.write_text(metadata.hexdigest())


def find_python(version: str) -> Path | None:
    """An interpreter of ``version`` on PATH or managed by pyenv, checked by running it."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
        ).stdout.split()
        for name in sorted((n for n in listed if n.startswith(f"{version}.")), reverse=True):
            prefix = subprocess.run(
                [pyenv, "prefix", name], capture_output=True, text=True, check=False
            ).stdout.strip()
            if prefix:
                candidates.append(str(Path(prefix) / BIN / f"python{version}"))
    for candidate in candidates:
        if candidate and _runs_as(candidate, version):
            return Path(candidate)
    return None


def _runs_as(executable: str, version: str) -> bool:
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == version


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
