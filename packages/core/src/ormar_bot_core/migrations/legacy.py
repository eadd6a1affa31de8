"""Databases of nextcord-ormar 0.3: tables ``<app>.<model>s``, version tables ``alembic.<app>``.

Moving such a project to ormar-bot takes two steps, documented in the package docstring:

1. ``ormar-bot adopt`` (once, in the project): keeps the old revision files, which stay in the
   same folders, and writes one more revision per app that renames its tables from
   ``<app>.<model>s`` to the current names, ``<app>_<model>s``.
2. ``ormar-bot upgrade`` (on every database, or ``upgrade_on_start``): finds the old version
   table ``alembic.<app>``, moves what it records into ``alembic_version_<app>``, drops it, then
   applies the renaming revision like any other.

nextcord-ormar's MetaData had no naming convention: unique constraints were left for the
database to name, indexes were named ``ix_<app>.<model>s_<column>`` and ormar named foreign keys
``fk_<table>_<target table>_<pk>_<column>``. After renaming a table, the adoption revision
calls :func:`adopt_names`, which gives its indexes, unique constraints and foreign keys the
names the models use (found by their columns, whatever the database called them), so that later
revisions can drop or alter them by name.

A model that keeps its old table (``ModelMeta.copy(tablename="<app>.<model>s")``) is not
renamed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy
from alembic import command, op
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from ..apps import OrmarApp
from .config import Config
from .layout import legacy_version_table, next_revision_id
from .runner import revisions_of, run_alembic, script_directory

__all__ = [
    "ADOPT_MESSAGE",
    "adopt_names",
    "adopt_version_table",
    "adoption",
    "before_adoption",
    "renames",
    "upgrade_steps",
    "version_heads",
    "write_adoption",
]

logger = logging.getLogger(__name__)

ADOPT_MESSAGE = "adopt_ormar_bot_table_names"


def version_heads(connection: Connection, app: OrmarApp) -> tuple[str, ...]:
    """What ``alembic.<app>`` records, when the database still has it."""
    table = legacy_version_table(app.name)
    if not sqlalchemy.inspect(connection).has_table(table):
        return ()
    context = MigrationContext.configure(connection, opts={"version_table": table})
    return tuple(sorted(context.get_current_heads()))


def adopt_version_table(connection: Connection, config: Config, tables: set[str]) -> bool:
    """Move ``alembic.<app>`` into the app's version table, when only the old one exists.

    :param tables: the tables of the database.
    :returns: whether the app's version table exists now.
    """
    legacy = legacy_version_table(config.app.name)
    if config.version_table in tables or legacy not in tables:
        return False
    heads = version_heads(connection, config.app)
    if heads:
        run_alembic(
            config,
            "Taking over the nextcord-ormar version table of",
            lambda: command.stamp(config, list(heads)),
            hint=f"Restore the app's nextcord-ormar revision files into {config.migrations_dir}.",
        )
    sqlalchemy.Table(legacy, sqlalchemy.MetaData()).drop(connection)
    logger.warning(
        "App %s: moved nextcord-ormar's version table %r to %r (at %s)",
        config.app.name,
        legacy,
        config.version_table,
        ", ".join(heads) or "base",
    )
    return bool(heads)


def renames(app: OrmarApp, owned: frozenset[str]) -> dict[str, str]:
    """The tables of ``app``'s history named the nextcord-ormar way, and their new names."""
    prefix = f"{app.name}."
    return {
        old: f"{app.name}_{old.removeprefix(prefix)}"
        for old in sorted(owned)
        if old.startswith(prefix) and old not in app.metadata.tables
    }


def adoption(config: Config) -> tuple[str, str] | None:
    """The app's adoption revision and the revision it revises, when the app has one."""
    for script in script_directory(config).walk_revisions():
        if script.doc == ADOPT_MESSAGE and isinstance(script.down_revision, str):
            return script.revision, script.down_revision
    return None


def before_adoption(config: Config) -> str | None:
    """The revision the app's adoption revision revises, when the app has one."""
    found = adoption(config)
    return found[1] if found is not None else None


