"""Department systems govlake stands in for, on the real platform: the urban-management database and
the police API service started by `make up`."""

import json
import urllib.error
import urllib.request

import pytest

from govlake.settings import load_settings
from govlake_sim import urban_db
from govlake_sim.generator import GenerateOptions, generate
from govlake_sim.services import PoliceApiService


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("city")
    generate(GenerateOptions(sf=0.005, days=4, defects="none", seed=3, out=out))
    return out


def test_urban_cases_table_receives_inserts_and_updates_across_days(generated, monkeypatch):
    monkeypatch.setenv("GOVLAKE_FEEDS__URBAN_DB", "urban_mgmt_it")
    s = load_settings()
    files = urban_db.day_files(generated)
    assert len(files) == 4
    with urban_db.connect(s) as conn:
        urban_db.reset_table(conn)
        loads = []
        for f in files:
            loads.append(urban_db.apply_day(conn, urban_db.read_day(f), f.stem))
            with conn.cursor() as cur:
                cur.execute("SELECT count(*), max(updated_at)::date::text FROM public.um_cases")
                count, newest = cur.fetchone()
            assert count == sum(x.inserted for x in loads)
            assert newest == f.stem  # the watermark column advances with the department's day
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM public.um_cases WHERE status = '结案' AND closed_at IS NOT NULL")
            closed = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM public.um_cases WHERE updated_at < reported_at")
            backwards = cur.fetchone()[0]
    assert all(x.inserted > 0 for x in loads)
    assert all(x.updated > 0 for x in loads[1:])  # cases opened earlier move on through their lifecycle
    assert closed > 0 and backwards == 0


def test_police_api_service_serves_with_a_token():
    s = load_settings()
    svc = PoliceApiService(s)
    st = svc.status()
    assert st.healthy, st.detail
    base = f"http://{svc.host}:{svc.port}"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{base}/api/v1/incidents?limit=1", timeout=5)
    assert e.value.code == 401
    token = svc.token_file.read_text().strip()
    req = urllib.request.Request(f"{base}/api/v1/incidents?limit=5", headers={"Authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req, timeout=5))
    assert set(page) == {"items", "next_cursor", "count"}
