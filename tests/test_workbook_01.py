"""Workbook 01 (continuity of contact): the key and its references per variant.

Grading end to end, and what every workbook must be, are in tests/test_workbooks.py.

The references are checked against the lesson's own figures for the committed
data (computed in the lesson with ``crmlib.contact``, while the key uses plain
pandas) and against the simulation's truth where there is one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crmlib import contact
from crmlib.data import load_harbor
from crmlib.exercises import load_key
from crmlib.truth import parameters

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
NAME = "01_continuity_of_contact"
KEY = load_key(NAME, [SOLUTIONS])


@pytest.fixture(scope="module")
def refs(workbook_refs):
    return workbook_refs(NAME)


def _lesson_figures():
    """The lesson's figures for the committed data, computed as lesson 01 computes them
    (with crmlib.contact; the key uses plain pandas)."""
    contacts = load_harbor("contacts")
    campaigns = load_harbor("campaigns")
    acq = contacts[contacts["campaign_id"] <= 13].merge(
        campaigns[["campaign_id", "channel", "cost_per_contact"]], on="campaign_id")
    to_prospects = acq[acq["prospect_id"].notna()]
    routes = contact.route_economics(to_prospects, "channel", "cost_per_contact")
    first = to_prospects[to_prospects["exposure"] == 1].merge(
        load_harbor("prospects")[["prospect_id", "source"]], on="prospect_id")
    purchases = load_harbor("purchases")
    purchases["margin"] = contact.order_margin(
        purchases, load_harbor("order_items"), load_harbor("products")).to_numpy()
    signup = load_harbor("customers").set_index("customer_id")["signup_date"]
    first_year = contact.first_year_value(purchases, signup, value="margin", end="2025-12-31")
    spots = load_harbor("tv_spots")
    evening_spots = spots[spots["air_time"].dt.hour >= 18]
    evening = contact.calls_after_spots(load_harbor("calls"), evening_spots, minutes=30)
    return {
        "email_cost_per_sale": routes.loc["email", "cost_per_sale"],
        "direct_mail_cost_per_sale": routes.loc["direct mail", "cost_per_sale"],
        "free_sample_rate": first.groupby("source")["responded"].mean()["free sample"],
        "first_year_margin": first_year.mean(),
        "evening_lost_share": evening["lost"].sum() / evening["calls"].sum(),
    }


def test_references_for_the_committed_data_match_the_lesson_and_the_truth(refs):
    ref = refs[None]
    truth = parameters()
    lesson = _lesson_figures()
    # Figures of lesson 01 for the committed data.
    assert ref["q1"] == pytest.approx(lesson["email_cost_per_sale"], abs=0.01)
    assert ref["q2"] == pytest.approx(lesson["free_sample_rate"], abs=1e-6)
    assert ref["q3"] == pytest.approx(lesson["first_year_margin"], abs=0.01)
    years = lesson["direct_mail_cost_per_sale"] / lesson["first_year_margin"]
    assert ref["q4"] == (0 if years < 1 else (1 if years <= 3 else 2))
    assert ref["q5"] == pytest.approx(lesson["evening_lost_share"], abs=1e-6)
    # Estimates near the simulation's truth.
    assert ref["q6"] == pytest.approx(truth["mean_patience_minutes"], abs=0.25)
    assert ref["q7"] == pytest.approx(truth["adstock_decay"], abs=0.05)


def test_q8_is_what_erlang_c_says_for_the_numbers_given():
    """12 calls an hour of 5.5 minutes is 1.1 Erlangs: more work than one agent can do, so
    Erlang C has no steady state (the queue grows without end): the third option."""
    load = 12 * 5.5 / 60
    assert load > 1
    q = KEY.questions["q8"]
    assert "grows without end" in q.options[q.expected(None)]
    assert contact.erlang_c(12 / 60, 5.5, 1) == 1.0  # crmlib agrees: everyone waits
