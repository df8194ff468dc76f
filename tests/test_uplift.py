"""Incrementality tools, checked on randomised tests whose true uplift is drawn here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from crmlib.uplift import (
    TwoModelUplift,
    lift_table,
    orders_after,
    qini_curve,
    targeting_profit,
    uplift_by_decile,
)


@pytest.fixture(scope="module")
def trial():
    """A randomised test: base chance 0.2, the contact adds 0.3 * x (x uniform on 0..1)."""
    rng = np.random.default_rng(2024)
    n = 40_000
    x = rng.uniform(0, 1, n)
    treated = rng.random(n) < 0.5
    true_uplift = 0.3 * x
    y = rng.random(n) < 0.2 + treated * true_uplift
    return pd.DataFrame({"x": x, "treated": treated, "y": y, "true": true_uplift})


def test_lift_by_hand():
    out = lift_table([1, 1, 0, 0, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0])
    row = out.loc["all"]
    assert (row["n_treated"], row["n_control"]) == (4, 4)
    assert row["lift"] == pytest.approx(0.25)
    # Sample variances 1/3 and 1/4, each over 4 customers.
    assert row["se"] == pytest.approx(np.sqrt(1 / 12 + 1 / 16))
    assert row["ci_high"] - row["lift"] == pytest.approx(1.959964 * row["se"], rel=1e-6)


def test_lift_clustered_by_customer(trial):
    plain = lift_table(trial["y"], trial["treated"]).loc["all"]
    # One row per cluster: the same standard error as row by row.
    own = lift_table(trial["y"], trial["treated"], cluster=np.arange(len(trial))).loc["all"]
    assert own["lift"] == plain["lift"]
    assert own["se"] == pytest.approx(plain["se"], rel=0.01)
    # Every customer's row twice: counted row by row the copies look like new customers and the
    # standard error shrinks by sqrt(2); clustered by customer it is the original one.
    twice = pd.concat([trial, trial])
    naive = lift_table(twice["y"], twice["treated"]).loc["all", "se"]
    clustered = lift_table(twice["y"], twice["treated"], cluster=twice.index).loc["all", "se"]
    assert naive == pytest.approx(plain["se"] / np.sqrt(2), rel=0.01)
    assert clustered == pytest.approx(plain["se"], rel=0.01)
    by = lift_table(twice["y"], twice["treated"], by=twice["x"] > 0.5, cluster=twice.index)
    assert list(by.index) == [False, True] and (by["se"] > 0).all()


def test_lift_covers_the_true_effect(trial):
    out = lift_table(trial["y"], trial["treated"]).loc["all"]
    assert out["ci_low"] < trial["true"].mean() < out["ci_high"]  # 0.15
    by = lift_table(trial["y"], trial["treated"], by=np.where(trial["x"] > 0.5, "high", "low"))
    assert list(by.index) == ["high", "low"]
    assert by.loc["high", "lift"] == pytest.approx(0.225, abs=4 * by.loc["high", "se"])
    assert by.loc["low", "lift"] == pytest.approx(0.075, abs=4 * by.loc["low", "se"])


def test_two_model_uplift_recovers_the_drawn_uplift(trial):
    X = trial[["x"]]
    model = TwoModelUplift().fit(X, trial["y"], trial["treated"])
    est = model.predict(pd.DataFrame({"x": [0.1, 0.5, 0.9]}))
    np.testing.assert_allclose(est, [0.03, 0.15, 0.27], atol=0.03)
    if_t, if_c = model.predict_outcomes(pd.DataFrame({"x": [0.5]}))
    assert if_c[0] == pytest.approx(0.2, abs=0.02)
    assert model.n_features_in_ == 1


def test_two_model_uplift_with_a_regressor(trial):
    orders = trial["y"].astype(float)
    model = TwoModelUplift(LinearRegression()).fit(trial[["x"]].to_numpy(), orders,
                                                   trial["treated"].to_numpy())
    assert model.predict([[1.0]])[0] == pytest.approx(0.3, abs=0.03)
    assert model.model_control_.coef_[0] == pytest.approx(0.0, abs=0.03)


def test_uplift_by_decile_falls_with_a_good_score(trial):
    out = uplift_by_decile(trial["y"], trial["treated"], trial["x"], true_effect=trial["true"])
    assert list(out.index) == list(range(1, 11))
    assert (out["n_treated"] + out["n_control"]).tolist() == [4000] * 10
    # Decile k holds x in ((10 - k) / 10, (11 - k) / 10]: true mean 0.3 * (10.5 - k) / 10.
    np.testing.assert_allclose(out["true_uplift"], 0.3 * (10.5 - np.arange(1, 11)) / 10, atol=0.005)
    assert (np.abs(out["lift"] - out["true_uplift"]) < 4 * out["se"]).all()
    # A random score finds nothing: every decile's lift is near the average.
    noise = np.random.default_rng(1).random(len(trial))
    flat = uplift_by_decile(trial["y"], trial["treated"], noise)
    assert flat["lift"].max() - flat["lift"].min() < 0.15


def test_uplift_by_decile_by_hand():
    out = uplift_by_decile([1, 0, 1, 0, 0, 0, 0, 1], [1, 0, 1, 0, 1, 0, 1, 0],
                           [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1], q=2)
    assert out["treated"].tolist() == [1.0, 0.0] and out["control"].tolist() == [0.0, 0.5]


def test_qini_curve_by_brute_force_and_on_the_drawn_uplift(trial):
    rng = np.random.default_rng(3)
    y, t, s = rng.poisson(1.0, 300), rng.random(300) < 0.5, rng.random(300)
    out = qini_curve(y, t, s, shares=[0.2, 1.0])
    top = np.argsort(-s)[:60]
    expect = (y[top][t[top]].mean() - y[top][~t[top]].mean()) * 60
    assert out["incremental"].iloc[0] == pytest.approx(expect)
    assert out["incremental"].iloc[1] == pytest.approx(out["random"].iloc[1])
    # Ranked by x, the first 30% hold x > 0.7: true uplift 0.3 * 0.85 each, 12,000 customers.
    good = qini_curve(trial["y"], trial["treated"], trial["x"], shares=[0.3])
    se = 0.5 * np.sqrt(4 / 12_000) * 12_000
    assert good["incremental"].iloc[0] == pytest.approx(0.3 * 0.85 * 12_000, abs=3 * se)
    assert good["incremental"].iloc[0] > good["random"].iloc[0] + 3 * se


def test_targeting_profit_by_hand_and_brute_force():
    out = targeting_profit([3, 2, 1, 0], gain=[5.0, 1.0, 2.0, 0.0], cost=1.5, shares=[0.25, 0.5, 1])
    assert out["profit"].tolist() == [3.5, 3.0, 2.0]
    rng = np.random.default_rng(5)
    score, gain, cost = rng.random(200), rng.normal(1, 2, 200), rng.uniform(0, 1, 200)
    out = targeting_profit(score, gain, cost, shares=[0.3])
    best = np.argsort(score)[::-1][:60]
    assert out["profit"].iloc[0] == pytest.approx((gain[best] - cost[best]).sum())


def test_targeting_by_true_uplift_beats_targeting_by_outcome(trial):
    # Contacting customers with high x pays; a score blind to x earns the average.
    value, cost = 10.0, 1.2
    by_uplift = targeting_profit(trial["x"], trial["true"] * value, cost, shares=[0.3])
    blind = targeting_profit(-np.arange(len(trial)), trial["true"] * value, cost, shares=[0.3])
    assert by_uplift["profit"].iloc[0] > blind["profit"].iloc[0] + 0.3 * len(trial) * 0.5


def test_orders_after_counts_the_window_by_hand():
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2],
                       "date": pd.to_datetime(["2024-12-31", "2025-01-01", "2025-01-28",
                                               "2025-01-29", "2025-01-02"])})
    ev = pd.DataFrame({"customer_id": [1, 2, 1],
                       "assigned_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-29"])},
                      index=[10, 11, 12])
    out = orders_after(tx, ev, days=28)
    # Customer 1: 1 Jan and 28 Jan count (day 0 and day 27), 31 Dec and 29 Jan do not.
    assert out.to_dict() == {10: 2, 11: 1, 12: 1}


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: lift_table([1, 0], [True, True]), "both the treated and the control"),
        (lambda: lift_table([1, 0, 1], [True, False]), "expected 3 values"),
        (lambda: lift_table([1, np.nan], [True, False]), "y: missing"),
        (lambda: lift_table([1, 0, 1, 0], [1, 0, 1, 1], by=["a", "a", "b", "b"]), "group 'b'"),
        (lambda: lift_table([1, 0], [2, 0]), "booleans"),
        (lambda: lift_table([1, 0], [1, 0], level=95), "level == 95"),
        (lambda: lift_table([1, 0], [1, 0], cluster=[1]), "cluster: expected 2 labels"),
        (lambda: uplift_by_decile([1, 0], [1, 0], [0.5], q=2), "score: expected 2"),
        (lambda: uplift_by_decile([1, 0], [1, 0], [0.5, 0.1], q=1), "q == 1, must be >= 2"),
        (lambda: targeting_profit([1, 2], 1.0, 0.5, shares=[0]), "shares: 0 is out of range"),
        (lambda: TwoModelUplift().fit([[1], [2]], [1, 0, 1], [1, 0]), "y: expected 2"),
        (lambda: orders_after(pd.DataFrame({"customer_id": [1], "date": [0]}),
                              pd.DataFrame({"customer_id": [1]}), 28), "event_date="),
        (lambda: orders_after(pd.DataFrame({"customer_id": [1], "date": [0]}),
                              pd.DataFrame({"customer_id": [1], "assigned_date": [0]}), 0),
         "days == 0, must be >= 1"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
