"""Realism of Harbor Coffee's business (v3): regulars, calendar, prices, shipping, stores.

One test per property a skeptical reader would check, on the committed data.
Each docstring says what is measured and where its bound comes from: a
published figure or stated reasoning. Settings are read through
:func:`crmlib.truth.setting`, never copied; no bound is a number printed by
the data. Names, households and demographics are in ``test_realism_people.py``;
delays, ratings, the campaign calendar, erasure and referrals in
``test_realism_timing.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.data import load_harbor
from crmlib.truth import setting

START = pd.Timestamp(setting("START"))
END = pd.Timestamp(setting("END"))
DAYS = pd.date_range(START, END)
BEANS = ["Whole beans", "Ground coffee"]  # "beans and ground coffee" (settings, PRICE_RISE)
GIFTS = ["Brewing equipment", "Merchandise", "Gifts"]  # what people give, not what they drink
REGULAR_VISITS = 10  # customers with at least this many cafe visits count as regulars here


@pytest.fixture(scope="module")
def items(purchases, products):
    """Order lines with their order's date, channel and customer and the product's category."""
    oi = load_harbor("order_items").merge(
        purchases[["order_id", "customer_id", "date", "channel"]], on="order_id")
    return oi.assign(category=oi["product_id"].map(products.set_index("product_id")["category"]))


@pytest.fixture(scope="module")
def cafe(purchases):
    """Cafe visits in time order within each customer, with a day number."""
    c = purchases[purchases["channel"] == "cafe"].sort_values(["customer_id", "date", "order_id"])
    return c.assign(day=c["date"].to_numpy().astype("datetime64[D]").astype(np.int64))


@pytest.fixture(scope="module")
def spans(cafe):
    """Each cafe customer's visits, first and last visit, and visits a week while active."""
    s = cafe.groupby("customer_id")["day"].agg(visits="size", first="min", last="max")
    active_days = (s["last"] - s["first"]).clip(lower=1)
    return s.assign(per_week=(s["visits"] - 1) / active_days * 7)


def _regulars(cafe: pd.DataFrame) -> pd.DataFrame:
    n = cafe.groupby("customer_id")["day"].transform("size")
    return cafe[n >= REGULAR_VISITS]


# --------------------------------------------------------------------------- regulars
def test_the_loyalty_card_fills_in_one_to_four_weeks(cafe):
    """Kivetz, Urminsky and Zheng (2006, Journal of Marketing Research 43(1)): in a real
    cafe's reward programme a 10-stamp card was filled in 24.6 days on average, about
    2.7 days a stamp, so a 5-stamp card (``STAMPS_PER_REWARD``) fills in about 11-12 days.
    Measured: for customers with at least 10 cafe visits, the days from the first to
    the last stamp of each complete card (visits 1-5, 6-10, ...). Bound: the median
    card takes 1 to 4 weeks (7-28 days)."""
    per_card = setting("STAMPS_PER_REWARD")
    reg = _regulars(cafe)
    card = reg.groupby("customer_id").cumcount().to_numpy() // per_card
    cards = reg.groupby([reg["customer_id"].to_numpy(), card])["day"].agg(["min", "max", "size"])
    full = cards[cards["size"] == per_card]
    assert len(full) > 1000
    assert 7 <= (full["max"] - full["min"]).median() <= 28


def test_busy_commuters_visit_more_than_once_a_week(customers, spans):
    """A busy commuter buys coffee on the way to work: the median commuter who came
    back at least once makes more than one cafe visit a week between their first and
    last visit ((visits - 1) / active weeks). For scale, the average Starbucks customer
    is said to visit six times a month (about 1.4 a week), and commuters are the
    chain's core."""
    life = spans.index.map(customers.set_index("customer_id")["lifestyle"])
    commuters = spans[(life == "Busy commuter") & (spans["visits"] >= 2)]
    assert len(commuters) > 500
    assert commuters["per_week"].median() > 1


def test_a_sizeable_share_of_repeat_cafe_customers_come_weekly(spans):
    """The most frequent fifth of Starbucks customers visit 16 times a month, about four
    times a week (Starbucks figures widely quoted, e.g. reference.com: average customer
    six visits a month, 20% of customers 16). Bound: at least a fifth of the customers
    with two or more cafe visits come at least once a week while active."""
    repeat = spans[spans["visits"] >= 2]
    assert len(repeat) > 1000
    assert (repeat["per_week"] >= 1).mean() >= 0.20


