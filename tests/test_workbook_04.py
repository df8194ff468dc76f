"""Workbook 04 (RFM and incrementality): its key computes for any variant
(grading end to end: test_workbooks.py).

The key counts with plain pandas; the checks here recompute its campaign answers the
way lesson 04 does (crmlib's orders_after and lift_table on remote orders, the
breakeven from the redeemed remote orders) and put them beside the answer key of
true effects, so neither a printed number nor the key checks itself.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pandas as pd
import pytest
from support import REPO

from crmlib.data import load_harbor
from crmlib.exercises import Expected, load_key, to_record
from crmlib.rfm import breakeven_response_rate, rfm_table
from crmlib.truth import future_offer_outcomes, offer_effect
from crmlib.uplift import lift_table, orders_after

KEY = load_key("04_rfm")
SOLUTION = REPO / "solutions" / "04_rfm_solution.ipynb"
RANDOM = "2,000 remote buyers at random (expected)"
# The fixed answer of q6 ("recent customers redeem far more often, yet each redemption
# brings fewer extra orders than on average") must hold on every student's data.
Q6_VARIANTS = (None, 7)
Q6_MORE_VARIANTS = (1, 2, 3)


@pytest.fixture(scope="module")
def refs(workbook_refs):
    return workbook_refs("04_rfm")


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


# --------------------------------------------------------------------------- q4, q5: recency
def _lesson_recency_answers(variant):
    """q4 and q5 the way lesson 04 scores recency (rfm_before: RFM as of the day BEFORE
    the campaign), with the same 'recency 0 to 30' filter: the mistake the hint warns of."""
    a, remote = _lesson_outcomes(variant)
    a = a.reset_index()
    day_before = {}
    for cid, day in a.groupby("campaign_id")["assigned_date"].first().items():
        before = remote[remote["date"] < day]
        day_before[cid] = rfm_table(before, as_of=day - pd.Timedelta(days=1))["recency"]
    lesson = pd.concat(day_before, names=["campaign_id"])
    a["lesson_recency"] = lesson.reindex(pd.MultiIndex.from_frame(
        a[["campaign_id", "customer_id"]])).to_numpy()
    assert (a["lesson_recency"] == a["recency"] - 1).all()  # one day less, always
    recent = a[a["lesson_recency"] <= 30]
    q4 = recent.loc[recent["treated"], "responded"].mean()
    q5 = lift_table(recent["orders"], recent["treated"]).loc["all", "lift"]
    return q4, q5


def test_lesson_recency_is_the_mistake_the_hint_names():
    q4, q5 = _lesson_recency_answers(None)
    for qid, value in (("q4", q4), ("q5", q5)):
        question = KEY.questions[qid]
        assert "rfm_before" in question.hint and "day before" in question.hint
        expected = question.expected(None)
        (mistake, message), = expected.mistakes
        assert mistake == pytest.approx(value)  # the key's mistake is the lesson's computation
        # wherever it lands outside the tolerance, the message names the date convention
        off = float(expected) + 2 * (mistake - float(expected)) if mistake != expected else None
        if off is not None and abs(off - float(expected)) > question.tol:
            probe = Expected(float(expected), [(off, message)])
            assert "day BEFORE" in question.score(to_record(off), probe)[1]


@pytest.mark.slow  # simulates variant 3, where the lesson's recency misses q4's tolerance
def test_lesson_recency_outside_the_tolerance_gets_the_message():
    q4, _ = _lesson_recency_answers(3)
    question = KEY.questions["q4"]
    expected = question.expected(3)
    assert abs(q4 - float(expected)) > question.tol
    fraction, message = question.score(to_record(q4), expected)
    assert fraction == 0 and "day BEFORE" in message and "rfm_before" in message


# --------------------------------------------------------------------------- q9: the decision
@pytest.fixture(scope="module")
def challenge():
    """The test's own profit of every customer, from the truth's outcomes and the lesson's
    economics (not from the key), and the key's truth to compare with."""
    truth = future_offer_outcomes("2026-01-01", "direct mail")
    purchases = load_harbor("purchases")
    remote = purchases[purchases["channel"] != "cafe"]
    items = load_harbor("order_items").merge(load_harbor("products")[["product_id", "unit_cost"]])
    gross = (items["quantity"] * (items["unit_price"] - items["unit_cost"])).groupby(
        items["order_id"]).sum()
    margin = gross.reindex(remote.loc[remote["date"].dt.year == 2025, "order_id"]).mean()
    letter = load_harbor("campaigns").set_index("campaign_id").loc[15, "cost_per_contact"]
    gain = margin * truth["true_extra_orders"] - 5.0 * truth["redeem_chance"]
    profit = pd.Series(-letter, index=load_harbor("customers")["customer_id"])
    profit[truth.index] = np.where(truth["reachable"], gain - letter, 0.0)
    return {"profit": profit, "truth": truth, "remote": remote, "margin": margin,
            "key": KEY.questions["q9"].expected(None)}


