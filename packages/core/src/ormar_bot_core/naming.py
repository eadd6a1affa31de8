"""Names of app tables, constraints and indexes that every supported database accepts.

PostgreSQL allows identifiers of at most 63 bytes, MySQL and MariaDB 64 characters; SQLite has no
limit. Names come from the naming convention of every app's MetaData (``pk_<table>``,
``ix_<table>_<columns>``, ...) and from ormar itself, which names each foreign key
``fk_<table>_<referred table>_<referred column>_<field>`` without the convention. Both grow with
the table names (``<app>_<model>s``), so two long app or model names give a constraint name that
SQLite accepts and the servers refuse.

Every constraint and index name of a table in a MetaData with :data:`NAMING_CONVENTION` (every
app's) is therefore at most :data:`MAX_NAME_LENGTH` bytes: a longer name keeps its first 54 bytes
and ends in ``_`` and 8 hex digits of the SHA-1 of the whole name
(``fk_reminders_reminderschedules_guildsettings_guildsett_c4246ba5``). The name depends only on
the full name, so it is the same on every run, machine and database: a migration written against
one database runs unchanged on the others. Names that fit are left exactly as they are.

SQLAlchemy shortens names made by a naming convention only on the database it compiles for, with a
scheme of its own, and refuses other long names; shortening here, before any database is
involved, is what keeps the names in revision files portable.

Table names are not shortened (queries and migrations use them): a table of an app with a longer
name is refused with an :class:`~ormar_bot_core.errors.AppError` when its model is declared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, Index, MetaData, Table, event
from sqlalchemy.sql.elements import conv, quoted_name
from sqlalchemy.sql.schema import Constraint

from .errors import AppError

__all__ = ["MAX_NAME_LENGTH", "NAMING_CONVENTION", "short_name"]

MAX_NAME_LENGTH = 63
"""The longest table, constraint or index name every supported database accepts, in bytes of
UTF-8 (PostgreSQL's limit; MySQL and MariaDB allow 64 characters)."""

_HASH_LENGTH = 8
_PREFIX_LENGTH = MAX_NAME_LENGTH - 1 - _HASH_LENGTH


def short_name(name: str) -> str:
    """``name`` if it fits in :data:`MAX_NAME_LENGTH` bytes, else its first 54 bytes, ``_``
    and the first 8 hex digits of the SHA-1 of the whole name (63 bytes in all)."""
    encoded = name.encode()
    if len(encoded) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha1(encoded, usedforsecurity=False).hexdigest()[:_HASH_LENGTH]
    # A character cut in two by the limit is left out whole.
    prefix = encoded[:_PREFIX_LENGTH].decode(errors="ignore")
    return f"{prefix}_{digest}"


def _shortened(name: str) -> str:
    """:func:`short_name` of ``name``, of the same kind: a ``conv`` stays a ``conv`` (written
    ``op.f(...)`` in revision files) and a plain string a plain string."""
    short = short_name(name)
    if short == name:
        return name
    if isinstance(name, conv):
        return conv(short)
    if isinstance(name, quoted_name):
        return quoted_name(short, name.quote)
    return short


class _Template(str):
    """A naming-convention template whose names are cut to :data:`MAX_NAME_LENGTH`.

    SQLAlchemy formats a convention with ``template % tokens``; the text of the template is the
    usual one, so everything that reads it (the ``%(constraint_name)s`` test) sees no change.
    """

    __slots__ = ()

    def __mod__(self, tokens: Any) -> str:
        return short_name(str.__mod__(self, tokens))


NAMING_CONVENTION: Mapping[str, str] = MappingProxyType(
    {
        "ix": _Template("ix_%(table_name)s_%(column_0_N_name)s"),
        "uq": _Template("uq_%(table_name)s_%(column_0_N_name)s"),
        "ck": _Template("ck_%(table_name)s_%(constraint_name)s"),
        "fk": _Template("fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s"),
        "pk": _Template("pk_%(table_name)s"),
    }
)
"""Constraint names every app's MetaData uses, so migrations can alter constraints by name.

Names longer than :data:`MAX_NAME_LENGTH` bytes are shortened (see the module's docstring), in
every MetaData built with this convention."""


def _portable(metadata: MetaData | None) -> bool:
    """Whether ``metadata`` has names made to fit every database (it uses our convention)."""
    if metadata is None:
        return False
    return any(isinstance(template, _Template) for template in metadata.naming_convention.values())


@event.listens_for(Table, "after_parent_attach")
def _check_table_name(table: Table, metadata: MetaData) -> None:
    """Refuse a table of an app whose name some database would refuse or truncate."""
    if not _portable(metadata):
        return
    size = len(table.name.encode())
    if size > MAX_NAME_LENGTH:
        length = f"{len(table.name)} characters" + (
            f" ({size} bytes)" if size != len(table.name) else ""
        )
        raise AppError(
            f"Table name {table.name!r} is {length} long: PostgreSQL allows {MAX_NAME_LENGTH} "
            "bytes (MySQL and MariaDB 64 characters). Give the model a shorter one with "
            "ormar_config = ModelMeta.copy(tablename='...'), or a shorter class name (for the "
            "table of a many-to-many relation, pass through= a model with a shorter table name)."
        )


# Registered after SQLAlchemy's own listener, which applies the naming convention first.
@event.listens_for(Constraint, "after_parent_attach")
@event.listens_for(Index, "after_parent_attach")
def _shorten_name(item: Constraint | Index, parent: Any) -> None:
    """Shorten names the convention did not make: ormar's foreign keys, names given by hand."""
    if isinstance(parent, Column):
        # A constraint given to a column: named once the column has its table, as SQLAlchemy does.
        def on_column_attach(column: Column[Any], table: Any) -> None:
            _shorten_name(item, table)

        event.listen(parent, "after_parent_attach", on_column_attach)
    elif isinstance(parent, Table) and _portable(parent.metadata):
        name = item.name
        if isinstance(name, str):
            item.name = _shortened(name)
