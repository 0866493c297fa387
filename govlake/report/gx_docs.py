"""Great Expectations Data Docs from stored validation results.

GX 1.24 builds Data Docs from what its validation-results store holds, so an ephemeral context
(in-memory stores, analytics off) is given the results and one filesystem docs site under
``<out>/gx_data_docs/``. Results can be GX ``ExpectationSuiteValidationResult`` objects or their
JSON dicts, or be rebuilt from ``ops.quality_results`` rows (``results_from_quality_rows``: one row
per expectation per delivery; kwargs come from the committed suite in ``expectations/suites``).

Before anything reaches GX, every result is sanitised: unexpected-value lists are dropped for
columns the contract classes as direct or sensitive personal data (and for unknown columns), and
ID- or mobile-like text anywhere is masked.

Data Docs pages load Bootstrap, jQuery and Font Awesome from public CDNs and the index table is
filled by JavaScript: offline the validation pages stay readable but unstyled, and the GX index
is empty — the govlake report index links each validation page directly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govlake.contracts import ContractError, Pii, contract
from govlake.report.masking import scrub
from govlake.settings import project_root

DOCS_DIR = "gx_data_docs"
SITE = "govlake_quality"
UNEXPECTED_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list",
                   "unexpected_list", "unexpected_index_list", "unexpected_index_query", "unexpected_rows",
                   "details")


@dataclass
class BuiltDocs:
    index: Path
    pages: list[tuple[str, str, Path]]  # (suite, batch identifier, page)


def suites_dir() -> Path:
    return project_root() / "expectations" / "suites"


def _suite(name: str, folder: Path) -> dict:
    p = folder / f"{name}.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}


def _kwargs(suite: dict, expectation: str, column: str | None, rule: str | None) -> dict:
    for e in suite.get("expectations", []):
        if e.get("type") != expectation or e.get("kwargs", {}).get("column") != column:
            continue
        if rule and e.get("meta", {}).get("rule") not in (None, rule):
            continue
        return dict(e.get("kwargs", {}))
    return {"column": column} if column else {}


def _observed(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _iso(ts: Any) -> str:
    if isinstance(ts, dt.datetime):
        return (ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    return str(ts) if ts else dt.datetime(1970, 1, 1, tzinfo=dt.UTC).isoformat()


def results_from_quality_rows(rows: Iterable[dict], folder: Path | None = None) -> list[dict]:
    """ops.quality_results rows → one ExpectationSuiteValidationResult JSON dict per (suite, delivery)."""
    folder = folder or suites_dir()
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["suite"], r["delivery_id"]), []).append(r)
    suites: dict[str, dict] = {}
    out = []
    for (suite_name, delivery_id), rs in sorted(groups.items()):
        suite = suites.setdefault(suite_name, _suite(suite_name, folder))
        results = []
        for r in rs:
            result = {k: r.get(k) for k in ("element_count", "unexpected_count", "unexpected_percent")
                      if r.get(k) is not None}
            if r.get("observed_value") is not None:
                result["observed_value"] = _observed(r["observed_value"])
            results.append({
                "success": bool(r.get("success")),
                "expectation_config": {
                    "type": r["expectation"],
                    "kwargs": _kwargs(suite, r["expectation"], r.get("column_name"), r.get("rule")),
                    "meta": {"rule": r.get("rule"), "severity": r.get("severity"), "blocking": r.get("blocking")},
                },
                "result": result,
                "meta": {},
                "exception_info": {"raised_exception": False, "exception_traceback": None,
                                   "exception_message": None},
            })
        passed = sum(1 for x in results if x["success"])
        stamps = [r["validated_at"] for r in rs if r.get("validated_at")]
        feed, table = rs[0].get("feed"), rs[0].get("table_name")
        out.append({
            "success": passed == len(results),
            "results": results,
            "suite_name": suite_name,
            "suite_parameters": {},
            "statistics": {"evaluated_expectations": len(results), "successful_expectations": passed,
                           "unsuccessful_expectations": len(results) - passed,
                           "success_percent": 100.0 * passed / len(results) if results else None},
            "meta": {"run_id": {"run_name": "quality_gate", "run_time": _iso(max(stamps) if stamps else None)},
                     "delivery_id": delivery_id,
                     "active_batch_definition": {"datasource_name": "govlake", "data_connector_name": "bronze",
                                                 "data_asset_name": f"{feed}.{table}" if feed else suite_name,
                                                 "batch_identifiers": {"delivery_id": delivery_id}}},
        })
    return out


def _personal_columns(suite_name: str) -> set[str] | None:
    """Columns whose values must not be shown (direct / sensitive), None when the suite's table is
    unknown (then no values are shown at all)."""
    feed, _, table = suite_name.partition(".")
    try:
        t = contract(feed).table(table or None)
    except (ContractError, KeyError):
        return None
    return {c.name for c in t.columns if c.pii in (Pii.DIRECT, Pii.SENSITIVE)}


def _scrub_all(v: Any) -> Any:
    if isinstance(v, str):
        return scrub(v)
    if isinstance(v, list):
        return [_scrub_all(x) for x in v]
    if isinstance(v, dict):
        return {k: _scrub_all(x) for k, x in v.items()}
    return v


def sanitise(result: dict) -> dict:
    """A validation result dict with no personal value left in it (see the module docstring)."""
    personal = _personal_columns(result.get("suite_name") or "")
    out = dict(result)
    clean = []
    for r in result.get("results", []):
        r = dict(r)
        column = (r.get("expectation_config") or {}).get("kwargs", {}).get("column")
        if personal is None or column is None or column in personal:
            r["result"] = {k: v for k, v in (r.get("result") or {}).items() if k not in UNEXPECTED_KEYS}
            if column in (personal or set()) or personal is None:
                r["result"].pop("observed_value", None)
        clean.append(_scrub_all(r))
    out["results"] = clean
    out["meta"] = _scrub_all(result.get("meta") or {})
    return out


def _batch_id(meta: dict, i: int) -> str:
    if meta.get("delivery_id"):
        return str(meta["delivery_id"])
    ids = (meta.get("active_batch_definition") or {}).get("batch_identifiers") or {}
    return "-".join(str(v) for v in ids.values()) or meta.get("batch_id") or f"batch-{i}"


def build_data_docs(results: Sequence[Any], out: Path, folder: Path | None = None) -> BuiltDocs:
    """Build GX Data Docs for ``results`` (ExpectationSuiteValidationResult objects or JSON dicts)
    into ``out`` (e.g. ``<report>/gx_data_docs``) with an ephemeral context; returns the index and
    one page per result. The suites named by the results are added when committed, so their
    expectation pages are built too."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        data_docs_sites={SITE: {
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }},
    )
    ctx = gx.get_context(mode="ephemeral", project_config=config)
    folder = folder or suites_dir()
    added: set[str] = set()
    keys = []
    for i, obj in enumerate(results):
        d = obj if isinstance(obj, dict) else obj.to_json_dict()
        d = sanitise(d)
        meta = d.get("meta") or {}
        run = meta.get("run_id") or {}
        run_id = RunIdentifier(run_name=run.get("run_name") or "govlake", run_time=run.get("run_time") or None)
        batch = _batch_id(meta, i)
        abd = dict(meta.get("active_batch_definition") or {})
        abd.setdefault("data_asset_name", d["suite_name"])  # the docs index needs an asset name
        for k in ("datasource_name", "data_connector_name"):
            abd.setdefault(k, "govlake")
        abd.setdefault("batch_identifiers", {"batch": batch})
        d["meta"] = {**meta, "active_batch_definition": abd, "run_id": {"run_name": run_id.run_name,
                                                                         "run_time": run_id.run_time.isoformat()}}
        result = expectationSuiteValidationResultSchema.load(d)
        key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=d["suite_name"]),
                                         run_id=run_id, batch_identifier=batch)
        ctx.validation_results_store.set(key, result)
        keys.append((d["suite_name"], batch, key))
        if d["suite_name"] not in added:
            added.add(d["suite_name"])
            suite = _suite(d["suite_name"], folder)
            if suite:
                exps = [{k: v for k, v in e.items() if k in ("type", "kwargs", "meta")} for e in suite["expectations"]]
                ctx.suites.add(ExpectationSuite(name=d["suite_name"], expectations=exps))
    ctx.build_data_docs(site_names=[SITE])
    pages = []
    for suite, batch, key in keys:
        page = out / "validations" / Path(*key.to_tuple()[:-1]) / f"{key.to_tuple()[-1]}.html"
        pages.append((suite, batch, page))
    return BuiltDocs(out / "index.html", pages)
