"""The analyst questions stay true: every question in ``dbt_project/analyses/`` (the ones `govlake ask`
lists, the `make demo` question among them) runs through Trino against the gold world's freshly built
month (``lakehouse.gold`` rewritten to the sandbox's gold schema), succeeds, and returns rows — except
where its header says ``-- rows: any`` (an answer that may be empty on a small generated city)."""

import time

import pytest

from govlake import analyst_questions, trino_client

QUESTIONS = analyst_questions.load()


def test_the_analyses_hold_at_least_ten_analyst_questions_over_gold():
    assert len(QUESTIONS) >= 10
    for q in QUESTIONS:
        assert "lakehouse.gold." in q.sql, q.id
        assert q.sql.lstrip().upper().startswith(("SELECT", "WITH")), q.id


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_analyst_question_runs_on_gold(gold_world, question):
    s = gold_world[0]
    sql = question.for_schema(s.trino.catalog, s.schema("gold"))
    assert "lakehouse.gold." not in sql
    conn = trino_client.connect(s)
    try:
        cur = conn.cursor()
        t0 = time.perf_counter()
        cur.execute(sql)
        rows = cur.fetchall()
        took = time.perf_counter() - t0
        columns = [d[0] for d in cur.description]
    finally:
        conn.close()
    print(f"{question.id}: {len(rows)} rows in {took:.2f}s; columns {columns}; first {rows[:1]}")
    assert len(set(columns)) == len(columns), f"{question.id}: duplicate column names {columns}"
    if not question.may_be_empty:
        assert rows, f"{question.id} returned no rows on a month of a generated city"
