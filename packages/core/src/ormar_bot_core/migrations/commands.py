"""One plain function per command. The CLI and :class:`~ormar_bot_core.OrmarManager` call these.

Functions that touch the database are coroutines: Alembic runs inside the manager's async
engine (``run_sync``). Functions that only read the migration files are plain functions.

.. code-block:: python

    project = Project.of_manager(manager)
    await migrate(project)                      # write a revision for every changed app
    await upgrade(project)                      # apply them, every app, in dependency order
    await downgrade(project, "star")            # one step back for app "star"
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import sqlalchemy
from alembic import command
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import Connection

from ..apps import OrmarApp
from ..errors import (
    MigrationConflictError,
    MigrationError,
    MigrationUsageError,
    ModelsChangedError,
    RevisionNotFoundError,
    UnsafeMigrationError,
)
from . import legacy
from .autogen import Comparison, auto_message, describe, unsafe_columns
from .config import Config
from .database import run_on_database
from .layout import next_revision_id
from .ownership import Ownership
from .project import INI_FILE, Project
from .runner import check_revision, revisions_of, run_alembic, script_directory
from .scratch import replay, run_in_scratch
from .writer import write_revision

__all__ = [
    "AppState",
    "NewRevision",
    "adopt",
    "check",
    "current",
    "downgrade",
    "downgrade_sql",
    "heads",
    "history",
    "migrate",
    "show",
    "stamp",
    "upgrade",
    "upgrade_sql",
]

logger = logging.getLogger(__name__)

_HEADS = ("heads", "head")
_STEPS = re.compile(r"([+-])\d+\Z")


@dataclass(frozen=True)
class AppState:
    """Where an app's history stood in the database before and after a command."""

    app: str
    """The app's name."""
    before: tuple[str, ...]
    """The revisions applied before the command (empty: none)."""
    after: tuple[str, ...]
    """The revisions applied after it."""
    has_history: bool = True
    """False for an app without migrations, which the command left alone."""

    @property
    def changed(self) -> bool:
        """Whether the command changed the app's applied revisions."""
        return self.before != self.after


@dataclass(frozen=True)
class NewRevision:
    """A revision file ``migrate`` wrote."""

    app: str
    """The app's name."""
    revision: str
    """The new revision's id (``0002``)."""
    message: str
    """The revision's message."""
    path: Path
    """The file written."""
    changes: list[str] = field(default_factory=list)
    """What it does, one phrase per change (``star_add_note``); empty for ``--empty``."""


# -- database state --------------------------------------------------------------------------


def _recorded(connection: Connection, version_table: str) -> tuple[str, ...]:
    """What ``version_table`` (which must exist) records."""
    query = sqlalchemy.select(sqlalchemy.column("version_num", sqlalchemy.String)).select_from(
        sqlalchemy.table(version_table)
    )
    return tuple(sorted(str(value) for value in connection.execute(query).scalars()))


def _database_heads(
    connection: Connection, config: Config, tables: set[str] | None = None
) -> tuple[str, ...]:
    """What the app's version table records; ``tables``, the database's tables, saves a query."""
    if tables is None:
        tables = set(sqlalchemy.inspect(connection).get_table_names())
    if config.version_table in tables:
        return _recorded(connection, config.version_table)
    return ()


async def current(project: Project, app: str | None = None) -> dict[str, tuple[str, ...]]:
    """The revisions each app's version table records (empty: nothing applied)."""
    apps = project.select(app)

    def work(connection: Connection) -> dict[str, tuple[str, ...]]:
        tables = set(sqlalchemy.inspect(connection).get_table_names())
        states: dict[str, tuple[str, ...]] = {}
        for each in apps:
            config = project.config(each, connection=connection)
            states[each.name] = _database_heads(connection, config, tables) or (
                legacy.version_heads(connection, each)
            )
        return states

    return await run_on_database(project.manager, work)


