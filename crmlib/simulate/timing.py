"""Delays and the calendar of working days, shared by the simulation's parts.

Real delays (a reply to a mailing, a complaint after an order, a subscription
after a first order) are right-skewed with long tails, so every delay that
follows an event is drawn from a log-normal distribution given by its median
and the standard deviation of its logarithm (``settings`` names each one).
Campaigns go out, and parcels travel, on working days: not on Saturdays,
Sundays or ``settings.PUBLIC_HOLIDAYS``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from crmlib.simulate import settings as S

_WEEKMASK = "1111100"


def lognormal_days(rng: np.random.Generator, median: float, sigma: float, size: int,
                   upper=None) -> np.ndarray:
    """Log-normal delays in (fractional) days, optionally below ``upper``.

    With ``upper`` (a number or one per draw) each delay is drawn from the
    log-normal cut at ``upper`` by the inverse of its distribution function,
    so nothing piles up at the limit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = lognormal_days(rng, 2.0, 1.0, 20_000)
    >>> round(float(np.median(d)), 1), bool((d > 0).all())
    (2.0, True)
    >>> bool((lognormal_days(rng, 10.0, 1.0, 1000, upper=3.0) < 3.0).all())
    True
    """
    mu = np.log(median)
    u = rng.random(size)
    if upper is not None:
        upper = np.maximum(np.asarray(upper, dtype="float64"), 1e-9)
        top = special.ndtr((np.log(upper) - mu) / sigma)
        u = u * top
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return np.exp(mu + sigma * special.ndtri(u))


def working_day(day, forward: bool = True) -> np.ndarray:
    """The simulation day itself if it is a working day, else the next (or previous) one.

    Examples
    --------
    >>> working_day([0, 1, 6]).tolist()  # Sun 2023-01-01, Mon 2 Jan (a holiday), Sat 7 Jan
    [2, 2, 8]
    """
    dates = S.START + np.asarray(day, dtype="int64").astype("timedelta64[D]")
    out = np.busday_offset(dates, 0, roll="forward" if forward else "backward",
                           weekmask=_WEEKMASK, holidays=S.PUBLIC_HOLIDAYS)
    return (out - S.START).astype(np.int64)


def add_working_days(day, n) -> np.ndarray:
    """The simulation day ``n`` working days after ``day`` (rolled to a working day first).

    Examples
    --------
    >>> add_working_days([5], 3).tolist()  # Fri 2023-01-06 + 3 working days = Wed 11 Jan
    [10]
    """
    dates = S.START + np.asarray(day, dtype="int64").astype("timedelta64[D]")
    out = np.busday_offset(dates, n, roll="forward", weekmask=_WEEKMASK,
                           holidays=S.PUBLIC_HOLIDAYS)
    return (out - S.START).astype(np.int64)


def is_working_day(day) -> np.ndarray:
    """Whether each simulation day is a working day."""
    dates = S.START + np.asarray(day, dtype="int64").astype("timedelta64[D]")
    return np.is_busday(dates, weekmask=_WEEKMASK, holidays=S.PUBLIC_HOLIDAYS)
