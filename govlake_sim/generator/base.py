"""The state one generation run shares, and the helpers every feed emitter uses: the defect
injector of a delivery, writing a file drop (with file-level defects) and holding records back
for a late delivery."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from govlake.contracts import all_contracts
from govlake_sim.generator.delivery import Injector, Sidecar
from govlake_sim.generator.options import FeedStats, GenerateOptions, Progress
from govlake_sim.generator.population import City, rng_for


class GeneratorBase:
    """The per-feed emitters (mixins of this class) share this state; ``run`` drives them day by day."""

    # set by run() and the population dynamics before the first feed is emitted
    city: City
    chronic: np.ndarray
    mental_followed: np.ndarray
    recipients: dict[str, np.ndarray]
    frequent_callers: np.ndarray
    dispute_pairs: list[tuple[int, int]]
    paid_after_death: set[int]
    dead_but_active: set[int]
    spikes: dict[tuple[int, str], str]
    deaths_today: np.ndarray
    changed: set[int]

    def __init__(self, opts: GenerateOptions, cfg: dict, progress: Progress | None = None):
        if opts.defects not in ("default", "none"):
            raise ValueError("--defects must be 'default' or 'none'")
        if opts.days < 1 or opts.sf <= 0:
            raise ValueError("--days must be >= 1 and --sf > 0")
        self.o, self.cfg, self.progress = opts, cfg, progress or (lambda *_: None)
        self.contracts = all_contracts()
        self.rates = cfg["defects"]
        self.on = opts.defects == "default"
        self.sidecar = Sidecar()
        self.stats: dict[str, FeedStats] = defaultdict(FeedStats)
        self.landing = opts.out / "landing"
        self.late: dict[tuple[str, int], list[dict]] = defaultdict(list)  # (feed, day idx) → rows held back
        self.pending: dict[str, list[pd.DataFrame]] = defaultdict(list)  # lifecycle versions not yet due
        self.police_rows: list[dict] = []  # every incident version, for the police API file at the end

    # -- helpers ------------------------------------------------------------------------------
    def inj(self, feed: str, day: dt.date, delivery: str, idx: int, salt: str = "") -> Injector:
        return Injector(self.rates, rng_for(self.o.seed, "defects", feed + salt, idx), self.sidecar, feed, day,
                        delivery, self.on)

    def emit(self, feed: str, path: Path, lines: list[bytes], n_rows: int, day: dt.date, idx: int,
             file_defects: bool = True, gbk: bool = False) -> None:
        """Write one file drop, maybe with file-level defects (invalid bytes, truncation, re-delivery)."""
        rng = rng_for(self.o.seed, "file-defects", feed, idx, path.name)
        rel = str(path.relative_to(self.o.out))
        if self.on and gbk:
            for i in np.flatnonzero(rng.random(len(lines)) < self.rates["invalid_gbk_bytes"]):
                if i == 0:
                    continue
                pos = max(1, len(lines[i]) // 3)
                lines[i] = lines[i][:pos] + b"\xff\xfe" + lines[i][pos:]
                self.sidecar.add("invalid_gbk_bytes", feed, day, delivery=rel, line=int(i) + 1)
        data = b"".join(lines)
        if self.on and file_defects and len(lines) > 3 and rng.random() < self.rates["truncated_file"]:
            cut = len(data) - max(1, len(lines[-1]) // 2)
            complete = len(lines) - 2  # data lines before the cut one
            data = data[:cut]
            self.sidecar.add("truncated_file", feed, day, delivery=rel, complete_records=complete,
                             records_lost=1, bytes_kept=cut)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        st = self.stats[feed]
        st.files += 1
        st.bytes += len(data)
        st.rows += n_rows
        if self.on and file_defects and rng.random() < self.rates["duplicate_file"]:
            again = path.with_name(path.stem + "_resend" + path.suffix)
            again.write_bytes(data)
            st.files += 1
            st.bytes += len(data)
            self.sidecar.add("duplicate_file", feed, day, delivery=str(again.relative_to(self.o.out)),
                             original=rel, sha256=hashlib.sha256(data).hexdigest())

    def hold_late(self, feed: str, rows: list[dict], idx: int, day: dt.date, key: str) -> list[dict]:
        """Some records arrive days late: move them to a later delivery of the same feed."""
        if not self.on:
            return rows
        rng = rng_for(self.o.seed, "late", feed, idx)
        keep = []
        for r in rows:
            if rng.random() < self.rates["late_arrival"]:
                delay = int(rng.integers(2, 5))
                target = idx + delay
                if target < self.o.days:
                    self.late[(feed, target)].append(r)
                    self.sidecar.add("late_arrival", feed, day, record_key=str(r.get(key)), days_late=delay,
                                     delivered_on=(day + dt.timedelta(days=delay)).isoformat())
                    continue
            keep.append(r)
        return keep + self.late.pop((feed, idx), [])

    def _table(self, feed: str, name: str | None = None):
        c = self.contracts[feed]
        return c, c.table(name)
