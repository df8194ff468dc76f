"""The Harbor Coffee story is in the data: each lesson's effect can be found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.data import load_harbor
from crmlib.simulate import HarborTruth, true_parameters


@pytest.fixture(scope="module")
def customers():
    c = load_harbor("customers")
    p = load_harbor("purchases")
    c["orders"] = c["customer_id"].map(p.groupby("customer_id").size())
    c["avg_spend"] = c["customer_id"].map(p.groupby("customer_id")["amount"].mean())
    weeks = (pd.Timestamp("2025-12-31") - c["signup_date"]).dt.days / 7
    c["log_rate"] = np.log(c["orders"] / weeks)
    return c


def _eta_squared(y: pd.Series, groups: pd.Series) -> float:
    """Share of the variance of y explained by group means."""
    means = y.groupby(groups, observed=True).transform("mean")
    return float(((means - y.mean()) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def test_lifestyle_explains_behaviour_demographics_do_not(customers):
    c = customers
    lifestyle = _eta_squared(c["log_rate"], c["lifestyle"])
    age = _eta_squared(c["log_rate"], pd.cut(c["age"], [17, 25, 35, 45, 55, 65, 90]))
    income = _eta_squared(c["log_rate"], pd.qcut(c["income"], 5))
    household = _eta_squared(c["log_rate"], c["household_size"])
    region = _eta_squared(c["log_rate"], c["region"])
    assert lifestyle > 0.10
    for demographic in (age, income, household, region):
        assert demographic < min(0.01, lifestyle / 10)


def test_benefit_sought_explains_spend(customers):
    c = customers
    by_benefit = c.groupby("benefit_sought")["avg_spend"].median()
    assert by_benefit["Quality and taste"] > 1.3 * by_benefit["Low price"]
    assert _eta_squared(np.log(c["avg_spend"]), c["benefit_sought"]) > 0.05
    assert _eta_squared(np.log(c["avg_spend"]), pd.cut(c["age"], 6)) < 0.01


def test_referred_customers_stay_longer(customers):
    p = load_harbor("purchases")
    last = p.groupby("customer_id")["date"].max()
    c = customers[customers["signup_date"] < "2024-01-01"].copy()
    c["active_2025h2"] = c["customer_id"].map(last) >= pd.Timestamp("2025-07-01")
    active = c.groupby("acquisition_channel")["active_2025h2"].mean()
    assert active["referral"] > active["social media"] + 0.05


def test_response_rises_with_exposures():
    contacts = load_harbor("contacts")
    acquisition = contacts[contacts["prospect_id"].notna()]
    rate = acquisition.groupby("exposure")["responded"].mean()
    assert list(rate.index) == [1, 2, 3, 4]
    assert rate.is_monotonic_increasing and rate[4] > 1.5 * rate[1]
    # Sales come only from leads.
    assert not (acquisition["sale"] & ~acquisition["responded"]).any()


def test_retention_responses_are_real_purchases():
    contacts = load_harbor("contacts")
    purchases = load_harbor("purchases")
    resp = contacts[contacts["customer_id"].notna() & contacts["responded"]]
    keys = set(zip(purchases["customer_id"], purchases["date"]))
    assert all((int(c), d) in keys for c, d in zip(resp["customer_id"], resp["response_date"]))


def test_badly_timed_spots_cause_abandoned_calls():
    calls = load_harbor("calls")
    hour = calls["arrival_time"].dt.hour
    weekday = calls["arrival_time"].dt.day_of_week < 5
    lost = calls["outcome"] != "answered"
    day = lost[weekday & hour.between(9, 16)].mean()
    evening = lost[weekday & hour.between(18, 20)].mean()
    assert evening > 3 * day
    spots = load_harbor("tv_spots")
    assert (spots["air_time"].dt.hour >= 18).mean() > 0.2


def test_awareness_builds_fast_then_eases():
    aw = load_harbor("awareness").set_index("week_start")["aware_share"]
    before = aw[aw.index < "2025-09-01"].mean()
    peak = aw.max()
    assert peak > before + 0.3
    assert aw.idxmax() < pd.Timestamp("2025-10-01")
    assert aw.iloc[-1] < peak - 0.05


def test_silo_keys_disagree_but_resolve():
    customers = load_harbor("customers")
    clean = set(customers["email"])
    tickets = load_harbor("service_tickets")
    raw = tickets["email"]
    assert (raw != raw.str.strip().str.lower()).mean() > 0.2
    assert set(raw.str.strip().str.lower()) <= clean
    mlist = load_harbor("marketing_list")
    norm = mlist["email"].str.strip().str.lower()
    dup = norm.duplicated(keep=False)
    assert dup.sum() > 100
    # Duplicate people often come back under another first name.
    names = mlist[dup].groupby(norm[dup])["first_name"].nunique()
    assert (names > 1).sum() > 20
    assert (mlist["source"] == "purchased list").sum() >= 1000


def test_loyalty_ladder_rungs_are_all_present():
    prospects = load_harbor("prospects")
    assert prospects["customer_id"].isna().sum() > 1000  # prospects who never bought
    assert prospects["customer_id"].notna().sum() > 1000  # prospects who became customers
    referrals = load_harbor("referrals")
    assert referrals["referrer_id"].nunique() > 300  # advocates
    signup = load_harbor("customers").set_index("customer_id")["signup_date"]
    assert (signup.loc[referrals["referrer_id"]].to_numpy()
            < signup.loc[referrals["referred_id"]].to_numpy()).all()


def test_fifth_cup_free_coupons():
    coupons = load_harbor("coupons")
    assert (coupons["expiry_date"] - coupons["issued_date"]).dt.days.eq(60).all()
    redeemed = coupons["redeemed_date"].notna()
    assert 0.3 < redeemed.mean() < 0.95
    assert (coupons.loc[redeemed, "redeemed_date"] >= coupons.loc[redeemed, "issued_date"]).all()


def test_true_parameters_are_documented_and_variants_stay_close(repo):
    base = true_parameters()
    assert base == {k: getattr(HarborTruth(), k) for k in base}
    readme = (repo / "datasets" / "README.md").read_text()
    for name in ["r", "alpha", "a", "b", "p", "q", "gamma"]:
        assert f"| `{name}` | {base[name]}" in readme
    v = true_parameters(5)
    assert v != base
    for name in ["r", "alpha", "a", "b", "p", "q", "gamma"]:
        assert 0.89 <= v[name] / base[name] <= 1.11
