"""The project's `column_checks` data test (dbt_project/tests/generic/test_column_checks.sql), compiled
by dbt and run on Spark over small frames: it names each failing check with its number of failing
rows, and returns nothing on clean data. The theme library folds ~460 one-column tests into it, so
it must catch what they caught."""

from __future__ import annotations

import pytest

from govlake.settings import load_settings

CHECKS = ("not_null=['id'], unique=['kind'], accepted_values={'kind': ['a', 'b', '0101']}, "
          "value_between={'share': [0, 1]}, non_negative=['n']")


def _compiled(spark, frame_sql: str) -> str:
    from dbt.cli.main import dbtRunner

    from govlake.dbt import _env, dbt_args

    settings = load_settings()
    _env(settings)
    inline = f'{{{{ test_column_checks(model="({frame_sql}) as frame", {CHECKS}) }}}}'
    res = dbtRunner().invoke(dbt_args(settings, ["compile", "--inline", inline, "--quiet"], target="session"))
    assert res.success, res.exception
    return res.result.results[0].node.compiled_code


@pytest.mark.parametrize(("rows", "expected"), [
    # clean: nulls pass every check but not_null; accepted values compare as strings
    ("(1, 'a', 0.5, 3), (2, 'b', null, 0), (3, null, 1.0, null), (4, '0101', 0.0, 1)", {}),
    ("(null, 'a', 0.5, 3), (2, 'a', 1.5, -1), (3, 'z', -0.1, -2), (4, 'b', 0.2, 1)",
     {"not_null(id)": 1, "unique(kind)": 1, "accepted_values(kind)": 1, "value_between(share)": 2,
      "non_negative(n)": 2}),
])
def test_column_checks_names_each_failing_check_with_its_rows(spark, rows, expected):
    frame = f"select * from values {rows} as t(id, kind, share, n)"
    got = {r.check_name: r.failures for r in spark.sql(_compiled(spark, frame)).collect()}
    assert got == expected
