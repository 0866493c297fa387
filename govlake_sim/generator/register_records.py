"""Clean records of the register feeds, day by day: health events (follow-ups, check-ups, death
registrations) and civil-affairs assistance payments, tied to the city's residents."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from govlake_sim.generator.population import City, rng_for
from govlake_sim.generator.records import alive_people


def health_events(city: City, day: dt.date, idx: int, sf: float, vol: dict, seed: int,
                  chronic: np.ndarray, mental_followed: np.ndarray, deaths: np.ndarray) -> pd.DataFrame:
    rng = rng_for(seed, "health", idx)
    res = city.residents
    alive = alive_people(city, day)
    alive_set = np.zeros(len(res), dtype=bool)
    alive_set[alive] = True
    pick = []
    # chronic patients are followed up about every two months, severe mental disorder patients monthly
    for pool, rate, etype in ((chronic, 1 / 60, "慢病随访"), (mental_followed, 1 / 30, "严重精神障碍随访")):
        pool = pool[alive_set[pool]]
        chosen = pool[rng.random(len(pool)) < rate]
        pick.append((chosen, etype))
    elders = alive[res["age"].to_numpy()[alive] >= 65]
    pick.append((elders[rng.random(len(elders)) < 1 / 365], "老年人体检"))
    pick.append((deaths, "死亡登记"))
    frames = []
    for people, etype in pick:
        m = len(people)
        if m == 0:
            continue
        diag = {"慢病随访": rng.choice(["I10", "E11.9", "I25.1", "J44.9"], m),
                "严重精神障碍随访": rng.choice(["F20.0", "F31.9", "F25.9", "F06.8"], m),
                "老年人体检": np.array([None] * m),
                "死亡登记": rng.choice(["I21.9", "C34.9", "I64", "J18.9"], m)}[etype]
        result = {"慢病随访": rng.choice(["控制满意", "控制不满意", "不良反应"], m, p=[0.7, 0.25, 0.05]),
                  "严重精神障碍随访": rng.choice(["病情稳定", "基本稳定", "不稳定"], m, p=[0.7, 0.2, 0.1]),
                  "老年人体检": rng.choice(["未见异常", "建议复查", "建议专科就诊"], m, p=[0.5, 0.35, 0.15]),
                  "死亡登记": np.array(["死亡"] * m)}[etype]
        frames.append(pd.DataFrame({
            "_person_idx": people, "event_type": etype, "diagnosis_code": diag, "result": result,
            "event_date": np.datetime64(day, "D"),
            "death_date": np.datetime64(day, "D") if etype == "死亡登记" else np.datetime64("NaT"),
        }))
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    p = df["_person_idx"].to_numpy()
    df["event_id"] = [f"WJ{day:%Y%m%d}{i:06d}" for i in range(len(df))]
    df["id_number"] = res["id_number"].to_numpy()[p]
    df["name"] = res["name"].to_numpy()[p]
    df["community_code"] = res["community_code"].to_numpy()[p]
    df["institution_code"] = [f"{c[:9]}WSY" for c in df["community_code"]]
    df["mobile"] = [m or None for m in res["mobile"].to_numpy()[p]]
    df["recorded_at"] = np.datetime64(day, "s") + (9 * 3600 + rng.integers(0, 9 * 3600, len(df))).astype(
        "timedelta64[s]")
    return df


def assistance_payments(city: City, day: dt.date, idx: int, sf: float, vol: dict, seed: int,
                        recipients: dict[str, np.ndarray], paid_after_death: set[int]) -> pd.DataFrame:
    rng = rng_for(seed, "assistance", idx)
    res = city.residents
    schedule = {3: ["最低生活保障", "特困人员供养"], 5: ["高龄津贴"], 6: ["残疾人两项补贴"]}  # pay days
    amount = {"最低生活保障": (780, 900), "特困人员供养": (1100, 1400), "高龄津贴": (100, 300),
              "残疾人两项补贴": (110, 220), "临时救助": (500, 5000)}
    alive_mask = res["alive"].to_numpy() | (res["death_date"].to_numpy() >= np.datetime64(day))
    frames = []
    for atype in schedule.get(day.day, []):
        people = recipients[atype]
        keep = alive_mask[people] | np.isin(people, list(paid_after_death))
        frames.append((people[keep], atype))
    temp = alive_people(city, day, 18)
    n_temp = rng.poisson(vol["assistance_payments_per_month"] * sf * 0.05 / 30)
    frames.append((temp[rng.integers(0, len(temp), n_temp)], "临时救助"))
    rows = []
    for people, atype in frames:
        lo, hi = amount[atype]
        for p in people:
            rows.append({"_person_idx": int(p), "assistance_type": atype,
                         "amount": round(float(rng.uniform(lo, hi)), 2)})
    df = pd.DataFrame(rows, columns=["_person_idx", "assistance_type", "amount"])
    p = df["_person_idx"].to_numpy(dtype=int)
    df["payment_id"] = [f"JZ{day:%Y%m%d}{i:06d}" for i in range(len(df))]
    df["id_number"] = res["id_number"].to_numpy()[p]
    df["name"] = res["name"].to_numpy()[p]
    df["period"] = f"{day:%Y-%m}"
    df["pay_date"] = np.datetime64(day, "D")
    df["community_code"] = res["community_code"].to_numpy()[p]
    return df
