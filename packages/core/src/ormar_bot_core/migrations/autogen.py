"""What ormar-bot adds to Alembic's autogenerate: names, safety, and portable types.

- :func:`describe` turns the detected operations into short phrases (``create_star``,
  ``star_add_note``), used for the revision message when none is given and by ``check``.
- :func:`unsafe_columns` finds NOT NULL columns without a default added to tables that exist.
- :class:`TypeRenderer` writes column types declared by ormar (``ormar.UUID``, encrypted
  strings) as the SQLAlchemy type they store as, so revision files never import ormar internals.
"""

from __future__ import annotations

import decimal
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import sqlalchemy
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import False_, True_
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from .config import Config
from .ownership import Ownership

__all__ = [
    "Comparison",
    "TypeRenderer",
    "auto_message",
    "compare_server_default",
    "compare_type",
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
    """Alembic's ``render_item`` hook, for column types and server defaults.

    Every type is written as a public SQLAlchemy type that a revision file can import:

    - types from outside SQLAlchemy (``ormar.UUID``, encrypted strings) as the SQLAlchemy type
      they store as, so revision files never import ormar internals;
    - the private types of drivers (``AsyncpgCHAR``, ``AsyncpgInteger``, ...), which a type
      adapted to a dialect is, as the first public type they derive from (``sa.CHAR``);

    everything else renders as Alembic renders it. The imports of dialect types (``from
    sqlalchemy.dialects import mysql``) are noted in :attr:`imports` too, because
    ``render_python_code`` keeps Alembic's own list to itself.

    Server defaults of ``sqlalchemy.false()``, ``true()`` and SQL functions of the current
    time (``func.now()``) are written as those expressions, not as the SQL of the database
    compared with: that may be a SQLite scratch database standing in for the real one
    (``0`` is no default for a PostgreSQL boolean).
    """

    def __init__(self) -> None:
        self.imports: set[str] = set()

    def __call__(
        self, type_: str, obj: Any, autogen_context: AutogenContext
    ) -> str | Literal[False]:
        if type_ == "server_default":
            return _render_portable_default(obj, autogen_context)
        if type_ != "type" or not isinstance(obj, TypeEngine):
            return False
        stored: TypeEngine[Any] = obj
        if isinstance(obj, TypeDecorator) and not _is_sqlalchemy(type(obj)):
            stored = obj.load_dialect_impl(autogen_context.dialect)
            while isinstance(stored, TypeDecorator) and not _is_sqlalchemy(type(stored)):
                stored = stored.impl_instance
        public = _public_type(type(stored))
        if public is None:
            return False  # a type of some library: Alembic imports it as it can
        if stored is obj and public is type(obj):
            self._note(obj, autogen_context)
            return False
        if public is not type(stored):
            stored = stored.adapt(public)
        dialect = self._note(stored, autogen_context)
        if dialect:
            return f"{dialect}.{stored!r}"
        prefix = autogen_context.opts.get("sqlalchemy_module_prefix") or ""
        return f"{prefix}{stored!r}"

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
_TIME_FUNCTIONS = frozenset(
    {"now", "current_timestamp", "current_date", "current_time", "localtimestamp", "localtime"}
)


def _render_portable_default(default: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """``sa.false()``, ``sa.true()``, ``sa.func.now()``, ...: a server default that is one of
    these, written so that it compiles for the database the revision runs on."""
    if not isinstance(default, sqlalchemy.DefaultClause):
        return False
    arg = default.arg
    prefix = autogen_context.opts.get("sqlalchemy_module_prefix") or ""
    if isinstance(arg, False_):
        return f"{prefix}false()"
    if isinstance(arg, True_):
        return f"{prefix}true()"
    if (
        isinstance(arg, FunctionElement)
        and getattr(arg, "name", None) in _TIME_FUNCTIONS
        and not arg.clauses.clauses
        and not getattr(arg, "packagenames", ())
    ):
        return f"{prefix}func.{arg.name}()"
    return False


def _is_sqlalchemy(cls: type) -> bool:
    return cls.__module__.startswith("sqlalchemy.")


def _public_type(cls: type[Any]) -> type[Any] | None:
    """The first class in ``cls``'s MRO that a revision file can name: one that ``sqlalchemy``
    exports (``sa.CHAR``), or that its dialect's package does (``postgresql.JSONB``).
    ``None`` when ``cls`` is no SQLAlchemy type at all."""
    if not _is_sqlalchemy(cls):
        return None
    for base in cls.__mro__:
        if base is TypeEngine:
            break
        if not issubclass(base, TypeEngine):
            continue  # a mixin
        match = _DIALECT_MODULE.match(base.__module__)
        package = sys.modules.get(f"sqlalchemy.dialects.{match.group(1)}") if match else sqlalchemy
        if getattr(package, base.__name__, None) is base:
            found: type[Any] = base
            return found
    return None


# -- comparing server defaults and types ---------------------------------------------------------

_CAST = re.compile(
    r"::\s*(?:\"[^\"]*\"|[a-z_][\w.]*)(?:\s+[a-z_]\w*)*(?:\s*\([\d\s,]*\))?(?:\[\])*$", re.I
)
_LITERAL = re.compile(r"(?:_\w+\s*)?[en]?'((?:[^'\\]|''|\\.)*)'", re.I | re.S)
_BITS = re.compile(r"b'([01]+)'", re.I)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?", re.I)
_NOW = re.compile(r"(?:now|current_timestamp|transaction_timestamp)(?:\(\d*\))?", re.I)
_NOW_KEY = ("now",)


def _unwrap(sql: str) -> str:
    """``sql`` without the parentheses around it and the casts after it (``('x'::text)``)."""
    while True:
        text = _CAST.sub("", sql.strip()).strip()
        if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1]
        if text == sql:
            return text
        sql = text


def _balanced(sql: str) -> bool:
    depth = 0
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                return False
    return depth == 0 and not quoted


def _value_key(value: str, textual: bool) -> tuple[str, ...]:
    """What a literal value means: text as it is for a text column; otherwise false and
    true as 0 and 1, and numbers whatever their spelling (``'1.50'`` is ``1.5``)."""
    if textual:
        return ("value", value)
    lowered = value.strip().lower()
    lowered = {"false": "0", "true": "1"}.get(lowered, lowered)
    if _NUMBER.fullmatch(lowered):
        try:
            return ("value", str(decimal.Decimal(lowered).normalize()))
        except decimal.InvalidOperation:  # pragma: no cover - the pattern is a number
            pass
    return ("value", value)


def _sql_key(sql: str, textual: bool, backslashes: bool) -> tuple[str, ...] | None:
    """What the default ``sql`` (as a database reports it, or a model's SQL text) means, when
    it is one we know: a literal, a number, false or true, the current timestamp."""
    text = _unwrap(sql)
    literal = _LITERAL.fullmatch(text)
    if literal is not None:
        value = literal.group(1).replace("''", "'")
        if backslashes:
            value = re.sub(r"\\(.)", r"\1", value)
        return _value_key(value, textual)
    bits = _BITS.fullmatch(text)
    if bits is not None:
        return _value_key(str(int(bits.group(1), 2)), textual)
    if _NOW.fullmatch(text.replace(" ", "")):
        return _NOW_KEY
    if text.lower() in ("false", "true") or _NUMBER.fullmatch(text):
        return _value_key(text, textual=False)
    return None


def compare_server_default(
    context: MigrationContext,
    inspected_column: sqlalchemy.Column[Any],
    metadata_column: sqlalchemy.Column[Any],
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Alembic's ``compare_server_default`` hook: whether a column's server default changed.

    Databases report defaults in their own spelling: ``sqlalchemy.false()`` comes back as
    ``0``, ``'0'``, ``b'0'`` or ``false``, ``func.now()`` as ``current_timestamp()`` or
    ``CURRENT_TIMESTAMP``, ``'x'`` as ``'x'::character varying``. Defaults that mean the same
    literal, number, truth value or current timestamp are equal; for any other SQL
    (``None``) Alembic compares as it does.
    """
    if inspected_default is None or not isinstance(metadata_default, sqlalchemy.DefaultClause):
        return None
    textual = isinstance(metadata_column.type, sqlalchemy.String) and not isinstance(
        metadata_column.type, sqlalchemy.Enum
    )
    backslashes = context.dialect.name in ("mysql", "mariadb")
    if isinstance(metadata_default.arg, str):
        expected: tuple[str, ...] | None = _value_key(metadata_default.arg, textual)
    elif rendered_metadata_default is not None:
        expected = _sql_key(rendered_metadata_default, textual, backslashes=False)
    else:  # pragma: no cover - Alembic renders every DefaultClause
        return None
    found = _sql_key(inspected_default, textual, backslashes)
    if expected is None or found is None:
        return None
    return expected != found


# The size prefixes of MySQL's BLOB and TEXT types, with the longest length each holds.
_MYSQL_SIZES = ((255, "TINY"), (65535, ""), (16777215, "MEDIUM"))
_MYSQL_LARGEST = "LONG"


def _mysql_sized(type_: TypeEngine[Any], family: str) -> str:
    """The type MySQL makes of ``BLOB(n)``/``TEXT(n)``: the smallest one that holds n."""
    length = getattr(type_, "length", None)
    if length is None:
        return family
    for limit, size in _MYSQL_SIZES:
        if length <= limit:
            return f"{size}{family}"
    return f"{_MYSQL_LARGEST}{family}"


def compare_type(
    context: MigrationContext,
    inspected_column: sqlalchemy.Column[Any],
    metadata_column: sqlalchemy.Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Alembic's ``compare_type`` hook: whether a column's type changed.

    On MySQL and MariaDB a ``LargeBinary(length=n)`` (``ormar.LargeBinary(max_length=n)``)
    is created as the smallest of ``TINYBLOB``, ``BLOB``, ``MEDIUMBLOB`` and ``LONGBLOB`` that
    holds n bytes, and a ``Text(length=n)`` likewise: those are no change. For anything else
    (``None``) Alembic compares as it does.
    """
    if context.dialect.name not in ("mysql", "mariadb"):
        return None
    for generic, family in ((sqlalchemy.LargeBinary, "BLOB"), (sqlalchemy.Text, "TEXT")):
        if isinstance(metadata_type, generic) and type(metadata_type) in (
            generic,
            getattr(sqlalchemy, family),
        ):
            found = type(inspected_type).__name__
            sizes = (*(size for _, size in _MYSQL_SIZES), _MYSQL_LARGEST)
            if found in {f"{size}{family}" for size in sizes}:
                return found != _mysql_sized(metadata_type, family)
    return None


def _comparing(ownership: Ownership) -> dict[str, Any]:
    """How autogenerate compares models with a database: which tables, and what counts as a
    change."""
    return {
        "compare_type": compare_type,
        "compare_server_default": compare_server_default,
        "include_name": ownership.include_name,
        "include_object": ownership.include_object,
    }


def context_options(config: Config) -> dict[str, Any]:
    """What every app's Alembic context is configured with (``env.py`` and comparisons)."""
    ownership = Ownership(config.app_tables, config.revision.owned_tables)
    return {
        "target_metadata": config.target_metadata,
        "version_table": config.version_table,
        "render_as_batch": True,
        **_comparing(ownership),
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
        options = {"target_metadata": metadata, **_comparing(ownership)}
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
