"""Contract-driven parsing and row rules in Spark (pure DataFrame → DataFrame functions).

``parse_typed`` turns delivered text columns (named by contract column name) into the contract's
types, keeping each raw value as ``_raw_<column>``; ``evaluate_rules`` adds ``_violations``, an
array of {rule, column, severity, reason} built from ``govlake.contracts.row_rules``; ``split``
separates rows to quarantine from rows that pass (warnings pass). Local timestamps are read in the
source zone and stored as UTC instants.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from govlake.contracts import Contract, Severity, Table, parse_type, row_rules, spark_type
from spark_jobs.transforms.identity import id_problem, mobile_problem, normalize_id, normalize_mobile

VIOLATION = "struct<rule:string,column:string,severity:string,reason:string>"
CODE_LEVELS = {"community_code": "community", "grid_code": "grid", "district_code": "district"}


def _raw(name: str) -> str:
    return f"_raw_{name}"


def _blank(c: Column) -> Column:
    return c.isNull() | (F.trim(c.cast("string")) == "")


def parse_column(raw: Column, contract_type: str, fmt: str | None, source_zone: str) -> Column:
    """Text → contract type; unparseable text → NULL (the parseable rule reports it)."""
    t = parse_type(contract_type)
    text = F.when(~_blank(raw), F.trim(raw))
    if t == "string":
        return text
    if t == "date":
        return F.try_to_date(text, fmt or "yyyy-MM-dd")
    if t == "timestamp":
        if fmt:  # local wall-clock text in the source zone
            return F.to_utc_timestamp(F.try_to_timestamp(text, F.lit(fmt)), source_zone)
        has_offset = text.rlike(r"(Z|[+-][0-9]{2}:?[0-9]{2})$")
        return F.when(has_offset, F.try_to_timestamp(text)).otherwise(
            F.to_utc_timestamp(F.try_to_timestamp(text), source_zone))
    if t in ("int", "bigint", "double") or (isinstance(t, tuple) and t[0] == "decimal"):
        return text.try_cast(spark_type(contract_type))
    if t == "boolean":
        return F.lower(text).isin("true", "1", "是", "y", "yes")
    raise ValueError(f"parse_column: {contract_type} is delivered as structured data, not text")


def parse_typed(df: DataFrame, table: Table, source_zone: str = "Asia/Shanghai") -> DataFrame:
    """Contract columns typed; the delivered text kept as _raw_<name>; other columns passed through."""
    out = df
    for c in table.columns:
        if c.name not in df.columns:
            out = out.withColumn(c.name, F.lit(None).cast("string"))
        t = parse_type(c.type)
        if isinstance(t, tuple) and t[0] in ("array", "struct"):
            out = out.withColumn(_raw(c.name), F.col(c.name))
            continue
        if dict(out.dtypes)[c.name] != "string":
            out = out.withColumn(_raw(c.name), F.col(c.name).cast("string"))
            continue
        out = out.withColumn(_raw(c.name), F.col(c.name)).withColumn(
            c.name, parse_column(F.col(c.name), c.type, c.format, source_zone))
    return out


def _v(rule: str, column: str | None, severity: Severity, reason: Column | str) -> Column:
    return F.struct(F.lit(rule).alias("rule"), F.lit(column).alias("column"), F.lit(severity.value).alias("severity"),
                    (reason if isinstance(reason, Column) else F.lit(reason)).alias("reason"))


def evaluate_rules(df: DataFrame, contract: Contract, table: Table, as_of: dt.datetime | Column,
                   reference: DataFrame | None = None) -> DataFrame:
    """Add ``_violations`` (array of {rule, column, severity, reason}); NULL entries removed.

    ``reference`` is the division code table (columns level, code) for the code rules; ``as_of`` is
    the delivery time (UTC) for not_future, a value or a column (each record's own delivery time, so
    that deliveries of several days are checked in one pass). Values are checked after
    standardisation (IDs and mobiles normalised), so repairable variants pass.
    """
    as_of_ts = as_of if isinstance(as_of, Column) else F.lit(as_of)
    as_of_date = F.to_date(as_of_ts)
    checks: list[Column] = []
    joined = df
    code_cols = {}
    for r in row_rules(contract, table):
        if r.rule in CODE_LEVELS and reference is not None:
            alias = f"_known_{r.column}"
            codes = (reference.where(F.col("level") == CODE_LEVELS[r.rule])
                     .select(F.col("code").alias(f"_code_{r.column}"), F.lit(True).alias(alias)))
            joined = joined.join(F.broadcast(codes), F.col(r.column) == F.col(f"_code_{r.column}"), "left")
            code_cols[r.column] = alias
    for r in row_rules(contract, table):
        col = F.col(r.column) if r.column else None
        raw = F.col(_raw(r.column)) if r.column and _raw(r.column) in df.columns else col
        sev = r.severity
        if r.rule == "required":
            checks.append(F.when(_blank(raw), _v(r.rule, r.column, sev, "missing")))
        elif r.rule == "parseable":
            checks.append(F.when(~_blank(raw) & col.isNull(), _v(r.rule, r.column, sev, F.concat(
                F.lit("cannot read as "), F.lit(table.column(r.column).type)))))
        elif r.rule == "resident_id":
            if isinstance(parse_type(table.column(r.column).type), tuple):  # nested persons[].id_number
                bad = F.filter(F.transform(col, lambda p: id_problem(normalize_id(p["id_number"]), as_of_date)),
                               lambda x: x.isNotNull())
                checks.append(F.when(F.size(bad) > 0,
                                     _v(r.rule, f"{r.column}[].id_number", sev, F.element_at(bad, 1))))
            else:
                problem = id_problem(normalize_id(col), as_of_date)
                checks.append(F.when(~_blank(col) & problem.isNotNull(), _v(r.rule, r.column, sev, problem)))
        elif r.rule == "mobile":
            if isinstance(parse_type(table.column(r.column).type), tuple):
                bad = F.filter(F.transform(col, lambda p: mobile_problem(normalize_mobile(p["mobile"]))),
                               lambda x: x.isNotNull())
                checks.append(F.when(F.size(bad) > 0, _v(r.rule, f"{r.column}[].mobile", sev, "malformed mobile")))
            else:
                checks.append(F.when(mobile_problem(normalize_mobile(col)).isNotNull(),
                                     _v(r.rule, r.column, sev, "malformed mobile")))
        elif r.rule in CODE_LEVELS:
            if r.column in code_cols:
                known = F.col(code_cols[r.column])
                checks.append(F.when(~_blank(col) & known.isNull(), _v(
                    r.rule, r.column, sev, F.concat(F.lit("unknown "), F.lit(CODE_LEVELS[r.rule]), F.lit(" code")))))
        elif r.rule == "in_set":
            checks.append(F.when(~_blank(col) & ~col.cast("string").isin(list(r.allowed or ())),
                                 _v(r.rule, r.column, sev, "value not in the allowed set")))
        elif r.rule == "in_range":
            cond = F.lit(False)
            if r.min is not None:
                cond = cond | (col < F.lit(r.min))
            if r.max is not None:
                cond = cond | (col > F.lit(r.max))
            checks.append(F.when(col.isNotNull() & cond, _v(r.rule, r.column, sev, "out of range")))
        elif r.rule == "not_future":
            limit = as_of_date if table.column(r.column).type == "date" else as_of_ts
            checks.append(F.when(col > limit, _v(r.rule, r.column, sev, "after the delivery time")))
        elif r.rule == "lifecycle_order":
            stamps = list(r.timestamps or ())
            for i, later in enumerate(stamps[1:], start=1):
                earlier = F.greatest(*[F.col(s) for s in stamps[:i]]) if i > 1 else F.col(stamps[0])
                checks.append(F.when(F.col(later) < earlier, _v(r.rule, later, sev, "earlier than a previous step")))
        elif r.rule == "birth_matches_id":
            ident = normalize_id(F.col("id_number"))
            born = F.try_to_date(F.substring(ident, 7, 8), "yyyyMMdd")
            checks.append(F.when(col.isNotNull() & born.isNotNull() & (col != born),
                                 _v(r.rule, r.column, sev, "differs from the ID's birth date")))
        # required_columns and unique_key are delivery-level: checked by the caller
    arr = F.filter(F.array(*checks), lambda x: x.isNotNull()) if checks else F.array().cast(f"array<{VIOLATION}>")
    out = joined.withColumn("_violations", arr)
    drop = [c for c in out.columns if c.startswith(("_known_", "_code_"))]
    return out.drop(*drop)


def quarantined(violations: Column) -> Column:
    """True for a row with any quarantine-severity violation."""
    return F.exists(violations, lambda v: v["severity"] == Severity.QUARANTINE.value)


def split(df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(rows that pass, rows to quarantine): a row is quarantined by any quarantine-severity violation."""
    bad = quarantined(F.col("_violations"))
    return df.where(~bad), df.where(bad)


def missing_columns(delivered: list[str], table: Table) -> list[str]:
    """Required contract columns (by delivered header) absent from a delivery: it is rejected whole."""
    have = set(delivered)
    return [c.source for c in table.columns if "required" in c.rules and c.source not in have]
