"""The synthetic city's residents and households (vectorised; 1M residents in seconds).

Residents are drawn over communities with a lognormal skew, given an age from the configured
pyramid, a sex, a registration type and a birthplace; households are formed inside each community
from people sorted by age, so that "elderly living alone", "empty-nest elderly" and "left-behind
children" follow from the household composition instead of being random labels.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from faker.providers.address.zh_CN import Provider as AddressProvider
from faker.providers.person.zh_CN import Provider as PersonProvider
from faker.providers.phone_number.zh_CN import Provider as PhoneProvider

from govlake.divisions import Hierarchy, add_grids
from govlake.identity import CHECK_CHARS, WEIGHTS

SPECIAL_GROUPS = ("独居老人", "空巢老人", "留守儿童", "残疾人", "低保对象", "严重精神障碍患者", "社区矫正对象")
ETHNICITIES = (["汉族"] * 97) + ["回族", "土家族", "苗族"]


@dataclass
class City:
    residents: pd.DataFrame  # one row per person, indexed 0..n-1
    hierarchy: Hierarchy
    grid_codes: np.ndarray
    hotspot_grids: np.ndarray
    start: dt.date


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """An independent, reproducible stream per purpose (feed, day, …)."""
    parts = [seed]
    for k in keys:
        parts.append(k if isinstance(k, int) else int.from_bytes(k.encode()[:8].ljust(8, b"\0"), "little"))
    return np.random.default_rng(parts)


def vector_ids(area: np.ndarray, birth: np.ndarray, order: np.ndarray) -> np.ndarray:
    """18-digit IDs for arrays of 6-digit area codes, birth dates (datetime64[D]) and order codes."""
    ymd = pd.to_datetime(birth).strftime("%Y%m%d").to_numpy()
    first17 = np.char.add(np.char.add(area.astype(str), ymd.astype(str)), np.char.zfill(order.astype(str), 3))
    digits = np.frombuffer("".join(first17.tolist()).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    check = (digits * np.array(WEIGHTS)).sum(axis=1) % 11
    return np.char.add(first17, np.array(list(CHECK_CHARS))[check])


def _weighted(rng: np.random.Generator, items: dict, n: int) -> np.ndarray:
    keys = list(items)
    w = np.array([items[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=w / w.sum())]


def names(rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
    last = _weighted(rng, PersonProvider.last_names, len(sex)).astype(str)
    male = np.array(PersonProvider.first_names_male)
    female = np.array(PersonProvider.first_names_female)
    first = np.where(sex == "M", male[rng.integers(0, len(male), len(sex))],
                     female[rng.integers(0, len(female), len(sex))])
    # about half of given names have two characters
    second = np.where(sex == "M", male[rng.integers(0, len(male), len(sex))],
                      female[rng.integers(0, len(female), len(sex))])
    two = ((rng.random(len(sex)) < 0.55) & (np.char.str_len(first.astype(str)) == 1)
           & (np.char.str_len(second.astype(str)) == 1))
    return np.char.add(np.char.add(last, first), np.where(two, second, ""))


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    if n == 0:
        return np.array([], dtype=str)
    prefixes = np.array([str(p) for p in PhoneProvider.phonenumber_prefixes])
    tail = np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8)
    return np.char.add(prefixes[rng.integers(0, len(prefixes), n)], tail)


def build_city(hierarchy: Hierarchy, cfg: dict, sf: float, start: dt.date, seed: int, hotspots: int) -> City:
    pop = cfg
    rng = rng_for(seed, "population")
    n = max(50, round(pop["residents_per_sf"] * sf))
    comms = hierarchy.level("community")
    comm_codes = np.array([c.code for c in comms])
    weights = rng.lognormal(0, pop["community_skew_sigma"], len(comms))
    community = comm_codes[rng.choice(len(comms), size=n, p=weights / weights.sum())]

    bands = pop["age_bands"]
    lows = [0] + [b[0] for b in bands[:-1]]
    band = rng.choice(len(bands), size=n, p=np.array([b[1] for b in bands]) / sum(b[1] for b in bands))
    age = np.array(lows)[band] + (rng.random(n) * (np.array([b[0] for b in bands])[band] - np.array(lows)[band]))
    birth = (np.datetime64(start) - (age * 365.25).astype("timedelta64[D]")).astype("datetime64[D]")
    age_years = np.floor(age).astype(int)
    sex = np.where(rng.random(n) < pop["male_share"], "M", "F")
    floating = rng.random(n) < pop["floating_share"]
    district = np.array([c[:6] for c in community])
    birthplace = np.where(
        floating, np.array(pop["floating_birthplaces"])[rng.integers(0, len(pop["floating_birthplaces"]), n)], district
    )
    # unique order codes per (birthplace, birth date, sex): rank within the group, parity = sex
    frame = pd.DataFrame({"bp": birthplace, "b": birth, "s": sex})
    rank = frame.groupby(["bp", "b", "s"], sort=False).cumcount().to_numpy()
    if rank.max() >= 500:
        raise ValueError("too many people share a birthplace, birth date and sex for unique IDs")
    order = rank * 2 + np.where(sex == "M", 1, 0)  # odd for men, even for women (GB 11643)
    ids = vector_ids(birthplace, birth, order)

    df = pd.DataFrame(
        {
            "person_idx": np.arange(n),
            "id_number": ids,
            "name": names(rng, sex),
            "sex": np.where(sex == "M", "男", "女"),
            "sex_code": sex,
            "birth_date": birth,
            "age": age_years,
            "ethnicity": np.array(ETHNICITIES)[rng.integers(0, len(ETHNICITIES), n)],
            "mobile": np.where(age_years >= 12, mobiles(rng, n), ""),
            "registration_type": np.where(floating, "流动人口", "户籍人口"),
            "community_code": community,
        }
    )
    df = _households(df, rng, pop["household_size_weights"])
    df["person_idx"] = np.arange(n)  # == the row position, used as the person's handle from here on
    households_per_comm = df.groupby("community_code")["household_id"].nunique().to_dict()
    add_grids(hierarchy, households_per_comm, per_grid=pop["households_per_grid"])
    grids_by_comm: dict[str, list[str]] = {}
    for g in hierarchy.level("grid"):
        grids_by_comm.setdefault(g.parent_code, []).append(g.code)
    hh_rank = df.groupby("community_code")["household_id"].rank(method="dense").astype(int).to_numpy() - 1
    df["grid_code"] = [
        grids_by_comm[c][min(r // pop["households_per_grid"], len(grids_by_comm[c]) - 1)]
        for c, r in zip(df["community_code"].to_numpy(), hh_rank, strict=True)
    ]
    comm_name = {c.code: c.name for c in comms}
    roads = np.array(AddressProvider.street_suffixes if hasattr(AddressProvider, "street_suffixes") else ["路"])
    df["address"] = [
        f"{comm_name[c]}{b}号{road}{u}单元{r}室"
        for c, b, road, u, r in zip(
            df["community_code"], rng.integers(1, 300, n), roads[rng.integers(0, len(roads), n)],
            rng.integers(1, 6, n), rng.integers(101, 2800, n), strict=True)
    ]
    _special_groups(df, rng, pop)
    adults = df["age"].to_numpy() >= 18
    df["is_party_member"] = np.where(adults & (rng.random(n) < pop["party_member_share_adults"]), "是", "否")
    df["alive"] = True
    df["death_date"] = pd.NaT
    all_grids = np.array([g.code for g in hierarchy.level("grid")])
    hot = all_grids[rng.choice(len(all_grids), size=min(hotspots, len(all_grids)), replace=False)]
    return City(df, hierarchy, all_grids, hot, start)


# household types: (weight in urban communities, weight in villages, elders, adults, children)
HOUSEHOLD_TYPES = {
    "single_elder": (0.08, 0.08, (1, 1), (0, 0), (0, 0)),
    "elder_couple": (0.10, 0.10, (2, 2), (0, 0), (0, 0)),
    "single_adult": (0.12, 0.06, (0, 0), (1, 1), (0, 0)),
    "couple": (0.15, 0.10, (0, 0), (2, 2), (0, 0)),
    "nuclear": (0.30, 0.24, (0, 0), (2, 2), (1, 2)),
    "single_parent": (0.05, 0.04, (0, 0), (1, 1), (1, 2)),
    "three_generation": (0.18, 0.28, (1, 2), (2, 2), (1, 2)),
    "left_behind": (0.02, 0.10, (1, 2), (0, 0), (1, 2)),
}


def _households(df: pd.DataFrame, rng: np.random.Generator, size_weights: dict) -> pd.DataFrame:
    """Form households inside each community from pools of elders (60+), adults (20–59) and children,
    by household type; villages have more three-generation and left-behind households."""
    del size_weights  # sizes follow from the household types
    df = df.sort_values(["community_code", "person_idx"], kind="stable").reset_index(drop=True)
    comm = df["community_code"].to_numpy()
    ages = df["age"].to_numpy()
    hh = np.empty(len(df), dtype=object)
    rel = np.empty(len(df), dtype=object)
    names_ = list(HOUSEHOLD_TYPES)
    bounds = np.flatnonzero(np.r_[True, comm[1:] != comm[:-1], True])
    counter = 0
    for a, b in itertools.pairwise(bounds):
        idx = np.arange(a, b)
        village = comm[a][9] == "2"
        pools = {
            "e": list(rng.permutation(idx[ages[idx] >= 60])),
            "a": list(rng.permutation(idx[(ages[idx] >= 20) & (ages[idx] < 60)])),
            "c": list(rng.permutation(idx[ages[idx] < 20])),
        }
        w = np.array([HOUSEHOLD_TYPES[t][1 if village else 0] for t in names_])
        households: list[list[int]] = []
        while pools["e"] or pools["a"] or pools["c"]:
            t = HOUSEHOLD_TYPES[names_[rng.choice(len(names_), p=w / w.sum())]]
            need = {"e": t[2], "a": t[3], "c": t[4]}
            if any(need[k][0] > len(pools[k]) for k in need) or all(need[k][0] == 0 for k in ("e", "a")):
                if not (pools["e"] or pools["a"]):  # only children left: they join existing households
                    for i in pools["c"]:
                        (households[int(rng.integers(0, len(households)))] if households else households.append([])
                         or households[-1]).append(i)
                    pools["c"] = []
                continue
            members = []
            for k in ("e", "a", "c"):
                lo, hi = need[k]
                for _ in range(int(rng.integers(lo, hi + 1)) if hi > lo else lo):
                    if pools[k]:
                        members.append(pools[k].pop())
            households.append(members)
        for members in households:
            if not members:
                continue
            counter += 1
            hid = f"{comm[a]}{counter:07d}"
            members.sort(key=lambda i: -ages[i])
            # the head is the oldest adult under 75 when there is one, else the oldest member
            head = next((i for i in members if 20 <= ages[i] < 75), members[0])
            head_age = ages[head]
            spouse_given = False
            for i in members:
                hh[i] = hid
                if i == head:
                    rel[i] = "户主"
                elif abs(ages[i] - head_age) <= 12 and not spouse_given and ages[i] >= 20:
                    rel[i] = "配偶"
                    spouse_given = True
                elif head_age - ages[i] >= 40:
                    rel[i] = "孙子女"
                elif head_age - ages[i] >= 18:
                    rel[i] = "子女"
                elif ages[i] - head_age >= 18:
                    rel[i] = "父母"
                else:
                    rel[i] = "兄弟姐妹" if abs(ages[i] - head_age) < 12 else "其他"
    df["household_id"] = hh
    df["relation_to_head"] = rel
    df["household_size"] = df.groupby("household_id")["household_id"].transform("size")
    return df


def _special_groups(df: pd.DataFrame, rng: np.random.Generator, pop: dict) -> None:
    n = len(df)
    age = df["age"].to_numpy()
    size = df["household_size"].to_numpy()
    hh = df["household_id"]
    working_age = hh.map(df.assign(w=(age >= 20) & (age < 60)).groupby("household_id")["w"].any()).to_numpy()
    all_old = hh.map(df.assign(o=age >= 60).groupby("household_id")["o"].all()).to_numpy()
    flags = {
        "独居老人": (age >= 65) & (size == 1),
        "空巢老人": (age >= 60) & all_old & (size == 2),
        "留守儿童": (age < 16) & ~working_age,
        "残疾人": rng.random(n) < pop["special_rates"]["disabled"] * (1 + (age >= 60)),
        "低保对象": rng.random(n) < pop["special_rates"]["subsistence"],
        "严重精神障碍患者": (age >= 15) & (rng.random(n) < pop["special_rates"]["severe_mental"]),
        "社区矫正对象": (age >= 18) & (age < 70) & (rng.random(n) < pop["special_rates"]["community_correction"]),
    }
    out = np.full(n, "", dtype=object)
    for name in SPECIAL_GROUPS:
        out = np.where(flags[name], np.where(out == "", name, out + ";" + name), out)
    df["special_groups"] = out
