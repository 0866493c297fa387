"""Spark expressions agree with the reference implementation in govlake.identity."""

import datetime as dt
import hashlib
import hmac
import random

import pytest
from pyspark.sql import Row
from pyspark.testing import assertDataFrameEqual

from govlake import identity as ref
from spark_jobs.transforms.identity import (
    hmac_sha256,
    id_facts,
    id_problem,
    mobile_problem,
    normalize_id,
    normalize_mobile,
)

pytestmark = pytest.mark.spark
AS_OF = dt.date(2026, 1, 7)


def cases(n: int = 400) -> list[str]:
    rnd = random.Random(5)
    out = ["11010519491231002X", "440524188001010014", "", "  ", "abc", "42010219900101001"]
    for _ in range(n):
        birth = dt.date(1900, 1, 1) + dt.timedelta(days=rnd.randrange(0, 45000))
        pid = ref.make_id(rnd.choice(["420102", "420111", "510104"]), birth, rnd.randrange(100), rnd.choice("MF"))
        kind = rnd.randrange(8)
        if kind == 1:
            pid = pid[:-1] + rnd.choice([c for c in "0123456789X" if c != pid[-1]])
        elif kind == 2 and pid[6:8] == "19":
            pid = ref.to_legacy15(pid)
        elif kind == 3:
            pid = pid.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
        elif kind == 4:
            pid = " " + pid.lower() + " "
        elif kind == 5:
            pid = pid[:10] + "1332" + pid[14:]
        elif kind == 6:
            pid = pid[:6] + "20270101" + pid[14:]
        out.append(pid)
    return out


def test_normalise_and_validate_ids_like_the_reference(spark):
    raw = cases()
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(x,) for x in raw], "raw string")
    rows = (df.select("raw", normalize_id(F.col("raw")).alias("n"))
            .select("raw", "n", id_problem(F.col("n"), AS_OF).alias("p")).collect())
    problems = set()
    for r in rows:
        expected_n = ref.normalize_id(r.raw)
        assert r.n == expected_n, r.raw
        expected_p = None if expected_n is None else ref.validate_id(expected_n, AS_OF)
        expected_p = "id_format" if expected_n is None else (expected_p.value if expected_p else None)
        assert r.p == expected_p, (r.raw, r.n)
        problems.add(r.p)
    assert problems == {None, "id_format", "id_birth_date", "id_check_char"}


def test_id_facts(spark):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([("11010519491231002X",), ("440524188001010014",)], "id string")
    got = df.select(*[e.alias(k) for k, e in id_facts(F.col("id")).items()]).select(
        "birth_year", "sex", "birthplace_code")
    assertDataFrameEqual(got, [Row(birth_year=1949, sex="F", birthplace_code="110105"),
                               Row(birth_year=1880, sex="M", birthplace_code="440524")], checkRowOrder=True)


@pytest.mark.parametrize(
    ("raw", "normal", "problem"),
    [("13800138000", "13800138000", None), ("+86 138-0013-8000", "13800138000", None),
     ("１３８００１３８０００", "13800138000", None), ("12800138000", "12800138000", "mobile"),
     ("138-0013-abc", "1380013abc", "mobile"), ("", None, None), (None, None, None)],
)
def test_mobiles_like_the_reference(spark, raw, normal, problem):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(raw,)], "m string").select(normalize_mobile(F.col("m")).alias("n"))
    r = df.select("n", mobile_problem(F.col("n")).alias("p")).collect()[0]
    assert (r.n, r.p) == (normal, problem)
    if raw:
        assert r.n == ref.normalize_mobile(raw) or r.n is None


def test_hmac_matches_python_hmac(spark):
    from pyspark.sql import functions as F

    values = ["11010519491231002X", "武汉市洪山区", "", None]
    for key in (b"k", b"s3cret-key" * 3, bytes(range(80))):  # short, normal, longer than a block
        df = spark.createDataFrame([(v,) for v in values], "v string")
        got = [r.t for r in df.select(hmac_sha256(F.col("v"), key).alias("t")).collect()]
        want = [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
        assert got == want
