"""Every command README.md names is real and run by a test: `govlake …` / `govlake-sim …` commands
answer `--help`, `make …` targets exist, and each command is invoked by the test module listed in
RUN_BY (a new command in the README without a test that runs it fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govlake.cli import app as govlake_app
from govlake_sim.cli import app as sim_app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GROUPS = {"contracts", "report", "findings"}  # commands with sub-commands

# command → the test module that runs it (for real, not --help)
RUN_BY = {
    "govlake setup": ".ci/run",  # make test → make setup → govlake setup
    "govlake up": "tests/integration/test_roundtrip.py",
    "govlake down": "infra/scripts/test.sh",
    "govlake status": "tests/integration/test_roundtrip.py",
    "govlake smoke": "tests/integration/test_roundtrip.py",
    "govlake info": "tests/integration/test_cli_commands.py",
    "govlake run": "tests/integration/test_crash_convergence.py",
    "govlake airflow": "tests/integration/test_airflow.py",
    "govlake replay": "tests/integration/test_cli_commands.py",
    "govlake dbt": "tests/integration/test_cli_commands.py",
    "govlake sql": "tests/integration/test_add_a_feed_guide.py",
    "govlake ask": "tests/integration/test_cli_commands.py",
    "govlake docs": "tests/integration/test_cli_commands.py",
    "govlake report quality": "tests/integration/test_report.py",
    "govlake findings list": "tests/integration/test_cli_commands.py",
    "govlake findings decide": "tests/integration/test_cli_commands.py",
    "govlake findings evaluate": "tests/integration/test_cli_commands.py",
    "govlake contracts list": "tests/integration/test_cli_commands.py",
    "govlake contracts derive": "tests/integration/test_add_a_feed_guide.py",
    "govlake-sim generate": "tests/integration/test_add_a_feed_guide.py",
    "govlake-sim up": "infra/scripts/test.sh",
    "govlake-sim down": "infra/scripts/test.sh",
    "govlake-sim status": "tests/integration/test_cli_commands.py",
}


def named_commands(text: str) -> set[str]:
    """`govlake X [Y]` and `govlake-sim X` in the README's code spans and code blocks; in a table row
    "`govlake findings list` / `decide` / `evaluate`" the bare spans after a group command are its
    sub-commands too."""
    found = set()
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    prose = re.sub(r"```.*?```", "", text, flags=re.S).splitlines()
    lines = [[ln] for b in blocks for ln in b.splitlines()] + [re.findall(r"`([^`]+)`", ln) for ln in prose]
    for spans in lines:
        group = None
        for span in spans:
            m = re.match(r"\s*(govlake(?:-sim)?) ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", span)
            if m:
                prog, cmd, sub = m.groups()
                group = (prog, cmd) if cmd in GROUPS else None
                found.add(f"{prog} {cmd} {sub}" if group and sub else f"{prog} {cmd}")
            elif group and re.fullmatch(r"[a-z]+( \[.*\])?", span.strip()):
                found.add(f"{group[0]} {group[1]} {span.split()[0]}")
    return found


def make_targets(text: str) -> set[str]:
    return set(re.findall(r"`make ([a-z]+)`", text)) | set(re.findall(r"\bmake ([a-z]+)\b(?= *[#`/|])", text))


def test_the_readme_names_the_two_commands_and_the_cli():
    cmds = named_commands(README)
    assert {"govlake run", "govlake-sim generate", "govlake ask", "govlake contracts derive"} <= cmds
    assert {"demo", "test"} <= make_targets(README)


@pytest.mark.parametrize("command", sorted(named_commands(README)))
def test_every_named_command_exists_and_a_test_runs_it(command):
    prog, *path = command.split()
    r = CliRunner().invoke(govlake_app if prog == "govlake" else sim_app, [*path, "--help"])
    assert r.exit_code == 0, f"`{command} --help`: {r.output[-500:]}"
    where = RUN_BY.get(command)
    assert where, f"README names `{command}`: add the test that runs it to RUN_BY"
    text = (ROOT / where).read_text(encoding="utf-8")
    words = path if where.endswith(".py") else [command.split()[-1]]
    for w in words:
        assert re.search(rf"[\"' ]{re.escape(w)}[\"' \n]", text), f"{where} does not run `{command}`"


@pytest.mark.parametrize("target", sorted(make_targets(README)))
def test_every_named_make_target_exists(target):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^{target}:", makefile, re.M), f"README names `make {target}`, the Makefile has no such target"
