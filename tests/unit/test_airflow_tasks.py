"""What the Airflow tasks and the Airflow service are built from, without services: data intervals,
delivery detection, sandboxes travelling with runs and asset events, the maintenance guard, the
Airflow processes' environment (loopback, secrets, Spark Connect)."""

import datetime as dt

import pytest

from govlake import tasks
from govlake.platform import airflow


def test_a_data_interval_covers_its_days_and_at_least_one():
    d = dt.date(2026, 1, 1)
    assert tasks.days_between(d, d + dt.timedelta(days=7)) == [d + dt.timedelta(days=i) for i in range(7)]
    assert tasks.days_between(d, d) == [d]


def test_a_file_drop_is_delivered_when_its_date_folder_holds_a_visible_file(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(settings.feeds, "out_dir", tmp_path)
    settings.__dict__.pop("feeds_out_dir", None)
    day = dt.date(2026, 1, 2)
    folder = tmp_path / "landing" / "hotline_12345"
    (folder / "2026-01-01").mkdir(parents=True)
    (folder / "2026-01-01" / ".tickets.part").write_text("partial upload")  # hidden: not a delivery
    (folder / day.isoformat()).mkdir()
    (folder / day.isoformat() / f"tickets_{day}.jsonl").write_text("{}\n")
    assert tasks.delivered_days(settings, "hotline_12345", dt.date(2026, 1, 1), dt.date(2026, 1, 4)) == [day]
    # a pulled feed's delivery is the pull itself: every day of the interval
    assert tasks.delivered_days(settings, "police_incidents", day, day + dt.timedelta(days=2)) == [
        day, day + dt.timedelta(days=1)]


def test_the_freshness_deadline_comes_from_the_contract():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert tasks.freshness_deadline("hotline_12345", start) == start + dt.timedelta(hours=30)
    assert tasks.freshness_deadline("party_building", start) == start + dt.timedelta(hours=192)



def test_only_an_empty_pull_of_a_pulled_feed_is_a_freshness_question():
    # a file drop's freshness is its sensor's; a pull that brought records, or landed nothing new, is fine
    assert tasks.check_pull("hotline_12345", dt.date(2026, 1, 1), {"landed": 1, "rows": 0}) is None
    assert tasks.check_pull("police_incidents", dt.date(2026, 1, 1), {"landed": 2, "rows": 40}) is None
    assert tasks.check_pull("urban_cases", dt.date(2026, 1, 1), {"landed": 0, "skipped": 1, "rows": 0}) is None

def test_a_sandbox_travels_with_a_run_and_its_events(monkeypatch):
    for var in tasks.SANDBOX_ENV.values():
        monkeypatch.delenv(var, raising=False)
    assert tasks.sandbox_from_env() == {}
    monkeypatch.setenv("GOVLAKE_WAREHOUSE__PREFIX", "it1_")
    assert tasks.sandbox_from_env() == {"warehouse_prefix": "it1_"}
    with pytest.raises(ValueError, match="unknown sandbox keys"):
        tasks.use_sandbox({"warehouse_prefix": "x_", "postgres_port": "1"})
    sb = {"warehouse_prefix": "it2_"}
    assert tasks.sandbox_of_events([{"sandbox": sb, "deliveries": ["a"]}, {"sandbox": sb}]) == sb
    assert tasks.sandbox_of_events([{"deliveries": ["a"]}, {}]) == {}
    with pytest.raises(ValueError, match="different sandboxes"):
        tasks.sandbox_of_events([{"sandbox": sb}, {}])  # a sandbox's event and a real one: never built together


def test_maintenance_never_vacuums_below_seven_days():
    with pytest.raises(ValueError, match="7 days"):
        tasks.maintain(retention_hours=24)
    with pytest.raises(ValueError, match="unknown layers"):
        tasks.maintain(layers=["silver", "platinum"])


def test_airflow_processes_listen_on_loopback_with_generated_secrets(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(settings.paths, "state_dir", tmp_path)
    settings.__dict__.pop("state_dir", None)
    env = airflow.airflow_env(settings)
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert int(env["AIRFLOW__CORE__PARALLELISM"]) == settings.airflow.parallelism
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith(f"@127.0.0.1:{settings.postgres.port}/airflow")
    for name in ("airflow_fernet_key", "airflow_jwt_secret", "airflow_api_secret_key", "airflow_db_password"):
        assert (tmp_path / "secrets" / name).stat().st_mode & 0o077 == 0  # generated once, owner-only
    assert env["AIRFLOW__CORE__FERNET_KEY"] == airflow.airflow_env(settings)["AIRFLOW__CORE__FERNET_KEY"]
    from cryptography.fernet import Fernet

    Fernet(env["AIRFLOW__CORE__FERNET_KEY"].encode())  # a valid key
    assert env["GOVLAKE_SPARK__REMOTE"] == "sc://127.0.0.1:15002"
    settings.airflow.spark_access = "local"
    assert "GOVLAKE_SPARK__REMOTE" not in airflow.airflow_env(settings)
    logins = airflow.passwords(settings)
    assert set(logins) == {"admin", "viewer"} and all(len(p) >= 16 for p in logins.values())


def test_a_short_airflow_run_leaves_weekly_feeds_to_their_weekly_runs(tmp_path, monkeypatch):
    import socket

    from typer.testing import CliRunner

    from govlake.cli import app

    with socket.socket() as sock:  # a loopback port nothing listens on: no Airflow is reached
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("GOVLAKE_AIRFLOW__PORT", str(port))
    monkeypatch.setenv("GOVLAKE_PATHS__STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GOVLAKE_FEEDS__OUT_DIR", str(tmp_path))
    r = CliRunner().invoke(app, ["airflow", "run", "--start", "2026-01-05", "--days", "1"])
    assert r.exit_code != 0 and "not reachable" in r.output
    assert "not triggered over 1 day(s): party_building (weekly" in r.output
    r = CliRunner().invoke(app, ["airflow", "run", "--start", "2026-01-05", "--days", "7"])
    assert r.exit_code != 0 and "not triggered" not in r.output  # a week: every feed
    delivered = tmp_path / "landing" / "party_building" / "2026-01-06"
    delivered.mkdir(parents=True)
    (delivered / "activities.xlsx").write_bytes(b"x")
    r = CliRunner().invoke(app, ["airflow", "run", "--start", "2026-01-05", "--days", "3"])
    assert r.exit_code != 0 and "not triggered" not in r.output  # its delivery is among the days
