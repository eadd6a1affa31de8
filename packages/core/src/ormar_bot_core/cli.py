"""The ``ormar-bot`` command, installed as ``nxalembic`` too by nextcord-ormar.

A thin layer over :mod:`ormar_bot_core.migrations`: it parses the command line, finds the
project (``nxalembic.ini`` or ``--bot MODULE:ATTRIBUTE``), calls one function and prints its
result.

.. code-block:: text

    ormar-bot migrate [--app NAME] [--empty] [-m MESSAGE] [--live]
    ormar-bot upgrade [--app NAME] [REV] [--sql]
    ormar-bot downgrade APP [REV] [--sql]          REV defaults to -1 (one step)
    ormar-bot current [--app NAME]
    ormar-bot heads [--app NAME]
    ormar-bot history [--app NAME]
    ormar-bot show APP [REV]
    ormar-bot stamp [--app NAME] REV [--purge]
    ormar-bot check [--app NAME] [--live]          exit status 1 when a migration is missing
    ormar-bot adopt [--app NAME]                   take over a nextcord-ormar 0.3 project

Exit status: 0 on success; 2 when the command line or the project's configuration is wrong
(unknown app or revision, a step the wrong way, no or broken ``nxalembic.ini``, a target that is
no bot or manager, foreign keys forming a cycle between apps, two apps sharing a migrations
folder or a table, an app upgraded or downgraded alone out of foreign-key order); 1 when the
work failed (the module does not import, a revision file does not load, the database is
unreachable, a downgrade below the first migration, ``check`` found differences, an unsafe
migration). Errors are one line on stderr, database passwords masked;
``--verbose`` adds the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AppError, MigrationConflictError, MigrationUsageError, OrmarBotError

if TYPE_CHECKING:
    from .migrations import AppState, NewRevision, Project

__all__ = ["build_parser", "main"]

Handler = Callable[["Project", argparse.Namespace], int]


def _fmt(revisions: Sequence[str]) -> str:
    return ", ".join(revisions) if revisions else "base"


def _path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def _print_states(states: Sequence[AppState], prog: str) -> None:
    for state in states:
        if not state.has_history:
            print(f"{state.app}: no migrations yet (write them: {prog} migrate --app {state.app})")
        elif state.changed:
            print(f"{state.app}: {_fmt(state.before)} -> {_fmt(state.after)}")
        else:
            print(f"{state.app}: at {_fmt(state.after)}, nothing to do")


def _print_revisions(revisions: Sequence[NewRevision]) -> None:
    for revision in revisions:
        what = f" ({', '.join(revision.changes)})" if revision.changes else ""
        print(f"{revision.app}: wrote {_path(revision.path)}{what}")


def _migrate(project: Project, args: argparse.Namespace) -> int:
    from .migrations import migrate

    written = asyncio.run(
        migrate(project, args.app, args.message, empty=args.empty, live=args.live)
    )
    _print_revisions(written)
    if not written:
        scope = f"app {args.app!r}" if args.app else "any app"
        print(f"No changes in {scope}: the migrations match the models.")
    return 0


def _upgrade(project: Project, args: argparse.Namespace) -> int:
    from .migrations import upgrade, upgrade_sql

    if args.sql:
        sys.stdout.write(upgrade_sql(project, args.app, args.revision))
    else:
        # The states name the apps without migrations; the warning would repeat them.
        states = asyncio.run(upgrade(project, args.app, args.revision, warn_missing=False))
        _print_states(states, args.prog)
    return 0


def _downgrade(project: Project, args: argparse.Namespace) -> int:
    from .migrations import downgrade, downgrade_sql

    if args.sql:
        sys.stdout.write(downgrade_sql(project, args.app, args.revision))
    else:
        _print_states(asyncio.run(downgrade(project, args.app, args.revision)), args.prog)
    return 0


def _current(project: Project, args: argparse.Namespace) -> int:
    from .migrations import current, heads

    latest = heads(project, args.app)
    for app, revisions in asyncio.run(current(project, args.app)).items():
        mark = " (head)" if revisions and set(revisions) == set(latest.get(app, ())) else ""
        print(f"{app}: {_fmt(revisions)}{mark}")
    return 0


def _heads(project: Project, args: argparse.Namespace) -> int:
    from .migrations import heads

    for app, revisions in heads(project, args.app).items():
        print(f"{app}: {', '.join(revisions) if revisions else '(no migrations)'}")
    return 0


def _history(project: Project, args: argparse.Namespace) -> int:
    from .migrations import history

    for app, scripts in history(project, args.app).items():
        print(f"{app}:" if scripts else f"{app}: (no migrations)")
        for script in scripts:
            line = script.cmd_format(args.verbose, include_doc=True, include_parents=True)
            print(f"  {line}")
    return 0


def _show(project: Project, args: argparse.Namespace) -> int:
    from .migrations import show

    for script in show(project, args.app, args.revision):
        print(script.log_entry)
    return 0


def _stamp(project: Project, args: argparse.Namespace) -> int:
    from .migrations import stamp

    _print_states(asyncio.run(stamp(project, args.app, args.revision, purge=args.purge)), args.prog)
    return 0


def _check(project: Project, args: argparse.Namespace) -> int:
    from .migrations import check

    differences = asyncio.run(check(project, args.app, live=args.live))
    for app, changes in differences.items():
        print(f"{app}: {', '.join(changes)}")
    if differences:
        print(
            f"{args.prog}: the models differ from the migrations: run '{args.prog} migrate' "
            "and commit the new files.",
            file=sys.stderr,
        )
        return 1
    print("The migrations match the models.")
    return 0


def _adopt(project: Project, args: argparse.Namespace) -> int:
    from .migrations import adopt

    written = asyncio.run(adopt(project, args.app))
    _print_revisions(written)
    if written:
        print(f"Now run '{args.prog} upgrade' on each database.")
    else:
        print("Nothing to adopt: no app's history creates tables named '<app>.<model>s'.")
    return 0


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``ormar-bot`` (and ``nxalembic``)."""

    def common(default: object) -> argparse.ArgumentParser:
        # Global options work before and after the command. Each parser gets its own actions:
        # shared ones would share their defaults, and the command's would overwrite the global.
        options = argparse.ArgumentParser(add_help=False)
        options.add_argument(
            "--bot",
            metavar="MODULE:ATTRIBUTE",
            default=default,
            help="the bot (with an _ormar manager) or OrmarManager to use, not nxalembic.ini's",
        )
        options.add_argument(
            "--module",
            metavar="NAME",
            action="append",
            # Given before and after the command, both count: main() joins the two lists.
            dest="modules" if default is None else "modules_after_command",
            default=[] if default is None else argparse.SUPPRESS,
            help="also import NAME, a module declaring apps that the bot loads when it runs "
            "(as nxalembic.ini's 'modules ='); repeatable",
        )
        options.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=default if default is argparse.SUPPRESS else False,
            help="log what Alembic does; show tracebacks of errors",
        )
        return options

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Per-app Alembic migrations for ormar-bot projects.",
        parents=[common(None)],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Handler, help_: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=help_, description=help_, parents=[common(argparse.SUPPRESS)]
        )
        sub.set_defaults(handler=handler)
        return sub

    def app_option(sub: argparse.ArgumentParser, what: str) -> None:
        sub.add_argument("--app", metavar="NAME", help=f"only this app ({what} by default)")

    sub = add("migrate", _migrate, "write a revision for each app whose models changed")
    app_option(sub, "every app")
    sub.add_argument("--empty", action="store_true", help="write an empty revision to fill in")
    sub.add_argument("-m", "--message", help="the revision's message (default: its changes)")
    sub.add_argument(
        "--live",
        action="store_true",
        help="compare with the configured database instead of the replayed migrations",
    )

    sub = add("upgrade", _upgrade, "apply migrations (every app, dependencies first)")
    sub.add_argument(
        "--app",
        metavar="NAME",
        help="only this app (every app by default); the apps its foreign keys point into must "
        "be at their newest migration already",
    )
    sub.add_argument("revision", nargs="?", default="heads", metavar="REV", help="default: heads")
    sub.add_argument("--sql", action="store_true", help="print the SQL instead of running it")

    sub = add("downgrade", _downgrade, "revert an app's migrations")
    sub.add_argument(
        "app",
        metavar="APP",
        help="the app; apps whose foreign keys point into it must have no migration applied",
    )
    sub.add_argument("revision", nargs="?", default="-1", metavar="REV", help="default: -1")
    sub.add_argument(
        "--sql", action="store_true", help="print the SQL of a FROM:TO range instead of running it"
    )

    sub = add("current", _current, "show the revisions applied to the database")
    app_option(sub, "every app")
    sub = add("heads", _heads, "show each app's newest revision")
    app_option(sub, "every app")
    sub = add("history", _history, "list each app's revisions, newest first")
    app_option(sub, "every app")

    sub = add("show", _show, "show a revision")
    sub.add_argument("app", metavar="APP")
    sub.add_argument("revision", nargs="?", default="heads", metavar="REV", help="default: heads")

    sub = add("stamp", _stamp, "record a revision as applied without running migrations")
    app_option(sub, "every app")
    sub.add_argument("revision", metavar="REV", help="heads, base, or one of the app's revisions")
    sub.add_argument("--purge", action="store_true", help="empty the version table first")

    sub = add("check", _check, "exit with status 1 if the models need a new migration (for CI)")
    app_option(sub, "every app")
    sub.add_argument("--live", action="store_true", help="compare with the configured database")

    sub = add("adopt", _adopt, "take over a nextcord-ormar 0.3 project (<app>.<model>s tables)")
    app_option(sub, "every app")
    return parser


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for name, quiet in (("ormar_bot_core", logging.WARNING), ("alembic", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if verbose else quiet)


def _one_line(error: BaseException, prog: str = "ormar-bot") -> str:
    """The error's message on one line; commands it suggests are written with ``prog``, the
    name the command was run as (``nxalembic``, say)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return _SUGGESTED.sub(lambda match: f"{match.group(1)}{prog} ", text)


# A command a message suggests: 'ormar-bot upgrade --app star'.
_SUGGESTED = re.compile(r"(')ormar-bot ")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (``sys.argv[1:]`` by default); return the exit status."""
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "ormar-bot"
    if prog in ("__main__.py", "-c", "cli.py"):
        prog = "ormar-bot"
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    args.prog = prog
    _configure_logging(args.verbose)
    handler: Handler = args.handler
    try:
        from .migrations import find_project

        modules = [*args.modules, *getattr(args, "modules_after_command", [])]
        return handler(find_project(args.bot, modules=modules), args)
    except (MigrationUsageError, MigrationConflictError, AppError) as error:
        status = 2
        failure: BaseException = error
    except OrmarBotError as error:
        status = 1
        failure = error
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    if args.verbose:
        traceback.print_exception(failure)
    print(f"{prog}: error: {_one_line(failure, prog)}", file=sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
