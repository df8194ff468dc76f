"""Retention campaigns: random control groups and a true, state-dependent effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.simulate import settings as S
from crmlib.simulate.buying import BuyerState, Offer
from crmlib.simulate.streams import day_of


def true_offer_effect(truth, lapse, alive, lam=None) -> tuple[np.ndarray, np.ndarray]:
    """The true effect of a retention offer on each customer.

    Parameters
    ----------
    truth : HarborTruth
        ``offer_peak_rate`` (extra purchases a week at the peak),
        ``offer_peak_lapse``, ``offer_weeks``, ``offer_dropout_cut`` and
        ``offer_regular_purchases``.
    lapse : array-like
        Expected purchases missed since the last purchase.
    alive : array-like of bool
        Whether the customer is still a customer (latent; the firm cannot see it).
    lam : array-like, optional
        The customer's weekly purchase rate. A customer expected to buy
        ``offer_regular_purchases`` times during the offer anyway is moved
        ``exp(-1)`` as much, twice that many ``exp(-2)``: regulars would have
        bought regardless.

    Returns
    -------
    extra_rate, dropout_cut : numpy.ndarray
        Extra purchases a week while the offer runs (``offer_weeks``), and the
        share of the dropout chance removed for ``offer_dropout_weeks``; both 0
        for customers who have already left.

    Examples
    --------
    >>> from crmlib.simulate.settings import HarborTruth
    >>> extra, cut = true_offer_effect(HarborTruth(), [0.0, 3.0, 30.0, 3.0],
    ...                                [True, True, True, False])
    >>> extra.round(3).tolist(), cut.round(3).tolist()
    ([0.0, 0.15, 0.0, 0.0], [0.25, 0.5, 0.25, 0.0])
    """
    alive = np.asarray(alive, dtype=bool)
    x = np.asarray(lapse, dtype="float64") / truth.offer_peak_lapse
    shape = x * np.exp(1 - x) * alive
    # Being looked after lowers everyone's chance of leaving a little, those
    # drifting away most: between half the cut and the whole of it.
    cut = truth.offer_dropout_cut * (1 + shape) / 2 * alive
    if lam is not None:
        expected = np.asarray(lam, dtype="float64") * truth.offer_weeks
        shape = shape * np.exp(-expected / truth.offer_regular_purchases)
    return truth.offer_peak_rate * shape, cut


class RetentionCampaigns:
    """Runs the retention plan inside the purchase simulation.

    At each campaign's start, customers who joined at least
    ``ELIGIBLE_MIN_TENURE_DAYS`` ago and bought within
    ``ELIGIBLE_MAX_RECENCY_DAYS`` are eligible; a random share is held out as
    the control group and only the treatment group is contacted. The records
    (assignments, contacts and the answer key of true effects) are kept here.
    """

    def __init__(self, rng: np.random.Generator, truth, first_id: int,
                 email_rng: np.random.Generator | None = None, off_list=None,
                 email_off=None):
        self.rng, self.truth, self.first_id = rng, truth, first_id
        self.plan = [(day_of(d), ch, value, hold) for d, ch, value, hold in S.RETENTION_PLAN]
        self.assignments: list[pd.DataFrame] = []
        # v3: the lists leave out customers who asked to be forgotten (from the day
        # in ``off_list``, inf = never) and, for e-mail, those who unsubscribed
        # (``email_off``, updated as e-mails bounce or are unsubscribed from).
        self.email_rng, self.off_list, self.email_off = email_rng, off_list, email_off

    @property
    def days(self) -> list[float]:
        return [float(d) for d, *_ in self.plan]

    def __call__(self, k: int, day: float, st: BuyerState) -> Offer:
        start, channel, value, hold = self.plan[k]
        cid = self.first_id + k
        n = len(st.lam)
        eligible = ((st.start <= start - S.ELIGIBLE_MIN_TENURE_DAYS)
                    & (st.last >= start - S.ELIGIBLE_MAX_RECENCY_DAYS))
        if self.off_list is not None:  # the list is drawn a few days before sending
            eligible &= self.off_list[:n] > start - S.CAMPAIGN_LIST_LEAD_DAYS
        if channel == "email" and self.email_off is not None:
            eligible &= ~self.email_off[:n]
        idx = np.flatnonzero(eligible)
        treated = self.rng.random(len(idx)) >= hold
        bounced = np.zeros(len(idx), dtype=bool)
        unsub = np.zeros(len(idx), dtype=bool)
        if channel == "email" and self.email_rng is not None:
            # A few e-mails bounce (the offer never arrives); a few recipients
            # unsubscribe and get no later e-mail.
            u = self.email_rng.random((len(idx), 2))
            bounced = treated & (u[:, 0] < self.truth.email_bounce)
            unsub = treated & ~bounced & (u[:, 1] < self.truth.email_unsubscribe)
            if self.email_off is not None:
                self.email_off[idx[unsub]] = True
        reached = treated & ~bounced
        lapse = (start - st.last[idx]) * st.lam[idx] / 7
        extra, cut = true_offer_effect(self.truth, lapse, st.alive[idx], st.lam[idx])
        # The lower dropout chance outlasts the offer itself (set in the state).
        reached_idx = idx[reached]
        st.cut[reached_idx] = cut[reached]
        st.cut_until[reached_idx] = start + 7 * self.truth.offer_dropout_weeks
        self.assignments.append(pd.DataFrame({
            "campaign_id": cid, "customer_idx": idx, "treated": treated,
            "assigned_day": start, "alive": st.alive[idx], "lapse": lapse,
            "extra_rate": extra, "dropout_cut": cut, "bounced": bounced,
            "unsubscribed": unsub}))
        full_extra = np.zeros(n)
        full_extra[idx[reached]] = extra[reached]
        can = np.zeros(n, dtype=bool)
        can[idx[reached]] = True
        return Offer(campaign=cid, extra_rate=full_extra,
                     until=start + 7 * self.truth.offer_weeks,
                     redeem_until=start + S.OFFER_REDEEM_DAYS,
                     redeem_prob=S.OFFER_REDEEM[channel], can_redeem=can)

    def campaigns(self) -> pd.DataFrame:
        """The retention campaigns' rows of the ``campaigns`` table."""
        return pd.DataFrame([
            (self.first_id + k, f"Retention {k + 1:02d}: {ch}, ${value:.0f} off", "customers",
             ch, d, 1, S.RETENTION_COST[ch], f"${value:.2f} off the next order within "
             f"{S.OFFER_REDEEM_DAYS} days")
            for k, (d, ch, value, hold) in enumerate(self.plan)],
            columns=["campaign_id", "name", "audience", "channel", "start_day", "waves",
                     "cost_per_contact", "offer"])

    def offer_value(self, campaign_id: np.ndarray) -> np.ndarray:
        """Discount in dollars of each campaign id (0 where there is none)."""
        values = np.zeros(self.first_id + len(self.plan) + 1)
        for k, (_, _, value, _) in enumerate(self.plan):
            values[self.first_id + k] = value
        cid = np.asarray(campaign_id)
        return np.where(cid > 0, values[np.maximum(cid, 0)], 0.0)