def _applying(
    connection: Connection,
    project: Project,
    apps: Sequence[OrmarApp],
    revision: str,
    action: str,
    run: str,
    *,
    adopted_first: bool = False,
) -> list[AppState]:
    """Run ``run`` (``upgrade`` or ``downgrade``) to ``revision`` for each of ``apps``, in order.

    :param adopted_first: first bring the apps adopted from nextcord-ormar to the revision their
        adoption revision revises (:func:`legacy.upgrade_steps`); those already there or beyond
        are left alone.
    """
    tables = set(sqlalchemy.inspect(connection).get_table_names())
    configs = [(app, project.config(app, connection=connection)) for app in apps]
    if adopted_first:
        steps = legacy.upgrade_steps(configs, revision)
    else:
        steps = [(app, config, revision) for app, config in configs]
    states: dict[str, AppState] = {}
    for app, config, target in steps:
        if not config.has_history():
            states[app.name] = AppState(app.name, (), (), has_history=False)
            continue
        if legacy.adopt_version_table(connection, config, tables):
            tables.add(config.version_table)
        heads = _database_heads(connection, config, tables)
        before = states[app.name].before if app.name in states else heads
        if target != revision and _reached(config, heads, target):
            continue
        config.version_table_exists = config.version_table in tables
        if run == "downgrade" and not heads:
            if target == "base":
                states[app.name] = AppState(app.name, (), ())
                continue
            raise MigrationError(
                f"App {app.name!r} has no migration applied: there is nothing to downgrade."
            )
        config.heads_after = None
        run_alembic(config, action, partial(getattr(command, run), config, target))
        after = config.heads_after if config.heads_after is not None else heads
        if after:
            tables.add(config.version_table)
        states[app.name] = AppState(app.name, before, after)
    return [states[app.name] for app in apps]


def _reached(config: Config, heads: Sequence[str], revision: str) -> bool:
    """Whether the database, at ``heads``, has ``revision`` applied."""
    if not heads:
        return False
    below = script_directory(config).iterate_revisions(tuple(heads), "base")
    return any(script.revision == revision for script in below)


def _applied(connection: Connection, project: Project, app: OrmarApp) -> tuple[str, ...]:
    """What the database records for ``app`` (its old version table counts too)."""
    config = project.config(app, connection=connection)
    return _database_heads(connection, config) or legacy.version_heads(connection, app)


def _check_dependencies(connection: Connection, project: Project, app: OrmarApp) -> None:
    """Refuse to upgrade ``app`` alone while an app its foreign keys point into (directly or
    not) is not at its newest migration: its tables may not exist yet.

    :raises MigrationUsageError: naming those apps and what to run.
    """
    if not project.config(app).has_history():
        return
    _check_adoption_order(connection, project, app)
    behind: list[str] = []
    for other in project.dependencies([app]):
        if other is app:
            continue
        config = project.config(other)
        newest = set(script_directory(config).get_heads()) if config.has_history() else set()
        if not newest or set(_applied(connection, project, other)) != newest:
            behind.append(other.name)
    if not behind:
        return
    names = ", ".join(repr(name) for name in behind)
    first = " ".join(f"'ormar-bot upgrade --app {name}'" for name in behind)
    raise MigrationUsageError(
        f"App {app.name!r} needs {names} first (its foreign keys point there, and "
        f"{'they are' if len(behind) > 1 else 'it is'} not at the newest migration): run "
        f"{first}, or upgrade without --app."
    )


def _check_adoption_order(connection: Connection, project: Project, app: OrmarApp) -> None:
    """Refuse to upgrade ``app`` alone when that could run an adoption revision before the old
    revisions of another adopted app (they name its tables the old way): ``app`` has old
    revisions to run and an app its foreign keys point into was adopted too, or ``app`` has
    its adoption revision to run and an adopted app whose foreign keys point into it has old
    revisions to run.

    :raises MigrationUsageError: naming those apps; upgrading every app orders it all.
    """
    # Per adopted app: (old revisions still to run, adoption revision still to run).
    pending: dict[str, tuple[bool, bool]] = {}
    for each in project.ordered:
        config = project.config(each)
        found = legacy.adoption(config) if config.has_history() else None
        if found is not None:
            applied = _applied(connection, project, each)
            pending[each.name] = (
                not _reached(config, applied, found[1]),
                not _reached(config, applied, found[0]),
            )
    if app.name not in pending:
        return
    old, renaming = pending[app.name]
    others = [
        other.name
        for other in project.ordered
        if other is not app
        and other.name in pending
        and (
            (old and other in project.dependencies([app]))
            or (renaming and pending[other.name][0] and app in project.dependencies([other]))
        )
    ]
    if not others:
        return
    names = ", ".join(repr(name) for name in others)
    raise MigrationUsageError(
        f"App {app.name!r} cannot be upgraded alone: it and {names} were adopted from "
        "nextcord-ormar, and their foreign keys link them. The old revisions of all of them must "
        "run before any table is renamed: run 'ormar-bot upgrade' without --app."
    )


