"""The single customer view helpers (crmlib.scv): cleaning, Splink matching, scoring, SQLite."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from silo_inputs import END, make_inputs, rng_factory

from crmlib.scv import (
    CONTACT_COLUMNS,
    CustomerMatcher,
    clean_contacts,
    match_quality,
    threshold_sweep,
    to_sqlite,
)
from crmlib.simulate.silos import simulate_silos

NAMES = dict(first_name="first_name", last_name="last_name", email="email", phone="phone")


# --------------------------------------------------------------------------- cleaning
def test_clean_contacts_by_hand():
    web = pd.DataFrame({"account_id": [7, 8], "first_name": ["  ANN", "Bo"],
                        "last_name": ["Lee ", "kim"], "email": [" Ann@X.org", ""],
                        "phone": ["555-12 34", None]})
    out = clean_contacts(web, "web", "account_id", **NAMES)
    assert list(out.columns) == CONTACT_COLUMNS
    assert out["unique_id"].tolist() == ["web:7", "web:8"]
    assert out["first_name"].tolist() == ["ann", "bo"]
    assert out["last_name"].tolist() == ["lee", "kim"]
    assert out.loc[0, "email"] == "ann@x.org" and pd.isna(out.loc[1, "email"])
    assert out.loc[0, "phone"] == "5551234" and pd.isna(out.loc[1, "phone"])


def test_clean_contacts_splits_a_full_name_and_leaves_missing_fields_empty():
    cards = pd.DataFrame({"card_number": ["LC-1", "LC-2"], "name": ["J. Smith", "mary ann Lee"]})
    out = clean_contacts(cards, "cards", "card_number", name="name")
    assert out["first_name"].tolist() == ["j", "mary"]
    assert out["last_name"].tolist() == ["smith", "ann lee"]
    assert out["email"].isna().all() and out["phone"].isna().all()


@pytest.mark.parametrize("kwargs, word", [
    (dict(source="", key="k", name="n"), "source"),
    (dict(source="s", key="k", name="n", first_name="n"), "name"),
    (dict(source="s", key="k", email="nope"), "nope"),
])
def test_clean_contacts_rejects_bad_arguments(kwargs, word):
    table = pd.DataFrame({"k": [1], "n": ["a b"]})
    with pytest.raises(ValueError, match=word):
        clean_contacts(table, **kwargs)


# --------------------------------------------------------------------------- scoring
def _brute_force_quality(links: dict, truth: dict, records: list) -> dict:
    linked = right = 0
    for r in records:
        if r in links:
            linked += 1
            right += truth.get(r) == links[r]
    belonging = sum(r in truth for r in records)
    return {"linked": linked, "right": right, "false_merges": linked - right,
            "missed": belonging - right, "belonging": belonging}


def test_match_quality_against_a_brute_force_count():
    rng = np.random.default_rng(0)
    records = [f"r{i}" for i in range(300)]
    truth = {r: int(rng.integers(1, 40)) for r in records if rng.random() < 0.8}
    links = {r: (truth.get(r, 0) if rng.random() < 0.9 else int(rng.integers(1, 40)))
             for r in records if rng.random() < 0.7}
    links = {r: c for r, c in links.items() if c}
    got = match_quality(pd.Series(links), pd.Series(truth), records)
    want = _brute_force_quality(links, truth, records)
    for name, value in want.items():
        assert got[name] == value, name
    assert got["precision"] == pytest.approx(want["right"] / want["linked"])
    assert got["recall"] == pytest.approx(want["right"] / want["belonging"])


def test_match_quality_rejects_links_outside_the_records():
    with pytest.raises(ValueError, match="links"):
        match_quality(pd.Series({"x": 1}), pd.Series({"a": 1}), ["a"])
    with pytest.raises(ValueError, match="records"):
        match_quality(pd.Series(dtype=float), pd.Series(dtype=float), [])


def test_threshold_sweep_matches_links_at_each_threshold():
    # A matcher whose scored pairs are set by hand: the sweep must equal
    # match_quality of links(t) computed one threshold at a time.
    rng = np.random.default_rng(1)
    n = 200
    pairs = pd.DataFrame({
        "record": np.repeat([f"r{i}" for i in range(n)], 2),
        "customer_id": rng.integers(1, 30, 2 * n),
        "match_weight": rng.normal(3, 6, 2 * n).round(1),
    })
    pairs["match_probability"] = 1 / (1 + 2.0 ** -pairs["match_weight"])
    matcher = CustomerMatcher()
    matcher.pairs_ = pairs.sort_values(["record", "match_weight", "customer_id"],
                                       ascending=[True, False, True]).reset_index(drop=True)
    truth = pd.Series({f"r{i}": int(rng.integers(1, 30)) for i in range(n) if i % 4})
    records = [f"r{i}" for i in range(n)] + ["never-scored"]
    thresholds = np.arange(-10, 15, 0.5)
    sweep = threshold_sweep(matcher, truth, records, thresholds)
    for t in thresholds:
        want = match_quality(matcher.links(t), truth, records)
        pd.testing.assert_series_equal(sweep.loc[t], want, check_names=False)
    with pytest.raises(ValueError, match="thresholds"):
        threshold_sweep(matcher, truth, records, [np.nan])


# --------------------------------------------------------------------------- Splink
def _one_edit_by_hand(a: str, b: str) -> bool:
    """True when b is a with one character added, dropped, changed, or two neighbours swapped."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = sorted([a, b], key=len)
    return len(long_) == len(short) + 1 and any(long_[:i] + long_[i + 1:] == short
                                                 for i in range(len(long_)))


