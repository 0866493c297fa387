"""The police incident API stand-in, exercised over real loopback HTTP."""

from __future__ import annotations

import base64
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta, timezone

import pytest

from govlake_sim.police_api import PoliceApi, load_versions, make_server

CST = timezone(timedelta(hours=8))
BASE = datetime(2026, 1, 1, 8, 0, 0, tzinfo=CST)
T_TIE = BASE + timedelta(hours=2)  # first version of incidents 0..4: five versions share one timestamp
T1 = BASE + timedelta(days=1, hours=2)  # second version of incidents 2 and 14 (both have a third, later one)
STATUSES = ["已受理", "处置中", "已办结", "已回访"]
TOKEN = "s3cret-token"
CHINESE_NAME = "张三"


def _iso(dt: datetime, utc: bool) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if utc else dt.astimezone(CST).isoformat()


def _make_versions() -> list[dict]:
    versions = []
    for i in range(25):
        incident_id = f"JQ4201022026010100{i:02d}"
        for k in range(1 + i % 4):
            t = (T_TIE if i < 5 else BASE + timedelta(minutes=30 * i)) if k == 0 else (
                BASE + timedelta(days=k, hours=i % 6)
            )
            v = {
                "incident_id": incident_id,
                "updated_at": _iso(t, utc=(i + k) % 3 == 0),  # mix 'Z' and '+08:00' spellings
                "status": STATUSES[k],
                "category_code": f"0{i % 5 + 1}",
                "grid_code": f"420102{i % 7:03d}",
                "involved_persons": [{"name": f"person-{i}", "role": "caller"}],
            }
            if i == 3:
                v["description"] = "某小区邻里纠纷，民警已到场调解"
                v["involved_persons"] = [{"name": CHINESE_NAME, "role": "报警人"}]
            versions.append(v)
    return versions


def _key(v: dict) -> tuple[datetime, str]:
    return datetime.fromisoformat(v["updated_at"]).astimezone(UTC), v["incident_id"]


def _expected(since: datetime | None = None, until: datetime | None = None) -> list[dict]:
    """Brute force: filter and sort every version."""
    out = [
        v for v in VERSIONS
        if (since is None or _key(v)[0] > since) and (until is None or _key(v)[0] <= until)
    ]
    return sorted(out, key=_key)


