"""Workbook 02 (retention economics): its key and its variants (grading: test_workbooks.py).

The key's references are computed from a student's own data variant; the
expectations here come from the key's definition (which questions depend on
the data) and from the truth of the simulation, never from the grader's output.
"""

from __future__ import annotations

import nbformat
import pytest
from support import REPO

from crmlib.exercises import load_key
from crmlib.truth import parameters

ASSIGNMENT = "02_retention_economics"
SOLUTION = REPO / "solutions" / f"{ASSIGNMENT}_solution.ipynb"
LESSON = REPO / "notebooks" / f"{ASSIGNMENT}.ipynb"
KEY = load_key(ASSIGNMENT, [REPO / "solutions"])
OTHER = 7


def _lesson_signups(year: int) -> dict[str, float]:
    """One sign-up year's row of lesson 02's "came back" table, from its committed output."""
    nb = nbformat.read(LESSON, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and '"% never came back"' in c.source)
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    rows = text.splitlines()[1:]  # the header, then one row per sign-up year
    row = next(line.split() for line in rows if line.split() and line.split()[0] == str(year))
    # sign-up year, customers, % never came back, observed 6 months, % back within 6 months
    return {"never came back": float(row[2]), "back within 6 months": float(row[4])}


@pytest.fixture(scope="module")
def references(workbook_refs):
    return workbook_refs(ASSIGNMENT)


def test_references_agree_with_the_lesson_and_the_truth(references):
    ref = references[None]
    assert ref["q1"] == pytest.approx(0.2 / 0.15 - 1)  # (i + d) / (i + d - 0.05) - 1
    # Q2 and Q3 are the 2025 sign-ups' "% never came back" and "% back within 6 months"
    # (of those watched 6 months) that lesson 02 prints.
    lesson = _lesson_signups(2025)
    assert round(100 * ref["q2"], 1) == lesson["never came back"]
    assert round(100 * ref["q3"], 1) == lesson["back within 6 months"]
    # The censored sBG fit lands within 3 standard errors (about 0.07) of the truth.
    for v in (None, OTHER):
        assert abs(references[v]["q6"] - parameters(v)["sbg_alpha"]) < 0.21
