"""Simulate the Harbor Coffee Co. data from documented true parameters.

Every table of the course's fictional coffee roaster is drawn here from fixed
seeds, so ``crm data build`` rewrites the committed CSV files byte for byte and
``variant=<int>`` gives each student a reproducible twin of the data set with
the same story and schema but different numbers.

The generative story, in the order it is simulated:

1. Prospects show interest (site visit, newsletter, enquiry, free sample).
   Acquisition campaigns contact them in waves; the chance of a lead rises with
   each exposure and some leads buy, becoming customers.
2. Organic customers sign up in the cafes, through search, social media or a
   friend's referral. Each customer gets latent purchase rate ``lambda``
   (Gamma(r, alpha), per week), dropout probability ``p`` (Beta(a, b)) and
   spend rate ``nu`` (Gamma(q, gamma)), exactly the BG/NBD and Gamma-Gamma
   population of Fader, Hardie and Lee.  Lifestyle follows ``lambda``, benefit
   sought follows ``nu`` and acquisition channel shifts ``p``; age, income and
   household barely matter, so demographics alone explain little.
3. Purchases follow the buy-till-you-die process: a first purchase at sign-up,
   repeat purchases as a Poisson process, and after each repeat purchase the
   customer leaves for good with probability ``p``.  Each order's value is
   Gamma(p, nu); its basket is drawn from the customer's taste profile.
4. Retention campaigns mail, email or phone customers; a contact counts as a
   response when the customer redeems the offer on a purchase within 21 days.
5. A twelve-week autumn media plan with spot-TV flights, a weekly awareness
   survey that follows an adstock model, and a call-centre log simulated as a
   queue with abandonment; spots aired at dinner time or near closing create
   abandoned calls.
6. Silo tables (service tickets, loyalty coupons, marketing list) keyed by
   hand-typed e-mail addresses with stray case and spaces and duplicate people.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from crmlib.contact import simulate_queue

BASE_SEED = 20_231_001
START = np.datetime64("2023-01-01")
SIGNUP_END = np.datetime64("2025-06-30")
END = np.datetime64("2025-12-31")
MEDIA_START = np.datetime64("2025-09-01")  # a Monday
MEDIA_WEEKS = 12

REGIONS = ["Harbourfront", "Old Town", "Northside", "Eastgate", "Westfield"]
REGION_WEIGHTS = [0.28, 0.22, 0.20, 0.16, 0.14]
LIFESTYLES = [  # ordered from most to least frequent buyers
    "Busy commuter",
    "Coffee connoisseur",
    "Social sipper",
    "Home brewer",
    "Occasional treat",
]
LIFESTYLE_SHARES = [0.18, 0.17, 0.22, 0.20, 0.23]
BENEFITS = [  # ordered from highest to lowest spender
    "Quality and taste",
    "Ethical sourcing",
    "Atmosphere",
    "Convenience",
    "Low price",
]
BENEFIT_SHARES = [0.18, 0.14, 0.22, 0.26, 0.20]
ORGANIC_CHANNELS = ["cafe walk-in", "web search", "social media", "referral"]
ORGANIC_CHANNEL_WEIGHTS = [0.45, 0.20, 0.15, 0.20]
# Shift of the latent loyalty score by acquisition channel: positive = lower dropout.
CHANNEL_LOYALTY = {
    "referral": 0.8,
    "cafe walk-in": 0.3,
    "sales visit": 0.3,
    "web search": 0.0,
    "phone": 0.0,
    "email": -0.1,
    "direct mail": -0.1,
    "social media": -0.4,
    "digital ad": -0.5,
}
CONTACT_CHANNELS = ["email", "direct mail", "phone", "digital ad", "sales visit"]
COST_PER_CONTACT = {
    "email": 0.05,
    "digital ad": 0.02,
    "direct mail": 0.85,
    "phone": 4.50,
    "sales visit": 120.00,
}
# Chance of a lead at the first exposure, and the lift of later exposures.
LEAD_RATE = {
    "email": 0.008,
    "digital ad": 0.003,
    "direct mail": 0.020,
    "phone": 0.060,
    "sales visit": 0.220,
}
EXPOSURE_LIFT = np.array([1.0, 1.7, 2.2, 2.5])
LEAD_TO_SALE = {
    "email": 0.30,
    "digital ad": 0.25,
    "direct mail": 0.35,
    "phone": 0.40,
    "sales visit": 0.55,
}
# Chance that a purchase within 21 days of a retention contact redeems the offer.
REDEEM_RATE = {"email": 0.30, "direct mail": 0.45, "phone": 0.60}

PRODUCTS = [
    # product_id, name, category
    (101, "Espresso", "Espresso drinks"),
    (102, "Cappuccino", "Espresso drinks"),
    (103, "Flat white", "Espresso drinks"),
    (104, "Latte", "Espresso drinks"),
    (105, "Mocha", "Espresso drinks"),
    (201, "House filter coffee", "Filter coffee"),
    (202, "Cold brew", "Filter coffee"),
    (301, "Chai latte", "Tea"),
    (302, "Green tea", "Tea"),
    (401, "Croissant", "Bakery"),
    (402, "Blueberry muffin", "Bakery"),
    (403, "Almond biscotti", "Bakery"),
    (404, "Banana bread", "Bakery"),
    (501, "House Blend beans 250 g", "Whole beans"),
    (502, "Ethiopia Yirgacheffe beans 250 g", "Whole beans"),
    (503, "Colombia Huila beans 250 g", "Whole beans"),
    (504, "Swiss Water decaf beans 250 g", "Whole beans"),
    (601, "House Blend ground 250 g", "Ground coffee"),
    (701, "Pour-over dripper", "Brewing equipment"),
    (702, "Paper filters (100)", "Brewing equipment"),
    (703, "Burr grinder", "Brewing equipment"),
    (704, "French press", "Brewing equipment"),
    (801, "Reusable cup", "Merchandise"),
    (802, "Gift card", "Merchandise"),
]
# Favourite products of each taste profile (one per lifestyle, same order).
TASTES = [
    [103, 104, 201, 401, 404, 801],
    [101, 103, 502, 503, 701, 702, 703, 403],
    [102, 104, 105, 301, 402, 404],
    [501, 601, 704, 702, 504, 503],
    [105, 301, 302, 402, 802, 202],
]
# Which categories each sales channel can sell (cafe: everything, the web shop
# and the phone line: packaged goods only).
PACKAGED = {"Whole beans", "Ground coffee", "Brewing equipment", "Merchandise"}

FIRST_NAMES = (
    "Aisha Alex Amara Ana Ben Carlos Chen Chloe Dan David Elena Emma Farah Felix Grace "
    "Hana Ivan Jack James Jon Julia Kate Kenji Lara Leo Lina Lucas Maya Mei Mohammed "
    "Nadia Noah Olga Omar Priya Rafael Rosa Sam Sara Sofia Tariq Tom Uma Victor Wei "
    "Yara Yusuf Zoe Ines Marta Pavel Nora Ravi Ali Eva Hugo Iris Oscar Ruth Theo"
).split()
LAST_NAMES = (
    "Adams Ahmed Baker Brown Castro Chen Costa Davies Dubois Evans Fischer Garcia Gray "
    "Hall Hughes Ito Jensen Kim Kowalski Lee Lopez Martin Meyer Moreau Murphy Nakamura "
    "Nguyen Novak Okafor Olsen Patel Perez Quinn Rossi Santos Schmidt Silva Smith Tanaka "
    "Taylor Walker Wang Weber White Wilson Young Zhang Ortiz Berg Haddad Lind Moretti "
    "Reyes Sato Varga Kaur Mensah Diaz Fox Moss"
).split()
NICKNAMES = {"James": "Jim", "Jon": "John", "Kate": "Katherine", "Alex": "Alexander",
             "Sam": "Samantha", "Ben": "Benjamin", "Dan": "Daniel", "Tom": "Thomas",
             "Theo": "Theodore", "Zoe": "Zoey"}


@dataclass(frozen=True)
class HarborTruth:
    """True parameters of the Harbor Coffee simulation.

    Rates are per week. ``r, alpha, a, b`` are the BG/NBD population
    (purchase rate Gamma(r, alpha), dropout Beta(a, b)); ``p, q, gamma`` the
    Gamma-Gamma spend population (order value Gamma(p, nu), nu Gamma(q, gamma)).
    """

    n_organic: int = 9000
    n_prospects: int = 6000
    r: float = 0.80
    alpha: float = 2.00
    a: float = 0.70
    b: float = 3.50
    p: float = 6.00
    q: float = 3.80
    gamma: float = 5.20
    adstock_decay: float = 0.70
    awareness_base: float = 0.08
    awareness_max: float = 0.55
    awareness_k: float = 0.004
    calls_per_open_hour: float = 6.0
    calls_per_spot_grp: float = 2.5
    mean_handle_minutes: float = 5.0
    mean_patience_minutes: float = 3.0


def true_parameters(variant: int | None = None) -> dict[str, float]:
    """Return the true simulation parameters of the base data or a variant.

    Parameters
    ----------
    variant : int or None
        ``None`` for the committed data; an integer for a student's variant,
        whose BG/NBD and Gamma-Gamma parameters are the base ones scaled by a
        reproducible factor between 0.9 and 1.1.

    Returns
    -------
    dict
        Parameter name to value.

    Examples
    --------
    >>> true_parameters()["r"]
    0.8
    """
    return asdict(_truth(variant))


def _truth(variant: int | None) -> HarborTruth:
    base = HarborTruth()
    if variant is None:
        return base
    rng = _rng(variant, "truth")
    names = ["r", "alpha", "a", "b", "p", "q", "gamma"]
    factors = rng.uniform(0.9, 1.1, size=len(names))
    return replace(base, **{n: round(float(getattr(base, n) * f), 3)
                           for n, f in zip(names, factors)})


def variant_key(variant: int | None) -> int:
    """Seed component of a variant (0 for the committed data); rejects anything but
    None or a non-negative integer."""
    if variant is None:
        return 0
    if isinstance(variant, bool) or not isinstance(variant, (int, np.integer)) or variant < 0:
        raise ValueError(f"variant must be a non-negative integer or None, got {variant!r}")
    return int(variant) + 1


def _rng(variant: int | None, stream: str) -> np.random.Generator:
    """One independent, reproducible random stream per (variant, purpose)."""
    stream_id = int.from_bytes(stream.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng([BASE_SEED, variant_key(variant), stream_id, len(stream)])


def _days(d: np.datetime64) -> int:
    return int((d - START).astype("timedelta64[D]").astype(int))


def _to_date(day: np.ndarray) -> np.ndarray:
    return START + np.asarray(day, dtype="int64").astype("timedelta64[D]")


def _assign_by_score(score: np.ndarray, labels: list[str], shares: list[float]) -> np.ndarray:
    """Cut a latent score into labelled groups of the given shares (highest first)."""
    order = np.argsort(-score, kind="stable")
    bounds = np.round(np.cumsum(shares) / np.sum(shares) * len(score)).astype(int)
    group = np.searchsorted(bounds, np.arange(len(score)), side="right")
    out = np.empty(len(score), dtype=object)
    out[order] = np.asarray(labels, dtype=object)[group]
    return out


def _zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def _messy_email(email: pd.Series, rng: np.random.Generator, share: float) -> pd.Series:
    """Hand-typed copies of e-mail keys: random capitals and stray spaces."""
    e = email.to_numpy(dtype=object).copy()
    n = len(e)
    caps = rng.random(n) < share
    spaces = rng.random(n) < share / 2
    e[caps] = [s.title() if i % 2 else s.upper() for i, s in enumerate(e[caps])]
    e[spaces] = [" " + s + " " if i % 2 else s + "  " for i, s in enumerate(e[spaces])]
    return pd.Series(e, index=email.index, dtype="str")


# --------------------------------------------------------------------------- prospects
def _prospects_and_acquisition(t: HarborTruth, variant: int | None):
    rng = _rng(variant, "acquisition")
    n = t.n_prospects
    last_seen_day = _days(SIGNUP_END) - 30
    first_seen = np.sort(rng.integers(0, last_seen_day, size=n))
    prospects = pd.DataFrame(
        {
            "first_seen": first_seen,
            "source": rng.choice(
                ["site visit", "newsletter sign-up", "enquiry", "free sample"],
                p=[0.45, 0.30, 0.15, 0.10],
                size=n,
            ),
            "region": rng.choice(REGIONS, p=REGION_WEIGHTS, size=n),
        }
    )
    converted_day = np.full(n, -1)
    converted_channel = np.empty(n, dtype=object)
    campaign_rows, contact_rows = [], []
    starts = np.linspace(_days(np.datetime64("2023-03-06")), _days(np.datetime64("2025-04-07")), 10)
    sizes = {"email": 2000, "digital ad": 2500, "direct mail": 800, "phone": 400, "sales visit": 60}
    for c, start in enumerate(starts.round().astype(int)):
        channel = CONTACT_CHANNELS[c % len(CONTACT_CHANNELS)]
        waves = 2 if channel == "sales visit" else 4
        campaign_id = c + 1
        campaign_rows.append(
            (campaign_id, f"Acquisition {c + 1:02d}: {channel}", "prospects", channel,
             start, waves, COST_PER_CONTACT[channel],
             "Welcome offer: first bag of beans half price")
        )
        eligible = np.flatnonzero((first_seen < start) & (converted_day < 0))
        size = min(sizes[channel], len(eligible))
        targets = np.sort(rng.choice(eligible, size=size, replace=False))
        active = np.ones(size, dtype=bool)
        for k in range(waves):
            day = start + 14 * k
            idx = targets[active]
            lead = rng.random(len(idx)) < LEAD_RATE[channel] * EXPOSURE_LIFT[k]
            sale = lead & (rng.random(len(idx)) < LEAD_TO_SALE[channel])
            sale_day = day + rng.integers(1, 11, size=len(idx))
            converted_day[idx[sale]] = sale_day[sale]
            converted_channel[idx[sale]] = channel
            contact_rows.append(
                pd.DataFrame(
                    {"campaign_id": campaign_id, "prospect_id_idx": idx, "contact_day": day,
                     "exposure": k + 1, "responded": lead, "sale": sale,
                     "response_day": np.where(lead, day + rng.integers(0, 8, size=len(idx)), -1)}
                )
            )
            active[active] = ~lead  # leads leave the campaign
    campaigns = pd.DataFrame(
        campaign_rows,
        columns=["campaign_id", "name", "audience", "channel", "start_day", "waves",
                 "cost_per_contact", "offer"],
    )
    return prospects, converted_day, converted_channel, campaigns, pd.concat(contact_rows)


# --------------------------------------------------------------------------- customers
def _customers(t: HarborTruth, variant: int | None, prospects, converted_day, converted_channel):
    rng = _rng(variant, "customers")
    n_org = t.n_organic
    # Sign-ups: growing business, busier Decembers and Septembers.
    months = pd.period_range("2023-01", "2025-06", freq="M")
    weight = np.linspace(1.0, 1.6, len(months)) * np.where(months.month == 12, 1.5, 1.0)
    weight *= np.where(months.month == 9, 1.2, 1.0)
    month_idx = rng.choice(len(months), p=weight / weight.sum(), size=n_org)
    month_start = np.array([_days(np.datetime64(m.start_time.date())) for m in months])
    month_len = months.days_in_month.to_numpy()
    signup = month_start[month_idx] + (rng.random(n_org) * month_len[month_idx]).astype(int)
    channel = rng.choice(ORGANIC_CHANNELS, p=ORGANIC_CHANNEL_WEIGHTS, size=n_org)
    region = rng.choice(REGIONS, p=REGION_WEIGHTS, size=n_org)

    conv = np.flatnonzero(converted_day >= 0)
    signup = np.concatenate([signup, converted_day[conv]])
    channel = np.concatenate([channel, converted_channel[conv].astype(str)])
    region = np.concatenate([region, prospects["region"].to_numpy()[conv]])
    prospect_idx = np.concatenate([np.full(n_org, -1), conv])
    n = len(signup)

    # Some organic customers were prospects first (site visit, newsletter ...).
    was_prospect = (prospect_idx < 0) & (rng.random(n) < 0.25)

    order = np.lexsort((rng.random(n), signup))
    signup, channel, region = signup[order], channel[order], region[order]
    prospect_idx, was_prospect = prospect_idx[order], was_prospect[order]

    # Latent behaviour: exactly the BG/NBD and Gamma-Gamma populations.
    lam = rng.gamma(t.r, 1.0 / t.alpha, size=n)
    nu = rng.gamma(t.q, 1.0 / t.gamma, size=n)
    p_draw = np.sort(rng.beta(t.a, t.b, size=n))
    loyalty = np.array([CHANNEL_LOYALTY[c] for c in channel]) + rng.normal(0, 1.0, n)
    p = np.empty(n)
    p[np.argsort(-loyalty, kind="stable")] = p_draw  # most loyal get the lowest dropout

    age = np.clip(rng.normal(39, 13, n), 18, 85).round().astype(int)
    income = np.round(np.exp(rng.normal(np.log(58), 0.45, n)), 1)  # thousand dollars a year
    household = np.clip(rng.poisson(1.6, n) + 1, 1, 7)
    lifestyle = _assign_by_score(_zscore(np.log(lam)) + rng.normal(0, 0.6, n),
                                 LIFESTYLES, LIFESTYLE_SHARES)
    # Spend: high spenders have low nu; income nudges benefit sought very slightly.
    benefit = _assign_by_score(_zscore(-np.log(nu)) + 0.15 * _zscore(np.log(income))
                               + rng.normal(0, 0.6, n), BENEFITS, BENEFIT_SHARES)

    first = rng.choice(FIRST_NAMES, size=n)
    last = rng.choice(LAST_NAMES, size=n)
    ids = np.arange(1, n + 1)
    domains = np.array(["example.com", "example.net", "example.org"])[ids % 3]
    email = [f"{f.lower()}.{s.lower()}{i}@{d}" for f, s, i, d in zip(first, last, ids, domains)]
    phone = [f"555-{(i * 7919) % 10000:04d}-{(i * 104729) % 100:02d}" for i in ids]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
            "signup_date": _to_date(signup),
            "acquisition_channel": channel,
            "region": region,
            "age": age,
            "income": income,
            "household_size": household,
            "lifestyle": lifestyle,
            "benefit_sought": benefit,
        }
    )
    latent = pd.DataFrame({"signup_day": signup, "lam": lam, "p": p, "nu": nu,
                           "prospect_idx": prospect_idx, "was_prospect": was_prospect})
    return customers, latent


# --------------------------------------------------------------------------- purchases
def _purchases(t: HarborTruth, variant: int | None, customers, latent):
    rng = _rng(variant, "purchases")
    n = len(customers)
    end_day = _days(END)
    t_weeks = (end_day + 1 - latent["signup_day"].to_numpy()) / 7.0
    lam, p = latent["lam"].to_numpy(), latent["p"].to_numpy()
    n_arrivals = rng.poisson(lam * t_weeks)
    max_repeats = rng.geometric(p)  # dies after the k-th repeat purchase
    n_repeat = np.minimum(n_arrivals, max_repeats)
    # Arrival times of a Poisson process given its count are sorted uniforms;
    # the customer keeps the first n_repeat of them.
    owner = np.repeat(np.arange(n), n_arrivals)
    u = rng.random(len(owner)) * t_weeks[owner]
    srt = np.lexsort((u, owner))
    owner, u = owner[srt], u[srt]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(n_arrivals) - n_arrivals, n_arrivals)
    keep = rank < n_repeat[owner]
    owner, u = owner[keep], u[keep]
    day = latent["signup_day"].to_numpy()[owner] + np.floor(u * 7).astype(int)
    owner = np.concatenate([np.arange(n), owner])
    day = np.concatenate([latent["signup_day"].to_numpy(), day])
    first = np.concatenate([np.ones(n, bool), np.zeros(len(day) - n, bool)])
    srt = np.lexsort((~first, day, owner))
    owner, day, first = owner[srt], day[srt], first[srt]

    # Channel of each order by lifestyle; first order by acquisition channel.
    life_idx = pd.Categorical(customers["lifestyle"], categories=LIFESTYLES).codes
    mix = np.array([[0.85, 0.12, 0.03], [0.55, 0.40, 0.05], [0.85, 0.10, 0.05],
                    [0.30, 0.55, 0.15], [0.80, 0.10, 0.10]])
    cum = mix.cumsum(axis=1)[life_idx[owner]]
    chan_code = (rng.random(len(owner))[:, None] > cum).sum(axis=1)
    acq = customers["acquisition_channel"].to_numpy()[owner]
    chan_code = np.where(first & (acq == "cafe walk-in"), 0, chan_code)
    chan_code = np.where(first & np.isin(acq, ["web search", "social media", "digital ad",
                                               "email"]), 1, chan_code)
    chan_code = np.where(first & (acq == "phone"), 2, chan_code)
    channel = np.array(["cafe", "web", "phone"])[chan_code]

    nu = latent["nu"].to_numpy()[owner]
    amount = np.round(rng.gamma(t.p, 1.0 / nu), 2)
    amount = np.maximum(amount, 0.5)

    items, quantity = _baskets(rng, customers, owner, chan_code)
    purchases = pd.DataFrame(
        {
            "order_id": np.arange(1, len(owner) + 1),
            "customer_id": customers["customer_id"].to_numpy()[owner],
            "date": _to_date(day),
            "channel": channel,
            "quantity": quantity,
            "amount": amount,
        }
    )
    purchases = purchases.sort_values(["date", "customer_id"], kind="stable")
    new_id = np.empty(len(purchases), dtype=np.int64)
    new_id[purchases["order_id"].to_numpy() - 1] = np.arange(1, len(purchases) + 1)
    purchases["order_id"] = np.arange(1, len(purchases) + 1)
    items["order_id"] = new_id[items["order_id"].to_numpy() - 1]
    items = items.sort_values(["order_id", "product_id"], kind="stable").reset_index(drop=True)
    return purchases.reset_index(drop=True), items


def _baskets(rng, customers, owner, chan_code):
    """Order lines: a few products per order from the customer's taste profile."""
    n = len(customers)
    pid = np.array([p[0] for p in PRODUCTS])
    cat = np.array([p[2] for p in PRODUCTS])
    life_idx = pd.Categorical(customers["lifestyle"], categories=LIFESTYLES).codes
    taste = np.where(rng.random(n) < 0.75, life_idx, rng.integers(0, len(TASTES), n))
    fav = np.zeros((len(TASTES), len(pid)))
    for k, prods in enumerate(TASTES):
        fav[k, np.isin(pid, prods)] = 1.0
    weight = 0.15 + 4.0 * fav[taste]
    personal = rng.integers(0, len(pid), size=(n, 2))
    np.put_along_axis(weight, personal, np.take_along_axis(weight, personal, 1) * 3.0, 1)
    packaged = np.isin(cat, list(PACKAGED))
    allowed = np.vstack([np.where(packaged, 0.25, 1.0), packaged * 1.0, packaged * 1.0])
    w = weight[owner] * allowed[chan_code]
    n_lines = np.minimum(1 + rng.poisson(0.6, size=len(owner)), 4)
    # Gumbel top-k: sampling without replacement proportional to weight.
    key = np.log(w, where=w > 0, out=np.full(w.shape, -np.inf)) + rng.gumbel(size=w.shape)
    top = np.argsort(-key, axis=1)[:, :4]
    line_rank = np.arange(4)[None, :] < n_lines[:, None]
    order_pos, col = np.nonzero(line_rank)
    qty = 1 + rng.poisson(0.15, size=len(order_pos))
    items = pd.DataFrame({"order_id": order_pos + 1, "product_id": pid[top[order_pos, col]],
                          "quantity": qty})
    quantity = np.bincount(order_pos, weights=qty, minlength=len(owner)).astype(int)
    return items, quantity


