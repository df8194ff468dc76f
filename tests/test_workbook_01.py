"""Workbook 01 (continuity of contact): the key and its references per variant.

Grading end to end, and what every workbook must be, are in tests/test_workbooks.py.

The references are checked against the lesson's own figures for the committed
data (computed in the lesson with ``crmlib.contact``, while the key uses plain
pandas) and against the simulation's truth where there is one.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from crmlib.exercises import load_key
from crmlib.grading.core import references
from crmlib.truth import parameters

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
NAME = "01_continuity_of_contact"
KEY = load_key(NAME, [SOLUTIONS])
OTHER = 7
DATA_DEPENDENT = ["q1", "q2", "q3", "q5", "q6", "q7"]


@pytest.fixture(scope="module")
def refs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a variant's awareness fit may warn about its ceiling
        return {v: references(NAME, (str(SOLUTIONS),), v) for v in (None, OTHER)}


def test_references_for_the_committed_data_match_the_lesson_and_the_truth(refs):
    ref = refs[None]
    truth = parameters()
    # Figures printed in lesson 01 for the committed data.
    assert ref["q1"] == pytest.approx(1086.05 / 95, abs=0.01)  # email: cost / sales
    assert ref["q2"] == pytest.approx(46 / 1520, abs=1e-4)  # free samples, first contact
    assert ref["q3"] == pytest.approx(44.08, abs=0.01)
    assert ref["q4"] == 1  # direct mail: $86.70 a sale, about two years of margin
    assert ref["q5"] == pytest.approx(288 / 358, abs=1e-4)
    # Estimates near the simulation's truth.
    assert ref["q6"] == pytest.approx(truth["mean_patience_minutes"], abs=0.25)
    assert ref["q7"] == pytest.approx(truth["adstock_decay"], abs=0.05)


def test_data_dependent_references_differ_between_variants(refs):
    for qid in DATA_DEPENDENT:
        assert refs[None][qid] != refs[OTHER][qid], qid
    assert refs[None]["q8"] == refs[OTHER]["q8"] == 2  # Erlang C: a fact, not data
