"""Answer key of workbook 06, CRM in practice: the single customer view and eCRM.

Every reference is computed from the student's data variant when the grader
asks for it (tables are loaded once per variant). The code is written apart
from the worked solution: plain pandas where the solution uses SQL, and its
own count of hits where the solution uses ``hit_rate_at_k``. ``silo_links`` is
used only to score the exact-e-mail join, as the lesson does.
"""

from functools import lru_cache

import pandas as pd

from crmlib.data import load_harbor
from crmlib.exercises import Choice, Number
from crmlib.recommend import ItemItemRecommender

TITLE = "CRM in practice: the single customer view and eCRM"
TODAY = pd.Timestamp("2025-12-31")
CUTOFF = pd.Timestamp("2025-07-01")


@lru_cache(maxsize=4)
def _table(table, variant):
    return load_harbor(table, variant=variant)


@lru_cache(maxsize=4)
def _card_join(variant):
    """Each loyalty card's true customer and the customer its cleaned e-mail finds."""
    cards = _table("loyalty_cards", variant)
    customers = _table("customers", variant)
    links = _table("silo_links", variant)
    truth = links[links["source"] == "loyalty_cards"].set_index("record_id")["customer_id"]
    by_email = dict(zip(customers["email"].str.strip().str.lower(), customers["customer_id"]))
    found = [by_email.get(e.strip().lower()) if isinstance(e, str) else None
             for e in cards["email"]]
    return pd.DataFrame({"true": cards["card_number"].map(truth).to_numpy(),
                         "found": pd.array(found, dtype="Int64")})


def exact_recall(variant):
    j = _card_join(variant)
    belongs = j["true"].notna()
    right = belongs & (j["found"] == j["true"]).fillna(False)
    return float(right.sum() / belongs.sum())


def exact_false_merges(variant):
    j = _card_join(variant)
    linked = j["found"].notna()
    wrong = linked & ~(j["found"] == j["true"]).fillna(False)
    return int(wrong.sum())


def coupons_waiting(variant):
    c = _table("coupons", variant)
    ok = c["redeemed_date"].isna() & (c["expiry_date"] >= TODAY) & (c["issued_date"] <= TODAY)
    return int(ok.sum())


def overdue_regulars(variant):
    p = _table("purchases", variant)
    p = p[p["date"] <= TODAY]
    g = p.groupby("customer_id")["date"]
    n, first, last = g.size(), g.min(), g.max()
    usual = (last - first).dt.days / (n - 1)
    since = (TODAY - last).dt.days
    return int(((n >= 5) & (since > 2 * usual)).sum())


def hit_rate_5(variant):
    p = _table("purchases", variant)
    items = _table("order_items", variant)
    b = items.merge(p[["order_id", "customer_id", "date"]], on="order_id")
    before = b[b["date"] < CUTOFF]
    owned = set(zip(before["customer_id"], before["product_id"]))
    after = b[(b["date"] >= CUTOFF) & b["customer_id"].isin(before["customer_id"])]
    new = {(c, i) for c, i in zip(after["customer_id"], after["product_id"])
           if (c, i) not in owned}
    rec = ItemItemRecommender().fit(before).recommend(before, n=5)
    top = set(zip(rec["user"], rec["item"]))
    users = {c for c, _ in new}
    hit_users = {c for c, i in new if (c, i) in top}
    return len(hit_users) / len(users)


def gradient_ratio(variant):
    p = _table("purchases", variant)
    cafe = p[p["channel"] == "cafe"].sort_values(["customer_id", "date", "order_id"])
    nth = cafe.groupby("customer_id").cumcount() + 1
    nxt = cafe.groupby("customer_id")["date"].shift(-1)
    d = pd.DataFrame({"c": cafe["customer_id"], "s": nth % 5,
                      "gap": (nxt - cafe["date"]).dt.days}).dropna()
    size = d.groupby("c")["gap"].transform("size")
    d = d[size >= 10]
    mean = d.groupby("c")["gap"].transform("mean")
    d["rel"] = d["gap"] / mean
    m = d[mean >= 5].groupby("s")["rel"].mean()  # not near-daily regulars
    return float(m[4] / m[0])


