"""Who Harbor Coffee's people are: suspects, prospects, acquisition, customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.simulate import settings as S
from crmlib.simulate.streams import day_of, month_of
from crmlib.simulate.timing import lognormal_days, working_day


def assign_by_score(score: np.ndarray, labels: list[str], shares: list[float]) -> np.ndarray:
    """Cut a latent score into labelled groups of the given shares (highest first).

    Examples
    --------
    >>> assign_by_score(np.array([0.1, 0.9, 0.5, 0.3]), ["hi", "lo"], [0.5, 0.5]).tolist()
    ['lo', 'hi', 'hi', 'lo']
    """
    order = np.argsort(-score, kind="stable")
    bounds = np.round(np.cumsum(shares) / np.sum(shares) * len(score)).astype(int)
    group = np.searchsorted(bounds, np.arange(len(score)), side="right")
    out = np.empty(len(score), dtype=object)
    out[order] = np.asarray(labels, dtype=object)[group]
    return out


def zscore(x: np.ndarray) -> np.ndarray:
    """Standardise to mean 0 and standard deviation 1."""
    return (x - x.mean()) / x.std()


def names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last names drawn from the course's name lists."""
    return rng.choice(S.FIRST_NAMES, n), rng.choice(S.LAST_NAMES, n)


DOMAINS = ["example.com", "example.net", "example.org", "mail.example", "post.example",
           "inbox.example"]


def email_addresses(rng: np.random.Generator, first, last, domains=DOMAINS,
                    taken=()) -> np.ndarray:
    """Unique, plausible e-mail addresses that carry no id (first.last, flast, ...).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = email_addresses(rng, ["Ana", "Ana", "Ana"], ["Silva", "Silva", "Silva"])
    >>> len(set(e)), all(x.endswith(".com") or ".example" in x or x.endswith((".net", ".org"))
    ...                  for x in e)
    (3, True)
    """
    f = pd.Series(np.asarray(first, dtype=object)).str.lower().str.replace("'", "")
    la = pd.Series(np.asarray(last, dtype=object)).str.lower().str.replace("'", "")
    n = len(f)
    style = rng.integers(0, 5, n)
    local = np.select([style == 0, style == 1, style == 2, style == 3],
                      [f + "." + la, f + la, f.str[0] + la, la + "." + f], f + "_" + la)
    # Many people add a number (a birth year, a lucky number) to get a free address.
    number = rng.random(n) < 0.45
    num = pd.Series(np.where(rng.random(n) < 0.5, rng.integers(1950, 2006, n),
                             rng.integers(1, 100, n))).astype(str)
    local = pd.Series(np.where(number, local + num, local))
    email = local + "@" + pd.Series(np.asarray(domains, dtype=object)[
        rng.integers(0, len(domains), n)])
    # The address is taken: add digits until it is free (vectorised over the clashes).
    # Object dtype: pandas' Arrow-backed string isin converts every value one by one.
    taken = pd.Index(list(taken), dtype=object)
    while True:
        dup = (email.duplicated() | email.astype(object).isin(taken)).to_numpy()
        if not dup.any():
            break
        extra = pd.Series(rng.integers(1, 1000, dup.sum())).astype(str).to_numpy()
        parts = email[dup].str.split("@", n=1, expand=True)
        email[dup] = (parts[0] + extra + "@" + parts[1]).to_numpy()
    return email.to_numpy(dtype=object)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique fictional phone numbers (``555-dddd-dd``), in no order related to anything."""
    code = rng.choice(1_000_000, size=n, replace=False)
    s = pd.Series(code)
    return ("555-" + (s // 100).astype(str).str.zfill(4) + "-"
            + (s % 100).astype(str).str.zfill(2)).to_numpy(dtype=object)


def suspects(rng: np.random.Generator) -> pd.DataFrame:
    """The bought-in list: people with no relationship with Harbor Coffee."""
    n = S.N_SUSPECTS
    first, last = names(rng, n)
    ids = np.arange(1, n + 1)
    return pd.DataFrame({
        "suspect_id": ids,
        "first_name": first,
        "last_name": last,
        "email": email_addresses(rng, first, last),
        "region": rng.choice(S.REGIONS, p=S.REGION_WEIGHTS, size=n),
        "added_date": np.full(n, S.SUSPECT_LIST_DATE),
    })


def prospects(rng: np.random.Generator) -> pd.DataFrame:
    """People who showed interest (visit, newsletter, enquiry, free sample).

    ``first_seen`` is a simulation day; interest and source set how likely a
    campaign contact turns them into a lead (responsive segments).
    """
    n = S.N_PROSPECTS
    last_day = day_of("2025-10-31")
    return pd.DataFrame({
        "first_seen": np.sort(rng.integers(0, last_day, size=n)),
        "source": rng.choice(S.PROSPECT_SOURCES, p=S.PROSPECT_SOURCE_WEIGHTS, size=n),
        "interest": rng.choice(S.PROSPECT_INTERESTS, p=S.PROSPECT_INTEREST_WEIGHTS, size=n),
        "region": rng.choice(S.REGIONS, p=S.REGION_WEIGHTS, size=n),
        "suspect_id": pd.array([pd.NA] * n, dtype="Int64"),
    })


def _factor(labels, factors: dict[str, float]) -> np.ndarray:
    """Look up a factor for each label (vectorised)."""
    keys = np.array(list(factors), dtype=object)
    values = np.array(list(factors.values()))
    labels = np.asarray(labels, dtype=object)
    order = np.argsort(keys)
    pos = np.searchsorted(keys[order], labels)
    return values[order][pos]


def lead_chance(truth, source, interest, channel: str, exposure: int) -> np.ndarray:
    """True chance that one contact turns a person into a lead.

    The chance is ``lead_rate_enquiry`` times the factors of the person's
    source and interest, the channel's factor and the lift of the exposure
    (1st, 2nd ... contact of the same campaign).
    """
    src = _factor(source, S.SOURCE_LEAD_FACTOR)
    intr = _factor(interest, S.INTEREST_LEAD_FACTOR)
    base = truth.lead_rate_enquiry * S.CHANNEL_LEAD_FACTOR[channel]
    return np.minimum(base * src * intr * S.EXPOSURE_LIFT[exposure - 1], 0.9)


def campaign_starts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Start days of ``n`` prospect campaigns: working days at irregular intervals.

    The k-th campaign is planned evenly across ``ACQ_CAMPAIGN_WINDOW``, moved by
    up to ``ACQ_CAMPAIGN_JITTER_DAYS`` either way, and starts on the next
    working day (no weekends, no public holidays).
    """
    lo, hi = (day_of(d) for d in S.ACQ_CAMPAIGN_WINDOW)
    planned = np.linspace(lo, hi, n)
    jitter = rng.integers(-S.ACQ_CAMPAIGN_JITTER_DAYS, S.ACQ_CAMPAIGN_JITTER_DAYS + 1, n)
    jitter[0] = max(jitter[0], 0)
    return np.sort(working_day(np.round(planned + jitter).astype(np.int64)))


