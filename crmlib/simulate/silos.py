"""Harbor Coffee's separate customer systems (the silos of lesson 06).

Each system keeps its own records of the same people, with its own key and the
contact fields as that system captured them: the web shop's accounts, the
cafes' loyalty cards, the phone-order desk's customer list, the service desk's
tickets, the tills' loyalty coupons, the marketing team's mailing list, and the
requests to be forgotten. Nothing here carries a ``customer_id`` except the
answer key ``silo_links``, which says which customer every record belongs to
and which lessons use only to score a matching method.

The mess is simulated, each kind at a rate named in
:data:`~crmlib.simulate.settings.SILO_SETTINGS`:

* **people** (stream ``silos/people``): two-person households (from the
  customers' ``household`` column when there is one) share a postal address,
  some of them one family e-mail address (the first member's) and the home
  phone; some customers move house (a system shows the new address once they
  next order through it) and some to a new e-mail address after signing up
  (a record made after the change usually carries the new one); each person
  is inclined or not to consent to marketing;
* **typing**: stray capitals and spaces, typos (two letters swapped, one
  dropped or doubled, or a slip in the e-mail domain), nicknames (Bob for
  Robert), initials, phone numbers written in other styles, missing fields;
  the phone desk writes names as it hears them (sound-alikes, not slips);
* **duplicates inside one system**: a second web account, a replacement
  loyalty card, a second phone-order record, a second entry on the list.

Every table draws from its own stream (``silos/<table>``), so changing one
table's story leaves the others alone. Two tables also read another one:
``coupons`` carry the loyalty card in use on the day, and ``erasure_requests``
include people on the marketing list who are not customers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from crmlib.schema import SILO_SCHEMAS
from crmlib.simulate import settings as S
from crmlib.simulate.people import (
    email_addresses,
    households,
    nickname_forms,
    sound_alike_groups,
)
from crmlib.simulate.settings import SILO_SETTINGS

# Other forms of a first name that people give (nickname or long form): names/nicknames.csv.
NICKNAMES: dict[str, tuple[str, ...]] = nickname_forms()
BOUGHT_LIST_DOMAINS = ("list.example", "leads.example")
# Names on the bought-in list that the customer base may not have.
BOUGHT_LIST_FIRST_NAMES = (
    "Abel Adele Agnes Albert Alice Arthur Beatrice Bruno Cecil Clara Cyril Daisy Edgar "
    "Edith Elsie Ernest Flora Frank Gordon Harriet Herbert Ida Irene Jasper Lottie Mabel "
    "Miles Nell Otto Percy Rupert Stella Una Vera Walter Wilma"
).split()
BOUGHT_LIST_LAST_NAMES = (
    "Abbott Barlow Bishop Carver Dalton Ellis Finch Garner Hardy Holt Ingram Keane Lowe "
    "Marsh Nash Osborne Payne Pike Rhodes Sharp Stone Thorne Vaughan Wade Webb Wells Yates"
).split()
STREETS = (
    "Anchor Bay Church Cedar Dockside Elm Ferry Foundry Garden Granary Harbour Hill "
    "Kiln Lantern Lighthouse Linden Maple Market Mill Mooring Oak Orchard Park Pier "
    "Quarry Quay Rope Sail Salt School Ship Spring Station Tannery Tide Tower Union "
    "Victoria Water Wharf Willow Windmill"
).split()
STREET_KINDS = ("Street", "Road", "Avenue", "Lane", "Close", "Way")
STREET_ABBREV = {"Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln"}
POSTCODE_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))

RngFor = Callable[[str], np.random.Generator]


# --------------------------------------------------------------------------- typing helpers
# Text is handled as object arrays (missing = NaN) and string work is done with
# numpy.strings on the rows that change; the tables turn it into ``str`` at the end.
def _as_str(values) -> pd.Series:
    """Values as text in an object Series (numbers formatted, missing kept missing)."""
    arr = np.asarray(values)
    if arr.dtype.kind != "O":
        arr = arr.astype(str)
    return pd.Series(arr.astype(object))


def _cat(*parts) -> pd.Series:
    """Concatenate text columns (Series, arrays or scalars) element-wise."""
    out = None
    for part in parts:
        u = part if isinstance(part, str) else np.asarray(part).astype(str)
        out = u if out is None else np.strings.add(out, u)
    return pd.Series(np.asarray(out).astype(object))


def _per_unique(values: pd.Series, func) -> np.ndarray:
    """``func`` (Series to Series) applied once per distinct value, spread back to the rows."""
    uniq, inverse = np.unique(values.to_numpy(dtype=object).astype(str), return_inverse=True)
    return func(pd.Series(uniq.astype(object))).to_numpy(dtype=object)[inverse]


def _obj(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=object).copy()


def _typo(values: pd.Series, lo: np.ndarray, hi: np.ndarray, u: np.ndarray,
          kind: np.ndarray) -> pd.Series:
    """One typo in each string, inside positions ``lo <= k < hi``.

    ``kind`` 0 swaps two neighbouring characters, 1 drops one and 2 doubles one;
    ``u`` (uniform on [0, 1)) picks the position. A swap of two equal characters
    or of a span shorter than two becomes a doubling, so every typo shows.
    Vectorised: the strings become rows of a character-code matrix and each
    typo is a gather along the row.
    """
    n = len(values)
    if n == 0:
        return values.copy()
    arr = np.asarray(values.to_numpy(dtype=object).astype(str))
    width = int(np.strings.str_len(arr).max()) + 2
    codes = arr.astype(f"U{width}").view(np.uint32).reshape(n, width)
    span = np.maximum(np.asarray(hi) - np.asarray(lo), 1)
    kind = np.asarray(kind).copy()
    kind[(kind == 0) & (span < 2)] = 2
    pos = np.asarray(lo) + np.minimum((u * (span - (kind == 0))).astype(int),
                                      span - 1 - (kind == 0))
    rows = np.arange(n)
    same = codes[rows, pos] == codes[rows, np.minimum(pos + 1, width - 1)]
    kind[(kind == 0) & same] = 2
    j = np.broadcast_to(np.arange(width), (n, width))
    k = pos[:, None]
    idx = np.where(kind[:, None] == 1, np.minimum(j + (j >= k), width - 1),
                   np.where(kind[:, None] == 2, j - (j > k), j))
    swap = kind == 0
    idx[rows[swap], pos[swap]] = pos[swap] + 1
    idx[rows[swap], pos[swap] + 1] = pos[swap]
    out = np.take_along_axis(codes, idx, axis=1).reshape(-1).view(f"U{width}")
    return pd.Series(out.astype(object), index=values.index)


def _typo_where(rng: np.random.Generator, values: pd.Series, rate: float,
                email: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Put one typo into a share ``rate`` of the non-missing values.

    The slip is a swap, a drop or a doubling; in an e-mail address it falls in
    the part before the ``@`` or, at rate ``email_typo_in_domain``, in the
    domain (``exmaple.com``). Returns the new values and which rows changed.
    """
    n = len(values)
    hit = (rng.random(n) < rate) & values.notna().to_numpy()
    u, kind = rng.random(n), rng.integers(0, 3, n)
    in_domain = email & (rng.random(n) < SILO_SETTINGS["email_typo_in_domain"])
    out = values.copy()
    if not hit.any():
        return out, hit
    sub = values[hit]
    arr = sub.to_numpy(dtype=object).astype(str)
    length = np.strings.str_len(arr)
    if email:
        at = np.strings.find(arr, "@")
        lo = np.where(in_domain[hit], at + 1, 0)
        hi = np.where(in_domain[hit], length, at)
    else:
        lo, hi = np.zeros_like(length), length
    k = kind[hit]
    vals = _obj(out)
    vals[hit] = _typo(sub, lo, hi, u[hit], k).to_numpy()
    return pd.Series(vals, index=values.index), hit


