"""Answer key of workbook 03, segmentation and personalisation.

Every data reference is computed from the student's data variant when the
grader asks for it, with code written apart from the solution notebook's:
the solution uses ``crmlib.segment`` (``behaviour_features``,
``variance_explained``, ``segmentation_pipeline``, ``loyalty_ladder``), the key
recomputes the same quantities with plain pandas, numpy, scikit-learn and
scipy. The loads and the one k-means fit are cached, so a variant costs one
simulation and one fit.
"""

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.stats.contingency import association
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from crmlib.data import load_harbor
from crmlib.exercises import Choice, Number

TITLE = "Segmentation and personalisation"
AS_OF = pd.Timestamp("2025-12-31")
FIRST, SECOND = pd.Timestamp("2024-01-31"), pd.Timestamp("2025-12-31")
ACTIVE_DAYS = 365
BASE_OPTIONS = ["region", "age", "income", "household_size", "lifestyle", "benefit_sought"]


@lru_cache(maxsize=4)
def _tables(variant):
    return (load_harbor("customers", variant=variant).set_index("customer_id"),
            load_harbor("purchases", variant=variant),
            load_harbor("referrals", variant=variant))


@lru_cache(maxsize=4)
def _behaviour(variant):
    """Per customer, from the purchases up to AS_OF: the columns the lesson segments on."""
    purchases = _tables(variant)[1]
    tx = purchases[purchases["date"] <= AS_OF]
    first = tx.groupby("customer_id")["date"].min()
    last = tx.groupby("customer_id")["date"].max()
    orders = tx["customer_id"].value_counts().sort_index()
    mean_amount = tx.groupby("customer_id")["amount"].sum() / orders
    cafe = (tx["channel"] == "cafe").groupby(tx["customer_id"]).sum() / orders
    return pd.DataFrame({
        "orders": orders,
        "tenure_days": (AS_OF - first).dt.days,
        "f1": np.log(orders),
        "f2": np.log(mean_amount.clip(lower=0.01)),
        "f3": (AS_OF - last).dt.days,
        "f4": cafe,
    }).sort_index()


def _eta_squared(y: np.ndarray, codes: np.ndarray) -> float:
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=y) / np.where(counts == 0, 1, counts)
    between = (counts * (means - y.mean()) ** 2).sum()
    return float(between / ((y - y.mean()) ** 2).sum())


def lifestyle_eta(variant):
    customers = _tables(variant)[0]
    b = _behaviour(variant)
    y = (np.log(b["orders"] / (b["tenure_days"] / 7 + 1))).to_numpy()
    codes = pd.factorize(customers.loc[b.index, "lifestyle"])[0]
    return _eta_squared(y, codes)


@lru_cache(maxsize=4)
def _dormant_segment(variant):
    """k = 4 segments (scaled features, seed 0, 10 starts) and which one is dormant."""
    b = _behaviour(variant)
    X = StandardScaler().fit_transform(b[["f1", "f2", "f3", "f4"]].to_numpy())
    with threadpool_limits(limits=1):
        labels = KMeans(n_clusters=4, n_init=10, random_state=0).fit(X).labels_
    labels = pd.Series(labels, index=b.index)
    dormant = b["f3"].groupby(labels).median().idxmax()
    return labels, dormant


def dormant_share(variant):
    labels, dormant = _dormant_segment(variant)
    return float((labels == dormant).mean())


def strongest_base(variant):
    customers = _tables(variant)[0]
    labels = _dormant_segment(variant)[0]
    v = []
    for base in BASE_OPTIONS:
        col = customers.loc[labels.index, base]
        if pd.api.types.is_numeric_dtype(col) and col.nunique() > 5:
            col = pd.qcut(col, 5, duplicates="drop")
        v.append(association(pd.crosstab(labels, col).to_numpy(), method="cramer"))
    return int(np.argmax(v))


def _rungs(variant, day):
    """Buyers' rungs on ``day``: customer, client, advocate or lapsed (buyers only)."""
    _, purchases, referrals = _tables(variant)
    tx = purchases[purchases["date"] <= day]
    orders = tx["customer_id"].value_counts()
    last = tx.groupby("customer_id")["date"].max().reindex(orders.index)
    rung = pd.Series("customer", index=orders.index)
    rung[orders >= 2] = "client"
    rung[rung.index.isin(referrals.loc[referrals["date"] <= day, "referrer_id"])] = "advocate"
    rung[(day - last).dt.days > ACTIVE_DAYS] = "lapsed"
    return rung


