"""The web shop's monthly bean subscription: a contractual corner of the business.

Each subscriber has their own monthly cancellation chance ``theta`` drawn from
Beta(sbg_alpha, sbg_beta) and keeps it: the shifted-beta-geometric story of
Fader and Hardie (2007). Those likely to cancel go first, so the share of
remaining subscribers who renew rises with tenure although nobody's own
chance changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.simulate import settings as S
from crmlib.simulate.streams import day_of, days_of
from crmlib.simulate.timing import lognormal_days


def subscriptions(rng: np.random.Generator, truth, web_first: pd.DataFrame,
                  life: np.ndarray) -> pd.DataFrame:
    """Subscriptions taken by web-shop customers.

    Parameters
    ----------
    web_first : pandas.DataFrame
        ``customer_id`` and ``date`` of each customer's first web order.
    life : numpy.ndarray
        Lifestyle index of each row of ``web_first``.

    Returns
    -------
    pandas.DataFrame
        ``subscription_id``, ``customer_id``, ``start_date``, ``end_date``
        (missing while active), ``plan``, ``monthly_price``.
    """
    first_day = np.maximum(days_of(web_first["date"]), day_of(S.SUBSCRIPTION_START))
    takes = rng.random(len(web_first)) < S.SUBSCRIPTION_TAKE_UP[life]
    # Subscribers sign up a right-skewed while after their first web order: most
    # within a few weeks, some months later.
    start = first_day + np.floor(lognormal_days(rng, *S.SUBSCRIPTION_DELAY,
                                                len(web_first))).astype(np.int64)
    takes &= start <= day_of(S.END) - 1
    cust = web_first["customer_id"].to_numpy()[takes]
    start = start[takes]
    n = len(cust)
    theta = rng.beta(truth.sbg_alpha, truth.sbg_beta, n)
    months = rng.geometric(theta)  # paid months before cancelling (at least one)
    start_date = (np.datetime64("2023-01-01") + start.astype("timedelta64[D]"))
    start_m = start_date.astype("datetime64[M]")
    dom = (start_date - start_m.astype("datetime64[D]")).astype(np.int64)
    end_m = start_m + months.astype("timedelta64[M]")
    end_date = end_m.astype("datetime64[D]") + np.minimum(dom, 27).astype("timedelta64[D]")
    active = end_date > S.END
    plan = rng.choice(list(S.SUBSCRIPTION_PLANS), p=S.SUBSCRIPTION_PLAN_WEIGHTS, size=n)
    out = pd.DataFrame({
        "customer_id": cust,
        "start_date": start_date,
        "end_date": pd.Series(end_date).where(~active),
        "plan": plan,
        "monthly_price": pd.Series(plan).map(S.SUBSCRIPTION_PLANS).to_numpy(),
    }).sort_values(["start_date", "customer_id"], ignore_index=True)
    out.insert(0, "subscription_id", np.arange(1, n + 1))
    return out
