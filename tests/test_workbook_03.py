"""Workbook 03 (segmentation, personalisation): its key computes for any variant
(grading end to end: test_workbooks.py)."""

from __future__ import annotations

import pytest
from support import REPO

from crmlib.data import load_harbor
from crmlib.exercises import load_key
from crmlib.segment import loyalty_ladder, migration_matrix

KEY = load_key("03_segmentation")
SOLUTION = REPO / "solutions" / "03_segmentation_solution.ipynb"


@pytest.fixture(scope="module")
def refs(workbook_refs):
    return workbook_refs("03_segmentation")


def test_references_of_the_committed_data_match_the_story(refs):
    r = refs[None]
    # Truth (datasets/README.md): lifestyle drives how often and where people buy, so it
    # explains a large share of the purchase rate (tests/test_stories.py asks for more than
    # 5%); the segments link to lifestyle most strongly.
    assert 0.05 < r["q1"] < 0.6
    assert KEY.questions["q4"].options[r["q4"]] == "lifestyle"
    # About one customer in eight is dormant; most one-time buyers never buy again.
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
