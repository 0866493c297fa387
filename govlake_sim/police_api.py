"""A loopback stand-in for the city police department's paginated incident ("警情") JSON API.

The data file is JSON Lines: one object per line, each one *version* of an incident with at least
``incident_id`` and ``updated_at`` (ISO 8601 with an offset). All other fields pass through unchanged.

Endpoints::

    GET /health                 -> {"status": "ok", "versions": N, "incidents": M}   (no auth)
    GET /api/v1/incidents?updated_since=ISO&until=ISO&cursor=C&limit=N
                                -> {"items": [...], "next_cursor": C | null, "count": n}

Items are ordered by (updated_at as UTC, incident_id); ``updated_since`` is exclusive, ``until`` inclusive.
``cursor`` is opaque: urlsafe base64 (unpadded) of JSON ``{"t": <utc iso>, "id": <incident_id>}``.

Run: ``python -m govlake_sim.police_api --data FILE [--host H] [--port P] [--token-file F]``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import hmac
import json
import re
import signal
import sys
import threading
import traceback
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

MIN_LIMIT = 1
MAX_LIMIT = 5000
DEFAULT_LIMIT = 500
INCIDENTS_PATH = "/api/v1/incidents"
HEALTH_PATH = "/health"
QUERY_PARAMS = ("updated_since", "until", "cursor", "limit")

_CURSOR_RE = re.compile(r"[A-Za-z0-9_-]+={0,2}")

Key = tuple[datetime, str]


def parse_aware(value: str) -> datetime:
    """An ISO 8601 timestamp with an offset (``Z`` allowed), as an aware UTC datetime; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"timestamp must be a string, got {type(value).__name__}")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset (add e.g. 'Z' or '+08:00')")
    return dt.astimezone(UTC)


