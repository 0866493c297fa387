"""Per-task overhead of the ways an Airflow task can reach Spark, measured as a task pays it: a fresh
Python process that opens a session, reads one Delta table through the metastore, and exits.

    .venv/bin/python bench/spark_access.py [--repeat 3] [--table ops.deliveries]

- ``local``: the task starts its own Spark JVM (Delta, Hive metastore client) in-process;
- ``connect``: the task is a Spark Connect client of the long-lived server ``make up`` starts.

Needs the platform (``make up``). Prints the median seconds of each, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

TASK = """
import time, sys
t0 = time.perf_counter()
from govlake.settings import load_settings
from govlake.spark import spark_session
s = load_settings()
with spark_session(s, "bench-spark-access") as spark:
    t1 = time.perf_counter()
    n = spark.table(sys.argv[1]).count()
    t2 = time.perf_counter()
print(f"RESULT {t1 - t0:.3f} {t2 - t1:.3f} {n}")
"""


def one(mode: str, table: str) -> tuple[float, float, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOVLAKE_SPARK__REMOTE", "SPARK_REMOTE")}
    if mode == "connect":
        from govlake.settings import load_settings

        env["GOVLAKE_SPARK__REMOTE"] = load_settings().spark_connect.url
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", TASK, table], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    line = next((x for x in r.stdout.splitlines() if x.startswith("RESULT")), None)
    if r.returncode != 0 or line is None:
        raise SystemExit(f"{mode} failed:\n{r.stderr[-2000:]}")
    _, session_s, read_s, _n = line.split()
    return wall, float(session_s), float(read_s)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--table", default="ops.deliveries")
    a = ap.parse_args()
    med = {}
    for mode in ("local", "connect"):
        runs = [one(mode, a.table) for _ in range(a.repeat)]
        med[mode] = tuple(statistics.median(r[i] for r in runs) for i in range(3))
        w, s, rd = med[mode]
        print(f"{mode:8s} task process {w:6.1f} s  (session {s:5.1f} s, read {a.table} {rd:5.2f} s)  "
              f"median of {a.repeat}", flush=True)
    print(f"connect / local per-task time: {med['connect'][0] / med['local'][0]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