def test_one_edit_comparison_levels_by_hand():
    # The matcher's e-mail and phone comparison (cheap checks before the slow
    # Damerau-Levenshtein distance) must put every pair in the level a hand
    # count gives, with the labels of Splink's own DamerauLevenshteinAtThresholds.
    import duckdb
    import splink.comparison_library as cl

    from crmlib.scv import _one_edit_apart

    rng = np.random.default_rng(5)
    letters = list("abcde.@")
    pairs = []
    for _ in range(3000):
        a = "".join(rng.choice(letters, rng.integers(3, 9)))
        b = list(a)
        for _ in range(rng.integers(0, 3)):  # 0, 1 or 2 random edits of four kinds
            i, kind = int(rng.integers(0, len(b))), int(rng.integers(0, 4))
            if kind == 0:
                b[i] = str(rng.choice(letters))
            elif kind == 1:
                b.insert(i, str(rng.choice(letters)))
            elif kind == 2 and len(b) > 1:
                del b[i]
            elif i + 1 < len(b):
                b[i], b[i + 1] = b[i + 1], b[i]
        pairs.append((a, "".join(b)))
    pairs += [("ann@x.org", None), (None, None)]
    frame = pd.DataFrame(pairs, columns=["email_l", "email_r"])
    levels = _one_edit_apart("email").get_comparison("duckdb").comparison_levels
    case = " ".join(f"WHEN {lev.sql_condition} THEN {i}" for i, lev in enumerate(levels[:-1]))
    con = duckdb.connect()
    con.register("pairs", frame)
    got = [row[0] for row in con.execute(f"SELECT CASE {case} ELSE 3 END FROM pairs").fetchall()]
    want = [0 if a is None or b is None else 1 if a == b else 2 if _one_edit_by_hand(a, b) else 3
            for a, b in pairs]
    assert got == want
    assert {1, 2, 3} <= set(want)  # every level is exercised
    stock = cl.DamerauLevenshteinAtThresholds("email", [1]).get_comparison("duckdb")
    assert [lev.label_for_charts for lev in levels] == [
        lev.label_for_charts for lev in stock.comparison_levels]


