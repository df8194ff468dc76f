"""Answer key of workbook 04 (RFM and incrementality).

Every reference is computed from the student's data variant when the grader
asks for it. The code here is written apart from the solution notebook's: it
scores and counts with plain pandas and numpy instead of the crmlib helpers
the students use (rfm_table, rfm_scores, orders_after, lift_table), so a bug
in one would show up as a disagreement with the other.

The retention campaigns are for customers who order beans remotely, and their
offers are redeemed on web and phone orders: every campaign outcome counts
those (``channel != "cafe"``), never cafe visits. RFM (q1) counts every purchase.

q9 is a decision, scored by what it truly achieves (see :func:`challenge_truth`): the
true incremental profit of the customers a student chooses for a letter sent on
1 January 2026, from the simulation's own state at the end of the data
(:func:`crmlib.truth.future_offer_outcomes`), which no student sees.
"""

from functools import lru_cache

import numpy as np
import pandas as pd

from crmlib.data import load_harbor
from crmlib.exercises import Choice, Decision, DecisionTruth, Number, Written
from crmlib.truth import future_offer_outcomes

TITLE = "RFM and incrementality"

AS_OF = pd.Timestamp("2025-06-30")
HOLDOUT_END = pd.Timestamp("2025-12-31")
DIRECT_MAIL = (15, 18)
WINDOW_DAYS = 28
SEND_DATE = "2026-01-01"   # the challenge's letter goes out the day after the data end
LETTERS = 2000             # ... to at most this many customers
FULL_AT = 0.5              # full points at half the best possible profit (see q9) ...
RANDOM = f"{LETTERS:,} remote buyers at random (expected)"  # ... none at or below this


@lru_cache(maxsize=4)
def _table(variant, name):
    return load_harbor(name, variant=variant)


def repeat_share_r5(variant):
    """Share of the most recent fifth (R = 5, ties kept together) buying again in the holdout."""
    tx = _table(variant, "purchases")
    last = tx.loc[tx["date"] <= AS_OF].groupby("customer_id")["date"].max()
    days = (AS_OF - last).dt.days.to_numpy()
    # Score = floor(5 * k / n) + 1 where k counts the customers strictly LESS recent
    # (equal recencies share the lowest score their rank allows).
    less_recent = len(days) - np.searchsorted(np.sort(days), days, side="right")
    r5 = np.floor(5 * less_recent / len(days)) + 1 == 5
    later = tx.loc[(tx["date"] > AS_OF) & (tx["date"] <= HOLDOUT_END), "customer_id"].unique()
    return float(np.isin(last.index[r5], later).mean())


def _remote(variant):
    """Web and phone orders: where the retention offers are redeemed."""
    tx = _table(variant, "purchases")
    return tx[tx["channel"] != "cafe"]


def _gross_margin(variant):
    items = _table(variant, "order_items")
    cost = _table(variant, "products").set_index("product_id")["unit_cost"]
    line = items["quantity"] * (items["unit_price"] - items["product_id"].map(cost))
    return line.groupby(items["order_id"]).sum()


def breakeven_direct_mail(variant):
    """Cost of a letter over the net profit of a redeemed direct-mail order."""
    contacts = _table(variant, "contacts")
    got = contacts[contacts["campaign_id"].isin(DIRECT_MAIL) & contacts["responded"]]
    tx = _remote(variant)
    tx = tx[tx["discount"] > 0]
    hit = tx.merge(got[["customer_id", "response_date"]].astype({"customer_id": "int64"}),
                   left_on=["customer_id", "date"], right_on=["customer_id", "response_date"])
    net = hit["order_id"].map(_gross_margin(variant)) - hit["discount"]
    cost = _table(variant, "campaigns").set_index("campaign_id").loc[DIRECT_MAIL[0],
                                                                   "cost_per_contact"]
    return float(cost / net.mean())


@lru_cache(maxsize=4)
def _outcomes(variant):
    """Every assignment with its remote orders in the 28 days from the campaign day, its
    recency (of remote orders) at that day and whether the (treated) customer redeemed."""
    a = _table(variant, "campaign_assignments").copy()
    tx = _remote(variant)[["customer_id", "date"]]
    pairs = a[["campaign_id", "customer_id", "assigned_date"]].merge(tx, on="customer_id")
    age = (pairs["date"] - pairs["assigned_date"]).dt.days
    keys = ["campaign_id", "customer_id"]
    n = pairs[(age >= 0) & (age < WINDOW_DAYS)].groupby(keys).size().rename("orders")
    last = pairs[age < 0].groupby(keys)["date"].max().rename("last")
    a = a.join(n, on=keys).join(last, on=keys)
    a["orders"] = a["orders"].fillna(0)
    a["recency"] = (a["assigned_date"] - a["last"]).dt.days
    contacts = _table(variant, "contacts").dropna(subset=["customer_id"])
    redeemed = contacts.loc[contacts["responded"], keys].astype("int64")
    a = a.merge(redeemed.assign(responded=True), on=keys, how="left")
    a["responded"] = a["responded"].fillna(False).astype(bool)
    return a