def acquisition_campaigns(rng: np.random.Generator, truth, pros: pd.DataFrame,
                          sus: pd.DataFrame):
    """Acquisition campaigns: waves of contacts, leads, and sales after leads.

    Returns the campaigns, their contacts, the prospects (with suspects who
    became prospects appended) and, per prospect, the sale day (-1 if none)
    and the channel that made the sale.
    """
    starts = campaign_starts(rng, 12)
    plan = [(int(s), S.CONTACT_CHANNELS[c % len(S.CONTACT_CHANNELS)], "prospects")
            for c, s in enumerate(starts)]
    plan.append((day_of("2024-02-05"), "direct mail", "suspects"))
    plan.sort()
    pros = pros.copy()
    last_day = day_of(S.END)
    unsubscribed = np.zeros(len(pros), dtype=bool)
    sale_day = np.full(len(pros), -1)
    sale_channel = np.empty(len(pros), dtype=object)
    campaigns, contacts, new_pros = [], [], []
    for cid, (start, channel, audience) in enumerate(plan, start=1):
        waves = S.CAMPAIGN_WAVES[channel] if audience == "prospects" else 3
        name = (f"Acquisition {cid:02d}: {channel}" if audience == "prospects"
                else f"Acquisition {cid:02d}: {channel} to the bought-in list")
        campaigns.append((cid, name, audience, channel, start, waves,
                          S.COST_PER_CONTACT[channel], S.WELCOME_OFFER))
        if audience == "prospects":
            eligible = np.flatnonzero((pros["first_seen"].to_numpy() < start) & (sale_day < 0))
            size = min(S.CAMPAIGN_SIZE[channel], len(eligible))
            targets = np.sort(rng.choice(eligible, size=size, replace=False))
            source = pros["source"].to_numpy()[targets]
            interest = pros["interest"].to_numpy()[targets]
        else:
            targets = np.arange(len(sus))
            source = np.full(len(sus), "purchased list", dtype=object)
            interest = rng.choice(S.PROSPECT_INTERESTS, p=S.PROSPECT_INTEREST_WEIGHTS,
                                  size=len(sus))
        waiting = np.ones(len(targets), dtype=bool)
        if channel == "email" and audience == "prospects":
            waiting &= ~unsubscribed[targets]  # no more e-mail to those who unsubscribed
        lead_day = np.full(len(targets), -1)
        sday = np.full(len(targets), -1)
        sold = np.zeros(len(targets), dtype=bool)
        for k in range(1, waves + 1):
            day = int(working_day([start + S.WAVE_DAYS * (k - 1)])[0])
            idx = np.flatnonzero(waiting)
            lead = rng.random(len(idx)) < lead_chance(truth, source[idx], interest[idx],
                                                       channel, k)
            bounce = np.zeros(len(idx), dtype=bool)
            if channel == "email":  # a bounced e-mail never arrives: no lead from it
                bounce = rng.random(len(idx)) < truth.email_bounce
                lead &= ~bounce
            # The reply comes a right-skewed while after the contact; one that would
            # come after the data ends is not in it.
            rday = day + np.floor(lognormal_days(rng, *S.RESPONSE_DELAY[channel],
                                                 len(idx))).astype(np.int64)
            lead &= rday <= last_day
            s_day = rday + 1 + np.floor(lognormal_days(rng, *S.LEAD_TO_SALE_DELAY[channel],
                                                       len(idx))).astype(np.int64)
            sale = (lead & (rng.random(len(idx)) < S.LEAD_TO_SALE[channel])
                    & (s_day <= last_day))
            lead_day[idx[lead]] = rday[lead]
            sday[idx[sale]] = s_day[sale]
            sold[idx[sale]] = True
            unsub = np.zeros(len(idx), dtype=bool)
            if channel == "email":
                # A few recipients unsubscribe (never a lead of that e-mail): they get
                # no later e-mail from Harbor Coffee.
                unsub = ~lead & ~bounce & (rng.random(len(idx)) < truth.email_unsubscribe)
            contacts.append(pd.DataFrame({
                "campaign_id": cid, "target": targets[idx], "audience": audience,
                "contact_day": day, "exposure": k, "responded": lead, "sale": sale,
                "response_day": np.where(lead, rday, -1), "bounced": bounce,
                "unsubscribed": unsub}))
            waiting[idx[lead | unsub]] = False  # leads leave the campaign
            if audience == "prospects":
                unsubscribed[targets[idx[unsub]]] = True
        if audience == "prospects":
            sale_day[targets[sold]] = sday[sold]
            sale_channel[targets[sold]] = channel
        else:
            # Suspects who answer become prospects; some of them buy.
            led = lead_day >= 0
            new_pros.append(pd.DataFrame({
                "first_seen": lead_day[led], "source": "purchased list",
                "interest": interest[led], "region": sus["region"].to_numpy()[led],
                "suspect_id": sus["suspect_id"].to_numpy()[led],
                "_sale_day": np.where(sold[led], sday[led], -1)}))
    contacts = pd.concat(contacts, ignore_index=True)
    if new_pros:
        extra = pd.concat(new_pros, ignore_index=True)
        extra["suspect_id"] = extra["suspect_id"].astype("Int64")
        sale_day = np.concatenate([sale_day, extra.pop("_sale_day").to_numpy()])
        sale_channel = np.concatenate([sale_channel,
                                       np.where(sale_day[len(pros):] >= 0, "direct mail",
                                                None)])
        pros = pd.concat([pros, extra], ignore_index=True)
    campaigns = pd.DataFrame(campaigns, columns=["campaign_id", "name", "audience", "channel",
                                                 "start_day", "waves", "cost_per_contact",
                                                 "offer"])
    return campaigns, contacts, pros, sale_day, sale_channel


