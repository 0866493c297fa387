from pathlib import Path

import pytest

from govlake.java import JavaNotFound, installed_jdks, read_jdk, spark_jdk, trino_jdk
from govlake.settings import JavaSettings


def fake_jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "release").write_text(f'IMPLEMENTOR="test"\nJAVA_VERSION="{version}"\n')
    return home


def test_read_jdk_parses_modern_and_legacy_versions(tmp_path):
    assert read_jdk(fake_jdk(tmp_path, "a", "17.0.15")).major == 17
    assert read_jdk(fake_jdk(tmp_path, "b", "25")).major == 25
    assert read_jdk(fake_jdk(tmp_path, "c", "1.8.0_412")).major == 8
    (tmp_path / "not-a-jdk").mkdir()
    assert read_jdk(tmp_path / "not-a-jdk") is None


def test_picks_17_for_spark_and_newest_24_plus_for_trino(tmp_path):
    fake_jdk(tmp_path, "jdk-11", "11.0.2")
    fake_jdk(tmp_path, "jdk-17", "17.0.15")
    fake_jdk(tmp_path, "jdk-24", "24.0.1")
    fake_jdk(tmp_path, "jdk-25", "25.0.3")
    cfg = JavaSettings(search_dirs=[tmp_path])
    assert [j.major for j in installed_jdks(cfg.search_dirs)] == [11, 17, 24, 25]
    assert spark_jdk(cfg).home.name == "jdk-17"
    assert trino_jdk(cfg).home.name == "jdk-25"


def test_missing_jdk_is_one_sentence_naming_what_is_needed(tmp_path):
    fake_jdk(tmp_path, "jdk-17", "17.0.15")
    cfg = JavaSettings(search_dirs=[tmp_path])
    with pytest.raises(JavaNotFound) as e:
        trino_jdk(cfg)
    msg = str(e.value)
    assert "Java >= 24" in msg and "GOVLAKE_JAVA__TRINO_HOME" in msg
    assert "\n" not in msg
    with pytest.raises(JavaNotFound, match="Java 17"):
        spark_jdk(JavaSettings(search_dirs=[tmp_path / "empty"]))


def test_explicit_home_must_have_the_right_version(tmp_path):
    home = fake_jdk(tmp_path, "jdk-21", "21.0.1")
    with pytest.raises(JavaNotFound, match="not a Java >= 24"):
        trino_jdk(JavaSettings(trino_home=home))
