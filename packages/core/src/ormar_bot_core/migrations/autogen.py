"""What ormar-bot adds to Alembic's autogenerate: names, safety, and portable types.

- :func:`describe` turns the detected operations into short phrases (``create_star``,
  ``star_add_note``), used for the revision message when none is given and by ``check``.
- :func:`unsafe_columns` finds NOT NULL columns without a default added to tables that exist.
- :class:`TypeRenderer` writes column types declared by ormar (``ormar.UUID``, encrypted
  strings) as the SQLAlchemy type they store as, so revision files never import ormar internals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import sqlalchemy
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator, TypeEngine

from .config import Config
from .ownership import Ownership

__all__ = [
    "Comparison",
    "TypeRenderer",
    "auto_message",
    "context_options",
    "describe",
    "tidy",
    "unsafe_columns",
]

_MAX_PHRASES = 2


def _model(table: str, app: str) -> str:
    """``star_stars`` of app ``star`` -> ``star``: the model a default table name came from."""
    name = table.removeprefix(f"{app}_") if table != f"{app}_" else table
    if len(name) > 1 and name.endswith("s"):
        name = name[:-1]
    return re.sub(r"\W+", "_", name).strip("_") or table


def _walk(container: ops.OpContainer) -> Iterator[tuple[str | None, ops.MigrateOperation]]:
    for op in container.ops:
        if isinstance(op, ops.ModifyTableOps):
            for inner in op.ops:
                yield op.table_name, inner
        else:
            yield getattr(op, "table_name", None), op


def describe(upgrade_ops: ops.UpgradeOps, app: str) -> list[str]:
    """One phrase per change, in order: ``create_star``, ``star_add_note``, ``delete_star``,
    ``star_remove_note``, ``star_alter_note``, ``star_add_index``, ..."""
    created = {op.table_name for op in upgrade_ops.ops if isinstance(op, ops.CreateTableOp)}
    phrases: list[str] = []
    for table, op in _walk(upgrade_ops):
        model = _model(table, app) if table else app
        if isinstance(op, ops.CreateTableOp):
            phrase = f"create_{model}"
        elif isinstance(op, ops.DropTableOp):
            phrase = f"delete_{model}"
        elif table in created:
            continue  # the indexes and constraints of a new table
        elif isinstance(op, ops.AddColumnOp):
            phrase = f"{model}_add_{op.column.name}"
        elif isinstance(op, ops.DropColumnOp):
            phrase = f"{model}_remove_{op.column_name}"
        elif isinstance(op, ops.AlterColumnOp):
            phrase = f"{model}_alter_{op.column_name}"
        elif isinstance(op, ops.CreateIndexOp):
            phrase = f"{model}_add_index"
        elif isinstance(op, ops.DropIndexOp):
            phrase = f"{model}_remove_index"
        elif isinstance(op, ops.AddConstraintOp):
            phrase = f"{model}_add_constraint"
        elif isinstance(op, ops.DropConstraintOp):
            phrase = f"{model}_remove_constraint"
        else:
            phrase = f"{model}_change"
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


def auto_message(phrases: list[str]) -> str:
    """The revision message naming what changed: ``create_star``, ``a_and_b``, ``a_and_more``."""
    if not phrases:
        return "empty"
    if len(phrases) <= _MAX_PHRASES:
        return "_and_".join(phrases)
    return f"{phrases[0]}_and_more"


def tidy(container: ops.OpContainer) -> None:
    """Drop ``autoincrement=False`` from column alterations: ormar sets it on every column that
    is not a primary key, and Alembic warns that it means something on MySQL only."""
    for _, op in _walk(container):
        if isinstance(op, ops.AlterColumnOp) and op.kw.get("autoincrement") is False:
            del op.kw["autoincrement"]


def unsafe_columns(upgrade_ops: ops.UpgradeOps) -> list[tuple[str, str]]:
    """``(table, column)`` of every NOT NULL column without a server default added to an
    existing table: on a table with rows the database refuses it (or fills it with nothing)."""
    unsafe: list[tuple[str, str]] = []
    for table, op in _walk(upgrade_ops):
        if not isinstance(op, ops.AddColumnOp) or table is None:
            continue
        column = op.column
        if (
            not column.nullable
            and column.server_default is None
            and column.computed is None
            and column.identity is None
        ):
            unsafe.append((table, column.name))
    return unsafe


class TypeRenderer:
    """Alembic's ``render_item`` hook, for column types.

    Types from outside SQLAlchemy (``ormar.UUID``, encrypted strings) are written as the
    SQLAlchemy type they store as, so revision files never import ormar internals; everything
    else renders as Alembic renders it. The imports of dialect types (``from
    sqlalchemy.dialects import mysql``) are noted in :attr:`imports` too, because
    ``render_python_code`` keeps Alembic's own list to itself.
    """

    def __init__(self) -> None:
        self.imports: set[str] = set()

    def __call__(
        self, type_: str, obj: Any, autogen_context: AutogenContext
    ) -> str | Literal[False]:
        if type_ != "type":
            return False
        if isinstance(obj, TypeDecorator) and not type(obj).__module__.startswith("sqlalchemy."):
            stored: TypeEngine[Any] = obj.load_dialect_impl(autogen_context.dialect)
            while isinstance(stored, TypeDecorator):
                stored = stored.impl_instance
            obj = stored
            if not type(obj).__module__.startswith("sqlalchemy."):
                return False
            dialect = self._note(obj, autogen_context)
            if dialect:
                return f"{dialect}.{obj!r}"
            prefix = autogen_context.opts.get("sqlalchemy_module_prefix") or ""
            return f"{prefix}{obj!r}"
        self._note(obj, autogen_context)
        return False

    def _note(self, obj: Any, autogen_context: AutogenContext) -> str | None:
        match = _DIALECT_MODULE.match(type(obj).__module__)
        if match is None:
            return None
        line = f"from sqlalchemy.dialects import {match.group(1)}"
        self.imports.add(line)
        if autogen_context.imports is not None:
            autogen_context.imports.add(line)
        return match.group(1)


_DIALECT_MODULE = re.compile(r"sqlalchemy\.dialects\.(\w+)")


def context_options(config: Config) -> dict[str, Any]:
    """What every app's Alembic context is configured with (``env.py`` and comparisons)."""
    ownership = Ownership(config.app_tables, config.revision.owned_tables)
    return {
        "target_metadata": config.target_metadata,
        "version_table": config.version_table,
        "render_as_batch": True,
        "compare_type": True,
        "compare_server_default": True,
        "include_name": ownership.include_name,
        "include_object": ownership.include_object,
        "render_item": TypeRenderer(),
        "on_version_apply": config.note_step,
    }


