"""Workbook 04 (RFM and incrementality): its key computes for any variant
(grading end to end: test_workbooks.py)."""

from __future__ import annotations

import pytest
from support import REPO

from crmlib.exercises import load_key

KEY = load_key("04_rfm")
SOLUTION = REPO / "solutions" / "04_rfm_solution.ipynb"
DATA_DEPENDENT = ["q1", "q2", "q3", "q4", "q5"]


@pytest.fixture(scope="module")
def refs():
    return {v: {q: KEY.questions[q].expected(v) for q in KEY.questions} for v in (None, 7)}


def test_references_follow_the_variant(refs):
    for qid in DATA_DEPENDENT:
        assert refs[None][qid] != refs[7][qid], qid


def test_references_of_the_committed_data_match_the_documented_figures(refs):
    r = refs[None]
    # datasets/README.md: lift 6.9 points; recency 0-30: response 25.5%, extra orders 0.05.
    assert r["q3"] == pytest.approx(0.069, abs=0.001)
    assert r["q4"] == pytest.approx(0.255, abs=0.001)
    assert r["q5"] == pytest.approx(0.05, abs=0.005)
    # Lesson 04: $0.85 over a net profit of $4.90 per response.
    assert r["q2"] == pytest.approx(0.85 / 4.90, abs=0.001)
    # Recent buyers come back far more often than the file's average (lesson 04's heat map).
    assert 0.6 < r["q1"] < 0.95