def load_versions(path: str | Path) -> list[dict[str, Any]]:
    """Read, validate and sort the JSON Lines file at ``path``.

    Returns the original objects sorted by (updated_at as UTC, incident_id). Blank lines are skipped; a line
    that is not a JSON object, lacks ``incident_id``/``updated_at``, has an unparsable or offset-less
    ``updated_at``, or repeats an (incident_id, updated_at) pair raises ValueError naming the line number.
    """
    path = Path(path)
    keyed: list[tuple[Key, dict[str, Any]]] = []
    seen: dict[Key, int] = {}
    with path.open(encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}: line {lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{where}: expected a JSON object, got {type(obj).__name__}")
            missing = [k for k in ("incident_id", "updated_at") if k not in obj]
            if missing:
                raise ValueError(f"{where}: missing required key(s) {', '.join(missing)}")
            incident_id = obj["incident_id"]
            if not isinstance(incident_id, str) or not incident_id:
                raise ValueError(f"{where}: incident_id must be a non-empty string")
            try:
                ts = parse_aware(obj["updated_at"])
            except ValueError as e:
                raise ValueError(f"{where}: bad updated_at: {e}") from None
            key = (ts, incident_id)
            if key in seen:
                raise ValueError(
                    f"{where}: duplicate version of {incident_id} at {obj['updated_at']} (first seen on line "
                    f"{seen[key]}); the (updated_at, incident_id) pair must be unique for cursor paging"
                )
            seen[key] = lineno
            keyed.append((key, obj))
    keyed.sort(key=lambda kv: kv[0])
    return [obj for _, obj in keyed]


def encode_cursor(ts: datetime, incident_id: str) -> str:
    payload = json.dumps({"t": ts.astimezone(UTC).isoformat(), "id": incident_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> Key:
    """The (UTC datetime, incident_id) key inside ``cursor``; ValueError if it is not one this API issued."""
    bad = ValueError("cursor is malformed; pass back next_cursor exactly as returned")
    if not isinstance(cursor, str) or not _CURSOR_RE.fullmatch(cursor):
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        obj = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    if not isinstance(obj, dict) or set(obj) != {"t", "id"}:
        raise bad
    t, incident_id = obj["t"], obj["id"]
    if not isinstance(incident_id, str) or not incident_id or not isinstance(t, str):
        raise bad
    try:
        return parse_aware(t), incident_id
    except ValueError:
        raise bad from None


def _as_utc(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


class PoliceApi:
    """Sorted incident versions and the paging logic of ``/api/v1/incidents``."""

    def __init__(self, versions: list[dict[str, Any]]) -> None:
        keyed = sorted((((parse_aware(v["updated_at"]), v["incident_id"]), v) for v in versions), key=lambda kv: kv[0])
        self._keys: list[Key] = [k for k, _ in keyed]
        for a, b in zip(self._keys, self._keys[1:], strict=False):
            if a == b:
                raise ValueError(f"duplicate version of {a[1]} at {a[0].isoformat()}")
        self._times: list[datetime] = [k[0] for k in self._keys]
        self.versions: list[dict[str, Any]] = [v for _, v in keyed]
        self.incident_count = len({k[1] for k in self._keys})

    @classmethod
    def from_file(cls, path: str | Path) -> PoliceApi:
        return cls(load_versions(path))

    def __len__(self) -> int:
        return len(self.versions)

    def page(
        self,
        updated_since: datetime | None,
        until: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> dict[str, Any]:
        """One page: versions with updated_since < updated_at <= until, after ``cursor``, at most ``limit``."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not MIN_LIMIT <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be an integer from {MIN_LIMIT} to {MAX_LIMIT}")
        since = _as_utc("updated_since", updated_since)
        upper = _as_utc("until", until)
        start = 0 if since is None else bisect.bisect_right(self._times, since)
        if cursor is not None:
            start = max(start, bisect.bisect_right(self._keys, decode_cursor(cursor)))
        end_all = len(self._keys) if upper is None else bisect.bisect_right(self._times, upper)
        end = min(start + limit, end_all)
        if start >= end:
            return {"items": [], "next_cursor": None, "count": 0}
        items = self.versions[start:end]
        next_cursor = encode_cursor(*self._keys[end - 1]) if end < end_all else None
        return {"items": items, "next_cursor": next_cursor, "count": len(items)}


class _HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PoliceApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: PoliceApi, token: str | None) -> None:
        self.api = api
        self.token = token
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: PoliceApiServer
    server_version = "govlake-police-api/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request access log; errors go through log_error."""

    def log_error(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"police api: {self.address_string()} {format % args}\n")
        sys.stderr.flush()

    def _send_json(self, status: HTTPStatus, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        try:
            status, body = self._route()
            self._send_json(status, body)
        except _HttpError as e:
            extra = {"WWW-Authenticate": "Bearer"} if e.status == HTTPStatus.UNAUTHORIZED else None
            self._send_json(e.status, {"error": e.message}, extra)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "Internal server error."})

    def _not_allowed(self) -> None:
        self._send_json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "Only GET is supported."}, {"Allow": "GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _not_allowed

    def _route(self) -> tuple[HTTPStatus, dict[str, Any]]:
        url = urlsplit(self.path)
        api = self.server.api
        if url.path == HEALTH_PATH:
            return HTTPStatus.OK, {"status": "ok", "versions": len(api), "incidents": api.incident_count}
        if url.path.startswith("/api/"):
            self._check_auth()
            if url.path == INCIDENTS_PATH:
                return HTTPStatus.OK, self._incidents(url.query)
        raise _HttpError(HTTPStatus.NOT_FOUND, f"No such endpoint: {url.path}.")

    def _check_auth(self) -> None:
        token = self.server.token
        if token is None:
            return
        header = self.headers.get("Authorization")
        if header is None:
            raise _HttpError(HTTPStatus.UNAUTHORIZED, "Missing Authorization header; send 'Bearer <token>'.")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise _HttpError(HTTPStatus.UNAUTHORIZED, "Invalid bearer token.")

    def _incidents(self, query: str) -> dict[str, Any]:
        try:
            params = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query), errors="strict")
        except (ValueError, UnicodeDecodeError):
            raise _HttpError(HTTPStatus.BAD_REQUEST, "The query string is malformed.") from None
        unknown = sorted(set(params) - set(QUERY_PARAMS))
        if unknown:
            raise _HttpError(
                HTTPStatus.BAD_REQUEST,
                f"Unknown query parameter(s) {', '.join(unknown)}; allowed: {', '.join(QUERY_PARAMS)}.",
            )
        values: dict[str, str] = {}
        for name, vals in params.items():
            if len(vals) != 1:
                raise _HttpError(HTTPStatus.BAD_REQUEST, f"Query parameter {name} is given more than once.")
            if not vals[0]:
                raise _HttpError(HTTPStatus.BAD_REQUEST, f"Query parameter {name} is empty.")
            values[name] = vals[0]

        bounds: dict[str, datetime | None] = {}
        for name in ("updated_since", "until"):
            raw = values.get(name)
            try:
                bounds[name] = None if raw is None else parse_aware(raw)
            except ValueError as e:
                hint = " (a '+' in the offset must be sent URL-encoded as %2B)" if raw and " " in raw else ""
                raise _HttpError(HTTPStatus.BAD_REQUEST, f"Parameter {name}: {e}{hint}.") from None

        raw_limit = values.get("limit")
        limit = DEFAULT_LIMIT
        if raw_limit is not None:
            if not re.fullmatch(r"[0-9]{1,9}", raw_limit) or not MIN_LIMIT <= int(raw_limit) <= MAX_LIMIT:
                raise _HttpError(
                    HTTPStatus.BAD_REQUEST, f"Parameter limit must be an integer from {MIN_LIMIT} to {MAX_LIMIT}."
                )
            limit = int(raw_limit)

        try:
            return self.server.api.page(bounds["updated_since"], bounds["until"], values.get("cursor"), limit)
        except ValueError as e:
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"Parameter cursor: {e}.") from None


def make_server(
    data_path: str | Path, host: str = "127.0.0.1", port: int = 0, token: str | None = None
) -> ThreadingHTTPServer:
    """Load ``data_path`` and bind (not yet serve) the API on host:port (0 = any free port)."""
    if token is not None and not token:
        raise ValueError("token must not be empty")
    api = PoliceApi.from_file(data_path)
    return PoliceApiServer((host, port), api, token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m govlake_sim.police_api", description="Serve police incident versions over HTTP."
    )
    parser.add_argument("--data", required=True, type=Path, help="JSON Lines file of incident versions")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default 0 = any free port, printed on start)")
    parser.add_argument("--token-file", type=Path, help="file holding the bearer token /api/ requires")
    args = parser.parse_args(argv)

    token = None
    try:
        if args.token_file is not None:
            token = args.token_file.read_text(encoding="utf-8").strip()
            if not token:
                raise ValueError(f"token file {args.token_file} is empty")
        server = make_server(args.data, args.host, args.port, token)
    except (OSError, ValueError) as e:
        print(f"police api: {e}", file=sys.stderr, flush=True)
        return 1

    stop = threading.Event()
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous: dict[int, Any] = {}
    if in_main_thread:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda _signum, _frame: stop.set())

    host, port = server.server_address[:2]
    worker = threading.Thread(target=server.serve_forever, name="police-api", daemon=True)
    worker.start()
    print(f"police api: serving {len(server.api)} versions on http://{host}:{port}", flush=True)
    try:
        while not stop.wait(1.0) and worker.is_alive():
            pass
    finally:
        server.shutdown()
        server.server_close()
        worker.join(timeout=5)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