def _check_dependents(connection: Connection, project: Project, app: OrmarApp) -> None:
    """Refuse to downgrade ``app`` while apps whose foreign keys point into it (directly or
    not) still have migrations applied: their references would break.

    :raises MigrationUsageError: naming those apps and what to run.
    """
    applied = [
        other.name
        for other in reversed(project.ordered)
        if other is not app
        and app in project.dependencies([other])
        and _applied(connection, project, other)
    ]
    if not applied:
        return
    names = ", ".join(repr(name) for name in applied)
    first = " ".join(f"'ormar-bot downgrade {name} base'" for name in applied)
    raise MigrationUsageError(
        f"App {app.name!r} cannot be downgraded while {names} "
        f"{'have' if len(applied) > 1 else 'has'} migrations applied (their foreign keys "
        f"point into it): run {first} first."
    )


def _warn_without_history(states: Sequence[AppState], project: Project) -> None:
    for state in states:
        if state.has_history:
            continue
        folder = project.migrations_dir(project.apps[state.app])
        logger.warning(
            "App %r has no migrations in %s, so none of its tables were created: write them "
            "with 'ormar-bot migrate --app %s'. If they are elsewhere, this program finds the "
            "app's folder differently from the command (run it from the folder of %s, or pass "
            "migrations_dir= to OrmarApp.create_app()).",
            state.app,
            folder,
            state.app,
            INI_FILE,
        )


async def upgrade(
    project: Project,
    app: str | None = None,
    revision: str = "heads",
    *,
    warn_missing: bool = True,
) -> list[AppState]:
    """Apply migrations: every app (in foreign-key dependency order) to its heads, or ``app``
    to ``revision``. Holds the migration lock; on SQLite and PostgreSQL all of it is one
    transaction.

    An app upgraded alone needs the apps its foreign keys point into (directly or not) at
    their newest migration already; they are not upgraded along with it.

    :raises MigrationUsageError: a revision other than ``heads`` without ``app``; ``app``'s
        foreign keys point into an app that is not at its newest migration (upgrade that app
        first, or every app).
    :param warn_missing: log a warning for each app without migrations, naming the folder
        looked in (their states say so too: ``has_history`` is false).
    :raises RevisionNotFoundError: the app has no such revision.
    """
    if app is None and revision not in _HEADS:
        raise MigrationUsageError(
            f"Upgrading to {revision!r} needs an app (--app NAME): revisions belong to one app."
        )
    _check_direction(app, revision, "upgrade")
    apps = project.select(app)
    _check_target(project, apps, revision)

    def work(connection: Connection) -> list[AppState]:
        if app is not None:
            _check_dependencies(connection, project, apps[0])
        return _applying(
            connection, project, apps, revision, "Upgrading", "upgrade", adopted_first=app is None
        )

    states = await run_on_database(project.manager, work, lock=True)
    if warn_missing:
        _warn_without_history(states, project)
    return states


async def downgrade(project: Project, app: str | None, revision: str = "-1") -> list[AppState]:
    """Revert migrations of ``app`` (default: one step). With ``app=None`` every app goes to
    ``base``, in reverse dependency order.

    An app is only downgraded alone while the apps whose foreign keys point into it (directly
    or not) have no migration applied: downgrade those to ``base`` first.

    :raises MigrationError: the app has nothing applied, or ``revision`` lies below its first
        migration.
    :raises MigrationUsageError: apps whose foreign keys point into ``app`` have migrations
        applied.
    """
    if app is None and revision != "base":
        raise MigrationUsageError(
            "Downgrading every app only goes to 'base'; name an app to go elsewhere."
        )
    _check_direction(app, revision, "downgrade")
    apps = list(reversed(project.select(app)))
    _check_target(project, apps, revision)

    def work(connection: Connection) -> list[AppState]:
        if app is not None:
            _check_dependents(connection, project, apps[0])
        return _applying(connection, project, apps, revision, "Downgrading", "downgrade")

    return await run_on_database(project.manager, work, lock=True)


def _check_target(project: Project, apps: Sequence[OrmarApp], revision: str) -> None:
    """Refuse a revision an app does not have, before connecting (:func:`_applying` relies on
    it).

    :raises RevisionNotFoundError: an app has no such revision.
    """
    for app in apps:
        config = project.config(app)
        if config.has_history() or revision not in (*_HEADS, "base"):
            check_revision(config, revision)


