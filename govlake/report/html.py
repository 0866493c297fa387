"""Render the steward quality report: one self-contained HTML page per department plus an index.
No external JS, CSS or fonts: styles are inline, charts are hand-written SVG."""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from govlake.report.figures import DIMENSION_TEXT, DIMENSIONS, SHANGHAI, FeedReport
from govlake.report.queries import DepartmentReport

TEMPLATES = Path(__file__).with_name("templates")
COLORS = {  # Okabe-Ito: distinguishable with the common colour-vision deficiencies
    "completeness": "#0072B2", "validity": "#D55E00", "uniqueness": "#009E73", "timeliness": "#CC79A7",
    "consistency": "#E69F00", "accepted": "#009E73", "quarantined": "#D55E00", "duplicate": "#999999",
}


def pct(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "n/a"
    s = f"{v * 100:.{digits}f}"
    if v < 1 and s == f"{100:.{digits}f}":  # never round a failure up to a clean 100
        s = f"{99.9 if digits == 1 else 99.99:.{digits}f}"
    return s + "%"


def num(v: int | float | None) -> str:
    return "n/a" if v is None else f"{v:,}"


def local(ts: dt.datetime | None) -> str:
    return "" if ts is None else ts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def level(v: float | None, warn: float, bad: float) -> str:
    """ok | warn | bad | na — for colouring a share."""
    if v is None:
        return "na"
    return "ok" if v >= warn else ("warn" if v >= bad else "bad")


def card_level(f: FeedReport) -> str:
    """The headline box's colour: bad on a rejected or failed delivery or < 90% accepted; warn on a
    late delivery, a pending one or < 98% accepted; na with no delivery."""
    h = f.headline
    if not h.deliveries:
        return "na"
    acc = level(f.share[1], 0.98, 0.90)
    if h.rejected or h.failed or acc == "bad":
        return "bad"
    if h.late or h.pending or acc == "warn":
        return "warn"
    return "ok"


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


# ---------------------------------------------------------------------------------------------
# SVG charts
# ---------------------------------------------------------------------------------------------
W, H = 680, 230
L, R, T, B = 52, 26, 30, 34


def _x_positions(n: int) -> list[float]:
    inner = W - L - R
    if n == 1:
        return [L + inner / 2]
    return [L + i * inner / (n - 1) for i in range(n)]


def _x_labels(days: Sequence[dt.date], xs: Sequence[float]) -> str:
    step = max(1, -(-len(days) // 10))
    out = []
    for i, (d, x) in enumerate(zip(days, xs, strict=True)):
        if i % step == 0 or i == len(days) - 1:
            out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle">{d.strftime("%m-%d")}</text>')
    return "".join(out)


def _nice(top: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``top`` (a round axis maximum)."""
    if top <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(top))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= top)


def _caption(title: str) -> str:
    return f'<text x="{W - R}" y="18" text-anchor="end" font-weight="bold">{_e(title)}</text>' if title else ""


def _legend(names: Sequence[str]) -> str:
    out, x = [], L
    for n in names:
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{COLORS.get(n, "#444")}"/>'
                   f'<text x="{x + 16}" y="18">{_e(n)}</text>')
        x += 22 + 7.2 * len(n)
    return "".join(out)


def line_chart(days: Sequence[dt.date], series: dict[str, Sequence[float | None]], title: str,
               caption: str = "") -> Markup:
    """Shares (0..1) per day as lines; a day without a value breaks its line. Y axis from a round
    floor under the lowest value to 100%."""
    if not days:
        return Markup("")
    values = [v for s in series.values() for v in s if v is not None]
    lo = min(0.9, math.floor(min(values, default=0.0) * 10) / 10)
    xs = _x_positions(len(days))

    def y(v: float) -> float:
        return T + (1 - (v - lo) / (1 - lo)) * (H - T - B)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="chart" '
             f'aria-label="{_e(title)}"><title>{_e(title)}</title>']
    for k in range(5):
        v = lo + (1 - lo) * k / 4
        parts.append(f'<line x1="{L}" x2="{W - R}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
                     f'<text x="{L - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v * 100:.0f}%</text>')
    for name, vals in series.items():
        color = COLORS.get(name, "#444")
        seg: list[str] = []
        for x, v in zip(xs, vals, strict=True):
            if v is None:
                if len(seg) > 1:
                    parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="2"/>')
                seg = []
                continue
            seg.append(f"{x:.1f},{y(v):.1f}")
        if len(seg) > 1:
            parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="2"/>')
        for d, x, v in zip(days, xs, vals, strict=True):
            if v is not None:
                parts.append(f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                             f'<title>{d.isoformat()} {_e(name)}: {pct(v, 2)}</title></circle>')
    parts.append(_x_labels(days, xs) + _legend(list(series)) + _caption(caption) + "</svg>")
    return Markup("".join(parts))


def bar_chart(days: Sequence[dt.date], series: dict[str, Sequence[int]], title: str, caption: str = "") -> Markup:
    """Stacked bars of counts per day (e.g. rows accepted / quarantined / duplicate)."""
    if not days:
        return Markup("")
    totals = [sum(s[i] for s in series.values()) for i in range(len(days))]
    top = _nice(max(totals))
    inner_w, inner_h = W - L - R, H - T - B
    slot = inner_w / len(days)
    bw = max(2.0, min(40.0, slot * 0.7))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="chart" '
             f'aria-label="{_e(title)}"><title>{_e(title)}</title>']
    for k in range(5):
        v = top * k / 4
        yy = T + inner_h - inner_h * k / 4
        parts.append(f'<line x1="{L}" x2="{W - R}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>'
                     f'<text x="{L - 6}" y="{yy + 4:.1f}" text-anchor="end">{_short(v)}</text>')
    xs = [L + slot * (i + 0.5) for i in range(len(days))]
    for i, (d, x) in enumerate(zip(days, xs, strict=True)):
        base = T + inner_h
        for name, vals in series.items():
            v = vals[i]
            if not v:
                continue
            h = inner_h * v / top
            base -= h
            parts.append(f'<rect x="{x - bw / 2:.1f}" y="{base:.1f}" width="{bw:.1f}" height="{h:.1f}" '
                         f'fill="{COLORS.get(name, "#444")}"><title>{d.isoformat()} {_e(name)}: {v:,}</title></rect>')
    parts.append(_x_labels(days, xs) + _legend(list(series)) + _caption(caption) + "</svg>")
    return Markup("".join(parts))


def _short(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:.1f}M"
    if v >= 10_000:
        return f"{v / 1000:.0f}k"
    return f"{v:,.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"


def feed_charts(f: FeedReport) -> dict[str, Markup]:
    days = [d for d, _ in f.days]
    tallies = [t for _, t in f.days]
    return {
        "dimensions": line_chart(days, {d: [getattr(t, d) for t in tallies] for d in DIMENSIONS},
                                 f"{f.feed}: quality dimensions per delivery day"),
        "rows": bar_chart(days, {"accepted": [t.accepted for t in tallies],
                                 "quarantined": [t.quarantined for t in tallies],
                                 "duplicate": [t.duplicate for t in tallies]},
                          f"{f.feed}: rows in per delivery day", "rows in per day"),
    }


# ---------------------------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------------------------
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=pct, num=num, local=local)
    env.globals.update(level=level, card_level=card_level, DIMENSIONS=DIMENSIONS, DIMENSION_TEXT=DIMENSION_TEXT,
                       COLORS=COLORS)
    return env


@dataclass
class DocsLink:
    """GX Data Docs built beside the report: the index and one page per validation."""

    index: str  # relative to the report folder
    pages: list[tuple[str, str, str]]  # (suite, delivery / batch, relative path)
    note: str = ""


def render_department(r: DepartmentReport, generated_at: dt.datetime, catalog: str) -> str:
    charts = {f.feed: feed_charts(f) for f in r.feeds}
    return _env().get_template("department.html.j2").render(
        r=r, charts=charts, generated_at=generated_at, catalog=catalog, css=(TEMPLATES / "style.css").read_text())


def render_index(reports: Sequence[DepartmentReport], generated_at: dt.datetime, catalog: str,
                 docs: DocsLink | None, docs_note: str = "") -> str:
    return _env().get_template("index.html.j2").render(
        reports=reports, generated_at=generated_at, catalog=catalog, docs=docs, docs_note=docs_note,
        css=(TEMPLATES / "style.css").read_text())


def write_site(reports: Sequence[DepartmentReport], out: Path, generated_at: dt.datetime, catalog: str,
               docs: DocsLink | None = None, docs_note: str = "") -> list[Path]:
    """Write ``<slug>.html`` per department and ``index.html``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r in reports:
        p = out / f"{r.department.slug}.html"
        p.write_text(render_department(r, generated_at, catalog), encoding="utf-8")
        written.append(p)
    p = out / "index.html"
    p.write_text(render_index(reports, generated_at, catalog, docs, docs_note), encoding="utf-8")
    written.append(p)
    return written
