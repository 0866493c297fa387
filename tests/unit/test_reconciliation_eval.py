import hashlib
import hmac
import json

import pytest

from govlake.reconciliation_eval import evaluate, evaluate_file, load_truth, person_token

KEY = b"test-key"
ID_A = "11010519491231002X"  # official GB 11643 example
ID_B = "440524188001010014"


def tok(x: str) -> str:
    return hmac.new(KEY, x.encode(), hashlib.sha256).hexdigest()


def write(tmp_path, rows):
    p = tmp_path / "defects.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return p


def test_token_normalises_like_silver():
    assert person_token(ID_A, KEY) == tok(ID_A)
    assert person_token("11010519491231002x", KEY) == tok(ID_A)  # lowercase x
    assert person_token(" 440524188001010014 ", KEY) == tok(ID_B)
    assert person_token("", KEY) is None
    assert person_token(ID_A, b"other") != tok(ID_A)


def test_truth_keeps_contradictions_only_and_maps_kinds(tmp_path):
    p = write(tmp_path, [
        {"kind": "contradiction_dead_but_active", "record_key": ID_A},
        {"kind": "contradiction_paid_after_death", "record_key": ID_A},
        {"kind": "contradiction_community_mismatch", "record_key": ID_B, "incident_id": "I1"},
        {"kind": "contradiction_community_mismatch", "record_key": ID_B, "incident_id": "I2"},
        {"kind": "id_bad_check_char", "record_key": ID_B},
    ])
    assert load_truth(p, KEY) == {("dead_but_active", tok(ID_A)), ("paid_after_death", tok(ID_A)),
                                  ("community_mismatch", tok(ID_B))}


def test_perfect_findings(tmp_path):
    p = write(tmp_path, [{"kind": "contradiction_dead_but_active", "record_key": ID_A},
                         {"kind": "contradiction_mobile_mismatch", "record_key": ID_B}])
    ev = evaluate_file([("dead_but_active", tok(ID_A)), ("mobile_mismatch", tok(ID_B)),
                        ("mobile_mismatch", tok(ID_B))], p, KEY)  # a duplicate finding counts once
    assert ev.overall.recall == 1.0 and ev.overall.precision == 1.0
    assert ev.by_type["dead_but_active"].true_positives == 1
    assert ev.by_type["paid_after_death"].recall is None and ev.by_type["paid_after_death"].precision is None


def test_false_positive_and_missed(tmp_path):
    p = write(tmp_path, [{"kind": "contradiction_dead_but_active", "record_key": ID_A},
                         {"kind": "contradiction_paid_after_death", "record_key": ID_A}])
    # right person, wrong type; and a person the ground truth does not name
    ev = evaluate_file([("dead_but_active", tok(ID_A)), ("community_mismatch", tok(ID_A)),
                        ("dead_but_active", tok(ID_B))], p, KEY)
    d = ev.by_type["dead_but_active"]
    assert (d.true_positives, d.false_positives, d.false_negatives) == (1, 1, 0)
    assert d.precision == 0.5 and d.recall == 1.0
    assert ev.by_type["paid_after_death"].recall == 0.0
    assert ev.by_type["community_mismatch"].precision == 0.0
    assert ev.overall.recall == pytest.approx(0.5) and ev.overall.precision == pytest.approx(1 / 3)
    assert ev.missed == {("paid_after_death", tok(ID_A))}
    assert ev.spurious == {("community_mismatch", tok(ID_A)), ("dead_but_active", tok(ID_B))}


def test_no_findings_and_unknown_types():
    truth = {("mobile_mismatch", tok(ID_A))}
    ev = evaluate([("something_else", tok(ID_A)), ("mobile_mismatch", None)], truth)
    assert ev.overall.found == 0 and ev.overall.precision is None and ev.overall.recall == 0.0
    assert ev.lines()[-1].split()[0] == "overall"
