"""Clean synthetic inputs for the silo simulation (what the core simulation hands over).

A small stand-in for the core: customers with unique lower-case e-mails,
orders through the cafe, the web shop and the phone line, service tickets,
fifth-cup coupons and prospects, some of whom became customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.simulate.people import names as draw_names

END = pd.Timestamp("2025-12-31")
START = pd.Timestamp("2023-01-01")
REGIONS = ["Harbourfront", "Old Town", "Northside", "Eastgate", "Westfield"]


def rng_factory(seed: int, overrides: dict[str, int] | None = None):
    """``rng_for(name)``: one stream per name, seeded from its full name."""
    overrides = overrides or {}

    def rng_for(name: str) -> np.random.Generator:
        return np.random.default_rng([seed, overrides.get(name, 0), *name.encode()])

    return rng_for


def tickets_and_coupons(customers: pd.DataFrame, purchases: pd.DataFrame,
                        rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Service tickets (one per four customers) and a coupon for every fifth cafe purchase."""
    n = len(customers)
    ids = customers["customer_id"].to_numpy()
    left = (END - customers["signup_date"]).dt.days.to_numpy()
    # Tickets: one per four customers, about any channel.
    n_t = n // 4
    t_pos = rng.integers(0, n, n_t)
    opened = customers["signup_date"].to_numpy()[t_pos] + np.floor(
        rng.random(n_t) * left[t_pos]).astype("timedelta64[D]")
    resolved = opened + rng.integers(0, 20, n_t).astype("timedelta64[D]")
    still = resolved > END.to_datetime64()
    tickets = pd.DataFrame({
        "ticket_id": np.arange(1, n_t + 1), "customer_id": ids[t_pos],
        "opened_date": opened.astype("datetime64[s]"),
        "topic": rng.choice(["late delivery", "billing", "product quality"], n_t),
        "resolved_date": pd.Series(resolved.astype("datetime64[s]")).where(~still),
        "satisfaction": pd.array(np.where(still, 0, rng.integers(1, 6, n_t)), dtype="Int64"),
        "channel": rng.choice(["cafe", "web", "phone"], n_t)})
    tickets["satisfaction"] = tickets["satisfaction"].where(~still)

    # Coupons: one for every fifth cafe purchase.
    cafe = purchases[purchases["channel"] == "cafe"]
    nth = cafe.groupby("customer_id").cumcount() + 1
    earned = cafe[nth % 5 == 0]
    n_c = len(earned)
    issued = earned["date"].to_numpy()
    redeemed_day = issued + rng.integers(1, 60, n_c).astype("timedelta64[D]")
    redeemed = (rng.random(n_c) < 0.7) & (redeemed_day <= END.to_datetime64())
    coupons = pd.DataFrame({
        "coupon_id": np.arange(1, n_c + 1), "customer_id": earned["customer_id"].to_numpy(),
        "issued_date": issued, "expiry_date": issued + np.timedelta64(60, "D"),
        "redeemed_date": pd.Series(redeemed_day).where(redeemed), "value": 4.0})

    return tickets, coupons


