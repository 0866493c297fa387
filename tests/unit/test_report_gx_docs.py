"""GX Data Docs from stored validation results (ops.quality_results rows or GX result objects)."""

import datetime as dt

from govlake.identity import make_id
from govlake.report.gx_docs import build_data_docs, results_from_quality_rows, sanitise

ID = make_id("420102", dt.date(1990, 2, 3), 5, "F")


def row(did, expectation, column, rule, success, unexpected=0, observed=None):
    return {"feed": "disputes", "table_name": "disputes", "delivery_id": did, "suite": "disputes.disputes",
            "expectation": expectation, "column_name": column, "rule": rule, "severity": "quarantine",
            "success": success, "observed_value": observed, "element_count": 10, "unexpected_count": unexpected,
            "unexpected_percent": unexpected * 10.0, "blocking": not success,
            "validated_at": dt.datetime(2026, 1, 2, 3, tzinfo=dt.UTC)}


def test_quality_rows_become_one_suite_result_per_delivery_with_the_suite_kwargs():
    rows = [row("d1", "expect_column_values_to_not_be_null", "dispute_id", "required", True),
            row("d1", "expect_column_values_to_be_in_set", "dispute_type", "in_set", False, 2),
            row("d2", "expect_column_values_to_not_be_null", "dispute_id", "required", True)]
    res = results_from_quality_rows(rows)
    assert [(r["suite_name"], r["meta"]["delivery_id"], r["success"]) for r in res] == [
        ("disputes.disputes", "d1", False), ("disputes.disputes", "d2", True)]
    in_set = res[0]["results"][1]
    assert in_set["expectation_config"]["kwargs"]["value_set"]  # taken from the committed suite
    assert in_set["result"]["unexpected_count"] == 2
    assert res[0]["statistics"]["success_percent"] == 50.0
    assert res[0]["meta"]["run_id"]["run_time"].startswith("2026-01-02T03:00")


def test_sanitise_drops_values_of_personal_columns_and_masks_ids_anywhere():
    result = {"suite_name": "disputes.disputes", "meta": {"note": f"batch with {ID}"}, "results": [
        {"expectation_config": {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "party_a_id"}},
         "result": {"unexpected_count": 1, "partial_unexpected_list": [ID], "observed_value": ID}},
        {"expectation_config": {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "dispute_type"}},
         "result": {"unexpected_count": 1, "partial_unexpected_list": ["其他", f"见{ID}"]}},
    ]}
    clean = sanitise(result)
    assert ID not in repr(clean)
    assert "partial_unexpected_list" not in clean["results"][0]["result"]
    assert "observed_value" not in clean["results"][0]["result"]
    assert clean["results"][1]["result"]["partial_unexpected_list"][0] == "其他"  # not personal: kept


def test_data_docs_are_built_from_gx_result_objects(tmp_path):
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    cfg = ExpectationConfiguration(type="expect_column_values_to_not_be_null", kwargs={"column": "party_a_id"})
    r = ExpectationValidationResult(success=False, expectation_config=cfg,
                                    result={"element_count": 4, "unexpected_count": 1, "unexpected_percent": 25.0,
                                            "partial_unexpected_list": [ID]})
    obj = ExpectationSuiteValidationResult(success=False, results=[r], suite_name="disputes.disputes",
                                           statistics={"evaluated_expectations": 1, "successful_expectations": 0},
                                           meta={"run_id": {"run_name": "gate", "run_time": "2026-01-02T00:00:00Z"},
                                                 "delivery_id": "d9"})
    built = build_data_docs([obj, *results_from_quality_rows([row("d1", "expect_column_values_to_not_be_null",
                                                                     "dispute_id", "required", True)])],
                            tmp_path / "gx_data_docs")
    assert built.index.is_file()
    assert sorted(b for _, b, _ in built.pages) == ["d1", "d9"]
    for _, _, page in built.pages:
        assert page.is_file() and ID not in page.read_text(encoding="utf-8")
    assert (tmp_path / "gx_data_docs" / "expectations" / "disputes" / "disputes.html").is_file()
