"""Resident identity numbers (GB 11643-1999) and mobile numbers: check, validate, normalise, make.

Pure functions on plain strings, shared by the generator, the row rules and the tests. An 18-digit
ID is a 6-digit area code, a birth date YYYYMMDD, a 3-digit sequence (odd = male, even = female)
and a check character computed from the first 17 digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# ASCII only: Python's \d also matches full-width and other Unicode digits
ID18 = re.compile(r"^[0-9]{17}[0-9X]$")
ID15 = re.compile(r"^[0-9]{15}$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# GB 11643 itself uses a person born in 1880 as an example (440524188001010014).
EARLIEST_BIRTH = dt.date(1870, 1, 1)
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘＡＢＣ", "0123456789XxABC")


def check_char(first17: str) -> str:
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("the check character needs exactly 17 digits")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


class IdProblem(StrEnum):
    """Why an ID is invalid; the value is the rule id used by contracts and quarantine."""

    FORMAT = "id_format"
    CHECK_CHAR = "id_check_char"
    BIRTH_DATE = "id_birth_date"


@dataclass(frozen=True)
class IdInfo:
    area_code: str
    birth_date: dt.date
    sex: str  # "M" | "F"


def validate_id(value: str, today: dt.date | None = None) -> IdProblem | None:
    """None when ``value`` is a valid normalised 18-digit ID, else the first problem found."""
    if not isinstance(value, str) or not ID18.match(value):
        return IdProblem.FORMAT
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return IdProblem.BIRTH_DATE
    if born < EARLIEST_BIRTH or born > (today or dt.date.today()):
        return IdProblem.BIRTH_DATE
    if check_char(value[:17]) != value[17]:
        return IdProblem.CHECK_CHAR
    return None


def is_valid_id(value: str, today: dt.date | None = None) -> bool:
    return validate_id(value, today) is None


def id_info(value: str) -> IdInfo:
    """Area, birth date and sex of a valid 18-digit ID."""
    return IdInfo(
        value[:6],
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14])),
        "M" if int(value[16]) % 2 else "F",
    )


def normalize_id(raw: str | None) -> str | None:
    """Repair what standardisation may repair: spaces, full-width digits, lowercase x, 15 → 18 digits.

    Returns the normalised text (which may still be invalid: check it with ``validate_id``), or None
    for an empty input. A wrong check character is never "repaired".
    """
    if raw is None:
        return None
    s = raw.translate(_FULLWIDTH).strip().replace(" ", "").upper()
    if not s:
        return None
    if ID15.match(s):
        first17 = s[:6] + "19" + s[6:]
        return first17 + check_char(first17)
    return s


def make_id(area_code: str, birth: dt.date, sequence: int, sex: str) -> str:
    """A valid 18-digit ID; ``sequence`` (0–99) and ``sex`` choose the 3-digit order code."""
    if len(area_code) != 6 or not (area_code.isascii() and area_code.isdigit()):
        raise ValueError(f"area code must be 6 digits: {area_code!r}")
    if not 0 <= sequence <= 99:
        raise ValueError("sequence must be 0..99")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be M or F: {sex!r}")
    # last digit: odd for men, even for women (GB 11643); spread over 0–9 by the sequence
    order = sequence * 10 + 2 * (sequence % 5) + (1 if sex == "M" else 0)
    first17 = f"{area_code}{birth:%Y%m%d}{order:03d}"
    return first17 + check_char(first17)


def to_legacy15(id18: str) -> str:
    """The 15-digit form of an ID born in the 1900s (drop the century and the check character)."""
    if id18[6:8] != "19":
        raise ValueError("only IDs of people born 1900–1999 have a 15-digit legacy form")
    return id18[:6] + id18[8:17]


def normalize_mobile(raw: str | None) -> str | None:
    """Digits only, full-width folded, a leading +86/0086/86 country code removed."""
    if raw is None:
        return None
    s = re.sub(r"[\s\-()]", "", raw.translate(_FULLWIDTH))
    for prefix in ("+86", "0086", "86"):
        if s.startswith(prefix) and len(s) - len(prefix) == 11:
            s = s[len(prefix):]
            break
    return s or None


def is_valid_mobile(value: str | None) -> bool:
    return isinstance(value, str) and bool(MOBILE.match(value))