def _check_direction(app: str | None, revision: str, run: str) -> None:
    """Refuse a range, or a step the wrong way, which Alembic answers with puzzling errors.

    :raises MigrationUsageError: ``revision`` is ``FROM:TO``, a step back (``-1``) for
        ``upgrade`` or a step forward (``+1``) for ``downgrade``.
    """
    if ":" in revision:
        raise MigrationUsageError(
            f"A range FROM:TO ({revision!r}) is only for printing SQL (--sql); to {run} the "
            "database, give the revision to go to."
        )
    step = _STEPS.match(revision)
    if step is None or (step.group(1) == "+") == (run == "upgrade"):
        return
    count = revision[1:]
    instead = (
        f"ormar-bot downgrade {app} -{count}"
        if run == "upgrade"
        else f"ormar-bot upgrade --app {app} +{count}"
    )
    raise MigrationUsageError(
        f"{run.capitalize()} goes {'forward' if run == 'upgrade' else 'back'}, not "
        f"{revision!r}: run '{instead}' instead."
    )


async def stamp(
    project: Project, app: str | None, revision: str = "heads", *, purge: bool = False
) -> list[AppState]:
    """Record ``revision`` in the version table without running migrations (``heads``: every
    app's newest, for a database whose tables already exist)."""
    if app is None and revision not in (*_HEADS, "base"):
        raise MigrationUsageError(
            f"Stamping {revision!r} needs an app (--app NAME): revisions belong to one app."
        )
    apps = project.select(app)

    def work(connection: Connection) -> list[AppState]:
        states: list[AppState] = []
        tables = set(sqlalchemy.inspect(connection).get_table_names())
        for each in apps:
            config = project.config(each, connection=connection)
            if not config.has_history():
                states.append(AppState(each.name, (), (), has_history=False))
                continue
            check_revision(config, revision)
            before = _database_heads(connection, config, tables)
            run_alembic(config, "Stamping", partial(command.stamp, config, revision, purge=purge))
            states.append(AppState(each.name, before, _recorded(connection, config.version_table)))
        return states

    return await run_on_database(project.manager, work, lock=True)


def _offline(project: Project, apps: Sequence[OrmarApp], revision: str, run: str) -> str:
    buffer = io.StringIO()
    for app in apps:
        config = project.config(app, output_buffer=buffer)
        if not config.has_history():
            continue
        check_revision(config, revision)
        buffer.write(f"-- app {app.name}\n\n")
        run_alembic(
            config, "Writing the SQL of", partial(getattr(command, run), config, revision, sql=True)
        )
        buffer.write("\n")
    return buffer.getvalue()


def upgrade_sql(project: Project, app: str | None = None, revision: str = "heads") -> str:
    """The SQL ``upgrade`` would run from an empty database (or over ``from:to``), without
    touching any database."""
    if app is None and revision not in _HEADS:
        raise MigrationUsageError(
            f"Upgrading to {revision!r} needs an app (--app NAME): revisions belong to one app."
        )
    return _offline(project, project.select(app), revision, "upgrade")


def downgrade_sql(project: Project, app: str, revision: str) -> str:
    """The SQL of a downgrade over ``from:to`` (offline, a starting point must be given)."""
    if ":" not in revision:
        raise MigrationUsageError(
            "With --sql, downgrade needs a range FROM:TO (the database is not read), "
            "such as 0002:0001."
        )
    return _offline(project, project.select(app), revision, "downgrade")


# -- migration files -------------------------------------------------------------------------


def heads(project: Project, app: str | None = None) -> dict[str, tuple[str, ...]]:
    """The newest revision(s) of each app's history."""
    result: dict[str, tuple[str, ...]] = {}
    for each in project.select(app):
        config = project.config(each)
        result[each.name] = (
            tuple(script_directory(config).get_heads()) if config.has_history() else ()
        )
    return result


def history(project: Project, app: str | None = None) -> dict[str, list[Script]]:
    """Each app's revisions, newest first."""
    result: dict[str, list[Script]] = {}
    for each in project.select(app):
        config = project.config(each)
        result[each.name] = (
            list(script_directory(config).walk_revisions()) if config.has_history() else []
        )
    return result