def test_the_most_frequent_customers_are_daily_regulars(cafe):
    """A daily regular comes every working day, about 250 visits a year; the top fifth of
    Starbucks customers average 16 visits a month, 16 x 12 = 192 a year. Bound: in each
    calendar year of the data the most frequent customer makes at least 192 cafe
    visits, well over 100."""
    per_year = cafe.groupby([cafe["customer_id"], cafe["date"].dt.year]).size()
    top = per_year.groupby(level=1).max()
    assert list(top.index) == list(range(START.year, END.year + 1))
    assert (top >= 16 * 12).all()


def test_regulars_visits_have_a_weekly_rhythm(cafe):
    """Habits are tied to the week (the Tuesday class, the Friday treat): between a
    regular's consecutive visits a gap of exactly 7 days is more common than 6 or 8
    days. Without a weekly rhythm gaps fall smoothly with their length and 7 days
    would be rarer than 6. Bound: the count of 7-day gaps exceeds each neighbour by
    more than 3 Poisson standard errors of the difference."""
    reg = _regulars(cafe)
    gaps = reg.groupby("customer_id")["day"].diff().dropna().astype(np.int64)
    n = gaps.value_counts().reindex([6, 7, 8], fill_value=0)
    for other in (6, 8):
        assert n[7] - n[other] > 3 * np.sqrt(n[7] + n[other])


# --------------------------------------------------------------------------- calendar
def test_cafes_are_closed_on_christmas_day(cafe):
    """Cafes close on 25 December (and the settings' ``HOLIDAYS`` mark a closed day with
    trade 0): no cafe order on any Christmas Day, or other closed day, in the data;
    the day before and after are trading days (the test sees the calendar)."""
    daily = cafe.groupby("date").size().reindex(DAYS, fill_value=0)
    xmas = pd.to_datetime([f"{y}-12-25" for y in range(START.year, END.year + 1)])
    closed = pd.to_datetime([d for d, f in setting("HOLIDAYS").items() if f == 0])
    assert (daily[xmas] == 0).all()
    assert (daily[closed] == 0).all()
    assert (daily[(xmas + pd.Timedelta(days=1))[xmas < END]] > 0).all()
    assert (daily[xmas - pd.Timedelta(days=1)] > 0).all()


def test_cafes_are_quieter_on_public_holidays(cafe):
    """Offices close and commuters stay home on public holidays. For the holidays of
    ``HOLIDAYS`` the cafes open on: mean cafe orders below the median day of the data,
    and every such holiday quieter than the mean of the same weekday one and two
    weeks before and after (those reference days that are not holidays)."""
    hol = setting("HOLIDAYS")
    daily = cafe.groupby("date").size().reindex(DAYS, fill_value=0)
    days = pd.to_datetime([d for d, f in hol.items() if f > 0])
    days = days[(days >= START) & (days <= END)]
    assert len(days) >= 10
    assert daily[days].mean() < daily.median()
    ref = days.to_numpy()[:, None] + np.array([-14, -7, 7, 14]).astype("timedelta64[D]")
    counts = daily.reindex(ref.ravel()).to_numpy(dtype=float).reshape(ref.shape)
    counts = np.where(np.isin(ref, pd.to_datetime(list(hol)).to_numpy()), np.nan, counts)
    ratio = daily[days].to_numpy() / np.nanmean(counts, axis=1)
    assert (ratio < 1).all()


def test_iced_drinks_sell_in_summer(items):
    """Cold drinks are a summer trade: independent Seattle coffeehouses said cold drinks
    can make a third of summer sales (Seattle Times, June 2003), hot coffee sales drop
    by a fifth or more in warm weather. Measured: iced drinks (``ICED_PRODUCTS``) as a
    share of all cafe items, July and January. Bound: July's share at least 1.5 times
    January's, and the difference beyond 5 standard errors."""
    c = items[items["channel"] == "cafe"]
    iced = c["product_id"].isin(setting("ICED_PRODUCTS")).to_numpy() * c["quantity"]
    month = c["date"].dt.month
    k = iced.groupby(month).sum()
    n = c["quantity"].groupby(month).sum()
    share = k / n
    se = np.sqrt(share[7] * (1 - share[7]) / n[7] + share[1] * (1 - share[1]) / n[1])
    assert share[7] >= 1.5 * share[1]
    assert share[7] - share[1] > 5 * se


