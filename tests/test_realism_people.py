"""Harbor Coffee's people look like a real town's, checked on the committed data.

One test per realism property of the customers and their records in the
silos (names, households, moves, e-mail addresses, phone numbers, the phone
desk's spellings, demographics). Each docstring states the number measured,
the bound, and where the bound comes from: a published figure or stated
reasoning. Harbor Coffee v2 failed every one of them (its numbers are quoted).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlib.data import load_harbor

NAMES = Path(__file__).resolve().parent.parent / "crmlib" / "simulate" / "names"
END_YEAR = 2025  # ages are on 31 December 2025


@pytest.fixture(scope="module")
def links():
    return load_harbor("silo_links")


def linked(table: str, links: pd.DataFrame) -> pd.DataFrame:
    """A silo's records with their true customer (from the answer key; for scoring only)."""
    df = load_harbor(table)
    key = df.columns[0]
    truth = links[links["source"] == table].set_index("record_id")["customer_id"]
    return df.assign(customer_id=df[key].astype(str).map(truth))


def soundex(name: str) -> str:
    """American Soundex (the US Census Bureau's name code): a letter and three digits."""
    codes = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
             **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
    letters = [ch for ch in name.lower() if ch.isalpha()]
    if not letters:
        return ""
    out, last = letters[0].upper(), codes.get(letters[0], "")
    for ch in letters[1:]:
        code = codes.get(ch, "")
        if code and code != last:
            out += code
        if ch not in "hw":  # h and w do not separate two letters of one code
            last = code
    return (out + "000")[:4]


# First letters that sound alike (Soundex keeps the first letter as written).
SAME_SOUND = {"C": "K", "Q": "K", "G": "J", "P": "F", "Z": "S"}


def sound_alike(a: str, b: str) -> bool:
    """Same Soundex code, a first letter of the same sound allowed (Carl, Karl; Gerry, Jerry)."""
    sa, sb = soundex(a), soundex(b)
    return (bool(sa) and sa[1:] == sb[1:]
            and SAME_SOUND.get(sa[:1], sa[:1]) == SAME_SOUND.get(sb[:1], sb[:1]))


def test_soundex_by_hand():
    assert [soundex(n) for n in ["Robert", "Rupert", "Ashcraft", "Tymczak", "Pfister"]] == [
        "R163", "R163", "A261", "T522", "P236"]
    assert sound_alike("Carl", "Karl") and sound_alike("Reid", "Reed")
    assert not sound_alike("Boris", "Doris")


# --------------------------------------------------------------------------- names
def test_most_full_names_are_unique(customers):
    """Share of customers who share their exact full name with another customer.

    v2: 71% (117 first and 116 last names drawn evenly). Bound 0.5% to 6%:
    with first names at their SSA frequencies and surnames at their Census
    2000 frequencies, drawn independently, 16,800 people are expected to
    share a full name about 2% of the time (a Michael Smith is about
    1.5 in 10,000 people, so a town this size has two or three; most
    combinations are one of a kind). Real towns cluster a little more (names
    run in families and communities), hence the room above; below 0.5% the
    common names would not repeat at all.
    """
    full = customers["first_name"] + " " + customers["last_name"]
    shared = full.duplicated(keep=False).mean()
    assert 0.005 <= shared <= 0.06, shared
    # ... and the commonest names do repeat.
    assert full.value_counts().iloc[0] >= 3


def test_surnames_are_skewed_like_the_census(customers):
    """Share of customers holding the 10 and 25 most common surnames, and how many surnames.

    Census 2000 (Frequently Occurring Surnames): Smith 0.881% of people, the
    top 10 surnames 4.9% and the top 25 8.6%; most surnames are rare. v2: the
    top 10 held 10.1% (116 names). Bounds: top 10 within 3.5% to 6.5% and top
    25 within 6.5% to 11% (sampling error of a share of 5% in 16,800 people
    is 0.17 points; the rest allows for a town not being the nation), and
    more distinct surnames than a quarter of the customers.
    """
    share = customers["last_name"].value_counts(normalize=True)
    assert 0.035 <= share.head(10).sum() <= 0.065, share.head(10).sum()
    assert 0.065 <= share.head(25).sum() <= 0.11, share.head(25).sum()
    assert len(share) > len(customers) / 4
    assert "Smith" in share.head(3).index


