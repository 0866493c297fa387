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
