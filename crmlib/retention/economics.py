"""Retention economics: what a customer is worth when a share of customers stays.

* :func:`margin_multiple`, :func:`clv_constant_retention` and
  :func:`margin_multiple_grid`: lifetime value when a constant share of
  customers stays each period (Gupta and Lehmann).
* :func:`value_elasticities`: what a 1% better retention, margin or acquisition
  cost does to a new customer's value (Gupta, Lehmann and Stuart).
* :func:`cohort_profit` and :func:`defection_cut_effect`: the mechanism behind
  Reichheld and Sasser's "Zero Defections" (profit per customer grows with
  tenure, so fewer defections raise the value of every customer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.checks import check_number, check_numbers
from crmlib.errors import ArgumentError

__all__ = [
    "clv_constant_retention",
    "cohort_profit",
    "defection_cut_effect",
    "margin_multiple",
    "margin_multiple_grid",
    "value_elasticities",
]


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
    r = check_numbers(retention, "retention", low=0, high=1, what="retention rates")
    i = check_numbers(discount, "discount", low=0, what="discount rates")
    if (1 + i - r <= 0).any():
        raise ArgumentError("retention = 1 with discount = 0 gives an infinite lifetime value")
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
    m = check_numbers(margin, "margin", what="margins")
    r = check_numbers(retention, "retention", low=0, high=1, what="retention rates")
    i = check_numbers(discount, "discount", low=0, what="discount rates")
    if first_margin_now:
        margin_multiple(r, i)  # refuses an infinite value
        return _scalar_or_array(m * (1 + i) / (1 + i - r))
    return _scalar_or_array(m * np.asarray(margin_multiple(r, i)))


def margin_multiple_grid(retentions, discounts) -> pd.DataFrame:
    """What-if table of margin multiples: retention rates down, discount rates across."""
    r = check_numbers(retentions, "retentions", low=0, high=1, ndim=1, what="retention rates")
    i = check_numbers(discounts, "discounts", low=0, ndim=1, what="discount rates")
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
    margin = check_number(margin, "margin", low=0, low_open=True)
    acquisition_cost = check_number(acquisition_cost, "acquisition_cost", low=0)
    r = check_number(retention, "retention", low=0, high=1)
    i = check_number(discount, "discount", low=0)
    mult = float(margin_multiple(r, i))
    value = margin * mult - acquisition_cost
    if value <= 0:
        raise ArgumentError(
            "acquisition_cost must be below the customer's lifetime value "
            f"({margin * mult:.2f}): a customer worth nothing has no elasticities"
        )
    # d/dr [r / (1 + i - r)] = (1 + i) / (1 + i - r)^2
    d_value_d_r = margin * (1 + i) / (1 + i - r) ** 2
    return {
        "retention": d_value_d_r * r / value,
        "margin": margin * mult / value,
        "acquisition_cost": acquisition_cost / value,
        "value": value,
    }


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
    r = check_number(retention, "retention", low=0, high=1, high_open=True)
    discount = check_number(discount, "discount", low=0)
    acquisition_cost = check_number(acquisition_cost, "acquisition_cost")
    p = check_numbers(profits, "profits", ndim=1, empty=False, what="profits")
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
    cut = check_number(cut, "cut")
    defection = check_number(defection, "defection")
    if not 0 <= cut <= defection <= 1:
        raise ArgumentError(
            f"need 0 <= cut <= defection <= 1, got cut={cut}, defection={defection}"
        )
    before = cohort_profit(1 - defection, profits, acquisition_cost, discount)
    after = cohort_profit(1 - defection + cut, profits, acquisition_cost, discount)
    if before <= 0:
        raise ArgumentError(
            "the customer is worth nothing before the cut: the relative increase is undefined"
        )
    return {"npv_before": before, "npv_after": after, "increase": after / before - 1}
