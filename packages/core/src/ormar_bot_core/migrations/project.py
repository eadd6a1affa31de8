"""A project: the manager, its apps in migration order, and where their histories live."""

from __future__ import annotations

import configparser
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..apps import OrmarApp
from ..errors import MigrationConflictError, MigrationUsageError
from . import layout
from .config import Config, RevisionOptions
from .graph import (
    combined_metadata,
    dependency_order,
    migration_metadata,
    referenced_tables,
    table_owners,
)

if TYPE_CHECKING:
    import sqlalchemy
    from sqlalchemy.engine import Connection

    from ..manager import OrmarManager

__all__ = ["INI_FILE", "Project"]

INI_FILE = "nxalembic.ini"
"""The file, in the working directory, that names the bot: ``[nxalembic]`` ``module``, ``bot``."""


@dataclass
class Project:
    """The apps of a manager and where their migrations live.

    :param manager: the database the migrations run on.
    :param bot_dir: the folder of the bot's module; apps declared in modules beside it keep
        their migrations in ``<bot_dir>/<app>/migrations``.
    :param apps: the apps to migrate, by name; every declared app when omitted.
    """

    manager: OrmarManager
    bot_dir: Path | None = None
    apps: Mapping[str, OrmarApp] = field(default_factory=lambda: dict(OrmarApp.registered()))

    @classmethod
    def of_manager(cls, manager: OrmarManager) -> Project:
        """The project of a running program: the bot's folder is that of the module
        ``nxalembic.ini`` names when there is one in the working directory, else that of the
        ``__main__`` script, so that the program and the CLI agree on every app's folder."""
        return cls(manager, _running_bot_dir())

    @cached_property
    def ordered(self) -> list[OrmarApp]:
        """Every app, each after the apps its foreign keys point into."""
        return dependency_order(list(self.apps.values()))

    def select(self, name: str | None = None) -> list[OrmarApp]:
        """The app called ``name``, or every app in migration order.

        :raises MigrationUsageError: no app has that name.
        :raises MigrationConflictError: foreign keys between apps form a cycle (checked for
            one app too, so that a command behaves the same with and without ``--app``).
        """
        ordered = self.ordered
        if name is None:
            return ordered
        app = self.apps.get(name)
        if app is None:
            known = ", ".join(sorted(self.apps)) or "none are declared"
            raise MigrationUsageError(f"Unknown app {name!r}; the apps are: {known}.")
        return [app]

    @cached_property
    def _dirs(self) -> dict[str, Path]:
        dirs: dict[str, Path] = {}
        seen: dict[Path, str] = {}
        for app in self.apps.values():
            path = layout.migrations_dir(app, self.bot_dir)
            other = seen.setdefault(path, app.name)
            if other != app.name:
                raise MigrationConflictError(
                    f"Apps {other!r} and {app.name!r} would both keep their migrations in {path}: "
                    "pass migrations_dir= to OrmarApp.create_app() for one of them, or declare "
                    "them in modules of their own folders."
                )
            dirs[app.name] = path
        return dirs

    def migrations_dir(self, app: OrmarApp) -> Path:
        """The folder of ``app``'s revision files."""
        return self._dirs[app.name]

    @cached_property
    def _metadata(self) -> dict[str, sqlalchemy.MetaData]:
        apps = list(self.apps.values())
        return {app.name: migration_metadata(app, apps) for app in apps}

    def combined_metadata(self, apps: Sequence[OrmarApp]) -> sqlalchemy.MetaData:
        """One MetaData with copies of the tables of ``apps`` and of the tables they reference,
        for comparing several apps at once."""
        if len(apps) == 1:
            return self._metadata[apps[0].name]
        return combined_metadata(apps, list(self.apps.values()))

    def config(
        self,
        app: OrmarApp,
        *,
        connection: Connection | None = None,
        revision: RevisionOptions | None = None,
        output_buffer: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> Config:
        """The Alembic configuration of ``app``."""
        return Config(
            app,
            migrations_dir=self.migrations_dir(app),
            version_table=layout.version_table(app.name),
            target_metadata=self._metadata[app.name],
            dialect_name=self.manager.url.get_backend_name(),
            connection=connection,
            revision=revision,
            output_buffer=output_buffer,
            stdout=stdout or sys.stdout,
        )

    def dependencies(self, apps: Sequence[OrmarApp]) -> list[OrmarApp]:
        """``apps`` and every app their tables reference, directly or not, in migration order."""
        owners = table_owners(self.apps.values())
        wanted = {app.name for app in apps}
        pending = list(apps)
        while pending:
            app = pending.pop()
            for table in app.metadata.tables.values():
                for name in referenced_tables(table):
                    owner = owners.get(name)
                    if owner is not None and owner.name not in wanted:
                        wanted.add(owner.name)
                        pending.append(owner)
        return [app for app in self.ordered if app.name in wanted]


def _running_bot_dir() -> Path | None:
    ini = Path.cwd() / INI_FILE
    if ini.is_file():
        parser = configparser.ConfigParser()
        try:
            parser.read(ini, encoding="utf-8")
            module = parser.get("nxalembic", "module", fallback=None)
            spec = importlib.util.find_spec(module) if module else None
        except (configparser.Error, ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            return Path(spec.origin).resolve().parent
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return Path(main_file).resolve().parent if main_file else None
