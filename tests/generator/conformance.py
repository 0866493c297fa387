"""Reads deliveries as a consumer would and checks rows against their contract (test helper).

The pipeline enforces the same rules in Spark (issue 4); this plain-Python version lets the
generator's tests check what it delivers without a Spark session.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from govlake.contracts import Contract, Table, parse_type
from govlake.divisions import DISTRICTS
from govlake.identity import is_valid_mobile, validate_id


@dataclass
class Delivery:
    feed: str
    table: Table
    path: Path
    day: dt.date
    headers: list[str]
    rows: list[dict]  # by contract column name (unknown headers kept under their delivered name)


def read_file(contract: Contract, path: Path, day: dt.date, lenient: bool = False) -> list[Delivery]:
    """``lenient`` reads damaged files as far as possible (invalid bytes replaced, a cut last line dropped)."""
    fmt = contract.delivery.format
    if fmt == "csv":
        text = path.read_bytes().decode(contract.delivery.encoding, errors="replace" if lenient else "strict")
        reader = csv.reader(io.StringIO(text))
        headers = next(reader)
        t = contract.table()
        by_source = {c.source: c.name for c in t.columns}
        rows = [{by_source.get(h, h): (v if v != "" else None) for h, v in zip(headers, r, strict=True)}
                for r in reader if not lenient or len(r) == len(headers)]
        return [Delivery(contract.feed, t, path, day, headers, rows)]
    if fmt in ("jsonl", "db_table", "json_api"):
        rows = []
        for x in path.read_text(encoding="utf-8", errors="replace" if lenient else "strict").splitlines():
            if x.strip():
                try:
                    rows.append(json.loads(x))
                except ValueError:
                    if not lenient:
                        raise
        headers = list(rows[0]) if rows else []
        return [Delivery(contract.feed, contract.table(), path, day, headers, rows)]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        tbl = pq.read_table(path)
        rows = tbl.to_pylist()
        for r in rows:
            for k, v in r.items():
                if isinstance(v, dt.datetime):
                    r[k] = v.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
                elif isinstance(v, dt.date):
                    r[k] = v.isoformat()
        return [Delivery(contract.feed, contract.table(), path, day, tbl.column_names, rows)]
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        out = []
        for t in contract.tables:
            ws = wb[t.sheet]
            it = ws.iter_rows(values_only=True)
            headers = list(next(it))
            by_source = {c.source: c.name for c in t.columns}
            rows = [{by_source.get(h, h): (None if v in ("", None) else str(v))
                     for h, v in zip(headers, r, strict=True)} for r in it]
            out.append(Delivery(contract.feed, t, path, day, headers, rows))
        return out
    raise ValueError(fmt)


def parse_ts(v: str) -> dt.datetime:
    v = v.replace("T", " ")
    if v.endswith("+08:00"):
        v = v[:-6]
    return dt.datetime.strptime(v[:19], "%Y-%m-%d %H:%M:%S")


def violations(d: Delivery, grids: set[str], communities: set[str]) -> list[tuple[str, str, str]]:
    """(rule, column, record key) for every rule a row breaks."""
    end_of_day = dt.datetime.combine(d.day, dt.time(23, 59, 59))
    out = []
    t = d.table
    for row in d.rows:
        key = "|".join(str(row.get(k)) for k in t.primary_key)
        for c in t.columns:
            v = row.get(c.name)
            kind = parse_type(c.type)
            if v is None or v == "":
                if "required" in c.rules:
                    out.append(("required", c.name, key))
                continue
            if isinstance(kind, tuple) and kind[0] == "array":
                for j, p in enumerate(v):
                    if "resident_id" in c.rules and p.get("id_number") and validate_id(p["id_number"], d.day):
                        out.append(("resident_id", f"persons[{j}].id_number", key))
                    if "mobile" in c.rules and p.get("mobile") and not is_valid_mobile(p["mobile"]):
                        out.append(("mobile", f"persons[{j}].mobile", key))
                continue
            s = str(v)
            if "resident_id" in c.rules and validate_id(s, d.day) is not None:
                out.append(("resident_id", c.name, key))
            if "mobile" in c.rules and not is_valid_mobile(s):
                out.append(("mobile", c.name, key))
            if "grid_code" in c.rules and s not in grids:
                out.append(("grid_code", c.name, key))
            if "community_code" in c.rules and s not in communities:
                out.append(("community_code", c.name, key))
            if "district_code" in c.rules and s not in DISTRICTS:
                out.append(("district_code", c.name, key))
            if "in_set" in c.rules and s not in (c.allowed or []):
                out.append(("in_set", c.name, key))
            if kind in ("timestamp", "date"):
                try:
                    when = parse_ts(s) if kind == "timestamp" else dt.datetime.combine(dt.date.fromisoformat(s),
                                                                                       dt.time())
                except ValueError:
                    out.append(("parseable", c.name, key))
                    continue
                if "not_future" in c.rules and when > end_of_day:
                    out.append(("not_future", c.name, key))
        if t.lifecycle:
            stamps = [(c, parse_ts(row[c])) for c in t.lifecycle.timestamps if row.get(c)]
            for (_a, ta), (b, tb) in itertools.pairwise(stamps):
                if tb < ta:
                    out.append(("lifecycle_order", b, key))
    return out


def deliveries(out: Path, contracts: dict[str, Contract], lenient: bool = False) -> list[Delivery]:
    result = []
    for feed, c in contracts.items():
        if c.delivery.mode == "file_drop":
            for path in sorted((out / "landing" / feed).glob("*/*")):
                result.extend(read_file(c, path, dt.date.fromisoformat(path.parent.name), lenient))
        elif c.delivery.mode == "db_watermark":
            for path in sorted((out / "urban_cases_db").glob("*.jsonl")):
                result.extend(read_file(c, path, dt.date.fromisoformat(path.stem), lenient))
        else:
            path = out / "police_api" / "incidents.jsonl"
            last = max(dt.date.fromisoformat(p.parent.name) for p in (out / "landing").glob("*/*/*"))
            result.extend(read_file(c, path, last, lenient))
    return result


def reference(out: Path) -> tuple[set[str], set[str]]:
    grids, comms = set(), set()
    with (out / "reference" / "divisions.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["level"] == "grid":
                grids.add(r["code"])
            elif r["level"] == "community":
                comms.add(r["code"])
    return grids, comms