def show(project: Project, app: str, revision: str = "heads") -> list[Script]:
    """The revision(s) ``revision`` designates in ``app``'s history.

    :raises MigrationUsageError: ``revision`` is a range or ``base`` (which is no revision).
    :raises RevisionNotFoundError: the app has no such revision.
    """
    (each,) = project.select(app)
    if ":" in revision:
        raise MigrationUsageError(
            f"show takes one revision, not a range ({revision!r}); to list them all, run "
            f"'ormar-bot history --app {each.name}'."
        )
    if revision.partition("@")[2] == "base" or revision == "base":
        raise MigrationUsageError(
            f"'base' is the state before the first migration of app {each.name!r}, not a "
            f"revision: name one (see 'ormar-bot history --app {each.name}')."
        )
    config = project.config(each)
    check_revision(config, revision)
    if not config.has_history():
        return []
    scripts = script_directory(config)
    try:
        found = [script for script in scripts.get_revisions(revision) if isinstance(script, Script)]
    except Exception:  # noqa: BLE001 - Alembic answers what it cannot resolve with anything
        found = []
    if not found:
        raise RevisionNotFoundError(
            f"App {each.name!r} has no revision {revision!r} (see 'ormar-bot history --app "
            f"{each.name}')."
        )
    return found


def _write_empty(project: Project, app: OrmarApp, message: str | None) -> NewRevision:
    config = project.config(app)
    scripts = script_directory(config) if config.has_history() else None
    heads = tuple(scripts.get_heads()) if scripts is not None else ()
    rev_id = next_revision_id(revisions_of(config, scripts))
    text = message or "empty"
    path = write_revision(config.migrations_dir, rev_id, text, heads)
    return NewRevision(app.name, rev_id, text, path)


@dataclass
class _Diff:
    app: OrmarApp
    changes: list[str] = field(default_factory=list)
    revision: NewRevision | None = None


def _heads(config: Config) -> tuple[ScriptDirectory | None, tuple[str, ...]]:
    scripts = script_directory(config) if config.has_history() else None
    return scripts, tuple(scripts.get_heads()) if scripts is not None else ()


def _compare(
    connection: Connection,
    project: Project,
    targets: Sequence[OrmarApp],
    owned: Mapping[str, frozenset[str]],
    message: str | None,
    *,
    write: bool,
    live: bool,
) -> list[_Diff]:
    if not targets:
        return []
    configs = {app.name: project.config(app, connection=connection) for app in targets}
    histories = {name: _heads(config) for name, config in configs.items()}
    for name, (_, heads) in histories.items():
        if live:
            recorded = _database_heads(connection, configs[name])
            if set(recorded) != set(heads):
                raise MigrationError(
                    f"The database lacks migrations of app {name!r}: run 'ormar-bot upgrade' "
                    "first, or compare with the migration history instead (leave out --live)."
                )
    app_of: dict[str, str] = {}
    for app in targets:
        app_of.update(dict.fromkeys(owned.get(app.name, ()), app.name))
        app_of.update(dict.fromkeys(app.metadata.tables, app.name))
    declared = frozenset(name for app in targets for name in app.metadata.tables)
    ownership = Ownership(
        declared, frozenset(name for app in targets for name in owned.get(app.name, ()))
    )
    comparison = Comparison(connection, project.combined_metadata(targets), ownership)
    first = configs[targets[0].name]
    per_app = Comparison.split(
        run_alembic(first, "Comparing the models of", comparison.compare), app_of
    )
    diffs: list[_Diff] = []
    for app in targets:
        diff = _Diff(app)
        diffs.append(diff)
        upgrade_ops = per_app.get(app.name)
        if upgrade_ops is None or upgrade_ops.is_empty():
            continue
        diff.changes = describe(upgrade_ops, app.name)
        if not write:
            continue
        unsafe = unsafe_columns(upgrade_ops)
        if unsafe:
            raise UnsafeMigrationError(_unsafe_message(app, unsafe))
    if not write:
        return diffs
    for diff in diffs:
        upgrade_ops = per_app.get(diff.app.name)
        if not diff.changes or upgrade_ops is None:
            continue
        config = configs[diff.app.name]
        scripts, heads = histories[diff.app.name]
        rev_id = next_revision_id(revisions_of(config, scripts))
        text = message or auto_message(diff.changes)
        upgrades, downgrades, imports = comparison.render(upgrade_ops)
        path = write_revision(
            config.migrations_dir,
            rev_id,
            text,
            heads,
            upgrades=upgrades,
            downgrades=downgrades,
            imports=imports,
        )
        diff.revision = NewRevision(diff.app.name, rev_id, text, path, diff.changes)
    return diffs


