"""Remote orders (web shop and phone line): when bean buyers order, and when they leave.

The process is the BG/NBD story of Fader, Hardie and Lee (2005): while alive,
a customer orders as a Poisson process at their own rate ``lambda``; after each
repeat order they leave for good with probability ``p``. Cafe visits are a
different story (:mod:`~crmlib.simulate.cafes`). On top of it, and each built
so that the BG/NBD truth still holds on average:

* a seasonal rhythm with the pre-Christmas peak (factors that average 1 over a year);
* retention offers (a randomised treatment group buys more, and leaves less,
  for a few weeks, by an amount that depends on the customer's state);
* the autumn media push (existing customers buy a little more while it runs);
* service tickets (a ticket that leaves an experience of 1 or 2 makes the customer
  likelier to leave, whether or not they answer the satisfaction survey).

Time-varying rates are drawn exactly by thinning: candidate purchases arrive
at an upper-bound rate and each is kept with probability rate / bound. The loop
runs over purchase *rounds*, vectorised across customers, never over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from crmlib.simulate import settings as S


def goal_multipliers(top: float) -> np.ndarray:
    """Purchase-rate multipliers by the stamps on the loyalty card.

    Entry 0 is for customers without a card (no cafe purchase yet): 1. Entries
    1 to 5 are for 0 to 4 stamps: slow just after a reward (0 stamps), level
    with 1 or 2, faster with 3 and fastest with 4. They are scaled to a
    harmonic mean of 1, so a card takes exactly as long to fill as it would
    at the customer's own rate, and ``top`` is the rate with 4 stamps over the
    rate with 0.

    Parameters
    ----------
    top : float
        Rate with 4 stamps over the rate just after a reward (1 = no effect).

    Examples
    --------
    >>> g = goal_multipliers(1.4)
    >>> round(float(5 / (1 / g[1:]).sum()), 12), round(float(g[5] / g[1]), 3)
    (1.0, 1.4)
    """
    # Geometric in the distance from the reward, centred on 1 and 2 stamps.
    s = np.log(top)
    raw = np.exp(s * np.array([-0.45, 0.0, 0.0, 0.2, 0.55]))
    g = raw * (1 / raw).mean()
    return np.concatenate([[1.0], g])


@dataclass
class BuyerState:
    """What the simulation knows about each customer at a point in time."""

    lam: np.ndarray  # purchase rate per week
    p: np.ndarray  # dropout chance after each repeat purchase
    start: np.ndarray  # day (fractional) of the first purchase
    life: np.ndarray  # lifestyle index
    nu: np.ndarray  # Gamma-Gamma spend rate (an order's target value is Gamma(p, nu))
    no_phone_until: np.ndarray  # phone orders go to the web before this day
    alive: np.ndarray = field(init=False)
    last: np.ndarray = field(init=False)  # day of the last purchase
    n_orders: np.ndarray = field(init=False)
    stamps: np.ndarray = field(init=False)
    coupon_day: np.ndarray = field(init=False)  # issue day of an unredeemed coupon, or nan
    death_day: np.ndarray = field(init=False)
    cut: np.ndarray = field(init=False)  # share of the dropout chance a retention offer removes
    cut_until: np.ndarray = field(init=False)  # ... until this day

    def __post_init__(self):
        n = len(self.lam)
        self.alive = np.ones(n, dtype=bool)
        self.last = self.start.copy()
        self.n_orders = np.zeros(n, dtype=np.int64)
        self.stamps = np.full(n, -1, dtype=np.int64)  # -1: no loyalty card yet
        self.coupon_day = np.full(n, np.nan)
        self.death_day = np.full(n, np.inf)
        self.cut = np.zeros(n)
        self.cut_until = np.full(n, -np.inf)


@dataclass
class Offer:
    """A retention offer's effect on each customer (zeros for those not treated)."""

    campaign: int
    extra_rate: np.ndarray  # extra purchases a week while the offer runs
    until: float  # the day the effect ends
    redeem_until: float  # the day the offer can last be redeemed
    redeem_prob: float
    can_redeem: np.ndarray  # treated customers who have not used the offer yet


_TICKET_RATE = np.array([S.TICKET_RATE[c] for c in S.CHANNELS])