def recent_response_day_before(variant):
    """q4 as lesson 04's ``rfm_before`` counts recency (as of the day BEFORE the campaign
    day, one day less), so 'recency 0 to 30' keeps the customers 31 days back too."""
    a = _outcomes(variant)
    return float(a.loc[(a["recency"] <= 31) & (a["group"] == "treatment"), "responded"].mean())


def recent_lift_day_before(variant):
    """q5 with lesson 04's one-day-earlier recency (see recent_response_day_before)."""
    a = _outcomes(variant)
    means = a[a["recency"] <= 31].groupby("group")["orders"].mean()
    return float(means["treatment"] - means["control"])


DAY_BEFORE = ("your recency seems to count from the day BEFORE the campaign (as lesson 04's "
              "rfm_before does, as of day - 1), which keeps customers 31 days back; here recency "
              "is assigned_date minus the last remote order's date, so 0 to 30 days")


def pooled_lift(variant):
    a = _outcomes(variant)
    bought = a["orders"] > 0
    return float(bought[a["group"] == "treatment"].mean() - bought[a["group"] == "control"].mean())


def recent_lift(variant):
    a = _outcomes(variant)
    a = a[a["recency"] <= 30]
    means = a.groupby("group")["orders"].mean()
    return float(means["treatment"] - means["control"])


def recent_response(variant):
    a = _outcomes(variant)
    return float(a.loc[(a["recency"] <= 30) & (a["group"] == "treatment"), "responded"].mean())


def whom_to_send_guide(variant):
    """What a marker looks for in q8, with this student's own numbers."""
    a = _outcomes(variant)
    treated = a["group"] == "treatment"
    everyone = a.loc[treated, "responded"].mean()
    means = a.groupby("group")["orders"].mean()
    lift = means["treatment"] - means["control"]
    recent_per = recent_lift(variant) / recent_response(variant)
    return (f"Your data: recent buyers redeemed {recent_response(variant):.0%} against "
            f"{everyone:.0%} of all treated customers, but each of their redemptions brought "
            f"{recent_per:.2f} extra orders against {lift / everyone:.2f} on average. A good "
            "answer (1) rejects the rule: redemptions mostly reward orders that would have "
            "happened anyway, so response is not incrementality; (2) proposes targeting by "
            "the extra orders (or profit) a contact causes, measured against a random control "
            "group, e.g. by predicted uplift checked on a held-out campaign (q7); (3) keeps a "
            "control group in the next campaign. Full marks need all three and the numbers; "
            "half marks for (1) with a reason.")


# --------------------------------------------------------------------------- q9: the decision
@lru_cache(maxsize=4)
def challenge_economics(variant):
    """The letter's economics, from the variant's own tables, as lesson 04 counts them.

    A letter costs the direct-mail campaigns' ``cost_per_contact`` and offers their
    discount (campaign 15's offer, "$5.00 off"); an extra order earns the mean gross
    margin of a remote order placed in 2025 (the workbook shows the student this number).
    """
    campaigns = _table(variant, "campaigns").set_index("campaign_id")
    cost = float(campaigns.loc[DIRECT_MAIL[0], "cost_per_contact"])
    discount = float(campaigns.loc[DIRECT_MAIL[0], "offer"].split("$")[1].split()[0])
    remote = _remote(variant)
    in_2025 = remote[(remote["date"] >= "2025-01-01") & (remote["date"] <= HOLDOUT_END)]
    margin = float(in_2025["order_id"].map(_gross_margin(variant)).mean())
    return {"cost": cost, "discount": discount, "margin": margin}


