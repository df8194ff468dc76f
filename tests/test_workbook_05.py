"""Workbook 05 (customer lifetime value): its key computes for any variant
(grading end to end: test_workbooks.py)."""

from __future__ import annotations

import pytest
from support import REPO

from crmlib.exercises import load_key

ASSIGNMENT = "05_customer_lifetime_value"


@pytest.fixture(scope="module")
def key():
    return load_key(ASSIGNMENT, [REPO / "solutions"])


@pytest.fixture(scope="module")
def references(workbook_refs):
    return workbook_refs(ASSIGNMENT)


def test_every_reference_computes_and_is_plausible(references):
    for ref in references.values():
        assert 0.2 < ref["q1"] < 0.7  # about 44% made no repeat remote order before the campaigns
        assert ref["q2"] > 0
        assert 0.0 <= ref["q4"] <= 1.0
        assert ref["q5"] > 1000
        assert 0.1 < ref["q6"] < 1.0  # value is concentrated, but not all in the top tenth
        assert ref["q7"] in (2, 4)  # (c) beaten by the campaigns, (e) not: computed


def test_q7_follows_the_students_own_comparison(references):
    # q7's right option is (c) when the customers made more remote orders in the 52 weeks
    # after calibration than the q5 forecast, (e) when they did not: count them here.
    from crmlib.data import load_harbor

    for variant, ref in references.items():
        tx = load_harbor("purchases", variant=variant)
        remote = tx[tx["channel"] != "cafe"]
        calibration = set(remote.loc[remote["date"] <= "2024-02-29", "customer_id"])
        after = remote[(remote["date"] > "2024-02-29") & (remote["date"] <= "2025-02-27")]
        beaten = after["customer_id"].isin(calibration).sum() > ref["q5"]
        assert ref["q7"] == (2 if beaten else 4), variant


@pytest.mark.parametrize("qid", ["q1", "q2"])
def test_the_lessons_default_summary_gets_the_message_that_names_it(key, qid):
    """btyd_summary merges same-day orders unless told not to; a student who keeps the
    default lands outside the tolerance and is told why (the lesson shows both)."""
    from crmlib.clv import BetaGeo
    from crmlib.data import load_harbor
    from crmlib.exercises import to_record
    from crmlib.rfm import btyd_summary

    tx = load_harbor("purchases")
    tx = tx[(tx["channel"] != "cafe") & (tx["date"] <= "2024-02-29")]
    s = btyd_summary(tx, "2024-02-29")  # the default: merge_same_day=True
    value = ((s["frequency"] == 0).mean() if qid == "q1" else
             BetaGeo().fit(s["frequency"], s["recency"], s["T"]).params_["alpha"])
    q = key.questions[qid]
    points, message = q.score(to_record(float(value)), q.expected(None))
    assert points == 0 and "merge_same_day=False" in message, message


def test_q3_is_the_distance_the_lessons_tools_measure(references):
    """q3's option from the lesson's own route (btyd_summary, not the key's pandas) and the
    truth: 0 within 2 standard errors of the true alpha, 1 within 3, 2 beyond."""
    from crmlib.clv import BetaGeo
    from crmlib.data import load_harbor
    from crmlib.rfm import btyd_summary
    from crmlib.truth import parameters

    for variant, ref in references.items():
        tx = load_harbor("purchases", variant=variant)
        tx = tx[(tx["channel"] != "cafe") & (tx["date"] <= "2024-02-29")]
        s = btyd_summary(tx, "2024-02-29", merge_same_day=False)
        m = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
        z = abs(m.params_["alpha"] - parameters(variant)["alpha"]) / m.standard_errors_["alpha"]
        assert ref["q3"] == (0 if z < 2 else (1 if z < 3 else 2)), (variant, z)
