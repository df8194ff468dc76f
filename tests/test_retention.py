"""Retention economics: closed forms, the defection-cut mechanism, cohorts, sBG behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.retention import (
    ShiftedBetaGeometric,
    clv_constant_retention,
    cohort_profit,
    cohort_table,
    defection_cut_effect,
    margin_multiple,
    margin_multiple_grid,
    survival_curve,
)


def test_margin_multiple_equals_the_discounted_sum():
    r, i = 0.85, 0.12
    t = np.arange(1, 3000)
    assert margin_multiple(r, i) == pytest.approx(np.sum(r**t / (1 + i) ** t))
    assert clv_constant_retention(50, r, i, first_margin_now=True) == pytest.approx(
        50 * np.sum(r ** (t - 1) / (1 + i) ** (t - 1))
    )


def test_grid_and_vectorisation():
    grid = margin_multiple_grid([0.8, 0.9], [0.1, 0.2])
    assert grid.loc[0.9, 0.1] == pytest.approx(4.5)
    assert grid.loc[0.8, 0.2] == pytest.approx(0.8 / 0.4)
    np.testing.assert_allclose(margin_multiple(np.array([0.8, 0.9]), 0.1), [0.8 / 0.3, 4.5])


@pytest.mark.parametrize("r, i", [(1.1, 0.1), (-0.1, 0.1), (0.5, -0.1), (1.0, 0.0)])
def test_margin_multiple_bad_input(r, i):
    with pytest.raises(ValueError, match="retention|discount"):
        margin_multiple(r, i)


def test_flat_profits_give_the_closed_form():
    assert cohort_profit(0.8, [100.0], discount=0.1) == pytest.approx(
        clv_constant_retention(100.0, 0.8, 0.1, first_margin_now=True)
    )


def test_defection_cut_is_worth_more_when_profit_grows_with_tenure():
    flat = defection_cut_effect(0.20, [60.0], acquisition_cost=50)
    growing = defection_cut_effect(0.20, [-20, 40, 50, 60, 70, 80], acquisition_cost=50)
    assert growing["increase"] > flat["increase"] > 0
    # Reichheld and Sasser's range (25% to 85%) is what this mechanism produces.
    assert 0.25 <= growing["increase"] <= 0.85


def test_defection_cut_rejects_bad_input():
    with pytest.raises(ValueError, match="cut <= defection"):
        defection_cut_effect(0.03, [10.0])
    with pytest.raises(ValueError, match="worth nothing"):
        defection_cut_effect(0.5, [1.0], acquisition_cost=100)


def test_cohort_table_on_harbor(purchases):
    counts = cohort_table(purchases)
    sizes = purchases.groupby("customer_id")["date"].min().dt.to_period("M").value_counts()
    assert (counts[0] == sizes.reindex(counts.index)).all()
    share = cohort_table(purchases, share=True)
    assert (share[0] == 1).all()
    assert not np.isnan(share.loc[pd.Period("2025-06", "M"), 6])
    assert np.isnan(share.loc[pd.Period("2025-06", "M"), 7])  # not observed yet
    assert share.loc[pd.Period("2023-01", "M"), 12] < share.loc[pd.Period("2023-01", "M"), 1]


def test_cohort_table_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-03-01", "2025-01-20", "2025-02-02", "2025-03-03"]
            ),
        }
    )
    t = cohort_table(tx)
    assert t.loc[pd.Period("2025-01", "M")].tolist() == [2, 0, 1]
    assert t.loc[pd.Period("2025-02", "M"), 1] == 1
    assert np.isnan(t.loc[pd.Period("2025-02", "M"), 2])


def test_survival_curve(purchases):
    s = survival_curve(purchases)
    # Non-increasing while many cohorts are at risk; the last months rest on the
    # first monthly cohort alone, so they may wobble by sampling error.
    assert s.iloc[0] == 1 and (np.diff(s.loc[:24].to_numpy()) <= 1e-12).all()
    assert 0.2 < s.loc[12] < 0.6


def test_sbg_aggregate_retention_rises():
    m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    rates = m.retention_rate(np.arange(1, 13))
    assert (np.diff(rates) > 0).all()
    assert m.survival(0) == 1.0
    surv = m.survival(np.arange(0, 8))
    np.testing.assert_allclose(surv[1:] / surv[:-1], m.retention_rate(np.arange(1, 8)))


def test_sbg_recovers_simulated_parameters():
    rng = np.random.default_rng(7)
    theta = rng.beta(1.2, 3.0, size=20000)
    lifetime = rng.geometric(theta)  # periods until churn
    counts = [(lifetime > t).sum() for t in range(0, 10)]
    m = ShiftedBetaGeometric().fit(counts)
    assert m.alpha_ == pytest.approx(1.2, rel=0.1) and m.beta_ == pytest.approx(3.0, rel=0.1)


@pytest.mark.parametrize(
    "counts, message",
    [
        ([100], "at least two periods"),
        ([100, 120], "must not increase"),
        ([0, 0], "positive start"),
        ([100, np.nan], "finite"),
    ],
)
def test_sbg_bad_input(counts, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometric().fit(counts)


def test_cohort_table_keeps_ages_nobody_reached():
    # Customer 1 buys in January and again in April; nobody is active one or two months on.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(["2025-01-10", "2025-04-02", "2025-04-20"]),
        }
    )
    t = cohort_table(tx)
    assert list(t.columns) == [0, 1, 2, 3]
    jan, apr = pd.Period("2025-01", "M"), pd.Period("2025-04", "M")
    # Observed and empty is zero; not observed yet is missing.
    assert t.loc[jan].tolist() == [1, 0, 0, 1]
    assert t.loc[apr, 0] == 1 and t.loc[apr, [1, 2, 3]].isna().all()


def test_cohort_table_by_quarter():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "date": pd.to_datetime(
                ["2024-01-15", "2024-08-01", "2024-02-01", "2024-03-30", "2024-12-31"]
            ),
        }
    )
    t = cohort_table(tx, freq="Q")
    q1, q4 = pd.Period("2024Q1", "Q"), pd.Period("2024Q4", "Q")
    assert list(t.index) == [q1, q4]
    # Q1 cohort: customers 1 and 2; customer 2 buys twice within Q1, customer 1 again in Q3.
    assert t.loc[q1].tolist() == [2, 0, 1, 0]
    assert t.loc[q4, 0] == 1 and t.loc[q4, [1, 2, 3]].isna().all()


def test_cohort_profit_near_full_retention_reaches_the_closed_form():
    # With flat profit m, the sum over t >= 0 of m q^t is m / (1 - q), q = r / (1 + i).
    for r, i in [(0.999, 0.0), (0.9999, 0.0), (0.995, 0.001)]:
        q = r / (1 + i)
        assert cohort_profit(r, [1.0], discount=i) == pytest.approx(1 / (1 - q), rel=1e-12)


def test_cohort_profit_tail_after_the_last_profit():
    # Profits 5 then 10 for ever: 5 + 10 q / (1 - q).
    r, i = 0.998, 0.0
    q = r / (1 + i)
    assert cohort_profit(r, [5.0, 10.0], acquisition_cost=3.0, discount=i) == pytest.approx(
        -3.0 + 5.0 + 10.0 * q / (1 - q), rel=1e-12
    )


@pytest.mark.parametrize("counts", [[100, 100, 100, 100], [100, 0]])
def test_sbg_degenerate_fit_warns(counts):
    # Nobody leaves, or everybody leaves at once: the Beta runs to a bound.
    from sklearn.exceptions import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="bound"):
        ShiftedBetaGeometric().fit(counts)


def test_sbg_published_fit_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    assert m.converged_


def test_cohort_table_reads_aware_dates_on_their_local_calendar():
    import warnings

    local = pd.to_datetime(["2025-01-31 23:30", "2025-02-01 00:30", "2025-03-15 12:00"])
    naive = pd.DataFrame({"customer_id": [1, 2, 1], "date": local})
    aware = naive.assign(date=local.tz_localize("America/Los_Angeles"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cohort_table(aware)
    pd.testing.assert_frame_equal(got, cohort_table(naive))
    # Customer 1 joined in January (local time), customer 2 in February.
    assert got.loc[pd.Period("2025-01", "M")].tolist() == [1, 0, 1]


# --------------------------------------------------------------------------- lesson 02 additions
from crmlib.retention import (  # noqa: E402
    activity_curve,
    contract_durations,
    renewal_table,
    value_elasticities,
)


def _simulate_censored(alpha, beta, n, max_watch, seed):
    """Draw lifetimes from the sBG model itself and cut them at a random watch time."""
    rng = np.random.default_rng(seed)
    life = rng.geometric(rng.beta(alpha, beta, n))  # paid periods, >= 1
    watch = rng.integers(0, max_watch + 1, n)  # periods observed before the cut-off
    censored = life > watch
    return np.where(censored, watch, life), censored


def test_fit_durations_recovers_simulated_parameters():
    durations, censored = _simulate_censored(0.85, 3.4, 30000, 36, seed=11)
    assert 0.2 < censored.mean() < 0.6  # a real mix of finished and running lifetimes
    m = ShiftedBetaGeometric().fit_durations(durations, censored)
    se = m.standard_errors_
    assert abs(m.alpha_ - 0.85) < 3 * se["alpha"] and abs(m.beta_ - 3.4) < 3 * se["beta"]
    assert se["alpha"] < 0.05 and m.converged_


def test_fit_durations_ignoring_censoring_is_biased():
    # Treating running lifetimes as finished makes customers look less loyal.
    durations, censored = _simulate_censored(0.85, 3.4, 30000, 36, seed=12)
    ok = durations > 0
    naive = ShiftedBetaGeometric().fit_durations(durations[ok], np.zeros(ok.sum(), bool))
    right = ShiftedBetaGeometric().fit_durations(durations, censored)
    assert naive.survival(12) < right.survival(12) - 0.05


def test_fit_durations_coincides_with_the_cohort_fit():
    # One cohort watched 7 years: the published Regular data as individual durations.
    counts = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    lost = -np.diff(counts)
    durations = np.append(np.repeat(np.arange(1, 8), lost), np.full(counts[-1], 7))
    censored = np.append(np.zeros(lost.sum(), bool), np.ones(counts[-1], bool))
    a = ShiftedBetaGeometric().fit(counts)
    b = ShiftedBetaGeometric().fit_durations(durations, censored)
    assert (b.alpha_, b.beta_, b.loglik_) == pytest.approx((a.alpha_, a.beta_, a.loglik_), rel=1e-6)
    assert (round(b.alpha_, 3), round(b.beta_, 3)) == (0.704, 1.182)  # Fader and Hardie (2007)


@pytest.mark.parametrize(
    "durations, censored, message",
    [
        ([1, 2], [False], "one flag per duration"),
        ([1.5, 2], [False, False], "whole numbers"),
        ([0, 2], [False, False], ">= 1"),
        ([3, 4], [True, True], "no cancellation"),
        ([], [], "non-empty"),
    ],
)
def test_fit_durations_bad_input(durations, censored, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometric().fit_durations(durations, np.asarray(censored))


@pytest.mark.parametrize("read", [ShiftedBetaGeometric().fit_durations, renewal_table])
def test_durations_refuse_flags_that_are_not_booleans(read):
    """0 and 1 are the wrong type for a censoring flag (TypeError), not a wrong value,
    in the model and in the life table alike."""
    with pytest.raises(TypeError, match="censored must be booleans"):
        read([1, 2], np.array([0, 1]))


def test_contract_durations_by_hand():
    start = pd.Series(pd.to_datetime(["2024-11-30", "2025-01-15", "2025-12-01"]))
    end = pd.Series(pd.to_datetime(["2025-02-01", None, None]))
    got = contract_durations(start, end, "2025-12-31")
    # Nov 2024 -> Feb 2025 is 3 calendar months; Jan -> Dec 2025 is 11; Dec -> Dec is 0.
    assert got["periods"].tolist() == [3, 11, 0]
    assert got["censored"].tolist() == [False, True, True]


def test_contract_durations_bad_input():
    start = pd.Series(pd.to_datetime(["2025-01-15"]))
    with pytest.raises(ValueError, match="end has dates after as_of"):
        contract_durations(start, pd.Series(pd.to_datetime(["2026-02-01"])), "2025-12-31")
    with pytest.raises(ValueError, match="start has dates after as_of"):
        contract_durations(start, pd.Series([pd.NaT]), "2024-12-31")
    with pytest.raises(ValueError, match="at least one period"):
        contract_durations(start, pd.Series(pd.to_datetime(["2025-01-20"])), "2025-12-31")


def test_renewal_table_matches_a_brute_force_life_table():
    durations, censored = _simulate_censored(1.0, 2.0, 400, 12, seed=3)
    table = renewal_table(durations, censored)
    surv = 1.0
    for t in table.index:  # reference: count each period by hand
        at_risk = sum(1 for d in durations if d >= t)
        cancelled = sum(1 for d, c in zip(durations, censored) if d == t and not c)
        assert table.loc[t, "at_risk"] == at_risk and table.loc[t, "cancelled"] == cancelled
        surv *= 1 - cancelled / at_risk
        assert table.loc[t, "survival"] == pytest.approx(surv)


def test_renewal_table_without_censoring_is_the_empirical_survival():
    lifetimes = np.array([1, 1, 2, 3, 3, 3, 5])
    table = renewal_table(lifetimes, np.zeros(7, bool))
    expected = [(lifetimes > t).mean() for t in range(1, 6)]
    np.testing.assert_allclose(table["survival"], expected)


def test_value_elasticities_match_finite_differences():
    m, r, i, c = 80.0, 0.85, 0.12, 60.0

    def value(m, r, i, c):  # discounted margins at the end of each period, less acquisition
        t = np.arange(1, 5000)
        return m * np.sum(r**t / (1 + i) ** t) - c

    v, h = value(m, r, i, c), 1e-6
    e = value_elasticities(m, r, i, c)
    assert e["value"] == pytest.approx(v)
    assert e["retention"] == pytest.approx((value(m, r * (1 + h), i, c) / v - 1) / h, rel=1e-4)
    assert e["margin"] == pytest.approx((value(m * (1 + h), r, i, c) / v - 1) / h, rel=1e-4)
    cheaper = value(m, r, i, c * (1 - h))
    assert e["acquisition_cost"] == pytest.approx((cheaper / v - 1) / h, rel=1e-4)


def test_value_elasticities_bad_input():
    with pytest.raises(ValueError, match="acquisition_cost must be below"):
        value_elasticities(10, 0.5, 0.1, acquisition_cost=100)
    with pytest.raises(ValueError, match="margin"):
        value_elasticities(-1, 0.5, 0.1, 0)


def test_activity_curve_matches_a_brute_force_count():
    rng = np.random.default_rng(5)
    n = 300
    tx = pd.DataFrame({
        "customer_id": rng.integers(0, 60, n),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D"),
    })
    window = 3
    got = activity_curve(tx, window=window)
    months = tx["date"].dt.year * 12 + tx["date"].dt.month
    end = months.max()
    for k in got.index:
        active = eligible = 0
        for _, m in months.groupby(tx["customer_id"]):
            ages = set(m - m.min())
            if end - m.min() >= k + window - 1:
                eligible += 1
                active += any(k <= a < k + window for a in ages)
        assert got.loc[k] == pytest.approx(active / eligible)


def test_activity_curve_removes_the_censoring_artefact(purchases):
    # Harbor's 2025 sign-ups look lost on "bought again at all" but not on a fixed window.
    first = purchases.groupby("customer_id")["date"].min().dt.year
    year = purchases["customer_id"].map(first)
    old = activity_curve(purchases[year == 2023], window=6)
    new = activity_curve(purchases[year == 2025], window=6)
    assert abs(old.loc[3] - new.loc[3]) < 0.05


def test_activity_curve_bad_window():
    tx = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2025-01-01"])})
    with pytest.raises(ValueError, match="window"):
        activity_curve(tx, window=0)
    with pytest.raises(ValueError, match="longer than the data"):
        activity_curve(tx, window=3)


def test_offer_outcomes_by_hand():
    from crmlib.retention import offer_outcomes

    assignments = pd.DataFrame({
        "campaign_id": [1, 1, 2, 2],
        "customer_id": [1, 2, 1, 3],
        "assigned_date": pd.to_datetime(["2025-03-01", "2025-03-01", "2025-06-01", "2025-06-01"]),
    }, index=[10, 11, 12, 13])
    tx = pd.DataFrame({
        "customer_id": [1, 1, 2, 2, 3],
        # customer 1: before campaign 1, and 28 days after it (outside a 28-day window);
        # customer 2: on the assignment day (inside); customer 3: nothing before campaign 2.
        "date": pd.to_datetime(["2025-02-01", "2025-03-29", "2025-01-01", "2025-03-01",
                                "2025-06-05"]),
    })
    got = offer_outcomes(assignments, tx)
    assert list(got.index) == [10, 11, 12, 13]
    assert got["bought"].tolist() == [False, True, False, True]
    # Days from the last purchase *before* the assignment day.
    assert got["days_since_last"].iloc[:3].tolist() == [28.0, 59.0, 64.0]
    assert np.isnan(got["days_since_last"].iloc[3])
    with pytest.raises(ValueError, match="days"):
        offer_outcomes(assignments, tx, days=0)