def upgrade_steps(
    configs: Sequence[tuple[OrmarApp, Config]], revision: str = "heads"
) -> list[tuple[OrmarApp, Config, str]]:
    """The upgrades that bring the apps of ``configs`` (in dependency order) to ``revision``.

    Apps adopted from nextcord-ormar first all go to the revision their adoption revision
    revises, in that order: their old revisions name each other's tables the old way, and ran
    before any table was renamed. Then every app goes to ``revision``.
    """
    steps = [
        (app, config, base)
        for app, config in configs
        if config.has_history() and (base := before_adoption(config)) is not None
    ]
    return steps + [(app, config, revision) for app, config in configs]


def adopt_names(
    table: str,
    *,
    indexes: Mapping[str, Sequence[str]] = {},
    unique: Mapping[str, Sequence[str]] = {},
    foreign_keys: Mapping[str, Sequence[str]] = {},
) -> None:
    """Rename the indexes, unique constraints and foreign keys of ``table`` to the given names.

    Called by adoption revisions, after ``table`` got its new name. Each mapping goes from the
    wanted name to the columns: the index, unique constraint or foreign key on exactly those
    columns is renamed, whatever the database called it (nextcord-ormar left unique constraints
    unnamed). Those already named so, and names no constraint matches, are left alone.
    """
    connection = op.get_bind()
    inspector = sqlalchemy.inspect(connection)
    reflected_indexes = [
        each
        for each in inspector.get_indexes(table)
        if not each.get("unique") and "duplicates_constraint" not in each
    ]
    reflected_foreign_keys = inspector.get_foreign_keys(table)
    plan = {
        "index": _renaming(indexes, reflected_indexes, "column_names"),
        "unique": _renaming(
            unique, inspector.get_unique_constraints(table), "column_names", unnamed=True
        ),
        "foreignkey": _renaming(foreign_keys, reflected_foreign_keys, "constrained_columns"),
    }
    if not any(plan.values()):
        return
    dialect = connection.dialect.name
    if dialect == "sqlite":
        _rename_by_copy(table, indexes, unique, foreign_keys)
        return
    quoted = _quote(table)
    fks = {fk["name"]: fk for fk in reflected_foreign_keys}
    for kind, renames_ in plan.items():
        for old, new in renames_:
            q_old, q_new = _quote(str(old)), _quote(new)
            if dialect == "postgresql":
                if kind == "index":
                    op.execute(f"ALTER INDEX {q_old} RENAME TO {q_new}")
                else:
                    op.execute(f"ALTER TABLE {quoted} RENAME CONSTRAINT {q_old} TO {q_new}")
            elif kind != "foreignkey":
                op.execute(f"ALTER TABLE {quoted} RENAME INDEX {q_old} TO {q_new}")
            else:
                _rename_mysql_foreign_key(table, fks[old], new)


def _renaming(
    wanted: Mapping[str, Sequence[str]],
    reflected: Iterable[Mapping[str, Any]],
    columns_key: str,
    *,
    unnamed: bool = False,
) -> list[tuple[str | None, str]]:
    """(current name, wanted name) of what has the wanted columns under another name."""
    by_columns = {tuple(each[columns_key]): each.get("name") for each in reflected}
    found: list[tuple[str | None, str]] = []
    for name, columns in wanted.items():
        key = tuple(columns)
        if key not in by_columns or by_columns[key] == name:
            continue
        current = by_columns[key]
        if current is not None or unnamed:
            found.append((current, name))
    return found


def _rename_mysql_foreign_key(table: str, reflected: Mapping[str, Any], new: str) -> None:
    """MySQL and MariaDB cannot rename a foreign key: replace it, then rename the index
    the database made for it, which outlives it."""
    old = reflected["name"]
    options = reflected.get("options") or {}
    op.drop_constraint(old, table, type_="foreignkey")
    op.create_foreign_key(
        new,
        table,
        reflected["referred_table"],
        list(reflected["constrained_columns"]),
        list(reflected["referred_columns"]),
        ondelete=options.get("ondelete"),
        onupdate=options.get("onupdate"),
    )
    index_names = {each["name"] for each in sqlalchemy.inspect(op.get_bind()).get_indexes(table)}
    if old in index_names and new not in index_names:
        op.execute(f"ALTER TABLE {_quote(table)} RENAME INDEX {_quote(old)} TO {_quote(new)}")


