"""The CLI commands README.md names, run for real on the gold world (a generated month in private
schemas): what a user types, with exit code and output checked. tests/docs/test_readme_commands.py
holds the list of which test runs which command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govlake import trino_client
from govlake.cli import app

BIN = Path(sys.executable).parent


def govlake(*args: str):
    r = CliRunner().invoke(app, list(args))
    print(f"$ govlake {' '.join(args)}\n{r.output[-3000:]}")
    return r


def one_line_error(r) -> bool:
    return r.exit_code == 1 and r.output.strip().startswith("error:") and "Traceback" not in r.output


@pytest.fixture(scope="module")
def world(gold_world):
    s, out, _summaries, _secs = gold_world
    env = dict(os.environ, GOVLAKE_FEEDS__OUT_DIR=str(out))  # the sandbox's variables are in os.environ
    return s, out, env


def test_info_prints_where_to_look(world):
    s, _out, _env = world
    r = govlake("info")
    assert r.exit_code == 0
    for what in ("Trino web UI", "JDBC", s.trino.url, "Warehouse", s.metastore.uri):
        assert what in r.output, what


def test_contracts_list_shows_every_feed(world):
    r = govlake("contracts", "list")
    assert r.exit_code == 0
    for feed in ("civil_affairs_residents", "police_incidents", "urban_cases", "hotline_12345", "disputes"):
        assert feed in r.output


def test_ask_lists_the_questions_and_answers_one_on_this_gold(world):
    s, _out, _env = world
    listing = govlake("ask")
    assert listing.exit_code == 0 and "question(s)" in listing.output
    qid = re.search(r"(demo-[\w-]+)", listing.output)[1]
    shown = govlake("ask", qid, "--sql")
    assert f"{s.trino.catalog}.{s.schema('gold')}." in shown.output  # the sandbox's gold, not the real one
    answered = govlake("ask", qid)
    assert answered.exit_code == 0 and re.search(r"\d+ row\(s\)", answered.output)
    assert one_line_error(govlake("ask", "no-such-question"))


def test_dbt_passes_commands_through_with_the_platform_settings(world):
    r = govlake("dbt", "ls", "--select", "theme_disputes", "--resource-type", "model", "--output", "name")
    assert r.exit_code == 0


def test_docs_generates_the_site_without_serving(world):
    r = govlake("docs", "--no-serve")
    assert r.exit_code == 0 and "docs site:" in r.output
    site = Path(r.output.split("docs site:")[1].split()[0])
    assert site.is_file() and (site.parent / "catalog.json").is_file()


@pytest.fixture
def cli_decisions(world, spark):
    """The decisions this module makes are taken back afterwards: the gold world is shared, and its
    acceptance tests rebuild gold expecting the decisions they made themselves (none of ours)."""
    from govlake.findings import decisions_table

    yield "cli-test"
    if spark.catalog.tableExists(decisions_table(world[0])):
        spark.sql(f"DELETE FROM {decisions_table(world[0])} WHERE decided_by = 'cli-test'")


def test_findings_list_decide_and_evaluate(world, cli_decisions):
    s, out, _env = world
    listed = govlake("findings", "list")
    assert listed.exit_code == 0 and "finding(s)" in listed.output
    gold = f"{s.trino.catalog}.{s.schema('gold')}"
    fid = trino_client.query(s, f"SELECT min(finding_id) FROM {gold}.reconciliation_findings")[0][0]
    assert fid, "the gold world has findings"
    decided = govlake("findings", "decide", fid, "--status", "open", "--by", cli_decisions, "--note", "seen")
    assert decided.exit_code == 0 and f"{fid}: open by cli-test" in decided.output
    assert one_line_error(govlake("findings", "decide", fid, "--status", "maybe", "--by", "cli-test"))
    evaluated = govlake("findings", "evaluate", "--defects", str(out / "ground_truth" / "defects.jsonl"))
    assert evaluated.exit_code == 0 and "recall" in evaluated.output and "precision" in evaluated.output


def test_replay_a_delivery_from_the_command_line(world):
    s, _out, env = world
    ops = f"{s.trino.catalog}.{s.schema('ops')}.deliveries"
    (delivery,) = trino_client.query(s, f"SELECT min(delivery_id) FROM {ops} "
                                        "WHERE feed = 'civil_affairs_assistance' AND silver_status IS NOT NULL")[0]
    before = trino_client.query(s, f"SELECT count(*) FROM {s.trino.catalog}.{s.schema('silver')}.assistance_payments")
    r = subprocess.run([str(BIN / "govlake"), "replay", "--delivery", delivery], env=env, capture_output=True,
                       text=True, timeout=900)
    print(r.stdout[-3000:], r.stderr[-2000:])
    assert r.returncode == 0, r.stderr[-2000:]
    assert "assistance_payments:" in r.stdout
    # Spark's WARN lines go to the log file (the JVM's own "WARNING: Using incubator modules" line remains)
    assert not re.search(r"\bWARN\b", r.stderr), r.stderr[-2000:]
    after = trino_client.query(s, f"SELECT count(*) FROM {s.trino.catalog}.{s.schema('silver')}.assistance_payments")
    assert after == before  # a replay is idempotent
    bad = subprocess.run([str(BIN / "govlake"), "replay"], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.strip().startswith("error:") and "Traceback" not in bad.stderr


def test_sim_status_shows_the_police_api_stand_in():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVLAKE_")}  # the real stand-in, not a sandbox's
    r = subprocess.run([str(BIN / "govlake-sim"), "status"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "police-api" in r.stdout and "healthy" in r.stdout
