"""Departments as the report groups feeds: each contract's department, and choosing them by name or feed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from govlake.contracts import Contract


@dataclass
class Department:
    zh: str
    en: str
    contracts: list[Contract]

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.en.lower()).strip("-") or self.contracts[0].feed

    @property
    def feeds(self) -> list[str]:
        return [c.feed for c in self.contracts]


def departments(contracts: Iterable[Contract]) -> list[Department]:
    out: dict[str, Department] = {}
    for c in sorted(contracts, key=lambda c: c.feed):
        out.setdefault(c.department.zh, Department(c.department.zh, c.department.en, [])).contracts.append(c)
    return sorted(out.values(), key=lambda d: d.en.lower())


def select_departments(all_depts: list[Department], query: str | None) -> list[Department]:
    """``query``: a department's Chinese or English name, or one of its feeds; exact match first,
    then a case-insensitive part of a name. Raises ValueError when nothing matches."""
    if not query:
        return all_depts
    q = query.strip().lower()
    exact = [d for d in all_depts if q in (d.zh.lower(), d.en.lower()) or q in d.feeds]
    if exact:
        return exact
    part = [d for d in all_depts if q in d.zh.lower() or q in d.en.lower()]
    if part:
        return part
    known = "; ".join(f"{d.zh} / {d.en} ({', '.join(d.feeds)})" for d in all_depts)
    raise ValueError(f"no department or feed matches {query!r} — known: {known}")
