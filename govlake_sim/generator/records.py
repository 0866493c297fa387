"""What the clean records of every feed draw on: daily volumes (weekday and season), times of day,
places (hotspot grids), the living on a day, and lifecycle versions.

The record generators (``register_records``, ``case_records``) return pandas frames whose columns
are the contract column names (timestamps as naive Asia/Shanghai ``datetime64``); defects are
injected later, on the delivered form. Lifecycle feeds produce one *version* per status change
(``_stage`` orders them).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from govlake_sim.generator.population import City

# weekday factors Mon..Sun and a gentle seasonal curve by month (index 1..12)
WEEKDAY = {"police_incidents": [1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.2],
           "hotline_12345": [1.2, 1.1, 1.05, 1.0, 1.0, 0.75, 0.7],
           "urban_cases": [1.1, 1.1, 1.05, 1.05, 1.0, 0.85, 0.8],
           "disputes": [1.05, 1.05, 1.0, 1.0, 1.0, 0.95, 0.95],
           "public_opinion": [1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1]}
SEASON = [None, 0.9, 0.85, 0.95, 1.0, 1.05, 1.1, 1.15, 1.15, 1.05, 1.0, 0.95, 0.95]
HOUR_WEIGHTS = np.array([2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 7, 7, 7, 8, 8, 9, 9, 8, 6, 4, 3], dtype=float)


def day_volume(rng: np.random.Generator, base: float, sf: float, day: dt.date, feed: str) -> int:
    factor = WEEKDAY.get(feed, [1] * 7)[day.weekday()] * SEASON[day.month]
    return int(rng.poisson(max(base * sf * factor, 0.0)))


def times_in_day(rng: np.random.Generator, day: dt.date, n: int, weights: np.ndarray = HOUR_WEIGHTS) -> np.ndarray:
    hours = rng.choice(24, size=n, p=weights / weights.sum())
    secs = hours * 3600 + rng.integers(0, 3600, n)
    return np.datetime64(day, "s") + secs.astype("timedelta64[s]")


def pick_grids(rng: np.random.Generator, city: City, n: int, hotspot_factor: float) -> np.ndarray:
    w = np.ones(len(city.grid_codes))
    w[np.isin(city.grid_codes, city.hotspot_grids)] = hotspot_factor
    return city.grid_codes[rng.choice(len(city.grid_codes), size=n, p=w / w.sum())]


def alive_people(city: City, day: dt.date, min_age: int = 0) -> np.ndarray:
    r = city.residents
    alive = r["alive"].to_numpy() | (r["death_date"].to_numpy() >= np.datetime64(day))
    return np.flatnonzero(alive & (r["age"].to_numpy() >= min_age))


def offsets(rng: np.random.Generator, n: int, lo_min: float, hi_min: float) -> np.ndarray:
    return (rng.uniform(lo_min, hi_min, n) * 60).astype("timedelta64[s]")


def versions(items: pd.DataFrame, stages: list[tuple[str, str]], status_col: str = "status") -> pd.DataFrame:
    """One row per reached stage: later stage timestamps blanked, status and updated_at set."""
    out = []
    ts_cols = [c for c, _ in stages]
    for k, (col, status) in enumerate(stages):
        v = items[items[col].notna()].copy()
        for later in ts_cols[k + 1:]:
            v[later] = pd.NaT
        v[status_col] = status
        v["updated_at"] = v[col]
        v["_stage"] = k
        out.append(v)
    return pd.concat(out, ignore_index=True) if out else items.iloc[0:0]
