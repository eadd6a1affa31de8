"""Every Python code block of the documentation compiles, and the marked ones run.

A ``.. code-block::`` in ``docs/*.rst`` may be preceded by a comment that says how to check it:

``.. check: run``
    A self-contained script, run in an empty temporary folder (``sqlite:///…`` URLs land there).
    Blocks with a top-level ``await`` run inside this test's event loop; the others run as
    ``python block.py`` in a process of their own, like a user's script.
``.. check: run PROJECT``
    The same, in the folder of the example project ``PROJECT`` once its scenario ran (below).
``.. check: bot LIBRARY``
    The block defines ``bot`` (and leaves ``bot.run()`` to ``if __name__ == "__main__"``). The bot
    runs against a local Discord with ``LIBRARY`` (``discord``, ``nextcord``, ``disnake``; skipped
    when not installed); its database must answer while the bot runs and be closed after
    ``close()``.
``.. check: file PROJECT``
    The block is the file its ``:caption:`` names, in the example project ``PROJECT``; any
    language. Each project has a scenario in :data:`SCENARIOS` that uses it as a user would:
    the migration command, ``python bot.py`` against a local Discord, pytest.

Every other Python block is compiled (top-level ``await`` allowed, as in snippets).
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ormar_bot_core import OrmarApp

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

pytestmark = [
    # The Discord libraries' own deprecations (audioop for voice, aiohttp's float timeout).
    pytest.mark.filterwarnings("ignore:'audioop' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:parameter 'timeout' of type 'float' is deprecated:DeprecationWarning"
    ),
]

_DIRECTIVE = re.compile(r"(?P<indent> *)\.\. code-block:: *(?P<language>\S+) *\Z")
_MARKER = re.compile(r" *\.\. check: *(?P<kind>\S+)(?: +(?P<arg>\S+))? *\Z")
_OPTION = re.compile(r" *:(?P<name>[\w-]+):(?: *(?P<value>.*))?\Z")
_KINDS = {"run": False, "bot": True, "file": True}  # kind -> whether it needs an argument
_SUBPROCESS_TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    """One ``code-block`` of a page."""

    page: str
    line: int
    language: str
    code: str
    caption: str | None = None
    kind: str = "compile"
    arg: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def parse_page(path: Path) -> list[Block]:
    """The code blocks of an rst page, with the check each one asks for."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    marker: tuple[int, re.Match[str]] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        found = _MARKER.match(line)
        if found:
            if marker is not None:
                raise ValueError(f"{path.name}:{marker[0] + 1}: marker without a code block")
            kind, arg = found["kind"], found["arg"]
            if kind not in _KINDS or (_KINDS[kind] and not arg):
                raise ValueError(f"{path.name}:{index + 1}: unknown check {line.strip()!r}")
            marker = (index, found)
            index += 1
            continue
        directive = _DIRECTIVE.match(line)
        if directive is None:
            if marker is not None and line.strip() and not line.strip().startswith(".."):
                raise ValueError(f"{path.name}:{marker[0] + 1}: marker without a code block")
            index += 1
            continue
        block, index = _read_block(path.name, lines, index, directive)
        if marker is not None:
            block = Block(**{**block.__dict__, "kind": marker[1]["kind"], "arg": marker[1]["arg"]})
            marker = None
        blocks.append(block)
    if marker is not None:
        raise ValueError(f"{path.name}:{marker[0] + 1}: marker without a code block")
    return blocks


def _read_block(
    page: str, lines: list[str], start: int, directive: re.Match[str]
) -> tuple[Block, int]:
    indent = len(directive["indent"])
    index = start + 1
    options: dict[str, str] = {}
    while index < len(lines) and (option := _OPTION.match(lines[index])):
        options[option["name"]] = (option["value"] or "").strip()
        index += 1
    body: list[str] = []
    while index < len(lines):
        line = lines[index]
        if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
            break
        body.append(line)
        index += 1
    code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
    block = Block(page, start + 1, directive["language"], code, options.get("caption"))
    return block, index


def all_blocks() -> list[Block]:
    return [block for page in sorted(DOCS.glob("*.rst")) for block in parse_page(page)]


