"""Recency, frequency and monetary value: RFM scores, cells, breakeven, BTYD summaries.

Two views of the same purchase log:

* :func:`rfm_table` and :func:`rfm_scores` give the direct marketer's RFM
  (Hughes): days since the last purchase, number of purchases, total spend,
  each scored 1..5 so that every customer falls in one of 125 cells;
* :func:`btyd_summary` gives the "buy till you die" summary that the BG/NBD
  and Gamma-Gamma models of :mod:`crmlib.clv` are fitted on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from crmlib.checks import check_choice, check_count, check_number, require_columns, require_frame
from crmlib.errors import ArgumentError

SEGMENTS = ["Champions", "Loyal", "Promising", "Needs attention", "At risk", "Hibernating"]


def _day(value, name: str) -> pd.Timestamp:
    """A date-like argument as a day (midnight, local calendar, no time zone)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ArgumentError(f"{name}={value!r}: cannot read it as a date") from err
    if ts is pd.NaT:
        raise ArgumentError(f"{name}={value!r}: cannot read it as a date")
    return (ts.tz_localize(None) if ts.tzinfo is not None else ts).normalize()


def _check_transactions(
    tx: pd.DataFrame, customer: str, date: str, amount: str | None
) -> pd.DataFrame:
    """The columns used, checked, with dates reduced to days.

    Both views of a purchase log count whole days: a purchase at 14:00 on
    ``as_of`` or ``calibration_end`` belongs to that day. Time-zone-aware
    dates are read on their own local calendar (the day the customer saw),
    then the time zone is dropped.
    """
    cols = {"customer": customer, "date": date}
    if amount is not None:
        cols["amount"] = amount
    require_columns(tx, cols)
    out = tx[list(cols.values())].copy()
    if out[customer].isna().any():
        raise ArgumentError(f"customer={customer!r}: missing customer ids in tx")
    try:
        days = pd.to_datetime(out[date])
    except (ValueError, TypeError) as err:
        raise ArgumentError(f"date={date!r}: cannot read the column as dates: {err}") from err
    if days.isna().any():
        raise ArgumentError(f"date={date!r}: missing dates in tx")
    if days.dt.tz is not None:
        days = days.dt.tz_localize(None)  # local wall time, as the customer saw it
    out[date] = days.dt.normalize()
    if amount is not None:
        if not pd.api.types.is_numeric_dtype(out[amount]):
            raise ArgumentError(f"amount={amount!r}: the column is not numeric")
        if out[amount].isna().any():
            raise ArgumentError(f"amount={amount!r}: missing amounts in tx")
        if (out[amount] < 0).any():
            raise ArgumentError(f"amount={amount!r}: negative amounts in tx")
    return out


def rfm_table(
    tx: pd.DataFrame,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    as_of=None,
) -> pd.DataFrame:
    """Recency, frequency and monetary value of each customer.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase.
    customer, date, amount : str
        Column names in ``tx``.
    as_of : date-like, optional
        The day the table describes; purchases on it (at any time of day)
        count, purchases after it are ignored. Defaults to the day after the
        last purchase in ``tx``.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer, with ``recency`` (whole days from the last
        purchase to ``as_of``: RFM's recency, time *since* the last purchase,
        unlike the BTYD recency of :func:`btyd_summary`), ``frequency`` (number of purchases),
        ``monetary`` (total spend) and ``avg_spend`` (spend per purchase).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "amount": [10.0, 20.0, 5.0],
    ...                    "date": pd.to_datetime(["2025-01-01", "2025-01-21", "2025-01-11"])})
    >>> rfm_table(tx, as_of="2025-01-31")
                 recency  frequency  monetary  avg_spend
    customer_id
    1                 10          2      30.0       15.0
    2                 20          1       5.0        5.0
    """
    tx = _check_transactions(tx, customer, date, amount)
    as_of = tx[date].max() + pd.Timedelta(days=1) if as_of is None else _day(as_of, "as_of")
    tx = tx[tx[date] <= as_of]
    if tx.empty:
        raise ArgumentError(f"as_of={as_of.date()}: no purchases on or before it")
    g = tx.groupby(customer, sort=True)
    out = pd.DataFrame(
        {
            "recency": (as_of - g[date].max()).dt.days,
            "frequency": g.size(),
            "monetary": g[amount].sum(),
        }
    )
    out["avg_spend"] = out["monetary"] / out["frequency"]
    return out


