"""The silo tables of Harbor Coffee: answer key, keys, match rates, mess rates, streams."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from silo_inputs import EMAIL_TABLES, END, exact_email_outcomes, make_inputs, rng_factory

from crmlib.schema import SILO_SCHEMAS
from crmlib.simulate.settings import SILO_SETTINGS
from crmlib.simulate.silos import BOUGHT_LIST_FIRST_NAMES, NICKNAMES, _people, simulate_silos

S = SILO_SETTINGS
SEED = 5
ROOT = Path(__file__).resolve().parent.parent
RECORD_TABLES = [t for t in SILO_SCHEMAS if t != "silo_links"]


def within(observed: float, expected: float, n: int, k: float = 4.0) -> bool:
    """``observed`` share within ``k`` binomial standard errors of ``expected`` (n trials)."""
    se = np.sqrt(max(expected * (1 - expected), 1e-12) / n)
    return abs(observed - expected) <= k * se


@pytest.fixture(scope="module")
def inputs():
    return make_inputs(3000, seed=11)


@pytest.fixture(scope="module")
def silos(inputs):
    return simulate_silos(rng_factory(SEED), **inputs, end=END)


@pytest.fixture(scope="module")
def people(inputs):
    """The latent facts (households, second addresses) drawn from the same stream."""
    return _people(rng_factory(SEED)("silos/people"), inputs["customers"], END)


def key_of(table: str) -> str:
    return SILO_SCHEMAS[table].key[0]


def linked(silos, table: str) -> pd.DataFrame:
    """A silo's records with their true customer (empty for records of no customer)."""
    df = silos[table]
    links = silos["silo_links"]
    links = links[links["source"] == table]
    ids = df[key_of(table)].astype("str")
    cid = pd.Series(links["customer_id"].to_numpy(), index=links["record_id"].to_numpy())
    return df.assign(customer_id=pd.array(cid.reindex(ids.to_numpy()).to_numpy(),
                                          dtype="Int64"))


def clean(s: pd.Series) -> pd.Series:
    return s.str.strip().str.lower()


# --------------------------------------------------------------------------- structure
def test_tables_follow_their_schemas(silos):
    assert sorted(silos) == sorted(SILO_SCHEMAS)
    for table, schema in SILO_SCHEMAS.items():
        columns, key = schema.columns, schema.key
        df = silos[table]
        assert list(df.columns) == list(columns), table
        assert not df.duplicated(list(key)).any(), f"{table}: duplicate key"
        for col, kind in columns.items():
            if not kind.endswith("?"):
                assert df[col].notna().all(), f"{table}.{col} has empty cells"
            if kind.startswith("date") and col != "expiry_date":  # expiry may lie ahead
                assert (df[col].dropna() <= END).all(), f"{table}.{col} after the end"
            if kind.startswith("str"):
                assert not (df[col].dropna().str.strip() == "").any(), f"{table}.{col}"


