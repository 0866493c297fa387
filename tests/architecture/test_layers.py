"""The layer rules of docs/architecture.md hold, and the linter that enforces them really catches a
break: the import-linter contracts in pyproject.toml are run on the tree and on a copy of it with a
forbidden import planted, and DAG files are checked for heavy imports at parse time."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("govlake", "spark_jobs", "govlake_sim")
# What a DAG file may not import at module level: the scheduler parses DAG files every few seconds.
HEAVY_AT_PARSE = ("pyspark", "delta", "dbt", "pandas", "great_expectations", "spark_jobs", "govlake_sim")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def copy_tree(dest: Path) -> Path:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.csv"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_the_tree_keeps_every_layer_contract():
    r = lint(ROOT)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "BROKEN" not in r.stdout and "Contracts: " in r.stdout


@pytest.mark.parametrize(("module", "planted", "contract"), [
    ("govlake/pipeline.py", "import govlake_sim.generator", "never imports the simulator"),
    ("spark_jobs/transforms/silver.py", "from spark_jobs import io as _io", "Transforms are pure"),
    ("govlake/settings.py", "import govlake.pipeline", "are leaves"),
])
def test_the_linter_catches_a_forbidden_import(tmp_path, module, planted, contract):
    root = copy_tree(tmp_path)
    path = root / module
    text = path.read_text(encoding="utf-8")
    marker = "from __future__ import annotations\n"
    assert marker in text, module
    path.write_text(text.replace(marker, f"{marker}\n{planted}  # planted by the test\n", 1), encoding="utf-8")
    r = lint(root)
    assert r.returncode == 1, r.stdout[-3000:]
    assert "Broken contracts" in r.stdout, r.stdout[-3000:]
    report = r.stdout.split("Broken contracts", 1)[1]
    assert contract in report, report[:2000]
    assert module.removesuffix(".py").replace("/", ".") in report, report[:2000]


def heavy_imports(source: str) -> list[str]:
    """Top-level (parse-time) imports of a DAG file that are too heavy for the scheduler's parser."""
    found = []
    for node in ast.parse(source).body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [n for n in names if n.split(".")[0] in HEAVY_AT_PARSE]
    return found


def test_the_dag_import_check_catches_heavy_imports_and_allows_them_inside_tasks():
    bad = "import pyspark.sql\nfrom dbt.cli.main import dbtRunner\nimport airflow\n"
    good = "from airflow.sdk import dag, task\n\n@task\ndef bronze():\n    from pyspark.sql import SparkSession\n"
    assert heavy_imports(bad) == ["pyspark.sql", "dbt.cli.main"]
    assert heavy_imports(good) == []


def test_dag_files_import_no_spark_dbt_or_pandas_at_parse_time():
    offenders = {p.name: heavy_imports(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "dags").glob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}
