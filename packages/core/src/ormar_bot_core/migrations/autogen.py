"""What ormar-bot adds to Alembic's autogenerate: names, safety, and portable types.

- :func:`describe` turns the detected operations into short phrases (``create_star``,
  ``star_add_note``), used for the revision message when none is given and by ``check``.
- :func:`unsafe_columns` finds NOT NULL columns without a default added to tables that exist.
- :func:`render_item` writes column types declared by ormar (``ormar.UUID``, encrypted strings)
  as the SQLAlchemy type they store as, so revision files never import ormar internals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["auto_message", "describe", "render_item", "tidy", "unsafe_columns"]

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


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Alembic's ``render_item`` hook: types from outside SQLAlchemy are written as the
    SQLAlchemy type they store as; everything else renders as Alembic does by default."""
    if type_ != "type" or not isinstance(obj, TypeDecorator):
        return False
    if type(obj).__module__.startswith("sqlalchemy."):
        return False
    stored: TypeEngine[Any] = obj.load_dialect_impl(autogen_context.dialect)
    while isinstance(stored, TypeDecorator):
        stored = stored.impl_instance
    module = type(stored).__module__
    match = re.match(r"sqlalchemy\.dialects\.(\w+)", module)
    if match:
        if autogen_context.imports is not None:
            autogen_context.imports.add(f"from sqlalchemy.dialects import {match.group(1)}")
        return f"{match.group(1)}.{stored!r}"
    if module.startswith("sqlalchemy."):
        prefix = autogen_context.opts.get("sqlalchemy_module_prefix") or ""
        return f"{prefix}{stored!r}"
    return False