def test_every_customer_record_is_in_the_answer_key_once(silos, inputs):
    links = silos["silo_links"]
    assert not links.duplicated(["source", "record_id"]).any()
    assert links["customer_id"].notna().all()
    assert set(links["customer_id"]) <= set(inputs["customers"]["customer_id"])
    for table in RECORD_TABLES:
        keys = set(silos[table][key_of(table)].astype("str"))
        assert set(links.loc[links["source"] == table, "record_id"]) <= keys, table
    assert set(links["source"]) == set(RECORD_TABLES)

    # Systems that only hold customers: every record is linked, to the right people.
    purchases = inputs["purchases"]
    for table, channel in [("web_accounts", "web"), ("loyalty_cards", "cafe"),
                           ("phone_customers", "phone")]:
        df = linked(silos, table)
        assert df["customer_id"].notna().all(), table
        assert set(df["customer_id"]) == set(
            purchases.loc[purchases["channel"] == channel, "customer_id"]), table
    tickets = linked(silos, "service_tickets").set_index("ticket_id")
    truth = inputs["tickets"].set_index("ticket_id")["customer_id"]
    assert (tickets["customer_id"].reindex(truth.index).to_numpy() == truth.to_numpy()).all()
    coupons = linked(silos, "coupons")
    got = coupons.groupby(["customer_id", "issued_date"]).size().sort_index()
    want = inputs["coupons"].groupby(["customer_id", "issued_date"]).size().sort_index()
    assert got.to_dict() == want.to_dict()

    # The list: customers' own rows are linked, bought-in and unconverted people are not.
    mlist = linked(silos, "marketing_list")
    outsiders = mlist[mlist["customer_id"].isna()]
    assert set(outsiders["source"]) == {"prospect", "purchased list"}
    customer_emails = set(inputs["customers"]["email"])
    assert not clean(outsiders["email"]).isin(customer_emails).any()
    pros = inputs["prospects"]
    n_open = int(pros["customer_id"].isna().sum())
    n_out = int((outsiders["source"] == "prospect").sum())
    assert within(n_out / n_open, S["marketing_list.prospect_share"], n_open)
    # Prospects who became customers are linked to that customer.
    pro_linked = mlist[(mlist["source"] == "prospect") & mlist["customer_id"].notna()]
    assert set(pro_linked["customer_id"]) <= set(pros["customer_id"].dropna())


def test_records_follow_the_customers_story(silos, inputs):
    signup = inputs["customers"].set_index("customer_id")["signup_date"]
    for table, col in [("web_accounts", "created_date"), ("loyalty_cards", "issued_date"),
                       ("phone_customers", "created_date")]:
        df = linked(silos, table)
        assert (df[col].to_numpy() >= signup.reindex(df["customer_id"]).to_numpy()).all()
    # The card on a coupon is one of its holder's cards, issued by then.
    coupons = linked(silos, "coupons").dropna(subset=["card_number"])
    cards = linked(silos, "loyalty_cards").set_index("card_number")
    assert (cards.loc[coupons["card_number"], "customer_id"].to_numpy()
            == coupons["customer_id"].to_numpy()).all()
    assert (cards.loc[coupons["card_number"], "issued_date"].to_numpy()
            <= coupons["issued_date"].to_numpy()).all()
    # Keys do not give customers away: record order is not customer order.
    web = linked(silos, "web_accounts")
    assert abs(np.corrcoef(web["account_id"], web["customer_id"].astype(float))[0, 1]) < 0.1


# --------------------------------------------------------------------------- exact e-mail
def expected_email_bands(table: str) -> tuple[float, float, float, float]:
    """Bounds on the unresolved and wrong shares of exact e-mail matching, from the settings.

    ``q`` = chance the record carries an e-mail, ``e`` = typo rate, ``c`` = the most
    records that can carry a second address (switchers, and second accounts), ``w`` =
    chance a record carries a household member's family address.
    """
    q = {"web_accounts": 1.0, "loyalty_cards": 1 - S["loyalty_cards.email_missing"],
         "phone_customers": S["phone_customers.email_present"],
         "service_tickets": 1 - S["service_tickets.email_missing"],
         "coupons": 1 - S["coupons.card_only"] - S["coupons.nothing"],
         "marketing_list": 1.0, "erasure_requests": 1.0}[table]
    e = S.get(f"{table}.email_typo", 0.0)
    c = S["email_change_share"] + {"web_accounts": S["web_accounts.duplicate"],
                                   "marketing_list": S["marketing_list.duplicate"]}.get(table, 0)
    w = S["household_share"] / 2 * S["family_email_share"] * S["family_email_use"]
    unresolved = ((1 - q) + q * e * (1 - w), (1 - q) + q * (e + c))
    wrong = (q * (1 - e) * (1 - c) * w, q * w)
    return (*unresolved, *wrong)