def clients_lapsed(variant):
    before, after = _rungs(variant, FIRST), _rungs(variant, SECOND)
    clients = before.index[before == "client"]
    return int((after.reindex(clients) == "lapsed").sum())


def customers_moved_up(variant):
    before, after = _rungs(variant, FIRST), _rungs(variant, SECOND)
    ones = before.index[before == "customer"]
    return float(after.reindex(ones).isin(["client", "advocate"]).mean())


QUESTIONS = [
    Number("q1", reference=lifestyle_eta, points=2, tol=0.005, percent=True,
           prompt="Share of the variance of the log purchase rate explained by lifestyle "
                  "(eta squared).",
           hint="behaviour_features(purchases, '2025-12-31'); the log rate is log_orders "
                "minus log(tenure_days / 7 + 1); then variance_explained(rate, customers, "
                "['lifestyle']).",
           solution="rate = f['log_orders'] - np.log(f['tenure_days'] / 7 + 1); "
                    "variance_explained(rate, customers, ['lifestyle'])['lifestyle']"),
    Choice("q2", reference=lambda variant: 2, points=1,
           options=["region drives how often people buy",
                    "region explains about 4% of the purchase rate",
                    "region explains about what chance alone would",
                    "region explains the purchase rate better than lifestyle"],
           prompt="Region's eta squared on the log purchase rate is about 0.0004 and chance "
                  "for 5 groups is about 0.00024 on average. What does that say?",
           hint="Chance alone gives about (g - 1) / (n - 1); compare, and mind the units.",
           solution="0.0004 is 0.04%, the size of what random groups explain (0.00024 on "
                    "average, more or less by luck): region explains nothing (in Harbor "
                    "Coffee by construction)."),
    Number("q3", reference=dormant_share, points=2, tol=0.01, percent=True,
           prompt="Share of customers in the k = 4 segment with the longest median recency.",
           hint="segmentation_pipeline(4, seed=0) on log_orders, log_avg_spend, recency_days "
                "and share_cafe; the dormant segment has the highest median recency_days.",
           solution="labels from the fitted pipeline's kmeans step; the segment whose "
                    "median recency_days is highest; its share of all customers."),
    Choice("q4", reference=strongest_base, points=1,
           options=["region", "age", "income", "household size", "lifestyle",
                    "benefit sought"],
           prompt="Which base has the strongest link (Cramér's V) with your four segments?",
           hint="base_association(labels, customers, bases) sorts the bases by Cramér's V.",
           solution="base_association(...).index[0]: lifestyle, since in the simulator "
                    "lifestyle drives how often and where people buy."),
    Number("q5", reference=clients_lapsed, points=2, tol=0, unit="people",
           prompt="How many clients of 31 January 2024 are lapsed on 31 December 2025 "
                  "(365-day window)?",
           hint="loyalty_ladder at both dates with active_days=365, then "
                "migration_matrix(before, after, normalize=False).loc['client', 'lapsed'].",
           solution="migration_matrix(before, after, normalize=False).loc['client', 'lapsed']"),
    Number("q6", reference=customers_moved_up, points=2, tol=0.001, percent=True,
           prompt="Share of the customers (one purchase) of 31 January 2024 who are clients "
                  "or advocates on 31 December 2025.",
           hint="The row 'customer' of the normalised migration matrix; add two of its cells.",
           solution="moves.loc['customer', ['client', 'advocate']].sum()"),
    Choice("q7", reference=lambda variant: 1, points=1,
           options=["compare the dormant segment's purchases before and after the email",
                    "email a random half of the dormant segment and compare it with the other "
                    "half",
                    "compare the dormant segment with the cafe regulars",
                    "check that the dormant segment has a high silhouette"],
           prompt="How do you learn whether a win-back email to the dormant segment causes "
                  "purchases?",
           hint="Which comparison leaves the email as the only difference between two groups?",
           solution="Only a randomised control group shows what the email caused; before and "
                    "after mixes in the season and the dormant customers who come back anyway."),
]
