"""Who Harbor Coffee's people are: suspects, prospects, acquisition, customers."""

from __future__ import annotations

import functools
from pathlib import Path

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


NAMES_DIR = Path(__file__).with_name("names")


@functools.cache
def name_lists() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first-name and last-name lists with their population shares.

    ``first_names.csv`` (name, sex, weight, source) and ``last_names.csv``
    (name, weight, source) in ``crmlib/simulate/names``: US Census 2000
    surname and SSA first-name frequencies with a long tail of rarer names
    (provenance in ``datasets/README.md``). Weights are shares of people.

    Examples
    --------
    >>> first, last = name_lists()
    >>> last.iloc[0]["name"], round(float(last.iloc[0]["weight"]), 5)
    ('Smith', 0.00881)
    """
    read = dict(keep_default_na=False, dtype={"name": object, "sex": object, "source": object})
    return (pd.read_csv(NAMES_DIR / "first_names.csv", **read),
            pd.read_csv(NAMES_DIR / "last_names.csv", **read))


@functools.cache
def _name_cdfs():
    first, last = name_lists()
    out = []
    for table in (first[first["sex"] == "F"], first[first["sex"] == "M"], last):
        w = table["weight"].to_numpy(dtype=float)
        out.append((table["name"].to_numpy(dtype=object), np.cumsum(w) / w.sum()))
    return out


def _draw(rng: np.random.Generator, names_cdf, n: int) -> np.ndarray:
    names, cdf = names_cdf
    return names[np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)]


def names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last names drawn with their population frequencies.

    Half the people get a woman's first name, half a man's; surnames follow
    the Census 2000 shares (Smith 0.88%) with a long tail of rarer names.

    Examples
    --------
    >>> first, last = names(np.random.default_rng(0), 20_000)
    >>> bool(0.005 < (last == "Smith").mean() < 0.013), len(set(last)) > 3000
    (True, True)
    """
    female, male, last = _name_cdfs()
    woman = rng.random(n) < 0.5
    first = np.where(woman, _draw(rng, female, n), _draw(rng, male, n))
    return first.astype(object), _draw(rng, last, n).astype(object)


@functools.cache
def nickname_forms() -> dict[str, tuple[str, ...]]:
    """Other forms of a first name that people give (Robert: Rob, Bob, ...; Kate: Katherine).

    Read from ``names/nicknames.csv``; each short form also leads back to
    its long forms (Bob: Robert), so the table works both ways.

    Examples
    --------
    >>> forms = nickname_forms()
    >>> forms["Robert"][:2], "Robert" in forms["Bob"]
    (('Rob', 'Bob'), True)
    """
    table = pd.read_csv(NAMES_DIR / "nicknames.csv", keep_default_na=False)
    out: dict[str, list[str]] = {}
    for name, forms in zip(table["name"], table["other_forms"].str.split()):
        out.setdefault(name, [])
        out[name] += [f for f in forms if f not in out[name] and f != name]
    for name, forms in list(out.items()):
        for f in forms:
            back = out.setdefault(f, [])
            if name not in back:
                back.append(name)
    return {k: tuple(v) for k, v in out.items() if v}


@functools.cache
def sound_alike_groups() -> dict[str, tuple[str, ...]]:
    """Names that sound the same and are spelt otherwise, by lower-case name.

    Read from ``names/sound_alikes.csv`` (Catherine, Katherine, Kathryn;
    Smith, Smyth; Reid, Reed, Read): each name maps to the other spellings
    of its group.

    Examples
    --------
    >>> sound_alike_groups()["reid"]
    ('Reed', 'Read')
    """
    table = pd.read_csv(NAMES_DIR / "sound_alikes.csv", keep_default_na=False)
    out: dict[str, list[str]] = {}
    for group in table["names"].str.split():
        for name in group:
            others = out.setdefault(name.lower(), [])
            others += [g for g in group if g != name and g not in others]
    return {k: tuple(v) for k, v in out.items()}


def _plain_lower(values) -> pd.Series:
    """Lower-case letters only (O'Brien -> obrien), as people put names in addresses.

    Each distinct name is cleaned once (a few thousand, against a name per person).
    """
    values = np.asarray(values, dtype=object)
    codes, distinct = pd.factorize(values)
    if (codes < 0).any():  # a missing name: clean every value as it stands
        distinct, codes = values, np.arange(len(values))
    plain = pd.Series(np.asarray(distinct, dtype=object)).str.lower().str.replace(
        r"[^a-z]", "", regex=True)
    return pd.Series(plain.to_numpy(dtype=object)[codes], dtype=plain.dtype)


