"""Running Alembic's commands for one app, with its errors turned into ormar-bot's."""

from __future__ import annotations

import re
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError, RevisionError
from alembic.util import CommandError
from alembic.util.exc import DatabaseNotAtHead

from ..engines import describe_error
from ..errors import MigrationError, OrmarBotError, RevisionNotFoundError
from .config import Config

__all__ = ["check_revision", "revisions_of", "run_alembic", "script_directory"]

T = TypeVar("T")

_SYMBOLIC = re.compile(r"(heads?|base)([+-]\d+)?\Z|[+-]\d+\Z")
_BEYOND_HEADS = re.compile(r"heads?\+(\d+)\Z")
# Alembic's "This operation cannot proceed in --sql mode; batch mode with dialect sqlite
# requires a live database connection with which to reflect the table "t". ..."
_OFFLINE_BATCH = re.compile(r'cannot proceed in --sql mode;.*?reflect the table "([^"]+)"', re.S)
_DUPLICATE = re.compile(r"Revision (\S+) is present more than once")
# "Revision 0000 referenced from 0000 -> 0001 (head), create_star is not present"
_MISSING = re.compile(r"Revision (\S+) referenced from .*?-> (\S+)")


def script_directory(config: Config) -> ScriptDirectory:
    """The app's history, read from its migrations folder.

    :raises MigrationError: a revision file fails to load, revises a revision no file has, or
        shares its revision id with another file.
    """
    scripts = ScriptDirectory.from_config(config)
    run_alembic(config, "Reading the migrations of", scripts.get_heads)  # reads every file now
    return scripts


def _files_of(config: Config, revision: str) -> list[str]:
    return sorted(path.name for path in config.migrations_dir.glob(f"{revision}_*.py"))


@contextmanager
def _consistent_history(config: Config) -> Iterator[None]:
    """Refuse a history where two files carry the same revision id, or a file revises a
    revision that no file has.

    Alembic only warns about either. It keeps one of two files with the same id, so the other
    file's migration would silently never run (with sequential ids this is what merging two
    branches that each added a migration produces); a missing parent ends in a bare KeyError.
    """
    app = config.app.name
    with warnings.catch_warnings():
        for pattern in (_DUPLICATE, _MISSING):
            warnings.filterwarnings("error", message=pattern.pattern, category=UserWarning)
        try:
            yield
        except UserWarning as warning:
            duplicate = _DUPLICATE.match(str(warning))
            missing = _MISSING.match(str(warning))
            if duplicate is not None:
                revision = duplicate.group(1)
                files = _files_of(config, revision)
                named = f" ({', '.join(files)})" if len(files) > 1 else ""
                raise MigrationError(
                    f"App {app!r} has two migrations with revision id {revision!r}{named}, "
                    "written on two branches? Give one of them the next free id and make it "
                    "revise the other (its down_revision), then run 'ormar-bot check'."
                ) from None
            if missing is None:
                raise
            parent, child = missing.groups()
            named = ", ".join(_files_of(config, child)) or f"revision {child!r}"
            raise MigrationError(
                f"App {app!r}: {named} revises {parent!r}, which no file in "
                f"{config.migrations_dir} has: restore that file, or correct its down_revision."
            ) from None


def revisions_of(config: Config, scripts: ScriptDirectory | None = None) -> list[str]:
    """The app's revision ids, newest first (none when it has no migrations folder).

    :param scripts: the app's history, when already read.
    """
    if scripts is None:
        if not config.has_history():
            return []
        scripts = script_directory(config)
    return [script.revision for script in scripts.walk_revisions()]


def check_revision(config: Config, revision: str) -> None:
    """Make sure ``revision`` (or each end of a ``from:to`` range) means something in the app.

    :raises RevisionNotFoundError: it does not; the message lists the app's revisions.
    """
    for part in revision.split(":"):
        target = part.partition("@")[2] or part
        beyond = _BEYOND_HEADS.match(target)
        if beyond is not None and int(beyond.group(1)):
            raise RevisionNotFoundError(
                f"App {config.app.name!r}: {part!r} goes beyond its newest migration; use "
                f"'heads' for the newest (see 'ormar-bot history --app {config.app.name}')."
            )
        if _SYMBOLIC.match(target):
            continue
        scripts = script_directory(config) if config.has_history() else None
        known = revisions_of(config, scripts) if scripts is not None else []
        try:
            found = scripts.get_revisions(part) if scripts is not None and known else ()
        except Exception:  # noqa: BLE001 - Alembic answers malformed ids ('@') with anything
            found = ()
        if not found:
            listed = ", ".join(reversed(known)) or "none yet"
            raise RevisionNotFoundError(
                f"App {config.app.name!r} has no revision {part!r}; its revisions: {listed} "
                f"(see 'ormar-bot history --app {config.app.name}')."
            )


def run_alembic(config: Config, action: str, work: Callable[[], T], *, hint: str = "") -> T:
    """Run ``work`` (an Alembic command on ``config``), explaining its failures.

    :param action: what is being done, as in "Upgrading" (the app's name follows).
    :raises MigrationError: Alembic refused, or a revision file failed; the message names the
        app, the file and line when the failure is in a revision file, and the cause.
    """
    app = config.app.name
    try:
        with _consistent_history(config):
            return work()
    except OrmarBotError:
        raise
    except CommandError as error:
        offline = _OFFLINE_BATCH.search(str(error))
        if offline is not None:
            where = _where(error, config.migrations_dir)
            raise MigrationError(
                f"{action} app {app!r} failed{where}: SQLite alters table {offline.group(1)!r} "
                "by rebuilding it (batch mode), which needs the live database to read the "
                "table from, so --sql cannot print this migration. Run it on a copy of the "
                "database file instead (point the URL at the copy)."
            ) from None
        if not isinstance(error, DatabaseNotAtHead) and "not up to date" not in str(error):
            raise MigrationError(f"{action} app {app!r}: {_explain(error, app)}") from error
        raise MigrationError(
            f"The database lacks migrations of app {app!r}: run 'ormar-bot upgrade' first, or "
            "compare with the migration history instead (leave out --live)."
        ) from None
    except Exception as error:  # a revision file can raise anything
        where = _where(error, config.migrations_dir)
        message = f"{action} app {app!r} failed{where}: {describe_error(error)}."
        raise MigrationError(f"{message} {hint}".strip()) from error


def _explain(error: CommandError, app: str) -> str:
    cause = error.__cause__
    text = str(error)
    if isinstance(cause, ResolutionError):
        return f"{text} (see 'ormar-bot history --app {app}')."
    if isinstance(cause, RevisionError) and "didn't produce" in text:
        if "revision +" in text:  # "Relative revision +3 didn't produce 3 migrations"
            return (
                "that goes beyond its newest migration; use 'heads' to apply all of them "
                f"(see 'ormar-bot history --app {app}')."
            )
        return (
            "that goes below its first migration; use 'base' to undo all of its migrations "
            f"(see 'ormar-bot current --app {app}')."
        )
    if "Multiple heads" in text or "multiple heads" in text.lower():
        return (
            f"{text}. Two migrations were written on the same parent (branches merged?): "
            "make one of them revise the other, or use a revision id."
        )
    return text


def _where(error: BaseException, migrations_dir: Path) -> str:
    for frame, line in reversed(list(traceback.walk_tb(error.__traceback__))):
        path = Path(frame.f_code.co_filename)
        if path.parent == migrations_dir:
            return f" in {path.name}, line {line}"
    return ""
