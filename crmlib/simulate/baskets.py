"""What each order holds, at what price, and what it costs the customer.

Each order gets a target value drawn from the Gamma-Gamma spend population
(Gamma(p, nu) with the customer's own ``nu``), and its basket is filled toward
that value with products the channel sells and the customer likes: drinks and
bakery in the cafes, beans and brewing supplies from the web shop and the
phone line. Durable goods (grinders, presses, drippers, cups) are bought once
by most owners, rarely again. ``amount`` is the basket at list prices less the
order's discount, to the cent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.simulate import settings as S

PID = np.array([p[0] for p in S.PRODUCTS])
PRICE = np.array([p[3] for p in S.PRODUCTS])
CATEGORY = np.array([p[2] for p in S.PRODUCTS])
DURABLE = np.array([p[5] for p in S.PRODUCTS])
CAFE = np.isin(CATEGORY, list(S.CAFE_CATEGORIES))
DRINK = np.isin(CATEGORY, list(S.DRINK_CATEGORIES))
BEANS = np.isin(CATEGORY, ["Whole beans", "Ground coffee"])
SUPPLY = CATEGORY == "Brewing supplies"
ICED = np.isin(PID, S.ICED_PRODUCTS)
GIFT_BOX = np.flatnonzero(PID == 802)[0]
RISEN = BEANS  # the 2025 price rise is on beans and ground coffee
PRICE_AFTER = np.where(RISEN, np.ceil(PRICE * (1 + S.PRICE_RISE) * 2) / 2, PRICE)


def unit_prices(product_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The list price of each product on each simulation day (the 2025 bean price rise).

    Examples
    --------
    >>> i = np.flatnonzero(PID == 501)
    >>> unit_prices(np.array([i[0], i[0]]), np.array([0, 1000])).tolist()
    [15.0, 17.0]
    """
    rise = int((S.PRICE_RISE_DATE - S.START).astype(int))
    return np.where(np.asarray(day) >= rise, PRICE_AFTER[product_idx], PRICE[product_idx])


