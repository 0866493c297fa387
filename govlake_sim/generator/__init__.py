"""`govlake generate`: a synthetic city and its nine departmental feeds, with recorded defects.

Same seed and arguments → byte-identical files. Layout under ``--out DIR``::

    landing/<feed>/<YYYY-MM-DD>/<file>     file drops as departments deliver them
    police_api/incidents.jsonl             what the police API stand-in serves (all versions)
    urban_cases_db/<YYYY-MM-DD>.jsonl      the rows the urban-management database receives each day
    ground_truth/defects.jsonl             every injected defect (the pipeline never reads this)
    reference/divisions.csv                the five-level code table, grids included (master data)
    ground_truth/manifest.json             files, bytes and rows per feed; arguments
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from govlake.contracts import all_contracts
from govlake.divisions import load_divisions
from govlake.settings import project_root
from govlake_sim.generator import feeds as F
from govlake_sim.generator.delivery import (
    Injector,
    Sidecar,
    apply_row_defects,
    contract_headers,
    csv_bytes,
    deterministic_zip,
    feed_path,
    iso_local,
    jsonl_bytes,
    render_text,
    write_lines,
)
from govlake_sim.generator.population import City, build_city, mobiles, rng_for, vector_ids

Progress = Callable[[str, int, int], None]


@dataclass
class GenerateOptions:
    sf: float = 0.01
    start: dt.date = dt.date(2026, 1, 1)
    days: int = 7
    defects: str = "default"  # default | none
    seed: int = 42
    out: Path = Path("generated")
    divisions: str = "real"  # real (shipped NBS 2020 list) | invented | path of a CSV


@dataclass
class FeedStats:
    files: int = 0
    bytes: int = 0
    rows: int = 0


@dataclass
class GenerationResult:
    out: Path
    residents: int
    seconds: float
    stats: dict[str, FeedStats] = field(default_factory=dict)
    defects: int = 0
    communities: int = 0
    divisions: str = "real"

    @property
    def total_rows(self) -> int:
        return sum(s.rows for s in self.stats.values())


def load_generator_config(path: Path | None = None) -> dict:
    return yaml.safe_load((path or project_root() / "infra" / "generator.yaml").read_text(encoding="utf-8"))


class Generator:
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
        self.pending: dict[str, list[pd.DataFrame]] = defaultdict(list)
        self.police_rows: list[dict] = []

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

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> GenerationResult:
        t0 = time.monotonic()
        o, cfg = self.o, self.cfg
        clear_outputs(o.out)
        hierarchy = load_divisions(o.divisions, seed=o.seed)
        city = build_city(hierarchy, cfg["population"], o.sf, o.start, o.seed, cfg["volumes"]["hotspot_grids"])
        self.city = city
        self._pools()
        for idx in range(o.days):
            day = o.start + dt.timedelta(days=idx)
            self._dynamics(day, idx)
            self._civil_residents(day, idx)
            self._assistance(day, idx)
            self._police(day, idx)
            self._health(day, idx)
            self._lifecycle_file("hotline_12345", day, idx)
            self._lifecycle_file("disputes", day, idx)
            self._urban(day, idx)
            self._opinion(day, idx)
            if (idx + 1) % 7 == 0 or (idx == o.days - 1 and o.days < 7):
                self._party(day, idx)
            self.progress("days", idx + 1, o.days)
        self._write_police_api()
        self._write_reference()
        self.sidecar.write(o.out / "ground_truth" / "defects.jsonl")
        result = GenerationResult(o.out, len(city.residents), time.monotonic() - t0, dict(self.stats),
                                  len(self.sidecar.rows), len(hierarchy.level("community")), hierarchy.source)
        manifest = {
            "arguments": {"sf": o.sf, "start": o.start.isoformat(), "days": o.days, "defects": o.defects,
                          "seed": o.seed},
            "divisions": hierarchy.source if hierarchy.source == "invented" else "wuhan_divisions.csv",
            "residents": len(city.residents),
            "feeds": {k: vars(v) for k, v in sorted(self.stats.items())},
            "defects": dict(sorted(pd.Series([r["kind"] for r in self.sidecar.rows], dtype=object)
                                   .value_counts().to_dict().items())),
        }
        (o.out / "ground_truth" / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return result

    def _pools(self) -> None:
        c, rng = self.city, rng_for(self.o.seed, "pools")
        r = c.residents
        age = r["age"].to_numpy()
        groups = r["special_groups"].to_numpy()
        has = lambda g: np.array([g in s for s in groups])  # noqa: E731
        n = len(r)
        self.chronic = np.flatnonzero((age >= 45) & (rng.random(n) < 0.5))  # hypertension/diabetes under management
        mental = np.flatnonzero(has("严重精神障碍患者"))
        self.mental_followed = mental[rng.random(len(mental)) < 0.8]  # the rest go without follow-up
        subsistence = np.flatnonzero(has("低保对象"))
        self.recipients = {
            "最低生活保障": subsistence,
            "特困人员供养": np.flatnonzero(has("独居老人") & has("低保对象")),
            "高龄津贴": np.flatnonzero(age >= 90),
            "残疾人两项补贴": np.flatnonzero(has("残疾人") & (rng.random(n) < 0.1)),
        }
        adults = np.flatnonzero(age >= 25)
        self.frequent_callers = adults[rng.integers(0, len(adults), max(3, n // 2000))]
        self.dispute_pairs: list[tuple[int, int]] = []
        self.paid_after_death: set[int] = set()
        self.dead_but_active: set[int] = set()
        districts = [d.code for d in c.hierarchy.level("district")]
        self.spikes = {(min(2, self.o.days - 1), "暴雨内涝"): districts[6 % len(districts)],
                       (min(5, self.o.days - 1), "电信诈骗"): districts[4 % len(districts)]}

    def _dynamics(self, day: dt.date, idx: int) -> None:
        """Deaths, births and moves of day ``day`` (visible in the next snapshot)."""
        pop, r = self.cfg["population"], self.city.residents
        rng = rng_for(self.o.seed, "dynamics", idx)
        alive = np.flatnonzero(r["alive"].to_numpy())
        age = r["age"].to_numpy()[alive]
        hazard = np.exp((age - 80) / 10.0)
        expected = pop["annual_death_rate"] / 365 * len(alive)
        p = hazard / hazard.sum() * expected
        dying = alive[rng.random(len(alive)) < p]
        if self.on and idx == 0:
            # the contradictions to discover later must exist even in a small city: two assistance
            # recipients die on day one and stay active in the civil register, one still being paid
            recipients = np.setdiff1d(self.recipients["最低生活保障"], dying)[:2]
            dying = np.union1d(dying, recipients)
            self.forced = set(recipients.tolist())
        r.loc[dying, "alive"] = False
        r.loc[dying, "death_date"] = pd.Timestamp(day)
        self.deaths_today = dying
        self.changed: set[int] = set()
        is_recipient = np.zeros(len(r), dtype=bool)
        for people in self.recipients.values():
            is_recipient[people] = True
        forced = getattr(self, "forced", set()) if idx == 0 else set()
        for i in dying:
            if self.on and (i in forced or rng.random() < self.rates["dead_but_active"]):
                self.dead_but_active.add(int(i))
                self.sidecar.add("contradiction_dead_but_active", "civil_affairs_residents", day,
                                 record_key=r.at[i, "id_number"], owner="民政", truth="卫健 death registration")
                if is_recipient[i] and (i in forced or rng.random() < self.rates["paid_after_death"]):
                    self.paid_after_death.add(int(i))
                    self.sidecar.add("contradiction_paid_after_death", "civil_affairs_assistance", day,
                                     record_key=r.at[i, "id_number"], owner="民政")
        # births: a newborn joins the household of a woman aged 22–40
        n_births = rng.poisson(pop["annual_birth_rate"] / 365 * len(alive))
        mothers = np.flatnonzero(r["alive"].to_numpy() & (r["sex_code"].to_numpy() == "F")
                                 & (r["age"].to_numpy() >= 22) & (r["age"].to_numpy() <= 40))
        if n_births and len(mothers):
            m = mothers[rng.integers(0, len(mothers), n_births)]
            sex = np.where(rng.random(n_births) < 0.52, "M", "F")
            area = np.array([c[:6] for c in r["community_code"].to_numpy()[m]])
            order = 2 * np.arange(n_births) + np.where(sex == "M", 1, 0)
            born = np.full(n_births, np.datetime64(day, "D"))
            ids = vector_ids(area, born, order % 1000)
            new = r.iloc[m].copy()
            new["person_idx"] = np.arange(len(r), len(r) + n_births)
            new["id_number"] = ids
            new["name"] = [nm[0] + x for nm, x in zip(new["name"], F.np.array(["子", "宝", "欣", "睿"])[
                rng.integers(0, 4, n_births)], strict=True)]
            new["sex"] = np.where(sex == "M", "男", "女")
            new["sex_code"] = sex
            new["birth_date"] = pd.Timestamp(day)
            new["age"] = 0
            new["mobile"] = ""
            new["relation_to_head"] = "子女"
            new["special_groups"] = ""
            new["is_party_member"] = "否"
            new.index = new["person_idx"].to_numpy()
            self.city.residents = r = pd.concat([r, new])
            self.changed.update(new.index.tolist())
        # moves between communities
        movers = np.flatnonzero(r["alive"].to_numpy() & (rng.random(len(r)) < pop["daily_move_rate"]))
        if len(movers):
            self.changed.update(movers.tolist())
            grids = self.city.grid_codes[rng.integers(0, len(self.city.grid_codes), len(movers))]
            r.loc[movers, "grid_code"] = grids
            r.loc[movers, "community_code"] = [g[:12] for g in grids]
            r.loc[movers, "household_id"] = [f"{g[:12]}9{idx:02d}{k:04d}" for k, g in enumerate(grids)]
            r.loc[movers, "relation_to_head"] = "户主"
            r.loc[movers, "address"] = [f"{self.city.hierarchy.by_code[g[:12]].name}{int(a)}号{int(b)}室"
                                        for g, a, b in zip(grids, rng.integers(1, 300, len(movers)),
                                                           rng.integers(101, 2800, len(movers)), strict=True)]

    def _table(self, feed: str, name: str | None = None):
        c = self.contracts[feed]
        return c, c.table(name)

    def _civil_residents(self, day: dt.date, idx: int) -> None:
        """The daily full snapshot. Each person's delivered line (with the defects the register holds
        for that person, stable across days) is rendered once and reused until the person changes."""
        feed = "civil_affairs_residents"
        c, t = self._table(feed)
        r = self.city.residents
        keep = r["alive"].to_numpy().copy()
        keep[list(self.dead_but_active)] = True
        snap = np.flatnonzero(keep)
        if not hasattr(self, "res_cache"):
            self.res_cache: dict[int, tuple[list[bytes], list[dict]]] = {}
        todo = [int(p) for p in snap if p not in self.res_cache or p in self.changed]
        path = feed_path(c, self.landing, day)
        delivery = str(path.relative_to(self.o.out))
        if todo:
            sub = r.loc[todo].copy()
            sub["mobile"] = sub["mobile"].replace("", None)
            sub["special_groups"] = sub["special_groups"].replace("", None)
            body = t.model_copy(update={"columns": [col for col in t.columns if col.name != "snapshot_date"]})
            names = [col.name for col in body.columns]
            for p, row in zip(todo, render_text(sub, body), strict=True):
                notes = Sidecar()
                inj = Injector(self.rates, np.random.default_rng(0), notes, feed, day, "", self.on)
                delivered = apply_row_defects([row], body, inj, day.isoformat(), stable_seed=self.o.seed)
                lines = [ln[:-2] + b"," for ln in csv_bytes(delivered, names, names, "gbk")[1:]]
                self.res_cache[p] = (lines, [{k: v for k, v in n.items() if k not in ("day", "delivery")}
                                             for n in notes.rows])
        date = day.isoformat().encode() + b"\r\n"
        names = [col.name for col in t.columns]
        out = [csv_bytes([], contract_headers(t, names), names, "gbk")[0]]
        for p in snap:
            lines, notes = self.res_cache[int(p)]
            out.extend(ln + date for ln in lines)
            for n in notes:
                self.sidecar.add(n["kind"], feed, day, **{**{k: v for k, v in n.items() if k not in ("kind", "feed")},
                                                         "delivery": delivery})
        self.emit(feed, path, out, len(out) - 1, day, idx, gbk=True)

    def _assistance(self, day: dt.date, idx: int) -> None:
        feed = "civil_affairs_assistance"
        c, t = self._table(feed)
        df = F.assistance_payments(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed,
                                   self.recipients, self.paid_after_death)
        path = feed_path(c, self.landing, day)
        rows = render_text(df, t) if len(df) else []
        rows = self.hold_late(feed, rows, idx, day, "payment_id")
        rows = apply_row_defects(rows, t, self.inj(feed, day, str(path.relative_to(self.o.out)), idx), "")
        names = [col.name for col in t.columns]
        self.emit(feed, path, csv_bytes(rows, contract_headers(t, names), names, "gbk"), len(rows), day, idx,
                  gbk=True)

    def _police(self, day: dt.date, idx: int) -> None:
        feed = "police_incidents"
        v = F.police_incidents(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed)
        inj = self.inj(feed, day, "police_api/incidents.jsonl", idx)
        rng = rng_for(self.o.seed, "police-contradictions", idx)
        ts_cols = ["reported_at", "dispatched_at", "arrived_at", "closed_at", "updated_at"]
        mismatch: dict[tuple[str, int], dict] = {}
        for rec in v.to_dict("records"):
            key = rec["incident_id"]
            persons = []
            for j, p in enumerate(rec["persons"]):
                p = {k: x for k, x in p.items() if not k.startswith("_")}
                slot = (key, j)
                if slot not in mismatch:  # decide once per incident person, keep across versions
                    mm = {}
                    if self.on and rng.random() < self.rates["community_mismatch"]:
                        other = self.city.grid_codes[rng.integers(0, len(self.city.grid_codes))][:12]
                        if other != p["community_code"]:
                            mm["community_code"] = other
                            self.sidecar.add("contradiction_community_mismatch", feed, day, record_key=p["id_number"],
                                             owner="公安/民政", police=other, civil=p["community_code"],
                                             incident_id=key)
                    if self.on and p["mobile"] and rng.random() < self.rates["mobile_mismatch"]:
                        mm["mobile"] = str(mobiles(rng, 1)[0])
                        self.sidecar.add("contradiction_mobile_mismatch", feed, day, record_key=p["id_number"],
                                         owner="公安/民政", police=mm["mobile"], civil=p["mobile"], incident_id=key)
                    if p["id_number"]:
                        mm["id_number"] = inj.bad_id(p["id_number"], key, f"persons[{j}].id_number")
                    if p["mobile"]:
                        mm["mobile"] = inj.bad_mobile(mm.get("mobile", p["mobile"]), key, f"persons[{j}].mobile")
                    mismatch[slot] = mm
                p.update(mismatch[slot])
                persons.append(p)
            row = {k: (iso_local(rec[k]) if k in ts_cols else rec[k]) for k in
                   ["incident_id", "category_code", "status", "grid_code", "district_code", "address", "summary",
                    *ts_cols, "police_station"]}
            row["persons"] = persons
            row["grid_code"] = inj.bad_code(row["grid_code"], key, "grid_code")
            if inj.hit("future_timestamp"):
                new = (pd.Timestamp(day) + pd.Timedelta(days=30, hours=10)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
                inj.note("future_timestamp", key, "reported_at", row["reported_at"], new)
                row["reported_at"] = new
            self.police_rows.append(row)

    def _write_reference(self) -> None:
        """Master data the departments share: the five-level division table including the grids
        (a code table for the pipeline, not ground truth)."""
        path = self.o.out / "reference" / "divisions.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["level", "code", "name", "parent_code"])
            for level in ("district", "street", "community", "grid"):
                for d in self.city.hierarchy.level(level):
                    w.writerow([d.level, d.code, d.name, d.parent_code])

    def _write_police_api(self) -> None:
        path = self.o.out / "police_api" / "incidents.jsonl"
        seen: set[tuple[str, str]] = set()
        rows = []
        last = (self.o.start + dt.timedelta(days=self.o.days - 1)).isoformat()
        for r in self.police_rows:  # one version per (incident, updated_at): the API's cursor key
            k = (r["incident_id"], r["updated_at"])
            if r["updated_at"][:10] > last:  # status changes after the simulated period have not happened
                continue
            if k not in seen:
                seen.add(k)
                rows.append(r)
        rows.sort(key=lambda r: (r["updated_at"], r["incident_id"]))
        write_lines(path, jsonl_bytes(rows))
        self.stats["police_incidents"].rows = len(rows)
        self.stats["police_incidents"].files = 1
        self.stats["police_incidents"].bytes = path.stat().st_size

    def _health(self, day: dt.date, idx: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        feed = "health_events"
        c, t = self._table(feed)
        df = F.health_events(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed, self.chronic,
                             self.mental_followed, self.deaths_today)
        path = feed_path(c, self.landing, day)
        inj = self.inj(feed, day, str(path.relative_to(self.o.out)), idx)
        names = [col.name for col in t.columns]
        if len(df):
            df = df.copy()
            df["id_number"] = [inj.bad_id(x, k, "id_number") for x, k in zip(df["id_number"], df["event_id"],
                                                                          strict=True)]
            df["mobile"] = [inj.bad_mobile(x, k, "mobile") for x, k in zip(df["mobile"], df["event_id"], strict=True)]
            df["community_code"] = [inj.bad_code(x, k, "community_code")
                                    for x, k in zip(df["community_code"], df["event_id"], strict=True)]
        else:
            df = pd.DataFrame(columns=names)
        schema = pa.schema([
            ("event_id", pa.string()), ("id_number", pa.string()), ("name", pa.string()),
            ("event_type", pa.string()), ("event_date", pa.date32()), ("diagnosis_code", pa.string()),
            ("result", pa.string()), ("death_date", pa.date32()), ("institution_code", pa.string()),
            ("community_code", pa.string()), ("mobile", pa.string()),
            ("recorded_at", pa.timestamp("s", tz="Asia/Shanghai")),
        ])
        out = df[names].copy()
        out["recorded_at"] = pd.to_datetime(out["recorded_at"]).dt.tz_localize("Asia/Shanghai")
        for col in ("event_date", "death_date"):
            out[col] = pd.to_datetime(out[col]).dt.date
        table = pa.Table.from_pandas(out, schema=schema, preserve_index=False).replace_schema_metadata(None)
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf, compression="zstd")
        self.emit(feed, path, [buf.getvalue().to_pybytes()], len(df), day, idx, file_defects=False)

    def _lifecycle_file(self, feed: str, day: dt.date, idx: int) -> None:
        c, t = self._table(feed)
        if feed == "hotline_12345":
            v = F.hotline_12345(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed,
                                self.frequent_callers)
        else:
            v = F.disputes(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed, self.dispute_pairs)
        todays = self._due(feed, v, day)
        path = feed_path(c, self.landing, day)
        names = [col.name for col in t.columns]
        rows = render_text(todays, t) if len(todays) else []
        if feed == "hotline_12345":
            for row in rows:
                for k in names:
                    if k.endswith("_at") and row.get(k):
                        row[k] = row[k].replace(" ", "T") + "+08:00"
        key = t.primary_key[0]
        rows = self.hold_late(feed, rows, idx, day, key)
        rows = apply_row_defects(rows, t, self.inj(feed, day, str(path.relative_to(self.o.out)), idx), "")
        drift = self.rates["schema_drift"]
        if feed == "hotline_12345":
            if self.on and idx >= drift["added"]["day"] - 1:
                for row in rows:
                    row[drift["added"]["column"]] = self.city.hierarchy.by_code[row["grid_code"][:6]].name \
                        if row.get("grid_code") and row["grid_code"][:6] in self.city.hierarchy.by_code else None
                if idx == drift["added"]["day"] - 1:
                    self.sidecar.add("schema_drift_added_column", feed, day, column=drift["added"]["column"],
                                     delivery=str(path.relative_to(self.o.out)))
            self.emit(feed, path, jsonl_bytes(rows), len(rows), day, idx)
        else:
            headers = contract_headers(t, names)
            first = drift["renamed"]["day"] - 1
            if self.on and first <= idx < first + drift["renamed"].get("days", 1):
                # the department's export renames a required column for `days` deliveries, then
                # reverts (after the rejection reached its steward); every renamed delivery is a defect
                headers = [drift["renamed"]["to"] if h == drift["renamed"]["column"] else h for h in headers]
                self.sidecar.add("schema_drift_renamed_column", feed, day, column=drift["renamed"]["column"],
                                 renamed_to=drift["renamed"]["to"], delivery=str(path.relative_to(self.o.out)))
            self.emit(feed, path, csv_bytes(rows, headers, names, "utf-8-sig"), len(rows), day, idx)

    def _due(self, feed: str, versions: pd.DataFrame, day: dt.date) -> pd.DataFrame:
        """Latest version of each record updated on ``day`` (file drops carry the state at day end)."""
        if len(versions):
            self.pending[feed].append(versions)
        if not self.pending[feed]:
            return pd.DataFrame()
        allv = pd.concat(self.pending[feed], ignore_index=True)
        d = pd.to_datetime(allv["updated_at"]).dt.date
        today = allv[d == day]
        self.pending[feed] = [allv[d > day]]
        if not len(today):
            return today
        key = self.contracts[feed].table().primary_key[0]
        return today.sort_values([key, "_stage"]).drop_duplicates(key, keep="last").sort_values(key)

    def _urban(self, day: dt.date, idx: int) -> None:
        feed = "urban_cases"
        _, t = self._table(feed)
        v = F.urban_cases(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed)
        todays = self._due(feed, v, day)
        rows = render_text(todays, t) if len(todays) else []
        rows = apply_row_defects(rows, t, self.inj(feed, day, f"urban_cases_db/{day}.jsonl", idx), "")
        seen: set[str] = set()
        unique = []
        for row in rows:  # a database holds one row per key: duplicates do not exist there
            if row["case_id"] not in seen:
                seen.add(row["case_id"])
                unique.append(row)
        path = self.o.out / "urban_cases_db" / f"{day}.jsonl"
        write_lines(path, jsonl_bytes(unique))
        st = self.stats[feed]
        st.files += 1
        st.bytes += path.stat().st_size
        st.rows += len(unique)

    def _opinion(self, day: dt.date, idx: int) -> None:
        feed = "public_opinion"
        c, t = self._table(feed)
        df = F.public_opinion(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed, self.spikes)
        hours = pd.to_datetime(df["published_at"]).dt.hour.to_numpy() if len(df) else np.array([], dtype=int)
        for hour in range(24):
            part = df[hours == hour]
            path = feed_path(c, self.landing, day, hour=hour)
            rows = render_text(part, t) if len(part) else []
            for row in rows:
                for k in ("published_at", "collected_at"):
                    if row.get(k):
                        row[k] = row[k].replace(" ", "T") + "+08:00"
                if row.get("sentiment_score") is not None:
                    row["sentiment_score"] = float(row["sentiment_score"])
                if row.get("reach") is not None:
                    row["reach"] = int(row["reach"])
            rows = apply_row_defects(rows, t, self.inj(feed, day, str(path.relative_to(self.o.out)), idx,
                                                       salt=str(hour)), "")
            self.emit(feed, path, jsonl_bytes(rows), len(rows), day, idx * 24 + hour)

    def _party(self, day: dt.date, idx: int) -> None:
        import openpyxl

        feed = "party_building"
        c = self.contracts[feed]
        week_start = day - dt.timedelta(days=6)
        frames = F.party_building(self.city, day, max(week_start, self.o.start), self.o.sf, self.cfg["volumes"],
                                  self.o.seed)
        path = feed_path(c, self.landing, day, week=f"{day:%G}W{day:%V}")
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        n = 0
        for t in c.tables:
            df = frames[t.name]
            rows = render_text(df, t) if len(df) else []
            rows = apply_row_defects(rows, t, self.inj(feed, day, str(path.relative_to(self.o.out)), idx,
                                                       salt=t.name), "")
            ws = wb.create_sheet(t.sheet)
            names = [col.name for col in t.columns]
            ws.append(contract_headers(t, names))
            for r in rows:
                ws.append([r.get(k) for k in names])
            n += len(rows)
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        deterministic_zip(path, dt.datetime.combine(day, dt.time()))
        data = path.read_bytes()
        st = self.stats[feed]
        st.files += 1
        st.bytes += len(data)
        st.rows += n


OUTPUT_DIRS = ("landing", "police_api", "urban_cases_db", "reference", "ground_truth")


def clear_outputs(out: Path) -> None:
    """A new city replaces the previous one: stale dates of a longer earlier run must not mix in.
    Only the generator's own sub-folders are removed, never ``out`` itself."""
    import shutil

    for name in OUTPUT_DIRS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)


def generate(opts: GenerateOptions, progress: Progress | None = None, cfg: dict | None = None) -> GenerationResult:
    return Generator(opts, cfg or load_generator_config(), progress).run()


__all__ = ["City", "GenerateOptions", "GenerationResult", "generate"]