def make_inputs(n_customers: int = 3000, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Customers, purchases, tickets, coupons and prospects, clean and consistent."""
    rng = np.random.default_rng(seed)
    n = n_customers
    ids = np.arange(1, n + 1)
    first, last = draw_names(rng, n)
    domain = np.array(["example.com", "example.net", "example.org"])[ids % 3]
    email = pd.Series(first).str.lower() + "." + pd.Series(last).str.lower() + pd.Series(
        ids).astype(str) + "@" + pd.Series(domain)
    phone = "555-" + pd.Series((ids * 7919) % 10000).astype(str).str.zfill(4) + "-" + pd.Series(
        ids % 100).astype(str).str.zfill(2)
    span = (END - START).days
    signup = START + pd.to_timedelta(rng.integers(0, span - 60, n), unit="D")
    customers = pd.DataFrame({
        "customer_id": ids, "first_name": first, "last_name": last, "email": email,
        "phone": phone, "region": rng.choice(REGIONS, n), "signup_date": signup,
        "age": rng.integers(18, 80, n)})
    customers["signup_date"] = customers["signup_date"].astype("datetime64[s]")

    # Orders: a few per customer, each customer with their own channel mix.
    n_orders = 1 + rng.geometric(0.12, n)
    owner = np.repeat(np.arange(n), n_orders)
    left = (END - customers["signup_date"]).dt.days.to_numpy()
    offset = np.floor(rng.random(len(owner)) * (left[owner] + 1)).astype(int)
    offset[np.r_[0, np.cumsum(n_orders)[:-1]]] = 0  # first order on the sign-up day
    mix = rng.dirichlet([3.0, 1.0, 0.4], n)
    u = rng.random(len(owner))
    cum = mix.cumsum(axis=1)[owner]
    chan = np.array(["cafe", "web", "phone"])[(u[:, None] > cum).sum(axis=1).clip(max=2)]
    purchases = pd.DataFrame({
        "customer_id": ids[owner],
        "date": (customers["signup_date"].to_numpy()[owner]
                 + offset.astype("timedelta64[D]")).astype("datetime64[s]"),
        "channel": chan}).sort_values(["date", "customer_id"], kind="stable")
    purchases.insert(0, "order_id", np.arange(1, len(purchases) + 1))
    purchases = purchases.reset_index(drop=True)

    tickets, coupons = tickets_and_coupons(customers, purchases, rng)

    # Prospects: half as many as customers; one in five became a customer.
    n_p = n // 2
    became = rng.random(n_p) < 0.2
    who = rng.choice(n, n_p, replace=False)
    other_first, other_last = draw_names(rng, n_p)
    pf = np.where(became, first[who], other_first)
    pl = np.where(became, last[who], other_last)
    pemail = np.where(became, email.to_numpy()[who],
                      (pd.Series(pf).str.lower() + "_" + pd.Series(pl).str.lower()
                       + pd.Series(np.arange(n_p)).astype(str) + "@example.com").to_numpy())
    seen = np.where(became, customers["signup_date"].to_numpy()[who] - np.timedelta64(20, "D"),
                    (START + pd.to_timedelta(rng.integers(0, span, n_p), unit="D")).to_numpy())
    prospects = pd.DataFrame({
        "prospect_id": np.arange(1, n_p + 1), "first_name": pf, "last_name": pl,
        "email": pemail, "region": np.where(became, customers["region"].to_numpy()[who],
                                            rng.choice(REGIONS, n_p)),
        "first_seen": pd.Series(seen).astype("datetime64[s]").clip(lower=START),
        "customer_id": pd.array(np.where(became, ids[who], 0), dtype="Int64")})
    prospects["customer_id"] = prospects["customer_id"].where(became)
    return {"customers": customers, "purchases": purchases, "tickets": tickets,
            "coupons": coupons, "prospects": prospects}


EMAIL_TABLES = ("web_accounts", "loyalty_cards", "phone_customers", "service_tickets",
                "coupons", "marketing_list", "erasure_requests")


def exact_email_outcomes(silos: dict[str, pd.DataFrame], customers: pd.DataFrame
                         ) -> pd.DataFrame:
    """Match every record of the e-mail-keeping silos on ``lower(trim(email))``.

    One row per record: ``source``, ``record_id``, the true ``customer_id``
    (from ``silo_links``), the ``matched`` customer (empty when no customer has
    that address) and ``outcome``: ``correct`` (matched its customer, or no
    one when it has none), ``wrong`` (matched someone else) or ``unresolved``
    (a customer's record that matched no one).
    """
    key = customers["email"].str.strip().str.lower()
    by_email = pd.Series(customers["customer_id"].to_numpy(), index=key.to_numpy())
    links = silos["silo_links"]
    rows = []
    for table in EMAIL_TABLES:
        df = silos[table]
        id_col = next(iter(df.columns))
        email = df["email"].str.strip().str.lower()
        rows.append(pd.DataFrame({
            "source": table, "record_id": df[id_col].astype("str").to_numpy(),
            "matched": pd.array(by_email.reindex(email.to_numpy()).to_numpy(),
                                dtype="Int64")}))
    out = pd.concat(rows, ignore_index=True).merge(links, on=["source", "record_id"],
                                                   how="left", validate="one_to_one")
    truth, matched = out["customer_id"], out["matched"]
    out["outcome"] = np.select(
        [matched.isna() & truth.isna(), matched.isna(), (matched == truth).fillna(False)],
        ["correct", "unresolved", "correct"], "wrong")
    return out