QUESTIONS = [
    Number("q1", reference=exact_recall, points=2, tol=0.005, percent=True,
           prompt="Recall of the exact e-mail join on the loyalty cards.",
           hint="Clean both e-mails with str.strip().str.lower(), map each card's e-mail to a "
                "customer, and compare with silo_links for source 'loyalty_cards'. Recall = "
                "right links / cards that belong to a customer.",
           solution="right = cards linked to their true customer; recall = right / cards with a "
                    "row in silo_links."),
    Number("q2", reference=exact_false_merges, points=1, tol=0,
           prompt="False merges of the exact e-mail join on the loyalty cards.",
           hint="A false merge is a card the join links to a customer other than its true one "
                "(or links although it belongs to no one).",
           solution="Count linked cards whose found customer differs from the answer key's."),
    Choice("q3", reference=lambda variant: 2, points=1,
           options=["more records linked, higher precision",
                    "fewer false merges and fewer missed matches",
                    "fewer false merges, more missed matches",
                    "no change, the model is already trained"],
           prompt="Raising the match-weight threshold gives ...",
           hint="Only pairs with a higher weight become links.",
           solution="A stricter threshold drops doubtful pairs, right and wrong: fewer false "
                    "merges, more missed matches."),
    Number("q4", reference=coupons_waiting, points=1, tol=0,
           prompt="Free-drink coupons waiting on 31 December 2025 (issued, not redeemed, not "
                  "expired).",
           hint="In SQL: redeemed_date IS NULL AND expiry_date >= '2025-12-31'.",
           solution="SELECT count(*) FROM coupons WHERE redeemed_date IS NULL AND expiry_date "
                    ">= '2025-12-31' AND issued_date <= '2025-12-31'"),
    Number("q5", reference=overdue_regulars, points=2, tol=0,
           prompt="Regulars (5 or more orders) whose days since the last order on 31 December "
                  "2025 exceed twice their usual gap.",
           hint="usual gap = (last order - first order) / (orders - 1), in days.",
           solution="Group purchases by customer: count, first and last date; keep count >= 5 "
                    "and days since last > 2 x usual gap; count them."),
    Number("q6", reference=hit_rate_5, points=2, tol=0.005, percent=True,
           prompt="Hit rate at 5 of the item-to-item recommender, fitted before 1 July 2025.",
           hint="split_new_items(baskets, 'date', '2025-07-01'), fit ItemItemRecommender on the "
                "history, recommend(history, n=5), then hit_rate_at_k(recs, later, 5).",
           solution="The share of customers with new products after the cut-off who bought at "
                    "least one of their five recommendations."),
    Number("q7", reference=gradient_ratio, points=2, tol=0.01,
           prompt="Goal gradient: mean relative gap with 4 stamps over that with 0 stamps.",
           hint="Number each customer's cafe visits, stamps = visit number % 5, gap = days to "
                "the next cafe visit; keep customers with at least 10 gaps; divide each gap by "
                "the customer's mean gap; then keep customers whose mean gap is 5 days or more.",
           solution="ratio = mean relative gap at 4 stamps / mean relative gap at 0 stamps."),
    Choice("q8", reference=lambda variant: 1, points=1,
           options=["the card makes customers visit more often in total",
                    "visits speed up as the card fills, which alone does not show extra visits",
                    "customers visit fastest right after a free drink",
                    "the effect proves that recommendations cause purchases"],
           prompt="What does your answer to Q7 show?",
           hint="Faster before a reward and slower after it can leave the total unchanged.",
           solution="A goal gradient (ratio below 1) shows when visits happen, not that the card "
                    "adds visits; that needs a randomised comparison."),
]
