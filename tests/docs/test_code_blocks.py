"""Every Python code block of the documentation runs or is imported by a test; those of the
packages' docstrings (the API reference) are compiled.

The pages are ``docs/*.rst`` and the README files (the repository's and each package's, which
PyPI shows). In an rst page, a ``.. code-block::`` may be preceded by a comment that says how to
check it; in a README, a fenced block by an HTML comment ``<!-- check: ... -->``:

``.. check: import`` (the default for a Python block without a comment)
    The block is executed as a module is on import: definitions run, ``if __name__ ==
    "__main__":`` blocks do not. It must not leave the database connected.
``.. check: run``
    A self-contained script, run in an empty temporary folder (``sqlite:///…`` URLs land there).
    Blocks with a top-level ``await`` run inside this test's event loop; the others run as
    ``python block.py`` in a process of their own, like a user's script.
``.. check: run PROJECT``
    The same, in the folder of the example project ``PROJECT`` once its scenario ran (below).
``.. check: bot LIBRARY``
    The block defines ``bot`` (and leaves ``bot.run()`` to ``if __name__ == "__main__"``). The bot
    runs against a local Discord with ``LIBRARY`` (``discord``, ``nextcord``, ``disnake``); its
    database must answer while the bot runs, hold the tables of every app declared by then, and
    be closed after ``close()``.
``.. check: file PROJECT``
    The block is the file its ``:caption:`` names (in a README: its first line, ``# path``), in
    the example project ``PROJECT``; any language. Each project has a scenario in
    :data:`SCENARIOS` that uses it as a user would: the migration command, ``python bot.py``
    against a local Discord, pytest.
``.. check: test``
    A pytest test module: it runs with ``python -m pytest``, as a file of its own in ``tests/``
    of its folder (with ``in FOLDER``, an example bot, that folder's pytest configuration and
    fixtures apply), and must pass.
``.. check: compile``
    Only compiled (top-level ``await`` allowed): for code that cannot run with the versions
    installed, such as the old model syntax of an upgrade guide.

``import``, ``bot`` and ``test`` may end in ``in FOLDER``: the block then runs in a copy of that
folder of the repository (an example bot, say), which is also the first place imports look. In an
rst page, lines indented under the ``.. check:`` comment are setup code that runs first, for a
snippet that continues one shown before it; the comment keeps them out of the rendered page. A
block that needs a Discord library which is not installed is skipped.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import shutil
import sys
import textwrap
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from ormar_bot_core import OrmarApp

from tests.bot_scripts import bot_script, rows, run_process

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
_OPTION = re.compile(r" *:(?P<name>[\w-]+):(?: *(?P<value>.*))?\Z")
_CHECK = r"check: *(?P<kind>\S+)(?: +(?!in )(?P<arg>\S+))?(?: +in +(?P<folder>\S+))?"
_MARKER = re.compile(rf"(?P<indent> *)\.\. {_CHECK} *\Z")
_MD_MARKER = re.compile(rf"<!-- *{_CHECK} *-->\Z")
_MD_FENCE = re.compile(r"```(?P<language>\w*) *\Z")
# kind -> its argument (required, optional or none), and whether it may run in a folder.
_KINDS = {
    "import": ("none", True),
    "run": ("optional", False),
    "bot": ("required", True),
    "file": ("required", False),
    "test": ("none", True),
    "compile": ("none", False),
}
_LIBRARIES = ("discord", "nextcord", "disnake")


@dataclass(frozen=True)
class Block:
    """One code block of a page, with the check it asks for."""

    page: str
    line: int
    language: str
    code: str
    caption: str | None = None
    kind: str = "import"
    arg: str | None = None
    folder: str | None = None
    setup: str = ""

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass(frozen=True)
class _Check:
    line: int
    kind: str
    arg: str | None
    folder: str | None
    setup: str = ""


def _check(page: str, line: int, found: re.Match[str], setup: str = "") -> _Check:
    kind, arg, folder = found["kind"], found["arg"], found["folder"]
    argument, may_have_folder = _KINDS.get(kind, ("unknown", False))
    if (
        argument == "unknown"
        or (argument == "required" and arg is None)
        or (argument == "none" and arg is not None)
        or (folder and not may_have_folder)
    ):
        raise ValueError(f"{page}:{line}: unknown check {found.group(0).strip()!r}")
    if folder and not (ROOT / folder).is_dir():
        raise ValueError(f"{page}:{line}: no folder {folder!r} in the repository")
    if setup and kind != "import":
        raise ValueError(f"{page}:{line}: only 'check: import' takes setup code")
    return _Check(line, kind, arg, folder, setup)


def _with_check(block: Block, check: _Check | None) -> Block:
    if check is None:
        return block
    if check.kind != "file" and block.language != "python":
        raise ValueError(f"{block.where}: only Python blocks can be checked with {check.kind!r}")
    return Block(
        **{
            **block.__dict__,
            "kind": check.kind,
            "arg": check.arg,
            "folder": check.folder,
            "setup": check.setup,
        }
    )


def parse_page(path: Path) -> list[Block]:
    """The code blocks of an rst page, with the check each one asks for."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    check: _Check | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        found = _MARKER.match(line)
        if found:
            if check is not None:
                raise ValueError(f"{path.name}:{check.line}: marker without a code block")
            # Lines indented under the comment belong to it: the setup code.
            indent, setup, marker_line = len(found["indent"]), [], index + 1
            index += 1
            while index < len(lines) and (
                not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
            ):
                setup.append(lines[index])
                index += 1
            code = textwrap.dedent("\n".join(setup)).strip("\n")
            check = _check(path.name, marker_line, found, code + "\n" if code else "")
            continue
        directive = _DIRECTIVE.match(line)
        if directive is None:
            if check is not None and line.strip() and not line.strip().startswith(".."):
                raise ValueError(f"{path.name}:{check.line}: marker without a code block")
            index += 1
            continue
        block, index = _read_block(path.name, lines, index, directive)
        blocks.append(_with_check(block, check))
        check = None
    if check is not None:
        raise ValueError(f"{path.name}:{check.line}: marker without a code block")
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


