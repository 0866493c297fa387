"""Data contracts: one YAML per feed version (``schemas/feeds/<feed>/v<N>.yaml``), the single source
from which Spark schemas, row rules, GX suites and dbt sources are derived.

A leaf module: stdlib, yaml, pydantic and (lazily) ``pyspark.sql.types`` only.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from govlake.settings import project_root


class ContractError(ValueError):
    pass


class Pii(StrEnum):
    DIRECT = "direct"  # identifies a person on its own: ID number, name, mobile, exact address
    QUASI = "quasi"  # identifies in combination: birth date, sex, community, household id
    SENSITIVE = "sensitive"  # special categories: health, assistance, political, criminal
    NONE = "none"


class Severity(StrEnum):
    REJECT = "reject"  # the whole delivery is refused, silver untouched
    QUARANTINE = "quarantine"  # the row goes to quarantine.<feed> with the rule id
    WARN = "warn"  # counted and reported, the row passes


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str
    en: str


# The rule catalogue: every rule id a contract may use, with its default severity and meaning.
RULES: dict[str, tuple[Severity, str]] = {
    "required": (Severity.QUARANTINE, "value present (not null, not blank)"),
    "parseable": (Severity.QUARANTINE, "value parses as the column's type"),
    "resident_id": (Severity.QUARANTINE, "18-digit resident ID: format, birth date, check character (GB 11643)"),
    "mobile": (Severity.QUARANTINE, "mainland mobile number ^1[3-9]\\d{9}$"),
    "community_code": (Severity.QUARANTINE, "a community of the national division table"),
    "grid_code": (Severity.QUARANTINE, "a grid of the hierarchy"),
    "district_code": (Severity.QUARANTINE, "one of the 13 Wuhan districts"),
    "in_set": (Severity.QUARANTINE, "value in the column's allowed set"),
    "not_future": (Severity.QUARANTINE, "timestamp/date not after the delivery time"),
    "in_range": (Severity.QUARANTINE, "number within [min, max]"),
    "lifecycle_order": (Severity.QUARANTINE, "lifecycle timestamps in order"),
    "birth_matches_id": (Severity.WARN, "birth date agrees with the ID number"),
    "required_columns": (Severity.REJECT, "every non-optional column present in the delivery"),
    "unique_key": (Severity.WARN, "primary key unique within a delivery (duplicates are counted, not kept)"),
}

PRIMITIVES = {"string", "int", "bigint", "double", "boolean", "date", "timestamp"}
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source_name: str | None = None  # header/key as the department delivers it (default: name)
    type: str
    nullable: bool = True
    pii: Pii = Pii.NONE
    rules: list[str] = Field(default_factory=list)
    allowed: list[str] | None = None  # for in_set
    min: float | None = None  # for in_range
    max: float | None = None
    format: str | None = None  # date/timestamp text format as delivered (Java/Spark pattern)
    description: Text

    @property
    def source(self) -> str:
        return self.source_name or self.name

    @model_validator(mode="after")
    def _check(self) -> Column:
        parse_type(self.type)  # raises on a bad type
        for r in self.rules:
            if r not in RULES:
                raise ValueError(f"column {self.name}: unknown rule {r!r} (known: {', '.join(RULES)})")
        if "in_set" in self.rules and not self.allowed:
            raise ValueError(f"column {self.name}: rule in_set needs `allowed`")
        if "in_range" in self.rules and self.min is None and self.max is None:
            raise ValueError(f"column {self.name}: rule in_range needs `min` and/or `max`")
        if not self.nullable and "required" not in self.rules:
            raise ValueError(f"column {self.name}: a non-nullable column must carry the `required` rule")
        return self


class Lifecycle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status_column: str
    timestamps: list[str]  # columns that must be non-decreasing, in this order, where present


class Table(BaseModel):
    """One record type of a feed (most feeds have one; an XLSX workbook may carry several sheets)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    sheet: str | None = None
    primary_key: list[str]
    update_column: str | None = None  # latest wins on duplicates of the key
    lifecycle: Lifecycle | None = None
    columns: list[Column]
    description: Text

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @model_validator(mode="after")
    def _check(self) -> Table:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        for k in [*self.primary_key, *([self.update_column] if self.update_column else [])]:
            if k not in names:
                raise ValueError(f"table {self.name}: key column {k!r} is not a column")
        if self.lifecycle:
            for k in [self.lifecycle.status_column, *self.lifecycle.timestamps]:
                if k not in names:
                    raise ValueError(f"table {self.name}: lifecycle column {k!r} is not a column")
        return self


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["file_drop", "http_cursor", "db_watermark"]
    format: Literal["csv", "jsonl", "parquet", "xlsx", "json_api", "db_table"]
    encoding: Literal["gbk", "utf-8", "utf-8-sig", "binary"] = "utf-8"
    path: str | None = None  # file drops: pattern under the landing zone, {date} {hour} {week}
    endpoint: str | None = None  # http: path of the API
    cursor_param: str | None = None
    table: str | None = None  # db: schema.table in the department's database
    watermark_column: str | None = None
    full_snapshot: bool = False  # each delivery is the complete current state

    @model_validator(mode="after")
    def _check(self) -> Delivery:
        need = {"file_drop": ["path"], "http_cursor": ["endpoint", "cursor_param"],
                "db_watermark": ["table", "watermark_column"]}[self.mode]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"delivery mode {self.mode} needs {', '.join(missing)}")
        return self


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feed: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    department: Text
    description: Text
    delivery: Delivery
    cadence: Literal["hourly", "daily", "weekly", "continuous"]
    freshness_hours: float = Field(gt=0)
    severity_overrides: dict[str, Severity] = Field(default_factory=dict)
    tables: list[Table] = Field(min_length=1)

    def table(self, name: str | None = None) -> Table:
        if name is None:
            if len(self.tables) != 1:
                raise ContractError(f"{self.feed} has several tables: name one")
            return self.tables[0]
        for t in self.tables:
            if t.name == name:
                return t
        raise ContractError(f"{self.feed} has no table {name!r}")

    def severity(self, rule: str) -> Severity:
        return self.severity_overrides.get(rule, RULES[rule][0])

    @model_validator(mode="after")
    def _check(self) -> Contract:
        for r in self.severity_overrides:
            if r not in RULES:
                raise ValueError(f"severity override for unknown rule {r!r}")
        if len(self.tables) > 1 and any(t.sheet is None for t in self.tables):
            raise ValueError("a feed with several tables must name each table's sheet")
        return self