class _Events:
    """Columns of the purchase events, gathered round by round."""

    names = ["cust", "t", "channel", "target", "coupon_issued", "free_drink", "offer", "ticket",
             "topic", "resolve_days", "satisfaction", "died"]

    def __init__(self):
        self.parts = {k: [] for k in self.names}

    def add(self, **cols):
        for k in self.names:
            self.parts[k].append(cols[k])

    def frame(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.array([]) for k, v in self.parts.items()}


def order_targets(rng, st: BuyerState, who, truth) -> np.ndarray:
    """Each order's target value: Gamma(p, nu) with the customer's own ``nu``."""
    return rng.gamma(truth.p, 1.0 / st.nu[who])


def choose_channel(rng, life, target=None, t=None, no_phone_until=None) -> np.ndarray:
    """Channel of each remote order (1 web, 2 phone), from the lifestyle.

    Most remote orders come through the web shop; a share of each lifestyle
    prefers the phone line (``PHONE_SHARE``). During the media push, customers
    won by the TV spots order through the web shop (``no_phone_until``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> chan = choose_channel(rng, np.full(2000, 4))
    >>> bool(0.4 < (chan == 2).mean() < 0.5), bool((chan > 0).all())
    (True, True)
    """
    life = np.asarray(life)
    phone = rng.random(len(life)) < S.PHONE_SHARE[life]
    chan = np.where(phone, 2, 1)
    if no_phone_until is not None:
        chan = np.where((chan == 2) & (t < no_phone_until), 1, chan)
    return chan


def _topic_tables():
    """Cumulative topic probabilities per channel, and the topics' settings, as arrays."""
    topics = all_topics()
    cdf = np.zeros((len(S.CHANNELS), len(topics)))
    for c, name in enumerate(S.CHANNELS):
        names, weights = S.TICKET_TOPICS[name]
        for x, w in zip(names, weights):
            cdf[c, topics.index(x)] = w
    cdf = np.cumsum(cdf, axis=1)
    cdf[:, -1] = 1.0
    mean_days = np.array([S.RESOLUTION_DAYS[x] for x in topics])
    shift = np.array([S.SATISFACTION_TOPIC_SHIFT[x] for x in topics])
    return cdf, mean_days, shift


def _tickets(rng, chan, truth):
    """Service tickets raised about some orders: topic, days to resolve, rating."""
    n = len(chan)
    cdf, mean_days, shift = _TOPICS
    has = rng.random(n) < _TICKET_RATE[chan]
    topic = np.where(has, (rng.random(n)[:, None] > cdf[chan]).sum(axis=1), -1)
    t = np.maximum(topic, 0)
    days = np.where(has, rng.geometric(1 / (mean_days[t] + 1)) - 1, 0)
    # The experience the ticket leaves (1-5; whether it is reported is drawn later,
    # by the survey): mostly good, worse the longer it takes to resolve.
    latent = (S.SATISFACTION_BASE + shift[t] + S.SATISFACTION_PER_DAY * days
              + rng.normal(0, S.SATISFACTION_NOISE, n))
    sat = np.where(has, np.clip(np.round(latent), 1, 5), 0).astype(np.int64)
    leave = has & (sat <= 2) & (rng.random(n) < truth.poor_service_leave)
    return has, topic, days, sat, leave


def all_topics() -> list[str]:
    """Every ticket topic, in a fixed order."""
    seen: list[str] = []
    for c in S.CHANNELS:
        for x in S.TICKET_TOPICS[c][0]:
            if x not in seen:
                seen.append(x)
    return seen


_TOPICS = _topic_tables()


