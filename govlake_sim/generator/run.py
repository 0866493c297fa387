"""One generation run: build the city, then day by day let its population change and every
department deliver; finally the police API's data, the division table, the defect log and the manifest."""

from __future__ import annotations

import datetime as dt
import time

from govlake.divisions import load_divisions
from govlake_sim.generator.case_feeds import CaseFeeds
from govlake_sim.generator.dynamics import PopulationDynamics
from govlake_sim.generator.options import GenerateOptions, GenerationResult, Progress, load_generator_config
from govlake_sim.generator.outputs import clear_outputs, write_manifest, write_police_api, write_reference
from govlake_sim.generator.population import build_city
from govlake_sim.generator.register_feeds import RegisterFeeds


class Generator(PopulationDynamics, RegisterFeeds, CaseFeeds):
    """One run of the generator over ``opts.days`` days."""

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
        self.stats["police_incidents"] = write_police_api(o.out, o.start, o.days, self.police_rows)
        write_reference(o.out, city.hierarchy)
        self.sidecar.write(o.out / "ground_truth" / "defects.jsonl")
        result = GenerationResult(o.out, len(city.residents), time.monotonic() - t0, dict(self.stats),
                                  len(self.sidecar.rows), len(hierarchy.level("community")), hierarchy.source)
        write_manifest(o, hierarchy, len(city.residents), self.stats, self.sidecar.rows)
        return result


def generate(opts: GenerateOptions, progress: Progress | None = None, cfg: dict | None = None) -> GenerationResult:
    return Generator(opts, cfg or load_generator_config(), progress).run()
