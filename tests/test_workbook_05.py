"""Workbook 05 (customer lifetime value): its key computes for any variant
(grading end to end: test_workbooks.py)."""

from __future__ import annotations

import pytest
from support import REPO

from crmlib.exercises import load_key
from crmlib.truth import parameters

ASSIGNMENT = "05_customer_lifetime_value"
DATA_DEPENDENT = ["q1", "q2", "q4", "q5", "q6"]


@pytest.fixture(scope="module")
def key():
    return load_key(ASSIGNMENT, [REPO / "solutions"])


@pytest.fixture(scope="module")
def references(key):
    return {v: {qid: q.expected(v) for qid, q in key.questions.items()} for v in (None, 7)}


def test_every_reference_computes_and_is_plausible(references):
    for variant, ref in references.items():
        truth = parameters(variant)
        assert 0.2 < ref["q1"] < 0.7  # about 42% made no repeat purchase before the campaigns
        # The fit recovers alpha: the lesson's story test allows 3 standard errors (~0.1 each).
        assert abs(ref["q2"] - truth["alpha"]) < 0.4
        assert ref["q3"] in (0, 1, 2)
        assert 0.0 <= ref["q4"] <= 1.0
        assert ref["q5"] > 1000
        assert 0.1 < ref["q6"] < 1.0  # value is concentrated, but not all in the top tenth
        assert ref["q7"] == 2


def test_references_follow_the_variant(references):
    for qid in DATA_DEPENDENT:
        assert references[None][qid] != pytest.approx(references[7][qid], rel=1e-6), qid