VERSIONS = _make_versions()


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    lines = [json.dumps(v, ensure_ascii=False) for v in VERSIONS]
    random.Random(42).shuffle(lines)
    lines.insert(7, "   ")  # blank lines are ignored
    path = tmp_path_factory.mktemp("police") / "incidents.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _serve(data_file, token=None):
    server = make_server(data_file, token=token)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def base_url(data_file):
    server, thread = _serve(data_file)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def secured_url(data_file):
    server, thread = _serve(data_file, token=TOKEN)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _get(url: str, path: str, params: dict | None = None, headers: dict | None = None, raw_query: str | None = None):
    query = raw_query if raw_query is not None else urllib.parse.urlencode(params or {})
    req = urllib.request.Request(f"{url}{path}" + (f"?{query}" if query else ""), headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            status, hdrs, body = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, body = e.code, e.headers, e.read()
    return status, hdrs, json.loads(body.decode("utf-8")), body


def _pull(url: str, limit: int, headers: dict | None = None, **filters) -> tuple[list[dict], int]:
    """Follow next_cursor to the end; returns all items and the number of pages."""
    items, cursor, pages = [], None, 0
    params = {k: v.isoformat() for k, v in filters.items()}
    while True:
        q = dict(params, limit=limit, **({"cursor": cursor} if cursor else {}))
        status, _, body, _ = _get(url, "/api/v1/incidents", q, headers)
        assert status == 200, body
        assert body["count"] == len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert body["count"] == limit  # a non-final page is full
        assert pages < 1000


def test_data_has_ties_and_updates():
    # guard the fixture itself, so the tests below exercise what they claim to
    assert sum(1 for v in VERSIONS if _key(v)[0] == T_TIE) == 5
    assert 60 <= len(VERSIONS) <= 70 and len({v["incident_id"] for v in VERSIONS}) == 25


def test_health(base_url):
    status, hdrs, body, _ = _get(base_url, "/health")
    assert status == 200
    assert hdrs["Content-Type"] == "application/json; charset=utf-8"
    assert body == {"status": "ok", "versions": len(VERSIONS), "incidents": 25}


def test_paging_returns_every_version_once_in_order(base_url):
    items, pages = _pull(base_url, 7)
    expected = _expected()
    assert items == expected
    assert pages == -(-len(expected) // 7)
    assert len({(v["incident_id"], v["updated_at"]) for v in items}) == len(VERSIONS)
    keys = [_key(v) for v in items]
    assert keys == sorted(keys)
    # the tie group is ordered by incident_id
    tie_ids = [v["incident_id"] for v in items if _key(v)[0] == T_TIE]
    assert tie_ids == [f"JQ4201022026010100{i:02d}" for i in range(5)]


def test_single_page_when_limit_covers_everything(base_url):
    status, _, body, _ = _get(base_url, "/api/v1/incidents", {"limit": len(VERSIONS)})
    assert status == 200 and body["count"] == len(VERSIONS) and body["next_cursor"] is None
    status, _, body, _ = _get(base_url, "/api/v1/incidents", {"limit": len(VERSIONS) - 1})
    assert body["next_cursor"] is not None
    # the cursor is urlsafe base64 of {"t", "id"} of the last item
    cursor = body["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    last = body["items"][-1]
    assert decoded["id"] == last["incident_id"]
    assert datetime.fromisoformat(decoded["t"]) == _key(last)[0]
    status, _, body, _ = _get(base_url, "/api/v1/incidents", {"limit": 10, "cursor": cursor})
    assert body["items"] == _expected()[-1:] and body["next_cursor"] is None


def test_since_is_exclusive_and_until_inclusive(base_url):
    at_tie = [v for v in VERSIONS if _key(v)[0] == T_TIE]
    # until=T_TIE includes all five tied versions; paging with limit 2 cuts inside the tie group
    items, _ = _pull(base_url, 2, until=T_TIE)
    assert items == _expected(until=T_TIE)
    assert items[-5:] == sorted(at_tie, key=_key)
    # updated_since=T_TIE excludes all of them; the boundary may be spelled in any offset
    items, _ = _pull(base_url, 3, updated_since=T_TIE.astimezone(UTC))
    assert items == _expected(since=T_TIE)
    assert not any(_key(v)[0] == T_TIE for v in items)
    # both bounds at once
    items, _ = _pull(base_url, 4, updated_since=T_TIE, until=T1)
    assert items == _expected(since=T_TIE, until=T1)
    assert _key(items[-1])[0] == T1
    # an empty window
    status, _, body, _ = _get(base_url, "/api/v1/incidents", {"updated_since": T1.isoformat(), "until": T1.isoformat()})
    assert status == 200 and body == {"items": [], "next_cursor": None, "count": 0}


def test_incremental_pulls(base_url):
    first, _ = _pull(base_url, 7, until=T1)
    second, _ = _pull(base_url, 7, updated_since=T1)
    assert first + second == _expected()
    assert not {(v["incident_id"], v["updated_at"]) for v in first} & {
        (v["incident_id"], v["updated_at"]) for v in second
    }
    assert any(_key(v)[0] == T1 for v in first) and not any(_key(v)[0] == T1 for v in second)
    # the second pull carries status updates of incidents first seen in the first pull
    seen_first = {v["incident_id"]: v for v in first}  # keeps the latest version per incident
    updated = [v for v in second if v["incident_id"] in seen_first]
    assert {"JQ420102202601010002", "JQ420102202601010014"} <= {v["incident_id"] for v in updated}
    for v in updated:
        earlier = seen_first[v["incident_id"]]
        assert _key(v)[0] > _key(earlier)[0]
        assert STATUSES.index(v["status"]) > STATUSES.index(earlier["status"])


def test_chinese_text_passes_through_unescaped(base_url):
    status, hdrs, body, raw = _get(base_url, "/api/v1/incidents", {"limit": 5000})
    assert status == 200 and hdrs["Content-Type"] == "application/json; charset=utf-8"
    assert CHINESE_NAME.encode("utf-8") in raw and b"\\u" not in raw
    served = [v for v in body["items"] if v["incident_id"] == "JQ420102202601010003"]
    assert served == sorted((v for v in VERSIONS if v["incident_id"] == "JQ420102202601010003"), key=_key)
    assert served[0]["involved_persons"][0]["name"] == CHINESE_NAME
    # the original updated_at spelling is kept, not rewritten to UTC
    assert {v["updated_at"] for v in body["items"]} == {v["updated_at"] for v in VERSIONS}


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"updated_since": "2026-01-01T08:00:00"}, "updated_since"),
        ({"until": "2026-01-01T08:00:00"}, "until"),
        ({"until": "yesterday"}, "until"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "garbage!!"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"not json").decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'{"t": "2026-01-01T00:00:00", "id": "x"}').decode()}, "cursor"),
        ({"page": "2"}, "page"),
        ({"limit": ""}, "limit"),
    ],
)
def test_bad_requests_are_400_with_a_message(base_url, query, fragment):
    status, hdrs, body, _ = _get(base_url, "/api/v1/incidents", query)
    assert status == 400
    assert hdrs["Content-Type"] == "application/json; charset=utf-8"
    assert set(body) == {"error"} and fragment in body["error"]


