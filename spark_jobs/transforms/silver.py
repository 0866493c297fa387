"""Bronze records → silver rows (pure DataFrame → DataFrame functions).

1. ``parse_records``: the delivered text of each record → one string column per contract column
   (by delivered header or key), unknown fields kept in ``_extra`` (schema drift), malformed records
   flagged.
2. ``contract_rules.parse_typed`` / ``evaluate_rules`` / ``split`` (see that module).
3. ``dedupe``: one row per business key, the latest update wins; the others are counted duplicates.
4. ``pseudonymise``: IDs and mobiles → keyed tokens, names and addresses removed; the clear values
   go to the vault rows instead.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from govlake.contracts import Table, parse_type, silver_column_names, token_column
from spark_jobs.transforms.identity import hmac_sha256, normalize_id, normalize_mobile

LINEAGE = ["_delivery_id", "_source_file", "_line", "_ingested_at"]


def _csv_fields(line: Column, n: int) -> Column:
    """Split one CSV line into fields (RFC 4180 quoting) as array<string>."""
    schema = ", ".join(f"c{i} string" for i in range(n + 1))  # one extra field detects too many
    parsed = F.from_csv(line, schema, {"mode": "PERMISSIVE", "nullValue": "", "emptyValue": ""})
    return F.array(*[parsed[f"c{i}"] for i in range(n + 1)])


def parse_records(bronze: DataFrame, table: Table, fmt: str, header: list[str] | None) -> DataFrame:
    """Bronze rows of ONE delivery → contract-named string columns + ``_extra`` + ``_malformed``.

    CSV uses the delivery's own header (so renamed or added columns are seen for what they are);
    JSON-like records (JSONL, Parquet and XLSX rows) are read by key."""
    by_source = {c.source: c.name for c in table.columns}
    cols: list[Column] = []
    if fmt == "csv":
        if header is None:
            raise ValueError("a CSV delivery needs its header")
        fields = _csv_fields(F.col("_record"), len(header))
        for c in table.columns:
            cols.append((fields[header.index(c.source)] if c.source in header else F.lit(None).cast("string"))
                        .alias(c.name))
        extra_names = [h for h in header if h not in by_source]
        extra = (F.map_from_arrays(F.array(*[F.lit(h) for h in extra_names]),
                                   F.array(*[fields[header.index(h)] for h in extra_names]))
                 if extra_names else F.lit(None).cast("map<string,string>"))
        # a record with fewer fields than the header, or more, is malformed
        count = F.size(F.split(F.col("_record"), ",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)"))
        malformed = (count != len(header)) | F.col("_problem").isNotNull()
    else:
        obj = F.from_json(F.col("_record"), "map<string,string>")
        for c in table.columns:
            t = parse_type(c.type)
            if isinstance(t, tuple) and t[0] in ("array", "struct"):
                value = F.from_json(F.get_json_object(F.col("_record"), f"$.{c.source}"), c.type)
            else:
                value = obj[c.source]
            cols.append(value.alias(c.name))
        known = F.array(*[F.lit(k) for k in by_source])
        extra = F.map_filter(obj, lambda k, v: ~F.array_contains(known, k))
        extra = F.when(F.size(extra) > 0, extra)
        malformed = obj.isNull() | F.col("_problem").isNotNull()
    return bronze.select(*cols, extra.alias("_extra"), malformed.alias("_malformed"),
                         *[F.col(c) for c in ["_delivery_id", "_source_file", "_line", "_record", "_ingested_at"]])


def dedupe(df: DataFrame, table: Table, within: tuple[str, ...] = ()) -> tuple[DataFrame, DataFrame]:
    """(one row per key — the latest update, then the last line — , the other rows as duplicates).

    ``within``: columns that scope the key (a full snapshot's date: each day's snapshot keeps its row)."""
    order = [F.col(table.update_column).desc_nulls_last()] if table.update_column else []
    w = Window.partitionBy(*table.primary_key, *within).orderBy(*order, F.col("_line").desc())
    ranked = df.withColumn("_rank", F.row_number().over(w))
    return ranked.where("_rank = 1").drop("_rank"), ranked.where("_rank > 1").drop("_rank")


def pseudonymise(df: DataFrame, table: Table, key: bytes) -> tuple[DataFrame, DataFrame]:
    """(silver rows: tokens instead of IDs and mobiles, names/addresses removed;
    vault rows: token → clear identifiers for lawful re-identification)."""
    silver = df
    vault_parts = []
    for c in table.columns:
        tok = token_column(c)
        if tok is None:
            t = parse_type(c.type)
            if isinstance(t, tuple) and t[0] == "array" and "resident_id" in c.rules:
                # nested persons: keep role and community, tokenise ID and mobile, drop the name
                silver = silver.withColumn(c.name, F.transform(F.col(c.name), lambda p: F.struct(
                    p["role"].alias("role"),
                    hmac_sha256(normalize_id(p["id_number"]), key).alias("person_token"),
                    hmac_sha256(normalize_mobile(p["mobile"]), key).alias("mobile_token"),
                    p["community_code"].alias("community_code"))))
                vault_parts.append(df.select(F.explode_outer(F.col(c.name)).alias("p")).select(
                    hmac_sha256(normalize_id(F.col("p.id_number")), key).alias("token"),
                    normalize_id(F.col("p.id_number")).alias("id_number"), F.col("p.name").alias("name"),
                    normalize_mobile(F.col("p.mobile")).alias("mobile"), F.lit(None).cast("string").alias("address")))
            continue
        if tok:
            norm = normalize_id(F.col(c.name)) if "resident_id" in c.rules else normalize_mobile(F.col(c.name))
            silver = silver.withColumn(tok, hmac_sha256(norm, key))
    # vault: one row per person token seen with its clear identifiers (first ID column of the table)
    ids = [c for c in table.columns if token_column(c) and "resident_id" in c.rules]
    if ids:
        pid = ids[0]
        name = next((c.name for c in table.columns if c.name in ("name", f"{pid.name.removesuffix('_id')}_name")),
                    None)
        mobile = next((c.name for c in table.columns if token_column(c) and "mobile" in c.rules), None)
        address = next((c.name for c in table.columns if c.name == "address" and c.pii.value == "direct"), None)
        vault_parts.append(df.select(
            hmac_sha256(normalize_id(F.col(pid.name)), key).alias("token"),
            normalize_id(F.col(pid.name)).alias("id_number"),
            (F.col(name) if name else F.lit(None).cast("string")).alias("name"),
            (normalize_mobile(F.col(mobile)) if mobile else F.lit(None).cast("string")).alias("mobile"),
            (F.col(address) if address else F.lit(None).cast("string")).alias("address")))
    keep = [c for c in silver_column_names(table) if c in silver.columns]
    silver = silver.select(*keep)
    if vault_parts:
        vault = vault_parts[0]
        for part in vault_parts[1:]:
            vault = vault.unionByName(part)
        vault = vault.where(F.col("token").isNotNull()).dropDuplicates(["token"])
    else:
        vault = df.sparkSession.createDataFrame([], "token string, id_number string, name string, mobile string, "
                                                    "address string")
    return silver, vault


def standardise(df: DataFrame, table: Table) -> DataFrame:
    """IDs (full-width, lowercase x, 15 → 18 digits) and mobiles (+86, separators) in standard form."""
    out = df
    for c in table.columns:
        if isinstance(parse_type(c.type), tuple):
            continue
        if "resident_id" in c.rules:
            out = out.withColumn(c.name, normalize_id(F.col(c.name)))
        elif "mobile" in c.rules:
            out = out.withColumn(c.name, normalize_mobile(F.col(c.name)))
    return out


def malformed_violation(df: DataFrame) -> DataFrame:
    """A record that cannot be read as a whole (wrong field count, bad JSON, damaged bytes) is
    quarantined under the ``parseable`` rule."""
    v = F.struct(F.lit("parseable").alias("rule"), F.lit(None).cast("string").alias("column"),
                 F.lit("quarantine").alias("severity"), F.lit("malformed record").alias("reason"))
    return df.withColumn("_violations", F.when(F.col("_malformed"), F.concat(F.array(v), F.col("_violations")))
                         .otherwise(F.col("_violations")))
