"""A clone with nothing beside it generates its city on the real divisions it ships: the 13
districts, 198 streets and 3,499 communities of Wuhan (NBS 2020), not an invented hierarchy."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lone_clone(tmp_path_factory) -> Path:
    """`git clone` of this checkout into an otherwise empty folder (no ../shared beside it)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    parent = tmp_path_factory.mktemp("alone")
    dest = parent / "govlake"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest)], check=True, timeout=120)
    # a commit-less working change (a session in progress) is not in the clone: copy the tracked files as they are
    for rel in subprocess.run(["git", "ls-files", "-m"], cwd=ROOT, capture_output=True, text=True).stdout.split():
        if (ROOT / rel).is_file():
            (dest / rel).write_bytes((ROOT / rel).read_bytes())
    assert sorted(p.name for p in parent.iterdir()) == ["govlake"]
    return dest


def test_a_lone_clone_generates_on_the_3499_real_communities(lone_clone, tmp_path):
    out = tmp_path / "city"
    code = ("import json, sys; from pathlib import Path; import govlake_sim, govlake; "
            "from govlake_sim.generator import GenerateOptions, generate; "
            "r = generate(GenerateOptions(sf=0.001, days=1, out=Path(sys.argv[1]))); "
            "print(json.dumps({'communities': r.communities, 'divisions': r.divisions, "
            "'sim': govlake_sim.__file__, 'product': govlake.__file__}))")
    env = dict(os.environ, PYTHONPATH=str(lone_clone), GOVLAKE_HOME=str(lone_clone))
    r = subprocess.run([sys.executable, "-c", code, str(out)], cwd=lone_clone, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["sim"].startswith(str(lone_clone)) and got["product"].startswith(str(lone_clone))  # the clone's code
    assert (got["communities"], got["divisions"]) == (3499, "real")
    with (out / "reference" / "divisions.csv").open(encoding="utf-8", newline="") as f:
        levels = Counter(row["level"] for row in csv.DictReader(f))
    assert (levels["district"], levels["street"], levels["community"]) == (13, 198, 3499)
    manifest = json.loads((out / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["divisions"] == "wuhan_divisions.csv"
