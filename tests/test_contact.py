"""Contact economics, awareness, and the call centre (Erlang C checked two ways)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmlib.contact import (
    adstock,
    awareness_curve,
    erlang_c,
    erlang_c_wait,
    fit_awareness,
    response_by_exposure,
    route_economics,
    simulate_call_centre,
    simulate_queue,
)
from crmlib.data import load_harbor
from crmlib.simulate import true_parameters


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
    truth = true_parameters()
    aw = load_harbor("awareness")
    grps = load_harbor("media_plan").groupby("week_start")["grps"].sum()
    g = grps.reindex(aw["week_start"], fill_value=0).to_numpy()
    fit = fit_awareness(g, aw["aware"], aw["sample_size"])
    # 16 weekly surveys of 400: the decay and base are pinned down well, the ceiling
    # and k trade off against each other, so compare the fitted curve with the truth.
    assert fit["decay"] == pytest.approx(truth["adstock_decay"], abs=0.1)
    assert fit["base"] == pytest.approx(truth["awareness_base"], abs=0.02)
    true_curve = awareness_curve(
        g,
        truth["adstock_decay"],
        truth["awareness_base"],
        truth["awareness_max"],
        truth["awareness_k"],
    )
    fitted = awareness_curve(g, fit["decay"], fit["base"], fit["ceiling"], fit["k"])
    assert np.abs(fitted - true_curve).max() < 0.04


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
        fit_awareness(grps, np.zeros(16), np.full(16, 400))