def _case_and_spaces(rng: np.random.Generator, values: pd.Series, email: bool = False
                     ) -> pd.Series:
    """Stray capitals (``case_mess``) and leading or trailing spaces (``space_mess``).

    Capitals: all upper case, all lower case (names) or a capital first letter
    (e-mail, as phones type it), and Title Case for some e-mails. Only the
    rows that change are transformed.
    """
    s = SILO_SETTINGS
    n = len(values)
    case = rng.random(n) < s["case_mess"]
    style = rng.integers(0, 3, n)
    space = rng.random(n) < s["space_mess"]
    where = rng.integers(0, 3, n)
    out = _obj(values)
    ok = pd.notna(out)
    upper = case & (style == 0) & ok
    lower = case & (style > 0) & ok
    title = lower & (style == 2) & email
    lower &= ~title
    low = np.strings.capitalize if email else np.strings.lower
    for mask, f in ((upper, np.strings.upper), (lower, low), (title, np.strings.title)):
        if mask.any():
            out[mask] = f(out[mask].astype(str)).astype(object)
    space &= ok
    for w, (before, after) in enumerate([(" ", ""), ("", " "), (" ", "  ")]):
        m = space & (where == w)
        if m.any():
            out[m] = np.strings.add(np.strings.add(before, out[m].astype(str)), after)
    return pd.Series(out, index=values.index)


def _nicknames(rng: np.random.Generator, first: pd.Series, rate: float) -> pd.Series:
    """Replace a share ``rate`` of first names that have another form by one of them."""
    names = list(NICKNAMES)
    counts = np.array([len(NICKNAMES[k]) for k in names])
    offset = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.array([v for k in names for v in NICKNAMES[k]], dtype=object)
    n = len(first)
    hit = rng.random(n) < rate
    pick = rng.random(n)
    code = pd.Index(names).get_indexer(first.to_numpy(dtype=object))
    hit &= code >= 0
    out = _obj(first)
    if hit.any():
        c = code[hit]
        out[hit] = flat[offset[c] + (pick[hit] * counts[c]).astype(int)]
    return pd.Series(out, index=first.index)


def _heard_forms(names: pd.Series) -> pd.DataFrame:
    """Other spellings of each distinct name as heard: ``name``, ``form`` (one row each).

    A listed sound-alike (``names/sound_alikes.csv``) when the name has one;
    otherwise every spelling rule of ``HEARD_SPELLINGS`` that changes it.
    """
    uniq = pd.Series(pd.unique(names.dropna().astype(str)), dtype=object)
    groups = sound_alike_groups()
    listed = uniq.str.lower().map(groups)
    rows = [pd.DataFrame({"name": uniq[listed.notna()].to_numpy(),
                          "form": listed.dropna().to_numpy()}).explode("form")]
    rest = uniq[listed.isna()]
    low = rest.str.lower()
    for pattern, repl in S.HEARD_SPELLINGS:
        other = low.str.replace(pattern, repl, n=1, regex=True)
        changed = (other != low).to_numpy()
        rows.append(pd.DataFrame({"name": rest[changed].to_numpy(),
                                  "form": other[changed].str.capitalize().to_numpy()}))
    forms = pd.concat(rows, ignore_index=True).dropna()
    forms = forms[forms["form"].str.len() > 1]
    return forms.drop_duplicates(ignore_index=True)


def _as_heard(rng: np.random.Generator, values: pd.Series, rate: float) -> pd.Series:
    """Write a share ``rate`` of names as someone taking an order by phone hears them.

    Another spelling of the same sound: Catherine for Kathryn, Stephen for
    Steven, Smyth for Smith, Reed for Reid, or, for a name with no listed
    sound-alike, a spelling rule (Philips, Filips; Hansen, Hanson; Kelly,
    Kellie). A name with no other spelling is written as it is.
    """
    n = len(values)
    out = _obj(values)
    hit = (rng.random(n) < rate) & pd.notna(out)
    pick = rng.random(n)
    if not hit.any():
        return pd.Series(out, index=values.index)
    forms = _heard_forms(pd.Series(out[hit])).sort_values("name", kind="stable",
                                                             ignore_index=True)
    count = forms.groupby("name", sort=False).size()
    start = count.cumsum() - count
    names = pd.Series(out[hit]).astype(str)
    k = names.map(count).fillna(0).to_numpy(dtype=np.int64)
    first = names.map(start).fillna(0).to_numpy(dtype=np.int64)
    has = k > 0
    chosen = forms["form"].to_numpy(dtype=object)[
        first[has] + np.minimum((pick[hit][has] * k[has]).astype(np.int64), k[has] - 1)]
    rows = np.flatnonzero(hit)[has]
    out[rows] = chosen
    return pd.Series(out, index=values.index)


def _restyle_phone(rng: np.random.Generator, phone: pd.Series, restyle: float,
                   typo: float) -> pd.Series:
    """Phone numbers written in other styles, or with two digits swapped.

    A share ``restyle`` of ten-digit numbers (``360-555-0123``) is written in
    one of :data:`~crmlib.simulate.settings.PHONE_STYLES`: ``(360) 555-0123``,
    ``360.555.0123``, digits only, spaces, with the country code ``+1``, or
    without the area code. Other numbers are written as digits only or with
    spaces. The underlying number stays the same (but for a missing area
    code).
    """
    n = len(phone)
    hit = rng.random(n) < restyle
    styles = list(S.PHONE_STYLES)
    w = np.array(list(S.PHONE_STYLES.values()))
    pick = np.minimum(np.searchsorted(np.cumsum(w) / w.sum(), rng.random(n), side="right"),
                      len(styles) - 1)
    other = rng.integers(1, 3, n)  # digits only or spaces, for numbers of another length
    out = _obj(phone)
    ok = pd.notna(out)
    if (hit & ok).any():
        digits = pd.Series(out).where(ok).str.replace(r"\D", "", regex=True)
        ten = (digits.str.len() == 10).fillna(False).to_numpy() & hit & ok
        a, e, line = digits.str[:3], digits.str[3:6], digits.str[6:]
        for k, style in enumerate(styles):
            m = ten & (pick == k)
            if m.any():
                parts = {"{a}": a[m], "{e}": e[m], "{l}": line[m]}
                res = _cat(*[parts[piece].to_numpy(dtype=object).astype(str)
                             if piece in parts else piece
                             for piece in re.split(r"(\{[ael]\})", style) if piece])
                out[m] = res.to_numpy(dtype=object)
        rest = hit & ok & ~ten
        only = rest & (other == 1)
        spaced = rest & (other == 2)
        if only.any():
            out[only] = digits[only].to_numpy()
        if spaced.any():
            out[spaced] = (pd.Series(out[spaced]).str.replace(r"[^0-9]+", " ", regex=True)
                           .str.strip().to_numpy())
    hit = (rng.random(n) < typo) & ok
    u = rng.random(n)
    if hit.any():
        sub = pd.Series(out[hit])
        length = sub.str.len().to_numpy()
        # swap two neighbouring digits somewhere in the last five characters
        lo = np.maximum(length - 5, 0)
        out[hit] = _typo(sub, lo, length, u[hit], np.zeros(hit.sum(), int)).to_numpy()
    return pd.Series(out, index=phone.index)