def test_first_names_are_skewed(customers):
    """The most common first name's share, and how many first names.

    SSA: the commonest name of a 1960s-1990s decade (Michael, Jennifer) was
    given to 2-4% of the babies of its sex; the top 200 of a decade cover most
    people, and thousands of names the rest. Bounds: the commonest first name
    holds 0.8% to 3% of customers, and there are more than 1,500 first names
    (v2: 117 names, each about 0.85%).
    """
    share = customers["first_name"].value_counts(normalize=True)
    assert 0.008 <= share.iloc[0] <= 0.03, share.head(3)
    assert len(share) > 1500


# --------------------------------------------------------------------------- households
def address_pairs(links: pd.DataFrame) -> pd.DataFrame:
    """Pairs of customers whose web or phone records give one street address and postcode."""
    rows = pd.concat([linked(t, links)[["customer_id", "address", "postcode"]]
                      for t in ("web_accounts", "phone_customers")]).dropna()
    street = (rows["address"].str.strip().str.lower()
              .str.replace(r"\bstreet$", "st", regex=True)
              .str.replace(r"\broad$", "rd", regex=True)
              .str.replace(r"\bavenue$", "ave", regex=True)
              .str.replace(r"\blane$", "ln", regex=True))
    rows = rows.assign(home=street + "|" + rows["postcode"]).drop_duplicates(["customer_id",
                                                                               "home"])
    who = rows.groupby("home")["customer_id"].agg(["min", "max", "nunique"])
    who = who[who["nunique"] == 2]
    return pd.DataFrame({"a": who["min"].astype(int), "b": who["max"].astype(int)}
                        ).drop_duplicates(ignore_index=True)


def test_households_share_an_address_a_household_and_mostly_a_surname(customers, links):
    """Customers living at one address: same surname, household size and income.

    v2: 0.2% of the 453 pairs sharing an address had the same surname, and
    household size was unrelated to who lived together. Bounds: 60% to 90%
    share the surname (Pew 2023: 79% of married women in opposite-sex
    marriages took their husband's name; cohabiting partners mostly keep
    their own); both have the same household size, at least 2, and the same
    household income; their ages differ by a median under 8 years (partners).
    """
    pairs = address_pairs(links)
    assert len(pairs) > 300
    c = customers.set_index("customer_id")
    a, b = c.loc[pairs["a"]], c.loc[pairs["b"]]
    same = (a["last_name"].to_numpy() == b["last_name"].to_numpy()).mean()
    assert 0.60 <= same <= 0.90, same
    assert (a["household_size"].to_numpy() == b["household_size"].to_numpy()).all()
    assert (a["household_size"] >= 2).all()
    assert (a["income"].to_numpy() == b["income"].to_numpy()).all()
    assert np.median(np.abs(a["age"].to_numpy() - b["age"].to_numpy())) < 8


