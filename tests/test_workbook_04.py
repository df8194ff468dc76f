"""Workbook 04 (RFM and incrementality): its key computes for any variant, and it grades."""

from __future__ import annotations

import math

import nbformat
import pytest
from support import REPO

from crmlib.exercises import load_key, to_record, variant_for
from crmlib.grading import notebooks
from crmlib.grading.core import Task, grade_submission
from crmlib.grading.sandbox import Limits

KEY = load_key("04_rfm")
SOLUTION = REPO / "solutions" / "04_rfm_solution.ipynb"
DATA_DEPENDENT = ["q1", "q2", "q3", "q4", "q5"]


@pytest.fixture(scope="module")
def refs():
    return {v: {q: KEY.questions[q].expected(v) for q in KEY.questions} for v in (None, 7)}


def test_every_reference_computes_for_the_data_and_a_variant(refs):
    for variant, answers in refs.items():
        for qid, value in answers.items():
            if qid in DATA_DEPENDENT:
                assert math.isfinite(value), (variant, qid)
            assert KEY.questions[qid].score(to_record(value), value)[0] == 1.0, (variant, qid)


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


def test_the_exercise_has_one_parameters_cell_and_no_solutions():
    exercise = notebooks.build_exercise(nbformat.read(SOLUTION, as_version=4))
    tagged = [c for c in exercise.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    code = "\n".join(c.source for c in exercise.cells if c.cell_type == "code")
    assert "# SOLUTION" not in code and "BEGIN SOLUTION" not in code
    assert all(f"wb.{q}.check" in code for q in KEY.questions)


@pytest.mark.slow
def test_the_solution_grades_full_marks_for_another_variant():
    student = "ada-lovelace"
    assert variant_for(student) is not None
    task = Task(assignment="04_rfm", student=student, file="ada_04_rfm.ipynb",
                content=SOLUTION.read_bytes(),
                limits=Limits(timeout=240, cell_timeout=120, memory_mb=3072))
    result = grade_submission(task)
    assert result["status"] == "graded", (result["feedback"], result["notes"])
    assert result["variant"] == variant_for(student)
    assert result["total"] == pytest.approx(KEY.max_points), result["questions"]