def parse_markdown(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, with the check each one asks for."""
    page = str(path.relative_to(ROOT))
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    check: _Check | None = None
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if found := _MD_MARKER.match(line):
            if check is not None:
                raise ValueError(f"{page}:{check.line}: marker without a code block")
            check = _check(page, index, found)
            continue
        fence = _MD_FENCE.match(line)
        if fence is None:
            if check is not None and line:
                raise ValueError(f"{page}:{check.line}: marker without a code block")
            continue
        start, body = index, []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index])
            index += 1
        index += 1
        code = "\n".join(body) + "\n"
        # A file block names its path in its first line, "# cogs/example.py".
        first = body[0] if body else ""
        caption = first[2:].strip() if first.startswith("# ") else None
        block = Block(page, start, fence["language"] or "text", code, caption)
        blocks.append(_with_check(block, check))
        check = None
    if check is not None:
        raise ValueError(f"{page}:{check.line}: marker without a code block")
    return blocks


def all_blocks() -> list[Block]:
    pages = [block for page in sorted(DOCS.glob("*.rst")) for block in parse_page(page)]
    readmes = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]
    return pages + [block for readme in readmes for block in parse_markdown(readme)]


BLOCKS = all_blocks()
PYTHON = [block for block in BLOCKS if block.language == "python"]


def _ids(blocks: list[Block]) -> list[str]:
    return [block.where for block in blocks]


def _compile(block: Block) -> Any:
    return compile(block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _copy_folder(block: Block, tmp_path: Path) -> Path:
    """The folder a block runs in: a copy of its ``in FOLDER``, else ``tmp_path`` itself."""
    if block.folder is None:
        return tmp_path
    copy = tmp_path / Path(block.folder).name
    shutil.copytree(
        ROOT / block.folder, copy, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite*")
    )
    return copy


@contextmanager
def _skip_without_library(block: Block) -> Iterator[None]:
    """Skip the test when the block imports a Discord library that is not installed."""
    try:
        yield
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] in _LIBRARIES:
            pytest.skip(f"{block.where}: {error.name} is not installed")
        raise


def _exec_module(block: Block, namespace: dict[str, Any]) -> None:
    """Run the block's setup, then the block, as the body of a module being imported."""
    if block.setup:
        exec(compile(block.setup, f"{block.where} (setup)", "exec"), namespace)
    exec(_compile(block), namespace)


# -- every block ---------------------------------------------------------------------------------


def test_the_docs_have_checked_blocks() -> None:
    kinds = {block.kind for block in BLOCKS}
    assert {"import", "run", "bot", "file", "test"} <= kinds, kinds
    assert len(PYTHON) >= 20
    assert {block.page for block in PYTHON} >= {"README.md", "quickstart.rst", "advanced.rst"}


@pytest.mark.parametrize("block", PYTHON, ids=_ids(PYTHON))
def test_python_block_compiles(block: Block) -> None:
    _compile(block)


def docstring_blocks() -> list[Block]:
    """The Python blocks of the packages' docstrings, which the API reference shows. They are
    fragments of a user's code (``...`` for the rest), so they are compiled, not run."""
    sources = sorted(ROOT.glob("packages/*/src/**/*.py"))
    return [
        replace(block, page=str(source.relative_to(ROOT)), kind="compile")
        for source in sources
        for block in parse_page(source)
        if block.language == "python"
    ]


DOCSTRINGS = docstring_blocks()


def test_the_docstrings_have_blocks() -> None:
    assert len(DOCSTRINGS) >= 10
    assert {Path(block.page).parts[1] for block in DOCSTRINGS} == {"core", "nextcord", "discordpy"}


@pytest.mark.parametrize("block", DOCSTRINGS, ids=_ids(DOCSTRINGS))
def test_docstring_block_compiles(block: Block) -> None:
    _compile(block)


# -- importable blocks ---------------------------------------------------------------------------


IMPORT = [block for block in PYTHON if block.kind == "import"]


@pytest.mark.parametrize("block", IMPORT, ids=_ids(IMPORT))
async def test_importable_block(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _compile(block)
    assert not code.co_flags & inspect.CO_COROUTINE, (
        f"{block.where} awaits at top level: a module cannot; mark it 'check: run'"
    )
    folder = _copy_folder(block, tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    namespace: dict[str, Any] = {"__name__": "docs_block"}
    with _fresh_modules(folder), _skip_without_library(block):
        _exec_module(block, namespace)
    assert not OrmarApp.database.is_connected, f"{block.where} left the database connected"


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


# -- tests ---------------------------------------------------------------------------------------


TESTS = [block for block in PYTHON if block.kind == "test"]


@pytest.mark.parametrize("block", TESTS, ids=_ids(TESTS))
async def test_test_block(block: Block, tmp_path: Path) -> None:
    folder = _copy_folder(block, tmp_path)
    test_file = Path("tests") / f"test_docs_block_{block.line}.py"
    (folder / test_file).parent.mkdir(exist_ok=True)
    (folder / test_file).write_text(block.code, encoding="utf-8")
    result = await run_process(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)], folder
    )
    missing = re.search(r"No module named '(\w+)", result.stdout)
    if result.returncode != 0 and missing and missing[1] in _LIBRARIES:
        pytest.skip(f"{block.where}: {missing[1]} is not installed")
    # pytest's exit code: any failure fails here, "no tests collected" (5) included.
    assert result.returncode == 0, f"{block.where} failed:\n{result.stdout}"
    assert " passed" in result.stdout, result.stdout


# -- bots ----------------------------------------------------------------------------------------


BOTS = [block for block in BLOCKS if block.kind == "bot"]


@pytest.mark.parametrize("block", BOTS, ids=_ids(BOTS))
async def test_bot_block(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy
    from ormar_bot_core.testing import DEFAULT_TIMEOUT, DiscordServer, point_client_at, running_bot

    library = block.arg
    assert library is not None
    if importlib.util.find_spec(library) is None:
        pytest.skip(f"{library} is not installed")
    folder = _copy_folder(block, tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    namespace: dict[str, Any] = {"__name__": "docs_block"}
    async with DiscordServer() as server:
        server.add_guild()
        with point_client_at(library, server), _fresh_modules(folder):
            _exec_module(block, namespace)
            bot = namespace["bot"]
            database = bot._ormar.database
            async with running_bot(bot, server):
                await server.wait_until(
                    lambda: database.is_connected,
                    timeout=DEFAULT_TIMEOUT,
                    waiting_for="the database to connect",
                )
                async with database.connection() as connection:
                    assert (await connection.execute(sqlalchemy.text("SELECT 1"))).scalar() == 1
                    tables = set(
                        await connection.run_sync(
                            lambda sync: sqlalchemy.inspect(sync).get_table_names()
                        )
                    )
                declared = {
                    table for config in bot._ormar.apps.values() for table in config.metadata.tables
                }
                assert declared <= tables, f"{block.where}: missing tables {declared - tables}"
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


async def readme_project(folder: Path) -> None:
    """The README's nextcord bot, without an nxalembic.ini: migrations through ``--bot``."""
    if importlib.util.find_spec("nextcord") is None:
        pytest.skip("nextcord is not installed")
    await cli(folder, "--bot", "bot:bot", "migrate")
    assert sorted((folder / "cogs" / "example" / "migrations").glob("0001_*.py"))
    await cli(folder, "--bot", "bot:bot", "upgrade")
    async with bot_script("nextcord", folder, "bot.py") as server:
        [reply] = await server.ask(server.guilds[0].channel, "!remember buy milk")
        assert reply.content == "Saved."
    assert rows(folder / "bot.sqlite", "SELECT message FROM example_exampletables") == [
        ("buy milk",)
    ]


SCENARIOS: dict[str, Callable[[Path], Awaitable[None]]] = {
    "nextcord": nextcord_project,
    "discordpy": discordpy_project,
    "standalone": standalone_project,
    "readme": readme_project,
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
