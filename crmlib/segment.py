"""Segmentation: behavioural k-means, profiling against the bases, the loyalty ladder."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats.contingency import association
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from crmlib.checks import (
    check_count,
    check_number,
    require_bases,
    require_columns,
    require_frame,
    require_labels,
    require_series,
)
from crmlib.errors import ArgumentError

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

    Counts and money are skewed (a few customers buy a hundred times), so
    they enter on a log scale; k-means then sees a regular's 50 orders and a
    light buyer's 2 as far apart, but not a hundred times as far.

    Parameters
    ----------
    purchases : pandas.DataFrame
        One row per order.
    as_of : date-like
        The day described; later orders are ignored.
    customer, date, amount : str
        Column names in ``purchases``.
    channel : str or None
        Column of the order's channel; ``None`` leaves the shares out.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``log_orders`` (log of orders), ``log_avg_spend``
        (log of the mean order, dollars), ``recency_days`` (days since the last
        order), ``tenure_days`` (days since the first) and, when ``channel`` is
        given, the share of orders in each channel (``share_<channel>``).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                    "date": pd.to_datetime(["2025-01-01", "2025-01-31", "2025-01-21"]),
    ...                    "amount": [4.0, 16.0, 10.0], "channel": ["cafe", "web", "web"]})
    >>> f = behaviour_features(tx, "2025-02-10")
    >>> f[["recency_days", "tenure_days", "share_cafe"]]
                 recency_days  tenure_days  share_cafe
    customer_id
    1                      10           40         0.5
    2                      20           20         0.0
    >>> np.exp(f["log_avg_spend"]).round(2).tolist()
    [10.0, 10.0]
    """
    columns = {"customer": customer, "date": date, "amount": amount}
    if channel is not None:
        columns["channel"] = channel
    require_columns(purchases, columns, "purchases")
    as_of = pd.Timestamp(as_of)
    tx = purchases[purchases[date] <= as_of]
    if tx.empty:
        raise ArgumentError(f"as_of={as_of.date()}: no purchases on or before it")
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


def segmentation_pipeline(k: int, seed: int = 0, n_init: int = 10) -> Pipeline:
    """Standardise the features, then k-means with ``k`` clusters.

    k-means measures plain Euclidean distances, so a feature in days (0 to
    1,000) would swamp one in log orders (0 to 5); the scaler gives every
    feature mean 0 and standard deviation 1 first.

    Parameters
    ----------
    k : int
        Number of segments, at least 2.
    seed : int
        Random state of k-means (its starting centres), for reproducible labels.
    n_init : int
        Restarts from different starting centres; the best (lowest inertia) wins.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``scale`` (StandardScaler) and ``kmeans`` (KMeans), not fitted.

    Examples
    --------
    >>> X = pd.DataFrame({"days": [1, 2, 300, 310], "orders": [1.0, 1.1, 5.0, 5.2]})
    >>> pipe = segmentation_pipeline(2).fit(X)
    >>> labels = pipe.named_steps["kmeans"].labels_
    >>> bool(labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2])
    True
    """
    check_count(k, "k", min_val=2)
    check_count(n_init, "n_init", min_val=1)
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("kmeans", KMeans(n_clusters=k, n_init=n_init, random_state=seed)),
        ]
    )


def choose_k(
    features: pd.DataFrame,
    ks=range(2, 9),
    seed: int = 0,
    sample_size: int | None = 3000,
    n_init: int = 10,
) -> pd.DataFrame:
    """Inertia (for the elbow) and silhouette score for each candidate k.

    The inertia is the sum of squared distances from each customer to its
    segment's centre (in standardised units): it always falls as k grows, and
    the "elbow" is where it stops falling fast. The silhouette compares, for
    each customer, the mean distance to its own segment (a) with the mean
    distance to the nearest other segment (b), as (b - a) / max(a, b), averaged
    over customers: near 1 for tight, well separated segments, near 0 for
    segments that blur into each other. It is computed on a random sample of
    ``sample_size`` customers (all when None), because it needs every pairwise
    distance.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per customer, numeric columns.
    ks : iterable of int
        Candidate numbers of segments, each at least 2 and below the number
        of customers.
    seed : int
        Random state of k-means and of the silhouette's sample.
    sample_size : int or None
        Customers in the silhouette's sample.
    n_init : int
        k-means restarts per k.

    Returns
    -------
    pandas.DataFrame
        Indexed by k: ``inertia`` and ``silhouette``; the best k by the
        silhouette has the highest one.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(np.repeat([[0, 0], [9, 0], [0, 9]], 20, axis=0)
    ...                  + rng.normal(0, 0.5, (60, 2)), columns=["x", "y"])
    >>> table = choose_k(X, ks=[2, 3, 4], sample_size=None)
    >>> int(table["silhouette"].idxmax())
    3
    """
    require_frame(features, "features")
    if len(features) < 3:
        raise ArgumentError("features needs at least 3 customers")
    rows = {}
    for k in ks:
        check_count(k, "k", min_val=2, max_val=len(features) - 1)
        pipe = segmentation_pipeline(k, seed, n_init=n_init).fit(features)
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
    if not rows:
        raise ArgumentError("ks: no candidate k given")
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("k")


def _grouping(col: pd.Series, bins: int) -> pd.Series:
    """A base as groups: categories as they are, numbers cut into ``bins`` quantile groups."""
    if pd.api.types.is_numeric_dtype(col) and col.nunique() > bins:
        return pd.qcut(col, bins, duplicates="drop")
    return col


