import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govlake.identity import (
    IdProblem,
    check_char,
    id_info,
    is_valid_id,
    is_valid_mobile,
    make_id,
    normalize_id,
    normalize_mobile,
    to_legacy15,
    validate_id,
)

TODAY = dt.date(2026, 11, 29)
areas = st.sampled_from(["420102", "420111", "420117", "110105", "440524", "510104"])
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sexes = st.sampled_from(["M", "F"])
sequences = st.integers(0, 99)


@pytest.mark.parametrize("official", ["11010519491231002X", "440524188001010014"])
def test_official_examples_validate(official):
    assert validate_id(official, TODAY) is None


@given(areas, births, sequences, sexes)
def test_made_ids_validate_and_carry_their_facts(area, birth, seq, sex):
    pid = make_id(area, birth, seq, sex)
    assert len(pid) == 18 and is_valid_id(pid, TODAY)
    info = id_info(pid)
    assert (info.area_code, info.birth_date, info.sex) == (area, birth, sex)


@given(areas, births, sequences, sexes, st.integers(0, 10))
def test_any_other_check_character_fails(area, birth, seq, sex, k):
    pid = make_id(area, birth, seq, sex)
    wrong = "10X98765432"[k]
    if wrong != pid[17]:
        assert validate_id(pid[:17] + wrong, TODAY) is IdProblem.CHECK_CHAR


@given(areas, births, sequences, sexes, st.integers(0, 16), st.integers(1, 9))
def test_a_single_changed_digit_is_caught(area, birth, seq, sex, pos, delta):
    pid = make_id(area, birth, seq, sex)
    digit = str((int(pid[pos]) + delta) % 10)
    assert not is_valid_id(pid[:pos] + digit + pid[pos + 1:], TODAY)


@given(areas, st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), sequences, sexes)
def test_legacy_15_digit_ids_normalise_to_the_18_digit_form(area, birth, seq, sex):
    pid = make_id(area, birth, seq, sex)
    assert normalize_id(to_legacy15(pid)) == pid


@given(areas, births, sequences)
def test_full_width_digits_and_lowercase_x_are_repaired(area, birth, seq):
    pid = make_id(area, birth, seq, "F")
    full = pid.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    assert not is_valid_id(full, TODAY)
    assert normalize_id(full) == pid
    assert normalize_id(" " + pid.lower() + " ") == pid


def test_impossible_and_future_birth_dates():
    first17 = "42010220260230001"  # 30 February
    assert validate_id(first17 + check_char(first17), TODAY) is IdProblem.BIRTH_DATE
    future = make_id("420102", dt.date(2026, 12, 25), 1, "M")
    assert validate_id(future, TODAY) is IdProblem.BIRTH_DATE
    assert validate_id(future, dt.date(2027, 1, 1)) is None
    old = "42010218691231001"
    assert validate_id(old + check_char(old), TODAY) is IdProblem.BIRTH_DATE


def test_format_problems():
    for bad in ["", "4201021990010100", "42010219900101001A", "420102199001010011 ", None]:
        assert validate_id(bad, TODAY) is IdProblem.FORMAT
    assert normalize_id(None) is None and normalize_id("  ") is None


def test_make_id_rejects_bad_arguments():
    with pytest.raises(ValueError):
        make_id("4201", dt.date(1990, 1, 1), 1, "M")
    with pytest.raises(ValueError):
        make_id("420102", dt.date(1990, 1, 1), 100, "M")
    with pytest.raises(ValueError):
        make_id("420102", dt.date(1990, 1, 1), 1, "X")


@pytest.mark.parametrize(
    ("raw", "normal", "valid"),
    [
        ("13800138000", "13800138000", True),
        ("+86 138-0013-8000", "13800138000", True),
        ("008613800138000", "13800138000", True),
        ("１３８００１３８０００", "13800138000", True),
        ("12800138000", "12800138000", False),
        ("1380013800", "1380013800", False),
        ("027-88886666", "02788886666", False),
    ],
)
def test_mobiles(raw, normal, valid):
    assert normalize_mobile(raw) == normal
    assert is_valid_mobile(normalize_mobile(raw)) is valid


def test_only_ascii_digits_count():
    pid = make_id("420102", dt.date(1990, 1, 1), 3, "M")
    full = pid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert validate_id(full, TODAY) is IdProblem.FORMAT
    assert not is_valid_mobile("１３８００１３８０００")
    arabic_indic = pid[:5] + "٣" + pid[6:]
    assert validate_id(arabic_indic, TODAY) is IdProblem.FORMAT