def _other_number(rng: np.random.Generator, phone: pd.Series) -> pd.Series:
    """Another number in the same style: the last four digits of a ten-digit number
    (with or without the country code) drawn afresh, every digit after the third otherwise."""
    n = len(phone)
    if n == 0:
        return phone.copy()
    arr = phone.to_numpy(dtype=object).astype(str)
    width = int(np.strings.str_len(arr).max())
    codes = arr.astype(f"U{width}").view(np.uint32).reshape(n, width)
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    total = digit.sum(axis=1)
    keep = np.where(total >= 10, total - 4, 3)
    fresh = digit & (np.cumsum(digit, axis=1) > keep[:, None])
    codes = np.where(fresh, ord("0") + rng.integers(0, 10, (n, width)), codes).astype(np.uint32)
    out = codes.reshape(-1).view(f"U{width}")
    return pd.Series(out.astype(object), index=phone.index)


def _blank(rng: np.random.Generator, values: pd.Series, rate: float) -> pd.Series:
    """Empty a share ``rate`` of the values."""
    return values.where(rng.random(len(values)) >= rate)


def _day(values) -> pd.Series:
    """Dates as a ``datetime64[s]`` Series at midnight (index reset)."""
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(arr).to_numpy()
    return pd.Series(arr.astype("datetime64[D]").astype("datetime64[s]"))


def _uniform_day(rng: np.random.Generator, start: pd.Series, end: pd.Timestamp) -> pd.Series:
    """A day drawn uniformly between ``start`` and ``end`` (both included)."""
    start = _day(start)
    span = (end - start).dt.days.to_numpy().clip(min=0)
    offset = np.floor(rng.random(len(start)) * (span + 1)).astype("int64")
    return _day(start + pd.to_timedelta(offset, unit="D"))


def _records_order(rng: np.random.Generator, dates: pd.Series) -> np.ndarray:
    """Positions sorting records by date, ties in random order (keys never follow customer ids)."""
    return np.lexsort((rng.random(len(dates)), dates.to_numpy()))


