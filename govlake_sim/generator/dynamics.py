"""Who lives in the city from day to day: the standing pools the feeds draw on (chronic patients,
assistance recipients, frequent callers, opinion spikes) and each day's deaths, births and moves,
with the contradictions between registers they leave behind."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from govlake_sim.generator.base import GeneratorBase
from govlake_sim.generator.population import rng_for, vector_ids


class PopulationDynamics(GeneratorBase):
    """The pools (once) and the daily population changes."""

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
            new["name"] = [nm[0] + x for nm, x in zip(new["name"], np.array(["子", "宝", "欣", "睿"])[
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