def _purchase(rng, st: BuyerState, ev: _Events, who, t, chan, target, offer: Offer | None,
              truth, repeat: bool):
    """Record purchases by customers ``who`` at days ``t`` and update their state."""
    cafe = chan == 0
    # Loyalty card: redeem a valid coupon at a cafe visit, then stamp the card.
    age = t - st.coupon_day[who]
    valid = cafe & (age <= S.COUPON_DAYS)
    free = valid & (rng.random(len(who)) < S.COUPON_REDEEM)
    expired = age > S.COUPON_DAYS
    st.coupon_day[who[free | expired]] = np.nan
    st.stamps[who[cafe]] = np.maximum(st.stamps[who[cafe]], 0) + 1  # a first visit gets a card
    issued = cafe & (st.stamps[who] >= S.STAMPS_PER_REWARD)
    st.stamps[who[issued]] = 0
    st.coupon_day[who[issued]] = t[issued]
    # Retention offer redeemed on the first purchase while it is open.
    used = np.full(len(who), -1)
    if offer is not None:
        open_ = offer.can_redeem[who] & (t <= offer.redeem_until)
        take = open_ & (rng.random(len(who)) < offer.redeem_prob)
        used[take] = offer.campaign
        offer.can_redeem[who[open_]] = False  # one chance per customer
    has, topic, days, sat, leave = _tickets(rng, chan, truth)
    died = np.zeros(len(who), dtype=bool)
    if repeat:
        p = st.p[who] * (1 - np.where(t < st.cut_until[who], st.cut[who], 0.0))
        died = (rng.random(len(who)) < p) | leave
    else:
        died = leave
    st.alive[who[died]] = False
    st.death_day[who[died]] = t[died]
    st.last[who] = t
    st.n_orders[who] += 1
    ev.add(cust=who, t=t, channel=chan, target=target, coupon_issued=issued, free_drink=free,
           offer=used, ticket=has, topic=topic, resolve_days=days, satisfaction=sat, died=died)


def simulate_buying(rng: np.random.Generator, st: BuyerState, truth, day_factor: np.ndarray,
                    end: float, campaign_days: list[float] | None = None,
                    assign: Callable[[int, float, BuyerState], Offer] | None = None,
                    first_channel: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Simulate every purchase of the customers in ``st`` up to day ``end``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream to draw from.
    st : BuyerState
        Customers' latent traits; updated in place (alive, last purchase ...).
    truth : HarborTruth
        Effect sizes (goal gradient, service).
    day_factor : numpy.ndarray
        Rate multiplier of each simulation day (season and media push).
    end : float
        First day not simulated.
    campaign_days, assign : optional
        Days on which a retention campaign starts, and a function that, given
        the campaign's index, day and the state, returns its :class:`Offer`.
    first_channel : numpy.ndarray, optional
        Channel code of each customer's first purchase.

    Returns
    -------
    dict of numpy arrays
        One entry per purchase event: customer index, fractional day,
        channel code, loyalty-card, offer, ticket and dropout columns.
    """
    ev = _Events()
    n = len(st.lam)
    # First purchases (sign-up): never followed by dropout from the BG/NBD process.
    first = np.argsort(st.start, kind="stable")
    target0 = order_targets(rng, st, first, truth)
    chan0 = first_channel[first] if first_channel is not None else choose_channel(
        rng, st.life[first], target0)
    _purchase(rng, st, ev, first, st.start[first], chan0, target0, None, truth, repeat=False)
    st.n_orders[:] = 1
    t = st.start.copy()
    bound_lam = st.lam / 7 * day_factor.max()
    bounds = sorted(campaign_days or []) + [end]
    lo = -np.inf
    offer = None
    for k, hi in enumerate(bounds):
        if k > 0 and assign is not None:
            offer = assign(k - 1, lo, st)
        extra = offer.extra_rate / 7 if offer is not None else np.zeros(n)
        t = np.maximum(t, lo)
        who = np.flatnonzero(st.alive & (st.start < hi))
        while len(who):
            rate_hi = bound_lam[who] + extra[who]
            t_new = t[who] + rng.exponential(1.0, len(who)) / rate_hi
            inside = t_new < hi
            t[who] = np.where(inside, t_new, hi)
            who, t_new = who[inside], t_new[inside]
            day = np.floor(t_new).astype(np.int64)
            rate = st.lam[who] / 7 * day_factor[day]
            if offer is not None:
                rate = rate + np.where(t_new < offer.until, extra[who], 0.0)
            keep = rng.random(len(who)) * rate_hi[inside] < rate
            buyers, tb = who[keep], t_new[keep]
            if len(buyers):
                target = order_targets(rng, st, buyers, truth)
                chan = choose_channel(rng, st.life[buyers], target, tb,
                                      st.no_phone_until[buyers])
                _purchase(rng, st, ev, buyers, tb, chan, target, offer, truth, repeat=True)
            who = who[st.alive[who]]
        lo = hi
    return ev.frame()
