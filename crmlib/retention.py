"""Retention economics: margin multiples, cohorts, survival and the sBG model.

* :func:`margin_multiple` and :func:`clv_constant_retention`: lifetime value
  when a constant share of customers stays each period (Gupta and Lehmann).
* :func:`cohort_profit` and :func:`defection_cut_effect`: the mechanism behind
  Reichheld and Sasser's "Zero Defections" (profit per customer grows with
  tenure, so fewer defections raise the value of every customer).
* :func:`cohort_table` and :func:`survival_curve`: retention read off a
  purchase log, cohort by cohort.
* :class:`ShiftedBetaGeometric`: Fader and Hardie's (2007) model of why
  aggregate retention rises over time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from crmlib.checks import require_columns
from crmlib.fitting import check_fit, minimize_bounded


def _check_rate(name: str, value, upper_inclusive: bool = True) -> np.ndarray:
    arr = np.asarray(value, dtype="float64")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite numbers")
    if (arr < 0).any() or (arr > 1).any() or (not upper_inclusive and (arr == 1).any()):
        bound = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise ValueError(f"{name} must lie in {bound}, got {value!r}")
    return arr


def _scalar_or_array(arr: np.ndarray):
    return float(arr) if arr.ndim == 0 else arr


def margin_multiple(retention, discount):
    """Lifetime value of a customer in margins: r / (1 + i - r).

    The value today of a margin earned at the end of each period for as long
    as the customer stays, when a share ``retention`` stays each period and
    money is discounted at ``discount`` per period (Gupta and Lehmann, 2003).

    Parameters
    ----------
    retention : float or array-like
        Retention rate per period, in [0, 1].
    discount : float or array-like
        Discount rate per period, >= 0 (and > 0 when retention is 1).

    Returns
    -------
    float or numpy.ndarray
        The multiple to apply to the margin per period.

    Examples
    --------
    >>> round(margin_multiple(0.9, 0.10), 2), round(margin_multiple(0.8, 0.10), 2)
    (4.5, 2.67)
    """
    r = _check_rate("retention", retention)
    i = np.asarray(discount, dtype="float64")
    if not np.isfinite(i).all() or (i < 0).any():
        raise ValueError(f"discount must be a non-negative number, got {discount!r}")
    if (1 + i - r <= 0).any():
        raise ValueError("retention = 1 with discount = 0 gives an infinite lifetime value")
    return _scalar_or_array(r / (1 + i - r))


def clv_constant_retention(margin, retention, discount, first_margin_now: bool = False):
    """Customer lifetime value under constant retention.

    Parameters
    ----------
    margin : float or array-like
        Margin per period of an active customer.
    retention, discount : float or array-like
        As in :func:`margin_multiple`.
    first_margin_now : bool
        ``False`` (default): margins arrive at the end of each period, CLV =
        m r / (1 + i - r). ``True``: the first margin is earned today, CLV =
        m (1 + i) / (1 + i - r).

    Returns
    -------
    float or numpy.ndarray
        Lifetime value in the units of ``margin``.

    Examples
    --------
    >>> round(clv_constant_retention(100, 0.8, 0.1, first_margin_now=True), 2)
    366.67
    """
    m = np.asarray(margin, dtype="float64")
    if not np.isfinite(m).all():
        raise ValueError("margin must be finite")
    r = _check_rate("retention", retention)
    i = np.asarray(discount, dtype="float64")
    if first_margin_now:
        margin_multiple(r, i)  # validates the inputs
        return _scalar_or_array(m * (1 + i) / (1 + i - r))
    return _scalar_or_array(m * np.asarray(margin_multiple(r, i)))


def margin_multiple_grid(retentions, discounts) -> pd.DataFrame:
    """What-if table of margin multiples: retention rates down, discount rates across."""
    r = np.asarray(retentions, dtype="float64")
    i = np.asarray(discounts, dtype="float64")
    values = margin_multiple(r[:, None], i[None, :])
    return pd.DataFrame(
        values, index=pd.Index(r, name="retention"), columns=pd.Index(i, name="discount")
    )


def value_elasticities(
    margin: float, retention: float, discount: float, acquisition_cost: float
) -> dict[str, float]:
    """Per cent change in a new customer's value for a 1% change in each driver.

    The value of a customer about to be won is V = m r / (1 + i - r) - c
    (margin m, retention r, discount i, acquisition cost c), the model behind
    Gupta, Lehmann and Stuart's (2004) comparison. Each elasticity is the
    derivative times driver / V: the relative change in V for a small
    relative improvement in the driver (a *cut* in acquisition cost).

    Parameters
    ----------
    margin : float
        Margin per period of an active customer (> 0).
    retention, discount : float
        As in :func:`margin_multiple`.
    acquisition_cost : float
        Cost of winning one customer (>= 0), less than m r / (1 + i - r).

    Returns
    -------
    dict
        ``retention``, ``margin`` and ``acquisition_cost`` elasticities, and
        ``value`` (V itself).

    Examples
    --------
    >>> e = value_elasticities(100, 0.8, 0.1, 0)  # no acquisition cost
    >>> round(e["margin"], 6), round(e["retention"], 4)  # (1 + i) / (1 + i - r) = 1.1 / 0.3
    (1.0, 3.6667)
    """
    if not np.isfinite(margin) or margin <= 0:
        raise ValueError(f"margin must be a positive number, got {margin!r}")
    if not np.isfinite(acquisition_cost) or acquisition_cost < 0:
        raise ValueError(
            f"acquisition_cost must be a non-negative number, got {acquisition_cost!r}"
        )
    mult = float(margin_multiple(retention, discount))
    value = margin * mult - acquisition_cost
    if value <= 0:
        raise ValueError(
            "acquisition_cost must be below the customer's lifetime value "
            f"({margin * mult:.2f}): a customer worth nothing has no elasticities"
        )
    r, i = float(retention), float(discount)
    # d/dr [r / (1 + i - r)] = (1 + i) / (1 + i - r)^2
    d_value_d_r = margin * (1 + i) / (1 + i - r) ** 2
    return {
        "retention": d_value_d_r * r / value,
        "margin": margin * mult / value,
        "acquisition_cost": acquisition_cost / value,
        "value": value,
    }


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
    if not isinstance(days, (int, np.integer)) or days < 1:
        raise ValueError(f"days must be a whole number >= 1, got {days!r}")
    require_columns(assignments, {"customer": customer, "assigned": assigned})
    require_columns(purchases, {"customer": customer, "date": date})
    from crmlib.uplift import orders_after  # the window count lesson 04 uses too

    orders = orders_after(purchases, assignments, days, customer=customer, date=date,
                          event_date=assigned)
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


def cohort_profit(
    retention: float, profits, acquisition_cost: float = 0.0, discount: float = 0.10
) -> float:
    """Net present value of an acquired customer whose yearly profit grows with tenure.

    Parameters
    ----------
    retention : float
        Share of customers who stay from one year to the next.
    profits : array-like
        Profit in year 0, 1, 2, ... of a customer still active (after the
        last year given, the profit stays at its last value).
    acquisition_cost : float
        Cost of winning the customer, paid today.
    discount : float
        Yearly discount rate.

    Returns
    -------
    float
        -acquisition_cost + sum over t >= 0 of profit_t * retention^t / (1 + discount)^t,
        the years after the last profit given summed in closed form.

    Examples
    --------
    >>> round(cohort_profit(0.8, [100.0], discount=0.1), 2)  # 100 * 1.1 / (1.1 - 0.8)
    366.67
    >>> round(cohort_profit(0.999, [1.0], discount=0.0), 6)  # 1 / (1 - 0.999)
    1000.0
    """
    r = float(_check_rate("retention", retention, upper_inclusive=False))
    if not np.isfinite(discount) or discount < 0:
        raise ValueError(f"discount must be a non-negative number, got {discount!r}")
    p = np.asarray(profits, dtype="float64")
    if p.ndim != 1 or p.size == 0 or not np.isfinite(p).all():
        raise ValueError("profits must be a non-empty list of finite numbers")
    q = r / (1 + discount)  # survival and discounting of one year, q < 1
    t = np.arange(p.size)
    # Years 0 .. n-1 term by term, then the last profit for ever: a geometric tail
    # p[-1] * (q^n + q^(n+1) + ...) = p[-1] * q^n / (1 - q), exact however close q is to 1.
    head = np.sum(p * q**t)
    tail = p[-1] * q**p.size / (1 - q)
    return float(-acquisition_cost + head + tail)


def defection_cut_effect(
    defection: float,
    profits,
    acquisition_cost: float = 0.0,
    discount: float = 0.10,
    cut: float = 0.05,
) -> dict[str, float]:
    """What cutting the defection rate does to the value of a customer.

    Returns
    -------
    dict
        ``npv_before``, ``npv_after`` and ``increase`` (relative change) of
        :func:`cohort_profit` at defection rates ``defection`` and
        ``defection - cut``.

    Examples
    --------
    >>> out = defection_cut_effect(0.20, [-20, 40, 50, 60, 70], acquisition_cost=50)
    >>> round(out["increase"], 2)
    0.59
    """
    if not 0 <= cut <= defection <= 1:
        raise ValueError(f"need 0 <= cut <= defection <= 1, got cut={cut}, defection={defection}")
    before = cohort_profit(1 - defection, profits, acquisition_cost, discount)
    after = cohort_profit(1 - defection + cut, profits, acquisition_cost, discount)
    if before <= 0:
        raise ValueError(
            "the customer is worth nothing before the cut: the relative increase is undefined"
        )
    return {"npv_before": before, "npv_after": after, "increase": after / before - 1}


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
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a whole number of periods >= 1, got {window!r}")
    require_columns(tx, {"customer": customer, "date": date})
    ordinal = _period_ordinals(tx[date], freq)
    first = ordinal.groupby(tx[customer]).transform("min")
    pairs = pd.DataFrame({"c": tx[customer].to_numpy(), "age": (ordinal - first).to_numpy()})
    pairs = pairs.drop_duplicates()
    codes, uniques = pd.factorize(pairs["c"])
    observed = (ordinal.max() - ordinal.groupby(tx[customer]).min()).reindex(uniques).to_numpy()
    last_k = int(observed.max()) - window + 1
    if last_k < 0:
        raise ValueError(
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
        raise ValueError("start must have no missing dates")
    if (start > as_of).any():
        raise ValueError(f"start has dates after as_of ({as_of.date()})")
    if (end.dropna() > as_of).any():
        raise ValueError(f"end has dates after as_of ({as_of.date()}): they are not observed yet")
    censored = end.isna()
    stop = end.where(~censored, as_of)
    s0 = _period_ordinals(start, freq)
    periods = _period_ordinals(stop, freq) - s0
    if (periods[~censored] < 1).any():
        raise ValueError("end must be at least one period after start for a cancelled contract")
    return pd.DataFrame({"periods": periods.astype("int64"), "censored": censored.to_numpy()},
                        index=start.index)


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
    t = np.asarray(durations, dtype="int64")
    c = np.asarray(censored, dtype=bool)
    if t.shape != c.shape or t.ndim != 1 or t.size == 0:
        raise ValueError("durations and censored must be non-empty and of the same length")
    if (t < 0).any() or ((t < 1) & ~c).any():
        raise ValueError("durations must be >= 0 (>= 1 for cancelled contracts)")
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


class ShiftedBetaGeometric(BaseEstimator):
    """The shifted-beta-geometric (sBG) model of contract renewals.

    Each customer renews each period with their own probability 1 - theta
    and theta ~ Beta(alpha, beta) across customers (Fader and Hardie, 2007).
    Customers likely to leave leave early, so the aggregate retention rate
    rises over time even though nobody's own rate changes.

    Attributes
    ----------
    alpha_, beta_ : float
        Fitted Beta parameters.
    standard_errors_ : dict
        Their asymptotic standard errors (NaN where the fit cannot tell).
    loglik_ : float
        Maximised log-likelihood.
    converged_ : bool
        False when the fit warned (a bound reached, no convergence).

    Examples
    --------
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> m = ShiftedBetaGeometric().fit(regular)
    >>> round(m.alpha_, 3), round(m.beta_, 3), round(m.loglik_, 1)
    (0.704, 1.182, -1680.3)
    """

    def fit(self, active_counts) -> ShiftedBetaGeometric:
        """Fit by maximum likelihood from the numbers still active.

        Parameters
        ----------
        active_counts : array-like
            Customers still active at the start of period 0, 1, ..., T
            (the first value is the whole cohort). Counts may be non-integer
            (e.g. percentages of a cohort of 100).

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted.
        """
        n = np.asarray(active_counts, dtype="float64")
        if n.ndim != 1 or n.size < 2:
            raise ValueError("active_counts needs at least two periods (start and one more)")
        if not np.isfinite(n).all() or (n < 0).any() or n[0] <= 0:
            raise ValueError("active_counts must be finite, non-negative, with a positive start")
        if (np.diff(n) > 0).any():
            i = int(np.argmax(np.diff(n) > 0)) + 1
            raise ValueError(f"active_counts must not increase (period {i}: {n[i - 1]} -> {n[i]})")
        T = n.size - 1
        # One row per cancellation period 1..T (those lost in it), plus the T-period survivors.
        periods = np.append(np.arange(1, T + 1), T).astype("float64")
        censored = np.append(np.zeros(T, dtype=bool), True)
        weights = np.append(-np.diff(n), n[-1])
        return self._fit(periods, censored, weights)

    def fit_durations(self, durations, censored) -> ShiftedBetaGeometric:
        """Fit from individual customers' durations, some still running (right-censored).

        Use it when customers started at different times, so that no single
        cohort's counts describe them all (for example subscriptions taken up
        month after month and observed to one cut-off date).

        Parameters
        ----------
        durations : array-like of int
            For a customer who cancelled: the periods they paid for (>= 1).
            For one still active at the cut-off: the periods completed so far
            (>= 0); all we know is that their lifetime is longer.
        censored : array-like of bool
            ``True`` for customers still active at the cut-off.

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted.

        Examples
        --------
        >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]
        >>> lost = -np.diff(regular)
        >>> durations = np.append(np.repeat(np.arange(1, 8), lost), np.full(241, 7))
        >>> censored = np.append(np.zeros(lost.sum(), bool), np.ones(241, bool))
        >>> m = ShiftedBetaGeometric().fit_durations(durations, censored)
        >>> round(m.alpha_, 3), round(m.beta_, 3)
        (0.704, 1.182)
        """
        t = np.asarray(durations, dtype="float64")
        c = np.asarray(censored)
        if t.ndim != 1 or t.size == 0:
            raise ValueError("durations must be a non-empty one-dimensional array")
        if c.shape != t.shape:
            raise ValueError(
                f"censored must have one flag per duration ({t.size}), got shape {c.shape}"
            )
        if c.dtype != bool:
            raise ValueError("censored must be booleans (True = still active)")
        if not np.isfinite(t).all() or (t % 1 != 0).any() or (t < 0).any():
            raise ValueError("durations must be whole numbers of periods >= 0")
        if ((t < 1) & ~c).any():
            raise ValueError(
                "durations of cancelled customers must be >= 1 (the first period is paid)"
            )
        # Still active after 0 periods says nothing (survival at 0 is 1): leave them out.
        t, c = t[t > 0], c[t > 0]
        if (~c).sum() == 0:
            raise ValueError("no cancellation among the durations: the sBG model cannot be fitted")
        # Many customers share a (duration, censored) pair: fit on the distinct pairs.
        pairs, weights = np.unique(np.column_stack([t, c]), axis=0, return_counts=True)
        return self._fit(pairs[:, 0], pairs[:, 1].astype(bool), weights.astype("float64"))

    def _fit(self, t: np.ndarray, censored: np.ndarray, w: np.ndarray) -> ShiftedBetaGeometric:
        """Maximum likelihood on distinct (periods, censored) rows with weights ``w``."""
        lost, kept = np.where(censored, 0.0, w), np.where(censored, w, 0.0)
        def neg(theta):
            a, b = np.exp(theta)
            lb = special.betaln(a, b)
            # P(cancel after t periods) = B(a+1, b+t-1) / B(a, b);
            # P(still active after t periods) = B(a, b+t) / B(a, b)
            lp = special.betaln(a + 1, b + t - 1) - lb
            ls = special.betaln(a, b + t) - lb
            ll = np.dot(lost, lp) + np.dot(kept, ls)
            dab = special.digamma(a + b)
            # d lnB(x, y)/dx = psi(x) - psi(x + y)
            dlb = np.array([special.digamma(a) - dab, special.digamma(b) - dab])
            dp_a = special.digamma(a + 1) - special.digamma(a + b + t) - dlb[0]
            dp_b = special.digamma(b + t - 1) - special.digamma(a + b + t) - dlb[1]
            ds_a = special.digamma(a) - special.digamma(a + b + t) - dlb[0]
            ds_b = special.digamma(b + t) - special.digamma(a + b + t) - dlb[1]
            grad = np.array(
                [np.dot(lost, dp_a) + np.dot(kept, ds_a), np.dot(lost, dp_b) + np.dot(kept, ds_b)]
            ) * np.array([a, b])
            return -ll, -grad

        res = minimize_bounded(neg, np.zeros(2), ftol=1e-12, gtol=1e-9)
        if not res.success:
            # Along the ridge where alpha and beta trade off, the line search can stall
            # at the optimum: the step the remaining gradient (1e-5 or so) asks for
            # changes a log-likelihood summed over a thousand customers by less than
            # its rounding. A gradient g leaves the log-parameters about g * variance
            # from the maximum, far inside their standard errors for g <= 1e-4: accept
            # that from where the search stopped.
            res = minimize_bounded(neg, res.x, ftol=1e-12, gtol=1e-4)
        self.alpha_, self.beta_ = (float(v) for v in np.exp(res.x))
        se, self.converged_ = check_fit("sBG", ["alpha", "beta"], res, neg)
        self.standard_errors_ = {"alpha": float(se[0]), "beta": float(se[1])}
        self.loglik_ = float(-res.fun)
        return self

    def _ab(self):
        check_is_fitted(self, "alpha_")
        return self.alpha_, self.beta_

    @staticmethod
    def _periods(t, name="t", start=0) -> np.ndarray:
        arr = np.asarray(t, dtype="float64")
        if not np.isfinite(arr).all() or (arr < start).any() or (arr % 1 != 0).any():
            raise ValueError(f"{name} must be whole numbers >= {start}")
        return arr

    def survival(self, t):
        """Share of the cohort still active at the start of period t: B(a, b+t) / B(a, b)."""
        a, b = self._ab()
        t = self._periods(t)
        return _scalar_or_array(np.exp(special.betaln(a, b + t) - special.betaln(a, b)))

    def retention_rate(self, t):
        """Share of those active in period t-1 who renew for period t: (b+t-1) / (a+b+t-1)."""
        a, b = self._ab()
        t = self._periods(t, start=1)
        return _scalar_or_array((b + t - 1) / (a + b + t - 1))

    def discounted_expected_lifetime(self, discount: float) -> float:
        """Expected number of periods a new customer pays for, discounted.

        Sum over t >= 0 of S(t) / (1 + d)^t, which equals
        2F1(1, b; a + b; 1 / (1 + d)) (Fader and Hardie, 2010).
        """
        a, b = self._ab()
        if not np.isfinite(discount) or discount <= 0:
            raise ValueError(f"discount must be a positive number, got {discount!r}")
        return float(special.hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount)))