def _in_season(day: np.ndarray, season: tuple[str, str]) -> np.ndarray:
    """Whether each simulation day falls between two month-day strings ("11-15")."""
    dates = S.START + np.asarray(day, dtype=np.int64).astype("timedelta64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    md = month * 100 + dom
    lo, hi = (int(x.replace("-", "")) for x in season)
    return (md >= lo) & (md <= hi)


def products() -> pd.DataFrame:
    """The catalogue: id, name, category, list price, unit cost, durable.

    Examples
    --------
    >>> products().loc[lambda d: d["durable"], "name"].tolist()[:2]
    ['Pour-over dripper', 'Burr grinder']
    """
    return pd.DataFrame(S.PRODUCTS, columns=["product_id", "name", "category", "price",
                                             "unit_cost", "durable"])


def _taste_weights(group: np.ndarray) -> np.ndarray:
    """Weights of each product for each taste profile, within a product group."""
    fav = np.zeros((len(S.TASTES), len(PID)))
    for k, prods in enumerate(S.TASTES):
        fav[k, np.isin(PID, prods)] = 1.0
    w = (0.2 + 4.0 * fav) * group[None, :]
    return w / w.sum(axis=1, keepdims=True)


def _draw(rng, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One product index per row, from the row's cumulative weights ``cdf[rows]``.

    The index is the number of cumulative weights below a uniform draw, found by
    a binary search within each distinct row (a few dozen) rather than by
    comparing every draw with every product.
    """
    u = rng.random(len(rows))
    out = np.empty(len(rows), dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    distinct, first = np.unique(rows[order], return_index=True)
    for row, a, b in zip(distinct, first, np.append(first[1:], len(rows))):
        at = order[a:b]
        out[at] = np.searchsorted(cdf[row], u[at], side="left")
    return out


def baskets(rng: np.random.Generator, orders: pd.DataFrame, taste: np.ndarray,
            target: np.ndarray) -> pd.DataFrame:
    """Order lines for every order.

    Parameters
    ----------
    orders : pandas.DataFrame
        ``order_idx`` (0..n-1), ``cust`` (index into ``taste``/``nu``),
        ``channel`` (0 cafe, 1 web, 2 phone), ``free_drink`` (bool),
        ``welcome`` (bool: the first order of a campaign-acquired customer),
        ``day`` (simulation day) and ``office`` (bool: an office customer's order).
        Orders must be in time order within each customer.
    taste : numpy.ndarray
        Each customer's taste profile (0..4).
    target : numpy.ndarray
        Each order's target value (drawn from the Gamma-Gamma population).

    Returns
    -------
    pandas.DataFrame
        ``order_idx``, ``product_idx``, ``quantity``, ``unit_price`` (the list
        price on the order's day).
    """
    n = len(orders)
    cust = orders["cust"].to_numpy()
    chan = orders["channel"].to_numpy()
    day = orders["day"].to_numpy()
    month = (S.START + day.astype("timedelta64[D]")).astype("datetime64[M]").astype(
        np.int64) % 12
    cafe_cdf = np.cumsum(_taste_weights(CAFE), axis=1)
    # Iced drinks sell in summer: a cafe pick's weights by taste and month.
    w = _taste_weights(CAFE)[:, None, :] * np.where(ICED[None, None, :],
                                                     S.ICED_MONTH_FACTOR[None, :, None], 1.0)
    season_cdf = np.cumsum(w / w.sum(axis=2, keepdims=True), axis=2).reshape(-1, len(PID))
    bean_cdf = np.cumsum(_taste_weights(BEANS), axis=1)
    dur_cdf = np.cumsum(_taste_weights(DURABLE), axis=1)
    # A personal favourite cafe item per customer takes half of their cafe picks.
    fav = _draw(rng, cafe_cdf, taste)
    is_cafe = chan == 0
    # Cafe: about one item per $4 of target; a bag of beans now and then.
    bag_in_cafe = is_cafe & (target > 16) & (rng.random(n) < 0.35)
    cafe_value = np.where(bag_in_cafe, target - 16.5, target)
    k_cafe = np.where(is_cafe, np.clip(np.floor(cafe_value / 4.1 + rng.random(n)), 1, 6), 0)
    k_cafe = k_cafe.astype(np.int64)
    # Web and phone: bags of beans toward the target, filters sometimes.
    # About one bag per $21 of target (bags cost $15-52), leaving room for the extras.
    k_bags = np.where(~is_cafe, np.clip(np.floor((target - 6.0) / 21.0 + rng.random(n)), 1, 8),
                      0)
    # Offices won by sales visits buy in bulk.
    k_bags = np.where(orders["office"].to_numpy(), k_bags * S.OFFICE_BULK, k_bags)
    k_bags = (k_bags + bag_in_cafe).astype(np.int64)
    lines = []
    o = np.repeat(np.arange(n), k_cafe)
    pick = np.where(rng.random(len(o)) < 0.5, fav[cust[o]],
                    _draw(rng, season_cdf, taste[cust[o]] * 12 + month[o]))
    lines.append((o, pick))
    o = np.repeat(np.arange(n), k_bags)
    lines.append((o, _draw(rng, bean_cdf, taste[cust[o]])))
    filters = ~is_cafe & (rng.random(n) < np.where(np.isin(taste[cust], [1, 3]), 0.30, 0.08))
    lines.append((np.flatnonzero(filters), np.full(filters.sum(), np.flatnonzero(SUPPLY)[0])))
    # Durables: a chance per web or phone order; owners rarely buy the same again.
    gifts = _in_season(day, S.GIFT_SEASON)
    o = np.flatnonzero(~is_cafe & (rng.random(n) < np.where(gifts, S.GIFT_DURABLE_CHANCE,
                                                             0.06)))
    d = _draw(rng, dur_cdf, taste[cust[o]])
    key = pd.DataFrame({"cust": cust[o], "d": d})
    copy = key.groupby(["cust", "d"]).cumcount().to_numpy()  # 0: the first of its kind
    keep = (copy == 0) | ((copy == 1) & (rng.random(len(o)) < S.DURABLE_REPEAT))
    # A second copy of the same durable within one customer's history is rare.
    lines.append((o[keep], d[keep]))
    # Gift boxes before Christmas.
    box = ~is_cafe & gifts & (rng.random(n) < 0.15)
    lines.append((np.flatnonzero(box), np.full(box.sum(), GIFT_BOX)))
    # A free drink needs a drink in the basket.
    no_drink = orders["free_drink"].to_numpy()
    lines.append((np.flatnonzero(no_drink), fav[cust[no_drink]]))
    # The welcome offer is on a bag of beans.
    welcome = orders["welcome"].to_numpy() & (k_bags == 0)
    lines.append((np.flatnonzero(welcome), _draw(rng, bean_cdf, taste[cust[welcome]])))
    order_idx = np.concatenate([x[0] for x in lines])
    prod = np.concatenate([x[1] for x in lines])
    # A free-drink line must be a drink: swap a non-drink favourite for filter coffee.
    free_line = np.zeros(len(prod), dtype=bool)
    start = sum(len(x[0]) for x in lines[:-2])
    free_line[start:start + no_drink.sum()] = True
    prod = np.where(free_line & ~DRINK[prod], np.flatnonzero(PID == 201)[0], prod)
    # Free shipping from a basket value: remote shoppers a little below it often top up,
    # with filters when they are enough, otherwise with one more bag.
    value = np.bincount(order_idx, weights=unit_prices(prod, day[order_idx]), minlength=n)
    gap = S.FREE_SHIPPING_FROM - value
    top = np.flatnonzero(~is_cafe & (gap > 0) & (gap <= S.TOP_UP_WINDOW)
                         & (rng.random(n) < S.TOP_UP_CHANCE))
    supply = np.flatnonzero(SUPPLY)[0]
    bag = _draw(rng, bean_cdf, taste[cust[top]])
    add = np.where(gap[top] <= PRICE[supply], supply, bag)
    order_idx = np.concatenate([order_idx, top])
    prod = np.concatenate([prod, add])
    # Lines of the same product in one order are one line with its quantity, sorted by
    # order then product (one integer key per pair instead of a two-column groupby).
    pair, quantity = np.unique(order_idx.astype(np.int64) * len(PID) + prod, return_counts=True)
    items = pd.DataFrame({"order_idx": pair // len(PID), "product_idx": pair % len(PID),
                          "quantity": quantity})
    items["unit_price"] = unit_prices(items["product_idx"].to_numpy(),
                                      day[items["order_idx"].to_numpy()])
    return items


def discounts(items: pd.DataFrame, orders: pd.DataFrame, offer_value: np.ndarray
              ) -> np.ndarray:
    """Each order's discount in dollars.

    A free drink takes off the dearest drink in the basket; a retention offer
    its face value; the welcome offer half the price of the dearest bag.
    """
    n = len(orders)
    price = items["unit_price"].to_numpy()
    oi = items["order_idx"].to_numpy()
    drink_price = np.zeros(n)
    np.maximum.at(drink_price, oi, np.where(DRINK[items["product_idx"].to_numpy()], price, 0))
    bag_price = np.zeros(n)
    np.maximum.at(bag_price, oi, np.where(BEANS[items["product_idx"].to_numpy()], price, 0))
    disc = np.where(orders["free_drink"].to_numpy(), drink_price, 0.0)
    # A retention offer takes its face value off, but never more than half the basket.
    value = np.bincount(oi, weights=items["quantity"].to_numpy() * price, minlength=n)
    disc = disc + np.minimum(offer_value, value / 2)
    disc = disc + np.where(orders["welcome"].to_numpy(), bag_price / 2, 0.0)
    return np.round(disc, 2)


def order_totals(items: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Items and list-price value of each order."""
    oi = items["order_idx"].to_numpy()
    q = items["quantity"].to_numpy()
    value = np.bincount(oi, weights=q * items["unit_price"].to_numpy(), minlength=n)
    return np.bincount(oi, weights=q, minlength=n).astype(np.int64), np.round(value, 2)