class Comparison:
    """Models compared with a database by Alembic's autogenerate, then split and rendered per app.

    One comparison covers every app being migrated (reflecting the database once, as plain
    Alembic does for one MetaData); its operations are then split by the app each table
    belongs to.

    :param metadata: holds the tables of every app compared (and copies of the tables they
        reference, so that foreign keys resolve).
    :param ownership: which tables are compared: the union of the apps' declared and owned ones.
    """

    def __init__(
        self, connection: Connection, metadata: sqlalchemy.MetaData, ownership: Ownership
    ) -> None:
        self.metadata = metadata
        options = {
            "target_metadata": metadata,
            "compare_type": True,
            "compare_server_default": True,
            "include_name": ownership.include_name,
            "include_object": ownership.include_object,
        }
        self.context = MigrationContext.configure(connection, opts=options)

    def compare(self) -> ops.UpgradeOps:
        """The operations that bring the database to the models (empty when they agree)."""
        script = produce_migrations(self.context, self.metadata)
        assert script.upgrade_ops is not None
        return script.upgrade_ops

    @staticmethod
    def split(upgrade_ops: ops.UpgradeOps, app_of: Mapping[str, str]) -> dict[str, ops.UpgradeOps]:
        """The operations of each app, in their order; ``app_of`` maps tables to apps."""
        split: dict[str, list[ops.MigrateOperation]] = {}
        for op in upgrade_ops.ops:
            app = app_of.get(getattr(op, "table_name", None) or "")
            if app is None:  # pragma: no cover - every compared table belongs to an app
                raise ValueError(f"no app owns the table of {op!r}")
            split.setdefault(app, []).append(op)
        return {app: ops.UpgradeOps(app_ops) for app, app_ops in split.items()}

    def render(self, upgrade_ops: ops.UpgradeOps) -> tuple[str, str, set[str]]:
        """The bodies of ``upgrade()`` and ``downgrade()``, and the imports they need."""
        downgrade_ops = ops.DowngradeOps([])
        upgrade_ops.reverse_into(downgrade_ops)
        types = TypeRenderer()
        bodies: list[str] = []
        for container in (upgrade_ops, downgrade_ops):
            tidy(container)
            bodies.append(
                render_python_code(
                    container,
                    render_as_batch=True,
                    render_item=types,
                    migration_context=self.context,
                )
            )
        return bodies[0], bodies[1], types.imports