def test_gifts_and_equipment_sell_before_christmas(items, purchases):
    """Shoppers buy gifts in the holiday season (the National Retail Federation's
    November and December): US Census Monthly Retail Trade shows December sales at
    department and hobby stores far above an average month while grocery barely moves,
    so gifts make a larger part of a basket. Measured: items from the equipment,
    merchandise and gift categories per web order, November-December against
    January-October. Bound: at least 1.5 times."""
    web = purchases.loc[purchases["channel"] == "web", ["order_id", "date"]]
    w = items[(items["channel"] == "web") & items["category"].isin(GIFTS)]
    gifts = w.groupby("order_id")["quantity"].sum().reindex(web["order_id"], fill_value=0)
    season = (web["date"].dt.month >= 11).to_numpy()
    assert season.sum() > 1000
    assert gifts.to_numpy()[season].mean() >= 1.5 * gifts.to_numpy()[~season].mean()


def test_web_orders_peak_in_black_friday_week(purchases):
    """Adobe Digital Economy Index 2023: US online sales of $38.0 billion in Cyber Week
    (Thanksgiving to Cyber Monday), $7.6 billion a day, against about $3.1 billion on an
    average day (US Census: $1.12 trillion of e-commerce in 2023), 2.5 times. A coffee
    web shop, mostly repeat bean orders, gets less of a bump. Bounds, each year: web
    orders a day from Black Friday to Cyber Monday (the Friday to Monday after the
    fourth Thursday of November) at least 1.5 times the year's mean day, and the
    busiest 7 days of web orders include Black Friday."""
    web = purchases[purchases["channel"] == "web"].groupby("date").size().reindex(
        DAYS, fill_value=0)
    for year in range(START.year, END.year + 1):
        nov = pd.date_range(f"{year}-11-01", f"{year}-11-30")
        black_friday = nov[nov.day_of_week == 3][3] + pd.Timedelta(days=1)
        bfcm = pd.date_range(black_friday, periods=4)
        days = web[str(year)]
        assert web[bfcm].mean() >= 1.5 * days.mean()
        busiest_end = days.rolling(7).sum().idxmax()
        assert black_friday <= busiest_end <= black_friday + pd.Timedelta(days=6)


def test_the_web_peak_follows_thanksgiving_not_a_fixed_date(purchases):
    """Black Friday moves with Thanksgiving (22-28 November), and so does the online
    peak: Adobe's 2023 figures give $9.8 billion on Black Friday, $12.4 billion on Cyber
    Monday (the year's biggest online day) and $38.0 billion for Thanksgiving to Cyber
    Monday, so Black Friday to Cyber Monday averaged about $8.1 billion a day, 2.6 times
    the $3.1 billion of an average day; the days before Thanksgiving are ordinary
    pre-season days. Bound, each year: web orders from Black Friday to Cyber Monday at
    least 1.25 times those of the four days before Thanksgiving (Sunday to Wednesday)."""
    web = purchases[purchases["channel"] == "web"].groupby("date").size().reindex(
        DAYS, fill_value=0)
    ratios = {}
    for year in range(START.year, END.year + 1):
        nov = pd.date_range(f"{year}-11-01", f"{year}-11-30")
        thanksgiving = nov[nov.day_of_week == 3][3]
        before = pd.date_range(thanksgiving - pd.Timedelta(days=4), periods=4)
        bfcm = pd.date_range(thanksgiving + pd.Timedelta(days=1), periods=4)
        ratios[year] = round(float(web[bfcm].sum() / web[before].sum()), 3)
    assert all(r >= 1.25 for r in ratios.values()), ratios


# --------------------------------------------------------------------------- prices
def test_beans_rose_once_by_the_documented_share(items, products):
    """Coffee costs roughly doubled in 2024 (arabica futures) and roasters raised retail
    prices. The settings document one rise on beans and ground coffee
    (``PRICE_RISE_DATE``, ``PRICE_RISE``, rounded up to the next 50 cents). Each bean
    product sells at one price before the date (its list price in ``products``) and
    one after, at least ``PRICE_RISE`` higher and less than 50 cents above that."""
    rise = pd.Timestamp(setting("PRICE_RISE_DATE"))
    share = setting("PRICE_RISE")
    b = items[items["category"].isin(BEANS)]
    tab = b.groupby(["product_id", b["date"] >= rise])["unit_price"].agg(["min", "max"])
    tab = tab.unstack()
    listed = products.set_index("product_id")["price"]
    ids = products.loc[products["category"].isin(BEANS), "product_id"]
    assert set(tab.index) == set(ids)
    assert not tab.isna().any().any()  # every bean product sold before and after
    assert (tab[("min", False)] == tab[("max", False)]).all()
    assert (tab[("min", True)] == tab[("max", True)]).all()
    before, after = tab[("min", False)], tab[("min", True)]
    assert np.allclose(before, listed[tab.index])
    assert (after >= before * (1 + share) - 1e-9).all()
    assert (after < before * (1 + share) + 0.50).all()


