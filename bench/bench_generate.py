"""Benchmark: synthetic city generation throughput.

    .venv/bin/python bench/bench_generate.py                 # SF0.01×7 (baseline) and SF0.1×7
    .venv/bin/python bench/bench_generate.py --sf 1 --days 30  # the target: SF1 × 30 days < 10 min

Prints seconds, records/s, peak RSS and, per feed, files / rows / MiB; the ratio column compares
throughput with the SF0.01 baseline measured in the same run (machines are noisy; ratios travel).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from govlake_sim.generator import GenerateOptions, generate


def one(sf: float, days: int, out: Path) -> tuple[float, int, dict]:
    t = time.perf_counter()
    r = generate(GenerateOptions(sf=sf, days=days, out=out))
    return time.perf_counter() - t, r.total_rows, r.stats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", type=float, default=0.1)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="write here instead of a temporary folder")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_s, base_n, _ = one(0.01, 7, Path(tmp) / "base")
        out = a.keep or Path(tmp) / "run"
        secs, n, stats = one(a.sf, a.days, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base_rate, rate = base_n / base_s, n / secs
    print(f"baseline SF0.01×7: {base_s:7.1f}s {base_n:>12,} records {base_rate:>10,.0f} records/s")
    print(f"run      SF{a.sf}×{a.days}: {secs:7.1f}s {n:>12,} records {rate:>10,.0f} records/s "
          f"ratio {rate / base_rate:.2f}x  peak RSS {peak:,.0f} MiB")
    for feed, st in sorted(stats.items()):
        print(f"  {feed:<26} files {st.files:>5}  rows {st.rows:>11,}  {st.bytes / 2**20:9.1f} MiB")


if __name__ == "__main__":
    main()
