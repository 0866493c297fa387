"""Bronze: every record of a delivery exactly as it came (pure functions, no Spark, no I/O).

A file drop becomes one bronze record per physical record: CSV/JSONL lines (the header line is kept
in ``ops.deliveries``), Parquet rows and XLSX sheet rows as JSON text. A line that does not decode
in the contract's encoding keeps its bytes (base64) and the decoder's error; a last line without a
line break (a truncated file) is kept and flagged. Nothing that arrives is dropped.

``bronze_arrow`` lays the records of one or more deliveries out as the bronze table's columns (an
Arrow table; ``spark_jobs.io.append_bronze`` stamps ``_ingested_at`` and commits it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class RawRecord:
    line: int  # 1-based physical line (CSV/JSONL; the header is line 1) or row number
    record: str | None  # decoded text (None only when the bytes are not text at all)
    raw_b64: str | None  # the original bytes, when they did not decode
    problem: str | None  # decode_error | unterminated_last_line
    sheet: str | None = None


def delivery_id(feed: str, sha256: str) -> str:
    """Content-addressed: the same bytes delivered again get the same id (and are skipped)."""
    return f"{feed}:{sha256[:20]}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_text(data: bytes, encoding: str, has_header: bool) -> tuple[str | None, list[RawRecord]]:
    """Lines of a text delivery → (header, records). Handles a UTF-8 BOM, CRLF and a cut last line."""
    codec = {"utf-8-sig": "utf-8", "gbk": "gbk", "utf-8": "utf-8"}[encoding]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    parts = data.split(b"\n")
    unterminated = parts[-1] != b""
    if not unterminated:
        parts = parts[:-1]
    header = None
    out: list[RawRecord] = []
    for i, raw in enumerate(parts, start=1):
        raw = raw.removesuffix(b"\r")
        last = i == len(parts)
        try:
            text, b64, problem = raw.decode(codec), None, None
        except UnicodeDecodeError as e:
            text = raw.decode(codec, errors="replace")
            b64, problem = base64.b64encode(raw).decode("ascii"), f"decode_error: {e.reason} at byte {e.start}"
        if last and unterminated and problem is None:
            problem = "unterminated_last_line"
        if has_header and i == 1:
            header = text
            continue
        if raw.strip() == b"" and problem is None:
            continue  # blank separator lines are not records
        out.append(RawRecord(i, text, b64, problem))
    return header, out


def parquet_records(rows: list[dict]) -> list[RawRecord]:
    return [RawRecord(i, json.dumps(r, ensure_ascii=False, default=_json_default, sort_keys=False), None, None)
            for i, r in enumerate(rows, start=1)]


def xlsx_records(sheets: dict[str, list[tuple]]) -> tuple[dict[str, list[str]], list[RawRecord]]:
    """{sheet: rows incl. header} → ({sheet: header}, records as JSON objects keyed by header)."""
    headers: dict[str, list[str]] = {}
    out: list[RawRecord] = []
    for sheet, rows in sheets.items():
        if not rows:
            continue
        head = ["" if h is None else str(h) for h in rows[0]]
        headers[sheet] = head
        for i, r in enumerate(rows[1:], start=2):
            obj = {h: v for h, v in zip(head, r, strict=False)}
            out.append(RawRecord(i, json.dumps(obj, ensure_ascii=False, default=_json_default), None, None, sheet))
    return headers, out


def _json_default(v):
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return str(v)


def bronze_arrow(deliveries: Iterable[tuple[str, str, dt.date, Sequence[RawRecord]]]) -> pa.Table:
    """(delivery id, source, delivered on, records) of each delivery → one Arrow table with the bronze
    columns ``_delivery_id, _source_file, _line, _sheet, _record, _raw_b64, _problem, _delivered_on``
    (``_line`` int32, ``_delivered_on`` date32, the rest strings), records in the order given."""
    import pyarrow as pa

    cols: dict[str, list] = {k: [] for k in ("_delivery_id", "_source_file", "_line", "_sheet", "_record",
                                             "_raw_b64", "_problem", "_delivered_on")}
    for did, source, delivered_on, records in deliveries:
        n = len(records)
        cols["_delivery_id"] += [did] * n
        cols["_source_file"] += [source] * n
        cols["_line"] += [r.line for r in records]
        cols["_sheet"] += [r.sheet for r in records]
        cols["_record"] += [r.record for r in records]
        cols["_raw_b64"] += [r.raw_b64 for r in records]
        cols["_problem"] += [r.problem for r in records]
        cols["_delivered_on"] += [delivered_on] * n
    types = {"_line": pa.int32(), "_delivered_on": pa.date32()}
    return pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in cols.items()})
