from pathlib import Path

import pytest

from govlake.settings import SettingsError, load_settings, project_root


def test_local_yaml_is_the_default(settings):
    assert settings.env == "local"
    assert settings.trino.port == 8085
    assert settings.postgres.port == 5433
    assert settings.spark.master == "local[*]"
    assert settings.warehouse.schemas == ["bronze", "silver", "staging", "gold", "ops", "quarantine", "vault"]


def test_relative_paths_resolve_against_the_project_root(settings):
    assert settings.state_dir == project_root() / ".state"
    assert settings.cache_dir == Path("~/.cache/govlake").expanduser()
    assert settings.warehouse_uri == (project_root() / ".state" / "warehouse").as_uri()
    assert settings.schema_location("bronze").endswith("/.state/warehouse/bronze.db")


def test_environment_variables_override_yaml(monkeypatch):
    monkeypatch.setenv("GOVLAKE_TRINO__PORT", "9999")
    monkeypatch.setenv("GOVLAKE_SPARK__MASTER", "spark://example:7077")
    monkeypatch.setenv("GOVLAKE_PATHS__STATE_DIR", "/tmp/govlake-elsewhere")
    s = load_settings()
    assert s.trino.port == 9999
    assert s.trino.url == "http://127.0.0.1:9999"
    assert s.spark.master == "spark://example:7077"
    assert s.state_dir == Path("/tmp/govlake-elsewhere")
    # untouched keys keep their YAML values
    assert s.postgres.port == 5433


def test_cluster_env_is_a_settings_change_only(monkeypatch):
    monkeypatch.setenv("GOVLAKE_ENV", "cluster")
    s = load_settings()
    assert s.env == "cluster"
    assert s.warehouse_uri.startswith("s3a://")
    assert s.schema_location("gold") == "s3a://govlake-warehouse/warehouse/gold.db"
    assert s.spark.master.startswith("spark://")
    assert s.spark.extra_conf["spark.hadoop.fs.s3a.path.style.access"] == "true"


def test_unknown_env_names_the_choices(monkeypatch):
    monkeypatch.setenv("GOVLAKE_ENV", "staging")
    with pytest.raises(SettingsError, match=r"staging.*choose one of: .*local"):
        load_settings()


def test_bad_value_is_rejected(monkeypatch):
    monkeypatch.setenv("GOVLAKE_TRINO__PORT", "not-a-port")
    with pytest.raises(ValueError, match="port"):
        load_settings()