def _email_domains(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mail providers: the big ones by their shares, a power-law tail of small ones."""
    big = list(S.EMAIL_BIG_DOMAINS)
    wbig = np.array(list(S.EMAIL_BIG_DOMAINS.values()))
    k = np.arange(1, len(S.EMAIL_TAIL_DOMAINS) + 1)
    wtail = k ** -S.EMAIL_TAIL_POWER
    wtail = wtail / wtail.sum() * (1 - wbig.sum())
    names_ = np.array(big + list(S.EMAIL_TAIL_DOMAINS), dtype=object)
    cdf = np.cumsum(np.concatenate([wbig, wtail]))
    return names_[np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"),
                             len(cdf) - 1)]


def email_addresses(rng: np.random.Generator, first, last, birth_year=None, domains=None,
                    taken=()) -> np.ndarray:
    """Unique e-mail addresses built the ways people build them, carrying no id.

    The part before the @ follows one of :data:`~crmlib.simulate.settings.EMAIL_PATTERNS`
    (first.last, firstlast, flast, a nickname, initials, a word that is no
    name ...); some people add their birth year (four digits or two, from
    ``birth_year`` when given) or other digits. Providers follow
    ``EMAIL_BIG_DOMAINS`` and a power-law tail of small domains, or are drawn
    evenly from ``domains`` when given. Addresses already taken (in the batch
    or in ``taken``) get more digits until they are free.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = email_addresses(rng, ["Ana"] * 3, ["Silva"] * 3, birth_year=[1990] * 3)
    >>> len(set(e)), all(x.endswith((".com", ".net", ".org", ".example")) for x in e)
    (3, True)
    """
    f = _plain_lower(first)
    la = _plain_lower(last)
    n = len(f)
    forms = nickname_forms()
    short = {k: v[0] for k, v in forms.items() if len(v[0]) < len(k)}
    nick = _plain_lower(pd.Series(np.asarray(first, dtype=object)).map(short)
                        .fillna(pd.Series(np.asarray(first, dtype=object))))
    kinds = list(S.EMAIL_PATTERNS)
    w = np.array(list(S.EMAIL_PATTERNS.values()))
    kind = np.searchsorted(np.cumsum(w) / w.sum(), rng.random(n), side="right")
    kind = np.minimum(kind, len(kinds) - 1)
    words = np.array(S.EMAIL_WORDS, dtype=object)
    word = pd.Series(words[rng.integers(0, len(words), n)]) + np.where(
        rng.random(n) < 0.5, pd.Series(words[rng.integers(0, len(words), n)]), "")
    parts = {  # each pattern built only for the people who use it
        "first.last": lambda f, la, nick, word: f + "." + la,
        "firstlast": lambda f, la, nick, word: f + la,
        "flast": lambda f, la, nick, word: f.str[0] + la,
        "first_last": lambda f, la, nick, word: f + "_" + la,
        "last.first": lambda f, la, nick, word: la + "." + f,
        "firstl": lambda f, la, nick, word: f + la.str[0],
        "nick.last": lambda f, la, nick, word: nick + "." + la,
        "nicklast": lambda f, la, nick, word: nick + la,
        "first": lambda f, la, nick, word: f,
        "initials": lambda f, la, nick, word: f.str[0] + la.str[0],
        "last": lambda f, la, nick, word: la,
        "word": lambda f, la, nick, word: word,
    }
    local = np.full(n, "", dtype=object)
    for i, k in enumerate(kinds):
        sel = np.flatnonzero(kind == i)
        if len(sel):
            local[sel] = parts[k](f.iloc[sel], la.iloc[sel], nick.iloc[sel],
                                  word.iloc[sel]).to_numpy(dtype=object)
    local = pd.Series(local, dtype=object)
    # A number: the birth year (four or two digits) or other digits.
    if birth_year is None:
        year = rng.integers(1950, 2006, n)
    else:
        year = np.asarray(birth_year, dtype=np.int64)
    u = rng.random(n)
    p4, p2, pd_ = S.EMAIL_BIRTH_YEAR, S.EMAIL_BIRTH_YEAR_2, S.EMAIL_DIGITS
    bare = np.isin(kind, [kinds.index(k) for k in ("first", "initials", "last", "word")])
    other = rng.integers(1, 1000, n)
    number = np.select(
        [u < p4, u < p4 + p2, (u < p4 + p2 + pd_) | bare],
        [year.astype(str), pd.Series(year % 100).astype(str).str.zfill(2).to_numpy(),
         other.astype(str)], "")
    local = local + number
    dom = (_email_domains(rng, n) if domains is None else
           np.asarray(domains, dtype=object)[rng.integers(0, len(domains), n)])
    email = local + "@" + pd.Series(dom, dtype=object)
    # The address is taken: add digits until it is free (vectorised over the clashes).
    # Object dtype: pandas' Arrow-backed string isin converts every value one by one.
    taken = pd.Index(list(taken), dtype=object)
    while True:
        dup = (email.duplicated() | email.astype(object).isin(taken)).to_numpy()
        if not dup.any():
            break
        extra = pd.Series(rng.integers(1, 1000, dup.sum())).astype(str).to_numpy()
        parts_ = email[dup].str.split("@", n=1, expand=True)
        email[dup] = (parts_[0] + extra + "@" + parts_[1]).to_numpy()
    return email.to_numpy(dtype=object)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    r"""Unique fictional phone numbers (``360-555-0123``), in no order related to anything.

    The area code follows :data:`~crmlib.simulate.settings.AREA_CODES`; the
    exchange is the fictional 555. Numbers are drawn without replacement,
    each area code's 10,000 lines weighted by its share.

    Examples
    --------
    >>> p = phone_numbers(np.random.default_rng(0), 5000)
    >>> len(set(p)), bool(pd.Series(p).str.fullmatch(r"\d{3}-555-\d{4}").all())
    (5000, True)
    """
    areas = np.array(list(S.AREA_CODES), dtype=object)
    w = np.array(list(S.AREA_CODES.values()))
    if n > 10_000 * len(areas):
        raise ValueError(f"cannot draw {n} distinct numbers")
    # Weighted sampling without replacement (Efraimidis and Spirakis): the n largest keys.
    slot_w = np.repeat(w / 10_000, 10_000)
    keys = np.log(rng.random(len(slot_w))) / slot_w
    slots = np.argpartition(-keys, n - 1)[:n] if n else np.array([], dtype=np.int64)
    slots = rng.permutation(np.sort(slots))
    line = pd.Series(slots % 10_000).astype(str).str.zfill(4)
    return (pd.Series(areas[slots // 10_000]) + "-555-" + line).to_numpy(dtype=object)


def households(rng: np.random.Generator, region, age, size, share: float) -> np.ndarray:
    """Pairs of customers who live together: the position of each one's household head.

    A share ``share`` of all customers, chosen among those in households of
    two or more, is paired within each region with someone of a close age
    (the ages' difference spreads by about ``PARTNER_AGE_SD`` years). The
    head is the member who became a customer first; everyone else is their
    own head.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> head = households(rng, ["A"] * 8 + ["B"] * 8, np.arange(16) + 30, [2] * 16, 1.0)
    >>> int((head != np.arange(16)).sum()), bool((head <= np.arange(16)).all())
    (8, True)
    """
    region = np.asarray(region, dtype=object)
    age = np.asarray(age, dtype=float)
    size = np.asarray(size)
    n = len(region)
    eligible = size >= 2
    chance = min(share / max(eligible.mean(), 1e-12), 1.0) if n else 0.0
    cand = np.flatnonzero(eligible & (rng.random(n) < chance))
    key = age[cand] + rng.normal(0, S.PARTNER_AGE_SD / np.sqrt(2), len(cand))
    reg = pd.factorize(region[cand])[0]
    cand = cand[np.lexsort((key, reg))]
    reg = np.sort(reg)
    rank = pd.Series(reg).groupby(reg).cumcount().to_numpy()
    count = np.bincount(reg, minlength=reg.max() + 1 if len(reg) else 0)[reg]
    paired = rank < count - count % 2
    a = cand[paired & (rank % 2 == 0)]
    b = cand[paired & (rank % 2 == 1)]
    head = np.arange(n)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    head[hi] = lo
    return head


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


def _interp(x, curve) -> np.ndarray:
    xs, ys = curve
    return np.interp(np.asarray(x, dtype=float), xs, ys)


def demographics(rng: np.random.Generator, life: np.ndarray) -> dict[str, np.ndarray]:
    """Age, household size and household income, correlated as in life.

    Age is 18 plus a gamma-distributed number of years whose mean depends on
    the lifestyle (``AGE_MEAN_OVER_MIN``), so no one piles up at 18; ages
    above ``AGE_MAX`` are drawn again. Household size follows a score that
    rises with the lifestyle's shift and a curve over age (young adults with
    their parents, families in their late thirties and forties, people living
    alone or as a couple later), cut into ``HOUSEHOLD_SIZE_SHARES``. Household
    income is log-normal around a curve over age that peaks at 45-54, a
    little higher in larger households (more earners).

    Examples
    --------
    >>> d = demographics(np.random.default_rng(0), np.arange(5000) % 5)
    >>> int(d["age"].min()) >= 18, int(d["age"].max()) <= 90
    (True, True)
    """
    n = len(life)
    scale = S.AGE_MEAN_OVER_MIN[life] / S.AGE_SHAPE
    years = rng.gamma(S.AGE_SHAPE, scale)
    too_old = np.flatnonzero(years >= S.AGE_MAX - S.AGE_MIN + 1)
    while len(too_old):
        years[too_old] = rng.gamma(S.AGE_SHAPE, scale[too_old])
        too_old = too_old[years[too_old] >= S.AGE_MAX - S.AGE_MIN + 1]
    age = (S.AGE_MIN + np.floor(years)).astype(int)
    score = (S.HOUSEHOLD_LIFESTYLE_SHIFT[life] + _interp(age, S.HOUSEHOLD_AGE_SHIFT)
             + rng.normal(0, 1, n))
    sizes = list(range(len(S.HOUSEHOLD_SIZE_SHARES), 0, -1))  # largest households first
    household = assign_by_score(score, sizes, S.HOUSEHOLD_SIZE_SHARES[::-1]).astype(int)
    log_income = (np.log(S.INCOME_PEAK) + _interp(age, S.INCOME_AGE_CURVE)
                  + 0.05 * (np.minimum(household, 4) - 2) + rng.normal(0, S.INCOME_SD, n))
    income = np.round(np.exp(log_income), 1)  # thousand dollars a year
    return {"age": age, "income": income, "household_size": household}


def customers(rng: np.random.Generator, truth, signup: np.ndarray, channel: np.ndarray,
              region: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers' profiles and latent behaviour, in sign-up order.

    Lifestyle is drawn first and drives behaviour (:func:`buyer_traits`);
    benefit sought follows the spend rate ``nu``; age, income and household size
    follow the lifestyle a little and each other as in life (:func:`demographics`,
    drawn from a child stream of ``rng`` so they never move the purchase draws), so
    they carry almost no signal about buying of their own. Names and contact details
    are added later (``harbor._contacts_fields``), once households are known.
    """
    n = len(signup)
    shares = np.asarray(S.LIFESTYLE_SHARES) / np.sum(S.LIFESTYLE_SHARES)
    life_idx = rng.choice(len(S.LIFESTYLES), p=shares, size=n).astype(np.int64)
    lifestyle = np.asarray(S.LIFESTYLES, dtype=object)[life_idx]
    latent = buyer_traits(rng, truth, life_idx, np.asarray(channel, dtype=object))
    nu = latent["nu"].to_numpy()
    demo = demographics(rng.spawn(1)[0], life_idx)
    benefit = assign_by_score(zscore(-np.log(nu)) + 0.15 * zscore(np.log(demo["income"]))
                              + rng.normal(0, 0.6, n), S.BENEFITS, S.BENEFIT_SHARES)
    ids = np.arange(1, n + 1)
    table = pd.DataFrame({
        "customer_id": ids,
        "signup_day": signup,
        "acquisition_channel": channel,
        "region": region,
        "age": demo["age"],
        "income": demo["income"],
        "household_size": demo["household_size"],
        "lifestyle": lifestyle,
        "benefit_sought": benefit,
    })
    return table, latent
