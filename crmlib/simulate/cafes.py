"""Cafe visits: habitual regulars beside occasional visitors, day by day.

Cafe visits do not follow BG/NBD. A regular keeps a habit: several visits a
week, on favourite days of the week (one comes every Tuesday and Friday,
another every weekday morning), for months, until the habit ends (a new job,
a move) and they visit only now and then. Everyone else visits occasionally,
at a low rate of their own, and after each visit may stop for good. On top of
both: the season, public holidays (the cafes close on 25 December), the media
push, the loyalty card's goal gradient (visits speed up as the card fills:
Kivetz, Urminsky and Zheng 2006), and service tickets (a visit rated 1 or 2
makes the customer likelier to stop coming).

The simulation steps through the days, vectorised over customers: a visit
on day ``d`` is a Bernoulli draw with the customer's chance for that day.
"""

from __future__ import annotations

import numpy as np

from crmlib.simulate import settings as S
from crmlib.simulate.buying import _tickets, goal_multipliers
from crmlib.simulate.streams import START

STORE_ID = np.array([s[0] for s in S.STORES])
STORE_REGION = np.array([s[2] for s in S.STORES], dtype=object)
STORE_WEIGHT = np.array([s[3] for s in S.STORES])


def holiday_factor(n_days: int) -> np.ndarray:
    """The cafes' trade on each simulation day relative to a normal day (0 = closed).

    Examples
    --------
    >>> f = holiday_factor(1096)
    >>> float(f[357]), float(f[358]), float(f[100])  # 2023-12-24 and -25 are days 357, 358
    (0.6, 0.0, 1.0)
    """
    f = np.ones(n_days)
    for day, factor in S.HOLIDAYS.items():
        d = int((np.datetime64(day) - START).astype(int))
        if 0 <= d < n_days:
            f[d] = factor
    return f


