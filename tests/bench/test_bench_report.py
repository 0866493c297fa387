"""bench/run.py's report (figures against targets, the markdown table, the chart) on given scenario
results; the scenarios themselves need the platform and run with `make bench`."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = mod  # dataclasses look their module up while the class is made
    spec.loader.exec_module(mod)
    return mod


def _scenarios(bench):
    S = bench.Scenario
    return {
        "demo": S("demo", 73_049, 150.0, {"silver": 90.0, "bronze": 20.0, "gold": 40.0}, 7.5),
        "demo+1 day": S("demo+1 day", 10_000, 30.0, {"silver": 20.0, "gold": 10.0}, 7.0,
                        extra={"full_gold_rebuild_s": 60.0}),
        "sf0.1+1 day": S("sf0.1+1 day", 100_000, 80.0, {"silver": 50.0, "gold": 30.0}, 7.2,
                         extra={"full_gold_rebuild_s": 400.0}),
        "bare_spark": S("bare_spark", 70_000, 12.0, {"silver": 10.0}, extra={"bare_s": 4.0, "ratio": 3.0}),
        "queries": S("queries", extra={"p95_trino_s": 0.3, "p95_duckdb_s": 0.1, "ratio": 3.0,
                                       "per_question": {"q1": {"trino_median_s": 0.2, "duckdb_median_s": 0.05}}}),
    }


def test_each_figure_is_judged_against_its_target(bench):
    figs = {(f.scenario, f.what): f for f in bench.figures(_scenarios(bench))}
    demo = figs[("demo", "SF0.01 × 7 days landing → gold")]
    assert demo.value == 150.0 and demo.ok is False  # 150 s > 120 s
    assert figs[("bare_spark", "residents bronze → silver / bare Spark CSV → Delta")].ok is False  # 3× > 2×
    q = figs[("queries", "analyst questions P95 through Trino")]
    assert q.value == pytest.approx(300.0) and q.ok is True
    assert figs[("incremental", "incremental day / full gold rebuild (same SF0.01 world)")].value == pytest.approx(0.5)
    assert figs[("incremental", "one more day at SF0.01 → gold")].ok is None  # the target is stated at SF0.1
    sf01 = figs[("incremental", "one more day at SF0.1 → gold")]
    assert sf01.value == 80.0 and sf01.ok is True  # 80 s ≤ 90 s
    assert figs[("incremental", "incremental day / full gold rebuild (same SF0.1 world)")].value == pytest.approx(0.2)
    assert figs[("all", "peak resident memory (platform + this process tree)")].value == 7.5
    per_m = figs[("demo", "cost per million records")]
    assert per_m.value == pytest.approx(150.0 / 0.073049)


def test_the_table_and_the_chart_are_written(bench, tmp_path):
    sc = _scenarios(bench)
    md = bench.markdown(bench.figures(sc), sc, "header")
    assert "| demo | SF0.01 × 7 days landing → gold | 150.00 s | ≤ 120 s | **no** |" in md
    assert "| queries | analyst questions P95 through Trino | 300.00 ms | ≤ 500 ms | yes |" in md
    png = tmp_path / "chart.png"
    bench.chart(sc, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
