"""Marketing spend by month and channel, from the tables it is made of.

Three kinds of spend, each taken from the table that records the activity, so
the totals agree with those tables to the cent:

* ``acquisition``: every contact of an acquisition campaign (prospects and the
  bought-in list) at its campaign's ``cost_per_contact``, in the contact's month;
* ``retention``: every contact of a retention campaign at its campaign's
  ``cost_per_contact``, plus the ``discount`` of every order that redeemed the
  offer (the whole discount of that order, a free drink taken with it included),
  in the month of the redemption (channel = the campaign's channel);
* ``media``: the autumn push's ``media_plan`` spend by medium, each week's
  spend spread evenly over its seven days and so over the months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _month(dates) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]").astype("datetime64[M]").astype(
        "datetime64[D]")


def marketing_spend(contacts: pd.DataFrame, campaigns: pd.DataFrame,
                    media_plan: pd.DataFrame, offer_discounts: pd.DataFrame) -> pd.DataFrame:
    """The ``marketing_spend`` table: ``month``, ``category``, ``channel``, ``item``, ``spend``.

    Parameters
    ----------
    offer_discounts : pandas.DataFrame
        ``campaign_id``, ``date`` and ``discount`` (dollars) of each order that
        redeemed a retention offer.
    """
    camp = campaigns.set_index("campaign_id")
    c = pd.DataFrame({"month": _month(contacts["contact_date"]),
                      "campaign_id": contacts["campaign_id"].to_numpy()})
    c["category"] = np.where(camp.loc[c["campaign_id"], "audience"].to_numpy() == "customers",
                             "retention", "acquisition")
    c["channel"] = camp.loc[c["campaign_id"], "channel"].to_numpy()
    c["cents"] = np.round(camp.loc[c["campaign_id"], "cost_per_contact"].to_numpy() * 100
                          ).astype(np.int64)
    c["item"] = "contacts"
    d = pd.DataFrame({"month": _month(offer_discounts["date"]),
                      "category": "retention",
                      "channel": camp.loc[offer_discounts["campaign_id"], "channel"].to_numpy(),
                      "cents": np.round(offer_discounts["discount"].to_numpy() * 100
                                        ).astype(np.int64),
                      "item": "offer discounts"})
    # Media: each week's spend in cents, spread over its days (whole cents, the
    # remainder on the first days), then summed by month.
    mp = media_plan
    week_cents = np.round(mp["spend"].to_numpy() * 100).astype(np.int64)
    per_day = week_cents[:, None] // 7 + (np.arange(7)[None, :] < (week_cents % 7)[:, None])
    days = (np.asarray(mp["week_start"], dtype="datetime64[D]")[:, None]
            + np.arange(7)[None, :].astype("timedelta64[D]"))
    m = pd.DataFrame({"month": _month(days.ravel()), "category": "media",
                      "channel": np.repeat(mp["medium"].to_numpy(), 7),
                      "cents": per_day.ravel(), "item": "media plan"})
    rows = pd.concat([c.drop(columns="campaign_id"), d, m], ignore_index=True)
    out = rows.groupby(["month", "category", "channel", "item"], as_index=False)["cents"].sum()
    out = out[out["cents"] > 0]
    out["spend"] = out.pop("cents") / 100
    out["month"] = out["month"].astype("datetime64[s]")
    return out.sort_values(["month", "category", "channel", "item"], ignore_index=True)