def test_unencoded_plus_in_offset_gets_a_hint(base_url):
    status, _, body, _ = _get(base_url, "/api/v1/incidents", raw_query="updated_since=2026-01-01T08:00:00+08:00")
    assert status == 400 and "%2B" in body["error"]


def test_repeated_parameter_is_400(base_url):
    status, _, body, _ = _get(base_url, "/api/v1/incidents", raw_query="limit=5&limit=6")
    assert status == 400 and "more than once" in body["error"]


def test_unknown_path_is_404_json(base_url):
    for path in ("/nope", "/api/v2/incidents", "/api/v1/incidents/JQ1"):
        status, hdrs, body, _ = _get(base_url, path)
        assert status == 404 and "error" in body
        assert hdrs["Content-Type"] == "application/json; charset=utf-8"


def test_token_required_on_api(secured_url):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        status, hdrs, body, _ = _get(secured_url, "/api/v1/incidents", {"limit": 1}, headers)
        assert status == 401, headers
        assert hdrs["WWW-Authenticate"] == "Bearer"
        assert body["error"]
    status, _, body, _ = _get(secured_url, "/api/v1/incidents", {"limit": 1}, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and body["count"] == 1
    items, _ = _pull(secured_url, 50, {"Authorization": f"Bearer {TOKEN}"})
    assert items == _expected()
    status, _, body, _ = _get(secured_url, "/health")
    assert status == 200 and body["status"] == "ok"
    status, _, _, _ = _get(secured_url, "/nope")
    assert status == 404


def test_page_direct_validation(data_file):
    api = PoliceApi.from_file(data_file)
    with pytest.raises(ValueError, match="limit"):
        api.page(None, None, None, 0)
    with pytest.raises(ValueError, match="limit"):
        api.page(None, None, None, 5001)
    with pytest.raises(ValueError, match="aware"):
        api.page(datetime(2026, 1, 1), None, None, 10)
    with pytest.raises(ValueError, match="cursor"):
        api.page(None, None, "%%%", 10)
    page = api.page(None, None, None, 5000)
    assert page["items"] == _expected() and page["next_cursor"] is None


def test_load_versions_sorts_and_keeps_objects(data_file):
    versions = load_versions(data_file)
    assert versions == _expected()


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('{"updated_at": "2026-01-01T08:00:00+08:00"}', "incident_id"),
        ('{"incident_id": "JQ9"}', "updated_at"),
        ('{"incident_id": "JQ9", "updated_at": "2026-01-01T08:00:00"}', "offset"),
        ('["JQ9", "2026-01-01T08:00:00+08:00"]', "object"),
    ],
)
def test_bad_line_fails_naming_the_line(tmp_path, bad_line, fragment):
    good = json.dumps(VERSIONS[0], ensure_ascii=False)
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{good}\n\n{bad_line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3") as e:
        load_versions(path)
    assert fragment in str(e.value)
    with pytest.raises(ValueError, match="line 3"):
        make_server(path)


def test_duplicate_version_is_rejected(tmp_path):
    v = VERSIONS[0]
    same_instant = dict(v, updated_at=datetime.fromisoformat(v["updated_at"]).astimezone(CST).isoformat())
    path = tmp_path / "dup.jsonl"
    path.write_text(json.dumps(v) + "\n" + json.dumps(same_instant) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2.*duplicate.*line 1"):
        load_versions(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_main_serves_and_exits_cleanly_on_sigterm(data_file, tmp_path):
    port = _free_port()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "govlake_sim.police_api", "--data", str(data_file), "--port", str(port),
         "--token-file", str(token_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                status, _, body, _ = _get(url, "/health")
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not come up within 10 s"
                time.sleep(0.05)
        assert status == 200 and body["versions"] == len(VERSIONS)
        assert proc.stdout.readline().strip() == f"police api: serving {len(VERSIONS)} versions on {url}"
        assert _get(url, "/api/v1/incidents")[0] == 401
        assert _get(url, "/api/v1/incidents", {"limit": 3}, {"Authorization": f"Bearer {TOKEN}"})[2]["count"] == 3
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_main_reports_a_bad_data_file(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "govlake_sim.police_api", "--data", str(path), "--port", "0"],
        capture_output=True, text=True, timeout=10,
    )
    assert r.returncode == 1 and "line 1" in r.stderr and "Traceback" not in r.stderr
