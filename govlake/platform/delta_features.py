"""Delta table features Trino 476 reads, and a check of a table's protocol against them.

Source: ``io.trino.plugin.deltalake.transactionlog.DeltaLakeTableFeatures`` in trino-delta-lake 476
(SUPPORTED_READER_FEATURES / SUPPORTED_WRITER_FEATURES). typeWidening and variantType are listed
there too, but Trino has open wrong-result reports for both, so govlake keeps its tables away from
them: they are deliberately absent here, and a table using either fails the check. (The Spark session
factory, ``govlake/spark.py``, also turns off the table defaults for deletion vectors, row tracking
and in-commit timestamps.)
"""

from __future__ import annotations

from collections.abc import Iterable

TRINO_476_READER_FEATURES = frozenset(
    {"columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"}
)
TRINO_476_WRITER_FEATURES = frozenset(
    {
        "appendOnly",
        "invariants",
        "checkConstraints",
        "changeDataFeed",
        "columnMapping",
        "deletionVectors",
        "timestampNtz",
        "v2Checkpoint",
        "vacuumProtocolCheck",
    }
)
TRINO_476_MAX_READER_VERSION = 3
TRINO_476_MAX_WRITER_VERSION = 7

# Features implied by legacy protocol versions (Delta protocol spec, "Table Features").
_LEGACY_WRITER = {
    2: {"appendOnly", "invariants"},
    3: {"checkConstraints"},
    4: {"changeDataFeed", "generatedColumns"},
    5: {"columnMapping"},
    6: {"identityColumns"},
}


def implied_features(min_reader: int, min_writer: int) -> set[str]:
    out: set[str] = set()
    if min_writer < 7:
        for v, feats in _LEGACY_WRITER.items():
            if min_writer >= v:
                out |= feats
    if min_reader == 2:
        out.add("columnMapping")
    return out


def unsupported_features(min_reader: int, min_writer: int, table_features: Iterable[str]) -> list[str]:
    """Names of the table's protocol requirements that Trino 476 cannot read (empty = readable)."""
    problems: list[str] = []
    if min_reader > TRINO_476_MAX_READER_VERSION:
        problems.append(f"minReaderVersion={min_reader}")
    if min_writer > TRINO_476_MAX_WRITER_VERSION:
        problems.append(f"minWriterVersion={min_writer}")
    feats = set(table_features) | implied_features(min_reader, min_writer)
    allowed = TRINO_476_READER_FEATURES | TRINO_476_WRITER_FEATURES
    problems.extend(sorted(f for f in feats if f not in allowed))
    return problems
