"""The analyst questions of ``dbt_project/analyses/`` load without services, and `govlake ask` lists them
and refuses an unknown id in one line."""

import pytest
from typer.testing import CliRunner

from govlake import analyst_questions
from govlake.cli import app
from govlake.errors import GovlakeError

DEMO = "demo-hongshan-streets-most-incidents"


def test_the_analyses_folder_holds_every_question_with_a_title_over_gold(settings):
    questions = analyst_questions.load(settings=settings)
    assert analyst_questions.analyses_dir(settings) == settings.root / "dbt_project" / "analyses"
    assert len(questions) >= 16
    ids = [q.id for q in questions]
    assert len(set(ids)) == len(ids)
    assert DEMO in ids  # the question `make demo` asks
    numbers = [q.number for q in questions]
    assert len(set(numbers)) == len(numbers) and 0 not in numbers, numbers
    for q in questions:
        assert q.title.strip(), q.id
        assert "lakehouse.gold." in q.sql, q.id
        assert q.sql.lstrip().upper().startswith(("SELECT", "WITH")), q.id
        assert "--" not in q.sql.splitlines()[0], q.id  # the comment header is not part of the SQL
        assert "{{" not in q.sql and "{%" not in q.sql, q.id  # plain Trino SQL: dbt only carries it
    by_id = {q.id: q for q in questions}
    assert by_id["unresolved-disputes-top-grids-hongshan"].may_be_empty
    assert not by_id[DEMO].may_be_empty
    assert "洪山区" in by_id[DEMO].title and "Which five streets" in by_id[DEMO].title


def test_a_question_file_parses_header_and_sql(tmp_path):
    (tmp_path / "b-two.sql").write_text(
        "-- Analyst question 2: Trino SQL over lakehouse.gold\n-- question: 2\n-- title: 第二 / Second?\n"
        "-- rows: any\n--\n-- Why it matters,\n-- in two lines.\nSELECT 1 FROM lakehouse.gold.t\n;\n",
        encoding="utf-8")
    (tmp_path / "a-one.sql").write_text("-- question: 10\n-- title: First\nWITH x AS (SELECT 1)\nSELECT * FROM x\n",
                                        encoding="utf-8")
    two, one = analyst_questions.load(tmp_path)
    assert (two.id, two.number, two.title, two.may_be_empty) == ("b-two", 2, "第二 / Second?", True)
    assert two.explanation == "Why it matters, in two lines."
    assert two.sql == "SELECT 1 FROM lakehouse.gold.t"
    assert two.for_schema("lakehouse", "t1_gold") == "SELECT 1 FROM lakehouse.t1_gold.t"
    assert (one.id, one.may_be_empty, one.sql) == ("a-one", False, "WITH x AS (SELECT 1)\nSELECT * FROM x")
    assert analyst_questions.find("a-one", [two, one]) is one
    with pytest.raises(GovlakeError, match="`govlake ask` lists the ids"):
        analyst_questions.find("nope", [two, one])


def test_duplicate_ids_and_missing_titles_are_errors(tmp_path):
    (tmp_path / "q.sql").write_text("-- title: one\nSELECT 1", encoding="utf-8")
    (tmp_path / "Q.sql").write_text("-- title: two\nSELECT 2", encoding="utf-8")
    with pytest.raises(GovlakeError, match="duplicate analyst-question ids"):
        analyst_questions.load(tmp_path)
    (tmp_path / "Q.sql").unlink()
    (tmp_path / "untitled.sql").write_text("-- question: 3\nSELECT 3", encoding="utf-8")
    with pytest.raises(GovlakeError, match="no '-- title: …' line"):
        analyst_questions.load(tmp_path)


def test_ask_lists_the_questions():
    r = CliRunner().invoke(app, ["ask"])
    assert r.exit_code == 0, r.output
    assert DEMO in r.output and "police-hotspot-grids" in r.output


def test_ask_prints_the_sql_of_a_question():
    r = CliRunner().invoke(app, ["ask", "police-hotspot-grids", "--sql"])
    assert r.exit_code == 0, r.output
    assert r.output.strip().startswith("SELECT") and "lakehouse.gold.theme_public_order" in r.output


def test_ask_with_an_unknown_id_is_one_line_and_exit_1():
    r = CliRunner().invoke(app, ["ask", "no-such-question"])
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1, r.output
    assert "no-such-question" in lines[0] and "govlake ask" in lines[0]
