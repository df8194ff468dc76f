"""Answer key of workbook 01, continuity of contact.

Every reference is computed from the student's data variant when the grader
asks for it, with pandas written independently of the worked solutions (which
use ``crmlib.contact``): plain merges and group sums. Loads are cached, so a
variant's data are simulated once per process.
"""

from functools import lru_cache

import numpy as np
import pandas as pd

from crmlib.contact import AwarenessModel
from crmlib.data import load_harbor
from crmlib.exercises import Choice, Number

TITLE = "Continuity of contact: routes, segments, awareness and the phone line"


@lru_cache(maxsize=64)
def _table(name, variant):
    return load_harbor(name, variant=variant)


def _acquisition_contacts(variant):
    contacts = _table("contacts", variant)
    campaigns = _table("campaigns", variant)
    acq = contacts[contacts["campaign_id"] <= 13]
    info = campaigns.set_index("campaign_id")
    out = pd.DataFrame({
        "channel": info.loc[acq["campaign_id"], "channel"].to_numpy(),
        "cost": info.loc[acq["campaign_id"], "cost_per_contact"].to_numpy(),
        "prospect": acq["prospect_id"].notna().to_numpy(),
        "prospect_id": acq["prospect_id"].to_numpy(),
        "exposure": acq["exposure"].to_numpy(),
        "lead": acq["responded"].to_numpy(),
        "sale": acq["sale"].to_numpy()})
    return out


def _cost_per_sale(variant, channel):
    acq = _acquisition_contacts(variant)
    part = acq[acq["prospect"] & (acq["channel"] == channel)]
    return float(part["cost"].sum() / part["sale"].sum())


def email_cost_per_sale(variant):
    return _cost_per_sale(variant, "email")


def free_sample_lead_rate(variant):
    acq = _acquisition_contacts(variant)
    first = acq[acq["prospect"] & (acq["exposure"] == 1)]
    prospects = _table("prospects", variant).set_index("prospect_id")["source"]
    source = prospects.reindex(first["prospect_id"].astype("int64")).to_numpy()
    return float(first.loc[source == "free sample", "lead"].mean())


@lru_cache(maxsize=8)
def first_year_margin(variant):
    purchases = _table("purchases", variant)
    items = _table("order_items", variant).merge(
        _table("products", variant)[["product_id", "unit_cost"]], on="product_id")
    items["line"] = items["quantity"] * (items["unit_price"] - items["unit_cost"])
    basket = items.groupby("order_id")["line"].sum()
    orders = purchases.merge(basket.rename("basket"), left_on="order_id", right_index=True,
                             how="left").fillna({"basket": 0.0})
    orders["margin"] = orders["basket"] - orders["discount"]
    signup = _table("customers", variant)[["customer_id", "signup_date"]]
    year_end = signup["signup_date"] + pd.Timedelta(days=365)
    full = signup[year_end - pd.Timedelta(days=1) <= pd.Timestamp("2025-12-31")]
    orders = orders.merge(full, on="customer_id")
    first = orders[orders["date"] < orders["signup_date"] + pd.Timedelta(days=365)]
    total = first.groupby("customer_id")["margin"].sum()
    return float(total.reindex(full["customer_id"], fill_value=0.0).mean())


def direct_mail_payback(variant):
    years = _cost_per_sale(variant, "direct mail") / first_year_margin(variant)
    return 0 if years < 1 else (1 if years <= 3 else 2)


def _evening_window(variant):
    """Lost and all calls in the 30 minutes after an evening spot, each call once: for the
    latest spot (of any time of day) aired at or before it."""
    calls = _table("calls", variant)
    airs = np.sort(_table("tv_spots", variant)["air_time"].to_numpy())
    t = calls["arrival_time"].to_numpy()
    latest = np.searchsorted(airs, t, side="right") - 1  # -1: before the first spot
    after = latest >= 0
    air = airs[np.clip(latest, 0, None)]
    hour = air.astype("datetime64[h]").astype(np.int64) % 24
    sel = after & (t < air + np.timedelta64(30, "m")) & (hour >= 18)
    lost = (calls["outcome"] != "answered").to_numpy()
    return int(lost[sel].sum()), int(sel.sum())


def evening_lost_share(variant):
    lost, n = _evening_window(variant)
    return float(lost / n)


