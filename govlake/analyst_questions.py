"""The analyst questions: one file each in the dbt project's ``analyses/`` folder (dbt's place for
analyst SQL), ``<id>.sql``. A file opens with a header of SQL comments, then holds the query — Trino
SQL over ``lakehouse.gold.*``, no Jinja, so dbt only carries it::

    -- Analyst question 3: …            (free comment lines: the explanation)
    -- question: 3                      (its number; the listing is in this order)
    -- title: Police incidents per 10,000 residents by district …
    -- rows: any                        (optional: an empty answer is a true answer on some data)
    SELECT …

``govlake ask`` lists and runs them; the integration test that keeps them true and the latency
benchmark read them from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from govlake.errors import GovlakeError
from govlake.settings import Settings, load_settings, project_root

_KEY = re.compile(r"--\s*(?P<key>question|title|rows)\s*:\s*(?P<value>.*?)\s*$")
_ID = re.compile(r"[\w.-]+")
_KIND = re.compile(r"--\s*Analyst question\b", re.I)


@dataclass(frozen=True)
class Question:
    id: str
    sql: str
    may_be_empty: bool  # rows: any — an empty answer is a true answer on some data (e.g. a small city)
    title: str
    number: int = 0
    explanation: str = ""
    path: Path | None = None

    def for_schema(self, catalog: str, schema: str) -> str:
        """The SQL with ``lakehouse.gold.`` pointed at another catalog and schema (a sandbox)."""
        return re.sub(r"\blakehouse\.gold\.", f"{catalog}.{schema}.", self.sql)


def analyses_dir(settings: Settings | None = None) -> Path:
    """``<dbt project>/analyses`` (the project folder from ``settings.dbt.project_dir``)."""
    p = (settings or load_settings()).dbt.project_dir
    return (p if p.is_absolute() else project_root() / p) / "analyses"


def parse(path: Path) -> Question:
    """One ``analyses/<id>.sql`` file: its comment header, then the SQL (without a trailing ``;``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    keys: dict[str, str] = {}
    notes: list[str] = []
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("--") or not lines[i].strip()):
        line = lines[i].strip()
        m = _KEY.fullmatch(line)
        if m:
            keys[m["key"]] = m["value"]
        elif line.startswith("--") and not _KIND.match(line):  # the explanation (not the "Analyst question" line)
            notes.append(line[2:].strip())
        i += 1
    sql = "\n".join(lines[i:]).strip().rstrip(";").strip()
    qid = path.stem
    if not _ID.fullmatch(qid):
        raise GovlakeError(f"{path}: a question id (the file name) is letters, digits, '.', '-' or '_'")
    if not keys.get("title"):
        raise GovlakeError(f"{path}: no '-- title: …' line in the comment header")
    if not sql:
        raise GovlakeError(f"{path}: no SQL after the comment header")
    try:
        number = int(keys.get("question", "0"))
    except ValueError:
        raise GovlakeError(f"{path}: '-- question:' must be a number, not {keys['question']!r}") from None
    return Question(id=qid, sql=sql, may_be_empty=keys.get("rows", "").lower() == "any", title=keys["title"],
                    number=number, explanation=" ".join(n for n in notes if n), path=path)


def load(folder: Path | None = None, settings: Settings | None = None) -> list[Question]:
    """Every question of the analyses folder, by number then id. Ids (file names) are unique."""
    folder = folder or analyses_dir(settings)
    if not folder.is_dir():
        raise GovlakeError(f"no analyst questions: {folder} is not a folder")
    out = [parse(p) for p in sorted(folder.glob("*.sql"))]
    ids = [q.id.lower() for q in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise GovlakeError(f"duplicate analyst-question ids in {folder}: {dup}")
    return sorted(out, key=lambda q: (q.number, q.id))


def find(question_id: str, questions: list[Question] | None = None) -> Question:
    """The question with this id, or a GovlakeError that says how to list them."""
    for q in questions if questions is not None else load():
        if q.id == question_id:
            return q
    raise GovlakeError(f"no analyst question {question_id!r}; `govlake ask` lists the ids")
