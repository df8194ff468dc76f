"""Contact economics, awareness, and the call centre (Erlang C checked two ways)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmlib.contact import (
    AwarenessModel,
    adstock,
    awareness_curve,
    calls_after_spots,
    erlang_c,
    erlang_c_wait,
    estimate_patience,
    first_year_value,
    order_margin,
    replay_calls,
    response_by_exposure,
    retime_spot_calls,
    route_economics,
    simulate_call_centre,
    simulate_queue,
)
from crmlib.data import load_harbor
from crmlib.truth import parameters


def _erlang_c_by_sums(load: float, agents: int) -> float:
    """The textbook formula, term by term (independent of the recursion)."""
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    return top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)


@pytest.mark.parametrize("agents", [11, 12, 14, 20])
def test_erlang_c_matches_the_textbook_formula(agents):
    assert erlang_c(100 / 1800, 180, agents) == pytest.approx(_erlang_c_by_sums(10, agents))


def test_erlang_c_textbook_example():
    # 100 calls in 30 minutes, 3-minute calls: 10 Erlangs. With 11 agents, 68.21% wait,
    # the average speed of answer is 122.8 s and 39% are answered within 20 s.
    out = erlang_c_wait(100 / 1800, 180, 11, target=20)
    assert round(out["p_wait"], 4) == 0.6821
    assert round(out["mean_wait"], 1) == 122.8
    assert round(out["service_level"], 2) == 0.39
    assert erlang_c_wait(100 / 1800, 180, 10)["mean_wait"] == float("inf")


def test_erlang_c_agrees_with_simulation():
    sim = simulate_call_centre(100 / 1800, 180, float("inf"), 12, hours=400, seed=1)
    exact = erlang_c_wait(100 / 1800, 180, 12)
    assert sim["p_wait"] == pytest.approx(exact["p_wait"], abs=0.02)
    assert sim["mean_wait"] == pytest.approx(exact["mean_wait"], rel=0.15)


def test_impatient_callers_abandon_and_shorten_the_queue():
    patient = simulate_call_centre(100 / 1800, 180, float("inf"), 11, hours=200, seed=2)
    impatient = simulate_call_centre(100 / 1800, 180, 60, 11, hours=200, seed=2)
    assert impatient["abandon_rate"] > 0.1 > patient["abandon_rate"]
    assert impatient["mean_wait"] < patient["mean_wait"]


def test_queue_by_hand():
    # One agent on shift in hour 0 only; calls at 0 s and 10 s, 100 s of talk each.
    wait, outcome = simulate_queue(
        [0.0, 10.0, 4000.0], [1e9, 50.0, 10.0], [100.0, 100.0, 10.0], [1, 0]
    )
    assert outcome.tolist() == ["answered", "abandoned", "closed"]
    assert wait.tolist() == [0.0, 50.0, 0.0]


@pytest.mark.parametrize(
    "args, message",
    [
        ((-1, 180, 5), "arrival_rate"),
        ((1, 0, 5), "handle_time"),
        ((1, 180, 0), "agents"),
    ],
)
def test_erlang_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        erlang_c(*args)


def test_harbor_evening_spots_lose_calls():
    calls = load_harbor("calls")
    staffing = load_harbor("call_staffing")
    hour = calls["arrival_time"].dt.floor("h")
    by_hour = calls.groupby(hour)["outcome"].apply(lambda s: (s != "answered").mean())
    agents = staffing.assign(t=staffing["date"] + pd.to_timedelta(staffing["hour"], "h"))
    agents = agents.set_index("t")["agents"].reindex(by_hour.index)
    # One agent from 18:00: hours with one agent lose far more calls than hours with two.
    assert by_hour[agents == 1].mean() > 2 * by_hour[agents >= 2].mean()


def test_adstock_and_awareness():
    np.testing.assert_allclose(adstock([100, 0, 0, 50], 0.5), [100, 50, 25, 62.5])
    aw = awareness_curve([0, 200, 0, 0], 0.5, 0.1, 0.5, 0.01)
    assert aw[0] == pytest.approx(0.1) and aw[1] > aw[2] > aw[3] > 0.1
    with pytest.raises(ValueError, match="decay"):
        adstock([1.0], 1.0)


def test_awareness_fit_recovers_harbor_decay():
    truth = parameters()
    aw = load_harbor("awareness")
    grps = load_harbor("media_plan").groupby("week_start")["grps"].sum()
    g = grps.reindex(aw["week_start"], fill_value=0).to_numpy()
    fit = AwarenessModel().fit(g, aw["aware"], aw["sample_size"])
    # 16 weekly surveys of 400: the decay and base are pinned down well, the ceiling
    # and k trade off against each other, so compare the fitted curve with the truth.
    assert fit.decay_ == pytest.approx(truth["adstock_decay"], abs=0.1)
    assert fit.base_ == pytest.approx(truth["awareness_base"], abs=0.02)
    true_curve = awareness_curve(
        g,
        truth["adstock_decay"],
        truth["awareness_base"],
        truth["awareness_max"],
        truth["awareness_k"],
    )
    assert np.abs(fit.predict(g) - true_curve).max() < 0.04


def test_response_rises_with_exposure_and_route_economics():
    contacts = load_harbor("contacts")
    campaigns = load_harbor("campaigns")
    acq = contacts[contacts["prospect_id"].notna()].merge(campaigns, on="campaign_id")
    by_exp = response_by_exposure(acq)
    # Repeated exposures raise the response, with diminishing returns after a few.
    assert by_exp["response_rate"].iloc[1] > by_exp["response_rate"].iloc[0]
    gains = by_exp["cumulative_response"].diff().dropna()
    assert gains.iloc[-1] < gains.iloc[0]
    assert by_exp["cumulative_response"].iloc[-1] > 3 * by_exp["response_rate"].iloc[0]
    econ = route_economics(acq, "channel", "cost_per_contact")
    assert set(econ.index) == {"email", "direct mail", "phone", "digital ad", "sales visit"}
    assert econ.loc["sales visit", "cost_per_contact"] == 120
    assert (econ["cost_per_sale"] > econ["cost_per_lead"]).all()
    assert econ.loc["sales visit", "cost_per_sale"] > econ.loc["email", "cost_per_sale"]


def test_route_economics_without_leads_or_sales_is_infinite():
    contacts = pd.DataFrame(
        {
            "route": ["mail", "mail", "free", "free", "call"],
            "cost": [2.0, 2.0, 0.0, 0.0, 5.0],
            "responded": [True, False, False, False, True],
            "sale": [True, False, False, False, False],
        }
    )
    econ = route_economics(contacts, "route", "cost")
    assert econ.loc["mail", "cost_per_sale"] == 4.0
    # No lead or no sale: cost per lead or sale is infinite, whatever the cost.
    assert np.isposinf(econ.loc["free", "cost_per_lead"])
    assert np.isposinf(econ.loc["free", "cost_per_sale"])
    assert np.isposinf(econ.loc["call", "cost_per_sale"])
    assert econ.loc["call", "cost_per_lead"] == 5.0


def test_awareness_fit_without_anyone_aware_warns():
    from sklearn.exceptions import ConvergenceWarning

    grps = np.r_[np.full(8, 100.0), np.zeros(8)]
    with pytest.warns(ConvergenceWarning):
        model = AwarenessModel().fit(grps, np.zeros(16), np.full(16, 400))
    assert not model.converged_


# --------------------------------------------------------------------------- lesson 01 helpers
def test_order_margin_by_hand_and_on_a_harbor_order():
    purchases = pd.DataFrame({"order_id": [10, 11, 12], "discount": [0.5, 0.0, 2.0]})
    items = pd.DataFrame({"order_id": [10, 10, 11], "product_id": [1, 2, 2],
                          "quantity": [3, 1, 2], "unit_price": [4.0, 20.0, 18.0]})
    products = pd.DataFrame({"product_id": [1, 2], "unit_cost": [1.5, 8.0]})
    # 3 x 2.5 + 12 - 0.5 = 19; 2 x 10 = 20; no lines: -2.
    assert order_margin(purchases, items, products).tolist() == [19.0, 20.0, -2.0]
    with pytest.raises(ValueError, match="product_id 3"):
        order_margin(purchases, items.assign(product_id=[1, 2, 3]), products)
    # A Harbor order recomputed line by line from the product table.
    pur = load_harbor("purchases").head(50)
    oi = load_harbor("order_items")
    prod = load_harbor("products").set_index("product_id")
    got = order_margin(pur, oi, prod.reset_index())
    for oid, disc in zip(pur["order_id"], pur["discount"]):
        lines = oi[oi["order_id"] == oid]
        want = sum(q * (p - prod.loc[i, "unit_cost"]) for i, q, p in
                   zip(lines["product_id"], lines["quantity"], lines["unit_price"])) - disc
        assert got[oid] == pytest.approx(want)


def test_first_year_value_counts_the_first_365_days_of_full_years_only():
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3],
                       "date": pd.to_datetime(["2024-03-01", "2025-02-28", "2025-03-01",
                                               "2025-06-01", "2025-05-01"]),
                       "margin": [4.0, 6.0, 100.0, 9.0, 1.0]})
    signup = pd.Series(pd.to_datetime(["2024-03-01", "2024-01-10", "2025-05-01"]),
                       index=[1, 2, 4])
    out = first_year_value(tx, signup, end="2025-06-30")
    # 2024-03-01 + 365 days = 2025-03-01 (leap year): that order is outside.
    # Customer 2 bought nothing in the window but still counts, with 0.
    assert out.to_dict() == {1: 10.0, 2: 0.0}
    with pytest.raises(ValueError, match="value='amount'"):
        first_year_value(tx, signup, value="amount")


def test_calls_after_spots_by_hand():
    calls = pd.DataFrame({"arrival_time": pd.to_datetime(
        ["2025-09-01 18:59", "2025-09-01 19:00", "2025-09-01 19:29", "2025-09-01 19:30",
         "2025-09-01 19:40"]), "outcome": ["answered", "closed", "abandoned", "answered",
                                           "abandoned"]})
    spots = pd.DataFrame({"air_time": pd.to_datetime(["2025-09-01 19:00", "2025-09-01 19:15"])})
    out = calls_after_spots(calls.iloc[::-1], spots)  # the log's order does not matter
    # each call once, for the latest spot before it: 19:00 for the first, 19:15 for the
    # next three (18:59 came before any spot)
    assert out["calls"].tolist() == [1, 3] and out["lost"].tolist() == [1, 2]
    swapped = calls_after_spots(calls, spots.iloc[::-1])  # nor the spots' order
    assert swapped["calls"].tolist() == [3, 1] and swapped["lost"].tolist() == [2, 1]
    with pytest.raises(ValueError, match="minutes"):
        calls_after_spots(calls, spots, minutes=0)


def test_estimate_patience_recovers_the_harbor_truth():
    assert estimate_patience([10.0, 20.0, 30.0], [True, True, False]) == 30.0
    assert estimate_patience([5.0], [False]) == float("inf")
    calls = load_harbor("calls")
    queued = calls[calls["outcome"] != "closed"]
    mean = estimate_patience(queued["wait_seconds"], queued["outcome"] == "abandoned")
    # Exponential MLE: the standard error is the mean over sqrt(number who hung up).
    se = mean / np.sqrt((queued["outcome"] == "abandoned").sum())
    assert abs(mean - 60 * parameters()["mean_patience_minutes"]) < 3 * se


def test_replay_calls_by_hand_and_against_the_harbor_log():
    staff = pd.DataFrame({"date": pd.to_datetime(["2025-09-01"] * 3), "hour": [8, 9, 10],
                          "agents": [0, 2, 1]})
    t = pd.to_datetime(["2025-09-01 09:00", "2025-09-01 09:01", "2025-09-01 09:02",
                        "2025-09-01 08:30"])
    # Two agents busy for 10 minutes: the third caller, with no patience, hangs up.
    out = replay_calls(t, staff, [600.0], patience_seconds=1e-9)
    assert out.tolist() == ["answered", "answered", "abandoned", "closed"]
    with pytest.raises(ValueError, match="outside"):
        replay_calls(pd.to_datetime(["2025-09-02 09:00"]), staff, [60.0], 60.0)
    # Replaying the log with the staffing it had gives back about as many lost calls.
    calls = load_harbor("calls")
    answered = calls.loc[calls["outcome"] == "answered", "handle_seconds"]
    replay = replay_calls(calls["arrival_time"], load_harbor("call_staffing"), answered,
                          60 * parameters()["mean_patience_minutes"])
    lost, observed = (replay != "answered").sum(), (calls["outcome"] != "answered").sum()
    assert abs(lost - observed) < 4 * np.sqrt(observed)


def test_retime_spot_calls_moves_only_the_burst():
    calls = pd.to_datetime(["2025-09-01 12:00", "2025-09-01 19:05", "2025-09-01 19:50",
                            "2025-09-02 18:10"])
    air = pd.to_datetime(["2025-09-02 18:00", "2025-09-01 19:00"])  # any order
    out = retime_spot_calls(calls, air, [False, True], to_hour=14.5)
    assert out.strftime("%d %H:%M").tolist() == ["01 12:00", "01 14:35", "01 19:50", "02 18:10"]
    with pytest.raises(ValueError, match="move"):
        retime_spot_calls(calls, air, [True], 14)