def test_the_challenge_truth_follows_the_simulators_effect(challenge):
    truth = challenge["truth"]
    # extra orders: the simulator's own effect (crmlib.truth.offer_effect) of the state's
    # lapse, over the offer's four weeks; nothing for customers who have left
    extra, _ = offer_effect(truth["expected_missed"], truth["alive"],
                            truth["weekly_rate"])
    assert np.allclose(truth["true_extra_orders"], np.where(truth["reachable"], extra * 4, 0))
    assert (truth.loc[~truth["alive"], ["true_extra_orders", "redeem_chance"]] == 0).all().all()
    # the state agrees with the data: nobody bought after it, and every remote buyer is in it
    assert set(truth.index) == set(challenge["remote"]["customer_id"])
    # redemption: the letter's 70% times the chance of a remote order within 21 days; checked
    # against the data's own direct-mail campaigns (15, 18) on customers like their lists'
    # (ordered in the last year, first remote order 90 days or more before)
    remote = challenge["remote"]
    last, first = (remote.groupby("customer_id")["date"].agg(["max", "min"])).T.to_numpy()
    listed = (last >= np.datetime64("2025-01-01")) & (first <= np.datetime64("2025-10-03"))
    ids = remote.groupby("customer_id")["date"].max().index[listed]
    contacts = load_harbor("contacts")
    letters = contacts[contacts["campaign_id"].isin([15, 18])]
    assert truth.loc[ids, "redeem_chance"].mean() == pytest.approx(
        letters["responded"].mean(), rel=0.35)


def test_the_key_prices_every_customer_as_the_test_does(challenge):
    key = challenge["key"]
    assert key.values.sort_index().to_numpy() == pytest.approx(
        challenge["profit"].sort_index().to_numpy(), abs=1e-9)


def test_the_grader_scores_the_oracle_a_random_choice_and_the_rule_of_thumb(challenge):
    question, key, profit = KEY.questions["q9"], challenge["key"], challenge["profit"]
    best = profit[profit > 0].nlargest(2000)
    fraction, message = question.score(to_record(list(best.index)), key)
    assert fraction == 1.0 and f"${best.sum():,.2f}" in message
    # a random 2,000 remote buyers: the test's own sum, and its share of the points
    buyers = challenge["remote"]["customer_id"].unique()
    pick = np.random.default_rng(0).choice(buyers, 2000, replace=False)
    value = profit[pick].sum()
    random_expected = profit[buyers].mean() * 2000
    floor = max(random_expected, 0)
    share = np.clip((value - floor) / (0.5 * best.sum() - floor), 0, 1)
    fraction, message = question.score(to_record(pick), key)
    assert fraction == pytest.approx(share) and f"${value:,.2f}" in message.replace("-$", "$-")
    outcome = question.outcome(to_record(pick), key)
    assert outcome["value"] == pytest.approx(value)
    assert outcome["share"] == pytest.approx(value / best.sum())
    base = outcome["baselines"]
    assert base[RANDOM]["value"] == pytest.approx(random_expected)
    # the manager's rule (the 2,000 most recent remote buyers) loses money: q8's lesson
    last = challenge["remote"].groupby("customer_id")["date"].max().reset_index()
    recent = last.sort_values(["date", "customer_id"], ascending=[False, True]).head(2000)
    assert base["the 2,000 most recent remote buyers"]["value"] == pytest.approx(
        profit[recent["customer_id"]].sum())
    assert profit[recent["customer_id"]].sum() < 0 < random_expected < 0.5 * best.sum()
    assert base["send to nobody"]["value"] == 0


def test_a_wrong_form_gets_a_clear_message(challenge):
    question, key = KEY.questions["q9"], challenge["key"]
    ids = list(challenge["profit"].index[:2001])
    fraction, message = question.score(to_record(ids), key)
    assert fraction == 0 and "refused: 2,001 different customers" in message
    assert "at most 2,000" in message
    fraction, message = question.score(to_record(ids[:10] + ids[:3] + [10**9, "abc", 2.5]), key)
    assert "Ignored: 3 item(s)" in message and "3 repeated item(s)" in message
    fraction, message = question.score(to_record(pd.Series([True, False])), key)
    assert fraction == 0 and "not a True/False" in message
    assert question.score(None, key) == (0.0, "not answered yet")


def test_the_audit_flags_the_truth_and_spares_the_solution():
    question = KEY.questions["q9"]
    solution = nbformat.read(SOLUTION, as_version=4)
    assert question.audit([c.source for c in solution.cells if c.cell_type == "code"]) == ""
    for code in ("from crmlib.truth import future_offer_outcomes",
                 "import crmlib." + "simulate.harbor as h",  # (test_truth scans this file)
                 "from crmlib import truth",
                 "x = load_harbor('campaign_effects')",
                 "m = __import__('crmlib.tr' + 'uth')",
                 "from crmlib import data; s = data._variant_core(variant)[1]"):
        assert question.audit(["import pandas as pd", code]).startswith("flagged: "), code
    # practice mode never computes the truth in the student's kernel
    assert not question.practice_feedback