class RowRule(BaseModel):
    """One rule applied to one column of a table, with the severity the contract gives it."""

    model_config = ConfigDict(frozen=True)
    rule: str
    column: str | None  # None for table-level rules (required_columns, unique_key, lifecycle_order)
    severity: Severity
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    timestamps: tuple[str, ...] | None = None  # lifecycle_order


def row_rules(contract: Contract, table: Table) -> list[RowRule]:
    """Every rule of a table, in contract order: what ingestion enforces row by row (issue 4)."""
    out = [RowRule(rule="required_columns", column=None, severity=contract.severity("required_columns")),
           RowRule(rule="unique_key", column=None, severity=contract.severity("unique_key"))]
    for c in table.columns:
        for r in c.rules:
            out.append(RowRule(rule=r, column=c.name, severity=contract.severity(r),
                               allowed=tuple(c.allowed) if r == "in_set" and c.allowed else None,
                               min=c.min if r == "in_range" else None, max=c.max if r == "in_range" else None))
    if table.lifecycle:
        out.append(RowRule(rule="lifecycle_order", column=None, severity=contract.severity("lifecycle_order"),
                           timestamps=tuple(table.lifecycle.timestamps)))
    return out


def token_column(column: Column) -> str | None:
    """The silver column that replaces a direct identifier: IDs and mobiles become keyed tokens
    (joinable across departments); other direct identifiers (names, exact addresses) leave silver
    and live only in the vault. None when the column stays as it is."""
    if column.pii is not Pii.DIRECT or isinstance(parse_type(column.type), tuple):
        return None
    if "resident_id" in column.rules or "mobile" in column.rules:
        return f"{column.name}_token"
    return ""