@lru_cache(maxsize=4)
def challenge_truth(variant):
    """Each customer's TRUE expected incremental profit of a letter sent on 1 January 2026.

    For every customer id in the data:

        profit = margin x true_extra_orders - discount x redeem_chance - cost

    with ``true_extra_orders`` (the extra remote orders the offer causes in its four
    weeks, 0 for a customer who has left, as in the campaign_effects answer key) and
    ``redeem_chance`` (the chance the $5 is redeemed on a remote order, caused or not)
    from :func:`crmlib.truth.future_offer_outcomes`, the simulation's own rules applied to its
    latent state at the end of the data; the economics of :func:`challenge_economics`.
    A customer who never ordered by web or phone costs the letter and gains nothing; one
    who asked to be forgotten is left off the mailing (no letter, no cost, no effect).
    The offer's smaller, year-long cut in the chance of leaving is left out, as in lesson
    04's profit: it is not measured by any campaign in the data.
    """
    econ = challenge_economics(variant)
    truth = future_offer_outcomes(SEND_DATE, "direct mail", variant=variant)
    customers = _table(variant, "customers")["customer_id"].to_numpy()
    profit = pd.Series(-econ["cost"], index=pd.Index(customers, name="customer_id"))
    gain = (econ["margin"] * truth["true_extra_orders"] - econ["discount"]
            * truth["redeem_chance"] - econ["cost"] * truth["reachable"])
    profit.loc[truth.index] = gain.to_numpy()
    remote = _remote(variant)
    last = remote.groupby("customer_id")["date"].max()
    recent = last.reset_index().sort_values(["date", "customer_id"], ascending=[False, True])
    baselines = {
        "send to nobody": 0.0,
        RANDOM: float(
            profit.reindex(last.index).mean() * LETTERS),
        f"the {LETTERS:,} most recent remote buyers": float(
            profit.reindex(recent["customer_id"].head(LETTERS)).sum()),
    }
    note = (f"true incremental profit on {SEND_DATE}: ${econ['margin']:.2f} margin per extra "
            f"order, ${econ['discount']:.2f} per redemption, ${econ['cost']:.2f} per letter")
    return DecisionTruth(profit, baselines=baselines, note=note)


def customer_ids(variant):
    """The customer ids a student may choose (practice mode checks the answer's form)."""
    return _table(variant, "customers")["customer_id"]


FORBIDDEN = (
    (r"crmlib\s*\.\s*(truth|simulate)|from\s+crmlib\s+import[^\n]*\b(truth|simulate)\b",
     "the simulation's truth (crmlib's truth or simulate module)"),
    (r"campaign_effects", "the campaign_effects answer key"),
    (r"\b(future_offer_outcomes|remote_state_at_end|offer_effect|true_offer_effect|truth_of)\b",
     "a function of the simulation's truth"),
    (r"\b(_variant_core|_variant_raw|_variant_silos|simulate_core|remote_state)\b",
     "the simulation's own output (where the truth is recorded)"),
    (r"\bimportlib\b|__import__", "a hidden import"),
)


