"""Workbook 06 (CRM in practice): its answer key and its variants
(grading end to end: test_workbooks.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from crmlib.exercises import load_key

ASSIGNMENT = "06_crm_in_practice"
ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / f"{ASSIGNMENT}_solution.ipynb"
# Questions whose answer is read from the data (the others are interpretation).
DATA_QUESTIONS = ["q1", "q2", "q4", "q5", "q6", "q7"]


@pytest.fixture(scope="module")
def key():
    return load_key(ASSIGNMENT)


@pytest.fixture(scope="module")
def refs(key):
    return {v: {q: key.questions[q].expected(v) for q in key.questions} for v in (None, 7)}


def test_every_reference_computes_for_two_variants(refs):
    for variant, values in refs.items():
        for qid, value in values.items():
            assert value is not None, (variant, qid)
            if isinstance(value, float):
                assert math.isfinite(value), (variant, qid)
    # Plausible sizes, from the lesson (committed data) and the data description.
    base = refs[None]
    assert 0.3 < base["q1"] < 0.8 and base["q2"] > 0
    assert 0.5 < base["q6"] < 0.95 and 0.6 < base["q7"] < 0.85


def test_data_references_follow_the_variant(refs):
    for qid in DATA_QUESTIONS:
        assert refs[None][qid] != refs[7][qid], qid


def test_committed_values_match_the_lesson(refs):
    # Lesson 06 prints these on the committed data with crmlib's own functions.
    assert refs[None]["q6"] == pytest.approx(0.719, abs=0.0005)
    assert refs[None]["q7"] == pytest.approx(0.73, abs=0.005)
