"""Answer key of workbook 06, CRM in practice: the single customer view and eCRM.

Every reference is computed from the student's data variant when the grader
asks for it (tables are loaded once per variant). The code is written apart
from the worked solution: plain pandas where the solution uses SQL, its own
precision at each threshold where the solution uses ``threshold_sweep``, and its
own count of hits where the solution uses ``hit_rate_at_k``. The matcher is fitted
with the same crmlib calls as the workbook's given cell (it is the method the
student scores, not their answer). ``silo_links`` is used only to score matching
methods, as the lesson does.
"""

from functools import lru_cache

import numpy as np
import pandas as pd

from crmlib.data import load_harbor
from crmlib.exercises import Choice, Number, SetOf
from crmlib.recommend import ItemItemRecommender
from crmlib.scv import CustomerMatcher, clean_contacts

TITLE = "CRM in practice: the single customer view and eCRM"
TODAY = pd.Timestamp("2025-12-31")
CUTOFF = pd.Timestamp("2025-07-01")
THRESHOLDS = np.arange(-12, 20.5, 0.5)  # the lesson's grid of match weights
PRECISION = 0.99  # q3's rule: at most one false merge in a hundred links
_NAMES = dict(first_name="first_name", last_name="last_name", email="email", phone="phone")
SILOS = {  # table: its key and its contact columns, as in lesson 06
    "web_accounts": ("account_id", _NAMES),
    "loyalty_cards": ("card_number", dict(name="name", email="email", phone="phone")),
    "phone_customers": ("phone_customer_id", _NAMES),
    "service_tickets": ("ticket_id", _NAMES),
    "marketing_list": ("list_id", dict(first_name="first_name", last_name="last_name",
                                       email="email")),
    "erasure_requests": ("request_id", dict(first_name="first_name", last_name="last_name",
                                            email="email")),
}


@lru_cache(maxsize=32)
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


@lru_cache(maxsize=4)
def _matcher(variant):
    """The lesson's matcher on the student's six lists: (the cleaned records, the matcher)."""
    records = pd.concat([clean_contacts(_table(t, variant), t, key, **cols)
                         for t, (key, cols) in SILOS.items()], ignore_index=True)
    master = clean_contacts(_table("customers", variant), "customers", "customer_id", **_NAMES)
    return records, CustomerMatcher(seed=42).fit(records, master)


def _best_pairs(matcher):
    """Each record's best customer (the higher weight; on a tie, the lower customer id)."""
    pairs = matcher.pairs_.sort_values(["match_weight", "customer_id"], ascending=[False, True],
                                       kind="stable")
    return pairs.drop_duplicates("record")


def precision_threshold(variant):
    """q3: the lowest threshold on the grid whose links have precision >= PRECISION."""
    records, matcher = _matcher(variant)
    links = _table("silo_links", variant)
    truth = dict(zip(links["source"] + ":" + links["record_id"], links["customer_id"]))
    best = _best_pairs(matcher)
    right = np.array([truth.get(r) == c for r, c in zip(best["record"], best["customer_id"])])
    weight = best["match_weight"].to_numpy()
    for t in THRESHOLDS:
        made = weight >= t
        if made.any() and right[made].mean() >= PRECISION:
            return float(t)
    raise ValueError("no threshold on the grid reaches the precision")


def contacted_after_erasure(variant):
    """q4: customers a campaign contacted after the day of an erasure request linked to them
    (the matcher's links at threshold 0)."""
    _, matcher = _matcher(variant)
    best = _best_pairs(matcher)
    best = best[best["match_weight"] >= 0].set_index("record")["customer_id"]
    requests = _table("erasure_requests", variant)
    asked = pd.DataFrame({
        "customer_id": ("erasure_requests:" + requests["request_id"].astype(str)).map(best),
        "received": requests["received_date"]}).dropna()
    contacts = _table("contacts", variant).dropna(subset=["customer_id"])
    both = contacts.merge(asked.astype({"customer_id": "int64"}), on="customer_id")
    after = both[both["contact_date"] > both["received"]]
    return {int(c) for c in after["customer_id"]}