def mean_patience_minutes(variant):
    calls = _table("calls", variant)
    queued = calls[calls["outcome"] != "closed"]
    return float(queued["wait_seconds"].sum() / (queued["outcome"] == "abandoned").sum() / 60)


def awareness_decay(variant):
    survey = _table("awareness", variant)
    plan = _table("media_plan", variant).groupby("week_start")["grps"].sum()
    grps = plan.reindex(survey["week_start"], fill_value=0.0).to_numpy()
    return float(AwarenessModel().fit(grps, survey["aware"], survey["sample_size"]).decay_)


QUESTIONS = [
    Number("q1", reference=email_cost_per_sale, points=1, tol=0.05, unit="dollars",
           prompt="Cost per sale of the email campaigns to prospects, in dollars.",
           hint="Add up cost_per_contact over every email contact to a prospect, then divide "
                "by the number of those contacts that ended in a sale.",
           solution="route_economics(prospect contacts, 'channel', 'cost_per_contact')"
                    ".loc['email', 'cost_per_sale']"),
    Number("q2", reference=free_sample_lead_rate, points=1, tol=0.0005, percent=True,
           prompt="Lead rate at the first contact of prospects whose source is 'free sample'.",
           hint="Keep prospect contacts with exposure == 1, attach each prospect's source, "
                "and take the mean of responded for the free-sample ones.",
           solution="first contacts joined to prospects.source; groupby('source')"
                    "['responded'].mean()['free sample']"),
    Number("q3", reference=first_year_margin, points=2, tol=0.05, unit="dollars",
           prompt="Mean gross margin a customer brings in their first 365 days, over the "
                  "customers whose first year ends by 2025-12-31.",
           hint="order_margin(purchases, order_items, products) per order, then "
                "first_year_value(purchases, signup, end='2025-12-31').mean().",
           solution="Margin per order = sum of quantity x (unit_price - unit_cost) less the "
                    "discount; add it up per customer over the 365 days from sign-up, keeping "
                    "customers with a whole first year (those with no order in it count as 0)."),
    Choice("q4", reference=direct_mail_payback, points=1,
           options=["it pays back within the first year",
                    "it costs between one and three years of first-year margin",
                    "it costs more than three years of first-year margin"],
           prompt="Compare the cost per sale of the direct-mail campaigns to prospects with "
                  "your first-year margin (q3).",
           hint="Divide direct mail's cost per sale by the first-year margin.",
           solution="cost per sale of direct mail / first-year margin: below 1, 1 to 3, or "
                    "above 3."),
    Number("q5", reference=evening_lost_share, points=1, tol=0.001, percent=True,
           prompt="Share of the calls arriving in the 30 minutes after a spot aired at 18:00 "
                  "or later that were lost (abandoned or closed).",
           hint="calls_after_spots(calls, evening spots, minutes=30); lost over calls.",
           solution="after = calls_after_spots(calls, spots[spots.air_time.dt.hour >= 18]); "
                    "after['lost'].sum() / after['calls'].sum()"),
    Number("q6", reference=mean_patience_minutes, points=1, tol=0.01, unit="minutes",
           prompt="Callers' mean patience, estimated from the call log, in minutes.",
           hint="Leave out calls that found the line closed; total waiting time over the "
                "number who hung up (estimate_patience).",
           solution="estimate_patience(queued.wait_seconds, queued.outcome == 'abandoned') / 60"),
    Number("q7", reference=awareness_decay, points=2, tol=0.01,
           prompt="Weekly adstock decay fitted to the awareness survey.",
           hint="Weekly total GRPs of the media plan, with 0 in the survey weeks without "
                "advertising; AwarenessModel().fit(grps, aware, sample_size).decay_.",
           solution="AwarenessModel().fit(grps, survey.aware, survey.sample_size).decay_"),
    Choice("q8", reference=lambda variant: 2, points=1,
           options=["about three in five callers wait, as in the lesson's simulation",
                    "nobody waits, since 12 calls an hour is less than one every 5 minutes",
                    "the queue grows without end, because the load is more than one agent",
                    "every caller hangs up"],
           prompt="One agent, 12 calls an hour, 5.5-minute calls: what does Erlang C say?",
           hint="Compute the load in Erlangs: calls per hour x hours per call.",
           solution="12 x 5.5 / 60 = 1.1 Erlangs, more than one agent: Erlang C (callers who "
                    "never hang up) has no steady state, and erlang_c returns 1."),
]
