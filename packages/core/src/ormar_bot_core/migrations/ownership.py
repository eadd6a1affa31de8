"""What a migration of one app may touch.

An app *owns* the tables its migration history creates. A migration of app ``A`` compares:

- the tables ``A``'s models declare (created when missing, altered when different),
- the tables ``A`` owns in the database (dropped when no model declares them any more),

and nothing else: other apps' tables, tables no app owns, and every version table are invisible
to it, so it can neither alter nor drop them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .layout import LEGACY_VERSION_TABLE, VERSION_TABLE_PREFIX

__all__ = ["Ownership", "is_version_table"]

_LEGACY_PREFIX = LEGACY_VERSION_TABLE.partition("{")[0]


def is_version_table(name: str) -> bool:
    """Whether ``name`` is a version table of ormar-bot or of nextcord-ormar 0.3."""
    return name.startswith((VERSION_TABLE_PREFIX, _LEGACY_PREFIX)) or name == "alembic_version"


@dataclass(frozen=True)
class Ownership:
    """The include filters of one app's autogenerate run.

    :param declared: tables the app's models declare.
    :param owned: tables the app's history creates.
    """

    declared: frozenset[str]
    owned: frozenset[str]

    def include_name(self, name: str | None, type_: str, parent_names: Mapping[str, Any]) -> bool:
        """Alembic's ``include_name`` hook: which tables of the database are compared."""
        if type_ != "table" or name is None:
            return True
        return name in self.owned and not is_version_table(name)

    def include_object(
        self, obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """Alembic's ``include_object`` hook: which tables of the models are compared."""
        if type_ != "table" or name is None:
            return True
        if reflected:
            return name in self.owned
        return name in self.declared