def home_stores(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """Each customer's home cafe: one of the cafes in their region, by the cafes' weights.

    Examples
    --------
    >>> home_stores(np.random.default_rng(0), np.array(["Northside", "Eastgate"])).tolist()
    [5, 6]
    """
    region = np.asarray(region, dtype=object)
    out = np.zeros(len(region), dtype=np.int64)
    u = rng.random(len(region))
    for name in np.unique(STORE_REGION):
        sel = region == name
        stores = np.flatnonzero(STORE_REGION == name)
        cdf = np.cumsum(STORE_WEIGHT[stores]) / STORE_WEIGHT[stores].sum()
        out[sel] = STORE_ID[stores[np.minimum((u[sel][:, None] > cdf).sum(axis=1),
                                              len(stores) - 1)]]
    return out


def _hours(rng, life, weekend) -> np.ndarray:
    """Hour of each visit, by lifestyle; weekends open an hour later."""
    w = np.repeat(S.CAFE_HOUR_WEIGHTS[None], 2, axis=0).copy()  # [weekend][life][hour]
    w[1, :, 1] += w[1, :, 0]
    w[1, :, 0] = 0
    cdf = np.cumsum(w / w.sum(axis=2, keepdims=True), axis=2)
    rows = cdf[weekend.astype(np.int64), life]
    k = (rng.random(len(life))[:, None] > rows).sum(axis=1)
    return S.CAFE_HOURS[np.minimum(k, len(S.CAFE_HOURS) - 1)]


def simulate_cafes(rng: np.random.Generator, traits, start: np.ndarray, home: np.ndarray,
                   day_factor: np.ndarray, end: int, truth) -> dict[str, np.ndarray]:
    """Every cafe visit of the customers up to day ``end``.

    Parameters
    ----------
    traits : pandas.DataFrame
        From :func:`~crmlib.simulate.people.buyer_traits`: ``life``,
        ``cafe_visitor``, ``regular``, ``regular_weekly``, ``habit_weeks``,
        ``occasional_weekly``, ``cafe_leave``.
    start : numpy.ndarray
        Fractional day of each customer's first cafe visit (``inf`` for none).
    home : numpy.ndarray
        Home cafe of each customer.
    day_factor : numpy.ndarray
        Season and media push, per day.
    end : int
        First day not simulated.
    truth : HarborTruth
        ``goal_gradient_top`` and the service effects.

    Returns
    -------
    dict of numpy arrays
        One entry per visit: ``cust``, ``t`` (fractional day), ``store``,
        ``coupon_issued``, ``free_drink``, ``ticket``, ``topic``,
        ``resolve_days``, ``satisfaction``, ``died``.
    """
    n = len(start)
    life = traits["life"].to_numpy()
    regular = traits["regular"].to_numpy()
    wk = S.WEEKDAY_FACTOR / S.WEEKDAY_FACTOR.mean(axis=1, keepdims=True)
    shape = S.REGULAR_DAY_SHAPE
    favour = rng.gamma(shape, 1 / shape, (n, 7))  # each regular's favourite days
    reg_daily = (traits["regular_weekly"].to_numpy() / 7)[:, None] * wk[life] * favour
    occ_daily = (traits["occasional_weekly"].to_numpy() / 7)[:, None] * wk[life]
    habit_end = start + 7 * traits["habit_weeks"].to_numpy()
    leave_p = traits["cafe_leave"].to_numpy()
    goal = goal_multipliers(truth.goal_gradient_top)
    holiday = holiday_factor(len(day_factor))
    first_day = np.where(np.isfinite(start), np.floor(start), -1).astype(np.int64)
    by_day = np.argsort(first_day, kind="stable")
    bounds = np.searchsorted(first_day[by_day], np.arange(end + 1))

    alive = np.zeros(n, dtype=bool)  # has had a first visit and still comes
    stamps = np.zeros(n, dtype=np.int64)
    coupon = np.full(n, np.nan)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "cust", "t", "coupon_issued", "free_drink", "ticket", "topic", "resolve_days",
        "satisfaction", "died", "first")}
    d0 = max(int(first_day[first_day >= 0].min()) if (first_day >= 0).any() else end, 0)
    waiting = np.zeros(0, dtype=np.int64)  # first visits put off by a closed day
    for d in range(d0, end):
        dow = (d + 6) % 7  # day 0 (2023-01-01) is a Sunday; Monday = 0
        new = np.concatenate([waiting, by_day[bounds[d]:bounds[d + 1]]])
        factor = day_factor[d] * holiday[d]
        if factor == 0:
            waiting, new = new, new[:0]
        else:
            waiting = new[:0]
        act = np.flatnonzero(alive)
        if factor > 0 and len(act):
            daily = np.where(regular[act] & (d < habit_end[act]), reg_daily[act, dow],
                             occ_daily[act, dow])
            prob = np.minimum(daily * factor * goal[stamps[act] + 1], S.REGULAR_MAX_DAILY)
            came = act[rng.random(len(act)) < prob]
        else:
            came = act[:0]
        who = np.concatenate([new, came])
        if not len(who):
            alive[new] = True
            continue
        first = np.zeros(len(who), dtype=bool)
        first[: len(new)] = True
        # Loyalty card: redeem a valid coupon, then stamp the card (5 stamps: a coupon).
        age = d - coupon[who]
        free = (age <= S.COUPON_DAYS) & (rng.random(len(who)) < S.COUPON_REDEEM)
        coupon[who[free | (age > S.COUPON_DAYS)]] = np.nan
        stamps[who] += 1
        issued = stamps[who] >= S.STAMPS_PER_REWARD
        stamps[who[issued]] = 0
        coupon[who[issued]] = d
        has, topic, days, sat, poor = _tickets(rng, np.zeros(len(who), dtype=np.int64), truth)
        occasional_mode = ~(regular[who] & (d < habit_end[who]))
        # Many who try a cafe once never come back; later, each visit may be the last.
        leave = np.where(first, S.ONE_VISIT_ONLY, leave_p[who])
        stop = (occasional_mode & (rng.random(len(who)) < leave)) | poor
        alive[new] = True
        alive[who[stop]] = False
        parts["cust"].append(who)
        parts["t"].append(np.full(len(who), float(d)))
        for k, v in (("coupon_issued", issued), ("free_drink", free), ("ticket", has),
                     ("topic", topic), ("resolve_days", days), ("satisfaction", sat),
                     ("died", stop), ("first", first)):
            parts[k].append(v)
    ev = {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}
    # Every visit gets an hour by lifestyle.
    day = ev["t"].astype(np.int64)
    weekend = (day + 6) % 7 >= 5
    hour = _hours(rng, life[ev["cust"]], weekend)
    ev["t"] = day + (hour + rng.random(len(day))) / 24
    away = rng.random(len(day)) >= S.HOME_STORE_SHARE
    other = STORE_ID[rng.choice(len(STORE_ID), p=STORE_WEIGHT / STORE_WEIGHT.sum(),
                                size=len(day))]
    ev["store"] = np.where(away, other, home[ev["cust"]])
    return ev
