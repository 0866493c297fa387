"""Spark's and Delta's log lines go to ``<logs>/spark-driver.log``, not to the terminal of a CLI run."""

import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from govlake.settings import load_settings
from govlake.spark import DRIVER_LOG, spark_conf


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """Settings whose state (and so log dir) is a fresh temporary folder."""
    monkeypatch.setenv("GOVLAKE_PATHS__STATE_DIR", str(tmp_path / "state"))
    return load_settings()


def log4j_file(conf: dict[str, str]) -> str:
    opts = shlex.split(conf["spark.driver.extraJavaOptions"])
    found = [o.split("=", 1)[1] for o in opts if o.startswith("-Dlog4j2.configurationFile=")]
    assert len(found) == 1, opts
    return found[0]


def test_the_driver_logs_into_the_log_dir_through_a_log4j2_file(elsewhere):
    conf = spark_conf(elsewhere, "t")
    opts = shlex.split(conf["spark.driver.extraJavaOptions"])
    assert {"-Duser.timezone=UTC", "-Dfile.encoding=UTF-8"} <= set(opts)
    props = dict(
        line.split(" = ", 1) for line in Path(log4j_file(conf)).read_text(encoding="utf-8").splitlines()
        if " = " in line and not line.startswith("#")
    )
    assert props["appender.file.type"] == "File"
    assert props["appender.file.fileName"] == str(elsewhere.log_dir / DRIVER_LOG)
    assert props["rootLogger.appenderRef.file.ref"] == props["appender.file.name"]
    # the console appender only lets errors through
    assert props["appender.stderr.filter.threshold.level"] == "error"
    assert elsewhere.log_dir.is_dir()


def test_the_thrift_server_keeps_logging_to_its_console(elsewhere):
    conf = spark_conf(elsewhere, "t", log_to_file=False)
    assert conf["spark.driver.extraJavaOptions"] == "-Duser.timezone=UTC -Dfile.encoding=UTF-8"


def test_a_state_path_with_spaces_stays_one_option(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVLAKE_PATHS__STATE_DIR", str(tmp_path / "my state"))
    s = load_settings()
    assert os.path.isfile(log4j_file(spark_conf(s, "t")))


@pytest.mark.spark
def test_a_session_warns_into_the_file_and_not_on_stderr(elsewhere, tmp_path):
    script = textwrap.dedent("""
        from govlake.settings import load_settings
        from govlake.spark import build_spark

        spark = build_spark(load_settings(), "govlake-log-test", {"spark.master": "local[1]"})
        log = spark.sparkContext._jvm.org.apache.logging.log4j.LogManager.getLogger("govlake.probe")
        log.warn("probe warning")
        log.error("probe error")
        assert spark.range(3).count() == 3
        spark.stop()
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, GOVLAKE_PATHS__STATE_DIR=str(elsewhere.state_dir)))
    assert r.returncode == 0, r.stderr[-3000:]
    logged = (elsewhere.log_dir / DRIVER_LOG).read_text()
    assert "WARN" in logged and "probe warning" in logged and "probe error" in logged
    assert " WARN " not in r.stderr and "probe warning" not in r.stderr, r.stderr[-3000:]
    assert "log4j profile" not in r.stderr  # Spark's default (console) configuration was not used
    assert "probe error" in r.stderr  # errors still reach the terminal
