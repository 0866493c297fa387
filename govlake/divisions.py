"""The five-level hierarchy: city → district → street → community → grid.

Districts, streets and communities come from the real Wuhan list shipped with govlake
(``govlake/reference/wuhan_divisions.csv``: National Bureau of Statistics division codes as of
2020-06-30; source and vintage in ``govlake/reference/README.md``). An invented hierarchy (the 13
real districts with generated streets and communities) is available only when asked for by name
(``load_divisions("invented")``). Grids (网格) have no public list: they are generated under each
community with stable codes (community code + 3 digits).
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CITY_CODE = "4201"
LEVELS = ("district", "street", "community", "grid")
CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}

# GB/T 2260 districts of Wuhan (public facts; the same 13 as the reference CSV)
DISTRICTS = {
    "420102": "江岸区", "420103": "江汉区", "420104": "硚口区", "420105": "汉阳区", "420106": "武昌区",
    "420107": "青山区", "420111": "洪山区", "420112": "东西湖区", "420113": "汉南区", "420114": "蔡甸区",
    "420115": "江夏区", "420116": "黄陂区", "420117": "新洲区",
}
# Function-zone codes some local systems use; not in the national table (a realistic conflict).
FUNCTION_ZONES = {"420118": "武汉开发区", "420119": "东湖开发区", "420120": "东湖风景区"}
REFERENCE_CSV = Path(__file__).resolve().parent / "reference" / "wuhan_divisions.csv"
URBAN_DISTRICTS = {"420102", "420103", "420104", "420105", "420106", "420107", "420111"}


class DivisionError(ValueError):
    pass


@dataclass(frozen=True)
class Division:
    level: str
    code: str
    name: str
    parent_code: str


@dataclass
class Hierarchy:
    source: str
    by_code: dict[str, Division] = field(default_factory=dict)

    def add(self, d: Division) -> None:
        if d.level not in LEVELS:
            raise DivisionError(f"unknown level {d.level!r} for {d.code}")
        if len(d.code) != CODE_LENGTH[d.level] or not (d.code.isascii() and d.code.isdigit()):
            raise DivisionError(f"{d.level} code {d.code!r} must be {CODE_LENGTH[d.level]} digits")
        if d.code in self.by_code:
            raise DivisionError(f"duplicate division code {d.code}")
        self.by_code[d.code] = d

    def level(self, level: str) -> list[Division]:
        return sorted((d for d in self.by_code.values() if d.level == level), key=lambda d: d.code)

    def children(self, code: str) -> list[Division]:
        return sorted((d for d in self.by_code.values() if d.parent_code == code), key=lambda d: d.code)

    def ancestors(self, code: str) -> dict[str, str]:
        """{level: code} from the given node up to the district."""
        out: dict[str, str] = {}
        node = self.by_code.get(code)
        while node is not None:
            out[node.level] = node.code
            node = self.by_code.get(node.parent_code)
        return out

    def validate(self) -> None:
        parent_level = {"district": None, "street": "district", "community": "street", "grid": "community"}
        for d in self.by_code.values():
            want = parent_level[d.level]
            if want is None:
                if d.parent_code != CITY_CODE:
                    raise DivisionError(f"district {d.code} has parent {d.parent_code}, not {CITY_CODE}")
                continue
            parent = self.by_code.get(d.parent_code)
            if parent is None or parent.level != want:
                raise DivisionError(f"{d.level} {d.code} has no {want} parent {d.parent_code}")
            if not d.code.startswith(d.parent_code):
                raise DivisionError(f"{d.level} {d.code} does not extend its parent code {d.parent_code}")


def is_standard_street(code: str) -> bool:
    """街道/镇/乡 (7th digit 0–3) rather than a special statistical unit (development zone …)."""
    return code[6] in "0123"


def is_urban_community(code: str) -> bool:
    """Urban 居委会 (10th digit 0/1) rather than a village 村委会 (2)."""
    return code[9] in "01"


def load_divisions(source: str | Path = "real", seed: int = 42) -> Hierarchy:
    """The division hierarchy: ``"real"`` (the shipped NBS 2020 list, the default), ``"invented"``
    (generated under the 13 real districts with ``seed``), or the path of a CSV with the columns
    ``level, code, name, parent_code``."""
    if str(source) == "invented":
        return generated_divisions(seed)
    path = REFERENCE_CSV if str(source) == "real" else Path(source)
    if not path.is_file():
        raise DivisionError(f"division list {path} not found (give 'real', 'invented' or an existing CSV)")
    h = Hierarchy(source="real" if path == REFERENCE_CSV else str(path))
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            h.add(Division(row["level"], row["code"], row["name"], row["parent_code"]))
    h.validate()
    return h


def generated_divisions(seed: int = 42) -> Hierarchy:
    """13 real districts; 8–20 streets each; 10–30 communities per street (villages outside the core)."""
    rng = random.Random(seed)
    h = Hierarchy(source="invented")
    for dcode, dname in DISTRICTS.items():
        h.add(Division("district", dcode, dname, CITY_CODE))
        urban = dcode in URBAN_DISTRICTS
        for s in range(1, rng.randint(8, 20) + 1):
            scode = f"{dcode}{s:03d}"
            h.add(Division("street", scode, f"{dname[:-1]}第{s}街道", dcode))
            for c in range(1, rng.randint(10, 30) + 1):
                village = not urban and rng.random() < 0.6
                ccode = f"{scode}{2 if village else 0}{c:02d}"
                h.add(Division("community", ccode, f"{s}街{c}{'村' if village else '社区'}", scode))
    h.validate()
    return h


def add_grids(h: Hierarchy, households: Mapping[str, int], per_grid: int = 400) -> None:
    """Grids under each community: ceil(households / per_grid) of them (at least one), codes
    community code + 001, 002, … — stable for the same household counts."""
    if per_grid <= 0:
        raise DivisionError("per_grid must be positive")
    for comm in h.level("community"):
        n = max(1, math.ceil(households.get(comm.code, 0) / per_grid))
        if n > 999:
            raise DivisionError(f"community {comm.code} would need {n} grids (max 999)")
        for g in range(1, n + 1):
            h.add(Division("grid", f"{comm.code}{g:03d}", f"{comm.name}第{g}网格", comm.code))