@pytest.fixture(scope="module")
def small_silos():
    inputs = make_inputs(1500, seed=3)
    silos = simulate_silos(rng_factory(4), **inputs, end=END)
    return inputs["customers"], silos


@pytest.fixture(scope="module")
def matched(small_silos):
    customers, silos = small_silos
    records = pd.concat([
        clean_contacts(silos["web_accounts"], "web_accounts", "account_id", **NAMES),
        clean_contacts(silos["loyalty_cards"], "loyalty_cards", "card_number", name="name",
                       email="email", phone="phone"),
        clean_contacts(silos["phone_customers"], "phone_customers", "phone_customer_id", **NAMES),
    ], ignore_index=True)
    master = clean_contacts(customers, "customers", "customer_id", **NAMES)
    links = silos["silo_links"]
    truth = pd.Series(links["customer_id"].to_numpy(),
                      index=(links["source"] + ":" + links["record_id"]).to_numpy())
    return records, master, truth, CustomerMatcher(seed=1).fit(records, master)


def test_splink_matching_beats_exact_email(matched):
    records, master, truth, matcher = matched
    # Independent baseline: the exact join on the cleaned e-mail, by hand.
    by_email = pd.Series(master["record_id"].astype(int).to_numpy(), index=master["email"])
    exact = records.set_index("unique_id")["email"].map(by_email).dropna()
    base = match_quality(exact, truth, records["unique_id"])
    got = match_quality(matcher.links_, truth, records["unique_id"])
    assert got["precision"] > 0.97
    assert got["recall"] > base["recall"] + 0.1
    assert got["false_merges"] < base["false_merges"]


def test_matcher_learns_that_agreement_is_evidence(matched):
    assert matched[3].prior_weight_ < -5  # most record-customer pairs are not matches
    w = matched[3].weights_.set_index(["comparison", "level"])["weight"]
    for comp in ["first_name", "last_name", "email", "phone"]:
        levels = w.loc[comp]
        assert levels.iloc[0] > 0 > levels.iloc[-1], comp  # exact match for, else against


def test_matcher_is_deterministic(matched):
    records, master, _, matcher = matched
    again = CustomerMatcher(seed=1).fit(records, master)
    pd.testing.assert_frame_equal(again.pairs_, matcher.pairs_, check_exact=False, rtol=1e-9)


def test_links_follow_the_threshold(matched):
    matcher = matched[3]
    strict, loose = matcher.links(10), matcher.links(-5)
    assert strict.index.isin(loose.index).all() and len(strict) < len(loose)
    assert not strict.index.duplicated().any()