def test_some_customers_move_and_their_systems_disagree_for_a_while(links):
    """Customers whose web and phone records give two postcodes, and what those look like.

    v2: 0 of 8,734 customers. About 8-9% of Americans move house each year
    (Census CPS, 2020s); customers are followed about 1.5 years on average,
    and a system only shows the move after the customer orders through it
    again, so records disagree for a minority of the customers with records in
    both systems. Bounds: 1% to 15% of the customers with an address in both
    systems have two postcodes; the moves stay inside the region (the
    postcode's letters agree in 95%); and some movers' systems already agree
    (the disagreement lasts a while, not for ever): customers with two
    postcodes are fewer than the customers expected to have moved.
    """
    rows = pd.concat([linked(t, links).assign(system=t)[["customer_id", "postcode", "system"]]
                      for t in ("web_accounts", "phone_customers")]).dropna()
    both = rows.groupby("customer_id")["system"].nunique() == 2
    mine = rows[rows["customer_id"].isin(both[both].index)]
    codes = mine.groupby("customer_id")["postcode"].unique()
    two = codes[codes.str.len() >= 2]
    share = len(two) / len(codes)
    assert 0.01 <= share <= 0.15, share
    region = two.map(lambda pc: len({p[:2] for p in pc}) == 1)
    assert region.mean() >= 0.95
    signup = load_harbor("customers").set_index("customer_id")["signup_date"]
    years = (pd.Timestamp("2025-12-31") - signup.loc[codes.index]).dt.days / 365.25
    expected = (1 - np.exp(-0.085 * years)).mean()
    assert share < expected, (share, expected)


# --------------------------------------------------------------------------- e-mail
def local_pattern(email: pd.Series, first: pd.Series, last: pd.Series) -> pd.Series:
    """How the part before the @ was built from the name (digits at the end set aside)."""
    f = first.str.lower().str.replace(r"[^a-z]", "", regex=True).to_numpy()
    la = last.str.lower().str.replace(r"[^a-z]", "", regex=True).to_numpy()
    base = email.str.split("@").str[0].str.replace(r"\d+$", "", regex=True).to_numpy()
    fi = np.array([x[:1] for x in f], dtype=object)
    li = np.array([x[:1] for x in la], dtype=object)
    kinds = {"first.last": f + "." + la, "firstlast": f + la, "flast": fi + la,
             "first_last": f + "_" + la, "last.first": la + "." + f, "firstl": f + li,
             "first": f, "last": la, "initials": fi + li}
    out = np.full(len(base), "other", dtype=object)
    for name, form in reversed(list(kinds.items())):
        out[base == form] = name
    return pd.Series(out, index=email.index)


def test_email_local_parts_are_varied(customers):
    """How customers built their e-mail addresses.

    v2: five patterns of the full name, a fifth each, nothing else. No
    published census of address patterns exists; the bound is reasoning:
    people use first.last, firstlast, an initial and surname, nicknames,
    initials and handles with no name at all, so no single pattern should
    hold more than 40%, at least five should hold 3% or more each, and at
    least 15% should be something other than the usual name patterns
    (nicknames, handles, initials).
    """
    pattern = local_pattern(customers["email"], customers["first_name"],
                            customers["last_name"]).value_counts(normalize=True)
    assert pattern.max() <= 0.40, pattern
    assert (pattern.drop("other", errors="ignore") >= 0.03).sum() >= 5, pattern
    assert pattern.get("other", 0) >= 0.15, pattern


def test_changed_emails_follow_the_same_patterns(customers, links):
    """Addresses customers switched to, as seen in the silos, are built like the first ones.

    v2: every new address was initial + surname + digits. Bound: among silo
    addresses of a customer that are not their sign-up address nor any
    customer's (new addresses, and typos), no pattern holds more than 40%.
    """
    rows = pd.concat([linked(t, links)[["customer_id", "email"]]
                      for t in ("web_accounts", "marketing_list", "service_tickets")]).dropna()
    rows["email"] = rows["email"].str.strip().str.lower()
    known = set(customers["email"])
    other = rows[~rows["email"].isin(known)].drop_duplicates("email")
    c = customers.set_index("customer_id").loc[other["customer_id"].astype(int)]
    pattern = local_pattern(other["email"].reset_index(drop=True),
                            c["first_name"].reset_index(drop=True),
                            c["last_name"].reset_index(drop=True)).value_counts(normalize=True)
    assert len(other) > 1000
    assert pattern.max() <= 0.40, pattern


