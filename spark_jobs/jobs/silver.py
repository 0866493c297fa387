"""Bronze → silver for every feed: `python -m spark_jobs.jobs.silver --feed F --reference CSV`.

Per landed delivery not yet processed (``run_silver``), or one delivery again (``replay``), table by
table, deliveries sharing a header in one batch (``process_batch``):

1. read the batch's bronze rows (``spark_jobs.io``); a delivery missing a required column is
   rejected whole (its rows quarantined under ``required_columns``) and silver is left untouched;
2. parse by the contract (by the delivery's own header), standardise, apply the row rules,
   deduplicate by business key (latest update wins), replace IDs and mobiles by keyed tokens
   (``spark_jobs.transforms.silver``, ``contract_rules``, ``hierarchy``);
3. run each delivery's rows through the quality gate (GX, ``govlake.quality``): a failing blocking
   expectation quarantines the delivery under ``quality_gate``;
4. account for every record: rows in = accepted + quarantined + duplicates
   (``spark_jobs.transforms.accounting``); a mismatch raises ``AccountingError`` before any write;
5. write through ``spark_jobs.io``: the quarantine, ``silver.<table>`` (MERGE on the business key,
   or, for full-snapshot feeds, change records + SCD2 versions from ``transforms.snapshot``), the
   clear identifiers to ``vault.person_identity``, the status history of lifecycle tables,
   ``ops.quality_results``, ``ops.silver_accounting`` and the outcome onto ``ops.deliveries``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import threading
from functools import cache
from pathlib import Path

from govlake.contracts import Contract, Table, contract, silver_column_names
from govlake.quality import Gate, blocking_reason
from govlake.settings import load_settings
from spark_jobs import io
from spark_jobs.transforms.accounting import (
    Accounted,
    AccountingError,
    Tally,
    account,
    accounting_rows,
    delivery_outcomes,
    drift_reason,
    quality_rows,
    rejected,
    rejection_reason,
)
from spark_jobs.transforms.contract_rules import missing_columns, split
from spark_jobs.transforms.hierarchy import add_hierarchy
from spark_jobs.transforms.silver import (
    batch_counts,
    checked_rows,
    counts_by_delivery,
    dedupe,
    delivery_header,
    fresh_rows,
    gated_rows,
    history_ddl,
    history_keys,
    history_rows,
    mark_stale,
    pseudonymise,
    rejected_rows,
    stale_counts,
    target_columns,
    upsert_keys,
    violation_rows,
    without_deliveries,
)
from spark_jobs.transforms.snapshot import (
    attribute_columns,
    carry_held,
    scd2_merge_source,
    snapshot_deliveries,
    snapshot_diff,
    snapshot_key,
    with_scd_columns,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def process_batch(spark, settings, c: Contract, table: Table, deliveries: list, header: list[str] | None,
                  reference, key: bytes, gate: Gate, tag: str = "") -> list[Accounted]:
    """All pending deliveries of one table that share a header, in one pass (one parse, one rule
    evaluation, one quarantine append, one MERGE), accounted per delivery; the accounting is checked
    (``AccountingError``) before silver is written."""
    sch = settings.schema
    silver_table, q_table = f"{sch('silver')}.{table.name}", f"{sch('quarantine')}.{c.feed}"
    vault_table = f"{sch('vault')}.person_identity"
    missing = missing_columns(header, table) if header is not None else []
    if all(d.rows_read == 0 for d in deliveries):
        # header-only deliveries (a quiet day): nothing to parse, check or write; accounted as such
        # (the Spark jobs, commits and GX run of a batch cost ~20 s whatever its size)
        if missing:
            return [rejected(table.name, d.source, d.delivery_id, 0, rejection_reason(missing)) for d in deliveries]
        return [account(table.name, d.source, d.delivery_id, Tally()) for d in deliveries]
    io.ensure_quarantine_table(spark, q_table, c.feed)
    ids = [d.delivery_id for d in deliveries]
    batch_id = f"{table.name}:{tag}" + ",".join(sorted(ids))
    bronze = io.read_bronze(spark, f"{sch('bronze')}.{c.feed}", ids, table.sheet)
    # records in: what landing counted into bronze (ops.deliveries.rows_read); a delivery of several
    # tables (a workbook's sheets) is counted per table here. The parsed side is counted apart
    # (``batch_counts``), so a parse that lost or multiplied a record fails the accounting.
    rows_in = ({d.delivery_id: d.rows_read for d in deliveries} if len(c.tables) == 1
               else counts_by_delivery(bronze))

    if missing:
        reason = rejection_reason(missing)
        io.merge_quarantine(spark, q_table, rejected_rows(bronze, table.name, reason))
        return [rejected(table.name, d.source, d.delivery_id, rows_in.get(d.delivery_id, 0), reason)
                for d in deliveries]

    checked = checked_rows(bronze, c, table, header, {d.delivery_id: d.delivered_on for d in deliveries},
                           reference).cache()
    ok, bad = split(checked)
    ok = add_hierarchy(ok, table, reference)
    counts = batch_counts(checked)  # one job: rows, invalid rows and drifted columns per delivery
    invalid = counts.invalid
    lost = {d.source: (rows_in.get(d.delivery_id, 0), counts.rows.get(d.delivery_id, 0)) for d in deliveries
            if counts.rows.get(d.delivery_id, 0) != rows_in.get(d.delivery_id, 0)}
    if lost:  # before any write: parsing must neither drop nor multiply a record
        raise AccountingError("; ".join(f"{src}: {n} records in bronze, {m} parsed" for src, (n, m) in lost.items()))
    if invalid:  # a clean batch skips the quarantine MERGE (a Delta commit and its jobs)
        io.merge_quarantine(spark, q_table, violation_rows(bad, table.name))
    kept, dups = dedupe(ok, table, ("snapshot_date",) if c.delivery.full_snapshot else ())
    kept = kept.cache()
    io.ensure_vault_table(spark, vault_table)
    silver_rows, vault_rows = pseudonymise(kept, table, key)
    # the quality gate: each delivery's silver rows through the derived GX suite, before any write
    outcomes, blocked, gated = _quality_gate(gate, c.feed, table.name, silver_rows)
    if blocked:
        io.merge_quarantine(spark, q_table, gated_rows(kept, table.name, blocked))
        kept = without_deliveries(kept, blocked)
        silver_rows, vault_rows = pseudonymise(kept, table, key)
    io.append_quality(spark, f"{sch('ops')}.quality_results", quality_rows(c.feed, table.name, outcomes, _now()),
                      batch_id)

    tally = {did: Tally(rows_in=rows_in.get(did, 0)) for did in ids}
    for did, n in invalid.items():
        tally[did].invalid = n
    for did, n in counts_by_delivery(dups).items():
        tally[did].duplicate = n
    for did, n in gated.items():
        tally[did].gated = n
    if c.delivery.full_snapshot:
        silver_rows = silver_rows.cache()
        for did, n in counts_by_delivery(silver_rows).items():
            tally[did].accepted = n
    else:
        _create_silver(spark, c, table, silver_table, silver_rows)
        keys = upsert_keys(table, silver_rows.columns)
        target = io.silver_targets(spark, silver_table, target_columns(table, keys))
        matched = mark_stale(silver_rows, target, table, keys).cache()
        for did, (accepted, stale) in stale_counts(matched).items():
            tally[did].accepted, tally[did].stale = accepted, stale
    # schema drift: columns outside the contract are kept in _extra and named in the accounting
    drift = counts.drift
    results = [account(table.name, d.source, d.delivery_id, tally[d.delivery_id], blocked.get(d.delivery_id),
                       drift_reason(drift.get(d.delivery_id), c.version))
               for d in deliveries]  # raises AccountingError: nothing below is written

    if c.delivery.full_snapshot:
        applied = [d for d in deliveries if d.delivery_id not in blocked]
        apply_snapshots(spark, c, table, silver_table, silver_rows, applied, bad, key)
        silver_rows.unpersist()
    else:
        if any(tally[did].accepted for did in ids):  # all stale (newer versions held): nothing to MERGE
            io.upsert_silver(spark, silver_table, fresh_rows(matched), keys, silver_column_names(table))
        matched.unpersist()
    io.merge_vault(spark, vault_table, vault_rows)
    if table.lifecycle and table.update_column:
        io.merge_history(spark, f"{silver_table}_status_history", history_ddl(table),
                         f"status history of {table.name}: one row per (key, {table.update_column}, status)",
                         history_rows(without_deliveries(ok, blocked) if blocked else ok, table), history_keys(table))
    checked.unpersist()
    kept.unpersist()
    return results


def _quality_gate(gate: Gate, feed: str, table_name: str, silver_rows) -> tuple[dict, dict[str, str], dict[str, int]]:
    """(GX outcomes per delivery, {blocked delivery: reason}, {blocked delivery: its rows})."""
    frame = silver_rows.toPandas()
    outcomes = gate.validate_deliveries(feed, table_name, frame)
    blocked = {did: reason for did, out in outcomes.items() if (reason := blocking_reason(out))}
    return outcomes, blocked, {did: int((frame["_delivery_id"] == did).sum()) for did in blocked}


def _create_silver(spark, c: Contract, table: Table, silver_table: str, rows) -> None:
    io.create_silver(spark, silver_table, rows,
                     f"{c.department.zh} {table.name}: typed, valid, deduplicated; timestamps UTC",
                     {"govlake.source_zone": "Asia/Shanghai", "govlake.contract": f"{c.feed} v{c.version}"})


def apply_snapshots(spark, c: Contract, table: Table, silver_table: str, rows, deliveries: list, bad=None,
                    key_bytes: bytes = b"") -> None:
    """Complete snapshots → change records (``<table>_changes``) and SCD2 versions, in one atomic MERGE
    (closing the versions that end and inserting the ones that start), so a crash leaves either the
    whole batch applied or none of it; a batch already applied (a rerun) is recognised and skipped.

    A quarantined snapshot row is not an absence: when its ID is valid (the row failed another
    rule), the person's open version is carried into that snapshot unchanged ("held"), so a bad
    mobile does not read as gone-then-new. A row whose ID itself is invalid cannot be attributed to
    anyone and the person does read as gone for that day (README, "Known limits")."""
    key = snapshot_key(rows.columns, table.primary_key)
    date_col = "snapshot_date"
    by_date = snapshot_deliveries(rows, [(d.delivered_on, d.delivery_id) for d in deliveries], date_col)
    if not by_date:
        return
    plain = with_scd_columns(rows)
    _create_silver(spark, c, table, silver_table, plain)
    if io.holds_deliveries(spark, silver_table, [d.delivery_id for d in deliveries]):
        return  # this batch's versions are there already: the MERGE committed before a crash
    current = io.current_versions(spark, silver_table)
    if bad is not None and "id_number" in bad.columns:
        rows = carry_held(rows, current, bad, key, date_col, key_bytes, by_date)
    plan = snapshot_diff(current, rows, key, attribute_columns(rows, key, date_col), date_col, sorted(by_date),
                         deliveries=by_date, validate=False)
    plan.timeline.persist()  # the changes and the SCD2 MERGE share one shuffle by key
    io.merge_snapshot_changes(spark, f"{silver_table}_changes", key, plan.changes)
    cols = io.table_columns(spark, silver_table)
    io.merge_scd2(spark, silver_table, key, scd2_merge_source(plan, key, cols, dict(plain.dtypes)), cols)
    plan.timeline.unpersist()


def _account(spark, settings, feed: str, accs: list[Accounted], app_id: str, echo) -> None:
    io.append_accounting(spark, _accounting_table(settings), accounting_rows(feed, accs, _now()), app_id)
    for a in accs:
        echo(f"{settings.schema('silver')}.{a.table} {a.source}: in {a.rows_in} = accepted {a.accepted} + "
             f"quarantined {a.quarantined} + duplicate {a.duplicate} [{a.status}]")


def _accounting_table(settings) -> str:
    return f"{settings.schema('ops')}.silver_accounting"


def _deliveries_table(settings) -> str:
    return f"{settings.schema('ops')}.deliveries"


def run_silver(spark, settings, feed: str, reference_csv: Path, echo=print) -> list[Accounted]:
    """Every landed delivery of ``feed`` not yet accounted for, table by table."""
    from govlake.secrets import secret

    c = contract(feed)
    key = secret(settings, "person_token_key", 32).encode()
    accounting = io.ensure_accounting_table(spark, _accounting_table(settings))
    done = io.accounted_keys(spark, accounting, feed)
    todo = io.landed_deliveries(spark, _deliveries_table(settings), feed)
    reference = io.read_reference(spark, reference_csv)
    gate = quality_gate()
    results = []
    for table in c.tables:
        pending = [d for d in todo if (d.delivery_id, table.name) not in done]
        groups: dict[str, list] = {}
        for d in pending:  # deliveries sharing a header are parsed together
            groups.setdefault(json.dumps(delivery_header(c, table, d.header), ensure_ascii=False), []).append(d)
        for header_json, group in groups.items():
            accs = process_batch(spark, settings, c, table, group, json.loads(header_json), reference, key, gate)
            batch = hashlib.sha256(",".join(sorted(a.delivery_id for a in accs)).encode()).hexdigest()[:32]
            _account(spark, settings, feed, accs, f"silver:{table.name}:{batch}", echo)
            results.extend(accs)
    if results:
        update_deliveries(spark, settings, feed, sorted({a.delivery_id for a in results}))
    reference.unpersist()
    return results


def replay(spark, settings, delivery_id: str, reference_csv: Path, echo=print) -> list[Accounted]:
    """Process one landed delivery into silver again, accounted as a replay (status ``replayed``).

    Silver converges: the delivery's rows MERGE onto the same keys with the same values, rows it
    quarantined before are not quarantined twice, and a newer version from a later delivery wins."""
    from govlake.secrets import secret

    d = io.landed_delivery(spark, _deliveries_table(settings), delivery_id)
    if d is None:
        raise ValueError(f"no landed delivery {delivery_id!r} in {settings.schema('ops')}.deliveries")
    c = contract(d.feed)
    key = secret(settings, "person_token_key", 32).encode()
    reference = io.read_reference(spark, reference_csv)
    accounting = io.ensure_accounting_table(spark, _accounting_table(settings))
    n = io.accounting_count(spark, accounting, delivery_id)
    results = []
    for table in c.tables:
        accs = process_batch(spark, settings, c, table, [d], delivery_header(c, table, d.header), reference, key,
                             quality_gate(), tag=f"replay{n}:")
        for a in accs:
            a.status = "replayed" if a.status == "processed" else a.status
        _account(spark, settings, d.feed, accs, f"silver-replay:{table.name}:{delivery_id}:{n}", echo)
        results.extend(accs)
    update_deliveries(spark, settings, d.feed, [delivery_id])
    reference.unpersist()
    return results


_GATE_LOCK = threading.Lock()


def quality_gate() -> Gate:
    """The process's GX gate, made once (feeds in parallel threads share it)."""
    with _GATE_LOCK:
        return _gate()


@cache
def _gate() -> Gate:
    return Gate()


def update_deliveries(spark, settings, feed: str, delivery_ids: list[str]) -> None:
    """Copy silver's accounting onto ops.deliveries (summed over the tables of a multi-sheet delivery)."""
    outcomes = delivery_outcomes(io.read_accounting(spark, _accounting_table(settings)), feed, delivery_ids)
    io.merge_delivery_outcomes(spark, _deliveries_table(settings), feed, outcomes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", required=True)
    ap.add_argument("--reference", type=Path, required=True, help="divisions.csv (level, code, name, parent_code)")
    a = ap.parse_args(argv)
    settings = load_settings()
    from govlake.spark import spark_session

    with spark_session(settings, f"silver-{a.feed}") as spark:
        run_silver(spark, settings, a.feed, a.reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