@pytest.mark.parametrize("table", EMAIL_TABLES)
def test_exact_email_match_rates_follow_the_settings(silos, inputs, table):
    out = exact_email_outcomes(silos, inputs["customers"])
    mine = out[(out["source"] == table) & out["customer_id"].notna()]
    n_people = mine["customer_id"].nunique()  # records of one person move together
    lo_u, hi_u, lo_w, hi_w = expected_email_bands(table)
    unresolved = (mine["outcome"] == "unresolved").mean()
    wrong = (mine["outcome"] == "wrong").mean()
    for share, lo, hi in [(unresolved, lo_u, hi_u), (wrong, lo_w, hi_w)]:
        mid = (lo + hi) / 2
        tol = 4 * np.sqrt(mid * (1 - mid) / n_people)
        assert lo - tol <= share <= hi + tol, (table, share, lo, hi)


def test_exact_email_leaves_a_real_share_unresolved_or_wrong(silos, inputs):
    out = exact_email_outcomes(silos, inputs["customers"])
    mine = out[out["customer_id"].notna()]
    share = mine["outcome"].value_counts(normalize=True)
    assert 0.20 <= share["unresolved"] <= 0.40
    assert share["wrong"] >= 0.01
    # Records of no customer never match a customer's address.
    others = out[out["customer_id"].isna()]
    assert (others["outcome"] == "correct").all()


# --------------------------------------------------------------------------- mess rates
@pytest.mark.parametrize("table", ["web_accounts", "loyalty_cards", "phone_customers"])
def test_duplicates_inside_a_system(silos, table):
    df = linked(silos, table)
    n_people = df["customer_id"].nunique()
    per_person = df["customer_id"].value_counts()
    assert per_person.max() == 2
    assert within((len(df) - n_people) / n_people, S[f"{table}.duplicate"], n_people)


def test_marketing_list_duplicates_and_consent(silos):
    mlist = linked(silos, "marketing_list")
    own = mlist[mlist["source"].isin(["cafe form", "web sign-up"])]
    again = mlist[mlist["source"] == "event"]
    assert set(again["customer_id"]) <= set(own["customer_id"])
    assert within(len(again) / len(own), S["marketing_list.duplicate"], len(own))
    bought = mlist[mlist["source"] == "purchased list"]
    assert not bought["opt_in"].any()  # a bought list carries no consent
    suspects = bought[bought["customer_id"].isna()]
    pool = {n.lower() for n in BOUGHT_LIST_FIRST_NAMES}
    share = clean(suspects["first_name"]).isin(pool).mean()
    rate, n = S["marketing_list.suspect_other_names"], len(suspects)
    # a typo can take a name out of the pool
    assert rate * (1 - S["name_typo"]) - 4 * np.sqrt(rate * (1 - rate) / n) <= share
    assert share <= rate + 4 * np.sqrt(rate * (1 - rate) / n)
    p = (S["consent_inclined_share"] * S["opt_in_inclined"]
         + (1 - S["consent_inclined_share"]) * S["opt_in_not_inclined"])
    assert within(own["opt_in"].mean(), p, own["customer_id"].nunique())


@pytest.mark.parametrize(("table", "column", "rate"), [
    ("loyalty_cards", "email", 1 - S["loyalty_cards.email_missing"]),
    ("loyalty_cards", "phone", 1 - S["loyalty_cards.phone_missing"]),
    ("web_accounts", "phone", 1 - S["web_accounts.phone_missing"]),
    ("web_accounts", "postcode", 1 - S["web_accounts.postcode_missing"]),
    ("phone_customers", "email", S["phone_customers.email_present"]),
    ("phone_customers", "address", 1 - S["phone_customers.address_missing"]),
    ("service_tickets", "email", 1 - S["service_tickets.email_missing"]),
    ("service_tickets", "phone", S["service_tickets.phone_present"]),
    ("service_tickets", "last_name", 1 - S["service_tickets.name_missing"]),
    ("marketing_list", "region", 1 - S["marketing_list.region_missing"]),
])
def test_fields_present_at_their_rates(silos, table, column, rate):
    df = silos[table]
    assert within(df[column].notna().mean(), rate, len(df))