def test_email_domains_are_concentrated_with_a_long_tail(customers):
    """Shares of mail providers among customers' addresses.

    v2: six domains, a sixth each. Consumer e-mail is concentrated: the
    largest provider holds something like a third of consumer addresses and
    the three largest well over half, while local providers, employers,
    schools and family domains make a long tail. Bounds: the largest domain
    holds 20% to 50%, the three largest 45% to 80%, at least 30 domains
    appear, and domains outside the six largest hold at least 10%.
    """
    share = customers["email"].str.split("@").str[1].value_counts(normalize=True)
    assert 0.20 <= share.iloc[0] <= 0.50, share.head()
    assert 0.45 <= share.head(3).sum() <= 0.80, share.head()
    assert len(share) >= 30
    assert share.iloc[6:].sum() >= 0.10


def test_birth_years_in_email_addresses_fit_the_age(customers):
    """Addresses ending in a four-digit year: that year is the birth year.

    v2: 22% of addresses ended in a year from 1950-2005, unrelated to the age
    (4.6% fitted). Bounds: at least 5% of addresses carry a birth year
    (people commonly add it to get a free address), and 97% of the addresses
    ending in a year 1930-2007 give ``2025 - age`` (the rest are other digits
    that happen to look like a year).
    """
    local = customers["email"].str.split("@").str[0]
    year = local.str.extract(r"(?<!\d)((?:19[3-9]\d|200[0-7]))$")[0].astype(float)
    has = year.notna()
    assert has.mean() >= 0.05
    fits = (END_YEAR - year[has] == customers.loc[has, "age"]).mean()
    assert fits >= 0.97, fits


# --------------------------------------------------------------------------- phones
def test_phone_numbers_are_written_in_several_styles(customers, links):
    """Written styles of the phone numbers in the silos, and the number underneath.

    v2: every number was 555-dddd-dd, or the same without dashes or with
    spaces. Bounds: at least five styles (digits replaced by d) each hold 1%
    or more, the commonest at most 70%; and for 90% of the records the last
    seven digits are the customer's own number's (the same number, written
    otherwise; the rest are typos, another line or a household's home phone).
    """
    rows = pd.concat([linked(t, links)[["customer_id", "phone"]]
                      for t in ("web_accounts", "loyalty_cards", "phone_customers",
                                "service_tickets")]).dropna()
    style = rows["phone"].str.strip().str.replace(r"\d", "d", regex=True).value_counts(
        normalize=True)
    assert (style >= 0.01).sum() >= 5, style.head(10)
    assert style.iloc[0] <= 0.70, style.head()
    own = customers.set_index("customer_id")["phone"].str.replace(r"\D", "", regex=True)
    digits = rows["phone"].str.replace(r"\D", "", regex=True).str[-7:]
    same = (digits.to_numpy() == own.loc[rows["customer_id"].astype(int)].str[-7:].to_numpy())
    assert same.mean() >= 0.90, same.mean()