def _unsafe_message(app: OrmarApp, unsafe: Iterable[tuple[str, str]]) -> str:
    columns = ", ".join(f"{table}.{column}" for table, column in unsafe)
    return (
        f"App {app.name!r}: no migration written, because {columns} would be added as NOT NULL "
        "without a default to a table that exists, and its existing rows would have no value. "
        "Add server_default=... to the field (a database default, not just default=), or make "
        "it nullable=True; or write the migration by hand from "
        f"'ormar-bot migrate --app {app.name} --empty' (add it nullable, fill it, then alter it)."
    )


def _check_conflicts(targets: Sequence[OrmarApp], owned: Mapping[str, frozenset[str]]) -> None:
    for app in targets:
        for other, tables in owned.items():
            clash = sorted(set(app.metadata.tables) & tables) if other != app.name else []
            if clash:
                raise MigrationConflictError(
                    f"App {app.name!r} declares {', '.join(clash)}, which app {other!r}'s "
                    "migrations create: move the model back, or give it another tablename."
                )


async def _diff_apps(
    project: Project,
    targets: Sequence[OrmarApp],
    message: str | None,
    *,
    live: bool,
    write: bool,
) -> list[_Diff]:
    replayed = project.dependencies(targets)

    def compare(connection: Connection, owned: Mapping[str, frozenset[str]]) -> list[_Diff]:
        _check_conflicts(targets, owned)
        return _compare(connection, project, targets, owned, message, write=write, live=live)

    if live:
        owned = await run_in_scratch(
            project, lambda connection: replay(connection, project, replayed)
        )
        return await run_on_database(project.manager, lambda c: compare(c, owned))
    return await run_in_scratch(
        project, lambda connection: compare(connection, replay(connection, project, replayed))
    )


async def migrate(
    project: Project,
    app: str | None = None,
    message: str | None = None,
    *,
    empty: bool = False,
    live: bool = False,
) -> list[NewRevision]:
    """Write a revision for each app whose models differ from its history (or for ``app``).

    The histories are replayed into a scratch database, so no live database is needed; with
    ``live=True`` the models are compared with the configured database instead (which must be
    at every app's latest revision). Apps without changes get no file, unless ``empty=True``
    (which needs ``app``) writes a revision to fill in by hand.

    :param message: the revision's message; by default it names the changes (``create_star``).
    :raises UnsafeMigrationError: a NOT NULL column without a default would be added to an
        existing table; nothing is written for that app.
    """
    if empty:
        if app is None:
            raise MigrationUsageError("An empty migration needs an app: --app NAME --empty.")
        return [_write_empty(project, each, message) for each in project.select(app)]
    results = await _diff_apps(project, project.select(app), message, live=live, write=True)
    written = [diff.revision for diff in results if diff.revision is not None]
    for revision in written:
        logger.info("App %s: wrote %s", revision.app, revision.path)
    return written


async def check(
    project: Project, app: str | None = None, *, live: bool = False, strict: bool = False
) -> dict[str, list[str]]:
    """What ``migrate`` would write, as phrases per app (``{}`` when models and migrations
    agree). For CI: with ``strict=True`` a difference raises
    :class:`~ormar_bot_core.errors.ModelsChangedError`."""
    results = await _diff_apps(project, project.select(app), None, live=live, write=False)
    differences = {diff.app.name: diff.changes for diff in results if diff.changes}
    if strict and differences:
        listed = "; ".join(f"{name}: {', '.join(changes)}" for name, changes in differences.items())
        raise ModelsChangedError(
            f"The models differ from the migrations ({listed}): run 'ormar-bot migrate' and "
            "commit the new revision files."
        )
    return differences


async def adopt(project: Project, app: str | None = None) -> list[NewRevision]:
    """Take over a nextcord-ormar 0.3 project: for each app whose history creates tables
    named ``<app>.<model>s``, write a revision renaming them to ``<app>_<model>s``.

    ``upgrade`` then moves each database's old version table (``alembic.<app>``) into the new
    one and applies the renames. Apps with nothing to rename get no file.
    """
    targets = project.select(app)
    replayed = project.dependencies(targets)
    owned = await run_in_scratch(project, lambda connection: replay(connection, project, replayed))
    written: list[NewRevision] = []
    for each in targets:
        table_renames = legacy.renames(each, owned.get(each.name, frozenset()))
        if not table_renames:
            continue
        path = legacy.write_adoption(project.config(each), table_renames)
        changes = [f"rename {old} to {new}" for old, new in table_renames.items()]
        written.append(
            NewRevision(each.name, path.name.partition("_")[0], legacy.ADOPT_MESSAGE, path, changes)
        )
    return written
