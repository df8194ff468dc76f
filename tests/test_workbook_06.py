"""Workbook 06 (CRM in practice): its answer key, its variants, and grading it end to end."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from crmlib.exercises import load_key, variant_for
from crmlib.grading.core import Task, grade_submission
from crmlib.grading.sandbox import Limits

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


def test_key_has_four_to_eight_questions_with_help(key):
    assert 4 <= len(key.questions) <= 8
    for q in key.questions.values():
        assert q.prompt and q.hint and q.solution, q.id


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


@pytest.mark.slow
def test_the_solution_grades_full_marks_on_another_variant(key):
    student = next(f"student-{i}" for i in range(100) if variant_for(f"student-{i}") is not None)
    task = Task(assignment=ASSIGNMENT, student=student, file="solution.ipynb",
                content=SOLUTION.read_bytes(),
                limits=Limits(timeout=240, cell_timeout=120, memory_mb=4096, file_mb=16,
                              processes=64))
    result = grade_submission(task)
    assert result["status"] == "graded", (result["feedback"], result["notes"])
    assert result["variant"] is not None
    assert result["total"] == pytest.approx(key.max_points), result["questions"]
