"""Simulate every Harbor Coffee table: the orchestrating function and its steps."""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pandas as pd

from crmlib.simulate import baskets as B
from crmlib.simulate import cafes as C
from crmlib.simulate import compliance as CO
from crmlib.simulate import media as M
from crmlib.simulate import people as P
from crmlib.simulate import settings as S
from crmlib.simulate.buying import BuyerState, all_topics, choose_channel, simulate_buying
from crmlib.simulate.campaigns import RetentionCampaigns
from crmlib.simulate.email_events import email_events
from crmlib.simulate.settings import SILO_SETTINGS, HarborTruth
from crmlib.simulate.silos import simulate_silos
from crmlib.simulate.spend import marketing_spend
from crmlib.simulate.streams import day_of, days_of, month_of, rng_for, to_date
from crmlib.simulate.subscriptions import subscriptions
from crmlib.simulate.timing import add_working_days, lognormal_days

BTYD_NAMES = ["r", "alpha", "a", "b", "p", "q", "gamma", "sbg_alpha", "sbg_beta"]


def true_parameters(variant: int | None = None) -> dict[str, float]:
    """Return the true simulation parameters of the base data or a variant.

    Parameters
    ----------
    variant : int or None
        ``None`` for the committed data; an integer for a student's variant,
        whose BG/NBD, Gamma-Gamma and sBG parameters are the base ones scaled
        by a reproducible factor between 0.9 and 1.1.

    Returns
    -------
    dict
        Parameter name to value (see :class:`HarborTruth`).

    Examples
    --------
    >>> true_parameters()["r"]
    0.4
    """
    return asdict(truth_of(variant))


def truth_of(variant: int | None) -> HarborTruth:
    """The :class:`HarborTruth` of the committed data or of a variant."""
    base = HarborTruth()
    if variant is None:
        return base
    factors = rng_for(variant, "truth").uniform(0.9, 1.1, size=len(BTYD_NAMES))
    return replace(base, **{n: round(float(getattr(base, n) * f), 3)
                           for n, f in zip(BTYD_NAMES, factors)})


