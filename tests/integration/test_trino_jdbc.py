"""JDBC, the way BI tools and Java programs reach the theme library: the trino-jdbc driver that setup
downloads (infra/artifacts.yaml, verified against Maven Central's sha1 and the pin) runs in a JVM
(tests/jvm/TrinoJdbcQuery.java, a Java 17+ single-file source launch) against the running Trino, and
returns exactly the rows the Python DB-API client returns for the same query on a gold table."""

import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from govlake import trino_client
from govlake.artifacts import artifact_path
from govlake.java import JavaNotFound, spark_jdk, trino_jdk

PROGRAM = Path(__file__).resolve().parents[1] / "jvm" / "TrinoJdbcQuery.java"


def _java(settings) -> Path:
    """A JDK that launches single-file sources (Java >= 11; the platform's Java 17 or Trino's Java)."""
    for find in (spark_jdk, trino_jdk):
        try:
            return find(settings.java).java
        except JavaNotFound:
            continue
    pytest.fail("no JDK found the way govlake/java.py looks for one")


def _jdbc(settings, sql: str, schema: str) -> tuple[list[str], list[list[str]]]:
    t = settings.trino
    url = f"jdbc:trino://{t.host}:{t.port}/{t.catalog}/{schema}"
    jar = artifact_path(settings, "trino-jdbc")
    run = subprocess.run([str(_java(settings)), "-cp", str(jar), str(PROGRAM), url, t.user, sql],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.rstrip("\n").split("\n")
    return lines[0].split("\t"), [ln.split("\t") for ln in lines[1:]]


def _as_jdbc_text(v) -> str:
    """A DB-API value as JDBC's ResultSet.getString renders it (the program's TSV escaping included)."""
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        zone = v.tzname() if v.tzinfo else None
        text = v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}"
        return f"{text} {zone}" if zone else text
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal | int):
        return str(v)
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@pytest.mark.parametrize("table,order", [("fct_hotline_tickets", "ticket_id"), ("theme_public_order",
                                                                              "1, 2, 4, 5, 7")])
def test_jdbc_driver_returns_the_rows_the_python_client_returns(gold_world, table, order):
    s, _, _, _ = gold_world
    gold = s.schema("gold")
    # doubles are compared as numbers (Java and Python print them differently), everything else as text
    sql = f"SELECT * FROM {table} ORDER BY {order}"
    conn = trino_client.connect(s, schema=gold)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        py_rows = cur.fetchall()
        py_cols = [d[0] for d in cur.description]
        py_types = [d[1] for d in cur.description]
    finally:
        conn.close()
    header, jvm_rows = _jdbc(s, sql, gold)
    assert header == py_cols
    assert len(py_rows) > 0 and len(jvm_rows) == len(py_rows)
    for py, jvm in zip(py_rows, jvm_rows, strict=True):
        for v, text, typ, col in zip(py, jvm, py_types, py_cols, strict=True):
            if typ in ("double", "real") and v is not None:
                assert float(text) == v, (col, v, text)
            else:
                assert text == _as_jdbc_text(v), (table, col, v, text)


def test_jdbc_driver_is_the_one_setup_pins(settings):
    """The cached jar is the verified download of the pinned coordinate, for the server's version."""
    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "infra" / "artifacts.yaml").read_text())
    by_name = {a["name"]: a for a in manifest["artifacts"]}
    server_version = by_name["trino-server"]["coordinate"].split(":")[2]
    assert by_name["trino-jdbc"]["coordinate"] == f"io.trino:trino-jdbc:{server_version}"
    jar = artifact_path(settings, "trino-jdbc")  # raises unless setup verified it
    assert jar.name == f"trino-jdbc-{server_version}.jar" and jar.stat().st_size > 1_000_000
