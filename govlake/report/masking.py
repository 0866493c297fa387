"""Masking for the steward report: resident IDs, mobiles and other direct identifiers are masked
before any value reaches a page (``mask_id``, ``mask_mobile``, ``mask_text``, ``scrub``, ``mask_record``).
Pure: plain Python data in, plain data out."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govlake.contracts import Column, Pii, Table, parse_type

REDACTED = "[redacted]"

# \d matches full-width digits too (str patterns are Unicode); bounded by anything but ASCII
# letters and digits, so hex tokens and longer codes (15-digit grid codes) are left alone.
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86)?1[3-9]\d{9}(?![0-9A-Za-z])")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
_DIGIT_RUN = re.compile(r"(?<![A-Za-z])\d{6,}[\dXx](?![A-Za-z])")


def _keep_ends(v: str, head: int, tail: int) -> str:
    if len(v) <= head + tail:
        return "*" * len(v)
    return v[:head] + "*" * (len(v) - head - tail) + (v[-tail:] if tail else "")


def mask_id(v: str) -> str:
    """Resident ID: first 6 (the area code) and last 1 kept: ``420102***********3``."""
    return _keep_ends(v.strip(), 6, 1)


def mask_mobile(v: str) -> str:
    """Mobile: first 3 and last 4 kept: ``138****5678``."""
    return _keep_ends(v.strip(), 3, 4)


def mask_text(v: str) -> str:
    """A name, an address or another direct identifier: the first character and one ``*``."""
    v = v.strip()
    return f"{v[0]}*" if len(v) > 1 else "*" * len(v)


def scrub(text: str) -> str:
    """Mask anything that looks like a resident ID or a mobile wherever it stands (defence in
    depth for fields the contract does not classify: schema drift, reasons, free text)."""
    text = ID_LIKE.sub(lambda m: mask_id(m.group()), text)
    return MOBILE_LIKE.sub(lambda m: mask_mobile(m.group()), text)


def mask_unmapped(text: str) -> str:
    """Text that cannot be mapped to contract columns (a malformed or cut record): every run of
    Chinese characters keeps its first character, every run of 7+ digits its first 3 and last 1."""
    text = _CJK_RUN.sub(lambda m: mask_text(m.group()), text)
    return _DIGIT_RUN.sub(lambda m: _keep_ends(m.group(), 3, 1), text)


def column_kind(column: Column) -> str | None:
    """How a contract column is masked: id | mobile | text | nested | sensitive | None (shown).
    (A field outside the contract is ``unmapped``: masked as by ``mask_unmapped``.)"""
    if column.pii is Pii.DIRECT:
        if isinstance(parse_type(column.type), tuple):
            return "nested"
        if "resident_id" in column.rules or column.name.endswith("id_number"):
            return "id"
        if "mobile" in column.rules or "mobile" in column.name:
            return "mobile"
        return "text"
    if column.pii is Pii.SENSITIVE:
        return "sensitive"
    return None


def key_kind(key: str) -> str | None:
    """Masking for a field no contract column describes (nested struct fields, added columns)."""
    k = key.lower()
    if any(x in k for x in ("id_number", "idcard", "id_card", "身份证", "证件号")):
        return "id"
    if any(x in k for x in ("mobile", "phone", "电话", "手机")):
        return "mobile"
    if any(x in k for x in ("name", "姓名", "名字", "联系人", "address", "地址", "住址")):
        return "text"
    return None


def mask_value(value: Any, kind: str | None, shown: bool = False) -> Any:
    """Mask one delivered value by its kind; nested lists/objects are masked field by field.
    ``shown``: a sensitive value named by a violation is kept (identifiers are masked anyway)."""
    if value is None or value == "":
        return value
    if isinstance(value, dict):
        return {k: mask_value(v, key_kind(k) or (None if kind in (None, "nested") else kind), shown)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v, kind, shown) for v in value]
    if kind == "nested" and isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.dumps(mask_value(json.loads(value), "nested", shown), ensure_ascii=False)
        except ValueError:
            return mask_unmapped(value)
    if isinstance(value, bool):
        return value
    text = str(value)
    if kind == "id":
        return mask_id(text)
    if kind == "mobile":
        return mask_mobile(text)
    if kind in ("text", "nested"):
        return mask_text(text)
    if kind == "sensitive" and not shown:
        return REDACTED
    if kind == "unmapped":
        return mask_unmapped(scrub(text))
    masked = scrub(text)
    return value if masked == text else masked


@dataclass
class MaskedRecord:
    fields: list[tuple[str, str, bool]] | None  # (delivered field, masked value, named by a violation)
    text: str  # the masked record in its delivered form (CSV line or JSON object)


def mask_record(record: str | None, fmt: str, table: Table | None, header: list[str] | None,
                violated: Iterable[str] = ()) -> MaskedRecord:
    """The delivered record with every direct identifier masked: CSV fields are mapped to contract
    columns by the delivery's header (``column.source``), JSON objects by key; what cannot be
    mapped is masked wholesale (``mask_unmapped``). ``violated``: contract column names a
    violation names (highlighted; a sensitive value there is shown)."""
    if record is None:
        return MaskedRecord(None, "(record not decodable: bytes kept in bronze)")
    by_source = {c.source: c for c in table.columns} if table else {}
    bad = {v.split("[", 1)[0] for v in violated if v}

    def one(name: str, value: Any) -> tuple[Any, bool]:
        col = by_source.get(name)  # a field no contract column describes is masked by its name or wholesale
        kind = column_kind(col) if col else (key_kind(name) or "unmapped")
        hit = bool(col and col.name in bad)
        return mask_value(value, kind, shown=hit), hit

    if fmt == "csv":
        try:
            values = next(csv.reader([record]), [])
        except csv.Error:
            values = None
        if not header or values is None or len(values) != len(header):
            return MaskedRecord(None, mask_unmapped(scrub(record)))
        out = [(h, *one(h, v)) for h, v in zip(header, values, strict=True)]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow([m for _, m, _ in out])
        return MaskedRecord([(h, str(m), hit) for h, m, hit in out], buf.getvalue())
    try:
        obj = json.loads(record)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        return MaskedRecord(None, mask_unmapped(scrub(record)))
    masked = {k: one(k, v) for k, v in obj.items()}
    shown = [(k, _show(m), hit) for k, (m, hit) in masked.items()]
    return MaskedRecord(shown, json.dumps({k: m for k, (m, _) in masked.items()}, ensure_ascii=False))


def _show(v: Any) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def parse_header(fmt: str, raw: str | None, table: Table | None) -> list[str] | None:
    """The delivered header of one table: a CSV header line, or for XLSX a JSON {sheet: [headers]}."""
    if not raw:
        return None
    try:
        if fmt == "csv":
            return next(csv.reader(io.StringIO(raw)), None)
        if fmt == "xlsx" and table is not None:
            return json.loads(raw).get(table.sheet)
    except (csv.Error, ValueError, AttributeError):
        return None
    return None