def overdue_regulars(variant):
    p = _table("purchases", variant)
    p = p[p["date"] <= TODAY]
    g = p.groupby("customer_id")["date"]
    n, first, last = g.size(), g.min(), g.max()
    usual = (last - first).dt.days / (n - 1)
    since = (TODAY - last).dt.days
    return int(((n >= 5) & (since > 2 * usual)).sum())


def hit_rate_5(variant):
    """q6: the share of customers with a new product after the cutoff who had one of
    them among their five recommendations (merges on (customer, product) pairs)."""
    p = _table("purchases", variant)
    items = _table("order_items", variant)
    b = items.merge(p[["order_id", "customer_id", "date"]], on="order_id")
    before = b[b["date"] < CUTOFF]
    pair = ["customer_id", "product_id"]
    owned = before[pair].drop_duplicates()
    after = b[(b["date"] >= CUTOFF) & b["customer_id"].isin(before["customer_id"])]
    after = after[pair].drop_duplicates().merge(owned, how="left", indicator=True)
    new = after[after["_merge"] == "left_only"][pair]
    rec = ItemItemRecommender().fit(before).recommend(before, n=5)
    top = pd.DataFrame({"customer_id": rec["user"].astype("int64").to_numpy(),
                        "product_id": rec["item"].astype("int64").to_numpy()})
    hits = new.astype("int64").merge(top, on=pair)
    return hits["customer_id"].nunique() / new["customer_id"].nunique()


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


def gradient_reading(variant):
    """q8: (b) when visits speed up as the card fills (q7's ratio below 1), as on every
    variant checked; (e) if a student's data ever showed no speed-up."""
    return 1 if gradient_ratio(variant) < 1 else 4


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
    Number("q3", reference=precision_threshold, points=2, tol=0,
           prompt="Lowest match-weight threshold from -12 to 20 in steps of 0.5 whose links (all "
                  "six lists) have a precision of at least 0.99.",
           hint="sweep = threshold_sweep(matcher, truth, records['unique_id'], "
                "np.arange(-12, 20.5, 0.5)); keep the rows with precision >= 0.99 and take "
                "the smallest threshold. Score every record of the six lists, not one list.",
           solution="ok = sweep[sweep['precision'] >= 0.99]; answer = ok.index.min(). Recall "
                    "only falls as the threshold rises, so the lowest threshold that meets the "
                    "precision rule keeps the most right links."),
    SetOf("q4", reference=contacted_after_erasure, points=2,
          prompt="Customer ids of the customers a campaign contacted after the day of an "
                 "erasure request linked to them (links at threshold 0), found with SQL.",
          hint="Join erasure_requests to links on source = 'erasure_requests' and record_id = "
               "request_id, then contacts on the linked customer_id; keep contact_date > "
               "received_date (a contact on the day itself went out before the request) and "
               "answer set(result['customer_id']).",
          solution="SELECT DISTINCT k.customer_id FROM erasure_requests e JOIN links l ON "
                   "l.source = 'erasure_requests' AND l.record_id = e.request_id JOIN contacts "
                   "k ON k.customer_id = l.customer_id WHERE k.contact_date > e.received_date"),
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
    Choice("q8", reference=gradient_reading, points=1,
           options=["the card makes customers visit more often in total",
                    "visits speed up as the card fills, which alone does not show extra visits",
                    "customers visit fastest right after a free drink",
                    "the effect proves that recommendations cause purchases",
                    "visits do not come sooner as the card fills: no goal gradient here"],
           prompt="Read your answer to Q7: what does it show?",
           hint="Is your ratio below 1 or not? Then: faster before a reward and slower after it "
                "can leave the total unchanged.",
           solution="A ratio below 1 is a goal gradient: it shows when visits happen, not that "
                    "the card adds visits; that needs a randomised comparison. A ratio of 1 or "
                    "more would show no speed-up."),
]
