"""Deliveries as departments send them: the contract's format and encoding, plus recorded defects.

Records are first rendered to their delivered text form (CSV/JSON) or typed form (Parquet/XLSX);
defects are injected on that form and each one is written to the ground-truth sidecar
(``ground_truth/defects.jsonl``), which the pipeline never reads and the tests do.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from govlake.contracts import Contract, Table
from govlake.divisions import FUNCTION_ZONES
from govlake.identity import to_legacy15

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
TS_FORMAT = "%Y-%m-%d %H:%M:%S"
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass
class Sidecar:
    """Ground truth of every injected defect, in generation order."""

    rows: list[dict] = field(default_factory=list)

    def add(self, kind: str, feed: str, day: dt.date, **detail) -> None:
        self.rows.append({"kind": kind, "feed": feed, "day": day.isoformat(), **detail})

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as f:
            for r in self.rows:
                f.write(json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) + "\n")


def _text(v, fmt: str | None, kind: str) -> str | None:
    if v is None or (not isinstance(v, list | dict | str) and pd.isna(v)):
        return None
    if kind == "timestamp":
        return pd.Timestamp(v).strftime(_py(fmt) if fmt else TS_FORMAT)
    if kind == "date":
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer() and kind in ("int", "bigint"):
        return str(int(v))
    return str(v)


def _py(java_fmt: str) -> str:
    return (java_fmt.replace("yyyy", "%Y").replace("MM", "%m").replace("dd", "%d").replace("HH", "%H")
            .replace("mm", "%M").replace("ss", "%S"))


def render_text(df: pd.DataFrame, table: Table) -> list[dict]:
    """Typed frame → list of {column: text or None} in contract order (CSV/JSON delivered form)."""
    out = []
    kinds = {c.name: (c.type if c.type in ("timestamp", "date", "int", "bigint") else "other") for c in table.columns}
    cols = [c for c in table.columns if c.name in df.columns]
    for rec in df.to_dict("records"):
        out.append({c.name: _text(rec[c.name], c.format, kinds[c.name]) for c in cols})
    return out


def iso_local(v) -> str | None:
    if v is None or pd.isna(v):
        return None
    return pd.Timestamp(v).strftime("%Y-%m-%dT%H:%M:%S+08:00")


class Injector:
    """Applies the configured defect rates to rendered rows of one delivery."""

    def __init__(self, rates: dict, rng: np.random.Generator, sidecar: Sidecar, feed: str, day: dt.date,
                 delivery: str, enabled: bool):
        self.r, self.rng, self.sc, self.feed, self.day, self.delivery = rates, rng, sidecar, feed, day, delivery
        self.enabled = enabled

    def hit(self, kind: str) -> bool:
        return self.enabled and self.rng.random() < self.r.get(kind, 0)

    def note(self, kind: str, key: str | None, column: str | None = None, original=None, injected=None,
             **extra) -> None:
        self.sc.add(kind, self.feed, self.day, delivery=self.delivery, record_key=key, column=column,
                    original=original, injected=injected, **extra)

    def bad_id(self, value: str | None, key: str, column: str) -> str | None:
        """Maybe replace a valid ID by one of the ID defect kinds (returns the delivered text)."""
        if not value or not self.enabled:
            return value
        roll = self.rng.random()
        r = self.r
        if value.endswith("X") and self.rng.random() < r["id_lowercase_x"]:
            new = value[:-1] + "x"
            self.note("id_lowercase_x", key, column, value, new)
            return new
        edges = np.cumsum([r["id_bad_check_char"], r["id_15_digit"], r["id_fullwidth"], r["impossible_birth_date"]])
        if roll < edges[0]:
            chars = [c for c in "0123456789X" if c != value[-1]]
            new = value[:-1] + chars[int(self.rng.integers(0, len(chars)))]
            self.note("id_bad_check_char", key, column, value, new)
            return new
        if roll < edges[1] and value[6:8] == "19":
            new = to_legacy15(value)
            self.note("id_15_digit", key, column, value, new)
            return new
        if roll < edges[2]:
            new = value.translate(FULLWIDTH)
            self.note("id_fullwidth", key, column, value, new)
            return new
        if roll < edges[3]:
            new = value[:10] + "1332" + value[14:]  # month 13, day 32
            self.note("impossible_birth_date", key, column, value, new)
            return new
        return value

    def bad_mobile(self, value: str | None, key: str, column: str) -> str | None:
        if value and self.hit("malformed_mobile"):
            variants = [value[:-1], value + "8", "2" + value[1:], value[:3] + "-" + value[3:7] + "-abc"]
            new = variants[int(self.rng.integers(0, len(variants)))]
            self.note("malformed_mobile", key, column, value, new)
            return new
        return value

    def bad_code(self, value: str | None, key: str, column: str) -> str | None:
        if not value:
            return value
        if self.hit("unknown_grid_code"):
            new = value[:-3] + "999" if len(value) == 15 else value[:-3] + "998"
            self.note("unknown_grid_code", key, column, value, new)
            return new
        if self.hit("function_zone_code"):
            zone = list(FUNCTION_ZONES)[int(self.rng.integers(0, len(FUNCTION_ZONES)))]
            new = zone + value[6:]
            self.note("function_zone_code", key, column, value, new)
            return new
        return value


def apply_row_defects(rows: list[dict], table: Table, inj: Injector, now_text: str,
                      stable_seed: int | None = None) -> list[dict]:
    """Per-record defects on rendered rows: IDs, mobiles, codes, future timestamps, lifecycle order,
    missing required values, exact duplicates. Returns the delivered rows (duplicates appended).

    ``stable_seed`` makes the choice a function of the record key (full snapshots: a record that is
    wrong in the register arrives wrong every day, not a new random record each day)."""
    pk = table.primary_key
    out = []
    ts_cols = [c.name for c in table.columns if c.type == "timestamp"]
    lifecycle = table.lifecycle.timestamps if table.lifecycle else []
    required = [c.name for c in table.columns if "required" in c.rules and c.name not in pk]
    for row in rows:
        key = "|".join(str(row.get(k)) for k in pk)
        first_note = len(inj.sc.rows)
        if stable_seed is not None:
            inj.rng = np.random.default_rng([stable_seed, zlib.crc32(key.encode())])
        for c in table.columns:
            if c.name not in row or row[c.name] is None:
                continue
            if "resident_id" in c.rules and c.type == "string":
                row[c.name] = inj.bad_id(row[c.name], key, c.name)
            elif "mobile" in c.rules and c.type == "string":
                row[c.name] = inj.bad_mobile(row[c.name], key, c.name)
            elif ("grid_code" in c.rules or "community_code" in c.rules) and c.type == "string":
                row[c.name] = inj.bad_code(row[c.name], key, c.name)
        date_cols = [c.name for c in table.columns if c.type == "date" and "not_future" in c.rules]
        if (ts_cols or date_cols) and inj.hit("future_timestamp"):
            cands = [c for c in ts_cols + date_cols if row.get(c)]
            col = cands[-1] if cands else None
            if col:
                # 30 days after the delivery day: a date of birth shifted by 30 days is still in the past
                new = (inj.day + dt.timedelta(days=30)).isoformat() if col in date_cols and len(row[col]) == 10 \
                    else _shift_text(row[col], days=30)
                inj.note("future_timestamp", key, col, row[col], new)
                row[col] = new
        if len([c for c in lifecycle if row.get(c)]) >= 2 and inj.hit("lifecycle_out_of_order"):
            present = [c for c in lifecycle if row.get(c)]
            a, b = present[0], present[1]
            new = _shift_text(row[a], hours=-6)
            inj.note("lifecycle_out_of_order", key, b, row[b], new, after=a)
            row[b] = new
        if required and inj.hit("missing_required"):
            col = required[int(inj.rng.integers(0, len(required)))]
            inj.note("missing_required", key, col, row[col], None)
            row[col] = None
        delivered_key = "|".join(str(row.get(k)) for k in pk)
        for note in inj.sc.rows[first_note:]:  # where a consumer finds the record (its key may be damaged)
            note["delivered_key"] = delivered_key
        out.append(row)
        if inj.hit("exact_duplicate"):
            inj.note("exact_duplicate", key)
            out.append(dict(row))
    return out


def _shift_text(text: str, days: int = 0, hours: int = 0) -> str:
    """Shift a delivered timestamp text, keeping its layout."""
    if len(text) == 10:  # a date
        return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()
    iso = "T" in text
    base = text.replace("T", " ")[:19]
    t = dt.datetime.strptime(base, TS_FORMAT) + dt.timedelta(days=days, hours=hours)
    s = t.strftime(TS_FORMAT)
    return s.replace(" ", "T") + text[19:] if iso else s


# ---------------------------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------------------------
def csv_bytes(rows: list[dict], headers: list[str], names: list[str], encoding: str) -> list[bytes]:
    """Header + one encoded line per row (kept separate so file-level defects can touch lines)."""
    lines = []
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    lines.append(buf.getvalue().encode(encoding if encoding != "utf-8-sig" else "utf-8"))
    for r in rows:
        buf.seek(0)
        buf.truncate()
        w.writerow(["" if r.get(n) is None else r[n] for n in names])
        lines.append(buf.getvalue().encode("gbk" if encoding == "gbk" else "utf-8", errors="strict"))
    if encoding == "utf-8-sig":
        lines[0] = b"\xef\xbb\xbf" + lines[0]
    return lines


def jsonl_bytes(rows: list[dict]) -> list[bytes]:
    return [(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8") for r in rows]


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(lines))


def deterministic_zip(path: Path, fixed: dt.datetime) -> None:
    """Rewrite an XLSX (zip) with fixed entry times and document dates: same input, same bytes."""
    src = zipfile.ZipFile(path)
    entries = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    src.close()
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp.encode()
                              + rb"\g<3>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def contract_headers(table: Table, names: list[str]) -> list[str]:
    by = {c.name: c.source for c in table.columns}
    return [by[n] for n in names]


def feed_path(contract: Contract, landing: Path, day: dt.date, hour: int | None = None, week: str = "") -> Path:
    pattern = contract.delivery.path or ""
    rel = pattern.format(date=day.isoformat(), hour=f"{hour:02d}" if hour is not None else "", week=week)
    return landing / rel
