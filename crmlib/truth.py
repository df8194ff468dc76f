"""The truth behind Harbor Coffee: what the simulation made so, for checking methods.

Harbor Coffee is simulated (:mod:`crmlib.simulate`), so every effect a lesson
estimates has a known true size. This module is the one place lessons,
workbook keys and tests read that truth from; nothing else of
:mod:`crmlib.simulate` is theirs to import, so the simulator's insides can
change without breaking a lesson. Use the truth only to *score* a method
(how close did the estimate come?), never as an input to it: a real firm
does not know it.

- :func:`parameters`: every true parameter of the data or of a student's
  variant (BG/NBD, Gamma-Gamma, sBG, offer, media, call-centre and service
  effects);
- :func:`offer_effect`: the true effect of a retention offer on a customer;
- :func:`future_offer_outcomes`: what a retention offer sent after the data end would
  do to each remote buyer, from the simulation's latent state then;
- :func:`goal_gradient`: the true cafe-visit rate multiplier by loyalty stamps;
- :func:`lead_chance` and :func:`exposure_lift`: the true chance that a
  contact turns a prospect into a lead, and its lift over repeated exposures;
- :func:`organic_signup_weight`: the seasonal, growing sign-up baseline
  (without the media push);
- :func:`latent_population`: fresh customers drawn by the simulator's rules,
  with the remote-order, cafe-visit, dropout and spend rates that are never shipped;
- :func:`setting`: any other named setting of the story
  (:mod:`crmlib.simulate.settings`).

The answer-key tables (``campaign_effects``, ``silo_links``, ``compliance_breaches``)
are data, loaded with :func:`crmlib.data.load_harbor`.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from crmlib.checks import check_count
from crmlib.simulate import settings as _settings

__all__ = [
    "Parameters",
    "exposure_lift",
    "goal_gradient",
    "latent_population",
    "lead_chance",
    "offer_effect",
    "future_offer_outcomes",
    "organic_signup_weight",
    "parameters",
    "setting",
]


class Parameters(dict):
    """True parameters by name, each also an attribute (``truth.r`` is ``truth["r"]``).

    A plain ``dict`` otherwise: ``pandas.Series(truth)`` lines the values up
    with a model's estimates by name.

    Examples
    --------
    >>> truth = parameters()
    >>> truth.r == truth["r"]
    True
    """

    def __getattr__(self, name: str) -> float:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no true parameter {name!r}; the parameters are "
                                 f"{sorted(self)}") from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self))


def _truth(variant: int | None):
    from crmlib.simulate.harbor import truth_of

    return truth_of(variant)


def parameters(variant: int | None = None) -> Parameters:
    """Every true parameter of the committed data or of a student's variant.

    Parameters
    ----------
    variant : int or None
        ``None`` for the committed data; a non-negative integer for a
        student's variant (``load_harbor(table, variant=...)``), whose BG/NBD,
        Gamma-Gamma and sBG parameters are the base ones scaled by a
        reproducible factor between 0.9 and 1.1.

    Returns
    -------
    Parameters
        Name to value, readable as ``truth["r"]`` or ``truth.r``: the BG/NBD
        population ``r, alpha, a, b`` (weekly purchase rate Gamma(r, alpha),
        dropout after each purchase Beta(a, b)); the Gamma-Gamma spend
        population ``p, q, gamma``; the subscriptions' sBG ``sbg_alpha,
        sbg_beta``; and the story's effect sizes (offers, media push, call
        centre, service), each documented in ``datasets/README.md``.

    Raises
    ------
    ValueError
        When ``variant`` is not ``None`` or a non-negative integer.

    Examples
    --------
    >>> truth = parameters()
    >>> truth["r"], truth["alpha"], truth.sbg_beta
    (0.4, 2.5, 3.4)
    >>> parameters(variant=7)["r"]  # 0.4 scaled by a factor between 0.9 and 1.1
    0.36
    """
    return Parameters(asdict(_truth(variant)))


def offer_effect(lapse: npt.ArrayLike, alive: npt.ArrayLike,
                 weekly_rate: npt.ArrayLike | None = None, *,
                 variant: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The true effect of a retention offer on each customer it reaches.

    The extra purchase rate peaks for customers who have missed about
    ``offer_peak_lapse`` expected purchases (drifting away, not gone) and is
    small for those who bought recently or lapsed long ago; regulars, who
    would have bought anyway, are moved less. Customers who have already
    left are not moved at all.

    Parameters
    ----------
    lapse : array-like of float
        Expected purchases missed since the customer's last purchase (days
        since it times the weekly purchase rate, over 7).
    alive : array-like of bool
        Whether each customer is still a customer (latent: the firm cannot see it).
    weekly_rate : array-like of float, optional
        Each customer's true weekly purchase rate while alive. Without it,
        the effect ignores how regular the customer is.
    variant : int or None
        The data set whose truth to use (see :func:`parameters`).

    Returns
    -------
    extra_rate, dropout_cut : numpy.ndarray
        Extra purchases a week while the offer runs (``offer_weeks``), and the
        share of the chance of leaving removed for ``offer_dropout_weeks``;
        both 0 for customers who have left.

    Examples
    --------
    >>> extra, cut = offer_effect([0.0, 3.0, 30.0, 3.0], [True, True, True, False])
    >>> extra.round(3).tolist(), cut.round(3).tolist()
    ([0.0, 0.15, 0.0, 0.0], [0.25, 0.5, 0.25, 0.0])
    >>> regular, _ = offer_effect([3.0], [True], weekly_rate=[1.0])
    >>> bool(regular[0] < extra[1])  # a regular would have bought anyway
    True
    """
    from crmlib.simulate.campaigns import true_offer_effect

    return true_offer_effect(_truth(variant), lapse, alive, lam=weekly_rate)