def _quote(name: str) -> str:
    return str(op.get_bind().dialect.identifier_preparer.quote(name))


def _rename_by_copy(
    table: str,
    indexes: Mapping[str, Sequence[str]],
    unique: Mapping[str, Sequence[str]],
    foreign_keys: Mapping[str, Sequence[str]],
) -> None:
    """SQLite keeps constraint names in the table's definition: copy the table into one
    defined with the new names (Alembic's batch mode)."""
    connection = op.get_bind()
    metadata = sqlalchemy.MetaData()
    # Stand-ins for the referenced tables: reflecting them would read "<app>.<model>s" as a
    # table of schema "<app>".
    for foreign_key in sqlalchemy.inspect(connection).get_foreign_keys(table):
        if foreign_key["referred_table"] != table:
            sqlalchemy.Table(
                foreign_key["referred_table"],
                metadata,
                *(sqlalchemy.Column(name) for name in foreign_key["referred_columns"]),
                extend_existing=True,
            )
    reflected = sqlalchemy.Table(table, metadata, autoload_with=connection, resolve_fks=False)
    named_by_columns = {
        kind: {tuple(columns): name for name, columns in wanted.items()}
        for kind, wanted in (
            (sqlalchemy.Index, indexes),
            (sqlalchemy.UniqueConstraint, unique),
            (sqlalchemy.ForeignKeyConstraint, foreign_keys),
        )
    }
    items: list[sqlalchemy.Index | sqlalchemy.Constraint] = [
        *reflected.indexes,
        *reflected.constraints,
    ]
    for item in items:
        for kind, names in named_by_columns.items():
            if isinstance(item, kind) and not getattr(item, "unique", False):
                columns = tuple(column.name for column in item.columns)
                if columns in names:
                    item.name = sqlalchemy.sql.elements.quoted_name(names[columns], None)
    with op.batch_alter_table(table, copy_from=reflected, recreate="always"):
        pass


def write_adoption(config: Config, table_renames: dict[str, str]) -> Path:
    """Write the revision renaming ``table_renames`` (old -> new) at the head of the app's
    history; return its path."""
    lines = [f"op.rename_table({old!r}, {new!r})" for old, new in table_renames.items()]
    for new in table_renames.values():
        table = config.app.metadata.tables.get(new)
        arguments = _names_of(table) if table is not None else ""
        if arguments:
            lines.append(f"adopt_names({new!r}{arguments})")
    upgrades = "\n    ".join(lines)
    downgrades = "\n    ".join(
        f"op.rename_table({new!r}, {old!r})" for old, new in reversed(table_renames.items())
    )
    rev_id = next_revision_id(revisions_of(config))
    script = run_alembic(
        config,
        "Writing the adoption revision of",
        lambda: script_directory(config).generate_revision(
            rev_id,
            ADOPT_MESSAGE,
            upgrades=upgrades,
            downgrades=downgrades,
            imports="from ormar_bot_core.migrations.legacy import adopt_names"
            if len(lines) > len(table_renames)
            else "",
        ),
    )
    if script is None:  # pragma: no cover - Alembic returns None only for unwritable templates
        raise RuntimeError("Alembic wrote no revision file")
    return Path(script.path)


def _names_of(table: sqlalchemy.Table) -> str:
    """The keyword arguments of :func:`adopt_names` for the model's ``table``: the names its
    indexes, unique constraints and foreign keys have, with their columns."""
    found: dict[str, dict[str, list[str]]] = {"indexes": {}, "unique": {}, "foreign_keys": {}}
    for index in table.indexes:
        if index.name and not index.unique:
            found["indexes"][str(index.name)] = [column.name for column in index.columns]
    for constraint in table.constraints:
        if isinstance(constraint, sqlalchemy.UniqueConstraint):
            kind = "unique"
        elif isinstance(constraint, sqlalchemy.ForeignKeyConstraint):
            kind = "foreign_keys"
        else:
            continue
        name = constraint.name
        if isinstance(name, str):
            found[kind][str(name)] = [column.name for column in constraint.columns]
    return "".join(
        f",\n        {kind}={dict(sorted(names.items()))!r}"
        for kind, names in found.items()
        if names
    )
