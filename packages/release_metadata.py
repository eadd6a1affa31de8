"""Hatchling metadata hook shared by the three distributions (each links to this file).

The release version lives in one place, the ``VERSION`` file at the repository root. This hook
sets each distribution's version from it and writes the exact pin of the fork packages on the
core: ``{version}`` in the hook's ``dependencies`` option becomes the shared version. An sdist
carries the result in its PKG-INFO, which hatchling reads instead of running this hook again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface


class ReleaseMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        version = _shared_version(Path(self.root))
        metadata["version"] = version
        dependencies = self.config.get("dependencies", [])
        metadata["dependencies"] = [dep.replace("{version}", version) for dep in dependencies]


def _shared_version(project_root: Path) -> str:
    for folder in (project_root, *project_root.parents):
        candidate = folder / "VERSION"
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8").strip()
    raise FileNotFoundError(f"No VERSION file in {project_root} or above it")