def test_other_prices_never_change(items, products):
    """Only beans rose: every other product sells at its list price throughout."""
    o = items[~items["category"].isin(BEANS)]
    listed = o["product_id"].map(products.set_index("product_id")["price"])
    assert o["product_id"].nunique() == (~products["category"].isin(BEANS)).sum()
    assert np.allclose(o["unit_price"], listed)


# --------------------------------------------------------------------------- shipping
def test_shipping_is_a_flat_fee_below_the_free_shipping_threshold(purchases):
    """Web shops charge a flat fee below a basket value and ship free from it (the
    settings' ``SHIPPING_FEE`` and ``FREE_SHIPPING_FROM``). Every web and phone order
    pays the fee exactly when its goods (``amount - shipping``) come to less than the
    threshold; cafe orders never pay shipping."""
    fee, free_from = setting("SHIPPING_FEE"), setting("FREE_SHIPPING_FROM")
    remote = purchases[purchases["channel"] != "cafe"]
    goods = (remote["amount"] - remote["shipping"]).round(2)
    expected = np.where(goods < free_from, fee, 0.0)
    assert 0.1 < (expected > 0).mean() < 0.9  # both sides of the threshold are there
    assert np.allclose(remote["shipping"], expected)
    assert (purchases.loc[purchases["channel"] == "cafe", "shipping"] == 0).all()


def test_remote_orders_bunch_just_above_the_free_shipping_threshold(purchases):
    """Shoppers top up their basket to reach free shipping (Lewis, Singh and Fay 2006,
    Marketing Science 25(1); about half of US online shoppers say they have added items
    to qualify, UPS Pulse of the Online Shopper). With a flat density and half of those
    just below topping up, the $5 above the threshold would hold three times the $5
    below. Bound: at least 1.5 times as many remote orders with goods in
    [threshold, threshold + 5) as in [threshold - 5, threshold)."""
    free_from = setting("FREE_SHIPPING_FROM")
    remote = purchases[purchases["channel"] != "cafe"]
    goods = (remote["amount"] - remote["shipping"]).round(2)
    above = ((goods >= free_from) & (goods < free_from + 5)).sum()
    below = ((goods >= free_from - 5) & (goods < free_from)).sum()
    assert below > 100
    assert above >= 1.5 * below


# --------------------------------------------------------------------------- offices
def test_offices_won_by_sales_visits_buy_in_bulk(purchases, customers):
    """An office drinks far more than a household: 20 people at two cups a working day
    (about 10 g of coffee a cup) use 8 kg a month, about $400 of beans at the 1 kg bag's
    list price. v2's largest order was $268. Bounds: the largest order in the data is
    over $400 and an office's (``acquisition_channel`` "sales visit"), and the median
    remote order of office customers is at least 3 times that of everyone else."""
    office_ids = customers.loc[customers["acquisition_channel"] == "sales visit", "customer_id"]
    assert len(office_ids) >= 5
    office = purchases["customer_id"].isin(office_ids)
    remote = purchases["channel"] != "cafe"
    largest = purchases.loc[purchases["amount"].idxmax()]
    assert largest["amount"] > 400
    assert largest["customer_id"] in set(office_ids)
    assert (purchases.loc[office & remote, "amount"].median()
            >= 3 * purchases.loc[~office & remote, "amount"].median())


# --------------------------------------------------------------------------- processes that touch
def test_acquisition_makes_a_first_channel_likelier_not_certain(purchases, customers):
    """How a customer found Harbor makes their first channel likelier, not certain:
    most cafe walk-ins first buy in a cafe and most web-search customers on the web,
    but some walk-ins first order beans online, and some searchers walk in (76% of
    people who search on a phone for something nearby visit a business within a day:
    Google, Think with Google 2016). Bounds: the expected channel holds a majority, and
    at least 2% (and 20 customers) of each group first buy in the other channel."""
    first = purchases.sort_values(["date", "hour", "order_id"]).drop_duplicates("customer_id")
    acq = first["customer_id"].map(customers.set_index("customer_id")["acquisition_channel"])
    for came, usual, other in (("cafe walk-in", "cafe", "web"), ("web search", "web", "cafe")):
        ch = first.loc[acq == came, "channel"]
        assert (ch == usual).mean() > 0.5
        assert (ch == other).mean() >= 0.02 and (ch == other).sum() >= 20