def _season(n_days: int) -> np.ndarray:
    """Relative busyness of each simulation day (a whole year averages 1)."""
    month = month_of(np.arange(n_days))
    return S.MONTH_FACTOR[month] / np.average(
        S.MONTH_FACTOR, weights=[31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _remote_peaks(n_days: int) -> np.ndarray:
    """Black Friday and pre-Christmas multipliers of remote orders (a year averages 1).

    Examples
    --------
    >>> f = _remote_peaks(3 * 365)
    >>> day = lambda date: int((np.datetime64(date) - S.START).astype(int))
    >>> bool(f[day("2024-11-29")] > f[day("2024-11-22")])  # Black Friday, a week before
    True
    """
    dates = S.START + np.arange(n_days).astype("timedelta64[D]")
    years = np.unique(dates.astype("datetime64[Y]"))
    f = np.ones(n_days)
    factor, until = S.CHRISTMAS_RUN_UP
    for year in years:
        november = year.astype("datetime64[M]") + np.timedelta64(10, "M")
        thanksgiving = np.busday_offset(november.astype("datetime64[D]"), 3, roll="forward",
                                        weekmask="Thu")
        end = np.datetime64(f"{year}-{until}")
        f[(dates > thanksgiving + 4) & (dates <= end)] = factor
        f[(dates >= thanksgiving) & (dates <= thanksgiving + 4)] = S.CYBER_WEEKEND
    return f / f[:365].mean()


def _day_factor(truth, n_days: int, remote: bool) -> np.ndarray:
    """Season (and for remote orders the pre-Christmas peak) times the media push."""
    f = _season(n_days) * (1 + truth.push_order_lift * M.daily_push(truth, n_days))
    return f * _remote_peaks(n_days) if remote else f


def _lognormal(rng, median_sigma, n) -> np.ndarray:
    median, sigma = median_sigma
    return median * np.exp(rng.normal(0, sigma, n))


def _people_group(rng, truth, signup_day, channel, region, first_time=None):
    """Customers' profiles and traits, and when each starts buying in cafes and remotely."""
    cust, latent = P.customers(rng, truth, signup_day, channel, region)
    first = latent["first_channel"].to_numpy()
    # Cafes are closed on some days: a first visit on such a day moves to the next one.
    closed = C.holiday_factor(int(signup_day.max()) + 3) == 0
    shift = (first == 0) & closed[signup_day]
    signup_day = signup_day + shift
    cust["signup_day"] = signup_day
    start = signup_day + (first_time if first_time is not None
                          else 0.3 + 0.6 * rng.random(len(signup_day)))
    n = len(start)
    remote = np.where(first > 0, start,
                      start + _lognormal(rng, S.FIRST_REMOTE_DAYS, n))
    remote = np.where(latent["bean_buyer"].to_numpy(), remote, np.inf)
    cafe = np.where(first == 0, start, start + _lognormal(rng, S.FIRST_CAFE_DAYS, n))
    cafe = np.where(latent["cafe_visitor"].to_numpy(), cafe, np.inf)
    return cust, latent, start, remote, cafe


def _remote_buyers(latent, remote_start, end):
    """The bean buyers who order remotely before ``end``, and their BG/NBD state."""
    rb = np.flatnonzero(remote_start < end)
    st = BuyerState(lam=latent["lam"].to_numpy()[rb], p=latent["p"].to_numpy()[rb],
                    start=remote_start[rb], life=latent["life"].to_numpy()[rb],
                    nu=latent["nu"].to_numpy()[rb],
                    no_phone_until=np.full(len(rb), -np.inf))
    return rb, st


def _first_remote_channel(rng, latent, rb):
    first = latent["first_channel"].to_numpy()[rb]
    return np.where(first > 0, first, choose_channel(rng, latent["life"].to_numpy()[rb]))


def simulate_harbor(variant: int | None = None, *, silos: bool = True
                    ) -> dict[str, pd.DataFrame]:
    """Simulate every Harbor Coffee table.

    Parameters
    ----------
    variant : int or None
        ``None`` for the committed data set; a non-negative integer for a
        reproducible per-student variant.
    silos : bool
        ``False`` leaves out the silo tables of lesson 06 (``web_accounts`` ...
        ``silo_links``), about a third of the work; the other tables are the
        same either way, since every part draws from its own random stream.

    Returns
    -------
    dict of str to pandas.DataFrame
        One DataFrame per table, keyed by table name (see ``datasets/README.md``).

    Examples
    --------
    >>> tables = simulate_harbor()
    >>> sorted(tables)[:3]
    ['awareness', 'call_staffing', 'calls']
    >>> "silo_links" in simulate_harbor(silos=False)
    False
    """
    tables, silo_inputs = simulate_core(variant)
    if silos:
        tables.update(simulate_silo_tables(variant, tables, silo_inputs))
    return tables


# Text columns are built and joined many times inside the simulation; pandas' own
# Python string storage does that faster than Arrow's, and the tables' values are
# the same (every table goes through the committed CSV format before it is used).
_STRINGS = ("mode.string_storage", "python")


def simulate_core(variant: int | None = None
                  ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Every Harbor Coffee table but the silos, and what the silos are drawn from.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        The tables of :func:`simulate_harbor` without the silo tables.
    silo_inputs : dict of str to pandas.DataFrame
        The clean customer records, service tickets and coupons that
        :func:`simulate_silo_tables` needs.
    """
    with pd.option_context(*_STRINGS):
        return _simulate_core(variant)


def simulate_silo_tables(variant: int | None, tables: dict[str, pd.DataFrame],
                         silo_inputs: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The silo tables of a variant, from the output of :func:`simulate_core`."""
    with pd.option_context(*_STRINGS):
        return simulate_silos(
            lambda name: rng_for(variant, name), silo_inputs["customers"],
            tables["purchases"], silo_inputs["tickets"], silo_inputs["coupons"],
            tables["prospects"], S.END, suspects=tables["suspects"],
            erasures=silo_inputs.get("erasures"))



def _simulate_core(variant):
    truth = truth_of(variant)
    end = day_of(S.END) + 1
    n_days = end + 1

    # Media: exogenous to everything else.
    rng = rng_for(variant, "media")
    plan = M.media_plan()
    awareness = M.awareness_survey(rng, truth)
    spots = M.tv_spots(rng)
    spots["day"] = spots["day"].astype(np.int64)
    staff = M.staffing()
    rise = M.daily_push(truth, n_days)

    # People and acquisition.
    sus = P.suspects(rng_for(variant, "suspects"))
    pros = P.prospects(rng_for(variant, "prospects"))
    acq_campaigns, acq_contacts, pros, sale_day, sale_channel = P.acquisition_campaigns(
        rng_for(variant, "acquisition"), truth, pros, sus)

    rng = rng_for(variant, "signups")
    signup = P.organic_signups(rng, S.N_ORGANIC, end - 1)
    lift = rise[:end]  # sign-ups the push adds, on the days of the data
    n_push = rng.poisson(truth.push_signups_per_week / 7 * lift.sum())
    push_days = np.sort(rng.choice(end, p=lift / lift.sum(), size=n_push))
    org_channel = rng.choice(S.ORGANIC_CHANNELS, p=S.ORGANIC_CHANNEL_WEIGHTS, size=len(signup))
    conv = np.flatnonzero(sale_day >= 0)
    signup_all = np.concatenate([signup, push_days, sale_day[conv]])
    channel_all = np.concatenate([org_channel, np.full(n_push, "web search"),
                                  sale_channel[conv].astype(str)])
    region_all = np.concatenate([rng.choice(S.REGIONS, p=S.REGION_WEIGHTS,
                                            size=len(signup) + n_push),
                                 pros["region"].to_numpy()[conv]])
    prospect_idx = np.concatenate([np.full(len(signup) + n_push, -1), conv])
    order = np.lexsort((rng.random(len(signup_all)), signup_all))
    signup_all, channel_all = signup_all[order], channel_all[order]
    region_all, prospect_idx = region_all[order], prospect_idx[order]

    # Remote orders (BG/NBD), with the retention campaigns run inside them.
    rng = rng_for(variant, "purchases")
    cust, latent, start1, remote1, cafe1 = _people_group(rng, truth, signup_all, channel_all,
                                                         region_all)
    rb1, st = _remote_buyers(latent, remote1, end)
    remote_factor = _day_factor(truth, n_days + 400, remote=True)
    # Who asked to be forgotten, and who unsubscribed from e-mail as a prospect, is known
    # to the retention campaigns' lists (which hold the remote buyers rb1).
    erase_rng = rng_for(variant, "erasure")
    erase_day, erase_passed = CO.erasure_days(erase_rng, truth, signup_all, end - 1)
    is_p = acq_contacts["audience"].to_numpy() == "prospects"
    opted_out = acq_contacts.loc[is_p & acq_contacts["unsubscribed"].to_numpy(), "target"]
    email_off = (prospect_idx >= 0) & np.isin(prospect_idx, opted_out.to_numpy())
    retention = RetentionCampaigns(rng_for(variant, "retention"), truth,
                                   first_id=len(acq_campaigns) + 1,
                                   email_rng=rng_for(variant, "retention-email"),
                                   off_list=CO.off_list_day(erase_day, erase_passed)[rb1],
                                   email_off=email_off[rb1].copy())
    ev = simulate_buying(rng, st, truth, remote_factor, end, retention.days, retention,
                         first_channel=_first_remote_channel(rng, latent, rb1))
    for asg in retention.assignments:
        asg["customer_idx"] = rb1[asg["customer_idx"].to_numpy()]

    # The phone line during the push: existing customers' orders and spot callers.
    rng = rng_for(variant, "phone-line")
    w0, w1 = day_of(S.MEDIA_START), day_of(S.MEDIA_START) + 7 * S.MEDIA_WEEKS
    # Inbound orders only: the first order of a customer won by an outbound call or a
    # sales visit was agreed on that call, not on the line.
    first_remote = np.arange(len(ev["t"])) < len(st.lam)  # first purchases come first
    outbound = np.isin(channel_all[rb1[ev["cust"]]], S.OUTBOUND_CHANNELS)
    in_window = ~(first_remote & outbound) & (ev["channel"] == 2) & (ev["t"] >= w0) & (ev["t"] < w1)
    line = M.phone_line(rng, truth, spots, staff, ev["t"][in_window])
    calls = line["calls"]
    ev_idx = np.flatnonzero(in_window)
    ev["channel"][ev_idx[line["web_instead"]]] = 1
    got = ~line["web_instead"]
    # The order's time of day is when the call was answered.
    ev["t"][ev_idx[got]] = w0 + line["answered_time"][got] / 86400
    spot_buy = np.flatnonzero((calls["kind"].to_numpy() == "spot order")
                              & (calls["outcome"].to_numpy() == "answered"))
    tv_time = w0 + (calls["arrival"].to_numpy()[spot_buy]
                    + calls["wait_seconds"].to_numpy()[spot_buy]) / 86400

    # Customers won by the TV spots: their own purchase histories.
    rng = rng_for(variant, "tv-customers")
    tv_day = np.floor(tv_time).astype(np.int64)
    tv_region = spots["region"].to_numpy()[calls["ref"].to_numpy()[spot_buy]]
    cust2, latent2, start2, remote2, cafe2 = _people_group(
        rng, truth, tv_day, np.full(len(tv_day), "tv offer"), tv_region,
        first_time=tv_time - tv_day)
    rb2, st2 = _remote_buyers(latent2, remote2, end)
    st2.no_phone_until[:] = w1  # their next orders in the push go through the web shop
    ev2 = simulate_buying(rng, st2, truth, remote_factor, end,
                          first_channel=np.full(len(rb2), 2))

    # One customer table, in sign-up order.
    n1 = len(cust)
    allc = pd.concat([cust, cust2], ignore_index=True)
    lat = pd.concat([latent, latent2], ignore_index=True)
    start = np.concatenate([start1, start2])
    order = np.lexsort((np.arange(len(start)), start))
    new_of_old = np.empty(len(order), dtype=np.int64)
    new_of_old[order] = np.arange(len(order))
    region_old = allc["region"].to_numpy()
    remote_state = _remote_state(st, st2, rb1, rb2, n1, new_of_old, retention)

    # Cafe visits: everyone's, in one process of their own.
    rng = rng_for(variant, "cafes")
    home = C.home_stores(rng, region_old)
    cafe_ev = C.simulate_cafes(rng, lat, np.concatenate([cafe1, cafe2]), home,
                               _day_factor(truth, n_days + 400, remote=False), end, truth)
    nu = lat["nu"].to_numpy()[cafe_ev["cust"]]
    cafe_ev["target"] = rng.gamma(3.0, S.CAFE_MEAN_SPEND / 3.0
                                  * np.sqrt(truth.q / truth.gamma / nu))
    visited = np.zeros(len(allc), dtype=bool)
    visited[cafe_ev["cust"]] = True
    allc["home_store_id"] = pd.array(np.where(visited, home, 0), dtype="Int64")
    allc["home_store_id"] = allc["home_store_id"].where(visited)

    allc = allc.iloc[order].reset_index(drop=True)
    lat = lat.iloc[order].reset_index(drop=True)
    erase_tv, passed_tv = CO.erasure_days(erase_rng, truth, tv_day, end - 1)
    erase_day = np.concatenate([erase_day, erase_tv])[order]
    erase_passed = np.concatenate([erase_passed, passed_tv])[order]
    allc["customer_id"] = np.arange(1, len(allc) + 1)
    allc["signup_date"] = to_date(allc.pop("signup_day"))
    allc = _contacts_fields(rng_for(variant, "contact-details"), allc, sus["email"])

    # Purchase events -> orders.
    ev["cust"] = rb1[ev["cust"]]
    ev2["cust"] = rb2[ev2["cust"]] + n1
    n_cafe = len(cafe_ev["t"])
    cafe_part = {"cust": cafe_ev["cust"], "t": cafe_ev["t"],
                 "channel": np.zeros(n_cafe, dtype=np.int64), "target": cafe_ev["target"],
                 "offer": np.full(n_cafe, -1)}
    for k in ("coupon_issued", "free_drink", "ticket", "topic", "resolve_days",
              "satisfaction", "died"):
        cafe_part[k] = cafe_ev[k]
    events = {k: np.concatenate([ev[k], ev2[k], cafe_part[k]]) for k in ev}
    n_remote = len(ev["t"]) + len(ev2["t"])
    events["store"] = np.concatenate([np.zeros(n_remote, dtype=np.int64), cafe_ev["store"]])
    events["cust"] = new_of_old[events["cust"]]
    events["src"] = np.concatenate([np.full(len(ev["t"]), -1), np.arange(len(ev2["t"])),
                                    np.full(n_cafe, -1)])
    events["phone_ref"] = np.full(len(events["t"]), -1)
    events["phone_ref"][ev_idx[got]] = np.flatnonzero(got)
    first_order_of_tv = np.full(len(ev2["t"]), False)
    first_order_of_tv[: len(rb2)] = True  # simulate_buying records first purchases first
    tv_first = (events["src"] >= 0) & first_order_of_tv[np.maximum(events["src"], 0)]
    events = _remote_hours(rng_for(variant, "order-hours"), events,
                           keep=(events["phone_ref"] >= 0) | tv_first)
    ev_order = np.lexsort((events["cust"], events["t"]))
    events = {k: v[ev_order] for k, v in events.items()}
    # Bean subscriptions, from the first web order; subscribers then skip web orders.
    subs = _subscriptions(rng_for(variant, "subscriptions"), truth, events, lat)
    events = _skip_while_subscribed(rng_for(variant, "subscriber-skips"), events, subs)
    death = _death_days(events, len(allc))
    # A customer signs up with their first order: a phone order answered after a wait
    # can fall on the next day (the line's queue), so the sign-up date follows it.
    first_t = np.full(len(allc), np.inf)
    np.minimum.at(first_t, events["cust"], events["t"])
    allc["signup_date"] = to_date(first_t)
    n_orders = len(events["t"])
    order_id = np.arange(1, n_orders + 1)
    tables = _orders(rng_for(variant, "baskets"), truth, events, allc, lat, retention)
    tables["_tickets"] = _tickets(rng_for(variant, "tickets"), events, tables["purchases"])

    # Calls: link each placing call to its order.
    call_order = np.zeros(len(calls), dtype=np.int64)
    is_ord = calls["kind"].to_numpy() == "order"
    placed = is_ord & (calls["outcome"].to_numpy() == "answered")
    ref_to_order = np.zeros(len(line["answered_time"]), dtype=np.int64)
    has_ref = events["phone_ref"] >= 0
    ref_to_order[events["phone_ref"][has_ref]] = order_id[has_ref]
    first_call = np.zeros(len(calls), dtype=bool)
    # Only the first answered call of an order placed it (kind stays "order").
    first_call[placed] = True
    call_order[first_call] = ref_to_order[calls["ref"].to_numpy()[first_call]]
    tv_first = (events["src"] >= 0) & first_order_of_tv[np.maximum(events["src"], 0)]
    tv_orders = np.zeros(len(tv_day), dtype=np.int64)
    tv_orders[events["src"][tv_first]] = order_id[tv_first]
    call_order[spot_buy] = tv_orders
    tables["calls"] = M.calls_table(calls, call_order)

    tables.update(_acquisition_tables(acq_contacts, pros, sus, allc, prospect_idx, new_of_old,
                                      rng_for(variant, "prospect-links")))
    tables.update(_retention_tables(retention, acq_campaigns, events, new_of_old))
    contacts = _contacts(tables.pop("_acq_contacts"), tables.pop("_ret_contacts"))
    tables["contacts"] = contacts[CONTACT_COLUMNS]
    tables["referrals"] = _referrals(rng_for(variant, "referrals"), truth, allc, events, death)
    tables["subscriptions"] = subs
    silo_inputs = {"customers": allc, "tickets": tables.pop("_tickets"),
                   "coupons": tables.pop("_coupons"), "remote_state": remote_state}

    # v3: marketing operations: e-mail events, spend, and the breaches answer key.
    channel_of = tables["campaigns"].set_index("campaign_id")["channel"]
    tables["email_events"] = email_events(rng_for(variant, "email-events"), truth, contacts,
                                          channel_of)
    tables["compliance_breaches"] = CO.compliance_breaches(tables["contacts"], erase_day,
                                                          erase_passed)
    offer = events["offer"] > 0
    tables["marketing_spend"] = marketing_spend(
        tables["contacts"], tables["campaigns"], plan, pd.DataFrame({
            "campaign_id": events["offer"][offer],
            "date": tables["purchases"]["date"].to_numpy()[offer],
            "discount": tables["purchases"]["discount"].to_numpy()[offer]}))
    asked = np.flatnonzero(np.isfinite(erase_day))
    silo_inputs["erasures"] = pd.DataFrame({"customer_id": asked + 1,
                                            "received_date": to_date(erase_day[asked])})
    tables.update({
        "customers": allc.drop(columns="household"),
        "products": B.products(),
        "media_plan": plan,
        "awareness": awareness,
        "tv_spots": pd.DataFrame({
            "spot_id": spots["spot_id"],
            "air_time": to_date(spots["day"]).astype("datetime64[s]")
            + (spots["minute"].to_numpy() * 60).astype("timedelta64[s]"),
            "region": spots["region"], "grp": spots["grp"], "cost": spots["cost"]}),
        "call_staffing": staff,
    })
    return tables, silo_inputs


def _remote_hours(rng, events, keep) -> dict[str, np.ndarray]:
    """A time of day for each remote order: web orders peak in the evening, phone
    orders come while the line is open (orders placed on a logged call keep its time)."""
    chan = events["channel"]
    day = np.floor(events["t"])
    for code, weights in ((1, S.WEB_HOUR_WEIGHTS), (2, S.PHONE_HOUR_WEIGHTS)):
        sel = np.flatnonzero((chan == code) & ~keep)
        cdf = np.cumsum(weights) / weights.sum()
        hour = np.minimum((rng.random(len(sel))[:, None] > cdf).sum(axis=1), 23)
        events["t"][sel] = day[sel] + (hour + rng.random(len(sel))) / 24
    return events


def _death_days(events, n: int) -> np.ndarray:
    """Each customer's last purchase: after it, they are no longer an active customer."""
    last = np.full(n, -np.inf)
    np.maximum.at(last, events["cust"], events["t"])
    return last


def _contacts_fields(rng, allc: pd.DataFrame, taken) -> pd.DataFrame:
    """Households, names, e-mail and phone: unique, and unrelated to the customer id.

    Pairs of customers who live together (``household_share`` of the silo
    settings) share a household: its size and income, and usually the
    surname (``HOUSEHOLD_SAME_SURNAME``). Names follow the census frequency
    lists; e-mail addresses are built from the name and, for some, the birth
    year (ages are on 31 December 2025). ``household`` (the customer id of
    the household's first member) is for the silos and never written out.
    """
    n = len(allc)
    size = allc["household_size"].to_numpy().copy()
    income = allc["income"].to_numpy().copy()
    head = P.households(rng, allc["region"].to_numpy(), allc["age"].to_numpy(), size,
                        SILO_SETTINGS["household_share"])
    second = head != np.arange(n)
    size[second], income[second] = size[head[second]], income[head[second]]
    first, last = P.names(rng, n)
    same = second & (rng.random(n) < S.HOUSEHOLD_SAME_SURNAME)
    last[same] = last[head[same]]
    allc["first_name"], allc["last_name"] = first, last
    allc["household_size"], allc["income"] = size, income
    birth_year = S.END.astype("datetime64[Y]").astype(int) + 1970 - allc["age"].to_numpy()
    allc["email"] = P.email_addresses(rng, first, last, birth_year=birth_year, taken=taken)
    allc["phone"] = P.phone_numbers(rng, n)
    allc["household"] = allc["customer_id"].to_numpy()[head]
    cols = ["customer_id", "first_name", "last_name", "email", "phone", "signup_date",
            "acquisition_channel", "region", "age", "income", "household_size", "lifestyle",
            "benefit_sought", "home_store_id", "household"]
    return allc[cols]


def _orders(rng, truth, events, allc, lat, retention):
    """Purchases, order lines and the core (unsiloed) tickets and coupons."""
    n = len(events["t"])
    cust = events["cust"]
    # The first order of a customer won by an acquisition campaign uses the welcome offer.
    acq = allc["acquisition_channel"].to_numpy()
    campaign_won = np.isin(acq, ["email", "direct mail", "phone", "digital ad", "sales visit"])
    is_first = np.zeros(n, dtype=bool)
    _, first_pos = np.unique(cust, return_index=True)
    is_first[first_pos] = True
    orders = pd.DataFrame({"order_idx": np.arange(n), "cust": cust,
                           "channel": events["channel"], "free_drink": events["free_drink"],
                           "welcome": is_first & campaign_won[cust],
                           "day": np.floor(events["t"]).astype(np.int64),
                           "office": acq[cust] == "sales visit"})
    life = lat["life"].to_numpy()
    taste = np.where(rng.random(len(life)) < 0.75, life, rng.integers(0, len(S.TASTES),
                                                                     len(life)))
    items = B.baskets(rng, orders, taste, events["target"])
    offer = retention.offer_value(events["offer"])
    quantity, value = B.order_totals(items, n)
    discount = np.minimum(B.discounts(items, orders, offer), value)
    # Shipping on remote orders below the free-shipping value (after discounts).
    shipping = np.where((events["channel"] > 0) & (value - discount < S.FREE_SHIPPING_FROM),
                        S.SHIPPING_FEE, 0.0)
    purchases = pd.DataFrame({
        "order_id": np.arange(1, n + 1),
        "customer_id": cust + 1,
        "date": to_date(events["t"]),
        "channel": np.array(S.CHANNELS)[events["channel"]],
        "store_id": pd.array(np.where(events["store"] > 0, events["store"], 0),
                             dtype="Int64"),
        "hour": np.floor((events["t"] % 1) * 24).astype(np.int64),
        "quantity": quantity,
        "discount": discount,
        "shipping": shipping,
        "amount": np.round(value - discount + shipping, 2),
    })
    items_out = pd.DataFrame({
        "order_id": items["order_idx"].to_numpy() + 1,
        "product_id": B.PID[items["product_idx"].to_numpy()],
        "quantity": items["quantity"].to_numpy(),
        "unit_price": items["unit_price"].to_numpy(),
    }).sort_values(["order_id", "product_id"], ignore_index=True)
    purchases["store_id"] = purchases["store_id"].where(events["store"] > 0)
    return {"purchases": purchases, "order_items": items_out, "_coupons": _coupons(events)}


def _tickets(rng, events, purchases) -> pd.DataFrame:
    """Service tickets, one per order that raised one, with the true customer.

    A ticket is opened a right-skewed while after what it is about
    (``TICKET_DELAY``): a late-delivery complaint only after the promised
    delivery date (``PROMISED_WORKING_DAYS`` working days after the order), a
    wrong item or a poor bag after the usual delivery, a billing question a few
    days after the order. Only a minority answer the satisfaction survey, those
    with a very bad or very good experience most (``SURVEY_RESPONSE``): the
    ratings are J-shaped, and a ticket with no answer has no rating.
    """
    sel = np.flatnonzero(events["ticket"])
    topics = np.array(all_topics())
    topic = topics[events["topic"][sel]]
    order_day = np.floor(events["t"][sel]).astype(np.int64)
    shipped = events["channel"][sel] != 0  # web and phone orders are delivered
    delivered = np.where(shipped, add_working_days(order_day, S.DELIVERY_WORKING_DAYS),
                         order_day)
    promised = np.where(shipped, add_working_days(order_day, S.PROMISED_WORKING_DAYS),
                        order_day)
    base = np.select([topic == x for x in S.TICKET_DELAY],
                     [{"order": order_day, "delivery": delivered, "promise": promised + 1}[
                         S.TICKET_DELAY[x][0]] for x in S.TICKET_DELAY], order_day)
    median = pd.Series(topic).map({x: v[1] for x, v in S.TICKET_DELAY.items()}).to_numpy()
    sigma = pd.Series(topic).map({x: v[2] for x, v in S.TICKET_DELAY.items()}).to_numpy()
    opened = base + np.floor(np.exp(np.log(median) + sigma * rng.standard_normal(len(sel)))
                             ).astype(np.int64)
    resolved = opened + events["resolve_days"][sel].astype(np.int64)
    still_open = (resolved > day_of(S.END)) | (rng.random(len(sel)) < S.OPEN_TICKET_SHARE)
    experience = events["satisfaction"][sel]
    answered = ~still_open & (rng.random(len(sel)) < S.SURVEY_RESPONSE[
        np.clip(experience, 1, 5) - 1])
    t = pd.DataFrame({
        "customer_id": events["cust"][sel] + 1,
        "order_id": sel + 1,
        "channel": purchases["channel"].to_numpy()[sel],
        "opened_date": to_date(opened),
        "topic": topic,
        "resolved_date": pd.Series(to_date(np.where(still_open, opened, resolved))).where(
            ~still_open),
        "satisfaction": pd.array(np.where(answered, experience, 0), dtype="Int64"),
    })
    t["satisfaction"] = t["satisfaction"].where(answered)
    t = t[opened <= day_of(S.END)]  # a complaint about a late-December order may come in 2026
    t = t.sort_values(["opened_date", "order_id"], ignore_index=True)
    t.insert(0, "ticket_id", np.arange(1, len(t) + 1))
    return t


def _coupons(events) -> pd.DataFrame:
    """Free-drink coupons: issued on every fifth cafe purchase, redeemed at a later visit."""
    cust, t = events["cust"], events["t"]
    iss = pd.DataFrame({"cust": cust[events["coupon_issued"]],
                        "issued": t[events["coupon_issued"]]}).sort_values("issued")
    red = pd.DataFrame({"cust": cust[events["free_drink"]],
                        "redeemed": t[events["free_drink"]]}).sort_values("redeemed")
    # Each redemption belongs to the latest coupon issued to that customer before it.
    m = pd.merge_asof(red, iss.assign(key=iss["issued"]), left_on="redeemed", right_on="key",
                      by="cust", direction="backward")
    iss = iss.merge(m[["cust", "issued", "redeemed"]], on=["cust", "issued"], how="left")
    iss = iss.drop_duplicates(["cust", "issued"]).sort_values(["issued", "cust"],
                                                              ignore_index=True)
    day = np.floor(iss["issued"].to_numpy()).astype(np.int64)
    red_day = iss["redeemed"].to_numpy()
    return pd.DataFrame({
        "coupon_id": np.arange(1, len(iss) + 1),
        "customer_id": iss["cust"].to_numpy() + 1,
        "issued_date": to_date(day),
        "expiry_date": to_date(day + S.COUPON_DAYS),
        "redeemed_date": pd.Series(to_date(np.nan_to_num(red_day))).where(~np.isnan(red_day)),
        "value": S.COUPON_VALUE,
    })


def _acquisition_tables(contacts, pros, sus, allc, prospect_idx, new_of_old, rng):
    """Prospects (with their customer link), suspects, and acquisition contacts."""
    pros = pros.copy()
    pros["customer_id"] = pd.array([pd.NA] * len(pros), dtype="Int64")
    linked = np.flatnonzero(prospect_idx >= 0)
    pros.loc[prospect_idx[linked], "customer_id"] = new_of_old[linked] + 1
    # Some organic customers were prospects first (a visit, a newsletter, a sample).
    organic = np.flatnonzero(prospect_idx < 0)
    cust_of = new_of_old[organic]
    was = rng.random(len(organic)) < 0.25
    chosen = cust_of[was]
    signup = (allc["signup_date"].to_numpy()[chosen] - S.START).astype("timedelta64[D]").astype(
        np.int64)
    life = pd.Categorical(allc["lifestyle"].to_numpy()[chosen], categories=S.LIFESTYLES).codes
    cdf = np.cumsum(S.INTEREST_BY_LIFESTYLE, axis=1)[life]
    extra = pd.DataFrame({
        # First interest came a right-skewed while before the sign-up (never before day 0).
        "first_seen": np.maximum(signup - 1 - np.floor(lognormal_days(
            rng, *S.INTEREST_TO_SIGNUP_DELAY, len(chosen), upper=signup)).astype(np.int64), 0),
        # Enquirers and sample-takers go on to buy more often than casual visitors.
        "source": rng.choice(S.PROSPECT_SOURCES, p=S.CONVERTER_SOURCE_WEIGHTS, size=len(chosen)),
        # What they said interested them fits how they buy later.
        "interest": np.asarray(S.PROSPECT_INTERESTS)[
            (rng.random(len(chosen))[:, None] > cdf).sum(axis=1)],
        "region": allc["region"].to_numpy()[chosen],
        "suspect_id": pd.array([pd.NA] * len(chosen), dtype="Int64"),
        "customer_id": pd.array(chosen + 1, dtype="Int64")})
    pro = pd.concat([pros, extra], ignore_index=True)
    pro["_idx"] = np.arange(len(pro))
    first, last = P.names(rng, len(pro))
    by_id = allc.set_index("customer_id")
    is_cust = pro["customer_id"].notna().to_numpy()
    cid = pro["customer_id"].fillna(1).astype(np.int64).to_numpy()
    sus_by = sus.set_index("suspect_id")
    is_sus = pro["suspect_id"].notna().to_numpy()
    sid = pro["suspect_id"].fillna(1).astype(np.int64).to_numpy()
    for col, fresh in [("first_name", first), ("last_name", last)]:
        pro[col] = np.where(is_cust, by_id[col].reindex(cid).to_numpy(),
                            np.where(is_sus, sus_by[col].reindex(sid).to_numpy(), fresh))
    own = P.email_addresses(rng, first, last,
                            taken=pd.concat([allc["email"], sus["email"]]).to_numpy())
    pro["email"] = np.where(is_cust, by_id["email"].reindex(cid).to_numpy(),
                            np.where(is_sus, sus_by["email"].reindex(sid).to_numpy(), own))
    pro = pro.sort_values(["first_seen", "_idx"], kind="stable", ignore_index=True)
    pid_of_idx = np.empty(len(pro), dtype=np.int64)
    pid_of_idx[pro["_idx"].to_numpy()] = np.arange(1, len(pro) + 1)
    pro.insert(0, "prospect_id", np.arange(1, len(pro) + 1))
    pro["first_seen"] = to_date(pro["first_seen"])
    prospects = pro[["prospect_id", "first_name", "last_name", "email", "first_seen", "source",
                     "interest", "region", "suspect_id", "customer_id"]]

    c = contacts.copy()
    is_p = c["audience"].to_numpy() == "prospects"
    c["prospect_id"] = pd.array(np.where(is_p, pid_of_idx[np.where(is_p, c["target"], 0)], 0),
                                dtype="Int64")
    c["prospect_id"] = c["prospect_id"].where(is_p)
    c["suspect_id"] = pd.array(np.where(~is_p, sus["suspect_id"].to_numpy()[
        np.where(~is_p, c["target"], 0)], 0), dtype="Int64")
    c["suspect_id"] = c["suspect_id"].where(~is_p)
    suspects = sus.assign(added_date=to_date(np.full(len(sus), day_of(S.SUSPECT_LIST_DATE))))
    return {"prospects": prospects, "suspects": suspects, "_acq_contacts": c}


def _retention_tables(retention, acq_campaigns, events, new_of_old):
    """Campaigns, contacts, random assignments and the answer key of true effects."""
    asg = pd.concat(retention.assignments, ignore_index=True)
    asg["customer_id"] = new_of_old[asg["customer_idx"].to_numpy()] + 1
    redeemed = events["offer"] > 0
    red = pd.DataFrame({"campaign_id": events["offer"][redeemed],
                        "customer_id": events["cust"][redeemed] + 1,
                        "response_day": np.floor(events["t"][redeemed]).astype(np.int64)})
    treated = asg[asg["treated"]].merge(red, on=["campaign_id", "customer_id"], how="left")
    ret_contacts = pd.DataFrame({
        "campaign_id": treated["campaign_id"], "contact_day": treated["assigned_day"],
        "exposure": 1, "responded": treated["response_day"].notna().to_numpy(),
        "customer_id": treated["customer_id"],
        "response_day": treated["response_day"].fillna(-1).astype(np.int64)})
    ret_contacts["sale"] = ret_contacts["responded"]
    ret_contacts["bounced"] = treated["bounced"].to_numpy()
    ret_contacts["unsubscribed"] = treated["unsubscribed"].to_numpy()
    campaigns = pd.concat([acq_campaigns, retention.campaigns()], ignore_index=True)
    campaigns["start_date"] = to_date(campaigns.pop("start_day"))
    campaigns = campaigns[["campaign_id", "name", "audience", "channel", "start_date", "waves",
                           "cost_per_contact", "offer"]]
    assignments = pd.DataFrame({
        "campaign_id": asg["campaign_id"], "customer_id": asg["customer_id"],
        "group": np.where(asg["treated"], "treatment", "control"),
        "assigned_date": to_date(asg["assigned_day"])}).sort_values(
        ["campaign_id", "customer_id"], ignore_index=True)
    effects = pd.DataFrame({
        "campaign_id": asg["campaign_id"], "customer_id": asg["customer_id"],
        "alive": asg["alive"], "expected_missed": np.round(asg["lapse"], 4),
        "true_extra_rate": np.round(asg["extra_rate"], 5),
        "true_extra_orders": np.round(asg["extra_rate"] * retention.truth.offer_weeks, 5),
        "true_dropout_cut": np.round(asg["dropout_cut"], 5)}).sort_values(
        ["campaign_id", "customer_id"], ignore_index=True)
    return {"campaigns": campaigns, "campaign_assignments": assignments,
            "campaign_effects": effects, "_ret_contacts": ret_contacts}


def _contacts(acq: pd.DataFrame, ret: pd.DataFrame) -> pd.DataFrame:
    """Every campaign contact: prospects, suspects and customers in the treatment groups."""
    ret = ret.assign(customer_id=pd.array(ret["customer_id"], dtype="Int64"))
    acq = acq.assign(customer_id=pd.array([pd.NA] * len(acq), dtype="Int64"))
    c = pd.concat([acq, ret], ignore_index=True)
    for col in ["prospect_id", "suspect_id"]:
        c[col] = c[col].astype("Int64")
    c = c.sort_values(["contact_day", "campaign_id", "customer_id", "prospect_id", "suspect_id"],
                      kind="stable", ignore_index=True)
    c.insert(0, "contact_id", np.arange(1, len(c) + 1))
    c["contact_date"] = to_date(c["contact_day"])
    rd = c["response_day"].to_numpy()
    c["response_date"] = pd.Series(to_date(np.maximum(rd, 0))).where(rd >= 0)
    # The e-mail flags decided at sending stay with the contacts for email_events.
    return c[CONTACT_COLUMNS + ["bounced", "unsubscribed"]]


CONTACT_COLUMNS = ["contact_id", "campaign_id", "customer_id", "prospect_id", "suspect_id",
                   "contact_date", "exposure", "responded", "sale", "response_date"]


def _referrals(rng, truth, allc, events, death) -> pd.DataFrame:
    """Each referred customer names a friend who was an active customer at the time.

    Friends mostly live nearby: a share ``referral_same_region`` of referrers
    are from the referred customer's region, the rest from another region.
    The referrer is drawn among the customers who bought in the 60 days before
    (up to 40 tries); when none of them fits the region wanted, any of them will do.
    """
    referred = np.flatnonzero(allc["acquisition_channel"].to_numpy() == "referral")
    day = (allc["signup_date"].to_numpy()[referred] - S.START).astype("timedelta64[D]").astype(
        np.int64)
    region = pd.Categorical(allc["region"], categories=S.REGIONS).codes
    t, cust = events["t"], events["cust"]
    lo = np.searchsorted(t, day - 60)
    hi = np.searchsorted(t, day)
    span = hi - lo
    tries = 40
    pick = lo[:, None] + np.floor(rng.random((len(referred), tries)) * np.maximum(span, 1)[
        :, None]).astype(np.int64)
    pick = np.minimum(pick, len(t) - 1)
    who = cust[pick]
    ok = (span[:, None] > 0) & (who != referred[:, None]) & (death[who] > day[:, None])
    same_wanted = rng.random(len(referred)) < truth.referral_same_region
    fits = ok & ((region[who] == region[referred][:, None]) == same_wanted[:, None])
    has = ok.any(axis=1)
    first = np.where(fits.any(axis=1), fits.argmax(axis=1), ok.argmax(axis=1))
    referrer = who[np.arange(len(referred)), first][has]
    out = pd.DataFrame({"referrer_id": referrer + 1, "referred_id": referred[has] + 1,
                        "date": to_date(day[has])})
    out.insert(0, "referral_id", np.arange(1, len(out) + 1))
    return out


def _subscriptions(rng, truth, events, lat) -> pd.DataFrame:
    """Subscriptions taken by web-shop customers, from each one's first web order."""
    web = np.flatnonzero(events["channel"] == 1)  # events are in time order
    cust, first = np.unique(events["cust"][web], return_index=True)
    life = lat["life"].to_numpy()[cust]
    web_first = pd.DataFrame({"customer_id": cust + 1,
                              "date": to_date(events["t"][web[first]])})
    return subscriptions(rng, truth, web_first, life)


def _skip_while_subscribed(rng, events, subs) -> dict[str, np.ndarray]:
    """Subscribers skip a share of the web orders they would otherwise make.

    A first order, a first web order (the subscription follows it), an order placed
    on a logged call and an order that redeems a retention offer are never skipped
    (other tables point at them).
    """
    n_cust = int(events["cust"].max()) + 1
    lo, hi = np.full(n_cust, np.inf), np.full(n_cust, np.inf)
    cid = subs["customer_id"].to_numpy() - 1
    lo[cid] = days_of(subs["start_date"])
    hi[cid] = np.where(subs["end_date"].isna(), np.inf,
                       days_of(subs["end_date"].fillna(subs["start_date"])))
    cust, t = events["cust"], events["t"]
    first = np.zeros(len(t), dtype=bool)
    first[np.unique(cust, return_index=True)[1]] = True
    web = np.flatnonzero(events["channel"] == 1)  # the web order the subscription followed
    first[web[np.unique(cust[web], return_index=True)[1]]] = True
    skip = ((events["channel"] == 1) & (t >= lo[cust]) & (t < hi[cust]) & ~first
            & (events["phone_ref"] < 0) & (events["offer"] <= 0)
            & (rng.random(len(t)) < S.SUBSCRIBER_SKIP))
    return {k: v[~skip] for k, v in events.items()}


def _remote_state(st, st2, rb1, rb2, n1: int, new_of_old, retention) -> pd.DataFrame:
    """The remote buyers' latent state when the data end (see :func:`remote_state_at_end`)."""
    out = pd.DataFrame({
        "customer_id": np.concatenate([new_of_old[rb1], new_of_old[n1 + rb2]]) + 1,
        "alive": np.concatenate([st.alive, st2.alive]),
        "lam": np.concatenate([st.lam, st2.lam]),
        "last_day": np.concatenate([st.last, st2.last]),
        "off_list_day": np.concatenate([retention.off_list, np.full(len(rb2), np.inf)]),
        "email_off": np.concatenate([retention.email_off, np.zeros(len(rb2), dtype=bool)]),
        "tv": np.concatenate([np.zeros(len(rb1), dtype=bool), np.ones(len(rb2), dtype=bool)]),
    })
    return out.set_index("customer_id").sort_index()


def remote_state_at_end(variant: int | None = None, core=None) -> pd.DataFrame:
    """The remote buyers' latent state when the data end, as the simulation left it.

    No table holds it (it is the simulation's truth): the simulation records it
    beside the tables (:func:`simulate_core`'s second result, ``remote_state``), so
    what a retention offer after the data end would do is priced on exactly the
    customers the data show (:func:`crmlib.truth.future_offer_outcomes`).

    Parameters
    ----------
    variant : int or None
        The data set.
    core : tuple, optional
        :func:`simulate_core`'s result for that variant, when the caller has it
        (the grader's cache); otherwise the variant is simulated.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (remote buyers only): ``alive`` (bool),
        ``lam`` (remote orders a week while alive), ``last_day`` (simulation
        day of the last remote purchase, fractional; it counts web orders a
        subscriber skipped, as the campaigns do), ``off_list_day`` (the day
        the customer is left off campaign lists, inf = never), ``email_off``
        (unsubscribed from e-mail) and ``tv`` (won by a TV spot: the retention
        campaigns of the data never listed them).
    """
    _, inputs = core if core is not None else simulate_core(variant)
    return inputs["remote_state"]


