"""Workbook 04 (RFM and incrementality): its key computes for any variant
(grading end to end: test_workbooks.py).

The key counts with plain pandas; the checks here recompute its campaign answers the
way lesson 04 does (crmlib's orders_after and lift_table on remote orders, the
breakeven from the redeemed remote orders) and put them beside the answer key of
true effects, so neither a printed number nor the key checks itself.
"""

from __future__ import annotations

import pytest
from support import REPO

from crmlib.data import load_harbor
from crmlib.exercises import load_key
from crmlib.rfm import breakeven_response_rate
from crmlib.uplift import lift_table, orders_after

KEY = load_key("04_rfm")
SOLUTION = REPO / "solutions" / "04_rfm_solution.ipynb"
DATA_DEPENDENT = ["q1", "q2", "q3", "q4", "q5"]
# The fixed answer of q6 ("recent customers redeem far more often, yet each redemption
# brings fewer extra orders than on average") must hold on every student's data.
Q6_VARIANTS = (None, 7)
Q6_MORE_VARIANTS = (1, 2, 3)


@pytest.fixture(scope="module")
def refs():
    return {v: {q: KEY.questions[q].expected(v) for q in KEY.questions} for v in (None, 7)}


def _lesson_outcomes(variant):
    """Lesson 04's campaign outcomes: remote orders in 28 days, recency of remote orders."""
    purchases = load_harbor("purchases", variant=variant)
    remote = purchases[purchases["channel"] != "cafe"]
    a = load_harbor("campaign_assignments", variant=variant)
    a["orders"] = orders_after(remote, a, days=28)
    a["treated"] = a["group"] == "treatment"
    keys = ["campaign_id", "customer_id"]
    before = a[keys + ["assigned_date"]].merge(remote[["customer_id", "date"]])
    last = before[before["date"] < before["assigned_date"]].groupby(keys)["date"].max()
    a = a.set_index(keys)
    a["recency"] = (a["assigned_date"] - last.reindex(a.index)).dt.days
    contacts = load_harbor("contacts", variant=variant).dropna(subset=["customer_id"])
    responded = contacts.astype({"customer_id": "int64"}).set_index(keys)["responded"]
    a["responded"] = responded.reindex(a.index, fill_value=False)
    effects = load_harbor("campaign_effects", variant=variant).set_index(keys)
    a["true_extra_orders"] = effects["true_extra_orders"].reindex(a.index)
    return a, remote


def _per_redemption(a):
    """Redemption rate and extra orders per redemption: recent buyers against everyone."""
    out = {}
    for name, g in (("recent", a[a["recency"] <= 30]), ("everyone", a)):
        rate = g.loc[g["treated"], "responded"].mean()
        lift = lift_table(g["orders"], g["treated"]).loc["all", "lift"]
        out[name] = (rate, lift / rate)
    return out


def test_references_follow_the_variant(refs):
    for qid in DATA_DEPENDENT:
        assert refs[None][qid] != refs[7][qid], qid


def test_references_agree_with_the_lesson_and_the_truth(refs):
    a, remote = _lesson_outcomes(None)
    r = refs[None]
    # q3 is the pooled lift in the share who ordered, as lesson 04 computes it.
    assert r["q3"] == pytest.approx(lift_table(a["orders"] > 0, a["treated"]).loc["all", "lift"])
    # q2: the lesson's breakeven, $0.85 over the net profit of the redeemed remote orders.
    items = load_harbor("order_items").merge(load_harbor("products")[["product_id", "unit_cost"]])
    gross = (items["quantity"] * (items["unit_price"] - items["unit_cost"])).groupby(
        items["order_id"]).sum()
    contacts = load_harbor("contacts").dropna(subset=["customer_id"])
    mail = contacts[contacts["campaign_id"].isin([15, 18]) & contacts["responded"]].astype(
        {"customer_id": "int64"}).merge(remote[remote["discount"] > 0],
                                        left_on=["customer_id", "response_date"],
                                        right_on=["customer_id", "date"])
    net = (mail["order_id"].map(gross) - mail["discount"]).mean()
    assert r["q2"] == pytest.approx(breakeven_response_rate(0.85, net))
    # q4 and q5: the recent buyers' redemption rate and lift in orders.
    recent = a[a["recency"] <= 30]
    assert r["q4"] == pytest.approx(recent.loc[recent["treated"], "responded"].mean())
    lift = lift_table(recent["orders"], recent["treated"]).loc["all"]
    assert r["q5"] == pytest.approx(lift["lift"])
    # ... which recovers the answer key's true effect for them (3 standard errors).
    assert abs(lift["lift"] - recent["true_extra_orders"].mean()) < 3 * lift["se"]
    # Recent buyers come back far more often than the file's average (lesson 04's heat map).
    assert 0.6 < r["q1"] < 0.98


@pytest.mark.parametrize("variant", Q6_VARIANTS)
def test_the_fixed_choice_of_q6_holds_on_the_data(variant):
    _check_q6(variant)


@pytest.mark.slow  # simulates three more variants
@pytest.mark.parametrize("variant", Q6_MORE_VARIANTS)
def test_the_fixed_choice_of_q6_holds_on_other_variants(variant):
    _check_q6(variant)


def _check_q6(variant):
    assert KEY.questions["q6"].options[KEY.questions["q6"].expected(variant)].startswith(
        "recent customers redeem far more often, yet each redemption brings fewer")
    a, _ = _lesson_outcomes(variant)
    m = _per_redemption(a)
    # "far more often": about twice the average redemption rate ...
    assert m["recent"][0] > 1.5 * m["everyone"][0]
    # ... "fewer extra orders per redemption than on average", and far from every
    # redemption being an order the offer caused (option a).
    assert m["recent"][1] < m["everyone"][1]
    assert m["recent"][1] < 0.75
