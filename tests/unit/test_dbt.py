"""dbt is configured from settings only: profiles, targets and the layer schemas as vars."""

import json

import pytest

from govlake.dbt import DbtError, dbt_args, dbt_vars, profiles, write_profiles


def test_profiles_carry_the_spark_jobs_configuration(settings):
    out = profiles(settings)["govlake"]
    assert out["target"] == settings.dbt.method
    session = out["outputs"]["session"]
    assert session["method"] == "session" and session["schema"] == settings.schema("gold")
    conf = session["server_side_parameters"]
    assert conf["spark.sql.catalog.spark_catalog"] == "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    assert conf["spark.hadoop.hive.metastore.uris"] == settings.metastore.uri
    thrift = out["outputs"]["thrift"]
    assert (thrift["host"], thrift["port"], thrift["auth"]) == (settings.dbt.thrift_host, settings.dbt.thrift_port,
                                                                "NOSASL")


def test_a_sandbox_prefix_reaches_every_layer_var(settings):
    settings.warehouse.prefix = "it1234_"
    assert dbt_vars(settings) == {"silver_schema": "it1234_silver", "gold_schema": "it1234_gold",
                                  "staging_schema": "it1234_staging", "ops_schema": "it1234_ops"}
    argv = dbt_args(settings, ["build", "-s", "theme_disputes"])
    assert argv[:3] == ["build", "-s", "theme_disputes"]
    assert json.loads(argv[argv.index("--vars") + 1])["gold_schema"] == "it1234_gold"
    assert argv[argv.index("--target") + 1] == settings.dbt.method


def test_explicit_target_and_commands_without_vars(settings):
    assert dbt_args(settings, ["build", "--target", "thrift"]).count("--target") == 1
    assert "--vars" not in dbt_args(settings, ["clean"])
    with pytest.raises(DbtError, match="no dbt command"):
        dbt_args(settings, [])


def test_profiles_file_is_rewritten_only_when_settings_change(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(type(settings), "state_dir", property(lambda self: tmp_path))
    path = write_profiles(settings) / "profiles.yml"
    first = path.stat().st_mtime_ns
    write_profiles(settings)
    assert path.stat().st_mtime_ns == first
    settings.dbt.threads = 3
    write_profiles(settings)
    assert "threads: 3" in path.read_text()