def test_a_graded_kernel_takes_the_graders_fit_of_the_same_inputs_and_only_those(
        matched, tmp_path, monkeypatch):
    # The grader's answer key fits the matcher on a student's records; the kernel that
    # runs the student's notebook then fits it on the same records. The hand-over must
    # give exactly the fit the kernel would have made, and nothing for other inputs.
    from crmlib import scv
    from crmlib.grading import variants

    records, master, _, matcher = matched
    CustomerMatcher(seed=1).fit(records, master)
    with scv.recording_fits() as fits:  # the grader computing one student's references
        CustomerMatcher(seed=1).fit(records, master)
    assert len(fits) == 1
    assert variants.save_fits(tmp_path, fits) == tmp_path / variants.FITS_FILE
    assert variants.save_fits(tmp_path / "none", {}) is None
    with scv.recording_fits() as later:  # nothing recorded outside a block stays behind
        pass
    assert later == {}

    def no_training(self, records, customers):
        raise AssertionError("trained again")

    monkeypatch.setenv(variants.VARIANT_CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(CustomerMatcher, "_fit_splink", no_training)
    variants.handed_over_fits.cache_clear()
    try:
        kernel = CustomerMatcher(seed=1, threshold=5.0).fit(records, master)
        # what the kernel gets equals the fixture's own, independent fit
        pd.testing.assert_frame_equal(kernel.pairs_, matcher.pairs_)
        pd.testing.assert_frame_equal(kernel.weights_, matcher.weights_)
        assert kernel.prior_weight_ == matcher.prior_weight_
        assert kernel.links_.equals(matcher.links(5.0))  # its own threshold still applies
        kernel.pairs_["match_weight"] = 0.0  # a student's change to one fitted matcher ...
        again = CustomerMatcher(seed=1).fit(records, master)
        pd.testing.assert_frame_equal(again.pairs_, matcher.pairs_)  # ... reaches no other
        changed = records.copy()
        changed.loc[0, "email"] = "someone.else@example.com"
        missing = records.copy()
        missing["phone"] = missing["phone"].astype(object)
        missing.loc[missing["phone"].isna(), "phone"] = "<NA>"  # text, not a missing value
        assert records["phone"].isna().any()
        as_text = records.assign(phone=records["phone"].astype(object))
        as_text.loc[0, "phone"] = "5550123"
        mixed = as_text.copy()
        mixed.loc[0, "phone"] = 5550123  # the same text, but a number: DuckDB sees another input
        assert (CustomerMatcher()._fingerprint(as_text, master)
                != CustomerMatcher()._fingerprint(mixed, master))

        class Other(CustomerMatcher):
            pass

        for other in [lambda: CustomerMatcher(seed=2).fit(records, master),
                      lambda: CustomerMatcher(seed=1, max_pairs=1000).fit(records, master),
                      lambda: CustomerMatcher(seed=1).fit(changed, master),
                      lambda: CustomerMatcher(seed=1).fit(missing, master),
                      lambda: CustomerMatcher(seed=1).fit(mixed, master),
                      lambda: Other(seed=1).fit(records, master),
                      lambda: CustomerMatcher(seed=1).fit(records.iloc[1:], master)]:
            with pytest.raises(AssertionError, match="trained again"):
                other()
        (tmp_path / variants.FITS_FILE).write_bytes(b"not a pickle")  # a damaged file: ignored
        variants.handed_over_fits.cache_clear()
        with pytest.raises(AssertionError, match="trained again"):
            CustomerMatcher(seed=1).fit(records, master)
    finally:
        variants.handed_over_fits.cache_clear()


@pytest.mark.parametrize("mutate, word", [
    (lambda r: r.iloc[:0], "records"),
    (lambda r: pd.concat([r, r.iloc[:1]]), "duplicates"),
    (lambda r: r.drop(columns="phone"), "phone"),
])
def test_fit_rejects_bad_records(matched, mutate, word):
    records, master = matched[0], matched[1]
    with pytest.raises(ValueError, match=word):
        CustomerMatcher().fit(mutate(records), master)


# --------------------------------------------------------------------------- SQLite
def test_to_sqlite_round_trip():
    con = sqlite3.connect(":memory:")
    df = pd.DataFrame({"id": [1, 2], "d": pd.to_datetime(["2025-01-02", None]),
                       "s": pd.array(["a", None], dtype="string"), "ok": [True, False]})
    assert to_sqlite(con, {"t": df, "a": df.head(1)}) == ["a", "t"]
    rows = con.execute("SELECT id, d, s, ok FROM t ORDER BY id").fetchall()
    assert rows == [(1, "2025-01-02", "a", 1), (2, None, None, 0)]
    # Dates as ISO text work with SQLite's date functions.
    assert con.execute("SELECT julianday(d) - julianday('2025-01-01') FROM t WHERE id = 1"
                       ).fetchone()[0] == 1.0
    # Wrong types are TypeErrors (the rule in crmlib.checks), naming the argument.
    with pytest.raises(TypeError, match="con must be a sqlite3.Connection, got str"):
        to_sqlite("not a connection", {"t": df})
    with pytest.raises(TypeError, match=r"tables\['t'\] must be a pandas DataFrame, got list"):
        to_sqlite(con, {"t": [1, 2]})
