"""The `govlake-sim` command: generate a synthetic city and run the departments' stand-in systems.

The product (`govlake`) never imports this; it only reads what the simulator delivers, through the
same landing folder, HTTP API and database a real department would use.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from govlake.cli import CommandGroup
from govlake.errors import GovlakeError
from govlake.settings import load_settings

_wide = None if sys.stdout.isatty() else 160
console = Console(highlight=False, soft_wrap=True, width=_wide)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_wide)

app = typer.Typer(cls=CommandGroup, add_completion=False, no_args_is_help=True,
                  help="govlake-sim: a synthetic city and stand-ins for the departments' systems")


@app.command()
def generate(
    sf: float = typer.Option(0.01, help="scale factor: 1 = 1,000,000 residents"),
    start: str = typer.Option("2026-01-01", help="first day (YYYY-MM-DD)"),
    days: int = typer.Option(7, help="number of days"),
    defects: str = typer.Option("default", help="default | none"),
    seed: int = typer.Option(42, help="random seed: same seed and arguments, same bytes"),
    out: Path | None = typer.Option(None, help="output folder (default: settings feeds.out_dir)"),
    divisions: str = typer.Option("real", help="real (the shipped NBS 2020 Wuhan divisions) | invented | a CSV path"),
    db: bool = typer.Option(True, help="load the urban_cases source table into PostgreSQL"),
) -> None:
    """Generate a synthetic city and its nine departmental feeds, with recorded defects."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from govlake_sim.generator import GenerateOptions
    from govlake_sim.generator import generate as run_generate

    s = load_settings()
    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        raise GovlakeError(f"--start must be a date YYYY-MM-DD, not {start!r}") from None
    opts = GenerateOptions(sf=sf, start=first, days=days, defects=defects, seed=seed,
                           out=(out or s.feeds_out_dir).resolve(), divisions=divisions)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task(f"generating SF{sf} × {days} days", total=days)
        result = run_generate(opts, lambda _n, done, _t: progress.update(task, completed=done))
    t = Table("feed", "files", "rows", "MiB")
    for feed, st in sorted(result.stats.items()):
        t.add_row(feed, str(st.files), f"{st.rows:,}", f"{st.bytes / 2**20:.1f}")
    console.print(t)
    console.print(f"{result.residents:,} residents in {result.communities:,} communities ({result.divisions}), "
                  f"{result.total_rows:,} records, {result.defects:,} defects "
                  f"recorded in {opts.out / 'ground_truth' / 'defects.jsonl'} — {result.seconds:.1f}s "
                  f"({result.total_rows / max(result.seconds, 1e-9):,.0f} records/s)")
    if db:
        from govlake_sim.urban_db import load_all

        loads = load_all(s, opts.out)
        console.print(f"urban_cases source table ({s.feeds.urban_db}.public.um_cases): "
                      + ", ".join(f"{x.day} +{x.inserted}/~{x.updated}" for x in loads))
    _restart_police_api_if_serving(s, opts.out)


def _restart_police_api_if_serving(s, out: Path) -> None:
    from govlake_sim.services import PoliceApiService

    svc = PoliceApiService(s)
    if svc.pid() and out.resolve() == s.feeds_out_dir.resolve():
        for line in svc.restart():
            console.print(line)


@app.command()
def up() -> None:
    """Start the departments' stand-in systems (the police HTTP API) on loopback."""
    from govlake_sim.services import stand_ins

    s = load_settings()
    for d in (s.run_dir, s.log_dir):
        d.mkdir(parents=True, exist_ok=True)
    for svc in stand_ins(s):
        console.print(svc.start())


@app.command()
def down() -> None:
    """Stop the stand-ins `govlake-sim up` started."""
    from govlake_sim.services import stand_ins

    for svc in stand_ins(load_settings()):
        console.print(svc.stop())


@app.command()
def status() -> None:
    """Each stand-in with address, pid and health; exit 1 when one is down."""
    from govlake_sim.services import stand_ins

    rows = [svc.status() for svc in stand_ins(load_settings())]
    t = Table("stand-in", "address", "pid", "health", "detail")
    for r in rows:
        t.add_row(r.name, f"{r.host}:{r.port}", str(r.pid or "-"),
                  "[green]healthy[/]" if r.healthy else "[red]down[/]", r.detail)
    console.print(t)
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


@app.command("serve-feeds")
def serve_feeds() -> None:
    """(Re)start the police API stand-in on the data `govlake-sim generate` wrote."""
    from govlake_sim.services import PoliceApiService

    s = load_settings()
    svc = PoliceApiService(s)
    for line in svc.restart():
        console.print(line)
    console.print(f"police API: http://{svc.host}:{svc.port}/api/v1/incidents "
                  f"(bearer token in {svc.token_file})")


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    app()
