"""Steward decisions on reconciliation findings (多源比对发现的处理决定).

``ops.finding_decisions`` is append-only and this module is its only writer (the dbt model
``reconciliation_findings`` reads it and joins the latest decision per finding, so a dbt rerun never
overwrites a steward's status). One row per decision: finding_id, status, decided_by, decided_at
(UTC), note. Reads go through Trino; the append goes through Spark (Delta), because the platform's
Trino catalog does not enable writes on the local file system (``delta.enable-non-concurrent-writes``).
The table is created when missing, with the same schema the dbt pre-hook uses.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from govlake import trino_client
from govlake.settings import Settings

STATUSES = ("open", "confirmed", "dismissed")
TOKEN_KEY_FILE = "person_token_key"


def decisions_table(settings: Settings) -> str:
    return f"{settings.schema('ops')}.finding_decisions"


def findings_table(settings: Settings) -> str:
    return f"{settings.schema('gold')}.reconciliation_findings"


DECISIONS_DDL = ("finding_id STRING, status STRING, decided_by STRING, decided_at TIMESTAMP, note STRING")


def decisions_exist(cur, settings: Settings) -> bool:
    cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [settings.schema("ops"), "finding_decisions"])
    return cur.fetchall()[0][0] > 0


def append_decision(settings: Settings, row: tuple, spark=None) -> None:
    """Append one decision row with Spark (Delta), creating the table when missing."""
    from govlake.spark import spark_session

    with spark_session(settings, "govlake-findings") if spark is None else nullcontext(spark) as spark:
        table = decisions_table(settings)
        spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({DECISIONS_DDL}) USING delta")
        spark.createDataFrame([row], DECISIONS_DDL).writeTo(table).append()


@dataclass(frozen=True)
class Decision:
    finding_id: str
    status: str
    decided_by: str
    decided_at: dt.datetime
    note: str | None


def decide(settings: Settings, finding_id: str, status: str, decided_by: str, note: str | None = None,
           now: dt.datetime | None = None) -> Decision:
    """Append one decision. The finding must exist in gold.reconciliation_findings."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}: {status!r}")
    if not decided_by.strip():
        raise ValueError("--by must name the steward")
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    rows = trino_client.query(settings, f"SELECT count(*) FROM {findings_table(settings)} WHERE finding_id = ?",
                              [finding_id])
    if rows[0][0] == 0:
        raise ValueError(f"no finding {finding_id!r} in {findings_table(settings)}")
    append_decision(settings, (finding_id, status, decided_by.strip(), when, note))
    return Decision(finding_id, status, decided_by.strip(), when, note)


LIST_COLUMNS = ("finding_id", "finding_type", "owning_department", "status", "decided_by", "first_detected",
                "district_code", "community_code", "observed_value", "suggested_value")


def list_findings(settings: Settings, status: str | None = None, department: str | None = None) -> list[tuple]:
    """Findings with their current status: the latest decision in ops (live, also one made after the
    last dbt run), else the status the model computed."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}: {status!r}")
    conn = trino_client.connect(settings)
    try:
        cur = conn.cursor()
        decisions = (f"SELECT finding_id, status, decided_by, decided_at FROM {decisions_table(settings)}"
                     if decisions_exist(cur, settings) else
                     "SELECT finding_id, status, decided_by, decided_at FROM (VALUES (CAST(NULL AS varchar), "
                     "CAST(NULL AS varchar), CAST(NULL AS varchar), CAST(NULL AS timestamp(3) with time zone))) "
                     "AS t (finding_id, status, decided_by, decided_at) WHERE false")
        sql = f"""
            WITH decisions AS ({decisions}),
            latest AS (
                SELECT finding_id, status, decided_by,
                       row_number() OVER (PARTITION BY finding_id
                                          ORDER BY decided_at DESC, decided_by DESC, status DESC) AS rn
                FROM decisions
                WHERE status IN ('open', 'confirmed', 'dismissed')
            ),
            current AS (
                SELECT f.finding_id, f.finding_type, f.owning_department,
                       coalesce(d.status, f.status) AS status, coalesce(d.decided_by, f.decided_by) AS decided_by,
                       f.first_detected, f.district_code, f.community_code, f.observed_value, f.suggested_value
                FROM {findings_table(settings)} f
                LEFT JOIN latest d ON d.finding_id = f.finding_id AND d.rn = 1
            )
            SELECT {', '.join(LIST_COLUMNS)} FROM current
            WHERE (? IS NULL OR status = ?) AND (? IS NULL OR owning_department = ?)
            ORDER BY first_detected, finding_type, finding_id"""
        cur.execute(sql, [status, status, department, department])
        return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


def token_key(settings: Settings) -> bytes:
    """The person-token key silver uses (read only: never created here, a new key would match nothing)."""
    path = settings.secrets_dir / TOKEN_KEY_FILE
    if not path.is_file():
        raise ValueError(f"no person-token key at {path} (silver has not run here)")
    return path.read_text().strip().encode()


def finding_pairs(settings: Settings) -> list[tuple[str, str]]:
    rows = trino_client.query(settings, f"SELECT finding_type, person_id FROM {findings_table(settings)}")
    return [(r[0], r[1]) for r in rows]


def default_defects_path(settings: Settings) -> Path:
    """The generator's defect log under the configured out folder (resolved, independent of the cwd)."""
    return settings.feeds_out_dir / "ground_truth" / "defects.jsonl"