BLOCKS = all_blocks()
PYTHON = [block for block in BLOCKS if block.language == "python"]


def _ids(blocks: list[Block]) -> list[str]:
    return [block.where for block in blocks]


def _compile(block: Block) -> Any:
    return compile(block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


# -- every block ---------------------------------------------------------------------------------


def test_the_docs_have_checked_blocks() -> None:
    kinds = {block.kind for block in BLOCKS}
    assert {"run", "bot", "file"} <= kinds, kinds
    assert len(PYTHON) >= 20


@pytest.mark.parametrize("block", PYTHON, ids=_ids(PYTHON))
def test_python_block_compiles(block: Block) -> None:
    _compile(block)


# -- runnable blocks -----------------------------------------------------------------------------


RUN = [block for block in BLOCKS if block.kind == "run" and block.arg is None]


@pytest.mark.parametrize("block", RUN, ids=_ids(RUN))
async def test_runnable_block(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_block(block, tmp_path, monkeypatch)


async def run_block(block: Block, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``block`` in ``folder``: in this loop if it awaits at top level, else as a script."""
    assert block.language == "python", f"{block.where}: only Python blocks run"
    code = _compile(block)
    if not code.co_flags & inspect.CO_COROUTINE:
        script = folder / f"docs_block_{block.line}.py"
        script.write_text(block.code, encoding="utf-8")
        result = await run_process([sys.executable, script.name], folder)
        assert result.returncode == 0, f"{block.where} failed:\n{result.stdout}"
        return
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    namespace: dict[str, Any] = {"__name__": "docs_block"}
    try:
        with _fresh_modules(folder):
            result = eval(code, namespace)
            if result is not None:
                await result
        assert not OrmarApp.database.is_connected, f"{block.where} left the database connected"
    finally:
        if OrmarApp.database.is_connected:
            await OrmarApp.database.disconnect()


@contextmanager
def _fresh_modules(folder: Path) -> Iterator[None]:
    """Forget, on the way out, the modules imported from ``folder``."""
    before = set(sys.modules)
    try:
        yield
    finally:
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None) or ""
            if file.startswith(str(folder)) or name in {"bot", "cogs"}:
                del sys.modules[name]
        for name in [name for name in sys.modules if name == "cogs" or name.startswith("cogs.")]:
            del sys.modules[name]


@dataclass(frozen=True)
class ProcessResult:
    returncode: int
    stdout: str


async def run_process(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> ProcessResult:
    def run() -> ProcessResult:
        done = subprocess.run(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_SUBPROCESS_TIMEOUT,
            check=False,
        )
        return ProcessResult(done.returncode, done.stdout)

    return await asyncio.to_thread(run)


# -- bots ----------------------------------------------------------------------------------------


BOTS = [block for block in BLOCKS if block.kind == "bot"]


@pytest.mark.parametrize("block", BOTS, ids=_ids(BOTS))
async def test_bot_block(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer, point_client_at, running_bot
    from sqlalchemy import text

    library = block.arg
    assert library is not None
    if importlib.util.find_spec(library) is None:
        pytest.skip(f"{library} is not installed")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "docs_block"}
    async with DiscordServer() as server:
        server.add_guild()
        with point_client_at(library, server):
            exec(_compile(block), namespace)
            bot = namespace["bot"]
            database = bot._ormar.database
            async with running_bot(bot, server):
                await server.wait_until(
                    lambda: database.is_connected,
                    timeout=DEFAULT_TIMEOUT,
                    waiting_for="the database to connect",
                )
                async with database.connection() as connection:
                    assert (await connection.execute(text("SELECT 1"))).scalar() == 1
                await bot.close()
                assert not database.is_connected, f"{block.where}: connected after close()"


# -- example projects ----------------------------------------------------------------------------


def project_names() -> list[str]:
    return sorted({block.arg for block in BLOCKS if block.kind == "file" and block.arg})


def write_project(name: str, folder: Path) -> None:
    for block in BLOCKS:
        if block.kind == "file" and block.arg == name:
            assert block.caption, f"{block.where}: a file block needs a :caption: with its path"
            path = folder / block.caption
            assert not path.exists(), f"{block.where}: {block.caption} is written twice"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.code, encoding="utf-8")


async def cli(folder: Path, *args: str) -> str:
    """The migration command, run in ``folder`` as a user runs it."""
    result = await run_process([sys.executable, "-m", "ormar_bot_core.cli", *args], folder)
    assert result.returncode == 0, f"ormar-bot {' '.join(args)} failed:\n{result.stdout}"
    return result.stdout


_RUN_OFFLINE = """\
import runpy, sys
from ormar_bot_core.testing import Endpoints, point_client_at
point_client_at(sys.argv[1], Endpoints.from_environ())
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@asynccontextmanager
async def bot_script(library: str, folder: Path, script: str) -> AsyncIterator[Any]:
    """``python <script>`` in ``folder`` against a local Discord with one guild; yields the
    server once the bot is connected, then stops the bot with SIGTERM and checks it exits 0."""
    from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer

    async with DiscordServer() as server:
        server.add_guild("Test Guild")
        env = {**os.environ, **server.endpoints.to_environ(), "DISCORD_TOKEN": "test-token"}
        log = folder / "bot.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _RUN_OFFLINE, library, script,
                cwd=folder, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        exited = asyncio.create_task(process.wait())
        server.watch(exited)
        try:
            await server.wait_until_connected()
            yield server
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(asyncio.shield(exited), DEFAULT_TIMEOUT)
            assert returncode == 0, log.read_text()
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n--- bot output ---\n{log.read_text()}") from None
        finally:
            server.unwatch(exited)
            if process.returncode is None:
                process.kill()
            await exited


def rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


async def quickstart(library: str, folder: Path) -> None:
    """The Quickstart's steps: migrate, upgrade, run the bot, talk to it, stop it."""
    if importlib.util.find_spec(library) is None:
        pytest.skip(f"{library} is not installed")
    await cli(folder, "migrate")
    written = sorted((folder / "cogs" / "example" / "migrations").glob("0001_*.py"))
    assert written, "ormar-bot migrate wrote no revision into cogs/example/migrations"
    await cli(folder, "upgrade")
    async with bot_script(library, folder, "bot.py") as server:
        channel = server.guilds[0].channel
        [reply] = await server.ask(channel, "!remember buy milk")
        assert reply.content == "Saved."
        [reply] = await server.ask(channel, "!memos")
        assert reply.content == "buy milk"
    assert rows(folder / "bot.sqlite", "SELECT text FROM example_memos") == [("buy milk",)]
    if (folder / "tests").is_dir():
        result = await run_process(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], folder
        )
        assert result.returncode == 0, f"the documented tests failed:\n{result.stdout}"


async def nextcord_project(folder: Path) -> None:
    await quickstart("nextcord", folder)


async def discordpy_project(folder: Path) -> None:
    await quickstart("discord", folder)
    assert (folder / "tests").is_dir(), "the Testing page's test belongs to this project"


async def standalone_project(folder: Path) -> None:
    """Advanced > Standalone: migrations through ``--bot script:manager``, then the script."""
    await cli(folder, "--bot", "script:manager", "migrate")
    await cli(folder, "--bot", "script:manager", "upgrade")
    result = await run_process([sys.executable, "script.py"], folder)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("1 rows"), result.stdout


SCENARIOS: dict[str, Callable[[Path], Awaitable[None]]] = {
    "nextcord": nextcord_project,
    "discordpy": discordpy_project,
    "standalone": standalone_project,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", project_names())
async def test_example_project(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert name in SCENARIOS, f"the docs' project {name!r} has no scenario in this test"
    folder = tmp_path / name
    folder.mkdir()
    write_project(name, folder)
    await SCENARIOS[name](folder)
    for block in BLOCKS:
        if block.kind == "run" and block.arg == name:
            await run_block(block, folder, monkeypatch)


def test_every_run_project_exists() -> None:
    names = set(project_names())
    for block in BLOCKS:
        if block.kind == "run" and block.arg is not None:
            assert block.arg in names, f"{block.where}: no project {block.arg!r}"
