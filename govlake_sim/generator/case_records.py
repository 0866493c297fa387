"""Clean records of the case feeds, day by day: police incidents, 12345 hotline calls, urban-management
cases and disputes (one version per status change), public-opinion posts and party-building records."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd

from govlake_sim.generator.population import City, mobiles, rng_for
from govlake_sim.generator.records import alive_people, day_volume, offsets, pick_grids, times_in_day, versions

POLICE_CATEGORIES = {  # code: (label, weight)
    "0101": ("电信网络诈骗", 0.08), "0102": ("其他诈骗", 0.03), "0201": ("盗窃", 0.15), "0202": ("抢劫抢夺", 0.01),
    "0301": ("打架斗殴", 0.10), "0302": ("故意伤害", 0.02), "0401": ("交通事故", 0.25), "0501": ("家庭纠纷", 0.10),
    "0601": ("噪音扰民", 0.08), "0701": ("群众求助", 0.12), "0801": ("火警", 0.02), "0901": ("其他警情", 0.04),
}
HOTLINE_TOPICS = ["噪音扰民", "物业管理", "市政设施", "交通出行", "环境卫生", "劳动保障", "房屋征收", "教育入学",
                  "医疗卫生", "供水供电", "违章建筑", "社会保障", "消费维权", "城管执法"]
URBAN_CLASSES = {"部件": ["公用设施", "道路交通", "市容环卫设施", "园林绿化"],
                 "事件": ["市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "其他事件"]}
URBAN_SUBCLASSES = ["井盖破损", "占道经营", "乱堆物料", "违规广告", "施工扰民", "道路破损", "暴露垃圾", "绿地脏乱",
                    "路灯不亮", "积水", "非法小广告", "店外经营"]
DISPUTE_TYPES = {"邻里纠纷": 0.25, "婚姻家庭": 0.18, "损害赔偿": 0.12, "房屋宅基地": 0.10, "劳动争议": 0.12,
                 "物业纠纷": 0.16, "村务管理": 0.07}
OPINION_TOPICS = ["交通拥堵", "环境污染", "物业纠纷", "房价楼市", "教育入学", "医疗服务", "食品安全", "电信诈骗",
                  "城市建设", "暴雨内涝", "噪音扰民", "就业招聘"]
PLATFORMS = {"微博": 0.35, "抖音": 0.25, "微信公众号": 0.15, "今日头条": 0.15, "本地论坛": 0.10}


def police_incidents(city: City, day: dt.date, idx: int, sf: float, vol: dict, seed: int) -> pd.DataFrame:
    rng = rng_for(seed, "police", idx)
    n = day_volume(rng, vol["police_incidents"], sf, day, "police_incidents")
    codes = list(POLICE_CATEGORIES)
    w = np.array([POLICE_CATEGORIES[c][1] for c in codes])
    cat = np.array(codes)[rng.choice(len(codes), size=n, p=w / w.sum())]
    reported = times_in_day(rng, day, n)
    grids = pick_grids(rng, city, n, vol["hotspot_factor"])
    dispatched = reported + offsets(rng, n, 1, 10)
    arrived = dispatched + offsets(rng, n, 4, 25)
    closed = arrived + offsets(rng, n, 30, 60 * 24 * 4)
    people = alive_people(city, day, 14)
    res = city.residents
    persons = []
    for i in range(n):
        k = int(rng.integers(1, 4))
        chosen = people[rng.integers(0, len(people), k)]
        if cat[i] == "0101":  # fraud victims skew old
            older = people[res["age"].to_numpy()[people] >= 55]
            if len(older) and rng.random() < 0.6:
                chosen[0] = older[rng.integers(0, len(older))]
        roles = ["报警人"] + [("受害人" if cat[i] in ("0101", "0102", "0201", "0202") else "当事人")] * (k - 1)
        if cat[i] in ("0301", "0302", "0202") and k > 1:
            roles[-1] = "嫌疑人"
        persons.append([
            {"role": roles[j], "id_number": res.at[p, "id_number"], "name": res.at[p, "name"],
             "mobile": res.at[p, "mobile"] or None, "community_code": res.at[p, "community_code"],
             "_person_idx": int(p)}
            for j, p in enumerate(chosen)
        ])
    h = city.hierarchy
    items = pd.DataFrame({
        "incident_id": [f"JQ{g[:6]}{day:%Y%m%d}{i:05d}" for i, g in enumerate(grids)],
        "category_code": cat,
        "grid_code": grids,
        "district_code": [g[:6] for g in grids],
        "address": [f"{h.by_code[g[:12]].name}附近{rng.integers(1, 200)}号" for g in grids],
        "summary": [f"{POLICE_CATEGORIES[c][0]}：{day:%m月%d日}接报" for c in cat],
        "reported_at": reported, "dispatched_at": dispatched, "arrived_at": arrived, "closed_at": closed,
        "police_station": [f"{h.by_code[g[:9]].name.removesuffix('街道')}派出所" for g in grids],
        "persons": persons,
    })
    return versions(items, [("reported_at", "接警"), ("dispatched_at", "出警"), ("arrived_at", "到场"),
                            ("closed_at", "已办结")])


def hotline_12345(city: City, day: dt.date, idx: int, sf: float, vol: dict, seed: int,
                  frequent: np.ndarray) -> pd.DataFrame:
    rng = rng_for(seed, "hotline", idx)
    n = day_volume(rng, vol["hotline_12345"], sf, day, "hotline_12345")
    accepted = times_in_day(rng, day, n)
    people = alive_people(city, day, 18)
    callers = people[rng.integers(0, len(people), n)]
    repeat = rng.random(n) < 0.06
    callers[repeat] = frequent[rng.integers(0, len(frequent), repeat.sum())]
    res = city.residents
    topic = np.array(HOTLINE_TOPICS)[rng.integers(0, len(HOTLINE_TOPICS), n)]
    # frequent callers keep to their own topic (repeat complaints)
    topic[repeat] = np.array(HOTLINE_TOPICS)[callers[repeat] % len(HOTLINE_TOPICS)]
    rtype = rng.choice(["咨询", "求助", "投诉", "举报", "建议"], size=n, p=[0.30, 0.15, 0.35, 0.08, 0.12])
    rtype[repeat] = "投诉"
    named = rng.random(n) < 0.3
    dispatched = accepted + offsets(rng, n, 10, 240)
    handled = dispatched + offsets(rng, n, 120, 60 * 24 * 6)
    replied = handled + offsets(rng, n, 10, 60 * 24)
    evaluated = replied + offsets(rng, n, 60, 60 * 48)
    evaluated[rng.random(n) < 0.25] = np.datetime64("NaT")
    consult = rtype == "咨询"
    dispatched[consult & (rng.random(n) < 0.7)] = np.datetime64("NaT")  # answered on the phone
    handled = np.where(pd.isna(dispatched) & consult, accepted + offsets(rng, n, 3, 20), handled)
    grid = res["grid_code"].to_numpy()[callers]
    h = city.hierarchy
    items = pd.DataFrame({
        "ticket_id": [f"GD{day:%Y%m%d}{i:06d}" for i in range(n)],
        "channel": rng.choice(["电话", "留言板", "微邻里"], size=n, p=[0.6, 0.25, 0.15]),
        "request_type": rtype, "topic": topic,
        "content": [f"关于{t}的{r}" for t, r in zip(topic, rtype, strict=True)],
        "caller_name": res["name"].to_numpy()[callers],
        "caller_mobile": [m or None for m in res["mobile"].to_numpy()[callers]],
        "caller_id_number": np.where(named, res["id_number"].to_numpy()[callers], None),
        "grid_code": grid,
        "accepted_at": accepted, "dispatched_at": dispatched, "handled_at": handled, "replied_at": replied,
        "evaluated_at": evaluated,
        "handling_department": [f"{h.by_code[g[:9]].name}办事处" for g in grid],
        "satisfaction": rng.choice(["满意", "基本满意", "不满意"], size=n, p=[0.75, 0.15, 0.10]),
        "_person_idx": callers,
    })
    v = versions(items, [("accepted_at", "已受理"), ("dispatched_at", "已派单"), ("handled_at", "已办结"),
                         ("replied_at", "已回复"), ("evaluated_at", "已评价")])
    v.loc[v["status"] != "已评价", "satisfaction"] = None
    return v


def urban_cases(city: City, day: dt.date, idx: int, sf: float, vol: dict, seed: int) -> pd.DataFrame:
    rng = rng_for(seed, "urban", idx)
    n = day_volume(rng, vol["urban_cases"], sf, day, "urban_cases")
    reported = times_in_day(rng, day, n)
    ctype = rng.choice(["部件", "事件"], size=n, p=[0.3, 0.7])
    cls = np.array([URBAN_CLASSES[t][rng.integers(0, len(URBAN_CLASSES[t]))] for t in ctype])
    source = rng.choice(["监督员上报", "12345转办", "视频发现", "公众举报"], size=n, p=[0.55, 0.2, 0.15, 0.1])
    verified = reported + offsets(rng, n, 10, 90)
    dispatched = verified + offsets(rng, n, 20, 240)
    handled = dispatched + offsets(rng, n, 60, 60 * 24 * 3)
    checked = handled + offsets(rng, n, 30, 60 * 8)
    closed = checked + offsets(rng, n, 10, 60 * 24)
    grids = pick_grids(rng, city, n, vol["hotspot_factor"])
    h = city.hierarchy
    items = pd.DataFrame({
        "case_id": [f"CG{day:%Y%m%d}{i:06d}" for i in range(n)],
        "source": source, "case_type": ctype, "case_class": cls,
        "case_subclass": np.array(URBAN_SUBCLASSES)[rng.integers(0, len(URBAN_SUBCLASSES), n)],
        "grid_code": grids,
        "address": [f"{h.by_code[g[:12]].name}{rng.integers(1, 300)}号旁" for g in grids],
        "reported_at": reported, "verified_at": verified, "dispatched_at": dispatched, "handled_at": handled,
        "checked_at": checked, "closed_at": closed,
        "handling_unit": [f"{h.by_code[g[:6]].name}城管执法大队" for g in grids],
        "reporter_mobile": np.where(source == "公众举报", mobiles(rng, n), None),
    })
    return versions(items, [("reported_at", "上报"), ("verified_at", "立案"), ("dispatched_at", "派遣"),
                            ("handled_at", "处置"), ("checked_at", "核查"), ("closed_at", "结案")])


def disputes(city: City, day: dt.date, idx: int, sf: float, vol: dict, seed: int,
             pairs: list[tuple[int, int]]) -> pd.DataFrame:
    rng = rng_for(seed, "disputes", idx)
    n = day_volume(rng, vol["disputes"], sf, day, "disputes")
    res = city.residents
    people = alive_people(city, day, 18)
    comm_of = res["community_code"].to_numpy()
    by_comm: dict[str, np.ndarray] = pd.Series(people).groupby(comm_of[people]).apply(np.array).to_dict()
    rows = []
    types = list(DISPUTE_TYPES)
    tw = np.array(list(DISPUTE_TYPES.values()))
    for i in range(n):
        if pairs and rng.random() < 0.08:  # the same parties again: repeat disputes
            a, b = pairs[int(rng.integers(0, len(pairs)))]
        else:
            a = int(people[rng.integers(0, len(people))])
            neighbours = by_comm.get(comm_of[a], np.array([a]))
            b = int(neighbours[rng.integers(0, len(neighbours))])
            if b == a:
                b = int(people[rng.integers(0, len(people))])
            pairs.append((a, b))
        reported = times_in_day(rng, day, 1)[0]
        t = types[rng.choice(len(types), p=tw / tw.sum())]
        steps = [(1, reported)]
        level = 1
        when = reported
        while level < 4 and rng.random() < (0.25, 0.30, 0.35)[level - 1]:
            when = when + offsets(rng, 1, 60 * 24 * 2, 60 * 24 * 10)[0]
            level += 1
            steps.append((level, when))
        r = rng.random()
        outcome = "调解成功" if r < 0.75 else "调解失败" if r < 0.85 else "转诉讼" if r < 0.9 else "化解中"
        closed = when + offsets(rng, 1, 60 * 24, 60 * 24 * 20)[0] if outcome != "化解中" else None
        grid = res.at[a, "grid_code"]
        base = {
            "dispute_id": f"JF{grid[:6]}{day:%Y%m%d}{i:04d}", "dispute_type": t, "grid_code": grid,
            "party_a_id": res.at[a, "id_number"], "party_a_name": res.at[a, "name"],
            "party_b_id": res.at[b, "id_number"], "party_b_name": res.at[b, "name"],
            "summary": f"{t}，双方协商未果", "reported_at": reported,
            "mediator_code": f"{grid}W{int(rng.integers(1, 4)):02d}", "_pair": (a, b),
        }
        for k, (lvl, at) in enumerate(steps):
            rows.append({**base, "level": lvl, "escalations": ";".join(f"{x}@{y.astype('datetime64[s]')}"
                                                                        for x, y in steps[: k + 1]),
                         "outcome": "化解中", "closed_at": None, "updated_at": at, "_stage": k})
        if closed is not None:
            rows.append({**base, "level": level, "escalations": rows[-1]["escalations"], "outcome": outcome,
                         "closed_at": closed, "updated_at": closed, "_stage": len(steps)})
    return pd.DataFrame(rows)


def public_opinion(city: City, day: dt.date, idx: int, sf: float, vol: dict, seed: int,
                   spikes: dict[tuple[int, str], str]) -> pd.DataFrame:
    rng = rng_for(seed, "opinion", idx)
    n = day_volume(rng, vol["public_opinion"], sf, day, "public_opinion")
    published = times_in_day(rng, day, n)
    topic = np.array(OPINION_TOPICS)[rng.integers(0, len(OPINION_TOPICS), n)]
    districts = city.hierarchy.level("district")
    d = rng.integers(0, len(districts), n)
    sentiment = rng.choice(["正面", "中性", "负面"], size=n, p=[0.3, 0.45, 0.25])
    for (spike_day, spike_topic), spike_district in spikes.items():  # negative-sentiment spikes
        if spike_day == idx:
            m = rng.random(n) < 0.15
            topic[m] = spike_topic
            d[m] = next(i for i, x in enumerate(districts) if x.code == spike_district)
            sentiment[m] = "负面"
    score = np.where(sentiment == "正面", rng.uniform(0.2, 1, n),
                     np.where(sentiment == "负面", rng.uniform(-1, -0.2, n), rng.uniform(-0.2, 0.2, n)))
    streets_by_d = {x.code: city.hierarchy.children(x.code) for x in districts}
    street = [(lambda s: s[int(rng.integers(0, len(s)))].name if s and rng.random() < 0.5 else None)(
        streets_by_d[districts[i].code]) for i in d]
    platform = np.array(list(PLATFORMS))[rng.choice(len(PLATFORMS), size=n, p=list(PLATFORMS.values()))]
    return pd.DataFrame({
        "post_id": [f"YQ{day:%Y%m%d}{i:07d}" for i in range(n)],
        "platform": platform, "topic": topic, "sentiment": sentiment, "sentiment_score": np.round(score, 3),
        "district_name": [districts[i].name for i in d], "street_name": street,
        "reach": np.round(rng.lognormal(6, 1.6, n)).astype("int64"),
        "author_hash": [hashlib.sha256(f"{seed}:{a}".encode()).hexdigest()[:16]
                        for a in rng.integers(0, max(1000, n * 5), n)],
        "published_at": published,
        # collected within the hour it was published: it ships in that hour's file
        "collected_at": np.minimum(
            published + offsets(rng, n, 1, 50),
            published.astype("datetime64[h]").astype("datetime64[s]") + np.timedelta64(3599, "s")),
    })


def party_building(city: City, day: dt.date, week_start: dt.date, sf: float, vol: dict, seed: int
                   ) -> dict[str, pd.DataFrame]:
    rng = rng_for(seed, "party", day.toordinal())
    res = city.residents
    alive = alive_people(city, day, 18)
    members = alive[res["is_party_member"].to_numpy()[alive] == "是"]
    comm = res["community_code"].to_numpy()[members]
    member_rng = rng_for(seed, "party-members")
    join_offset = member_rng.integers(0, 365 * 40, len(res))
    branch_no = res["household_id"].str[-1].astype(int).to_numpy() % 3 + 1  # stable: from the household id
    m = pd.DataFrame({
        "member_id": [f"DY{res.at[p, 'id_number'][-8:]}{p % 1000:03d}" for p in members],
        "id_number": res["id_number"].to_numpy()[members],
        "name": res["name"].to_numpy()[members],
        "branch_code": [f"{c}DZB{b:02d}" for c, b in zip(comm, branch_no[members], strict=True)],
        "community_code": comm,
        "join_date": (res["birth_date"].to_numpy()[members].astype("datetime64[D]")
                      + np.timedelta64(18 * 365, "D") + join_offset[members].astype("timedelta64[D]")),
        "member_status": np.where(member_rng.random(len(res))[members] < 0.95, "正式党员", "预备党员"),
        "_person_idx": members,
    })
    m["join_date"] = np.minimum(m["join_date"].to_numpy(), np.datetime64(week_start, "D"))
    m["branch_name"] = [f"{city.hierarchy.by_code[c].name}第{b[-2:]}党支部" for c, b in
                        zip(m["community_code"], m["branch_code"], strict=True)]
    branches = m[["branch_code", "community_code"]].drop_duplicates().to_numpy()
    na = rng.poisson(vol["party_activities_per_week"] * sf)
    b = branches[rng.integers(0, len(branches), na)] if len(branches) else np.empty((0, 2))
    acts = pd.DataFrame({
        "activity_id": [f"HD{day:%Y%m%d}{i:05d}" for i in range(na)],
        "branch_code": b[:, 0] if na else [], "community_code": b[:, 1] if na else [],
        "activity_type": rng.choice(["三会一课", "主题党日", "志愿服务", "党员教育", "联系群众"], na),
        "activity_date": np.datetime64(week_start, "D") + rng.integers(0, 7, na).astype("timedelta64[D]"),
        "participants": rng.integers(5, 60, na),
    })
    nv = rng.poisson(vol["volunteer_records_per_week"] * sf)
    who = rng.integers(0, len(m), nv) if len(m) else np.array([], dtype=int)
    vol_df = pd.DataFrame({
        "record_id": [f"ZY{day:%Y%m%d}{i:06d}" for i in range(nv)],
        "member_id": m["member_id"].to_numpy()[who] if nv else [],
        "community_code": m["community_code"].to_numpy()[who] if nv else [],
        "service_date": np.datetime64(week_start, "D") + rng.integers(0, 7, nv).astype("timedelta64[D]"),
        "hours": rng.choice([0.5, 1, 1.5, 2, 3, 4, 6], nv),
    })
    return {"party_members": m, "party_activities": acts, "volunteer_hours": vol_df}
