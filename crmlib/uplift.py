"""Incrementality: what a campaign caused, measured against a random control group.

A response rate counts everyone who bought after a contact, including those
who would have bought anyway. Only a randomised comparison shows what the
contact *caused*:

* :func:`orders_after` counts each customer's purchases in a window after
  a contact (or after the day they would have been contacted), and
  :func:`offer_outcomes` says whether each bought in it and how lapsed they were;
* :func:`lift_table` gives the lift (treated mean minus control mean) with a
  confidence interval, pooled or group by group;
* :class:`TwoModelUplift` estimates each customer's uplift with two models
  (the "T-learner"): one fitted on the treated, one on the controls;
* :func:`uplift_by_decile` checks an uplift score on a randomised test: the
  lift actually measured in each tenth of the customers, best scores first;
* :func:`qini_curve` shows, from the randomised test alone, how many extra
  outcomes contacting the best-scored share would bring (a Qini-style
  cumulative gain curve);
* :func:`targeting_profit` adds up the profit of contacting the best-scored
  customers first, for any score (response, risk or uplift).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from crmlib.checks import (
    check_count,
    check_number,
    check_numbers,
    require_columns,
)
from crmlib.errors import ArgumentError


def _treated_mask(treated, n: int) -> np.ndarray:
    t = np.asarray(treated)
    if t.shape != (n,):
        raise ArgumentError(f"treated: expected {n} values, one per outcome, got shape {t.shape}")
    if t.dtype != bool:
        if not np.isin(t, [0, 1]).all():
            raise ArgumentError("treated must hold booleans (or 0/1): True for the treated group")
        t = t.astype(bool)
    if t.all() or not t.any():
        raise ArgumentError("treated: need customers in both the treated and the control group")
    return t


def _outcome(y, name: str = "y") -> np.ndarray:
    return check_numbers(y, name, ndim=1, empty=False, booleans=True, what="outcomes")


def _shares(shares) -> np.ndarray:
    """Shares of the customers contacted, in (0, 1]; default 0.05, 0.10 ... 1."""
    if shares is None:
        return np.arange(1, 21) / 20
    return check_numbers(shares, "shares", low=0, low_open=True, high=1, what="shares")


def orders_after(
    tx: pd.DataFrame,
    events: pd.DataFrame,
    days: int,
    customer: str = "customer_id",
    date: str = "date",
    event_date: str = "assigned_date",
) -> pd.Series:
    """Each event's number of purchases by its customer in the ``days`` days from it.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase (columns ``customer`` and ``date``).
    events : pandas.DataFrame
        One row per customer and campaign (columns ``customer`` and
        ``event_date``): treated and control customers alike.
    days : int
        Length of the window; purchases on ``event_date`` count, those
        ``days`` days later no longer do.
    customer, date, event_date : str
        Column names.

    Returns
    -------
    pandas.Series
        Purchases in the window, one per row of ``events``, with its index.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...     "date": pd.to_datetime(["2025-01-01", "2025-01-10", "2025-02-20", "2025-01-05"])})
    >>> ev = pd.DataFrame({"customer_id": [1, 2, 3],
    ...     "assigned_date": pd.to_datetime(["2025-01-01"] * 3)})
    >>> orders_after(tx, ev, days=28).tolist()
    [2, 1, 0]
    """
    require_columns(tx, {"customer": customer, "date": date})
    require_columns(events, {"customer": customer, "event_date": event_date}, name="events")
    days = check_count(days, "days")
    ev = pd.DataFrame({"c": events[customer].to_numpy(), "start": events[event_date].to_numpy(),
                       "row": np.arange(len(events))})
    hits = ev.merge(pd.DataFrame({"c": tx[customer].to_numpy(), "d": tx[date].to_numpy()}), on="c")
    inside = (hits["d"] >= hits["start"]) & (hits["d"] < hits["start"] + pd.Timedelta(days=days))
    counts = np.bincount(hits.loc[inside, "row"].to_numpy(), minlength=len(events))
    return pd.Series(counts, index=events.index, name="orders")


def offer_outcomes(
    assignments: pd.DataFrame,
    purchases: pd.DataFrame,
    days: int = 28,
    customer: str = "customer_id",
    date: str = "date",
    assigned: str = "assigned_date",
) -> pd.DataFrame:
    """Whether each customer of a campaign bought soon after it, and how lapsed they were.

    Parameters
    ----------
    assignments : pandas.DataFrame
        One row per customer and campaign (treatment and control alike), with
        the day of the assignment.
    purchases : pandas.DataFrame
        One row per purchase.
    days : int
        Length of the window after the assignment, in days (the assignment day
        counts as day 0).
    customer, date, assigned : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        On the index of ``assignments``: ``bought`` (at least one purchase in
        the window) and ``days_since_last`` (days from the last purchase before
        the assignment day to it; NaN when there was none).

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": [1, 2],
    ...                   "assigned_date": pd.to_datetime(["2025-03-01"] * 2)})
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                    "date": pd.to_datetime(["2025-01-30", "2025-03-10", "2025-02-20"])})
    >>> offer_outcomes(a, tx).to_dict("list")
    {'bought': [True, False], 'days_since_last': [30.0, 9.0]}
    """
    require_columns(assignments, {"customer": customer, "assigned": assigned}, "assignments")
    require_columns(purchases, {"customer": customer, "date": date}, "purchases")
    orders = orders_after(purchases, assignments, days, customer=customer, date=date,
                          event_date=assigned)  # checks days
    rows = assignments[[customer, assigned]].reset_index(names="_row")
    joined = rows.merge(purchases[[customer, date]], on=customer)
    delta = (joined[date] - joined[assigned]).dt.days
    last = (-delta[delta < 0]).groupby(joined.loc[delta < 0, "_row"]).min()
    out = pd.DataFrame(
        {
            "bought": orders.to_numpy() > 0,
            "days_since_last": last.reindex(rows["_row"]).to_numpy(dtype="float64"),
        },
        index=assignments.index,
    )
    return out


def _cluster_se(frame: pd.DataFrame, cluster) -> pd.Series:
    """Cluster-robust standard error of the lift in each group ``g`` of ``frame``."""
    c = np.asarray(cluster)
    if c.shape != (len(frame),):
        raise ArgumentError(
            f"cluster: expected {len(frame)} labels, one per outcome, got shape {c.shape}")
    if pd.isna(c).any():
        raise ArgumentError("cluster: missing labels; give every row its cluster")
    cell = frame.groupby(["g", "t"], observed=True)["y"]
    # each row's share of the lift's error: +-(y - its group mean) / its group size
    sign = np.where(frame["t"], 1.0, -1.0)
    psi = sign * (frame["y"] - cell.transform("mean")) / cell.transform("size")
    summed = psi.groupby([frame["g"].to_numpy(), c], observed=True).sum()
    n_clusters = summed.groupby(level=0).size()
    var = (summed ** 2).groupby(level=0).sum() * n_clusters / (n_clusters - 1).clip(lower=1)
    return np.sqrt(var)


def lift_table(y, treated, by=None, level: float = 0.95, cluster=None) -> pd.DataFrame:
    """Lift of a randomised test (treated mean minus control mean) with a confidence interval.

    Parameters
    ----------
    y : array-like
        Outcome of each customer: 0/1 (bought or not) or a count (orders).
    treated : array-like of bool
        True for customers in the treated group, False for the control group.
    by : array-like, optional
        A group label per customer (an RFM cell, a campaign); one row per
        group, in sorted order. Without it, one row for everyone (``"all"``).
    level : float
        Confidence level of the interval (normal approximation, unequal
        variances: fine for groups of a few hundred or more).
    cluster : array-like, optional
        A label per row saying whose row it is (a customer id), for rows that
        are not independent: tests pooled over several campaigns, where one
        customer has a row in each. The standard error is then computed from
        the clusters' summed contributions (cluster-robust, with the usual
        ``G / (G - 1)`` correction for ``G`` clusters), not row by row.

    Returns
    -------
    pandas.DataFrame
        ``n_treated``, ``n_control``, ``treated``, ``control`` (the two
        means), ``lift``, ``se``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> y = [1, 1, 0, 0, 1, 0, 0, 0]
    >>> t = [True, True, True, True, False, False, False, False]
    >>> lift_table(y, t)[["treated", "control", "lift"]]
         treated  control  lift
    all      0.5     0.25  0.25
    """
    v = _outcome(y)
    t = _treated_mask(treated, len(v))
    level = check_number(level, "level", low=0, high=1, low_open=True, high_open=True)
    key = np.full(len(v), "all", dtype=object) if by is None else np.asarray(by)
    if key.shape != v.shape:
        raise ArgumentError(f"by: expected {len(v)} labels, one per outcome, got shape {key.shape}")
    frame = pd.DataFrame({"y": v, "t": t, "g": key})
    g = frame.groupby(["g", "t"], observed=True, sort=True)["y"]
    s = g.agg(["size", "mean", "var"]).unstack("t")
    if s.isna()[("size", True)].any() or s.isna()[("size", False)].any():
        empty = s.index[s[("size", True)].isna() | s[("size", False)].isna()][0]
        raise ArgumentError(f"by: group {empty!r} lacks treated or control customers")
    out = pd.DataFrame(
        {
            "n_treated": s[("size", True)].astype("int64"),
            "n_control": s[("size", False)].astype("int64"),
            "treated": s[("mean", True)],
            "control": s[("mean", False)],
        }
    )
    out["lift"] = out["treated"] - out["control"]
    var_t = s[("var", True)].fillna(0) / out["n_treated"]
    var_c = s[("var", False)].fillna(0) / out["n_control"]
    out["se"] = np.sqrt(var_t + var_c)
    if cluster is not None:
        out["se"] = _cluster_se(frame, cluster).reindex(out.index)
    z = stats.norm.ppf(0.5 + level / 2)
    out["ci_low"] = out["lift"] - z * out["se"]
    out["ci_high"] = out["lift"] + z * out["se"]
    out.index.name = None
    return out


class TwoModelUplift(BaseEstimator):
    """Uplift from two models: one for the treated, one for the controls (T-learner).

    The uplift of a customer is the treated model's prediction minus the
    control model's: the chance (or amount) of buying if contacted, less the
    same if left alone. It needs a randomised test to fit on.

    Parameters
    ----------
    estimator : scikit-learn estimator, optional
        Cloned twice. A classifier predicts with ``predict_proba`` (the chance
        of the outcome), a regressor with ``predict``. Defaults to a
        logistic regression.

    Attributes
    ----------
    model_treated_, model_control_ : estimator
        The two fitted models.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0, 1, size=(4000, 1))
    >>> t = rng.random(4000) < 0.5
    >>> y = rng.random(4000) < 0.2 + 0.3 * t * x[:, 0]  # the contact helps high x only
    >>> m = TwoModelUplift().fit(x, y, t)
    >>> bool(m.predict([[0.9]])[0] > m.predict([[0.1]])[0])
    True
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, treated):
        """Fit one model on the treated rows and one on the control rows.

        Parameters
        ----------
        X : array-like of shape (n_customers, n_features)
            Features known before the contact.
        y : array-like of shape (n_customers,)
            Outcome after it.
        treated : array-like of bool
            The random assignment.

        Returns
        -------
        self
        """
        X = X if hasattr(X, "iloc") else np.asarray(X)
        v = np.asarray(y)
        if len(v) != len(X):
            raise ArgumentError(f"y: expected {len(X)} outcomes, one per row of X, got {len(v)}")
        t = _treated_mask(treated, len(v))
        base = LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator
        take = (lambda m: X.iloc[m]) if hasattr(X, "iloc") else (lambda m: X[m])
        self.model_treated_ = clone(base).fit(take(t), v[t])
        self.model_control_ = clone(base).fit(take(~t), v[~t])
        self.n_features_in_ = np.shape(X)[1]
        return self

    @staticmethod
    def _predict(model, X) -> np.ndarray:
        if hasattr(model, "predict_proba"):
            return model.predict_proba(X)[:, 1]
        return np.asarray(model.predict(X), dtype="float64")

    def predict_outcomes(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Predicted outcome if contacted and if not.

        Returns
        -------
        if_treated, if_control : numpy.ndarray
        """
        check_is_fitted(self, "model_treated_")
        return self._predict(self.model_treated_, X), self._predict(self.model_control_, X)

    def predict(self, X) -> np.ndarray:
        """Estimated uplift of each customer (if treated minus if not)."""
        if_treated, if_control = self.predict_outcomes(X)
        return if_treated - if_control


def uplift_by_decile(y, treated, score, q: int = 10, true_effect=None) -> pd.DataFrame:
    """Lift measured in each q-tile of a score, best scores first.

    A good uplift score puts the customers the contact moves most in the
    first groups, so the measured lift falls from group 1 to group q.

    Parameters
    ----------
    y, treated : array-like
        Outcomes and the random assignment of a test the score was NOT fitted on.
    score : array-like
        The score to check (higher = contact first).
    q : int
        Number of groups (10: deciles).
    true_effect : array-like, optional
        A known true effect per customer (simulated data only), averaged per
        group into ``true_uplift`` to check the measurement against.

    Returns
    -------
    pandas.DataFrame
        Indexed by group 1..q (1 = highest scores): the columns of
        :func:`lift_table`, plus ``true_uplift`` when ``true_effect`` is given.

    Examples
    --------
    >>> y = [1, 0, 1, 0, 0, 0, 0, 1]
    >>> t = [True, False, True, False, True, False, True, False]
    >>> s = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]
    >>> uplift_by_decile(y, t, s, q=2)["lift"].tolist()
    [1.0, -0.5]
    """
    v = _outcome(y)
    s = _outcome(score, "score")
    if len(s) != len(v):
        raise ArgumentError(f"score: expected {len(v)} values, one per outcome, got {len(s)}")
    q = check_count(q, "q", min_val=2)
    # Rank with ties broken by position, so equal scores still fill equal groups.
    order = np.argsort(-s, kind="stable")
    rank = np.empty(len(s), dtype="int64")
    rank[order] = np.arange(len(s))
    group = rank * q // len(s) + 1
    out = lift_table(v, treated, by=group)
    if true_effect is not None:
        e = _outcome(true_effect, "true_effect")
        if len(e) != len(v):
            raise ArgumentError(f"true_effect: expected {len(v)} values, got {len(e)}")
        out["true_uplift"] = pd.Series(e).groupby(group).mean()
    out.index.name = "group"
    return out


def qini_curve(y, treated, score, shares=None) -> pd.DataFrame:
    """Extra outcomes from contacting the best-scored share, measured on a randomised test.

    For the top share of customers by ``score``, the lift measured among them
    (treated mean minus control mean) times the number of customers in that
    share: the extra outcomes the contact would bring if all of them were
    contacted. A useful score climbs above the straight line of random
    targeting (from 0 to the overall lift times everyone) and bends over.

    Parameters
    ----------
    y, treated : array-like
        Outcomes and the random assignment of a test the score was NOT fitted on.
    score : array-like
        Who to contact first (higher first; ties in the given order).
    shares : array-like of float, optional
        Shares of the customers, in (0, 1]; default 0.05, 0.10 ... 1.

    Returns
    -------
    pandas.DataFrame
        ``share``, ``customers`` and ``incremental`` (NaN while the top share
        holds no treated or no control customer), plus ``random`` (what random
        targeting of as many customers would bring).

    Examples
    --------
    >>> y = [1, 0, 1, 0, 0, 0, 0, 1]
    >>> t = [True, False, True, False, True, False, True, False]
    >>> qini_curve(y, t, [8, 7, 6, 5, 4, 3, 2, 1], shares=[0.5, 1.0])
       share  customers  incremental  random
    0    0.5          4          4.0     1.0
    1    1.0          8          2.0     2.0
    """
    v = _outcome(y)
    s = _outcome(score, "score")
    if len(s) != len(v):
        raise ArgumentError(f"score: expected {len(v)} values, one per outcome, got {len(s)}")
    t = _treated_mask(treated, len(v))
    shares = _shares(shares)
    order = np.argsort(-s, kind="stable")
    vt, tt = v[order], t[order]
    n_t, n_c = np.cumsum(tt), np.cumsum(~tt)
    sum_t, sum_c = np.cumsum(vt * tt), np.cumsum(vt * ~tt)
    k = np.maximum(np.round(shares * len(v)).astype("int64"), 1)
    i = k - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where((n_t[i] > 0) & (n_c[i] > 0), sum_t[i] / n_t[i] - sum_c[i] / n_c[i], np.nan)
    overall = sum_t[-1] / n_t[-1] - sum_c[-1] / n_c[-1]
    return pd.DataFrame({"share": shares, "customers": k, "incremental": lift * k,
                         "random": overall * k})


def targeting_profit(score, gain, cost, shares=None) -> pd.DataFrame:
    """Profit of contacting the best-scored customers first.

    Parameters
    ----------
    score : array-like
        Who to contact first (higher first; ties in the given order).
    gain : float or array-like
        What contacting each customer brings in (e.g. extra orders x margin).
    cost : float or array-like
        What contacting each customer costs (the contact, the discounts paid).
    shares : array-like of float, optional
        Shares of the customers contacted, in (0, 1]; default 0.05, 0.10 ... 1.

    Returns
    -------
    pandas.DataFrame
        ``share``, ``contacted`` and ``profit`` (total gain minus total cost of
        the contacted customers).

    Examples
    --------
    >>> targeting_profit([3, 2, 1, 0], gain=[5.0, 1.0, 2.0, 0.0], cost=1.5,
    ...                  shares=[0.25, 0.5, 1.0])
       share  contacted  profit
    0   0.25          1     3.5
    1   0.50          2     3.0
    2   1.00          4     2.0
    """
    s = _outcome(score, "score")
    n = len(s)
    g = np.broadcast_to(check_numbers(gain, "gain", what="amounts"), (n,))
    c = np.broadcast_to(check_numbers(cost, "cost", what="amounts"), (n,))
    shares = _shares(shares)
    order = np.argsort(-s, kind="stable")
    cum = np.r_[0.0, np.cumsum((g - c)[order])]
    k = np.round(shares * n).astype("int64")
    return pd.DataFrame({"share": shares, "contacted": k, "profit": cum[k]})
