"""The Great Expectations gate of a silver batch.

The suites are derived from the contracts (``expectations/suites/<feed>.<table>.json``, see
``govlake contracts derive``) and validate the rows a delivery would put into silver: tokens instead of IDs
and mobiles, names and addresses absent. The row rules already ran in Spark and quarantined failing
rows, so on an accepted batch every ``reject``/``quarantine`` expectation must hold: GX is the
independent second check, and a failure of such an expectation blocks the delivery (its rows are
quarantined under ``quality_gate`` and silver is left untouched). ``warn`` expectations are recorded
only.

Outcomes carry counts and, for expectations on non-personal columns, the observed value; never
the unexpected values themselves (``ops.quality_results`` holds no raw personal values).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from govlake.settings import project_root

BLOCKING = frozenset({"reject", "quarantine"})
# Expectations whose result on a union of deliveries, when it holds without one unexpected value,
# holds the same way on every delivery: row-wise checks, uniqueness (unique in the union → unique in
# each part) and the column set (every delivery of a batch has the batch's columns).
HOLD_ON_PARTS = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_in_set",
                           "expect_column_values_to_be_between", "expect_column_values_to_match_regex",
                           "expect_column_values_to_be_unique", "expect_table_columns_to_match_set"})
OBSERVED_MAX = 500


def suite_path(feed: str, table: str) -> Path:
    return project_root() / "expectations" / "suites" / f"{feed}.{table}.json"


@cache
def suite_data(feed: str, table: str) -> dict[str, Any]:
    path = suite_path(feed, table)
    if not path.is_file():
        raise FileNotFoundError(f"no expectation suite for {feed}.{table} at {path}: run `govlake contracts derive`")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Outcome:
    suite: str
    expectation: str
    column: str | None
    rule: str
    severity: str
    success: bool
    observed_value: str | None
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None

    @property
    def blocking(self) -> bool:
        return not self.success and self.severity in BLOCKING

    def describe(self) -> str:
        on = f"({self.column})" if self.column else ""
        n = f": {self.unexpected_count} unexpected" if self.unexpected_count else ""
        return f"{self.expectation}{on}{n}"


def _observed(result: dict[str, Any], private: bool) -> str | None:
    if private or "observed_value" not in result:
        return None
    text = json.dumps(result["observed_value"], ensure_ascii=False, default=str)
    return text if len(text) <= OBSERVED_MAX else text[: OBSERVED_MAX - 1] + "…"


class Gate:
    """One ephemeral GX context for a job; suites built once per table. Feeds running in parallel
    threads share it: validations take turns (a GX context is not made for concurrent use)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self._context.data_sources.add_pandas("silver_batches").add_dataframe_asset("batch")
        self._definition = asset.add_batch_definition_whole_dataframe("whole")
        self._suites: dict[str, Any] = {}

    def suite(self, feed: str, table: str):
        name = f"{feed}.{table}"
        if name not in self._suites:
            data = suite_data(feed, table)
            exps = []
            for e in data["expectations"]:  # built by class: a bad kwarg raises instead of being dropped
                cls = getattr(self._gx.expectations, "".join(w.capitalize() for w in e["type"].split("_")))
                exps.append(cls(**e["kwargs"], meta=e["meta"]))
            self._suites[name] = self._gx.ExpectationSuite(name=name, expectations=exps, meta=data["meta"])
        return self._suites[name]

    def validate_deliveries(self, feed: str, table: str, frame, by: str = "_delivery_id") -> dict[str, list[Outcome]]:
        """Each delivery's outcomes, for a batch frame holding several deliveries (column ``by``).

        The whole batch is validated once; when every expectation holds without a single unexpected
        value and each is one that then holds on every part (``HOLD_ON_PARTS``), each delivery's
        outcomes are the batch's with its own row count. Otherwise each delivery is validated on its
        own, so a failure is attributed to the deliveries that have it."""
        parts = {did: part.reset_index(drop=True) for did, part in frame.groupby(by, sort=False)}
        if len(parts) > 1:
            whole = self.validate(feed, table, frame)
            if all(o.success and not o.unexpected_count and o.expectation in HOLD_ON_PARTS for o in whole):
                return {did: [replace(o, element_count=len(part) if o.element_count is not None else None)
                              for o in whole] for did, part in parts.items()}
        return {did: self.validate(feed, table, part) for did, part in parts.items()}

    def validate(self, feed: str, table: str, frame) -> list[Outcome]:
        """Validate one delivery's silver rows (a pandas DataFrame)."""
        with self._lock:
            suite = self.suite(feed, table)
            batch = self._definition.get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(suite, result_format="SUMMARY")
        out = []
        for r in result.results:
            cfg = r.expectation_config
            meta = cfg.meta or {}
            res = r.result or {}
            private = cfg.kwargs.get("result_format") == "BOOLEAN_ONLY"
            observed = _observed(res, private)
            if r.exception_info and r.exception_info.get("raised_exception"):
                observed = ("error: " + str(r.exception_info.get("exception_message", "")))[:OBSERVED_MAX]
            out.append(Outcome(
                suite=suite.name, expectation=cfg.type, column=cfg.kwargs.get("column") or meta.get("column"),
                rule=meta.get("rule", ""), severity=meta.get("severity", "warn"), success=bool(r.success),
                observed_value=observed, element_count=res.get("element_count"),
                unexpected_count=res.get("unexpected_count"), unexpected_percent=res.get("unexpected_percent"),
            ))
        return out


def blocking_reason(outcomes: list[Outcome]) -> str | None:
    failed = [o for o in outcomes if o.blocking]
    if not failed:
        return None
    return "blocked by the quality gate: " + "; ".join(o.describe() for o in failed)
