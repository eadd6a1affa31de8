"""Finding the project to migrate: the bot (or manager) that ``nxalembic.ini`` or ``--bot`` names.

.. code-block:: ini

    [nxalembic]
    module = mybot.main      ; imported as "from mybot.main import bot"
    bot = bot
    ; optional: modules declaring apps that the bot only loads when it runs (extensions)
    modules = mybot.cogs.stars mybot.cogs.levels

The target is a bot with an ``_ormar`` attribute (``nextcord_ormar.Bot``, ``discordpy_ormar.Bot``
or any bot set up the same way) or an :class:`~ormar_bot_core.OrmarManager`.
"""

from __future__ import annotations

import configparser
import importlib
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..errors import MigrationTargetError, MigrationUsageError
from ..manager import OrmarManager
from .project import INI_FILE, Project

__all__ = ["TargetSpec", "find_project", "read_target"]

_SECTION = "nxalembic"
_INI_HELP = (
    f"it needs a [{_SECTION}] section with 'module = yourbot.main' and 'bot = bot', "
    "for 'from yourbot.main import bot'"
)


@dataclass(frozen=True)
class TargetSpec:
    """Where the bot is: ``from <module> import <attribute>``, plus modules declaring apps."""

    module: str
    attribute: str
    modules: tuple[str, ...] = ()
    source: str = "--bot"
    """Where the spec came from, for messages."""


def read_target(bot: str | None, directory: Path, modules: Sequence[str] = ()) -> TargetSpec:
    """The target named by ``--bot MODULE:ATTRIBUTE``, else by ``nxalembic.ini`` in ``directory``.

    :param modules: more modules declaring apps (``--module``), after the ini's ``modules``.
    :raises MigrationUsageError: neither is given, or what is given is malformed.
    """
    if bot is not None:
        module, sep, attribute = bot.partition(":")
        if not sep or not module.strip() or not attribute.strip():
            raise MigrationUsageError(
                f"--bot {bot!r} is not MODULE:ATTRIBUTE; write it like --bot mybot.main:bot."
            )
        return TargetSpec(module.strip(), attribute.strip(), tuple(modules))
    ini = directory / INI_FILE
    if not ini.is_file():
        raise MigrationUsageError(
            f"No {INI_FILE} in {directory} and no --bot: create {INI_FILE} there with a "
            f"[{_SECTION}] section holding 'module = yourbot.main' and 'bot = bot' (for 'from "
            "yourbot.main import bot'), or pass --bot yourbot.main:bot."
        )
    parser = configparser.ConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MigrationUsageError(
            f"Cannot read {ini}: {reason.rstrip('.')}. {_INI_HELP.capitalize()}."
        ) from None
    values = parser[_SECTION] if parser.has_section(_SECTION) else None
    module = values.get("module", "").strip() if values is not None else ""
    attribute = values.get("bot", "").strip() if values is not None else ""
    if not module or not attribute:
        raise MigrationUsageError(f"{ini} is incomplete: {_INI_HELP}.")
    extra = values.get("modules", "") if values is not None else ""
    listed = [name for name in extra.replace(",", " ").split() if name]
    return TargetSpec(module, attribute, tuple(dict.fromkeys([*listed, *modules])), source=INI_FILE)


def _in_project(filename: str, directory: Path) -> bool:
    path = Path(filename)
    return path.is_relative_to(directory) and "site-packages" not in path.parts


def _location(error: BaseException, directory: Path) -> str:
    """Where in the user's project ``error`` comes from: `` (file, line n)``, or nothing.

    A SyntaxError names the file and line it is about; otherwise the project's own line that
    led to the error (a bad URL given to the manager) says more than the line of the library
    that raised it. A missing module involves no line of the project, and gets no location
    rather than one in ormar-bot or importlib.
    """
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        return f" ({error.filename}, line {error.lineno})"
    user = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "importlib" not in frame.filename and _in_project(frame.filename, directory)
    ]
    return f" ({user[-1].filename}, line {user[-1].lineno})" if user else ""


def _import(name: str, spec: TargetSpec, directory: Path) -> ModuleType:
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit) as error:  # the user's module can raise anything
        where = _location(error, directory)
        # A SyntaxError's text repeats its file and line, which `where` gives in full.
        text = error.msg if isinstance(error, SyntaxError) and error.msg else str(error)
        lines = text.strip().splitlines()
        reason = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
        raise MigrationTargetError(
            f"Cannot import {name!r} (from {spec.source}): {reason}{where}. Run "
            f"'python -c \"import {name}\"' in this folder to see the whole error."
        ) from error


def find_project(
    bot: str | None = None, directory: Path | None = None, *, modules: Sequence[str] = ()
) -> Project:
    """Import the target and return its :class:`~.project.Project`.

    :param bot: ``MODULE:ATTRIBUTE``; ``nxalembic.ini`` is read when omitted.
    :param directory: where ``nxalembic.ini`` is and modules are imported from (the working
        directory by default).
    :param modules: modules declaring apps that the target does not import itself (extensions
        the bot loads when it runs), imported after it; with ``nxalembic.ini``, besides its
        ``modules``.
    :raises MigrationUsageError: no target, a malformed one, or one that is neither a bot with a
        manager nor a manager.
    :raises MigrationTargetError: the module failed to import.
    """
    directory = (directory or Path.cwd()).resolve()
    spec = read_target(bot, directory, modules)
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    module = _import(spec.module, spec, directory)
    for name in spec.modules:
        _import(name, spec, directory)
    try:
        target = getattr(module, spec.attribute)
    except AttributeError:
        raise MigrationUsageError(
            f"Module {spec.module!r} has no attribute {spec.attribute!r} (from {spec.source})."
        ) from None
    manager = target if isinstance(target, OrmarManager) else getattr(target, "_ormar", None)
    if not isinstance(manager, OrmarManager):
        raise MigrationUsageError(
            f"{spec.module}:{spec.attribute} is a {type(target).__name__}, neither a bot with an "
            "_ormar manager (nextcord_ormar.Bot, discordpy_ormar.Bot) nor an OrmarManager."
        )
    module_file = getattr(module, "__file__", None)
    bot_dir = Path(module_file).resolve().parent if module_file else directory
    project = Project(manager, bot_dir)
    if not project.apps:
        raise MigrationUsageError(
            f"No app is declared once {spec.module!r} is imported: the modules calling "
            "OrmarApp.create_app() (cogs loaded when the bot runs, for instance) must be "
            f"imported too. Import them in {spec.module!r}, list them in {INI_FILE} as "
            "'modules = pkg.cog1 pkg.cog2', or name each with --module pkg.cog1."
        )
    return project
