"""The case feeds: police incidents (collected for the API stand-in), the 12345 hotline and disputes
(one file per day with each record's latest version), urban-management cases (the database's daily
rows), public opinion (hourly files) and party building (a weekly workbook)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from govlake_sim.generator.base import GeneratorBase
from govlake_sim.generator.case_records import (
    disputes,
    hotline_12345,
    party_building,
    police_incidents,
    public_opinion,
    urban_cases,
)
from govlake_sim.generator.delivery import (
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
from govlake_sim.generator.population import mobiles, rng_for


class CaseFeeds(GeneratorBase):
    """公安, 12345, disputes, urban management, public opinion and party-building deliveries."""

    def _police(self, day: dt.date, idx: int) -> None:
        feed = "police_incidents"
        v = police_incidents(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed)
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

    def _lifecycle_file(self, feed: str, day: dt.date, idx: int) -> None:
        c, t = self._table(feed)
        if feed == "hotline_12345":
            v = hotline_12345(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed,
                                self.frequent_callers)
        else:
            v = disputes(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed, self.dispute_pairs)
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
        v = urban_cases(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed)
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
        df = public_opinion(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed, self.spikes)
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
        frames = party_building(self.city, day, max(week_start, self.o.start), self.o.sf, self.cfg["volumes"],
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

