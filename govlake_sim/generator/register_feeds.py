"""The register feeds: the civil-affairs resident snapshot and assistance payments (GBK CSV) and the
health events (Parquet)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from govlake_sim.generator.base import GeneratorBase
from govlake_sim.generator.delivery import (
    Injector,
    Sidecar,
    apply_row_defects,
    contract_headers,
    csv_bytes,
    feed_path,
    render_text,
)
from govlake_sim.generator.register_records import assistance_payments, health_events


class RegisterFeeds(GeneratorBase):
    """民政 and 卫健 deliveries."""

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
        df = assistance_payments(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed,
                                   self.recipients, self.paid_after_death)
        path = feed_path(c, self.landing, day)
        rows = render_text(df, t) if len(df) else []
        rows = self.hold_late(feed, rows, idx, day, "payment_id")
        rows = apply_row_defects(rows, t, self.inj(feed, day, str(path.relative_to(self.o.out)), idx), "")
        names = [col.name for col in t.columns]
        self.emit(feed, path, csv_bytes(rows, contract_headers(t, names), names, "gbk"), len(rows), day, idx,
                  gbk=True)

    def _health(self, day: dt.date, idx: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        feed = "health_events"
        c, t = self._table(feed)
        df = health_events(self.city, day, idx, self.o.sf, self.cfg["volumes"], self.o.seed, self.chronic,
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