# --------------------------------------------------------------------------- people
def _addresses(rng: np.random.Generator, area: np.ndarray
               ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Street addresses (full and abbreviated) and postcodes whose letters give the region."""
    n = len(area)
    number = rng.integers(1, 240, n)
    street = rng.choice(np.array(STREETS, dtype=object), n)
    kind = rng.choice(np.array(STREET_KINDS, dtype=object), n)
    abbrev = pd.Series(kind).map(STREET_ABBREV).fillna(pd.Series(kind)).to_numpy()
    district = rng.integers(1, 10, n)
    unit = rng.integers(1, 10, n)
    tail = rng.choice(POSTCODE_LETTERS, (n, 2))
    return (_cat(number, " ", street, " ", kind), _cat(number, " ", street, " ", abbrev),
            _cat(area, district, " ", unit, tail[:, 0], tail[:, 1]))


def _people(rng: np.random.Generator, customers: pd.DataFrame, end: pd.Timestamp
            ) -> pd.DataFrame:
    """The facts every system draws on, one row per customer (same order as ``customers``).

    Columns: ``customer_id``, ``first_name``, ``last_name``, ``email`` (at sign-up),
    ``new_email`` (a second address: used after ``email_changed`` and by duplicate
    accounts), ``email_changed`` (NaT for most), ``phone``, ``region``, ``address``,
    ``address_abbrev``, ``postcode`` (where they lived at sign-up), ``moved`` (the day
    they moved house, NaT for most), ``new_address``, ``new_address_abbrev``,
    ``new_postcode`` (where they live after it), ``head`` (position of the household's
    first member, or of the customer), ``family_email`` (the household shares the first
    member's address), ``inclined`` (to consent).

    Households come from ``customers["household"]`` (the first member's customer id)
    when it is there, and are drawn as pairs in a region otherwise. Members of a
    household live at the first member's address and move with them.
    """
    s = SILO_SETTINGS
    n = len(customers)
    ids = customers["customer_id"].to_numpy()
    first = _as_str(customers["first_name"].to_numpy(dtype=object))
    last = _as_str(customers["last_name"].to_numpy(dtype=object))
    region = _as_str(customers["region"].to_numpy(dtype=object))
    signup = _day(customers["signup_date"])

    # Addresses: a house number, a street and a postcode whose letters give the region.
    area = _per_unique(region, lambda u: u.str.replace(r"[^A-Za-z]", "", regex=True)
                       .str[:2].str.upper())
    address, address_abbrev, postcode = _addresses(rng, area)

    # Households: members share the first member's address.
    if "household" in customers.columns:
        head = pd.Index(ids).get_indexer(customers["household"].to_numpy())
        if (head < 0).any():
            raise ValueError("customers: household names a customer who is not in customers")
    elif "household_size" in customers.columns and "age" in customers.columns:
        head = households(rng, region.to_numpy(), customers["age"].to_numpy(),
                          customers["household_size"].to_numpy(), s["household_share"])
    else:  # pairs of customers of the same region, at random
        in_household = rng.random(n) < s["household_share"]
        order = np.lexsort((rng.random(n), region.to_numpy()))
        cand = order[in_household[order]]
        cand_region = region.to_numpy()[cand]
        rank = pd.Series(cand_region).groupby(cand_region).cumcount().to_numpy()
        size = pd.Series(cand_region).map(pd.Series(cand_region).value_counts()).to_numpy()
        paired = rank < size - size % 2
        head = np.arange(n)
        head[cand[paired & (rank % 2 == 1)]] = cand[paired & (rank % 2 == 0)]
    second = np.flatnonzero(head != np.arange(n))
    for col in (address, address_abbrev, postcode):
        col.iloc[second] = col.iloc[head[second]].to_numpy()
    family = np.zeros(n, bool)
    firsts = np.unique(head[second])
    fam_head = np.zeros(n, bool)
    fam_head[firsts] = rng.random(len(firsts)) < s["family_email_share"]
    family[second] = fam_head[head[second]]
    family[firsts] = fam_head[firsts]

    # Moving house: at MOVE_RATE_PER_YEAR after signing up, inside the region; a
    # household moves on its first member's day, to its first member's new address.
    years = rng.exponential(1 / S.MOVE_RATE_PER_YEAR, n)
    move_day = signup + pd.to_timedelta(np.minimum(np.round(years * 365.25), 40_000), unit="D")
    moved = move_day.where(move_day <= end)
    moved.iloc[second] = moved.iloc[head[second]].to_numpy()
    new_address, new_abbrev, new_postcode = _addresses(rng, area)
    for col in (new_address, new_abbrev, new_postcode):
        col.iloc[second] = col.iloc[head[second]].to_numpy()

    # A second e-mail address for everyone, built the ways people build them;
    # some switch to it after signing up.
    birth_year = (end.year - customers["age"].to_numpy() if "age" in customers.columns
                  else None)
    new_email = _as_str(email_addresses(
        rng, first.to_numpy(), last.to_numpy(), birth_year=birth_year,
        taken=customers["email"].astype(object).str.lower().to_numpy()))
    changed = rng.random(n) < s["email_change_share"]
    change_day = _uniform_day(rng, signup + pd.Timedelta(days=1), end)
    email_changed = change_day.where(changed & (change_day <= end))
    inclined = rng.random(n) < s["consent_inclined_share"]
    return pd.DataFrame({
        "customer_id": ids, "first_name": first, "last_name": last,
        "email": _as_str(customers["email"].to_numpy(dtype=object)),
        "new_email": new_email, "email_changed": email_changed,
        "phone": _as_str(customers["phone"].to_numpy(dtype=object)), "region": region,
        "signup_date": signup, "address": address, "address_abbrev": address_abbrev,
        "postcode": postcode, "moved": moved, "new_address": new_address,
        "new_address_abbrev": new_abbrev, "new_postcode": new_postcode, "head": head,
        "family_email": family, "inclined": inclined})


def _address_at(people: pd.DataFrame, pos: np.ndarray, when: pd.Series, abbrev: np.ndarray
                ) -> tuple[pd.Series, pd.Series]:
    """The street address (abbreviated where ``abbrev``) and postcode a system holds for
    people ``pos`` when it last heard from them on day ``when``: the new one after a move."""
    moved = people["moved"].to_numpy()[pos]
    after = (pd.Series(moved).notna() & (_day(when).to_numpy() >= moved)).to_numpy()
    old = np.where(abbrev, people["address_abbrev"].to_numpy()[pos],
                   people["address"].to_numpy()[pos])
    new = np.where(abbrev, people["new_address_abbrev"].to_numpy()[pos],
                   people["new_address"].to_numpy()[pos])
    postcode = np.where(after, people["new_postcode"].to_numpy()[pos],
                        people["postcode"].to_numpy()[pos])
    return _as_str(np.where(after, new, old)), _as_str(postcode)


def _email_at(rng: np.random.Generator, people: pd.DataFrame, pos: np.ndarray,
              when: pd.Series) -> pd.Series:
    """The address a person gives on a record made on day ``when``.

    The new address after a switch (the old one with chance
    ``old_email_after_change``); the family address for members of a household
    that shares one (chance ``family_email_use``).
    """
    s = SILO_SETTINGS
    n = len(pos)
    changed = people["email_changed"].to_numpy()[pos]
    after = (pd.Series(changed).notna() & (_day(when).to_numpy() >= changed)).to_numpy()
    use_new = after & (rng.random(n) >= s["old_email_after_change"])
    use_family = people["family_email"].to_numpy()[pos] & (rng.random(n)
                                                           < s["family_email_use"])
    own = np.where(use_new, people["new_email"].to_numpy()[pos],
                   people["email"].to_numpy()[pos])
    fam = people["email"].to_numpy()[people["head"].to_numpy()[pos]]
    return _as_str(np.where(use_family, fam, own))


def _opt_in(rng: np.random.Generator, people: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    s = SILO_SETTINGS
    p = np.where(people["inclined"].to_numpy()[pos], s["opt_in_inclined"],
                 s["opt_in_not_inclined"])
    return rng.random(len(pos)) < p


def _typed_name(rng: np.random.Generator, values: pd.Series, typo: float) -> pd.Series:
    out, _ = _typo_where(rng, values, typo)
    return _case_and_spaces(rng, out)


def _typed_email(rng: np.random.Generator, values: pd.Series, typo: float) -> pd.Series:
    out, _ = _typo_where(rng, values, typo, email=True)
    return _case_and_spaces(rng, out, email=True)


def _with_duplicates(rng: np.random.Generator, first_pos: np.ndarray, first_day: pd.Series,
                     rate: float, end: pd.Timestamp) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Each person's record plus a second one for a share ``rate``, made on a later day."""
    dup = rng.random(len(first_pos)) < rate
    later = _uniform_day(rng, _day(first_day) + pd.Timedelta(days=1), end)
    dup &= (later <= end).to_numpy()
    pos = np.concatenate([first_pos, first_pos[dup]])
    day = pd.concat([_day(first_day), later[dup]], ignore_index=True)
    second = np.concatenate([np.zeros(len(first_pos), bool), np.ones(dup.sum(), bool)])
    return pos, day, second


def _first_by_channel(purchases: pd.DataFrame, ids: pd.Index
                      ) -> dict[str, tuple[np.ndarray, pd.Series]]:
    """For each channel, its customers (positions) and the day of their first order there."""
    code, channels = pd.factorize(purchases["channel"])
    pos = ids.get_indexer(purchases["customer_id"])
    if (pos < 0).any():
        bad = purchases["customer_id"].to_numpy()[pos < 0][0]
        raise ValueError(f"purchases: customer_id {bad} is not in customers")
    day = _day(purchases["date"]).to_numpy()
    order = np.lexsort((day, pos, code))
    code, pos, day = code[order], pos[order], day[order]
    first = np.ones(len(code), bool)
    first[1:] = (code[1:] != code[:-1]) | (pos[1:] != pos[:-1])
    out = {}
    for c in ("cafe", "web", "phone"):
        k = channels.get_indexer([c])[0]
        m = first & (code == k) if k >= 0 else np.zeros(len(code), bool)
        out[c] = (pos[m], pd.Series(day[m]))
    return out


def _last_by_channel(purchases: pd.DataFrame, ids: pd.Index) -> dict[str, np.ndarray]:
    """For each channel, the day of each customer's last order there (NaT if none)."""
    pos = ids.get_indexer(purchases["customer_id"])
    day = _day(purchases["date"]).to_numpy()
    chan = purchases["channel"].astype("str").to_numpy()
    out = {}
    for c in ("cafe", "web", "phone"):
        m = (chan == c) & (pos >= 0)
        last = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[s]")
        order = np.lexsort((day[m], pos[m]))
        p_, d_ = pos[m][order], day[m][order]
        final = np.ones(len(p_), bool)
        final[:-1] = p_[1:] != p_[:-1]
        last[p_[final]] = d_[final]
        out[c] = last
    return out


def _heard_from(rng: np.random.Generator, made: pd.Series, last_order: np.ndarray,
                update: float) -> pd.Series:
    """The day a system last updated a person's address: the record's day, or, with
    chance ``update``, the day of their last order through it (if later)."""
    made = _day(made)
    last = pd.Series(last_order).astype("datetime64[s]")
    later = (last > made).fillna(False).to_numpy() & (rng.random(len(made)) < update)
    return made.where(~later, last)


def _links(source: str, record_id: pd.Series, customer_id) -> pd.DataFrame:
    return pd.DataFrame({"source": source, "record_id": record_id.astype("str").to_numpy(),
                         "customer_id": pd.array(customer_id, dtype="Int64")})


# --------------------------------------------------------------------------- the tables
def _web_accounts(rng, people, first_orders, last_orders, end):
    s = SILO_SETTINGS
    pos, day, second = _with_duplicates(rng, *first_orders["web"],
                                        s["web_accounts.duplicate"], end)
    order = _records_order(rng, day)
    pos, day, second = pos[order], day.iloc[order].reset_index(drop=True), second[order]
    n = len(pos)
    email = _email_at(rng, people, pos, day)
    # a second account is opened with the address the first one does not use
    new, old = people["new_email"].to_numpy()[pos], people["email"].to_numpy()[pos]
    first_email = pd.Series(email.to_numpy()).groupby(pos).transform("first").to_numpy()
    email = email.where(~second, np.where(first_email == new, old, new))
    first = _nicknames(rng, people["first_name"].iloc[pos].reset_index(drop=True),
                       s["nickname"])
    abbrev = rng.random(n) < s["address_abbrev"]
    address, postcode = _address_at(people, pos, _heard_from(rng, day, last_orders["web"][pos],
                                                          S.ADDRESS_UPDATE["web_accounts"]),
                                    abbrev)
    phone = _restyle_phone(rng, people["phone"].iloc[pos].reset_index(drop=True),
                           s["phone_restyle"], s["phone_typo"])
    table = pd.DataFrame({
        "account_id": 100_001 + np.arange(n),
        "email": _typed_email(rng, email, s["web_accounts.email_typo"]),
        "first_name": _typed_name(rng, first, s["name_typo"]),
        "last_name": _typed_name(rng, people["last_name"].iloc[pos].reset_index(drop=True),
                                 s["name_typo"]),
        "phone": _blank(rng, phone, s["web_accounts.phone_missing"]),
        "address": _case_and_spaces(rng, _as_str(address)),
        "postcode": _blank(rng, postcode, s["web_accounts.postcode_missing"]),
        "created_date": day,
        "opt_in": _opt_in(rng, people, pos),
    })
    return table, pos


def _loyalty_cards(rng, people, first_orders, end):
    s = SILO_SETTINGS
    pos, day, _ = _with_duplicates(rng, *first_orders["cafe"],
                                   s["loyalty_cards.duplicate"], end)
    order = _records_order(rng, day)
    pos, day = pos[order], day.iloc[order].reset_index(drop=True)
    n = len(pos)
    first = _nicknames(rng, people["first_name"].iloc[pos].reset_index(drop=True),
                       s["nickname"])
    initial = rng.random(n) < s["loyalty_cards.initial_only"]
    first = first.where(~initial, first.str[0] + ".")
    last, _ = _typo_where(rng, people["last_name"].iloc[pos].reset_index(drop=True),
                          s["name_typo"])
    email = _blank(rng, _email_at(rng, people, pos, day), s["loyalty_cards.email_missing"])
    phone = _restyle_phone(rng, people["phone"].iloc[pos].reset_index(drop=True),
                           s["phone_restyle"], s["phone_typo"])
    table = pd.DataFrame({
        "card_number": "LC-" + _as_str(1_000_001 + np.arange(n)),
        "name": _case_and_spaces(rng, first + " " + last),
        "email": _typed_email(rng, email, s["loyalty_cards.email_typo"]),
        "phone": _blank(rng, phone, s["loyalty_cards.phone_missing"]),
        "issued_date": day,
        "opt_in": _opt_in(rng, people, pos),
    })
    return table, pos


def _phone_customers(rng, people, first_orders, last_orders, end):
    s = SILO_SETTINGS
    pos, day, second = _with_duplicates(rng, *first_orders["phone"],
                                        s["phone_customers.duplicate"], end)
    order = _records_order(rng, day)
    pos, day, second = pos[order], day.iloc[order].reset_index(drop=True), second[order]
    n = len(pos)
    head = people["head"].to_numpy()[pos]
    home = (head != pos) & (rng.random(n) < s["shared_phone_use"])
    phone = people["phone"].to_numpy()[np.where(home, head, pos)]
    phone = _restyle_phone(rng, _as_str(phone), s["phone_restyle"], s["phone_typo"])
    # a duplicate record comes from another line: another number
    phone = phone.where(~second, _other_number(rng, phone))
    first = _nicknames(rng, people["first_name"].iloc[pos].reset_index(drop=True),
                       s["nickname"])
    abbrev = rng.random(n) < s["address_abbrev"]
    address, postcode = _address_at(
        people, pos, _heard_from(rng, day, last_orders["phone"][pos],
                                 S.ADDRESS_UPDATE["phone_customers"]), abbrev)
    missing = rng.random(n) < s["phone_customers.address_missing"]
    email = _email_at(rng, people, pos, day)
    email = email.where(rng.random(n) < s["phone_customers.email_present"])
    table = pd.DataFrame({
        "phone_customer_id": "PH-" + _as_str(10_001 + np.arange(n)),
        "first_name": _case_and_spaces(rng, _as_heard(rng, first,
                                                      s["phone_customers.name_typo"])),
        "last_name": _case_and_spaces(rng, _as_heard(
            rng, people["last_name"].iloc[pos].reset_index(drop=True),
            s["phone_customers.name_typo"])),
        "phone": phone,
        "address": _case_and_spaces(rng, address).where(~missing),
        "postcode": postcode.where(~missing),
        "email": _typed_email(rng, email, s["phone_customers.email_typo"]),
        "created_date": day,
    })
    return table, pos


def _order_ref(tickets: pd.DataFrame):
    """The order number a ticket quotes: web and phone orders have one, cafe visits not."""
    if "order_id" not in tickets.columns:
        return pd.array([pd.NA] * len(tickets), dtype="Int64")
    ref = pd.Series(pd.array(tickets["order_id"], dtype="Int64"))
    return ref.where(tickets["channel"].astype("str").to_numpy() != "cafe").array


def _service_tickets(rng, people, tickets, ids):
    s = SILO_SETTINGS
    pos = ids.get_indexer(tickets["customer_id"])
    if (pos < 0).any():
        raise ValueError("tickets: customer_id "
                         f"{tickets['customer_id'].to_numpy()[pos < 0][0]} is not in customers")
    n = len(pos)
    opened = _day(tickets["opened_date"])
    no_name = rng.random(n) < s["service_tickets.name_missing"]
    first = _nicknames(rng, people["first_name"].iloc[pos].reset_index(drop=True),
                       s["nickname"])
    email = _blank(rng, _email_at(rng, people, pos, opened), s["service_tickets.email_missing"])
    phone = _restyle_phone(rng, people["phone"].iloc[pos].reset_index(drop=True),
                           s["phone_restyle"], s["phone_typo"])
    phone = phone.where(rng.random(n) < s["service_tickets.phone_present"])
    table = pd.DataFrame({
        "ticket_id": tickets["ticket_id"].to_numpy(),
        "opened_date": opened,
        "channel": tickets["channel"].astype("str").to_numpy(),
        "order_id": _order_ref(tickets),
        "topic": tickets["topic"].astype("str").to_numpy(),
        "resolved_date": _day(tickets["resolved_date"]),
        "satisfaction": pd.array(tickets["satisfaction"], dtype="Int64"),
        "first_name": _typed_name(rng, first, s["name_typo"]).where(~no_name),
        "last_name": _typed_name(rng, people["last_name"].iloc[pos].reset_index(drop=True),
                                 s["name_typo"]).where(~no_name),
        "email": _typed_email(rng, email, s["service_tickets.email_typo"]),
        "phone": phone,
    })
    order = np.lexsort((table["ticket_id"].to_numpy(),))
    return table.iloc[order].reset_index(drop=True), pos[order]


# Coupon codes: HC- and two groups of four characters from an alphabet without
# the look-alikes 0/O, 1/I/L (as printed on till receipts).
COUPON_ALPHABET = np.array(list("23456789ABCDEFGHJKMNPQRSTUVWXYZ"))


def _coupon_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random, unique coupon codes such as ``HC-7KQ4-M2XP`` (no sequence in them).

    Examples
    --------
    >>> codes = _coupon_codes(np.random.default_rng(0), 1000)
    >>> len(set(codes)), codes[0][:3], len(codes[0])
    (1000, 'HC-', 12)
    """
    k = len(COUPON_ALPHABET)
    space = k ** 8
    code = np.unique(rng.integers(0, space, size=n + n // 10 + 10))
    code = rng.permutation(code)[:n]  # unique, in random order
    while len(code) < n:  # (astronomically unlikely with 31^8 codes)
        code = np.unique(np.concatenate([code, rng.integers(0, space, n - len(code))]))
    chars = COUPON_ALPHABET[(code[:, None] // k ** np.arange(7, -1, -1)[None, :]) % k]
    text = chars.astype(object).sum(axis=1)
    return ("HC-" + pd.Series(text, dtype=object).str[:4] + "-"
            + pd.Series(text, dtype=object).str[4:]).to_numpy(dtype=object)


def _coupons(rng, people, coupons, cards, card_pos, ids):
    s = SILO_SETTINGS
    pos = ids.get_indexer(coupons["customer_id"])
    if (pos < 0).any():
        raise ValueError("coupons: customer_id "
                         f"{coupons['customer_id'].to_numpy()[pos < 0][0]} is not in customers")
    n = len(pos)
    issued = _day(coupons["issued_date"])
    # The card in use on the day: the holder's latest card issued by then.
    card = pd.DataFrame({"pos": card_pos, "day": _day(cards["issued_date"]).to_numpy(),
                         "card": cards["card_number"].to_numpy()}).sort_values(["day", "pos"])
    want = pd.DataFrame({"pos": pos, "day": issued.to_numpy(), "row": np.arange(n)})
    got = pd.merge_asof(want.sort_values("day"), card, on="day", by="pos",
                        direction="backward").sort_values("row")
    card_number = got["card"].reset_index(drop=True).astype(object)
    u = rng.random(n)
    c1, c2, c3 = (s["coupons.card_only"], s["coupons.email_only"], s["coupons.nothing"])
    has_card = (u < c1) | (u >= c1 + c2 + c3)
    has_email = (u >= c1) & ((u < c1 + c2) | (u >= c1 + c2 + c3))
    email = _email_at(rng, people, pos, issued).where(has_email)
    table = pd.DataFrame({
        "coupon_code": _coupon_codes(rng, n),
        "card_number": card_number.where(has_card),
        "email": _typed_email(rng, email, s["coupons.email_typo"]),
        "issued_date": issued,
        "expiry_date": _day(coupons["expiry_date"]),
        "redeemed_date": _day(coupons["redeemed_date"]),
        "value": coupons["value"].to_numpy(dtype=float),
    })
    order = np.lexsort((coupons["coupon_id"].to_numpy(),))
    return table.iloc[order].reset_index(drop=True), pos[order]


def _marketing_list(rng, people, prospects, ids, end, suspects=None):
    s = SILO_SETTINGS
    n_cust = len(people)
    # Customers who signed up for news, at sign-up or within a few weeks of it.
    news = np.flatnonzero(rng.random(n_cust) < s["marketing_list.news_share"])
    news_day = people["signup_date"].iloc[news].reset_index(drop=True) + pd.to_timedelta(
        rng.integers(0, 30, len(news)), unit="D")
    news_day = news_day.where(news_day <= end, end)
    # Some signed up again later (at an event, often with another address or name).
    again = rng.random(len(news)) < s["marketing_list.duplicate"]
    again_day = _uniform_day(rng, news_day + pd.Timedelta(days=1), end)
    again &= (again_day <= end).to_numpy()
    # Customers found again on the bought-in list.
    bought = np.flatnonzero(rng.random(n_cust) < s["marketing_list.customers_on_bought_list"])
    bought_day = pd.Timestamp(end) - pd.Timedelta(days=int(rng.integers(300, 700)))
    cust_pos = np.concatenate([news, news[again], bought])
    cust_day = pd.concat([news_day, again_day[again],
                          pd.Series(np.full(len(bought), bought_day), dtype="datetime64[s]")],
                         ignore_index=True)
    is_again = np.concatenate([np.zeros(len(news), bool), np.ones(again.sum(), bool),
                               np.zeros(len(bought), bool)])
    n_c = len(cust_pos)
    email = _email_at(rng, people, cust_pos, cust_day)
    email = email.where(~(is_again & (rng.random(n_c) < s["marketing_list.again_other_email"])),
                        people["new_email"].to_numpy()[cust_pos])
    first = _nicknames(rng, people["first_name"].iloc[cust_pos].reset_index(drop=True),
                       s["nickname"])
    source = np.where(rng.random(n_c) < 0.5, "cafe form", "web sign-up").astype(object)
    source[is_again] = "event"
    source[len(news) + again.sum():] = "purchased list"
    cust_rows = pd.DataFrame({
        "email": email, "first_name": first,
        "last_name": people["last_name"].iloc[cust_pos].reset_index(drop=True),
        "region": people["region"].iloc[cust_pos].reset_index(drop=True),
        "source": source, "added_date": cust_day, "customer_id": people["customer_id"]
        .to_numpy()[cust_pos]})

    # Prospects who left an address (the same person as a customer when linked).
    pro = prospects[rng.random(len(prospects)) < s["marketing_list.prospect_share"]]
    pro_rows = pd.DataFrame({
        "email": pro["email"].to_numpy(dtype=object),
        "first_name": pro["first_name"].to_numpy(dtype=object),
        "last_name": pro["last_name"].to_numpy(dtype=object),
        "region": pro["region"].to_numpy(dtype=object), "source": "prospect",
        "added_date": _day(pro["first_seen"]).to_numpy(),
        "customer_id": pd.array(pro["customer_id"], dtype="Int64")})

    if suspects is not None:
        # The bought-in list as the broker sold it (the same people as the suspects table).
        sus_rows = pd.DataFrame({
            "email": suspects["email"].to_numpy(dtype=object),
            "first_name": suspects["first_name"].to_numpy(dtype=object),
            "last_name": suspects["last_name"].to_numpy(dtype=object),
            "region": suspects["region"].to_numpy(dtype=object), "source": "purchased list",
            "added_date": _day(suspects["added_date"]).to_numpy(),
            "customer_id": pd.array([pd.NA] * len(suspects), dtype="Int64")})
    else:
        # Bought-in suspects: names like the customers', addresses on the list's domains.
        n_sus = int(round(s["marketing_list.suspect_ratio"] * n_cust))
        outside = rng.random((n_sus, 2)) < s["marketing_list.suspect_other_names"]
        sf = np.where(outside[:, 0], rng.choice(np.array(BOUGHT_LIST_FIRST_NAMES, object), n_sus),
                      rng.choice(people["first_name"].to_numpy(), n_sus))
        sl = np.where(outside[:, 1], rng.choice(np.array(BOUGHT_LIST_LAST_NAMES, object), n_sus),
                      rng.choice(people["last_name"].to_numpy(), n_sus))
        sdom = rng.choice(np.array(BOUGHT_LIST_DOMAINS, dtype=object), n_sus)
        sus_rows = pd.DataFrame({
            "email": _cat(np.strings.lower(sf.astype(str)), "_", np.strings.lower(sl.astype(str)),
                          np.arange(1, n_sus + 1), "@", sdom),
            "first_name": sf, "last_name": sl,
            "region": rng.choice(people["region"].to_numpy(), n_sus),
            "source": "purchased list",
            "added_date": np.full(n_sus, bought_day, dtype="datetime64[s]"),
            "customer_id": pd.array([pd.NA] * n_sus, dtype="Int64")})

    rows = pd.concat([cust_rows, pro_rows, sus_rows], ignore_index=True)
    n = len(rows)
    rows["customer_id"] = pd.array(rows["customer_id"], dtype="Int64")
    rows["added_date"] = _day(rows["added_date"])
    rows["email"] = _typed_email(rng, rows["email"].astype(object),
                                 s["marketing_list.email_typo"])
    rows["first_name"] = _typed_name(rng, rows["first_name"].astype(object), s["name_typo"])
    rows["last_name"] = _typed_name(rng, rows["last_name"].astype(object), s["name_typo"])
    rows["region"] = _blank(rng, rows["region"].astype(object),
                            s["marketing_list.region_missing"])
    # Consent: customers as inclined; prospects gave it with the address; bought lists never.
    cid = rows["customer_id"]
    cpos = ids.get_indexer(cid.fillna(-1).to_numpy())
    inclined = np.where(cpos >= 0, people["inclined"].to_numpy()[np.maximum(cpos, 0)],
                        rng.random(n) < s["consent_inclined_share"])
    p = np.where(inclined, s["opt_in_inclined"], s["opt_in_not_inclined"])
    rows["opt_in"] = (rng.random(n) < p) & (rows["source"] != "purchased list").to_numpy()
    order = np.lexsort((rng.random(n), rows["added_date"].to_numpy()))
    rows = rows.iloc[order].reset_index(drop=True)
    rows.insert(0, "list_id", np.arange(1, n + 1))
    return rows.drop(columns="customer_id"), rows["customer_id"]


def _erasure_requests(rng, people, mlist, mlist_cid, end, erasures=None, ids=None):
    s = SILO_SETTINGS
    n_cust = len(people)
    if erasures is not None:
        # The customers' requests as the simulation made them (the campaign lists
        # honour them, see crmlib.simulate.compliance).
        who = ids.get_indexer(erasures["customer_id"])
        day = pd.Series(pd.to_datetime(erasures["received_date"]).to_numpy())
    else:
        who = np.flatnonzero(rng.random(n_cust) < s["erasure_requests.customer_share"])
        day = _uniform_day(rng, people["signup_date"].iloc[who].reset_index(drop=True)
                           + pd.Timedelta(days=30), end)
    keep = (day <= end).to_numpy()
    who, day = who[keep], day[keep].reset_index(drop=True)
    cust = pd.DataFrame({
        "received_date": day,
        "email": _email_at(rng, people, who, day),
        "first_name": people["first_name"].iloc[who].to_numpy(),
        "last_name": people["last_name"].iloc[who].to_numpy(),
        "customer_id": people["customer_id"].to_numpy()[who]})
    # People on the list who are not customers ask to be taken off it.
    outside = np.flatnonzero(mlist_cid.isna().to_numpy())
    ask = outside[rng.random(len(outside)) < s["erasure_requests.list_share"]]
    asked = mlist.iloc[ask]
    other = pd.DataFrame({
        "received_date": _uniform_day(rng, asked["added_date"].reset_index(drop=True)
                                      + pd.Timedelta(days=7), end),
        "email": asked["email"].str.strip().str.lower().to_numpy(),
        "first_name": asked["first_name"].str.strip().to_numpy(),
        "last_name": asked["last_name"].str.strip().to_numpy(),
        "customer_id": pd.array([pd.NA] * len(asked), dtype="Int64")})
    other = other[other["received_date"] <= end]
    rows = pd.concat([cust, other], ignore_index=True)
    rows["customer_id"] = pd.array(rows["customer_id"], dtype="Int64")
    n = len(rows)
    rows["email"] = _case_and_spaces(rng, rows["email"].astype(object), email=True)
    order = np.lexsort((rng.random(n), rows["received_date"].to_numpy()))
    rows = rows.iloc[order].reset_index(drop=True)
    rows.insert(0, "request_id", np.arange(1, n + 1))
    cid = rows.pop("customer_id")
    rows["received_date"] = _day(rows["received_date"])
    return rows, cid


# --------------------------------------------------------------------------- entry point
def simulate_silos(rng_for: RngFor, customers: pd.DataFrame, purchases: pd.DataFrame,
                   tickets: pd.DataFrame, coupons: pd.DataFrame, prospects: pd.DataFrame,
                   end, suspects: pd.DataFrame | None = None,
                   erasures: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Simulate the silo tables of Harbor Coffee and their answer key.

    Parameters
    ----------
    rng_for : callable
        ``rng_for(name)`` returns an independent ``numpy.random.Generator`` per
        stream name; this function uses ``silos/people`` and ``silos/<table>``.
    customers : pandas.DataFrame
        Clean truth: ``customer_id``, ``first_name``, ``last_name``, ``email``
        (lower case, unique), ``phone``, ``region``, ``signup_date``.
    purchases : pandas.DataFrame
        ``customer_id``, ``date`` and ``channel`` (cafe, web or phone) of every order.
    tickets : pandas.DataFrame
        ``ticket_id``, ``customer_id``, ``opened_date``, ``topic``,
        ``resolved_date``, ``satisfaction``, ``channel``.
    coupons : pandas.DataFrame
        ``coupon_id``, ``customer_id``, ``issued_date``, ``expiry_date``,
        ``redeemed_date``, ``value``.
    prospects : pandas.DataFrame
        ``prospect_id``, ``first_name``, ``last_name``, ``email``, ``region``,
        ``first_seen``, ``customer_id`` (empty unless the prospect became that customer).
    end : date-like
        The last day of the data; no record is dated after it.
    suspects : pandas.DataFrame, optional
        The bought-in list as the broker sold it (else one is drawn).
    erasures : pandas.DataFrame, optional
        ``customer_id`` and ``received_date`` of the customers' requests to be
        forgotten, as the simulation made them (else they are drawn here).

    Returns
    -------
    dict of str to pandas.DataFrame
        The tables of :data:`crmlib.schema.SILO_SCHEMAS`, columns in schema order:
        ``web_accounts``, ``loyalty_cards``, ``phone_customers``,
        ``service_tickets``, ``coupons``, ``marketing_list``,
        ``erasure_requests`` and the answer key ``silo_links``.

    Raises
    ------
    ValueError
        When an input lacks a column, or a purchase, ticket or coupon names
        a customer who is not in ``customers``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng_for = lambda name: np.random.default_rng(list(name.encode()))
    >>> d = pd.Timestamp("2025-01-01")
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "first_name": ["James", "Ana"],
    ...     "last_name": ["Smith", "Silva"], "email": ["js@example.com", "as@example.com"],
    ...     "phone": ["555-0101", "555-0202"], "region": ["Old Town", "Northside"],
    ...     "signup_date": [d, d], "age": [30, 41]})
    >>> purchases = pd.DataFrame({"order_id": [1, 2], "customer_id": [1, 2],
    ...     "date": [d, d], "channel": ["web", "cafe"]})
    >>> tickets = pd.DataFrame({"ticket_id": [1], "customer_id": [1], "opened_date": [d],
    ...     "topic": ["late delivery"], "resolved_date": [d], "channel": ["web"],
    ...     "satisfaction": pd.array([4], dtype="Int64")})
    >>> coupons = pd.DataFrame({"coupon_id": [1], "customer_id": [2], "issued_date": [d],
    ...     "expiry_date": [d + pd.Timedelta(days=60)], "redeemed_date": [pd.NaT],
    ...     "value": [4.0]})
    >>> prospects = pd.DataFrame({"prospect_id": [1], "first_name": ["Omar"],
    ...     "last_name": ["Haddad"], "email": ["oh@example.com"], "region": ["Old Town"],
    ...     "first_seen": [d], "customer_id": pd.array([pd.NA], dtype="Int64")})
    >>> silos = simulate_silos(rng_for, customers, purchases, tickets, coupons, prospects,
    ...                        pd.Timestamp("2025-12-31"))
    >>> sorted(silos) == sorted(SILO_SCHEMAS)
    True
    >>> links = silos["silo_links"]
    >>> links.loc[links["source"] == "service_tickets", ["record_id", "customer_id"]].values
    array([['1', 1]], dtype=object)
    >>> sorted(links["customer_id"].unique().tolist())  # the prospect who never bought: no row
    [1, 2]
    """
    needed = {
        "customers": (customers, ["customer_id", "first_name", "last_name", "email", "phone",
                                  "region", "signup_date"]),
        "purchases": (purchases, ["customer_id", "date", "channel"]),
        "tickets": (tickets, ["ticket_id", "customer_id", "opened_date", "topic",
                              "resolved_date", "satisfaction", "channel"]),
        "coupons": (coupons, ["coupon_id", "customer_id", "issued_date", "expiry_date",
                              "redeemed_date", "value"]),
        "prospects": (prospects, ["prospect_id", "first_name", "last_name", "email", "region",
                                  "first_seen", "customer_id"]),
    }
    for name, (frame, cols) in needed.items():
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}")
    if customers["customer_id"].duplicated().any():
        dup = customers.loc[customers["customer_id"].duplicated(), "customer_id"].iloc[0]
        raise ValueError(f"customers: customer_id {dup} appears twice")
    end = pd.Timestamp(end).floor("D")
    ids = pd.Index(customers["customer_id"].to_numpy())
    cust_id = customers["customer_id"].to_numpy()

    people = _people(rng_for("silos/people"), customers, end)
    first_orders = _first_by_channel(purchases, ids)
    last_orders = _last_by_channel(purchases, ids)
    web, web_pos = _web_accounts(rng_for("silos/web_accounts"), people, first_orders,
                                 last_orders, end)
    cards, card_pos = _loyalty_cards(rng_for("silos/loyalty_cards"), people, first_orders, end)
    phone, phone_pos = _phone_customers(rng_for("silos/phone_customers"), people,
                                        first_orders, last_orders, end)
    tick, tick_pos = _service_tickets(rng_for("silos/service_tickets"), people, tickets, ids)
    coup, coup_pos = _coupons(rng_for("silos/coupons"), people, coupons, cards, card_pos, ids)
    mlist, mlist_cid = _marketing_list(rng_for("silos/marketing_list"), people, prospects, ids,
                                       end, suspects)
    erase, erase_cid = _erasure_requests(rng_for("silos/erasure_requests"), people, mlist,
                                         mlist_cid, end, erasures, ids)
    links = pd.concat([
        _links("web_accounts", web["account_id"], cust_id[web_pos]),
        _links("loyalty_cards", cards["card_number"], cust_id[card_pos]),
        _links("phone_customers", phone["phone_customer_id"], cust_id[phone_pos]),
        _links("service_tickets", tick["ticket_id"], cust_id[tick_pos]),
        _links("coupons", coup["coupon_code"], cust_id[coup_pos]),
        _links("marketing_list", mlist["list_id"], mlist_cid),
        _links("erasure_requests", erase["request_id"], erase_cid),
    ], ignore_index=True)
    links = links[links["customer_id"].notna()]  # records of no customer have no row
    out = {"web_accounts": web, "loyalty_cards": cards, "phone_customers": phone,
           "service_tickets": tick, "coupons": coup, "marketing_list": mlist,
           "erasure_requests": erase, "silo_links": links}
    for name, schema in SILO_SCHEMAS.items():
        columns = schema.columns
        table = out[name][list(columns)]
        for col, kind in columns.items():
            if kind.rstrip("?") in ("str",):
                table[col] = table[col].astype("str")
            elif kind.rstrip("?") == "date":
                table[col] = table[col].astype("datetime64[s]")
        out[name] = table.reset_index(drop=True)
    return out