def hierarchy_columns(table: Table) -> list[str]:
    """The parent division codes silver adds to a table that names a grid (community, street,
    district) or only a community (street, district), unless the feed delivers them itself."""
    names = {c.name for c in table.columns}
    if "grid_code" in names:
        wanted = ["community_code", "street_code", "district_code"]
    elif "community_code" in names:
        wanted = ["street_code", "district_code"]
    else:
        return []
    return [w for w in wanted if w not in names]


def silver_column_names(table: Table) -> list[str]:
    """Column order of ``silver.<table>``: contract columns with direct identifiers tokenised or
    dropped, the parent division codes, then lineage columns."""
    out = []
    for c in table.columns:
        tok = token_column(c)
        if tok is None:
            out.append(c.name)
        elif tok:
            out.append(tok)
    return [*out, *hierarchy_columns(table), "_extra", "_delivery_id", "_source_file", "_line", "_ingested_at"]


# ---------------------------------------------------------------------------------------------
# types
# ---------------------------------------------------------------------------------------------
def _split_top(s: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_type(t: str) -> Any:
    """Parse a contract type into a nested description: 'string', ('decimal', p, s),
    ('array', elem), ('struct', [(name, type), ...]). Raises ValueError on anything else."""
    t = t.strip()
    if t in PRIMITIVES:
        return t
    if m := _DECIMAL.match(t):
        return ("decimal", int(m.group(1)), int(m.group(2)))
    if t.startswith("array<") and t.endswith(">"):
        return ("array", parse_type(t[6:-1]))
    if t.startswith("struct<") and t.endswith(">"):
        fields = []
        for part in _split_top(t[7:-1]):
            name, _, ftype = part.partition(":")
            if not re.match(r"^[a-z][a-z0-9_]*$", name.strip()):
                raise ValueError(f"bad struct field name in {t!r}")
            fields.append((name.strip(), parse_type(ftype)))
        return ("struct", fields)
    raise ValueError(f"unsupported contract type {t!r}")


def spark_type(t: str | Any):
    from pyspark.sql import types as T

    p = parse_type(t) if isinstance(t, str) else t
    prim = {"string": T.StringType(), "int": T.IntegerType(), "bigint": T.LongType(), "double": T.DoubleType(),
            "boolean": T.BooleanType(), "date": T.DateType(), "timestamp": T.TimestampType()}
    if isinstance(p, str):
        return prim[p]
    if p[0] == "decimal":
        return T.DecimalType(p[1], p[2])
    if p[0] == "array":
        return T.ArrayType(spark_type(p[1]), True)
    return T.StructType([T.StructField(n, spark_type(ft), True) for n, ft in p[1]])


def struct_type(table: Table, source_names: bool = False):
    """The Spark schema of a table's typed (silver-input) form."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(c.source if source_names else c.name, spark_type(c.type), c.nullable) for c in table.columns]
    )


# ---------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------
def contracts_dir() -> Path:
    return project_root() / "schemas" / "feeds"


def load_contract(path: Path) -> Contract:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ContractError(f"{path}: not valid YAML: {e}") from e
    try:
        c = Contract.model_validate(data)
    except ValueError as e:
        raise ContractError(f"{path}: {e}") from e
    if path.parent.name != c.feed or path.stem != f"v{c.version}":
        raise ContractError(f"{path}: feed/version ({c.feed} v{c.version}) must match the file location")
    return c


@cache
def all_contracts(latest_only: bool = True) -> dict[str, Contract]:
    """{feed: contract} for the newest version of each feed (or {feed@vN: …} for all)."""
    out: dict[str, Contract] = {}
    for path in sorted(contracts_dir().glob("*/v*.yaml")):
        c = load_contract(path)
        if latest_only:
            if c.feed not in out or out[c.feed].version < c.version:
                out[c.feed] = c
        else:
            out[f"{c.feed}@v{c.version}"] = c
    return out


def contract(feed: str) -> Contract:
    try:
        return all_contracts()[feed]
    except KeyError as e:
        raise ContractError(f"no contract for feed {feed!r} (known: {', '.join(all_contracts())})") from e


def json_schema() -> dict[str, Any]:
    """The JSON Schema contracts must satisfy (committed as schemas/contract.schema.json)."""
    s = Contract.model_json_schema()
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["title"] = "govlake feed contract"
    return s