def test_subscribers_order_fewer_bags_on_the_web_while_subscribed(purchases, items):
    """A bean subscription delivers what a customer would otherwise order: a subscriber
    who did not cut back would be buying coffee they do not drink. Measured: bags of
    beans or ground coffee in web orders per subscriber-week, before the subscription
    (from the first web order, which is left out: the subscription is sold after it),
    while subscribed, and after it ends (to the end of the data, so customers who
    stopped buying altogether dilute it and make the test harder). Bound: at least a
    fifth fewer while subscribed than before and than after."""
    subs = load_harbor("subscriptions")
    assert subs["customer_id"].is_unique
    end = END + pd.Timedelta(days=1)
    web = purchases[purchases["channel"] == "web"]
    bags = items[items["category"].isin(BEANS)].groupby("order_id")["quantity"].sum()
    first_web = web.groupby("customer_id")["date"].min()
    s = subs.assign(first=subs["customer_id"].map(first_web), stop=subs["end_date"].fillna(end))
    assert (s["first"] <= s["start_date"]).all()
    w = web[~web["order_id"].isin(web.sort_values("order_id").drop_duplicates(
        "customer_id")["order_id"])].merge(s[["customer_id", "start_date", "stop"]])
    w = w.assign(bags=w["order_id"].map(bags).fillna(0))
    period = np.select([w["date"] < w["start_date"], w["date"] < w["stop"]],
                       ["before", "during"], "after")
    got = w.groupby(period)["bags"].sum()
    weeks = pd.Series({"before": (s["start_date"] - s["first"]).dt.days.sum() / 7,
                       "during": (s["stop"] - s["start_date"]).dt.days.sum() / 7,
                       "after": (end - s["stop"]).dt.days.sum() / 7})
    rate = got.reindex(weeks.index, fill_value=0) / weeks
    assert rate["during"] <= 0.8 * rate["before"]
    assert rate["during"] <= 0.8 * rate["after"]


# --------------------------------------------------------------------------- stores
def test_every_cafe_order_is_at_a_store(purchases):
    """Every cafe order names one of the seven cafes (``STORES``), every cafe sells,
    and web and phone orders name none."""
    ids = {s[0] for s in setting("STORES")}
    cafe = purchases["channel"] == "cafe"
    assert purchases.loc[cafe, "store_id"].notna().all()
    assert set(purchases.loc[cafe, "store_id"].astype(int)) == ids
    assert purchases.loc[~cafe, "store_id"].isna().all()


def test_cafe_visits_are_within_opening_hours(cafe):
    """Visits start within the opening hours (``CAFE_HOURS``); weekends open an hour
    later (settings), so no weekend visit starts in the first hour, while weekdays do
    have visits then."""
    hours = setting("CAFE_HOURS")
    assert cafe["hour"].between(hours.min(), hours.max()).all()
    weekend = cafe["date"].dt.day_of_week >= 5
    assert (cafe.loc[weekend, "hour"] >= hours.min() + 1).all()
    assert (cafe.loc[~weekend, "hour"] == hours.min()).any()


def test_most_cafe_visits_are_at_the_home_store(cafe, customers):
    """People have a local cafe and sometimes drop into another branch. Every cafe
    customer has a home cafe in their own region (``STORES``), nobody else has one. The
    settings say ``HOME_STORE_SHARE`` of visits are at the home cafe: bounds, the pooled
    share at least that (less 4 binomial standard errors) and at most 95% (some visits
    are elsewhere), and at least 95% of the customers with 10 or more visits make most
    of them at their home cafe."""
    stores = setting("STORES")
    share = setting("HOME_STORE_SHARE")
    c = customers.set_index("customer_id")
    visitors = c.index.isin(cafe["customer_id"].unique())
    assert c.loc[visitors, "home_store_id"].notna().all()
    assert c.loc[~visitors, "home_store_id"].isna().all()
    region_of = {s[0]: s[2] for s in stores}
    home = c.loc[visitors, "home_store_id"].astype(int)
    assert (home.map(region_of) == c.loc[visitors, "region"]).all()
    at_home = (cafe["store_id"] == cafe["customer_id"].map(c["home_store_id"])).to_numpy()
    se = np.sqrt(share * (1 - share) / len(at_home))
    assert share - 4 * se <= at_home.mean() <= 0.95
    per = pd.Series(at_home).groupby(cafe["customer_id"].to_numpy()).agg(["mean", "size"])
    per = per[per["size"] >= REGULAR_VISITS]
    assert (per["mean"] > 0.5).mean() >= 0.95
