"""Cohorts and survival read off the data: who is still buying, or still paying.

* :func:`cohort_table`, :func:`survival_curve` and :func:`activity_curve`:
  retention read off a purchase log, cohort by cohort (no contract says who left).
* :func:`contract_durations` and :func:`renewal_table`: how long contracts
  lasted, the ones still running censored, and their life table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.checks import check_count, check_numbers, require_columns
from crmlib.errors import ArgumentError

__all__ = [
    "activity_curve",
    "cohort_table",
    "contract_durations",
    "renewal_table",
    "survival_curve",
]


def _period_ordinals(dates: pd.Series, freq: str) -> pd.Series:
    """Whole periods since the epoch, so that differences count periods.

    Time-zone-aware dates are read on their local calendar (as in :mod:`crmlib.rfm`).
    """
    dates = pd.to_datetime(dates)
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    periods = dates.dt.to_period(freq)
    return pd.Series(pd.PeriodIndex(periods).asi8, index=dates.index)


def cohort_table(
    tx: pd.DataFrame,
    customer: str = "customer_id",
    date: str = "date",
    freq: str = "M",
    share: bool = False,
) -> pd.DataFrame:
    """Active customers by acquisition cohort and periods since acquisition.

    A customer joins the cohort of the period of their first purchase and is
    active in a later period when they buy in it.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase.
    customer, date : str
        Column names.
    freq : str
        Period, a pandas period alias ("M" months, "Q" quarters, "Y" years).
    share : bool
        ``True`` divides each row by its cohort's size.

    Returns
    -------
    pandas.DataFrame
        Rows are cohorts (periods), columns every period since acquisition
        (0, 1, ...), including those at which nobody bought (0); cells not
        yet observed are missing.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                    "date": pd.to_datetime(["2025-01-10", "2025-04-02", "2025-04-20"])})
    >>> cohort_table(tx)
    periods since first purchase    0    1    2    3
    cohort
    2025-01                       1.0  0.0  0.0  1.0
    2025-04                       1.0  NaN  NaN  NaN
    """
    require_columns(tx, {"customer": customer, "date": date})
    ordinal = _period_ordinals(tx[date], freq)
    cohort = ordinal.groupby(tx[customer]).transform("min")
    active = (
        pd.DataFrame({"cohort": cohort, "age": ordinal - cohort, "c": tx[customer]})
        .drop_duplicates()
        .groupby(["cohort", "age"])
        .size()
        .unstack("age")
    )
    # Every age up to the oldest cohort's, even one at which nobody bought; a cell is
    # observed when its period is not after the last one in the data.
    ages = np.arange(ordinal.max() - active.index.min() + 1)
    observed = ages[None, :] <= (ordinal.max() - active.index.to_numpy())[:, None]
    active = active.reindex(columns=ages).fillna(0).where(observed)
    active.index = pd.PeriodIndex.from_ordinals(active.index.to_numpy(), freq=freq, name="cohort")
    active.columns = pd.Index(ages, name="periods since first purchase")
    if share:
        active = active.div(active[0], axis=0)
    return active


def survival_curve(
    tx: pd.DataFrame, customer: str = "customer_id", date: str = "date", freq: str = "M"
) -> pd.Series:
    """Share of customers who buy again k or more periods after their first purchase.

    In a non-contractual business nobody announces that they left; the last
    purchase is the best sign. A customer "survives" to period k when they
    bought in period k or later. Only cohorts observed for k periods count
    towards period k, so late cohorts do not pull the curve down.

    Returns
    -------
    pandas.Series
        Indexed by k = 0, 1, ...; value at 0 is 1.
    """
    require_columns(tx, {"customer": customer, "date": date})
    ordinal = _period_ordinals(tx[date], freq)
    g = ordinal.groupby(tx[customer])
    first, last = g.min().to_numpy(), g.max().to_numpy()
    lived = last - first
    observed = ordinal.max() - first
    k = np.arange(observed.max() + 1)
    at_risk = (observed[None, :] >= k[:, None]).sum(axis=1)
    alive = ((lived[None, :] >= k[:, None]) & (observed[None, :] >= k[:, None])).sum(axis=1)
    return pd.Series(
        alive / at_risk,
        index=pd.Index(k, name="periods since first purchase"),
        name="surviving share",
    )


def activity_curve(
    tx: pd.DataFrame,
    window: int = 6,
    customer: str = "customer_id",
    date: str = "date",
    freq: str = "M",
) -> pd.Series:
    """Share of customers active k periods after their first purchase, by an activity window.

    A customer counts as active at age k when they bought at least once in
    periods k, k + 1, ..., k + window - 1 after their first purchase; only
    customers observed through period k + window - 1 count towards age k.
    Unlike "bought in period k or later", the definition looks a fixed
    distance ahead, so recent customers are judged on the same terms as old
    ones (no right-censoring artefact).

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase.
    window : int
        Length of the activity window, in periods (>= 1).
    customer, date, freq : str
        Column names and the period alias, as in :func:`cohort_table`.

    Returns
    -------
    pandas.Series
        Indexed by k = 0, 1, ... up to the last age with customers observed
        through the whole window; value at 0 is 1.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2, 3],
    ...     "date": pd.to_datetime(["2025-01-05", "2025-03-01", "2025-01-20", "2025-04-02"])})
    >>> activity_curve(tx, window=2).tolist()  # customer 1 buys in month 2, customer 2 never again
    [1.0, 0.5, 0.5]
    """
    window = check_count(window, "window")
    require_columns(tx, {"customer": customer, "date": date})
    ordinal = _period_ordinals(tx[date], freq)
    first = ordinal.groupby(tx[customer]).transform("min")
    pairs = pd.DataFrame({"c": tx[customer].to_numpy(), "age": (ordinal - first).to_numpy()})
    pairs = pairs.drop_duplicates()
    codes, uniques = pd.factorize(pairs["c"])
    observed = (ordinal.max() - ordinal.groupby(tx[customer]).min()).reindex(uniques).to_numpy()
    last_k = int(observed.max()) - window + 1
    if last_k < 0:
        raise ArgumentError(
            f"window ({window}) is longer than the data ({observed.max() + 1} periods)"
        )
    k = np.arange(last_k + 1)
    # A purchase at age a makes its customer active at every k with k <= a < k + window.
    age = pairs["age"].to_numpy()
    hits = np.zeros((k.size, uniques.size), dtype=bool)
    for lag in range(window):  # window is small: one vectorised pass per lag
        kk = age - lag
        ok = (kk >= 0) & (kk <= last_k)
        hits[kk[ok], codes[ok]] = True
    eligible = observed[None, :] >= (k + window - 1)[:, None]
    share = (hits & eligible).sum(axis=1) / eligible.sum(axis=1)
    return pd.Series(
        share, index=pd.Index(k, name="periods since first purchase"), name="active share"
    )


def contract_durations(start, end, as_of, freq: str = "M") -> pd.DataFrame:
    """Periods each contract lasted, and whether it was still running at ``as_of``.

    Parameters
    ----------
    start : pandas.Series of datetime
        First period paid.
    end : pandas.Series of datetime
        The period the contract ended (cancelled after ``end - start`` whole
        periods); missing while the contract is active.
    as_of : str or pandas.Timestamp
        The end of the observation (the last day of the data).
    freq : str
        Period, a pandas period alias ("M" months).

    Returns
    -------
    pandas.DataFrame
        ``periods`` (paid periods of a cancelled contract; periods completed
        by ``as_of`` of an active one) and ``censored`` (True while active),
        on the index of ``start``.

    Examples
    --------
    >>> start = pd.Series(pd.to_datetime(["2025-01-15", "2025-03-02"]))
    >>> end = pd.Series(pd.to_datetime(["2025-04-15", None]))
    >>> contract_durations(start, end, "2025-12-31")
       periods  censored
    0        3     False
    1        9      True
    """
    start = pd.Series(start)
    end = pd.Series(end, index=start.index)
    as_of = pd.Timestamp(as_of)
    if start.isna().any():
        raise ArgumentError("start must have no missing dates")
    if (start > as_of).any():
        raise ArgumentError(f"start has dates after as_of ({as_of.date()})")
    if (end.dropna() > as_of).any():
        raise ArgumentError(
            f"end has dates after as_of ({as_of.date()}): they are not observed yet"
        )
    censored = end.isna()
    stop = end.where(~censored, as_of)
    s0 = _period_ordinals(start, freq)
    periods = _period_ordinals(stop, freq) - s0
    if (periods[~censored] < 1).any():
        raise ArgumentError("end must be at least one period after start for a cancelled contract")
    return pd.DataFrame(
        {"periods": periods.astype("int64"), "censored": censored.to_numpy()}, index=start.index
    )


def _check_durations(durations, censored) -> tuple[np.ndarray, np.ndarray]:
    """Contract durations and their censoring flags, checked (float64 and bool arrays).

    Durations are whole numbers of periods, >= 1 for a cancelled contract (its
    first period is paid) and >= 0 for one still running; one boolean flag per
    duration, True while the contract runs.
    """
    t = check_numbers(
        durations,
        "durations",
        low=0,
        ndim=1,
        empty=False,
        integer=True,
        what="whole numbers of periods",
    )
    c = np.asarray(censored)
    if c.shape != t.shape:
        raise ArgumentError(
            f"censored must have one flag per duration ({t.size}), got shape {c.shape}"
        )
    if c.dtype != bool:
        raise TypeError(f"censored must be booleans (True = still active), got {c.dtype}")
    if ((t < 1) & ~c).any():
        raise ArgumentError(
            "durations of cancelled customers must be >= 1 (the first period is paid)"
        )
    return t, c


def renewal_table(durations, censored) -> pd.DataFrame:
    """Life table of contracts: at risk, cancelled and renewal rate in each period.

    Contracts still running leave the table once their observed periods run
    out, so they never count as cancellations (right censoring handled as in
    a Kaplan-Meier estimate).

    Parameters
    ----------
    durations, censored : array-like
        As in :meth:`ShiftedBetaGeometric.fit_durations`.

    Returns
    -------
    pandas.DataFrame
        Indexed by period t = 1, 2, ...: ``at_risk`` (contracts that paid
        for period t, so that whether they renewed after it is known),
        ``cancelled`` (ended after t periods), ``renewal_rate`` (1 -
        cancelled / at_risk) and ``survival`` (share still paying after t
        periods, the product of the renewal rates).

    Examples
    --------
    >>> table = renewal_table([1, 2, 2, 3], [False, False, True, True])
    >>> table[["at_risk", "cancelled"]].to_dict("list")
    {'at_risk': [4, 3, 1], 'cancelled': [1, 1, 0]}
    >>> table["survival"].round(2).tolist()
    [0.75, 0.5, 0.5]
    """
    t, c = _check_durations(durations, censored)
    t = t.astype("int64")
    k = np.arange(1, t.max() + 1)
    # Period k was paid by every contract that lasted k periods or more: a cancelled
    # one ended then or later, an active one is known to have renewed after it.
    at_risk = (t[None, :] >= k[:, None]).sum(axis=1)
    cancelled = np.bincount(t[~c], minlength=t.max() + 1)[1:]
    rate = 1 - cancelled / np.where(at_risk > 0, at_risk, np.nan)
    out = pd.DataFrame(
        {"at_risk": at_risk, "cancelled": cancelled, "renewal_rate": rate},
        index=pd.Index(k, name="t"),
    )
    out["survival"] = out["renewal_rate"].cumprod()
    return out
