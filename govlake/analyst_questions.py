"""The analyst questions of README.md ("For analysts"): each is a fenced ```sql block right after a
``<!-- analyst-question: <id> [rows=any] -->`` marker. The test that keeps the README true and the
latency benchmark both read them from here, so the README stays the single source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from govlake.settings import project_root

MARKER = re.compile(r"<!--\s*analyst-question:\s*(?P<id>[\w.-]+)(?P<opts>[^>]*?)\s*-->\s*\n```sql\n(?P<sql>.*?)```",
                    re.S)


@dataclass(frozen=True)
class Question:
    id: str
    sql: str
    may_be_empty: bool  # rows=any: an empty answer is a true answer on some data (e.g. a small city)

    def for_schema(self, catalog: str, schema: str) -> str:
        """The SQL with ``lakehouse.gold.`` pointed at another catalog and schema (a sandbox)."""
        return re.sub(r"\blakehouse\.gold\.", f"{catalog}.{schema}.", self.sql)


def load(readme: Path | None = None) -> list[Question]:
    text = (readme or project_root() / "README.md").read_text(encoding="utf-8")
    out = [Question(m["id"], m["sql"].strip().rstrip(";"), "rows=any" in m["opts"]) for m in MARKER.finditer(text)]
    ids = [q.id for q in out]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate analyst-question ids in README: {sorted(i for i in ids if ids.count(i) > 1)}")
    return out