# --------------------------------------------------------------------------- retention
def _retention_campaigns(variant: int | None, customers, purchases, first_id: int):
    rng = _rng(variant, "retention")
    key_cust = purchases["customer_id"].to_numpy()
    key_day = _days_of(purchases["date"])
    srt = np.lexsort((key_day, key_cust))
    combo = key_cust[srt].astype(np.int64) * 10_000 + key_day[srt]
    days_sorted = key_day[srt]
    signup = _days_of(customers["signup_date"])
    plan = [("2024-03-04", "email", 3), ("2024-06-03", "direct mail", 2),
            ("2024-10-07", "email", 3), ("2025-02-03", "phone", 1),
            ("2025-04-07", "direct mail", 2), ("2025-10-06", "email", 3)]
    campaigns, contacts = [], []
    for j, (start, channel, waves) in enumerate(plan):
        cid = first_id + j
        start_day = _days(np.datetime64(start))
        campaigns.append((cid, f"Retention {j + 1:02d}: {channel}", "customers", channel,
                          start_day, waves, COST_PER_CONTACT[channel],
                          "Double loyalty stamps on your next visit"))
        eligible = np.flatnonzero(signup < start_day - 28)
        share = {"email": 0.9, "direct mail": 0.5, "phone": 0.08}[channel]
        targets = np.sort(rng.choice(eligible, size=int(share * len(eligible)), replace=False))
        active = np.ones(len(targets), bool)
        for k in range(waves):
            day = start_day + 21 * k
            idx = targets[active]
            cust = customers["customer_id"].to_numpy()[idx]
            pos = np.searchsorted(combo, cust.astype(np.int64) * 10_000 + day)
            pos_c = np.minimum(pos, len(combo) - 1)
            nxt = np.where((pos < len(combo)) & (combo[pos_c] // 10_000 == cust),
                           days_sorted[pos_c], 10**9)
            buys = nxt <= day + 20
            redeem = rng.random(len(idx)) < min(REDEEM_RATE[channel] * EXPOSURE_LIFT[k], 0.95)
            resp = buys & redeem
            contacts.append(pd.DataFrame(
                {"campaign_id": cid, "customer_idx": idx, "contact_day": day, "exposure": k + 1,
                 "responded": resp, "sale": resp, "response_day": np.where(resp, nxt, -1)}))
            active[active] = ~resp
    cols = ["campaign_id", "name", "audience", "channel", "start_day", "waves",
            "cost_per_contact", "offer"]
    return pd.DataFrame(campaigns, columns=cols), pd.concat(contacts)


def _days_of(dates: pd.Series) -> np.ndarray:
    return (dates.to_numpy().astype("datetime64[D]") - START).astype(int)


# --------------------------------------------------------------------------- media, calls
def _media_and_calls(t: HarborTruth, variant: int | None):
    rng = _rng(variant, "media")
    start = _days(MEDIA_START)
    weeks = np.arange(MEDIA_WEEKS)
    tv_grp = np.array([180, 160, 130, 100, 80, 60, 50, 40, 35, 30, 30, 30], float)
    plan = []
    for medium, grp, cpp in [("spot TV", tv_grp, 95.0), ("radio", tv_grp * 0.4, 30.0),
                             ("digital", np.full(MEDIA_WEEKS, 40.0), 12.0),
                             ("print", np.where(weeks < 4, 20.0, 0.0), 45.0)]:
        plan.append(pd.DataFrame({"week_start": _to_date(start + 7 * weeks), "medium": medium,
                                  "grps": grp, "spend": np.round(grp * cpp, 2)}))
    media_plan = pd.concat(plan, ignore_index=True)

    # Awareness survey: adstock of all GRPs (four weeks of pre-campaign zeros).
    total = media_plan.groupby("week_start")["grps"].sum().to_numpy()
    adstock = np.zeros(MEDIA_WEEKS + 4)
    grps = np.concatenate([np.zeros(4), total])
    for w in range(1, len(grps)):
        adstock[w] = t.adstock_decay * adstock[w - 1] + grps[w]
    aware_p = t.awareness_base + t.awareness_max * (1 - np.exp(-t.awareness_k * adstock))
    sample = np.full(len(grps), 400)
    aware = rng.binomial(sample, aware_p)
    awareness = pd.DataFrame({"week_start": _to_date(start + 7 * np.arange(-4, MEDIA_WEEKS)),
                              "sample_size": sample, "aware": aware,
                              "aware_share": np.round(aware / sample, 4)})

    # Spot TV: about one spot per 10 GRPs; a share of them badly timed.
    spot_rows = []
    for w in weeks:
        n_spots = int(tv_grp[w] // 10)
        day = start + 7 * w + rng.integers(0, 7, size=n_spots)
        slot = rng.choice(["day", "dinner", "late"], p=[0.65, 0.25, 0.10], size=n_spots)
        minute = np.select([slot == "day", slot == "dinner"],
                           [rng.integers(10 * 60, 17 * 60, n_spots),
                            rng.integers(18 * 60, 20 * 60, n_spots)],
                           rng.integers(20 * 60 + 30, 21 * 60 + 30, n_spots))
        spot_rows.append(pd.DataFrame({"day": day, "minute": minute,
                                       "region": rng.choice(REGIONS, p=REGION_WEIGHTS,
                                                            size=n_spots),
                                       "grp": np.round(rng.uniform(6, 14, n_spots), 1)}))
    spots = pd.concat(spot_rows).sort_values(["day", "minute"], kind="stable")
    spots = spots.reset_index(drop=True)
    spots["spot_id"] = np.arange(1, len(spots) + 1)
    spots["cost"] = np.round(spots["grp"] * 95.0, 2)

    # Staffing: open 08-21 on weekdays, 09-17 at weekends; thin at dinner time.
    n_days = 7 * MEDIA_WEEKS
    dd = np.repeat(np.arange(n_days), 24)
    hh = np.tile(np.arange(24), n_days)
    weekend = (dd % 7) >= 5  # MEDIA_START is a Monday
    weekday_agents = np.array([0] * 8 + [4, 5, 5, 5, 5, 5, 5, 5, 4, 2, 2, 2, 1] + [0] * 3)
    weekend_agents = np.array([0] * 9 + [3] * 8 + [0] * 7)
    agents = np.where(weekend, weekend_agents[hh], weekday_agents[hh])
    staffing = pd.DataFrame({"date": _to_date(start + dd), "hour": hh, "agents": agents})

    # Call arrivals in seconds since MEDIA_START: background and spot-driven.
    open_hour = agents > 0
    base_n = rng.poisson(np.where(open_hour, t.calls_per_open_hour, 0.3))
    hour_index = np.repeat(np.arange(len(base_n)), base_n)
    base_times = hour_index * 3600 + rng.random(len(hour_index)) * 3600
    spot_sec = (spots["day"].to_numpy() - start) * 86400 + spots["minute"].to_numpy() * 60
    spot_n = rng.poisson(spots["grp"].to_numpy() * t.calls_per_spot_grp)
    spot_times = np.repeat(spot_sec, spot_n) + rng.exponential(12 * 60, spot_n.sum())
    arrival = np.sort(np.concatenate([base_times, spot_times]))
    arrival = arrival[arrival < n_days * 86400]
    n_calls = len(arrival)
    patience = rng.exponential(t.mean_patience_minutes * 60, n_calls)
    handle = rng.exponential(t.mean_handle_minutes * 60, n_calls) + 30
    order = rng.random(n_calls) < 0.4

    wait, outcome = simulate_queue(arrival, patience, handle, agents)
    answered = outcome == "answered"
    calls = pd.DataFrame({
        "call_id": np.arange(1, n_calls + 1),
        "arrival_time": MEDIA_START.astype("datetime64[s]")
        + np.floor(arrival).astype("int64").astype("timedelta64[s]"),
        "outcome": outcome,
        "wait_seconds": np.round(wait).astype(int),
        "handle_seconds": np.where(answered, np.round(handle), 0).astype(int),
        "order_placed": answered & order,
    })
    tv_spots = pd.DataFrame({
        "spot_id": spots["spot_id"],
        "air_time": _to_date(spots["day"]).astype("datetime64[s]")
        + (spots["minute"].to_numpy() * 60).astype("timedelta64[s]"),
        "region": spots["region"], "grp": spots["grp"], "cost": spots["cost"]})
    return media_plan, awareness, tv_spots, staffing, calls


# --------------------------------------------------------------------------- silos
def _silos(variant: int | None, customers, purchases, prospects):
    rng = _rng(variant, "silos")
    n = len(customers)
    # Service tickets: more for customers who order by web or phone.
    remote = purchases.loc[purchases["channel"] != "cafe", "customer_id"].to_numpy()
    n_tickets = 2500
    who = np.where(rng.random(n_tickets) < 0.6, rng.choice(remote, n_tickets),
                   rng.integers(1, n + 1, n_tickets))
    cust = customers.set_index("customer_id").loc[who]
    signup = _days_of(cust["signup_date"])
    opened = signup + (rng.random(n_tickets) * (_days(END) - signup)).astype(int)
    resolved = opened + rng.geometric(0.35, n_tickets) - 1
    still_open = (resolved > _days(END)) | (rng.random(n_tickets) < 0.03)
    tickets = pd.DataFrame({
        "opened_date": _to_date(opened),
        "email": _messy_email(cust["email"].reset_index(drop=True), rng, 0.35),
        "topic": rng.choice(["late delivery", "wrong item", "billing", "loyalty card",
                             "product quality", "web account"],
                            p=[0.25, 0.15, 0.15, 0.2, 0.15, 0.1], size=n_tickets),
        "resolved_date": pd.Series(_to_date(np.where(still_open, 0, resolved))).where(
            ~still_open),
        "satisfaction": np.where(still_open, 0, rng.integers(1, 6, n_tickets)),
    }).sort_values(["opened_date"], kind="stable").reset_index(drop=True)
    tickets.insert(0, "ticket_id", np.arange(1, n_tickets + 1))
    tickets["satisfaction"] = tickets["satisfaction"].astype("Int64").where(
        tickets["satisfaction"] > 0)

    # Loyalty coupons: a free drink after every fifth purchase, 60 days to redeem.
    cafe = purchases[purchases["channel"] == "cafe"]
    nth = cafe.groupby("customer_id").cumcount() + 1
    earned = cafe[nth % 5 == 0]
    issued = _days_of(earned["date"])
    cid = earned["customer_id"].to_numpy()
    # Redeemed at the holder's next cafe visit within 60 days, most of the time.
    nxt = cafe.groupby("customer_id")["date"].shift(-1)[nth % 5 == 0]
    gap = _days_of(nxt.fillna(pd.Timestamp("2100-01-01")))
    redeemed = (gap - issued <= 60) & (rng.random(len(cid)) < 0.85)
    coupons = pd.DataFrame({
        "coupon_code": [f"HC-{(i * 7_654_321 + 12345) % 100_000_000:08d}" for i in
                        range(1, len(cid) + 1)],
        "email": _messy_email(customers.set_index("customer_id").loc[cid, "email"]
                              .reset_index(drop=True), rng, 0.2),
        "issued_date": _to_date(issued),
        "expiry_date": _to_date(issued + 60),
        "redeemed_date": pd.Series(_to_date(np.where(redeemed, gap, 0))).where(redeemed),
        "value": 4.00,
    })

    # Marketing list: customers who signed up for news, prospects, bought-in suspects,
    # with duplicate people under nicknames and re-typed addresses.
    on_list = customers[rng.random(n) < 0.6]
    cust_rows = pd.DataFrame({
        "email": on_list["email"], "first_name": on_list["first_name"],
        "last_name": on_list["last_name"], "region": on_list["region"],
        "source": rng.choice(["cafe form", "web sign-up"], size=len(on_list)),
        "added_date": on_list["signup_date"], "opt_in": rng.random(len(on_list)) < 0.8})
    dup = cust_rows.sample(frac=0.08, random_state=rng.integers(2**31))
    dup = dup.assign(first_name=dup["first_name"].map(lambda f: NICKNAMES.get(f, f)),
                     added_date=dup["added_date"] + pd.to_timedelta(
                         rng.integers(30, 400, len(dup)), unit="D"),
                     source="event")
    dup["added_date"] = dup["added_date"].where(dup["added_date"] <= pd.Timestamp(END),
                                                pd.Timestamp(END))
    pros = prospects[prospects["customer_id"].isna()]
    pros_rows = pd.DataFrame({
        "email": pros["email"], "first_name": pros["first_name"],
        "last_name": pros["last_name"], "region": pros["region"],
        "source": "newsletter", "added_date": pros["first_seen"],
        "opt_in": rng.random(len(pros)) < 0.9})
    n_sus = 3000
    sf, sl = rng.choice(FIRST_NAMES, n_sus), rng.choice(LAST_NAMES, n_sus)
    sus_rows = pd.DataFrame({
        "email": [f"{a.lower()}{b.lower()}{i}@list.example" for i, (a, b) in
                  enumerate(zip(sf, sl), start=1)],
        "first_name": sf, "last_name": sl,
        "region": rng.choice(REGIONS, p=REGION_WEIGHTS, size=n_sus),
        "source": "purchased list",
        "added_date": _to_date(np.full(n_sus, _days(np.datetime64("2024-01-15")))),
        "opt_in": False})
    mlist = pd.concat([cust_rows, dup, pros_rows, sus_rows], ignore_index=True)
    mlist["email"] = _messy_email(mlist["email"], rng, 0.25)
    mlist = mlist.sort_values(["added_date", "last_name", "first_name"], kind="stable")
    mlist.insert(0, "list_id", np.arange(1, len(mlist) + 1))
    return tickets, coupons, mlist.reset_index(drop=True)


# --------------------------------------------------------------------------- all tables
def simulate_harbor(variant: int | None = None) -> dict[str, pd.DataFrame]:
    """Simulate every Harbor Coffee table.

    Parameters
    ----------
    variant : int or None
        ``None`` for the committed data set; a non-negative integer for a
        reproducible per-student variant.

    Returns
    -------
    dict of str to pandas.DataFrame
        One DataFrame per table, keyed by table name (see ``datasets/README.md``).

    Examples
    --------
    >>> tables = simulate_harbor()
    >>> sorted(tables)[:3]
    ['awareness', 'call_staffing', 'calls']
    """
    t = _truth(variant)
    prospects, conv_day, conv_channel, acq_campaigns, acq_contacts = (
        _prospects_and_acquisition(t, variant))
    customers, latent = _customers(t, variant, prospects, conv_day, conv_channel)
    purchases, items = _purchases(t, variant, customers, latent)

    # Prospects table: link converted prospects and prospects-first organic customers.
    rng = _rng(variant, "prospect-links")
    p_cust = np.full(len(prospects), -1)
    linked = latent["prospect_idx"].to_numpy()
    p_cust[linked[linked >= 0]] = customers["customer_id"].to_numpy()[linked >= 0]
    first_pf = latent.index[latent["was_prospect"]].to_numpy()
    signup = latent["signup_day"].to_numpy()[first_pf]
    extra = pd.DataFrame({
        "first_seen": np.maximum(signup - rng.integers(1, 120, len(first_pf)), 0),
        "source": rng.choice(["site visit", "newsletter sign-up", "enquiry", "free sample"],
                             p=[0.45, 0.30, 0.15, 0.10], size=len(first_pf)),
        "region": customers["region"].to_numpy()[first_pf]})
    pro = pd.concat([prospects, extra], ignore_index=True)
    pro["customer_id"] = np.concatenate([p_cust, customers["customer_id"].to_numpy()[first_pf]])
    names_rng = _rng(variant, "prospect-names")
    is_cust = pro["customer_id"] > 0
    cust_by_id = customers.set_index("customer_id")
    pf = names_rng.choice(FIRST_NAMES, len(pro))
    pl = names_rng.choice(LAST_NAMES, len(pro))
    pro["first_name"] = np.where(is_cust, cust_by_id["first_name"].reindex(pro["customer_id"])
                                 .to_numpy(), pf)
    pro["last_name"] = np.where(is_cust, cust_by_id["last_name"].reindex(pro["customer_id"])
                                .to_numpy(), pl)
    pro["email"] = np.where(
        is_cust, cust_by_id["email"].reindex(pro["customer_id"]).to_numpy(),
        [f"{a.lower()}_{b.lower()}{i}@example.com" for i, (a, b) in enumerate(zip(pf, pl))])
    pro["prospect_idx"] = np.arange(len(pro))
    pro = pro.sort_values(["first_seen", "prospect_idx"], kind="stable").reset_index(drop=True)
    pid_of_idx = np.empty(len(pro), dtype=np.int64)
    pid_of_idx[pro["prospect_idx"].to_numpy()] = np.arange(1, len(pro) + 1)
    pro.insert(0, "prospect_id", np.arange(1, len(pro) + 1))
    pro["first_seen"] = _to_date(pro["first_seen"])
    pro["customer_id"] = pro["customer_id"].astype("Int64").where(pro["customer_id"] > 0)
    prospects_out = pro[["prospect_id", "first_name", "last_name", "email", "first_seen",
                         "source", "region", "customer_id"]]

    # Referrals: each referred customer names an earlier customer, chosen in
    # proportion to purchase rate times staying power (advocates are loyal regulars).
    rng = _rng(variant, "referrals")
    referred = np.flatnonzero(customers["acquisition_channel"].to_numpy() == "referral")
    signup_all = latent["signup_day"].to_numpy()
    w = latent["lam"].to_numpy() * (1 - latent["p"].to_numpy()) ** 3
    cw = np.cumsum(w)
    limit = np.searchsorted(signup_all, signup_all[referred] - 30, side="right")
    ok = limit > 0
    referred, limit = referred[ok], limit[ok]
    referrer = np.searchsorted(cw, rng.random(len(referred)) * cw[limit - 1], side="right")
    referrals = pd.DataFrame({
        "referral_id": np.arange(1, len(referred) + 1),
        "referrer_id": customers["customer_id"].to_numpy()[referrer],
        "referred_id": customers["customer_id"].to_numpy()[referred],
        "date": customers["signup_date"].to_numpy()[referred]})

    ret_campaigns, ret_contacts = _retention_campaigns(variant, customers, purchases,
                                                        first_id=len(acq_campaigns) + 1)
    campaigns = pd.concat([acq_campaigns, ret_campaigns], ignore_index=True)
    campaigns["start_date"] = _to_date(campaigns.pop("start_day"))
    campaigns = campaigns[["campaign_id", "name", "audience", "channel", "start_date", "waves",
                           "cost_per_contact", "offer"]]
    acq_contacts["prospect_id"] = pid_of_idx[acq_contacts.pop("prospect_id_idx").to_numpy()]
    ret_contacts["customer_id"] = customers["customer_id"].to_numpy()[
        ret_contacts.pop("customer_idx").to_numpy()]
    contacts = pd.concat([acq_contacts, ret_contacts], ignore_index=True)
    contacts = contacts.sort_values(["contact_day", "campaign_id", "customer_id", "prospect_id"],
                                    kind="stable").reset_index(drop=True)
    contacts.insert(0, "contact_id", np.arange(1, len(contacts) + 1))
    contacts["contact_date"] = _to_date(contacts.pop("contact_day"))
    rd = contacts.pop("response_day").to_numpy()
    contacts["response_date"] = pd.Series(_to_date(np.maximum(rd, 0))).where(rd >= 0)
    for col in ["customer_id", "prospect_id"]:
        contacts[col] = contacts[col].astype("Int64")
    contacts = contacts[["contact_id", "campaign_id", "customer_id", "prospect_id",
                         "contact_date", "exposure", "responded", "sale", "response_date"]]

    media_plan, awareness, tv_spots, staffing, calls = _media_and_calls(t, variant)
    tickets, coupons, mlist = _silos(variant, customers, purchases, prospects_out)
    products = pd.DataFrame(PRODUCTS, columns=["product_id", "name", "category"])
    return {
        "customers": customers,
        "products": products,
        "purchases": purchases,
        "order_items": items,
        "prospects": prospects_out,
        "referrals": referrals,
        "campaigns": campaigns,
        "contacts": contacts,
        "media_plan": media_plan,
        "awareness": awareness,
        "tv_spots": tv_spots,
        "call_staffing": staffing,
        "calls": calls,
        "service_tickets": tickets,
        "coupons": coupons,
        "marketing_list": mlist,
    }
