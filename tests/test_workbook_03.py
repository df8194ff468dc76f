"""Workbook 03 (segmentation, personalisation): its key computes for any variant and grades."""

from __future__ import annotations

import math

import nbformat
import pytest
from support import REPO

from crmlib.data import load_harbor
from crmlib.exercises import load_key, to_record, variant_for
from crmlib.grading import notebooks
from crmlib.grading.core import Task, grade_submission
from crmlib.grading.sandbox import Limits
from crmlib.segment import loyalty_ladder, migration_matrix

KEY = load_key("03_segmentation")
SOLUTION = REPO / "solutions" / "03_segmentation_solution.ipynb"
DATA_DEPENDENT = ["q1", "q3", "q5", "q6"]  # numbers computed from the variant's data


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


def test_references_of_the_committed_data_match_the_story(refs):
    r = refs[None]
    # Truth (datasets/README.md): lifestyle follows the purchase rate, so it explains a
    # large share of it (tests/test_stories.py asks for more than 5%); the segments link
    # to lifestyle most strongly.
    assert 0.05 < r["q1"] < 0.6
    assert KEY.questions["q4"].options[r["q4"]] == "lifestyle"
    # One segment in five or six has lapsed; most one-time buyers never buy again.
    assert 0.1 < r["q3"] < 0.3
    assert 0.1 < r["q6"] < 0.5


def test_ladder_references_agree_with_crmlib(refs):
    # The key counts rungs with its own code; crmlib's ladder must give the same moves.
    purchases = load_harbor("purchases")
    tables = dict(prospects=load_harbor("prospects"), referrals=load_harbor("referrals"),
                  active_days=365)
    before = loyalty_ladder("2024-01-31", purchases, **tables)
    after = loyalty_ladder("2025-12-31", purchases, **tables)
    counts = migration_matrix(before, after, normalize=False)
    assert refs[None]["q5"] == counts.loc["client", "lapsed"]
    row = counts.loc["customer"]
    assert refs[None]["q6"] == pytest.approx((row["client"] + row["advocate"]) / row.sum())


def test_the_exercise_has_one_parameters_cell_and_no_solutions():
    exercise = notebooks.build_exercise(nbformat.read(SOLUTION, as_version=4))
    tagged = [c for c in exercise.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    code = "\n".join(c.source for c in exercise.cells if c.cell_type == "code")
    assert "# SOLUTION" not in code and "BEGIN SOLUTION" not in code
    assert all(f"wb.{q}.check" in code for q in KEY.questions)
    committed = nbformat.read(REPO / "exercises" / "03_segmentation_exercise.ipynb",
                              as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in exercise.cells]


def test_the_solution_shows_every_check_correct():
    solution = nbformat.read(SOLUTION, as_version=4)
    text = "".join(o.get("text", "") for c in solution.cells if c.cell_type == "code"
                   for o in c.outputs)
    for qid, q in KEY.questions.items():
        assert f"{qid}: correct ({q.points:g}/{q.points:g} points)" in text, qid


@pytest.mark.slow
def test_the_solution_grades_full_marks_for_another_variant():
    student = "grace-hopper"
    assert variant_for(student) is not None
    task = Task(assignment="03_segmentation", student=student, file="grace_03.ipynb",
                content=SOLUTION.read_bytes(),
                limits=Limits(timeout=240, cell_timeout=120, memory_mb=3072))
    result = grade_submission(task)
    assert result["status"] == "graded", (result["feedback"], result["notes"])
    assert result["variant"] == variant_for(student)
    assert result["total"] == pytest.approx(KEY.max_points), result["questions"]
