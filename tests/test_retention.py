"""Retention economics: closed forms, the defection-cut mechanism, cohorts, sBG behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.data import load_harbor
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


@pytest.fixture(scope="module")
def purchases():
    return load_harbor("purchases")


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