QUESTIONS = [
    Number("q1", reference=repeat_share_r5, points=2, tol=0.002, percent=True,
           prompt="Score RFM as of 30 June 2025 (ties kept together). What share of the R = 5 "
                  "customers bought again between 1 July and 31 December 2025?",
           hint="rfm_scores(rfm_table(purchases, as_of='2025-06-30')), then look up which "
                "R = 5 customers appear among the purchases after 30 June.",
           solution="scores = rfm_scores(rfm_table(purchases, as_of='2025-06-30')); "
                    "later = purchases[(purchases['date'] > '2025-06-30') & "
                    "(purchases['date'] <= '2025-12-31')]; "
                    "scores.index[scores['R'] == 5].isin(later['customer_id']).mean()"),
    Number("q2", reference=breakeven_direct_mail, points=2, tol=0.003, percent=True,
           prompt="Breakeven response rate of the direct-mail retention campaigns (15 and 18): "
                  "cost per letter over the mean net profit (gross margin less discount) of "
                  "their redeemed orders.",
           hint="Gross margin of an order = sum of quantity x (unit_price - unit_cost) of its "
                "items. A redeemed order is the customer's discounted web or phone order "
                "(channel != 'cafe') on the contact's response_date.",
           solution="Join the responded contacts of campaigns 15 and 18 to the discounted "
                    "remote orders (channel != 'cafe') on customer_id and response_date = date; "
                    "net profit = gross margin - discount; breakeven = 0.85 / mean net profit."),
    Number("q3", reference=pooled_lift, points=2, tol=0.002, percent=True,
           prompt="Over all six retention campaigns, the share of treated customers who placed "
                  "a remote (web or phone) order within 28 days of the campaign day minus the "
                  "same share of the controls.",
           hint="orders_after(remote, assignments, days=28) counts each assignment's remote "
                "orders; compare the share with at least one order between the groups.",
           solution="remote = purchases[purchases['channel'] != 'cafe']; "
                    "a['bought'] = orders_after(remote, a, days=28) > 0; "
                    "lift_table(a['bought'], a['group'] == 'treatment')['lift']"),
    Number("q4", reference=recent_response, points=1, tol=0.002, percent=True,
           mistakes={DAY_BEFORE: recent_response_day_before},
           prompt="Among treated customers who had ordered remotely within 30 days before the "
                  "campaign day (recency 0 to 30 days), what share redeemed the offer?",
           hint="Recency at a campaign = assigned_date minus the date of the last remote order "
                "strictly before it, in days (an order the day before is recency 1). Lesson "
                "04's rfm_before scores as of the day before the campaign, which counts one "
                "day less and keeps customers 31 days back: do not reuse it here. Redemptions "
                "are the contacts with responded = True.",
           solution="Merge each assignment with the last remote order before its day, keep "
                    "recency <= 30 and the treatment group, and average 'responded'."),
    Number("q5", reference=recent_lift, points=2, tol=0.005,
           mistakes={DAY_BEFORE: recent_lift_day_before},
           prompt="For the same recent customers (recency 0 to 30 days, both groups), the "
                  "extra remote orders per customer in 28 days: treated mean minus control mean.",
           hint="Same recency as q4 (assigned_date minus the last remote order before it, "
                "0 to 30 days; not lesson 04's rfm_before, which scores as of the day before "
                "and counts one day less), both groups; "
                "lift_table(orders, treated).",
           solution="lift_table(recent['orders'], recent['group'] == 'treatment')['lift']"),
    Choice("q6", reference=lambda variant: 2, points=1,
           options=["recent customers redeem most, so their redemptions are orders the offer "
                    "caused",
                    "recent customers respond least, so the campaign report is wrong",
                    "recent customers redeem far more often, yet each redemption brings fewer "
                    "extra orders than on average",
                    "response and lift are the same thing measured two ways"],
           prompt="Compare your q4 and q5 with the response rate and the lift in orders of all "
                  "customers: divide each lift by its redemption rate (extra orders per "
                  "redemption). Which statement does the data support?",
           hint="Put q4 beside everyone's redemption rate, then q5 / q4 beside everyone's lift "
                "in orders / everyone's redemption rate.",
           solution="Recent buyers redeem about twice as often as average, but each redemption "
                    "brings far fewer extra orders: most of them would have ordered anyway. "
                    "Response is not incrementality (Ascarza 2018 makes a related point)."),
    Choice("q7", reference=lambda variant: 0, points=1,
           options=["lift by decile of predicted uplift on a randomised campaign the model "
                    "was not fitted on",
                    "the AUC of the treated model on the campaigns it was fitted on",
                    "each customer's predicted uplift against their observed uplift",
                    "the redemption rate of the customers with the highest predicted uplift"],
           prompt="Which is a sound check of a two-model (T-learner) uplift model?",
           hint="A customer is either treated or not, so no single customer's uplift is ever "
                "observed.",
           solution="Only a randomised comparison measures uplift, and only on data the model "
                    "did not see: the measured lift should fall from the first decile to the "
                    "last."),
    Written("q8", reference=whom_to_send_guide, points=2, min_words=40, max_words=200,
            prompt="The marketing manager proposes to send next month's offer only to the "
                   "customers who redeemed most last time, the recent buyers. In three to six "
                   "sentences, using your q4 to q6, say whether that is a good rule and whom "
                   "you would send it to instead, and how you would know it worked. A person "
                   "marks this answer.",
            hint="Put the recent buyers' redemption rate beside the extra orders each "
                 "redemption brought; then think of what only a control group shows.",
            solution="Response is not incrementality: recent buyers redeem most but would "
                     "mostly have ordered anyway, so send the offer where it causes the most "
                     "extra orders (uplift, checked on a randomised campaign) and keep a "
                     "random control group to measure the next one."),
    Decision("q9", reference=challenge_truth, points=3, limit=LETTERS, unit="$",
             full_at=FULL_AT, floor=RANDOM,
             choices=customer_ids, forbidden=FORBIDDEN, item_name="customer",
             sealed_tables=("campaign_effects",),
             prompt="The decision challenge. On 1 January 2026 Harbor Coffee posts a retention "
                    "letter ($0.85 each, $5 off the next web or phone order within 21 days) to "
                    "at most 2,000 customers. Hand in send = the customer_ids you choose. The "
                    "grader scores your choice by its TRUE incremental profit, known only to "
                    "the simulation: margin on the extra orders the letter causes, less $5 on "
                    "every redemption (caused or not), less $0.85 a letter. Full points at half "
                    "the best possible choice's profit, none at or below a random choice's, "
                    "linear between. Code that reads the simulation's truth (crmlib's truth or "
                    "simulate module, campaign_effects) scores 0.",
             hint="Fit the lesson's two-model uplift approach on the six randomised campaigns "
                  "(features as of each campaign day), score every remote buyer as of 1 "
                  "January 2026, and estimate each one's profit: margin x predicted extra "
                  "orders - $5 x predicted chance of redeeming - $0.85. Send to the best "
                  "2,000 with a positive estimate, or fewer.",
             solution="Estimate each customer's incremental profit from the randomised "
                      "campaigns (uplift in orders times the margin, less the expected "
                      "discount and the letter) and send to the customers with the highest "
                      "positive estimates, at most 2,000. Customers who would have bought "
                      "anyway cost $5 and bring nothing; customers who have left cost the "
                      "letter. The solution notebook shows one such model."),
]