def future_offer_outcomes(date: str = "2026-01-01", channel: str = "direct mail", *,
                   variant: int | None = None) -> pd.DataFrame:
    """What a retention offer sent on ``date`` would do to each remote buyer, in expectation.

    The answer key of a campaign that never ran: the simulation's latent state
    when the data end (who is still a customer, each one's true weekly rate and
    last remote purchase, who is off the campaign lists) with the simulator's
    own effect (:func:`offer_effect`) and redemption rules. A workbook key
    scores a targeting decision with it; a lesson or a student's model must
    never use it as an input (a real firm does not know it).

    It reads the state the variant's simulation recorded beside its tables
    (simulated once per process and shared with them), and changes no table.

    Parameters
    ----------
    date : str or date-like
        The day the offer goes out, after the data end (31 December 2025).
    channel : str
        ``"email"``, ``"direct mail"`` or ``"phone"`` (the redemption chance,
        and e-mails that bounce or go to customers who unsubscribed).
    variant : int or None
        The data set whose truth to use (see :func:`parameters`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, every customer who has ordered by web or
        phone: ``reachable`` (the offer can be sent: not erased from the lists,
        and for e-mail not unsubscribed), ``alive`` (still a customer),
        ``weekly_rate`` (λ, remote orders a week while a customer),
        ``expected_missed`` (the lapse: days since the last remote purchase ×
        λ / 7), ``true_extra_orders`` (extra remote orders the offer causes in
        its ``offer_weeks``, as in the ``campaign_effects`` answer key) and
        ``redeem_chance`` (the chance the offer is redeemed on a remote order,
        caused or not). An unreachable customer gets 0 for both. Customers
        who never ordered remotely are not listed: the offer does nothing for them.

    Raises
    ------
    ValueError
        A date on or before the data end, or an unknown channel.

    Examples
    --------
    >>> out = future_offer_outcomes("2026-01-01", "direct mail")
    >>> list(out.columns)
    ['reachable', 'alive', 'weekly_rate', 'expected_missed', 'true_extra_orders', 'redeem_chance']
    >>> bool((out.loc[~out["alive"], "true_extra_orders"] == 0).all())
    True
    """
    from crmlib import data as _data
    from crmlib.simulate.campaigns import future_offer_outcomes as _outcomes
    from crmlib.simulate.harbor import _day_factor, remote_state_at_end
    from crmlib.simulate.streams import day_of

    if channel not in _settings.OFFER_REDEEM:
        raise ValueError(f"channel: expected one of {sorted(_settings.OFFER_REDEEM)}, got "
                         f"{channel!r}")
    day = day_of(np.datetime64(pd.Timestamp(date).date()))
    end = day_of(_settings.END)
    factor_days = end + 402  # as long as the simulation's own (simulate_core)
    if not end < day < factor_days - 7 * _settings.HarborTruth.offer_weeks:
        raise ValueError(f"date: the offer must go out after the data end ({_settings.END}) "
                         f"and within the next year, got {date!r}")
    truth = _truth(variant)
    # The variant's simulation, shared with its tables (simulated once per process).
    state = remote_state_at_end(variant, core=_data._variant_core(variant))
    reachable = state["off_list_day"].to_numpy() > day - _settings.CAMPAIGN_LIST_LEAD_DAYS
    if channel == "email":
        reachable &= ~state["email_off"].to_numpy()
    lam, alive = state["lam"].to_numpy(), state["alive"].to_numpy()
    extra, redeem = _outcomes(truth, lam, alive, state["last_day"].to_numpy(), float(day),
                              channel, _day_factor(truth, factor_days, remote=True))
    return pd.DataFrame({
        "reachable": reachable,
        "alive": alive,
        "weekly_rate": lam,
        "expected_missed": (day - state["last_day"].to_numpy()) * lam / 7,
        "true_extra_orders": np.where(reachable, extra, 0.0),
        "redeem_chance": np.where(reachable, redeem, 0.0)}, index=state.index)


