"""Where Workbench keeps its files: platformdirs by default, one folder when --data-dir is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Workbench"


@dataclass(frozen=True, slots=True)
class DataPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "workbench.db"

    @property
    def settings(self) -> Path:
        return self.root / "settings.ini"

    @property
    def endpoints(self) -> Path:
        return self.root / "endpoints.json"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> DataPaths:
        self.root.mkdir(parents=True, exist_ok=True)
        return self


def default_data_paths() -> DataPaths:
    return DataPaths(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def data_paths(override: str | Path | None) -> DataPaths:
    paths = DataPaths(Path(override).expanduser().resolve()) if override else default_data_paths()
    return paths.ensure()
