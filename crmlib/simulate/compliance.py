"""Requests to be forgotten, and the few contacts that broke them (an answer key).

A customer who asks to be erased comes off the campaign lists: a retention
campaign's list is drawn ``CAMPAIGN_LIST_LEAD_DAYS`` before it goes out, and
leaves out everyone whose request had reached the marketing team by then. Two
things go wrong, rarely, as in a real firm: a share ``erasure_breach`` of the
requests is logged by the service desk but never passed on to marketing, and a
request that arrives after the list was drawn is not checked before sending.
Each contact that follows a request is a compliance breach; the answer key
``compliance_breaches`` lists every one of them with its reason (lesson 06
finds them by matching ``erasure_requests`` to the campaign contacts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.simulate import settings as S
from crmlib.simulate.settings import SILO_SETTINGS
from crmlib.simulate.streams import to_date
from crmlib.simulate.timing import lognormal_days

NOT_PASSED = "request logged by the service desk, never passed to marketing"
LATE = "request received after the campaign list was drawn, not checked before sending"


def erasure_days(rng: np.random.Generator, truth, signup_day: np.ndarray, end_day: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The day each customer asks to be forgotten (inf if never), and if marketing hears.

    A share ``erasure_requests.customer_share`` of customers asks, at least 30
    days after signing up and a right-skewed while later (``ERASURE_DELAY``);
    requests that would come after the data ends are not in it.

    Returns
    -------
    day : numpy.ndarray
        Simulation day of the request, ``inf`` for customers who never ask.
    passed : numpy.ndarray of bool
        Whether the request reaches the marketing team (``1 - erasure_breach``).
    """
    n = len(signup_day)
    asks = rng.random(n) < SILO_SETTINGS["erasure_requests.customer_share"]
    day = (np.floor(signup_day) + 30
           + np.floor(lognormal_days(rng, *S.ERASURE_DELAY, n)))
    day = np.where(asks & (day <= end_day), day, np.inf)
    passed = rng.random(n) >= truth.erasure_breach
    return day, passed


def off_list_day(day: np.ndarray, passed: np.ndarray) -> np.ndarray:
    """From which day a customer is left off campaign lists (inf: never)."""
    return np.where(passed, day, np.inf)


def compliance_breaches(contacts: pd.DataFrame, erase_day: np.ndarray, passed: np.ndarray
                        ) -> pd.DataFrame:
    """The answer key: every contact made to a customer after their erasure request.

    Parameters
    ----------
    contacts : pandas.DataFrame
        The ``contacts`` table (``contact_id``, ``customer_id``, ``contact_date``).
    erase_day, passed : numpy.ndarray
        Per customer (index = customer_id - 1): request day (inf if none) and
        whether it reached marketing.
    """
    c = contacts[contacts["customer_id"].notna()]
    cid = c["customer_id"].to_numpy(dtype=np.int64)
    req = erase_day[cid - 1]
    contact_day = (c["contact_date"].to_numpy().astype("datetime64[D]") - S.START).astype(
        np.int64)
    after = contact_day > req  # a contact on the day of the request went out before it
    out = pd.DataFrame({
        "contact_id": c["contact_id"].to_numpy()[after],
        "customer_id": cid[after],
        "request_date": to_date(req[after]),
        "contact_date": c["contact_date"].to_numpy()[after],
        "reason": np.where(passed[cid[after] - 1], LATE, NOT_PASSED),
    })
    return out.sort_values("contact_id", ignore_index=True)
