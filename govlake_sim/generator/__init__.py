"""`govlake-sim generate`: a synthetic city and its nine departmental feeds, with recorded defects.

Same seed and arguments → byte-identical files. Layout under ``--out DIR``::

    landing/<feed>/<YYYY-MM-DD>/<file>     file drops as departments deliver them
    police_api/incidents.jsonl             what the police API stand-in serves (all versions)
    urban_cases_db/<YYYY-MM-DD>.jsonl      the rows the urban-management database receives each day
    ground_truth/defects.jsonl             every injected defect (the pipeline never reads this)
    reference/divisions.csv                the five-level code table, grids included (master data)
    ground_truth/manifest.json             files, bytes and rows per feed; arguments

Modules: ``options`` (what a run is asked for and reports), ``run`` (the day loop), ``population``
(the city and its residents), ``dynamics`` (deaths, births, moves and the pools feeds draw on),
``records`` with ``register_records`` and ``case_records`` (clean records per feed),
``register_feeds`` and ``case_feeds`` (delivering them, defects injected), ``base`` (state and
helpers the emitters share), ``delivery`` (file formats and the defect injector), ``outputs``
(police API data, division table, manifest).
"""

from __future__ import annotations

from govlake_sim.generator.options import GenerateOptions, GenerationResult
from govlake_sim.generator.population import City
from govlake_sim.generator.run import generate

__all__ = ["City", "GenerateOptions", "GenerationResult", "generate"]