def variance_explained(
    values: pd.Series, customers: pd.DataFrame, bases: list[str], bins: int = 5
) -> pd.Series:
    """Share of the variance of a behaviour that each base explains (eta squared).

    For each base, customers are grouped by it and every customer is replaced
    by their group's mean; eta squared is the variance of those group means
    over the variance of the values (the R squared of a regression on the
    group dummies): 0 when the groups do not differ at all, 1 when the groups
    account for every difference between customers. With ``g`` groups and
    ``n`` customers, pure chance gives about ``(g - 1) / (n - 1)``.

    Parameters
    ----------
    values : pandas.Series
        The behaviour (for example the log of each customer's purchase rate),
        indexed by customer; missing values are not allowed.
    customers : pandas.DataFrame
        The bases of each customer, indexed like ``values`` (it may hold more
        customers).
    bases : list of str
        Columns of ``customers``. Numeric columns with more than ``bins``
        distinct values are cut into ``bins`` quantile groups first.
    bins : int
        Groups for a numeric base.

    Returns
    -------
    pandas.Series
        ``eta_squared`` per base, largest first.

    Examples
    --------
    >>> people = pd.DataFrame({"club": ["a", "a", "b", "b"], "shoe": [40, 42, 40, 42]})
    >>> spend = pd.Series([1.0, 3.0, 5.0, 7.0])
    >>> variance_explained(spend, people, ["club", "shoe"]).round(2).to_dict()
    {'club': 0.8, 'shoe': 0.2}
    """
    require_series(values, "values", "behaviour indexed by customer", numeric=True)
    if values.isna().any():
        raise ArgumentError("values: missing values; drop or fill them first")
    require_bases(customers, bases)
    if not values.index.isin(customers.index).all():
        raise ArgumentError("customers: no row for some customers of values")
    check_count(bins, "bins", min_val=2)
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        raise ArgumentError("values: every customer has the same value; nothing to explain")
    out = {}
    for base in bases:
        groups = _grouping(customers[base], bins).reindex(values.index)
        if groups.isna().any():
            raise ArgumentError(f"bases: {base!r} is missing for some customers")
        means = values.groupby(groups, observed=True).transform("mean")
        out[base] = float(((means - values.mean()) ** 2).sum() / total)
    return pd.Series(out, name="eta_squared").sort_values(ascending=False)


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
        One table per base, segments as rows: the share of the segment in each
        category (rows sum to 1), or the mean and quartiles of a number.

    Examples
    --------
    >>> people = pd.DataFrame({"life": ["x", "x", "y", "y"], "age": [20, 30, 40, 60]})
    >>> prof = profile_segments(pd.Series([0, 0, 0, 1]), people, ["life", "age"])
    >>> prof["life"].round(2).to_dict(orient="index")
    {0: {'x': 0.67, 'y': 0.33}, 1: {'x': 0.0, 'y': 1.0}}
    >>> prof["age"]["mean"].tolist()
    [30.0, 60.0]
    """
    require_bases(customers, bases)
    lab = require_labels(labels, customers)
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

    Cramér's V rescales the chi-square statistic of the segments-by-base
    table to lie between 0 (the base's mix is the same in every segment) and
    1 (knowing the segment tells the base exactly). Numeric bases are cut
    into ``bins`` quantile groups first.

    Parameters
    ----------
    labels : pandas.Series
        Segment of each customer, indexed like ``customers``.
    customers : pandas.DataFrame
        The bases of each customer.
    bases : list of str
        Columns of ``customers``.
    bins : int
        Groups for a numeric base.

    Returns
    -------
    pandas.Series
        ``cramers_v`` per base, largest first.

    Examples
    --------
    >>> people = pd.DataFrame({"life": list("xxyy"), "town": list("abab")})
    >>> base_association(pd.Series([0, 0, 1, 1]), people, ["life", "town"]).to_dict()
    {'life': 1.0, 'town': 0.0}
    """
    require_bases(customers, bases)
    check_count(bins, "bins", min_val=2)
    lab = require_labels(labels, customers)
    values = {}
    for base in bases:
        table = pd.crosstab(lab, _grouping(customers[base], bins)).to_numpy()
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
        require_columns(frame, {c: c for c in cols}, name, empty_ok=True)
    if active_days is not None:
        check_number(active_days, "active_days", low=0, low_open=True)
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
        require_columns(suspects, {sid: sid, "added_date": "added_date"}, "suspects",
                        empty_ok=True)
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
    rung after (``gone`` for people no longer listed, shown only when there
    are any). Cells right of the diagonal are moves up the ladder, cells left
    of it moves down (to ``lapsed``, below ``customer``).

    Parameters
    ----------
    before, after : pandas.Series
        Rung of each person on the two dates (as returned by
        :func:`loyalty_ladder`), indexed by person.
    normalize : bool
        With True each row sums to 1 (the share of a rung that moved to each
        rung); with False the table counts people.

    Returns
    -------
    pandas.DataFrame
        Rows ``new`` and the rungs, columns the rungs (and ``gone``).

    Examples
    --------
    >>> before = pd.Series(["client", "client", "prospect"], index=["a", "b", "c"])
    >>> after = pd.Series(["advocate", "lapsed", "customer", "prospect"],
    ...                   index=["a", "b", "c", "d"])
    >>> m = migration_matrix(before, after, normalize=False)
    >>> m.loc["client", ["lapsed", "advocate"]].tolist(), int(m.loc["new", "prospect"])
    ([1, 1], 1)
    >>> migration_matrix(before, after).loc["client", "lapsed"]
    np.float64(0.5)
    """
    for name, s in (("before", before), ("after", after)):
        require_series(s, name, "rungs")
        unknown = set(s.dropna().astype(str)) - set(RUNGS)
        if unknown:
            raise ArgumentError(f"{name}: not rungs of the ladder: {sorted(unknown)}")
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