def test_coupons_carry_card_and_or_email(silos):
    c = silos["coupons"]
    card, email = c["card_number"].notna(), c["email"].notna()
    n = len(c)
    assert within((card & ~email).mean(), S["coupons.card_only"], n)
    assert within((~card & email).mean(), S["coupons.email_only"], n)
    assert within((~card & ~email).mean(), S["coupons.nothing"], n)


@pytest.mark.parametrize("table", ["web_accounts", "service_tickets", "marketing_list"])
def test_case_and_spaces(silos, table):
    email = silos[table]["email"].dropna()
    n = len(email)
    assert within((email != email.str.strip()).mean(), S["space_mess"], n)
    stripped = email.str.strip()
    assert within((stripped != stripped.str.lower()).mean(), S["case_mess"], n)
    # Cleaning with lower(trim()) undoes both: no address keeps capitals or spaces.
    assert (clean(email) == clean(email).str.replace(" ", "")).all()


def valid_addresses(people: pd.DataFrame) -> pd.DataFrame:
    """Each customer's own addresses and the family address they may use."""
    head = people["head"].to_numpy()
    return pd.DataFrame({"customer_id": people["customer_id"], "old": people["email"],
                         "new": people["new_email"], "family": people["email"].to_numpy()[head]})


@pytest.mark.parametrize("table", ["web_accounts", "loyalty_cards", "phone_customers",
                                   "service_tickets", "coupons", "marketing_list"])
def test_email_typos(silos, people, table):
    df = linked(silos, table).dropna(subset=["email", "customer_id"])
    valid = valid_addresses(people).set_index("customer_id").loc[df["customer_id"]]
    e = clean(df["email"]).to_numpy()
    ok = (e == valid["old"].to_numpy()) | (e == valid["new"].to_numpy()) | (
        e == valid["family"].to_numpy())
    rate = S[f"{table}.email_typo"]
    assert within(1 - ok.mean(), rate, len(df)), (table, 1 - ok.mean(), rate)
    # A typo is one slip: the address keeps its length within one character.
    bad = ~ok
    closest = np.minimum.reduce([np.abs(pd.Series(e[bad]).str.len().to_numpy()
                                        - valid[c].str.len().to_numpy()[bad])
                                 for c in ("old", "new", "family")])
    assert (closest <= 1).all()


def test_nicknames(silos, inputs):
    true_first = inputs["customers"].set_index("customer_id")["first_name"]
    rows = []
    for table in ["web_accounts", "phone_customers", "service_tickets"]:
        df = linked(silos, table).dropna(subset=["first_name", "customer_id"])
        rows.append(pd.DataFrame({"given": clean(df["first_name"]).to_numpy(),
                                  "true": true_first.loc[df["customer_id"]].to_numpy()}))
    names = pd.concat(rows, ignore_index=True)
    names = names[names["true"].isin(list(NICKNAMES))]
    forms = pd.DataFrame([(k, v.lower()) for k, vs in NICKNAMES.items() for v in vs],
                         columns=["true", "given"]).assign(other=True)
    other = names.merge(forms, on=["true", "given"], how="left")["other"].fillna(False)
    n = len(names)
    # a nickname can itself get a typo (phone_customers' rate is the highest)
    lo = S["nickname"] * (1 - S["phone_customers.name_typo"])
    se = np.sqrt(S["nickname"] * (1 - S["nickname"]) / n)
    assert lo - 4 * se <= other.mean() <= S["nickname"] + 4 * se


