"""Recall and precision of the reconciliation findings against the generator's ground truth.

Pure Python (no Spark, no Trino): the caller passes the findings as ``(finding_type, person_token)``
pairs (e.g. read from ``gold.reconciliation_findings``), the path of ``ground_truth/defects.jsonl``
and the person-token key (the same secret silver uses, ``.state/secrets/person_token_key``).

How a finding matches a ground-truth record
-------------------------------------------
* Each contradiction kind of the generator maps to one finding type (``KIND_TO_FINDING_TYPE``); other
  defect kinds (file and row defects) are not contradictions and are ignored.
* The record's ``record_key`` is the clear ID number; it is normalised like silver does
  (``govlake.identity.normalize_id``) and tokenised with HMAC-SHA256 under the key, which gives the
  ``person_id`` token the findings carry.
* Matching is on the pair (finding_type, person token), as sets on both sides: a person with two
  mismatching incidents is one ground-truth pair, and two findings of one type for one person (e.g.
  two different police communities) count once. A finding pair is a true positive when the ground
  truth holds the same pair, a false positive otherwise; a ground-truth pair without a finding is a
  false negative.
* Precision of a type without any finding, and recall of a type without any ground truth, are None
  (undefined), never 1.0.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from govlake.identity import normalize_id

KIND_TO_FINDING_TYPE: dict[str, str] = {
    "contradiction_dead_but_active": "dead_but_active",
    "contradiction_paid_after_death": "paid_after_death",
    "contradiction_community_mismatch": "community_mismatch",
    "contradiction_mobile_mismatch": "mobile_mismatch",
}
FINDING_TYPES: tuple[str, ...] = tuple(KIND_TO_FINDING_TYPE.values())


def person_token(id_number: str | None, key: bytes) -> str | None:
    """The silver token of a clear ID number: HMAC-SHA256 of the normalised ID, 64 hex characters."""
    norm = normalize_id(id_number)
    if norm is None:
        return None
    return hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()


def load_truth(defects_path: Path | str, key: bytes) -> set[tuple[str, str]]:
    """Ground-truth (finding_type, person token) pairs from a defects.jsonl file."""
    truth: set[tuple[str, str]] = set()
    with Path(defects_path).open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            ftype = KIND_TO_FINDING_TYPE.get(rec.get("kind", ""))
            if ftype is None:
                continue
            tok = person_token(rec.get("record_key"), key)
            if tok is not None:
                truth.add((ftype, tok))
    return truth


@dataclass(frozen=True)
class Score:
    finding_type: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def found(self) -> int:
        return self.true_positives + self.false_positives

    @property
    def expected(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.expected if self.expected else None


@dataclass(frozen=True)
class Evaluation:
    by_type: dict[str, Score]
    overall: Score
    missed: set[tuple[str, str]]  # ground truth without a finding
    spurious: set[tuple[str, str]]  # findings without ground truth

    def lines(self) -> list[str]:
        def fmt(x: float | None) -> str:
            return "n/a" if x is None else f"{x:.3f}"

        out = [f"{'finding_type':<20} {'truth':>5} {'found':>5} {'tp':>4} {'fp':>4} {'fn':>4} "
               f"{'recall':>7} {'precision':>9}"]
        for s in [*self.by_type.values(), self.overall]:
            out.append(f"{s.finding_type:<20} {s.expected:>5} {s.found:>5} {s.true_positives:>4} "
                       f"{s.false_positives:>4} {s.false_negatives:>4} {fmt(s.recall):>7} {fmt(s.precision):>9}")
        return out


def _score(name: str, found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> Score:
    return Score(name, len(found & truth), len(found - truth), len(truth - found))


def evaluate(findings: Iterable[tuple[str, str]], truth: set[tuple[str, str]],
             finding_types: Iterable[str] = FINDING_TYPES) -> Evaluation:
    """Per finding type and overall: true/false positives, false negatives, recall, precision.

    ``findings`` are (finding_type, person token) pairs; findings of types outside ``finding_types``
    are ignored (they have no ground truth to be judged against)."""
    types = list(finding_types)
    found = {(t, p) for t, p in findings if t in types and p}
    truth = {(t, p) for t, p in truth if t in types}
    by_type = {t: _score(t, {x for x in found if x[0] == t}, {x for x in truth if x[0] == t}) for t in types}
    return Evaluation(by_type, _score("overall", found, truth), truth - found, found - truth)


def evaluate_file(findings: Iterable[tuple[str, str]], defects_path: Path | str, key: bytes) -> Evaluation:
    return evaluate(findings, load_truth(defects_path, key))