def goal_gradient(variant: int | None = None) -> np.ndarray:
    """The true cafe-visit rate multiplier by the stamps on a customer's loyalty card.

    A card gives a free drink after every fifth cafe visit; customers come
    faster as the reward nears (the goal-gradient effect). A day's chance of a
    visit is capped (``setting("REGULAR_MAX_DAILY")``), so a regular who
    already comes almost every day, or always on a favourite day, speeds up
    less than the multiplier says. The multipliers
    have a harmonic mean of 1, so a card takes as long to fill as it would
    at the customer's own rate, and the last over the first is
    ``parameters()["goal_gradient_top"]``.

    Parameters
    ----------
    variant : int or None
        The data set whose truth to use (see :func:`parameters`).

    Returns
    -------
    numpy.ndarray
        Five multipliers, for 0 to 4 stamps on the card (0 = a reward was
        just earned). The expected gap to the next visit is the customer's
        own average gap divided by the multiplier.

    Examples
    --------
    >>> g = goal_gradient()
    >>> len(g), round(float(g[4] / g[0]), 2), round(float(5 / (1 / g).sum()), 6)
    (5, 1.4, 1.0)
    """
    from crmlib.simulate.buying import goal_multipliers

    return goal_multipliers(_truth(variant).goal_gradient_top)[1:]


def lead_chance(source: npt.ArrayLike, interest: npt.ArrayLike, channel: str, exposure: int,
                *, variant: int | None = None) -> np.ndarray:
    """The true chance that one contact of a campaign turns a prospect into a lead.

    It is the base rate of an enquiry (``lead_rate_enquiry``) times a factor
    for how the prospect found Harbor, one for what they are interested in,
    one for the campaign's channel, and the lift of the exposure
    (:func:`exposure_lift`), capped at 0.9.

    Parameters
    ----------
    source : array-like of str
        How each prospect found Harbor (the ``source`` column of
        ``prospects``, or ``"purchased list"`` for a bought-in name).
    interest : array-like of str
        Each prospect's stated interest (the ``interest`` column).
    channel : str
        The campaign's channel (``email``, ``direct mail``, ``phone``,
        ``digital ad`` or ``sales visit``).
    exposure : int
        Which contact of the campaign this is, from 1.
    variant : int or None
        The data set whose truth to use (see :func:`parameters`).

    Returns
    -------
    numpy.ndarray
        One chance per prospect.

    Examples
    --------
    >>> lead_chance(["enquiry", "site visit"], ["beans at home", "gifts"], "phone", 1).round(4)
    array([0.096 , 0.0112])
    """
    from crmlib.simulate.people import lead_chance as _lead_chance

    return _lead_chance(_truth(variant), source, interest, channel, exposure)


def exposure_lift() -> np.ndarray:
    """The true lift of the lead chance at each exposure of a campaign, from the first.

    Returns
    -------
    numpy.ndarray
        Multipliers of the first exposure's lead chance: entry ``k`` is the
        ``k + 1``-th contact's (rising with repetition, then wearing out).

    Examples
    --------
    >>> exposure_lift().tolist()
    [1.0, 1.6, 1.8, 1.8, 1.6, 1.4]
    """
    return np.array(_settings.EXPOSURE_LIFT, dtype="float64")


def organic_signup_weight() -> pd.Series:
    """The relative chance of an organic sign-up on each day: growth and season.

    This is the baseline without the autumn 2025 media push, which adds its
    own sign-ups on top.

    Returns
    -------
    pandas.Series
        One relative weight per calendar day of the data (a ``DatetimeIndex``
        from the first to the last day), only ratios of which have meaning.

    Examples
    --------
    >>> w = organic_signup_weight()
    >>> str(w.index[0].date()), str(w.index[-1].date())
    ('2023-01-01', '2025-12-31')
    >>> bool(w["2025-12"].mean() > w["2023-12"].mean())  # the business grows
    True
    """
    from crmlib.simulate.people import signup_weight
    from crmlib.simulate.streams import day_of, to_date

    weight = signup_weight(day_of(_settings.END))
    index = pd.DatetimeIndex(to_date(np.arange(len(weight))).astype("datetime64[s]"),
                             name="date")
    return pd.Series(weight, index=index, name="weight")


