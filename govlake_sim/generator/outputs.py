"""The run-level files under ``--out`` beside the feed drops: what the police API stand-in serves,
the division code table, the manifest; and clearing a previous city's folders."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd

from govlake.divisions import Hierarchy
from govlake_sim.generator.delivery import jsonl_bytes, write_lines
from govlake_sim.generator.options import FeedStats, GenerateOptions

OUTPUT_DIRS = ("landing", "police_api", "urban_cases_db", "reference", "ground_truth")


def clear_outputs(out: Path) -> None:
    """A new city replaces the previous one: stale dates of a longer earlier run must not mix in.
    Only the generator's own sub-folders are removed, never ``out`` itself."""
    for name in OUTPUT_DIRS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)


def write_police_api(out: Path, start: dt.date, days: int, police_rows: list[dict]) -> FeedStats:
    """``police_api/incidents.jsonl``: every version of every incident, in the API's cursor order."""
    path = out / "police_api" / "incidents.jsonl"
    seen: set[tuple[str, str]] = set()
    rows = []
    last = (start + dt.timedelta(days=days - 1)).isoformat()
    for r in police_rows:  # one version per (incident, updated_at): the API's cursor key
        k = (r["incident_id"], r["updated_at"])
        if r["updated_at"][:10] > last:  # status changes after the simulated period have not happened
            continue
        if k not in seen:
            seen.add(k)
            rows.append(r)
    rows.sort(key=lambda r: (r["updated_at"], r["incident_id"]))
    write_lines(path, jsonl_bytes(rows))
    return FeedStats(files=1, bytes=path.stat().st_size, rows=len(rows))


def write_reference(out: Path, hierarchy: Hierarchy) -> None:
    """Master data the departments share: the five-level division table including the grids
    (a code table for the pipeline, not ground truth)."""
    path = out / "reference" / "divisions.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["level", "code", "name", "parent_code"])
        for level in ("district", "street", "community", "grid"):
            for d in hierarchy.level(level):
                w.writerow([d.level, d.code, d.name, d.parent_code])


def write_manifest(o: GenerateOptions, hierarchy: Hierarchy, residents: int, stats: dict[str, FeedStats],
                   defects: list[dict]) -> None:
    """``ground_truth/manifest.json``: the arguments, and files, bytes and rows per feed, defects per kind."""
    manifest = {
        "arguments": {"sf": o.sf, "start": o.start.isoformat(), "days": o.days, "defects": o.defects,
                      "seed": o.seed},
        "divisions": hierarchy.source if hierarchy.source == "invented" else "wuhan_divisions.csv",
        "residents": residents,
        "feeds": {k: vars(v) for k, v in sorted(stats.items())},
        "defects": dict(sorted(pd.Series([r["kind"] for r in defects], dtype=object)
                               .value_counts().to_dict().items())),
    }
    (o.out / "ground_truth" / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