# --------------------------------------------------------------------------- spellings
def name_variants(table: str, customers: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """A silo's names that differ from the customer's own (case and spaces aside)."""
    df = linked(table, links).dropna(subset=["first_name", "last_name"])
    c = customers.set_index("customer_id").loc[df["customer_id"].astype(int)]
    rows = []
    for part in ("first_name", "last_name"):
        given = df[part].str.strip().to_numpy()
        true = c[part].to_numpy()
        differ = np.char.lower(given.astype(str)) != np.char.lower(true.astype(str))
        rows.append(pd.DataFrame({"part": part, "true": true[differ], "given": given[differ]}))
    out = pd.concat(rows, ignore_index=True)
    forms = pd.read_csv(NAMES / "nicknames.csv", keep_default_na=False)
    nick = {(a.lower(), b.lower()) for a, bs in zip(forms["name"], forms["other_forms"])
            for b in bs.split()}
    nick |= {(b, a) for a, b in nick}
    pair = list(zip(out["true"].str.lower(), out["given"].str.lower()))
    return out[[p not in nick for p in pair]].reset_index(drop=True)


def test_phone_desk_writes_names_as_heard(customers, links):
    """Names the phone desk wrote otherwise: sound-alikes, not keyboard slips.

    v2: slips such as ``eWi`` and ``BOORIS``. Bound: at least 90% of the
    phone desk's other spellings (nicknames aside) keep the name's American
    Soundex code, the Census Bureau's code for names that sound alike
    (Catherine and Kathryn, Steven and Stephen, Smith and Smyth, Reid and
    Reed; a first letter of the same sound allowed, Carl and Karl), where
    one-letter slips keep it far less often (the web shop's typed names are
    the comparison: at least 15 points fewer keep it).
    """
    heard = name_variants("phone_customers", customers, links)
    typed = name_variants("web_accounts", customers, links)

    def keep(v: pd.DataFrame) -> float:
        return float(np.mean([sound_alike(a, b) for a, b in zip(v["true"], v["given"])]))

    assert len(heard) > 100 and len(typed) > 100
    assert keep(heard) >= 0.90, keep(heard)
    assert keep(typed) <= keep(heard) - 0.15, (keep(typed), keep(heard))


# --------------------------------------------------------------------------- demographics
def test_income_rises_with_age_to_midlife(customers):
    """Household income by age: Spearman correlation under 55, and medians by age band.

    v2: |Spearman| < 0.011 and flat medians. US median household income by
    age of householder (Census CPS, 2020s) is lowest under 25 (about half the
    peak), peaks at 45-54 and falls to about half the peak from 65. Bounds:
    Spearman(age, income) above 0.25 for customers aged 18-54; the 45-54
    median at least 1.4 times the 18-24 median and above the 65+ median.
    """
    young = customers[customers["age"] < 55]
    rho = stats.spearmanr(young["age"], young["income"])[0]
    assert rho > 0.25, rho
    band = pd.cut(customers["age"], [17, 24, 34, 44, 54, 64, 120])
    median = customers.groupby(band, observed=True)["income"].median()
    assert median.iloc[3] >= 1.4 * median.iloc[0], median
    assert median.iloc[3] > median.iloc[5], median


def test_household_size_follows_lifestyle_and_age(customers):
    """Household size by lifestyle and by age.

    v2: |Spearman| < 0.011, the same mean size (2.6) for every lifestyle.
    Reasoning: people brewing at home and occasional treaters are more often
    families; social sippers and commuters more often live alone or as a
    couple; households are largest in the late thirties and forties and
    smallest from 65 (Census: most people over 65 live alone or as a couple).
    Bounds: home brewers' mean size at least 0.4 above social sippers', the
    correlation ratio of size on lifestyle above 0.01, and the 35-49 mean at
    least 0.5 above the 65+ mean.
    """
    size = customers["household_size"].astype(float)
    by_life = size.groupby(customers["lifestyle"]).mean()
    assert by_life["Home brewer"] >= by_life["Social sipper"] + 0.4, by_life
    means = size.groupby(customers["lifestyle"]).transform("mean")
    eta2 = ((means - size.mean()) ** 2).sum() / ((size - size.mean()) ** 2).sum()
    assert eta2 > 0.01, eta2
    mid = size[customers["age"].between(35, 49)].mean()
    old = size[customers["age"] >= 65].mean()
    assert mid >= old + 0.5, (mid, old)


def test_no_pile_up_at_the_youngest_age(customers):
    """Customers aged exactly 18 against those aged 19 and 20.

    v2: 955 aged 18 and 157 aged 19 (ages below 18 were set to 18). In the
    US each year of age from 18 to 24 holds about 1.7% of adults, and a
    cafe's identified customers are no more likely to be 18 than 19. Bounds:
    the count at 18 at most 1.5 times the mean count at 19 and 20, and at
    most 2% of customers.
    """
    count = customers["age"].value_counts()
    assert customers["age"].min() == 18
    assert count.get(18, 0) <= 1.5 * (count.get(19, 0) + count.get(20, 0)) / 2, count.sort_index()
    assert count.get(18, 0) / len(customers) <= 0.02
