"""Personal identifiers in Spark: standardise, validate and tokenise resident IDs and mobiles.

Pure column expressions (no UDF, no session, no clock): the same rules as ``govlake.identity``,
which the tests use as the reference implementation.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from pyspark.sql import Column
from pyspark.sql import functions as F

from govlake.identity import CHECK_CHARS, EARLIEST_BIRTH, WEIGHTS

_FULL = "０１２３４５６７８９ｘＸ"
_ASCII = "0123456789xX"


def _balanced_sum(terms: list[Column]) -> Column:
    """a + b + … as a balanced tree: an expression log2(n) deep, not n (Spark Connect sends plans as
    protobuf messages, which the client refuses past 100 levels of nesting)."""
    if len(terms) == 1:
        return terms[0]
    mid = len(terms) // 2
    return _balanced_sum(terms[:mid]) + _balanced_sum(terms[mid:])


def _check_char(first17: Column) -> Column:
    total = _balanced_sum([F.substring(first17, i, 1).cast("int") * F.lit(w) for i, w in enumerate(WEIGHTS, start=1)])
    return F.element_at(F.array(*[F.lit(c) for c in CHECK_CHARS]), (total % 11 + 1).cast("int"))


def normalize_id(col: Column) -> Column:
    """Full-width digits and x folded, spaces removed, upper-cased, 15-digit legacy IDs → 18 digits.

    A wrong check character is never repaired; empty text becomes NULL."""
    s = F.upper(F.regexp_replace(F.translate(col, _FULL, _ASCII), r"\s+", ""))
    first17 = F.concat(F.substring(s, 1, 6), F.lit("19"), F.substring(s, 7, 9))
    return (F.when(s == "", F.lit(None))
            .when(s.rlike(r"^[0-9]{15}$"), F.concat(first17, _check_char(first17)))
            .otherwise(s))


def id_problem(col: Column, as_of: dt.date | Column) -> Column:
    """NULL for a valid normalised 18-digit ID, else the rule id: id_format, id_birth_date or id_check_char.
    ``as_of`` (a date, or a date column) bounds plausible birth dates."""
    birth = F.try_to_date(F.substring(col, 7, 8), "yyyyMMdd")
    limit = as_of if isinstance(as_of, Column) else F.lit(as_of)
    return (F.when(col.isNull() | ~col.rlike(r"^[0-9]{17}[0-9X]$"), F.lit("id_format"))
            .when(birth.isNull() | (birth < F.lit(EARLIEST_BIRTH)) | (birth > limit), F.lit("id_birth_date"))
            .when(_check_char(F.substring(col, 1, 17)) != F.substring(col, 18, 1), F.lit("id_check_char")))


def id_facts(col: Column) -> dict[str, Column]:
    """Analysis columns that may stay in silver: birth year, sex, birthplace area code (valid IDs)."""
    return {
        "birth_year": F.substring(col, 7, 4).cast("int"),
        "sex": F.when(F.substring(col, 17, 1).cast("int") % 2 == 1, F.lit("M")).otherwise(F.lit("F")),
        "birthplace_code": F.substring(col, 1, 6),
    }


def normalize_mobile(col: Column) -> Column:
    """Full-width folded; spaces, dashes and brackets removed; +86/0086/86 country code dropped."""
    s = F.regexp_replace(F.translate(col, _FULL[:10], _ASCII[:10]), r"[\s\-()]", "")
    s = F.regexp_replace(s, r"^(\+86|0086|86)(1[0-9]{10})$", "$2")
    return F.when(s == "", F.lit(None)).otherwise(s)


def mobile_problem(col: Column) -> Column:
    return F.when(col.isNotNull() & ~col.rlike(r"^1[3-9][0-9]{9}$"), F.lit("mobile"))


def hmac_sha256(col: Column, key: bytes) -> Column:
    """HMAC-SHA256 (RFC 2104) of the UTF-8 text, as 64 hex characters, built from Spark's sha2 so it
    runs in the JVM without a Python UDF. ``key`` comes from the generated secret, never from code."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    ipad = bytes(b ^ 0x36 for b in key)
    opad = bytes(b ^ 0x5C for b in key)
    inner = F.unhex(F.sha2(F.concat(F.lit(ipad), F.encode(col, "UTF-8")), 256))
    return F.when(col.isNotNull(), F.sha2(F.concat(F.lit(opad), inner), 256))
