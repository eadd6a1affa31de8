"""The seed page's "Standalone" example, in both orders of manager and model import."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ormar_bot_core import OrmarManager

from tests.core.helpers import create_tables

MODELS = """
import ormar
from ormar_bot_core import AppModel, OrmarApp

ModelMeta = OrmarApp.create_app("mycog")

class MyModel(AppModel):
    ormar_config = ModelMeta.copy()
    id: int = ormar.Integer(primary_key=True)
    message: str = ormar.Text()
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    package = tmp_path / "mycog"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.split(".")[0] == "mycog"]:
        del sys.modules[name]


@pytest.mark.parametrize("manager_first", [True, False], ids=["manager-first", "models-first"])
async def test_standalone_example(project: Path, manager_first: bool) -> None:
    url = f"sqlite:///{project / 'db.sqlite'}"
    if manager_first:  # the order the seed page demanded
        manager = OrmarManager(url)
        models = importlib.import_module("mycog.models")
    else:  # the order it could not support
        models = importlib.import_module("mycog.models")
        manager = OrmarManager(url)

    # later once async has started
    await manager.start()
    await create_tables(manager)
    await models.MyModel.objects.create(message="hi")
    assert [row.message for row in await models.MyModel.objects.all()] == ["hi"]
    await manager.close()
