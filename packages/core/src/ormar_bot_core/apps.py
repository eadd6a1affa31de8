"""Apps and the model base class.

An *app* is a named group of models, usually one per cog. Each app has its own
:class:`sqlalchemy.MetaData` (so it can keep its own migration history) and shares the one
database connection of the process (so models can be defined before the database URL is known).

.. code-block:: python

    ModelMeta = OrmarApp.create_app("example")

    class ExampleTable(AppModel):
        ormar_config = ModelMeta.copy()
        id: int = ormar.Integer(primary_key=True)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import ormar
import sqlalchemy
from ormar.models.metaclass import ModelMetaclass

from .connection import SharedDatabase
from .errors import AppError, DuplicateAppError
from .naming import NAMING_CONVENTION

__all__ = ["NAMING_CONVENTION", "AppModel", "OrmarApp"]

_APP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class OrmarApp:
    """A registered app. Create apps with :meth:`create_app`; the class also holds the registry."""

    name: str
    module: str
    """Name of the module that created the app (``__name__`` there)."""
    module_file: Path | None
    """File of that module, where the app's migrations live by default."""
    config: ormar.OrmarConfig
    """The config models copy: its ``metadata`` holds exactly this app's tables."""
    migrations_dir: Path | None = None
    """Where this app's migrations live, when not the default place."""

    database: ClassVar[SharedDatabase] = SharedDatabase()
    """The connection every app model uses, configured by :class:`~ormar_bot_core.OrmarManager`."""

    _registry: ClassVar[dict[str, OrmarApp]] = {}

    @property
    def metadata(self) -> sqlalchemy.MetaData:
        """This app's own MetaData."""
        return self.config.metadata

    @classmethod
    def create_app(
        cls,
        name: str,
        *,
        migrations_dir: str | Path | None = None,
        module: str | None = None,
    ) -> ormar.OrmarConfig:
        """Declare the app ``name`` and return the config its models copy.

        Executing the same module again (``reload_extension``) re-creates its app with a fresh
        MetaData; declaring the same name from a different module raises
        :class:`~ormar_bot_core.errors.DuplicateAppError`.

        Names must suit every supported database (see :mod:`ormar_bot_core.naming`): a table of
        the app whose name is longer than 63 characters is refused with an
        :class:`~ormar_bot_core.errors.AppError` when its model is declared (PostgreSQL would
        truncate it, MySQL and MariaDB refuse it),
        while longer constraint and index names, and the version table of a long app name, are
        shortened with a hash of the full name. Names that fit are never changed.

        :param name: letters, digits and underscores, starting with a letter; it prefixes the
            app's table names (``<name>_<model>s``) and names its migration history.
        :param migrations_dir: where the app's migrations live, if not the default place.
        :param module: the declaring module's name; found from the caller when omitted.
        """
        if not isinstance(name, str) or not _APP_NAME.match(name):
            raise AppError(
                f"Invalid app name {name!r}: use letters, digits and underscores, starting with a "
                "letter (it becomes part of table names)."
            )
        caller_globals = sys._getframe(1).f_globals
        module_name = module or str(caller_globals.get("__name__", "__main__"))
        module_file = _module_file(module_name, caller_globals if module is None else None)

        existing = cls._registry.get(name)
        if existing is not None and existing.module != module_name:
            raise DuplicateAppError(
                f"App {name!r} is declared in both {existing.module!r} and {module_name!r}: "
                "app names must be unique, rename one of them."
            )

        config = ormar.OrmarConfig(
            metadata=sqlalchemy.MetaData(naming_convention=dict(NAMING_CONVENTION)),
            database=cls.database,
        )
        cls._registry[name] = cls(
            name=name,
            module=module_name,
            module_file=module_file,
            config=config,
            migrations_dir=Path(migrations_dir) if migrations_dir is not None else None,
        )
        return config

    @classmethod
    def registered(cls) -> Mapping[str, OrmarApp]:
        """Every app declared so far, by name, in the order they were declared."""
        return MappingProxyType(cls._registry)

    @classmethod
    def get(cls, name: str) -> OrmarApp:
        """The app called ``name``.

        :raises AppError: no app has that name; the message lists the known ones.
        """
        try:
            return cls._registry[name]
        except KeyError:
            known = ", ".join(sorted(cls._registry)) or "none"
            raise AppError(f"Unknown app {name!r}; known apps: {known}.") from None

    @classmethod
    def of_metadata(cls, metadata: sqlalchemy.MetaData) -> OrmarApp | None:
        """The app owning ``metadata``, if any."""
        for app in cls._registry.values():
            if app.config.metadata is metadata:
                return app
        return None

    @classmethod
    def reset(cls) -> None:
        """Forget every app and start from a fresh, unconfigured connection (for tests)."""
        cls._registry.clear()
        cls.database = SharedDatabase()


def _module_file(module_name: str, caller_globals: Mapping[str, Any] | None) -> Path | None:
    file = caller_globals.get("__file__") if caller_globals is not None else None
    if file is None:
        module = sys.modules.get(module_name)
        file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


class _AppModelMetaclass(ModelMetaclass):
    """Gives app models their default table name, ``<app>_<model>s``, before ormar builds them."""

    def __new__(mcs, name: str, bases: Any, attrs: dict[str, Any], **kwargs: Any) -> type:
        config = attrs.get("ormar_config")
        if isinstance(config, ormar.OrmarConfig) and not config.abstract:
            app = OrmarApp.of_metadata(config.metadata) if config.metadata is not None else None
            if app is None:
                raise AppError(
                    f"Model {name!r} is not part of an app: set 'ormar_config = "
                    "ModelMeta.copy()' where ModelMeta = OrmarApp.create_app('<app name>')."
                )
            if not config.tablename:
                config.tablename = f"{app.name}_{name.lower()}s"
        # ormar annotates its metaclass argument as an instance of the metaclass.
        return super().__new__(mcs, name, bases, attrs, **kwargs)  # type: ignore[arg-type]


class AppModel(ormar.Model, metaclass=_AppModelMetaclass):
    """Base class of app models: an :class:`ormar.Model` whose table is named after its app.

    Give each subclass ``ormar_config = ModelMeta.copy()`` with the config
    :meth:`OrmarApp.create_app` returned; pass ``tablename=`` to ``copy()`` to choose the name.
    A table name longer than 63 characters is an :class:`~ormar_bot_core.errors.AppError`, and
    constraint and index names longer than that are shortened (see :mod:`ormar_bot_core.naming`).
    """

    ormar_config = ormar.OrmarConfig(abstract=True)
