"""Pull-mode deliveries (HTTP cursor API, database watermark): pure helpers, no Spark, no I/O.

A pull delivery is *range-addressed*: the records whose update time lies in one half-open range
``(range_from, range_to]`` of the source's update column. A delivery day D is the Asia/Shanghai day
``(D-1 24:00 +08:00, D 24:00 +08:00]`` — the same edges the police API uses (``updated_since``
exclusive, ``until`` inclusive) and the watermark query uses (``> from AND <= to``). The delivery id
is derived from (feed, range) only, so the same range pulled again has the same id: that is what
makes a pull idempotent (see ``spark_jobs/jobs/bronze_http_cursor.py``).

Records keep their text as received: an API item is the exact JSON text of that item in the page
body; a database row becomes a JSON object (column names as keys, in the query's column order) with
timestamps as local wall-clock text ``YYYY-MM-DD HH:MM:SS`` — the form the contract reads as local
Asia/Shanghai time (``contract_rules.parse_column`` without a ``format``).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from spark_jobs.transforms.bronze import RawRecord

SOURCE_ZONE = "Asia/Shanghai"

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


@dataclass(frozen=True)
class PullRange:
    """One delivery range of a feed: records with ``start < update time <= end`` (aware datetimes)."""

    feed: str
    day: dt.date  # the delivery day (``_delivered_on``)
    start: dt.datetime  # exclusive
    end: dt.datetime  # inclusive

    @property
    def range_from(self) -> str:
        return self.start.isoformat()

    @property
    def range_to(self) -> str:
        return self.end.isoformat()

    @property
    def local_from(self) -> dt.datetime:
        """The lower edge as naive local wall-clock time (for a database holding local timestamps)."""
        return self.start.replace(tzinfo=None)

    @property
    def local_to(self) -> dt.datetime:
        return self.end.replace(tzinfo=None)

    @property
    def delivery_id(self) -> str:
        return range_delivery_id(self.feed, self.range_from, self.range_to)

    def __str__(self) -> str:
        return f"{self.feed} ({self.range_from}, {self.range_to}]"


def day_range(feed: str, day: dt.date, zone: str = SOURCE_ZONE) -> PullRange:
    """Delivery day D in ``zone``: (D 00:00, D+1 00:00] local, as aware datetimes in that zone."""
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(), tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    return PullRange(feed, day, start, end)


def day_ranges(feed: str, start: dt.date, days: int, zone: str = SOURCE_ZONE) -> list[PullRange]:
    return [day_range(feed, start + dt.timedelta(days=i), zone) for i in range(days)]


def range_delivery_id(feed: str, range_from: str, range_to: str) -> str:
    """Range-addressed and readable: ``<feed>:<from>..<to>``; the same range always gets the same id."""
    return f"{feed}:{range_from}..{range_to}"


def api_source(endpoint: str, cursor_param: str, r: PullRange) -> str:
    """The readable ``_source_file`` / ``ops.deliveries.source`` of an API range pull."""
    return f"api:{endpoint}?{cursor_param}={r.range_from}&until={r.range_to}"


def db_source(table: str, watermark_column: str, r: PullRange) -> str:
    """The readable source of a watermark pull, with the local edges the query used."""
    return f"db:{table}?{watermark_column}=({r.local_from.isoformat(sep=' ')},{r.local_to.isoformat(sep=' ')}]"


def page_url(base_url: str, endpoint: str, cursor_param: str, r: PullRange, limit: int,
             cursor: str | None = None) -> str:
    """One page request of a range (parameters URL-encoded: the ``+`` of ``+08:00`` becomes ``%2B``)."""
    params = {cursor_param: r.range_from, "until": r.range_to, "limit": str(limit)}
    if cursor is not None:
        params["cursor"] = cursor
    return f"{base_url.rstrip('/')}{endpoint}?{urlencode(params)}"


def page_items(body: str) -> tuple[list[str], str | None]:
    """A page body ``{"items": [...], "next_cursor": ...}`` → (the exact text of each item, next cursor).

    Raises ValueError when the body is not such a page (not JSON, items not a list of objects, a
    cursor that is not a string or null).
    """
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as e:
        raise ValueError(f"page is not JSON ({e.msg} at char {e.pos})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ValueError("page is not an object with an 'items' list")
    if not all(isinstance(x, dict) for x in doc["items"]):
        raise ValueError("page items must be JSON objects")
    cursor = doc.get("next_cursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise ValueError("next_cursor must be a non-empty string or null")
    if "count" in doc and doc["count"] != len(doc["items"]):
        raise ValueError(f"page says count={doc['count']} but holds {len(doc['items'])} items")
    texts = _item_texts(body)
    if len(texts) != len(doc["items"]):
        raise ValueError("page items could not be delimited")
    return texts, cursor


def _skip(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def _item_texts(body: str) -> list[str]:
    """Slices of ``body`` holding the elements of the top-level ``items`` array (body is valid JSON)."""
    i = _skip(body, 0) + 1  # past "{"
    out: list[str] | None = None
    while True:
        i = _skip(body, i)
        if body[i] == "}":
            return out or []
        key, i = _DECODER.raw_decode(body, i)
        i = _skip(body, _skip(body, i) + 1)  # past ":"
        if key == "items":
            if out is not None:  # json.loads keeps the last of repeated keys: which page is meant?
                raise ValueError("page has more than one 'items' member")
            out = []
            i = _skip(body, i + 1)  # past "["
            while body[i] != "]":
                start = i
                _, i = _DECODER.raw_decode(body, i)
                out.append(body[start:i])
                i = _skip(body, i)
                if body[i] == ",":
                    i = _skip(body, i + 1)
            i += 1
        else:
            _, i = _DECODER.raw_decode(body, i)
        i = _skip(body, i)
        if body[i] == ",":
            i += 1


def pulled_records(items: Sequence[str | Mapping[str, Any]]) -> list[RawRecord]:
    """Pulled items in pull order → bronze records; line = 1-based position within the whole pull.

    A text item is kept exactly as received; a mapping is written as compact JSON in its key order.
    """
    out = []
    for i, item in enumerate(items, start=1):
        text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, separators=(",", ":"))
        out.append(RawRecord(i, text, None, None))
    return out


def local_text(v: dt.datetime, zone: str = SOURCE_ZONE) -> str:
    """A timestamp as local wall-clock text ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (aware → converted to ``zone``)."""
    if v.tzinfo is not None and v.utcoffset() is not None:
        v = v.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return v.isoformat(sep=" ")


def _db_value(v: Any, zone: str) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, dt.datetime):
        return local_text(v, zone)
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal | uuid.UUID):
        return str(v)  # exact text, not a float
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, list | tuple):
        return [_db_value(x, zone) for x in v]
    if isinstance(v, dict):
        return {str(k): _db_value(x, zone) for k, x in v.items()}
    return str(v)


def db_row_json(columns: Sequence[str], row: Sequence[Any], zone: str = SOURCE_ZONE) -> str:
    """A database row as a JSON object: column names as keys (query order), timestamps as local text."""
    if len(columns) != len(row):
        raise ValueError(f"{len(columns)} column names for a row of {len(row)} values")
    return json.dumps({c: _db_value(v, zone) for c, v in zip(columns, row, strict=True)},
                      ensure_ascii=False, separators=(",", ":"))


def db_header(records: Sequence[RawRecord]) -> str | None:
    """The column names of a watermark pull (the keys of its first record, in order) as JSON; None when empty."""
    return json.dumps(list(json.loads(records[0].record)), ensure_ascii=False) if records else None


def pull_digest(records: Sequence[RawRecord]) -> tuple[str, int]:
    """(sha256, bytes) of a pull: its record texts as UTF-8 JSON Lines (each text + ``\\n``), in order.

    Computed the same way from bronze rows (ordered by ``_line``), so a recovered delivery gets the
    digest the original pull would have recorded.
    """
    data = b"".join((r.record or "").encode("utf-8") + b"\n" for r in records)
    return hashlib.sha256(data).hexdigest(), len(data)
