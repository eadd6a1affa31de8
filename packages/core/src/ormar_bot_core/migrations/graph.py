"""Which app's tables reference which: the order apps are upgraded and downgraded in.

ormar builds a foreign key as ``ForeignKey("<table>.<column>")`` in the MetaData of the model that
declares it. When the referenced model belongs to another app, that table lives in the other
app's MetaData, where SQLAlchemy cannot resolve the name (``NoReferencedTableError``). This module
therefore reads the target table from the key's text, and builds, for autogenerate, a MetaData in
which such references resolve.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy

from ..apps import NAMING_CONVENTION, OrmarApp
from ..errors import MigrationConflictError

__all__ = [
    "combined_metadata",
    "dependency_order",
    "migration_metadata",
    "referenced_tables",
    "table_owners",
]


def referenced_tables(table: sqlalchemy.Table) -> set[str]:
    """Names of the tables ``table``'s foreign keys point at, without resolving them."""
    return {fk.target_fullname.rsplit(".", 1)[0] for fk in table.foreign_keys}


def table_owners(apps: Iterable[OrmarApp]) -> dict[str, OrmarApp]:
    """The app whose models declare each table.

    :raises MigrationConflictError: two apps declare the same table.
    """
    owners: dict[str, OrmarApp] = {}
    for app in apps:
        for name in app.metadata.tables:
            other = owners.setdefault(name, app)
            if other is not app:
                raise MigrationConflictError(
                    f"Apps {other.name!r} and {app.name!r} both declare table {name!r}: give one "
                    "of the models another tablename."
                )
    return owners


def _dependencies(apps: Sequence[OrmarApp]) -> dict[str, list[str]]:
    owners = table_owners(apps)
    dependencies: dict[str, list[str]] = {}
    for app in apps:
        needed: list[str] = []
        for table in app.metadata.tables.values():
            for name in sorted(referenced_tables(table)):
                owner = owners.get(name)
                if owner is not None and owner is not app and owner.name not in needed:
                    needed.append(owner.name)
        dependencies[app.name] = needed
    return dependencies


def dependency_order(apps: Sequence[OrmarApp]) -> list[OrmarApp]:
    """``apps`` with every app after the apps whose tables it references.

    Apps that do not depend on each other keep the order they were declared in; the order of
    imports therefore never decides whether an upgrade works.

    :raises MigrationConflictError: foreign keys between apps form a cycle (named in the message).
    """
    by_name = {app.name: app for app in apps}
    dependencies = _dependencies(apps)
    ordered: list[OrmarApp] = []
    done: set[str] = set()
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise MigrationConflictError(
                "Foreign keys between apps form a cycle: "
                + " -> ".join(repr(app) for app in cycle)
                + ". Each app is migrated as a whole, one after another, so one of these "
                "references has to go: move the models that refer to each other into one app."
            )
        visiting.append(name)
        for dependency in dependencies[name]:
            visit(dependency)
        visiting.pop()
        done.add(name)
        ordered.append(by_name[name])

    for app in apps:
        visit(app.name)
    return ordered


def migration_metadata(app: OrmarApp, apps: Sequence[OrmarApp]) -> sqlalchemy.MetaData:
    """The MetaData autogenerate compares ``app`` against.

    The app's own MetaData when its foreign keys stay inside the app. Otherwise a copy of its
    tables together with copies of every table they reference (directly or not) from other
    apps, so that the references resolve; the copies of other apps' tables are filtered out of
    the comparison (see :mod:`.ownership`).
    """
    own = app.metadata
    if all(referenced_tables(table) <= set(own.tables) for table in own.tables.values()):
        return own
    return combined_metadata([app], apps)


def combined_metadata(targets: Sequence[OrmarApp], apps: Sequence[OrmarApp]) -> sqlalchemy.MetaData:
    """Copies of the tables of ``targets`` and of every table of ``apps`` they reference,
    directly or not, in one MetaData (with the apps' naming convention)."""
    declared: Mapping[str, sqlalchemy.Table] = {
        name: table for other in apps for name, table in other.metadata.tables.items()
    }
    combined = sqlalchemy.MetaData(naming_convention=dict(NAMING_CONVENTION))
    pending = [table for app in targets for table in app.metadata.tables.values()]
    while pending:
        table = pending.pop()
        if table.key in combined.tables:
            continue
        table.to_metadata(combined)
        pending.extend(
            declared[name]
            for name in referenced_tables(table)
            if name in declared and name not in combined.tables
        )
    return combined