def future_offer_outcomes(truth, lam, alive, last_day, day: float, channel: str,
                   day_factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What a retention offer sent on ``day`` would do to each customer, in expectation.

    The simulator's own rules (:meth:`RetentionCampaigns.__call__` and
    :func:`~crmlib.simulate.buying.simulate_buying`): the extra purchase rate of
    :func:`true_offer_effect` lasts ``offer_weeks``; the offer is redeemed on
    the customer's first remote purchase within ``OFFER_REDEEM_DAYS`` of the
    contact, with the channel's chance ``OFFER_REDEEM``; an e-mail that bounces
    (``email_bounce``) does nothing. Vectorised over customers.

    Parameters
    ----------
    truth : HarborTruth
    lam, alive, last_day : array-like
        Weekly remote-purchase rate, whether still a customer, and the day of
        the last remote purchase (the state the campaigns read).
    day : float
        Simulation day the offer goes out.
    channel : str
        ``"email"``, ``"direct mail"`` or ``"phone"``.
    day_factor : numpy.ndarray
        The remote orders' rate multiplier of each simulation day (season).

    Returns
    -------
    extra_orders, redeem_chance : numpy.ndarray
        Expected extra remote orders in the offer's weeks (the answer key's
        ``true_extra_orders``, times the chance the offer arrives), and the
        chance the customer redeems it (a discount on an order, caused or not).

    Examples
    --------
    >>> from crmlib.simulate.settings import HarborTruth
    >>> extra, redeem = future_offer_outcomes(HarborTruth(), [0.5, 0.5], [True, False],
    ...                                       [100.0, 100.0], 142.0, "direct mail", np.ones(400))
    >>> extra.round(3).tolist(), redeem.round(3).tolist()
    ([0.158, 0.0], [0.561, 0.0])
    """
    lam = np.asarray(lam, dtype="float64")
    alive = np.asarray(alive, dtype=bool)
    lapse = (day - np.asarray(last_day, dtype="float64")) * lam / 7
    extra_rate, _ = true_offer_effect(truth, lapse, alive, lam)
    arrives = 1 - truth.email_bounce if channel == "email" else 1.0
    days = np.arange(int(day), int(day) + S.OFFER_REDEEM_DAYS)  # t in [day, day + 21]
    # The first purchase in the redemption window: Poisson with the seasonal rate
    # plus the offer's extra rate (the window is shorter than the offer's weeks).
    base = lam / 7 * day_factor[days].sum()
    extra = extra_rate / 7 * min(len(days), 7 * truth.offer_weeks)
    redeem = np.where(alive, 1 - np.exp(-(base + extra)), 0.0)
    return (arrives * extra_rate * truth.offer_weeks,
            arrives * S.OFFER_REDEEM[channel] * redeem)
