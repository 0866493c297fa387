from pathlib import Path

import pytest

import govlake
from govlake.divisions import (
    DISTRICTS,
    REFERENCE_CSV,
    Division,
    DivisionError,
    Hierarchy,
    add_grids,
    generated_divisions,
    is_standard_street,
    is_urban_community,
    load_divisions,
)


def test_real_wuhan_list_ships_with_govlake_and_is_the_default():
    h = load_divisions()
    assert h.source == "real" and REFERENCE_CSV.is_relative_to(Path(govlake.__file__).parent)
    assert (len(h.level("district")), len(h.level("street")), len(h.level("community"))) == (13, 198, 3499)
    assert {d.code: d.name for d in h.level("district")} == DISTRICTS
    special = [s for s in h.level("street") if not is_standard_street(s.code)]
    assert "420102400" in {s.code for s in special} and "420102002" not in {s.code for s in special}
    assert len(h.level("street")) - len(special) >= 159  # 159 街道 + towns/townships (SOURCES.md)
    assert h.by_code["420102400"].name == "百步亭花园"
    hongshan = [c for c in h.level("community") if c.code.startswith("420111")]
    assert len(hongshan) == 316


def test_a_missing_list_is_an_error_not_a_silent_fallback(tmp_path):
    with pytest.raises(DivisionError, match=r"absent\.csv"):
        load_divisions(tmp_path / "absent.csv")


def test_invented_hierarchy_only_when_asked_for_under_the_real_districts():
    h = load_divisions("invented", seed=7)
    assert h.source == "invented"
    assert {d.code for d in h.level("district")} == set(DISTRICTS)
    assert len(h.level("street")) >= 13 * 8 and len(h.level("community")) >= 13 * 8 * 10
    h.validate()
    assert generated_divisions(7).by_code == h.by_code  # deterministic
    assert any(not is_urban_community(c.code) for c in h.level("community"))


def test_grids_are_stable_unique_and_roll_up_five_levels():
    h = generated_divisions(1)
    comms = h.level("community")
    households = {c.code: 250 * (i % 7) for i, c in enumerate(comms)}
    add_grids(h, households, per_grid=400)
    grids = h.level("grid")
    assert len(grids) == sum(max(1, -(-households[c.code] // 400)) for c in comms)
    g = grids[0]
    chain = h.ancestors(g.code)
    assert chain["grid"] == g.code and chain["community"] == g.code[:12]
    assert chain["street"] == g.code[:9] and chain["district"] == g.code[:6]
    h.validate()
    h2 = generated_divisions(1)
    add_grids(h2, households, per_grid=400)
    assert [x.code for x in h2.level("grid")] == [x.code for x in grids]


def test_bad_codes_are_rejected():
    h = Hierarchy("test")
    with pytest.raises(DivisionError, match="6 digits"):
        h.add(Division("district", "4201", "x", "4201"))
    h.add(Division("district", "420102", "江岸区", "4201"))
    with pytest.raises(DivisionError, match="duplicate"):
        h.add(Division("district", "420102", "江岸区", "4201"))
    h.add(Division("street", "420103001", "orphan", "420103"))
    with pytest.raises(DivisionError, match="no district parent"):
        h.validate()