def latent_population(n: int, seed: int = 0, *, variant: int | None = None,
                      acquisition_channel: str = "web search",
                      region: str = "Old Town") -> pd.DataFrame:
    """Fresh customers drawn by the simulator's own rules, with their true rates.

    The shipped ``customers`` table holds what a firm could know; the rates
    that drive each customer's behaviour are never shipped. This draws a new
    population (not the shipped customers) with both, so that a lesson can
    ask how much of the true behaviour a segmentation base captures.

    Parameters
    ----------
    n : int
        How many customers to draw.
    seed : int
        Seed of the draw (the same seed gives the same population).
    variant : int or None
        The data set whose true parameters to draw from (see :func:`parameters`).
    acquisition_channel, region : str
        Held fixed for everyone. The region enters no rate. The channel makes
        some first channels likelier (``setting("FIRST_CHANNEL")``: a walk-in
        mostly starts in a cafe, a web searcher online), which decides who
        orders remotely and who visits the cafes, and it shifts which remote
        buyers get the lower chances of leaving.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (1 to ``n``): the profile columns of the
        ``customers`` table that describe a person (``acquisition_channel``,
        ``region``, ``age``, ``income``, ``household_size``, ``lifestyle``,
        ``benefit_sought``), then the truth: ``true_remote_rate`` (web and
        phone orders a week while a customer, the BG/NBD λ; 0 for customers
        who never order remotely), ``true_cafe_rate`` (cafe visits a week when
        they start: a regular's habit or an occasional visitor's rate; 0 for
        customers who never visit), ``true_purchase_rate`` (the two together),
        ``true_dropout`` (chance of leaving after each remote order, the BG/NBD
        p; NaN for customers who never order remotely) and ``true_spend_rate``
        (the Gamma-Gamma ν; mean spend per remote order ``parameters()["p"] / ν``).

    Raises
    ------
    ValueError
        When ``n`` is not a positive integer.

    Examples
    --------
    >>> twin = latent_population(2000, seed=1)
    >>> list(twin.columns[-5:])
    ['true_remote_rate', 'true_cafe_rate', 'true_purchase_rate', 'true_dropout', 'true_spend_rate']
    >>> twin.groupby("lifestyle")["true_purchase_rate"].mean().idxmax()
    'Busy commuter'
    """
    from crmlib.simulate.people import customers

    n = check_count(n, "n")
    profiles, latent = customers(np.random.default_rng(seed), _truth(variant),
                                 np.zeros(n, dtype=int), np.full(n, acquisition_channel),
                                 np.full(n, region))
    keep = ["acquisition_channel", "region", "age", "income", "household_size", "lifestyle",
            "benefit_sought"]
    out = profiles.set_index("customer_id")[keep]
    bean = latent["bean_buyer"].to_numpy()
    cafe = np.where(latent["regular"].to_numpy(), latent["regular_weekly"].to_numpy(),
                    latent["occasional_weekly"].to_numpy())
    cafe = np.where(latent["cafe_visitor"].to_numpy(), cafe, 0.0)
    out["true_remote_rate"] = np.where(bean, latent["lam"].to_numpy(), 0.0)
    out["true_cafe_rate"] = cafe
    out["true_purchase_rate"] = out["true_remote_rate"] + cafe
    out["true_dropout"] = np.where(bean, latent["p"].to_numpy(), np.nan)
    out["true_spend_rate"] = latent["nu"].to_numpy()
    return out


def setting(name: str) -> Any:
    """One named setting of the Harbor Coffee story, as the simulator uses it.

    The story's settings (calendar, catalogue, shares, weekday patterns,
    delays, the silos' mess rates ...) are documented in
    ``datasets/README.md`` and defined in :mod:`crmlib.simulate.settings`.
    The value returned is a copy: changing it changes nothing else.

    Parameters
    ----------
    name : str
        The setting's name, e.g. ``"LIFESTYLES"`` or ``"WEEKDAY_FACTOR"``.

    Returns
    -------
    object
        The setting's value.

    Raises
    ------
    KeyError
        When there is no setting of that name (the message lists them).

    Examples
    --------
    >>> setting("STAMPS_PER_REWARD")
    5
    >>> setting("LIFESTYLES")[0]
    'Busy commuter'
    """
    names = _setting_names()
    if name not in names:
        raise KeyError(f"no story setting {name!r}; the settings are {names}")
    return copy.deepcopy(getattr(_settings, name))


def _setting_names() -> list[str]:
    true = {f.name for f in fields(_settings.HarborTruth)}
    return sorted(n for n in vars(_settings) if n.isupper() and n not in true)
