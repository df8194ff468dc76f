"""Segmentation: behavioural k-means, profiling against the bases, the loyalty ladder."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats.contingency import association
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from crmlib.checks import check_count, require_columns

RUNGS = ["suspect", "prospect", "lapsed", "customer", "client", "advocate"]


def behaviour_features(
    purchases: pd.DataFrame,
    as_of,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    channel: str | None = "channel",
) -> pd.DataFrame:
    """Per-customer behaviour for segmentation, from purchases up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``log_orders`` (log of orders), ``log_avg_spend``,
        ``recency_days``, ``tenure_days`` and, when ``channel`` is given, the
        share of orders in each channel (``share_<channel>``).
    """
    columns = {"customer": customer, "date": date, "amount": amount}
    if channel is not None:
        columns["channel"] = channel
    require_columns(purchases, columns, "purchases")
    as_of = pd.Timestamp(as_of)
    tx = purchases[purchases[date] <= as_of]
    if tx.empty:
        raise ValueError(f"as_of={as_of.date()}: no purchases on or before it")
    g = tx.groupby(customer)
    out = pd.DataFrame(
        {
            "log_orders": np.log(g.size()),
            "log_avg_spend": np.log(g[amount].mean().clip(lower=0.01)),
            "recency_days": (as_of - g[date].max()).dt.days,
            "tenure_days": (as_of - g[date].min()).dt.days,
        }
    )
    if channel is not None:
        shares = pd.crosstab(tx[customer], tx[channel], normalize="index")
        out = out.join(shares.add_prefix("share_"))
    return out


def segmentation_pipeline(k: int, seed: int = 0) -> Pipeline:
    """Standardise the features, then k-means with ``k`` clusters (10 restarts)."""
    check_count(k, "k", min_val=2)
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("kmeans", KMeans(n_clusters=k, n_init=10, random_state=seed)),
        ]
    )


def choose_k(
    features: pd.DataFrame, ks=range(2, 9), seed: int = 0, sample_size: int | None = 3000
) -> pd.DataFrame:
    """Inertia (for the elbow) and silhouette score for each candidate k.

    The silhouette is computed on a random sample of ``sample_size``
    customers (all when None), which keeps it fast on large bases.

    Returns
    -------
    pandas.DataFrame
        Indexed by k: ``inertia`` and ``silhouette``; the best k has the
        highest silhouette.
    """
    if len(features) < 3:
        raise ValueError("features needs at least 3 customers")
    rows = {}
    for k in ks:
        if k >= len(features):
            raise ValueError(f"ks: k={k} is not below the number of customers")
        pipe = segmentation_pipeline(k, seed).fit(features)
        scaled = pipe.named_steps["scale"].transform(features)
        labels = pipe.named_steps["kmeans"].labels_
        rows[k] = {
            "inertia": pipe.named_steps["kmeans"].inertia_,
            "silhouette": silhouette_score(
                scaled,
                labels,
                random_state=seed,
                sample_size=None if sample_size is None else min(sample_size, len(features)),
            ),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("k")


def profile_segments(
    labels: pd.Series, customers: pd.DataFrame, bases: list[str]
) -> dict[str, pd.DataFrame]:
    """How each segment looks on each base: shares for categories, means for numbers.

    Parameters
    ----------
    labels : pandas.Series
        Segment of each customer, indexed like ``customers``.
    customers : pandas.DataFrame
        The bases (columns) of each customer.
    bases : list of str
        Columns of ``customers`` to profile.

    Returns
    -------
    dict of str to pandas.DataFrame
        One table per base, segments as rows.
    """
    missing = [b for b in bases if b not in customers.columns]
    if missing:
        raise ValueError(f"bases: no such column(s) in customers: {missing}")
    lab = labels.reindex(customers.index)
    if lab.isna().any():
        raise ValueError("labels: missing for some customers")
    out = {}
    for base in bases:
        col = customers[base]
        if pd.api.types.is_numeric_dtype(col):
            out[base] = col.groupby(lab).describe()[["mean", "25%", "50%", "75%"]]
        else:
            out[base] = pd.crosstab(lab, col, normalize="index")
    return out


def base_association(
    labels: pd.Series, customers: pd.DataFrame, bases: list[str], bins: int = 5
) -> pd.Series:
    """Cramér's V between segment membership and each base (0 none, 1 perfect).

    Numeric bases are cut into ``bins`` quantile groups first.
    """
    lab = labels.reindex(customers.index)
    values = {}
    for base in bases:
        if base not in customers.columns:
            raise ValueError(f"bases: no such column in customers: {base!r}")
        col = customers[base]
        if pd.api.types.is_numeric_dtype(col) and col.nunique() > bins:
            col = pd.qcut(col, bins, duplicates="drop")
        table = pd.crosstab(lab, col).to_numpy()
        values[base] = float(association(table, method="cramer"))
    return pd.Series(values, name="cramers_v").sort_values(ascending=False)


def loyalty_ladder(
    as_of,
    purchases: pd.DataFrame,
    prospects: pd.DataFrame,
    referrals: pd.DataFrame,
    suspects: pd.DataFrame | None = None,
    active_days: int | None = None,
) -> pd.Series:
    """Each known person's rung on the ladder of loyalty on a given day.

    suspect (on a bought-in list, no sign of interest) -> prospect (a sign of
    interest: visit, newsletter, enquiry, sample) -> customer (one purchase)
    -> client (repeat purchases) -> advocate (a customer who has referred
    someone). With ``active_days``, a customer, client or advocate whose last
    purchase is older than that is ``lapsed``: the ladder goes down as well
    as up.

    Parameters
    ----------
    as_of : date-like
        The day described.
    purchases : pandas.DataFrame
        ``customer_id``, ``date``.
    prospects : pandas.DataFrame
        ``prospect_id``, ``first_seen``, ``customer_id`` (missing for
        prospects who never bought) and, optionally, ``suspect_id`` (the
        suspect the prospect was before).
    referrals : pandas.DataFrame
        ``referrer_id``, ``date``.
    suspects : pandas.DataFrame, optional
        ``suspect_id`` (or ``list_id``) and ``added_date`` of people with no
        relationship.
    active_days : int, optional
        Days without a purchase after which a buyer counts as lapsed.

    Returns
    -------
    pandas.Series
        Ordered categorical rung, indexed by person. A person keeps one key
        as they climb or fall: ``C<customer_id>`` for anyone who ever bought
        (by the end of the data), else ``P<prospect_id>`` for a prospect, else
        ``S<suspect_id>``; a suspect who became a prospect or customer takes
        that key.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(
    ...     ["2024-01-05", "2024-02-01", "2024-01-10"])})
    >>> pros = pd.DataFrame({"prospect_id": [1], "first_seen": pd.to_datetime(["2023-12-01"]),
    ...     "customer_id": pd.array([2], dtype="Int64")})
    >>> ref = pd.DataFrame({"referrer_id": [], "date": pd.to_datetime([])})
    >>> loyalty_ladder("2024-12-31", tx, pros, ref, active_days=180).astype(str).to_dict()
    {'C1': 'lapsed', 'C2': 'lapsed'}
    >>> loyalty_ladder("2024-03-01", tx, pros, ref, active_days=180).astype(str).to_dict()
    {'C1': 'client', 'C2': 'customer'}
    """
    as_of = pd.Timestamp(as_of)
    for name, frame, cols in [
        ("purchases", purchases, ["customer_id", "date"]),
        ("prospects", prospects, ["prospect_id", "first_seen", "customer_id"]),
        ("referrals", referrals, ["referrer_id", "date"]),
    ]:
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}")
    if active_days is not None and active_days <= 0:
        raise ValueError(f"active_days must be a positive number of days, got {active_days!r}")
    # One key per person, whatever rung they are on.
    pkey = pd.Series(
        np.where(prospects["customer_id"].notna(),
                 "C" + prospects["customer_id"].astype("Int64").astype(str),
                 "P" + prospects["prospect_id"].astype(str)),
        index=prospects.index,
    )
    hist = purchases[purchases["date"] <= as_of].groupby("customer_id")["date"]
    orders, last = hist.size(), hist.max()
    referred = set(referrals.loc[referrals["date"] <= as_of, "referrer_id"])
    rung = pd.Series(np.where(orders >= 2, "client", "customer"), index=orders.index,
                     dtype=object)
    rung[rung.index.isin(list(referred))] = "advocate"
    if active_days is not None:
        rung[(as_of - last).dt.days > active_days] = "lapsed"
    rung.index = "C" + rung.index.astype(str)
    seen = prospects["first_seen"] <= as_of
    pros = pd.Series("prospect", index=pd.Index(pkey[seen]))
    pros = pros[~pros.index.duplicated() & ~pros.index.isin(rung.index)]
    parts = [rung, pros]
    if suspects is not None:
        sid = "suspect_id" if "suspect_id" in suspects.columns else "list_id"
        if sid not in suspects.columns or "added_date" not in suspects.columns:
            raise ValueError("suspects: need columns suspect_id (or list_id) and added_date")
        later = {}
        if "suspect_id" in prospects.columns and sid == "suspect_id":
            linked = prospects["suspect_id"].notna()
            later = dict(zip(prospects.loc[linked, "suspect_id"].astype(int), pkey[linked]))
        sus = suspects[suspects["added_date"] <= as_of]
        key = [later.get(int(i), f"S{i}") for i in sus[sid]]
        sus_rung = pd.Series("suspect", index=pd.Index(key))
        parts.append(sus_rung[~sus_rung.index.isin(rung.index) & ~sus_rung.index.isin(pros.index)])
    out = pd.concat(parts)
    out = pd.Series(
        pd.Categorical(out, categories=RUNGS, ordered=True), index=out.index, name="rung"
    ).sort_index()
    out.index.name = "person"
    return out


def migration_matrix(before: pd.Series, after: pd.Series, normalize: bool = True) -> pd.DataFrame:
    """Flows between rungs from one date to another.

    Rows are the rung before (``new`` for people not yet known), columns the
    rung after. With ``normalize`` each row sums to 1 (the share of a rung
    that moved to each rung).
    """
    people = after.index.union(before.index)
    b = before.reindex(people).astype(object).fillna("new")
    a = after.reindex(people).astype(object).fillna("gone")
    rows = ["new"] + RUNGS
    cols = RUNGS + (["gone"] if (a == "gone").any() else [])
    table = pd.crosstab(
        pd.Categorical(b, categories=rows), pd.Categorical(a, categories=cols), dropna=False
    )
    table.index.name, table.columns.name = "from", "to"
    if normalize:
        table = table.div(table.sum(axis=1).replace(0, np.nan), axis=0)
    return table
