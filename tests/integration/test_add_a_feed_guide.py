"""docs/add-a-feed.md works as written: every block marked ``<!-- step -->`` runs, in order, in a
private copy of the project (the guide adds a contract and derived files) against the running
platform, in private warehouse schemas; the new feed's rows are then in silver, read through Trino.

The guide's precondition (`make demo` ran: the platform is up and a city was generated, so the
division code table exists) is met by a tiny generated city in the test's own output folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from govlake import trino_client
from govlake.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "add-a-feed.md"
STEP = re.compile(r"<!--\s*step\s*-->\s*\n```(?:bash|sh|shell)?\n(?P<code>.*?)```", re.S)


def guide_steps(text: str) -> list[str]:
    return [m["code"] for m in STEP.finditer(text)]


def test_the_guide_marks_its_steps():
    steps = guide_steps(GUIDE.read_text(encoding="utf-8"))
    assert len(steps) >= 4
    joined = "\n".join(steps)
    for command in ("govlake contracts derive", "govlake run", "govlake sql"):
        assert command in joined, command


def project_copy(dest: Path) -> Path:
    """The tracked files of this checkout as they are now (the guide edits schemas/ and expectations/)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


@pytest.fixture
def guide_env(tmp_path, spark):
    s0 = load_settings()
    home = project_copy(tmp_path / "govlake")
    prefix = f"guide{uuid.uuid4().hex[:6]}_"
    out = tmp_path / "generated"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVLAKE_")}
    env.update(GOVLAKE_HOME=str(home), GOVLAKE_PATHS__STATE_DIR=str(s0.state_dir),
               GOVLAKE_WAREHOUSE__PREFIX=prefix, GOVLAKE_FEEDS__OUT_DIR=str(out),
               PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}")
    gen = subprocess.run(["govlake-sim", "generate", "--sf", "0.001", "--days", "1", "--no-db"], cwd=home,
                         env=env, capture_output=True, text=True, timeout=600)
    assert gen.returncode == 0, gen.stderr[-2000:]
    s = load_settings(warehouse={"prefix": prefix})
    for layer in s.warehouse.schemas:
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {s.schema(layer)} LOCATION '{s.schema_location(s.schema(layer))}'")
    yield home, env, s
    for layer in s.warehouse.schemas:
        spark.sql(f"DROP SCHEMA IF EXISTS {s.schema(layer)} CASCADE")


def test_a_new_department_feed_lands_in_silver_by_following_the_guide(guide_env):
    home, env, s = guide_env
    before = {p.parent.name for p in (ROOT / "schemas" / "feeds").glob("*/v*.yaml")}
    outputs = []
    for i, code in enumerate(guide_steps(GUIDE.read_text(encoding="utf-8")), 1):
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=home, env=env, capture_output=True,
                           text=True, timeout=900)
        print(f"--- step {i}\n{code}\n{r.stdout[-3000:]}\n{r.stderr[-1500:]}")
        assert r.returncode == 0, f"step {i} failed:\n{code}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
        assert "Traceback" not in r.stdout + r.stderr, f"step {i} printed a traceback"
        outputs.append(r.stdout)

    added = [p for p in (home / "schemas" / "feeds").glob("*/v*.yaml") if p.parent.name not in before]
    assert len(added) == 1, added
    contract = yaml.safe_load(added[0].read_text(encoding="utf-8"))
    feed, tables = contract["feed"], [t["name"] for t in contract["tables"]]
    # the derived files exist for it, and the derive check is clean in the copy
    for t in tables:
        assert (home / "expectations" / "suites" / f"{feed}.{t}.json").is_file()
    assert all(t in (home / "dbt_project" / "models" / "staging" / "_sources.yml").read_text() for t in tables)

    # the rows are in silver (through Trino), and the delivery is accounted in ops.deliveries
    for t in tables:
        n = trino_client.query(s, f"SELECT count(*) FROM {s.trino.catalog}.{s.schema('silver')}.{t}")[0][0]
        assert n > 0, f"silver.{t} is empty"
    acc = trino_client.query(s, f"SELECT sum(rows_read), sum(rows_accepted), sum(rows_quarantined), "
                                f"sum(rows_duplicate) FROM {s.trino.catalog}.{s.schema('ops')}.deliveries "
                                f"WHERE feed = '{feed}'")[0]
    assert acc[0] and acc[0] == acc[1] + acc[2] + acc[3], acc
    # the guide's last step shows the rows to the reader
    assert re.search(r"\d+ row\(s\)", outputs[-1]), outputs[-1][-1000:]
