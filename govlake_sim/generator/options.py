"""What one generation run is asked for and what it reports back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from govlake.settings import project_root

Progress = Callable[[str, int, int], None]


@dataclass
class GenerateOptions:
    sf: float = 0.01
    start: dt.date = dt.date(2026, 1, 1)
    days: int = 7
    defects: str = "default"  # default | none
    seed: int = 42
    out: Path = Path("generated")
    divisions: str = "real"  # real (shipped NBS 2020 list) | invented | path of a CSV


@dataclass
class FeedStats:
    files: int = 0
    bytes: int = 0
    rows: int = 0


@dataclass
class GenerationResult:
    out: Path
    residents: int
    seconds: float
    stats: dict[str, FeedStats] = field(default_factory=dict)
    defects: int = 0
    communities: int = 0
    divisions: str = "real"

    @property
    def total_rows(self) -> int:
        return sum(s.rows for s in self.stats.values())


def load_generator_config(path: Path | None = None) -> dict:
    return yaml.safe_load((path or project_root() / "infra" / "generator.yaml").read_text(encoding="utf-8"))

