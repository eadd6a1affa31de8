"""Apps: one MetaData each, one shared connection, table names, reloads and duplicates."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import ormar
import pytest
import sqlalchemy
from ormar_bot_core import AppError, AppModel, DuplicateAppError, OrmarApp, OrmarManager

COG_SOURCE = """
import ormar
from ormar_bot_core import AppModel, OrmarApp

ModelMeta = OrmarApp.create_app("stars")

class Star(AppModel):
    ormar_config = ModelMeta.copy()
    id: int = ormar.Integer(primary_key=True)
    message_id: int = ormar.BigInteger()
"""


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("cogs_")]:
        del sys.modules[name]


def test_each_app_has_its_own_metadata_and_the_shared_connection() -> None:
    first = OrmarApp.create_app("first")
    second = OrmarApp.create_app("second")
    assert isinstance(first, ormar.OrmarConfig)
    assert isinstance(first.metadata, sqlalchemy.MetaData)
    assert first.metadata is not second.metadata
    assert first.database is second.database is OrmarApp.database

    class Note(AppModel):
        ormar_config = first.copy()
        id: int = ormar.Integer(primary_key=True)

    assert set(first.metadata.tables) == {"first_notes"}
    assert second.metadata.tables == {}
    assert OrmarApp.get("first").module == __name__
    assert OrmarApp.get("first").module_file == Path(__file__).resolve()


def test_default_table_names_have_no_dots_and_can_be_chosen() -> None:
    config = OrmarApp.create_app("example")

    class ExampleTable(AppModel):
        ormar_config = config.copy()
        id: int = ormar.Integer(primary_key=True)

    class Named(AppModel):
        ormar_config = config.copy(tablename="custom")
        id: int = ormar.Integer(primary_key=True)

    assert ExampleTable.ormar_config.tablename == "example_exampletables"
    assert Named.ormar_config.tablename == "custom"


def test_models_may_be_defined_before_the_manager(sqlite_url: str) -> None:
    config = OrmarApp.create_app("early")

    class Early(AppModel):
        ormar_config = config.copy()
        id: int = ormar.Integer(primary_key=True)

    manager = OrmarManager(sqlite_url)
    assert Early.ormar_config.database is manager.database
    assert manager.apps == {"early": config}


def test_a_model_outside_any_app_is_a_clear_error() -> None:
    with pytest.raises(AppError, match="'Loose' is not part of an app"):

        class Loose(AppModel):
            ormar_config = ormar.OrmarConfig(
                metadata=sqlalchemy.MetaData(), database=OrmarApp.database
            )
            id: int = ormar.Integer(primary_key=True)


@pytest.mark.parametrize("name", ["", "has space", "dotted.name", "1st", "dash-name"])
def test_invalid_app_names_are_refused(name: str) -> None:
    with pytest.raises(AppError, match="Invalid app name"):
        OrmarApp.create_app(name)


def test_unknown_app_lists_the_known_ones() -> None:
    OrmarApp.create_app("alpha")
    with pytest.raises(AppError, match="Unknown app 'beta'; known apps: alpha"):
        OrmarApp.get("beta")


def test_reloading_a_module_recreates_its_app(module_dir: Path) -> None:
    (module_dir / "cogs_stars.py").write_text(COG_SOURCE)
    module = importlib.import_module("cogs_stars")
    first_metadata = module.ModelMeta.metadata

    module = importlib.reload(module)

    app = OrmarApp.get("stars")
    assert app.metadata is module.ModelMeta.metadata is not first_metadata
    assert set(app.metadata.tables) == {"stars_stars"}


def test_same_app_name_in_another_module_is_refused(module_dir: Path) -> None:
    (module_dir / "cogs_one.py").write_text(COG_SOURCE)
    (module_dir / "cogs_two.py").write_text(COG_SOURCE)
    importlib.import_module("cogs_one")
    with pytest.raises(DuplicateAppError) as caught:
        importlib.import_module("cogs_two")
    assert str(caught.value) == (
        "App 'stars' is declared in both 'cogs_one' and 'cogs_two': app names must be unique, "
        "rename one of them."
    )


def test_migrations_dir_can_be_set_per_app(tmp_path: Path) -> None:
    OrmarApp.create_app("custom", migrations_dir=tmp_path / "history")
    assert OrmarApp.get("custom").migrations_dir == tmp_path / "history"