def test_households_and_changed_addresses(silos, people, inputs):
    n = len(people)
    second = people["head"].to_numpy() != np.arange(n)
    # Pairs within a region: at most one unpaired candidate per region is lost.
    in_pair = 2 * second.sum() / n
    se = np.sqrt(S["household_share"] * (1 - S["household_share"]) / n)
    assert S["household_share"] - 4 * se - 5 / n <= in_pair <= S["household_share"] + 4 * se
    heads = people["head"].to_numpy()[second]
    assert (people["postcode"].to_numpy()[second] == people["postcode"].to_numpy()[heads]).all()
    assert (people["region"].to_numpy()[second] == people["region"].to_numpy()[heads]).all()
    assert within(people["email_changed"].notna().mean(), S["email_change_share"], n, k=5)
    # A loyalty card made after the switch carries the new address (or, rarely, the old).
    cards = linked(silos, "loyalty_cards").dropna(subset=["email"])
    p = people.set_index("customer_id").loc[cards["customer_id"]]
    after = (p["email_changed"].to_numpy() <= cards["issued_date"].to_numpy()) & ~p[
        "family_email"].to_numpy()
    e = clean(cards["email"]).to_numpy()[after]
    new, old = p["new_email"].to_numpy()[after], p["email"].to_numpy()[after]
    kept = (e == new) | (e == old)
    share_old = (e[kept] == old[kept]).mean()
    assert within(share_old, S["old_email_after_change"], kept.sum())
    assert (~np.isin(people["new_email"], inputs["customers"]["email"])).all()


def test_erasure_requests(silos, inputs):
    req = linked(silos, "erasure_requests")
    n = len(inputs["customers"])
    n_cust = int(req["customer_id"].notna().sum())
    assert within(n_cust / n, S["erasure_requests.customer_share"], n)
    # Requests from outside the customer base come from people on the list.
    outside = clean(req.loc[req["customer_id"].isna(), "email"])
    assert outside.isin(set(clean(silos["marketing_list"]["email"]))).all()


def test_settings_are_rates_and_documented():
    text = (ROOT / "datasets" / "README.md").read_text()
    for name, value in SILO_SETTINGS.items():
        assert 0 <= value <= 1, name
        assert f"`{name}`" in text, f"{name} is not documented in datasets/README.md"
    for table, schema in SILO_SCHEMAS.items():
        assert f"### {table}" in text, table
        for col in schema.columns:
            assert re.search(rf"^\| {col} \|", text, re.M), f"{table}.{col} undocumented"


# --------------------------------------------------------------------------- streams
def test_same_seeds_same_frames(inputs, silos):
    again = simulate_silos(rng_factory(SEED), **inputs, end=END)
    for table in SILO_SCHEMAS:
        pd.testing.assert_frame_equal(again[table], silos[table])


@pytest.mark.parametrize("changed", ["silos/web_accounts", "silos/loyalty_cards",
                                     "silos/marketing_list"])
def test_streams_are_independent(inputs, silos, changed):
    other = simulate_silos(rng_factory(SEED, {changed: 1}), **inputs, end=END)
    table = changed.split("/")[1]
    assert not other[table].equals(silos[table])
    # coupons name the loyalty card in use; erasure requests read the marketing list
    depends = {"loyalty_cards": {"coupons"}, "marketing_list": {"erasure_requests"}}
    for name in RECORD_TABLES:
        if name != table and name not in depends.get(table, set()):
            pd.testing.assert_frame_equal(other[name], silos[name], obj=name)


def test_people_stream_moves_every_table(inputs, silos):
    other = simulate_silos(rng_factory(SEED, {"silos/people": 1}), **inputs, end=END)
    assert not other["web_accounts"].equals(silos["web_accounts"])


# --------------------------------------------------------------------------- bad input
def test_bad_input_names_the_table_and_column(inputs):
    bad = dict(inputs, customers=inputs["customers"].drop(columns="phone"))
    with pytest.raises(ValueError, match=r"customers: missing column\(s\) \['phone'\]"):
        simulate_silos(rng_factory(SEED), **bad, end=END)
    tickets = inputs["tickets"].copy()
    tickets.loc[0, "customer_id"] = 10**9
    with pytest.raises(ValueError, match="tickets: customer_id 1000000000"):
        simulate_silos(rng_factory(SEED), **dict(inputs, tickets=tickets), end=END)
    purchases = inputs["purchases"].copy()
    purchases.loc[0, "customer_id"] = -4
    with pytest.raises(ValueError, match="purchases: customer_id -4"):
        simulate_silos(rng_factory(SEED), **dict(inputs, purchases=purchases), end=END)


def test_docstring_examples_run():
    import doctest

    import crmlib.simulate.silos as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