def _score(
    values: pd.Series, q: int, ties: str, higher_is_better: bool, within=None
) -> pd.Series:
    """Scores 1..q of ``values``, over everyone or separately within each group of ``within``."""
    v = values if higher_is_better else -values
    method = "min" if ties == "together" else "first"
    # "together": equal values share the score of the lowest of them, so a
    # customer only scores above another when their value really is better.
    # "split": Hughes' equal-sized groups; ties are broken by the order of the index.
    if within is None:
        rank, n = v.rank(method=method), len(v)
    else:
        grouped = v.groupby(within, sort=False)
        rank, n = grouped.rank(method=method), grouped.transform("size")
    return (np.floor(q * (rank - 1) / n) + 1).astype("int64")


def rfm_scores(
    rfm: pd.DataFrame, q: int = 5, ties: str = "together", method: str = "independent"
) -> pd.DataFrame:
    """Score recency, frequency and monetary value 1..q and name each customer's cell.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Output of :func:`rfm_table` (columns ``recency``, ``frequency``, ``monetary``).
    q : int
        Number of groups per dimension (5 gives Hughes' 125 cells).
    ties : {"together", "split"}
        ``"together"`` (default) gives equal values the same score, the lowest
        their rank allows; groups can then be unequal and a score can go
        unused (half of CDNOW's customers bought once, and all get F = 1).
        ``"split"`` cuts the sorted file into q equal groups as Hughes did,
        breaking ties by the order of the index, so equal customers may land
        in different cells.
    method : {"independent", "nested"}
        ``"independent"`` (default) scores each of R, F and M over all
        customers. ``"nested"`` is Hughes' sort: R over all customers, F
        within each R group, M within each (R, F) group, so that the q**3
        cells are about equal in size (with ``ties="split"``) but an F score
        means "more frequent than the others of the same recency", not
        "more frequent than most customers".

    Returns
    -------
    pandas.DataFrame
        ``rfm`` plus ``R``, ``F``, ``M`` (q = best: most recent, most
        frequent, highest spend), ``cell`` (e.g. ``"545"``) and ``segment``.

    Notes
    -----
    Segments use R and F only: Champions (R >= 4, F >= 4), Loyal (R >= 3,
    F >= 3), Promising (R >= 4, F <= 2), Needs attention (R = 3, F <= 2),
    At risk (R <= 2, F >= 3) and Hibernating (R <= 2, F <= 2), with the
    thresholds scaled to q.

    Examples
    --------
    >>> rfm = pd.DataFrame({"recency": [5, 40, 90, 200], "frequency": [9, 4, 2, 1],
    ...                     "monetary": [120.0, 60.0, 15.0, 8.0]}, index=[1, 2, 3, 4])
    >>> rfm_scores(rfm, q=2)[["R", "F", "M", "cell", "segment"]]
       R  F  M cell    segment
    1  2  2  2  222  Champions
    2  2  2  2  222  Champions
    3  1  1  1  111  Hibernating
    4  1  1  1  111  Hibernating
    >>> # Nested: F ranks within each R group, M within each (R, F) group of one.
    >>> rfm_scores(rfm, q=2, method="nested")["cell"].tolist()
    ['221', '211', '121', '111']
    """
    require_frame(rfm, "rfm")
    missing = [c for c in ("recency", "frequency", "monetary") if c not in rfm.columns]
    if missing:
        raise ArgumentError(
            f"rfm: missing column(s) {', '.join(map(repr, missing))}; pass the "
            f"output of rfm_table (columns: {list(rfm.columns)})"
        )
    if rfm.empty:
        raise ArgumentError("rfm is empty")
    check_count(q, "q", min_val=2)
    check_choice(ties, "ties", ("together", "split"))
    check_choice(method, "method", ("independent", "nested"))
    nested = method == "nested"
    out = rfm.copy()
    out["R"] = _score(out["recency"], q, ties, higher_is_better=False)
    out["F"] = _score(
        out["frequency"], q, ties, higher_is_better=True, within=out["R"] if nested else None
    )
    out["M"] = _score(
        out["monetary"], q, ties, higher_is_better=True,
        within=[out["R"], out["F"]] if nested else None,
    )
    out["cell"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    hi, mid = 0.8 * q - 1e-9, 0.6 * q - 1e-9  # 4 and 3 when q = 5
    r, f = out["R"], out["F"]
    out["segment"] = np.select(
        [(r >= hi) & (f >= hi), (r >= mid) & (f >= mid), r >= hi, r >= mid, f >= mid],
        SEGMENTS[:5],
        SEGMENTS[5],
    )
    out["segment"] = pd.Categorical(out["segment"], categories=SEGMENTS)
    return out


def breakeven_response_rate(cost_per_contact: float, profit_per_response: float) -> float:
    """Response rate at which a contact pays for itself.

    Parameters
    ----------
    cost_per_contact : float
        Cost of one contact (e.g. one piece of mail), > 0.
    profit_per_response : float
        Net profit of one response, > 0.

    Returns
    -------
    float
        ``cost_per_contact / profit_per_response``.

    Examples
    --------
    >>> round(breakeven_response_rate(0.85, 40.0), 5)  # 85 cents against $40
    0.02125
    """
    cost = check_number(cost_per_contact, "cost_per_contact", low=0, low_open=True)
    profit = check_number(profit_per_response, "profit_per_response", low=0, low_open=True)
    return cost / profit


def response_by_cell(
    scores: pd.DataFrame,
    responded: pd.Series,
    cost_per_contact: float,
    profit_per_response: float,
    by: str = "cell",
    min_mailed: int = 1,
    level: float = 0.95,
) -> pd.DataFrame:
    """Response rate and profit of a test mailing, cell by cell.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`rfm_scores`, indexed by customer.
    responded : pandas.Series of bool
        Whether each mailed customer responded, indexed by customer.
    cost_per_contact, profit_per_response : float
        The economics of one contact and one response.
    by : str
        Column of ``scores`` to group by (``"cell"``, ``"segment"``, ``"R"`` ...).
    min_mailed : int
        A group judged on fewer contacts than this is never marked above
        breakeven, whatever its rate (one response from one letter is 100%).
    level : float
        Confidence level of the Wilson interval of each group's response rate
        (unlike the normal approximation, it stays inside 0..1 for small groups).

    Returns
    -------
    pandas.DataFrame
        Per group: ``mailed``, ``responses``, ``response_rate``, ``profit``
        (responses x profit - mailed x cost), ``above_breakeven``, ``ci_low``
        and ``ci_high``, sorted from the best response rate down.

    Examples
    --------
    >>> scores = pd.DataFrame({"cell": ["555"] * 10 + ["111"] * 2}, index=range(12))
    >>> responded = pd.Series([True] + [False] * 9 + [True, False], index=range(12))
    >>> out = response_by_cell(scores, responded, 0.85, 4.90, min_mailed=5)
    >>> out[["mailed", "response_rate", "profit", "above_breakeven", "ci_low", "ci_high"]].round(3)
          mailed  response_rate  profit  above_breakeven  ci_low  ci_high
    cell
    111        2            0.5     3.2            False   0.095    0.905
    555       10            0.1    -3.6            False   0.018    0.404
    """
    if by not in scores.columns:
        raise ArgumentError(f"by={by!r}: no such column in scores")
    check_number(level, "level", low=0, high=1, low_open=True, high_open=True)
    check_count(min_mailed, "min_mailed")
    resp = responded.reindex(scores.index)
    if resp.isna().any():
        raise ArgumentError("responded: missing for some customers in scores")
    breakeven = breakeven_response_rate(cost_per_contact, profit_per_response)
    g = resp.astype(bool).groupby(scores[by], observed=True)
    out = pd.DataFrame({"mailed": g.size(), "responses": g.sum()})
    out["response_rate"] = out["responses"] / out["mailed"]
    out["profit"] = out["responses"] * profit_per_response - out["mailed"] * cost_per_contact
    out["above_breakeven"] = (out["response_rate"] > breakeven) & (out["mailed"] >= min_mailed)
    # Wilson score interval.
    z2 = stats.norm.ppf(0.5 + level / 2) ** 2
    n, p = out["mailed"], out["response_rate"]
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = np.sqrt(z2 * p * (1 - p) / n + z2**2 / (4 * n**2)) / (1 + z2 / n)
    out["ci_low"], out["ci_high"] = centre - half, centre + half
    return out.sort_values(["response_rate", "mailed"], ascending=[False, False])


_UNITS = {"D": 1.0, "W": 7.0}


def btyd_summary(
    tx: pd.DataFrame,
    calibration_end,
    observation_end=None,
    unit: str = "W",
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    merge_same_day: bool = True,
) -> pd.DataFrame:
    """Summarise a purchase log for buy-till-you-die models (BG/NBD, Gamma-Gamma).

    Purchases on the same day are merged into one. Time runs from each
    customer's first purchase, in days or weeks (7 days).

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase.
    calibration_end : date-like
        Last day of the calibration period. Customers whose first purchase
        is after it are left out.
    observation_end : date-like, optional
        Last day of a holdout period; adds the holdout columns.
    unit : {"W", "D"}
        Weeks (days / 7, as in Fader, Hardie and Lee's CDNOW summary) or days.
    customer, date, amount : str
        Column names; ``amount=None`` skips the monetary columns.
    merge_same_day : bool
        ``True`` (default, as in the published CDNOW summary and lifetimes)
        counts all purchases of one day as one. ``False`` counts every row as
        a purchase: right when the log holds distinct visits (two coffees on
        one day are two purchases), wrong when one order spans several rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``frequency`` (repeat purchase days in the
        calibration period), ``recency`` (first to last purchase: the BTYD
        recency, unlike RFM's time since the last purchase), ``T``
        (first purchase to ``calibration_end``), ``monetary_value`` (mean
        spend of the repeat purchase days, 0 without repeats); with
        ``observation_end`` also ``frequency_holdout``,
        ``monetary_value_holdout`` and ``duration_holdout``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 5.0, 20.0, 8.0],
    ...     "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-15", "2025-01-08"])})
    >>> btyd_summary(tx, "2025-01-29")
                 frequency  recency    T  monetary_value
    customer_id
    1                  1.0      2.0  4.0            20.0
    2                  0.0      0.0  3.0             0.0
    """
    check_choice(unit, "unit", _UNITS)
    tx = _check_transactions(tx, customer, date, amount)
    cal_end = _day(calibration_end, "calibration_end")
    obs_end = None if observation_end is None else _day(observation_end, "observation_end")
    if obs_end is not None and obs_end <= cal_end:
        raise ArgumentError(
            f"observation_end ({obs_end.date()}) must be after calibration_end ({cal_end.date()})"
        )
    scale = _UNITS[unit]
    # One sort by customer and day; everything after is counting along it.
    codes, uniques = pd.factorize(tx[customer], sort=True)
    day = tx[date].to_numpy().astype("datetime64[D]").astype("int64")
    amt = tx[amount].to_numpy(dtype="float64") if amount is not None else np.zeros(len(tx))
    order = np.lexsort((day, codes))
    c, d, amt = codes[order], day[order], amt[order]
    if merge_same_day:  # purchases of one day become one, their amounts added
        new = np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1])]
        amt = np.add.reduceat(amt, np.flatnonzero(new))
        c, d = c[new], d[new]
    first_row = np.r_[True, c[1:] != c[:-1]]
    first_day = d[first_row]  # per customer, in code order
    cal_day = cal_end.to_datetime64().astype("datetime64[D]").astype("int64")
    kept = first_day <= cal_day
    if not kept.any():
        raise ArgumentError(f"calibration_end={cal_end.date()}: no customer bought on or before it")
    n = len(first_day)
    in_cal = d <= cal_day
    count = np.bincount(c[in_cal], minlength=n)
    # Rows are sorted by day within customer, so the last calibration row is the latest.
    last_day = np.full(n, -1, dtype="int64")
    cal_rows = np.flatnonzero(in_cal)
    seg_end = np.r_[c[cal_rows][1:] != c[cal_rows][:-1], True]
    last_day[c[cal_rows][seg_end]] = d[cal_rows][seg_end]
    out = pd.DataFrame(
        {
            "frequency": (count - 1).astype("float64"),
            "recency": (last_day - first_day) / scale,
            "T": (cal_day - first_day) / scale,
        }
    )
    if amount is not None:
        repeat = in_cal & ~first_row
        total = np.bincount(c[repeat], weights=amt[repeat], minlength=n)
        out["monetary_value"] = np.divide(total, count - 1, out=np.zeros(n), where=count > 1)
    if obs_end is not None:
        obs_day = obs_end.to_datetime64().astype("datetime64[D]").astype("int64")
        hold = (d > cal_day) & (d <= obs_day)
        n_hold = np.bincount(c[hold], minlength=n)
        out["frequency_holdout"] = n_hold.astype("float64")
        if amount is not None:
            total = np.bincount(c[hold], weights=amt[hold], minlength=n)
            out["monetary_value_holdout"] = np.divide(
                total, n_hold, out=np.zeros(n), where=n_hold > 0
            )
        out["duration_holdout"] = (obs_day - cal_day) / scale
    out.index = pd.Index(uniques)
    out = out[kept]
    out.index.name = customer
    return out