def signup_weight(end_day: int) -> np.ndarray:
    """Relative chance of an organic sign-up on each day 0..end_day: growth and season."""
    days = np.arange(end_day + 1)
    month = month_of(days)
    return (1 + (S.SIGNUP_GROWTH - 1) * days / end_day) * S.SIGNUP_MONTH_FACTOR[month]


def organic_signups(rng: np.random.Generator, n: int, end_day: int) -> np.ndarray:
    """Sign-up days of ``n`` organic customers (growing business, busier seasons)."""
    weight = signup_weight(end_day)
    return np.sort(rng.choice(len(weight), p=weight / weight.sum(), size=n))


def _rank_match(values: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Give the largest of ``values`` to the highest ``score`` (the values' set is kept)."""
    out = np.empty(len(values))
    out[np.argsort(-score, kind="stable")] = np.sort(values)[::-1]
    return out


def first_channels(rng: np.random.Generator, acquisition: np.ndarray) -> np.ndarray:
    """Channel code (0 cafe, 1 web, 2 phone) of each customer's first order.

    How a customer was won makes some first channels likelier, none certain
    (``FIRST_CHANNEL``): most walk-ins start in a cafe, most web searchers online.

    Examples
    --------
    >>> chan = first_channels(np.random.default_rng(0), np.array(["cafe walk-in"] * 1000))
    >>> bool(0.85 < (chan == 0).mean() < 0.99)
    True
    """
    acquisition = np.asarray(acquisition, dtype=object)
    probs = np.array([S.FIRST_CHANNEL[a] for a in acquisition], dtype=float).reshape(-1, 3)
    cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(len(acquisition))[:, None] > cdf[:, :2]).sum(axis=1).astype(np.int64)


# Remote (web and phone) purchase rate by lifestyle: home brewers order beans most often.
_REMOTE_RANK = np.array([-0.3, 0.8, -0.4, 1.2, -0.9])


def buyer_traits(rng: np.random.Generator, truth, life: np.ndarray, channel: np.ndarray
                 ) -> pd.DataFrame:
    """Each customer's latent buying traits, for the remote and the cafe process.

    Bean buyers (everyone whose first order is remote, and a share of each
    lifestyle) order from the web shop and the phone line as a BG/NBD process:
    their weekly rate ``lam`` is an exact Gamma(r, alpha) sample and their
    dropout ``p`` an exact Beta(a, b) sample, matched to lifestyle and to a
    loyalty score that depends on the acquisition channel. Each order's value
    is Gamma(p, nu) with ``nu`` ~ Gamma(q, gamma) for everyone. Cafe visitors
    are habitual regulars or occasional visitors (:mod:`~crmlib.simulate.cafes`).
    """
    n = len(life)
    first = first_channels(rng, channel)
    bean = (first > 0) | (rng.random(n) < S.BEAN_BUYER[life])
    visitor = (first == 0) | (rng.random(n) < S.CAFE_VISITOR[life] * S.REMOTE_FIRST_VISITOR)
    regular = visitor & (rng.random(n) < S.REGULAR_SHARE[life])
    lam, p = np.zeros(n), np.zeros(n)
    k = int(bean.sum())
    lam[bean] = _rank_match(rng.gamma(truth.r, 1.0 / truth.alpha, size=k),
                            _REMOTE_RANK[life[bean]] + rng.normal(0, 0.8, k))
    loyalty = pd.Series(channel[bean]).map(S.CHANNEL_LOYALTY).to_numpy() + rng.normal(0, 1, k)
    p[bean] = _rank_match(rng.beta(truth.a, truth.b, size=k), -loyalty)  # loyal: low dropout
    nu = rng.gamma(truth.q, 1.0 / truth.gamma, size=n)
    med, sig = S.REGULAR_WEEKLY_VISITS
    weekly = np.where(regular, med * np.exp(rng.normal(0, sig, n)), 0.0)
    shape, mean = S.OCCASIONAL_WEEKLY_VISITS
    occasional = rng.gamma(shape, mean / shape, n)
    leave = rng.beta(*S.OCCASIONAL_LEAVE, n)
    med, sig = S.REGULAR_HABIT_WEEKS
    habit = np.where(regular, med * np.exp(rng.normal(0, sig, n)), 0.0)
    return pd.DataFrame({"lam": lam, "p": p, "nu": nu, "life": life, "first_channel": first,
                         "bean_buyer": bean, "cafe_visitor": visitor, "regular": regular,
                         "regular_weekly": weekly, "habit_weeks": habit,
                         "occasional_weekly": occasional, "cafe_leave": leave})


def customers(rng: np.random.Generator, truth, signup: np.ndarray, channel: np.ndarray,
              region: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers' profiles and latent behaviour, in sign-up order.

    Lifestyle is drawn first and drives behaviour (:func:`buyer_traits`);
    benefit sought follows the spend rate ``nu``; age, income, household size
    and region carry almost no signal about buying.
    """
    n = len(signup)
    shares = np.asarray(S.LIFESTYLE_SHARES) / np.sum(S.LIFESTYLE_SHARES)
    life_idx = rng.choice(len(S.LIFESTYLES), p=shares, size=n).astype(np.int64)
    lifestyle = np.asarray(S.LIFESTYLES, dtype=object)[life_idx]
    latent = buyer_traits(rng, truth, life_idx, np.asarray(channel, dtype=object))
    nu = latent["nu"].to_numpy()
    age = np.clip(rng.normal(39, 13, n), 18, 85).round().astype(int)
    income = np.round(np.exp(rng.normal(np.log(58), 0.45, n)), 1)  # thousand dollars a year
    household = np.clip(rng.poisson(1.6, n) + 1, 1, 7)
    benefit = assign_by_score(zscore(-np.log(nu)) + 0.15 * zscore(np.log(income))
                              + rng.normal(0, 0.6, n), S.BENEFITS, S.BENEFIT_SHARES)
    first, last = names(rng, n)
    ids = np.arange(1, n + 1)
    table = pd.DataFrame({
        "customer_id": ids,
        "first_name": first,
        "last_name": last,
        "signup_day": signup,
        "acquisition_channel": channel,
        "region": region,
        "age": age,
        "income": income,
        "household_size": household,
        "lifestyle": lifestyle,
        "benefit_sought": benefit,
    })
    return table, latent
