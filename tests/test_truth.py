"""crmlib.truth, the one public face of the simulation's truth, and who may look behind it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlib import truth
from crmlib.data import load_harbor

ROOT = Path(__file__).resolve().parent.parent

# What lessons, worked solutions, workbooks, their keys and the lesson-story tests may
# read of the simulation: crmlib.truth only. (Tests of the simulator itself, such as
# test_simulation.py and test_silos.py, look inside it on purpose.)
TRUTH_READERS = [
    *sorted((ROOT / "notebooks").glob("*.ipynb")),
    *sorted((ROOT / "solutions").glob("*.ipynb")),
    *sorted((ROOT / "solutions").glob("*_key.py")),
    *sorted((ROOT / "exercises").glob("*.ipynb")),
    ROOT / "tests" / "test_stories.py",
    *sorted((ROOT / "tests").glob("test_workbook*.py")),
]
SIMULATE = re.compile(r"crmlib\.simulate\b|from\s+crmlib\s+import\s+[^\n]*\bsimulate\b")


def _code(path: Path) -> str:
    """The Python of a file or of a notebook's code cells, markdown excluded."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _simulate_uses(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if SIMULATE.search(line)]


def test_the_check_finds_what_it_looks_for():
    found = _simulate_uses("import numpy as np\nfrom crmlib.simulate.people import lead_chance\n"
                           "from crmlib import data, simulate\nx = crmlib.simulate.settings.END\n"
                           "from crmlib.truth import parameters  # not crmlib.simulated\n")
    assert found == ["from crmlib.simulate.people import lead_chance",
                     "from crmlib import data, simulate",
                     "x = crmlib.simulate.settings.END"]


@pytest.mark.parametrize("path", TRUTH_READERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_lessons_workbooks_and_keys_read_the_truth_only_through_crmlib_truth(path):
    uses = _simulate_uses(_code(path))
    assert uses == [], f"{path.relative_to(ROOT)}: use crmlib.truth instead of {uses}"


def test_every_reader_kind_is_present():
    kinds = {p.parent.name + ("/key" if p.name.endswith("_key.py") else "") for p in TRUTH_READERS}
    assert {"notebooks", "solutions", "solutions/key", "exercises", "tests"} <= kinds


# --------------------------------------------------------------------------- the face
def test_parameters_are_the_documented_truth_and_attributes_too():
    p = truth.parameters()
    # datasets/README.md publishes the BG/NBD, Gamma-Gamma and sBG truth of the base data.
    assert (p["r"], p["alpha"], p["a"], p["b"]) == (0.40, 2.50, 0.90, 6.00)
    assert (p.p, p.q, p.gamma, p.sbg_alpha, p.sbg_beta) == (6.0, 3.8, 16.0, 0.85, 3.4)
    assert pd.Series(p)["alpha"] == 2.5  # lines up with estimates by name
    with pytest.raises(AttributeError, match="no true parameter 'rho'"):
        p.rho  # noqa: B018


def test_a_variant_scales_the_model_parameters_and_keeps_the_effects():
    base, v = truth.parameters(), truth.parameters(variant=31)
    assert v == truth.parameters(variant=31)  # reproducible
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma", "sbg_alpha", "sbg_beta"):
        assert 0.9 * base[name] - 1e-3 <= v[name] <= 1.1 * base[name] + 1e-3, name
    assert any(v[n] != base[n] for n in ("r", "alpha", "a", "b"))
    assert v["offer_weeks"] == base["offer_weeks"]
    with pytest.raises(ValueError, match="variant"):
        truth.parameters(variant=-2)


def test_offer_effect_peaks_at_the_lapse_the_truth_names():
    p = truth.parameters()
    lapse = np.array([0.3, p.offer_peak_lapse, 25.0, p.offer_peak_lapse])
    extra, cut = truth.offer_effect(lapse, [True, True, True, False])
    assert extra[1] == pytest.approx(p.offer_peak_rate)
    assert extra[0] < extra[1] / 3 and extra[2] < extra[1] / 10 and extra[3] == 0
    assert cut[1] == pytest.approx(p.offer_dropout_cut) and cut[3] == 0
    regular, _ = truth.offer_effect(lapse[1:2], [True], weekly_rate=[1.0])
    # expected purchases in the offer's weeks, over offer_regular_purchases: exp(-that) as much
    shrink = np.exp(-1.0 * p.offer_weeks / p.offer_regular_purchases)
    assert regular[0] == pytest.approx(p.offer_peak_rate * shrink)


def test_offer_effect_matches_the_answer_key_table():
    # The campaign_effects answer key was written by the simulator from the same rule:
    # the dropout cut depends on the lapse alone; the extra rate is at most the rate
    # of a customer whose regularity is ignored (regulars are moved less, never more).
    eff = load_harbor("campaign_effects")
    assert eff["alive"].any() and (~eff["alive"]).any()
    rate, cut = truth.offer_effect(eff["expected_missed"], eff["alive"])
    np.testing.assert_allclose(cut, eff["true_dropout_cut"], atol=2e-4)
    # (the key rounds the lapse to 4 decimals and the rate to 5, hence the slack)
    assert (eff["true_extra_rate"].to_numpy() <= rate + 2e-5).all()
    assert (eff["true_extra_rate"].to_numpy() < rate - 1e-3).any()
    assert (eff.loc[~eff["alive"], "true_extra_rate"] == 0).all()


def test_goal_gradient_fills_a_card_in_the_same_time():
    g = truth.goal_gradient()
    assert len(g) == 5 and (np.diff(g) >= 0).all()
    assert g[4] / g[0] == pytest.approx(truth.parameters().goal_gradient_top)
    assert 5 / (1 / g).sum() == pytest.approx(1.0)  # harmonic mean 1


def test_lead_chance_follows_source_interest_channel_and_exposure():
    p = truth.parameters()
    one = truth.lead_chance(["enquiry"], ["cafe drinks"], "email", 1)[0]
    # lead_rate_enquiry x enquiry (1) x cafe drinks (0.8) x e-mail (0.35) x first exposure (1)
    assert one == pytest.approx(p.lead_rate_enquiry * 0.8 * 0.35)
    lift = truth.exposure_lift()
    third = truth.lead_chance(["enquiry"], ["cafe drinks"], "email", 3)[0]
    assert third == pytest.approx(one * lift[2])
    assert lift[0] == 1 and lift.argmax() in (2, 3) and lift[-1] < lift.max()
    lift[0] = 99.0  # a copy: the truth is not changed
    assert truth.exposure_lift()[0] == 1.0


def test_organic_signup_weight_grows_and_has_seasons():
    w = truth.organic_signup_weight()
    assert len(w) == 3 * 365 + 1 and w.index.is_monotonic_increasing  # 2024 is a leap year
    assert (w > 0).all()
    december = w[w.index.month == 12].groupby(w.index[w.index.month == 12].year).mean()
    assert december.is_monotonic_increasing  # a growing business
    year = w["2024"]
    assert year[year.index.month == 12].mean() > year[year.index.month == 7].mean()


def test_latent_population_carries_the_true_rates():
    p = truth.parameters()
    twin = truth.latent_population(20_000, seed=3)
    assert twin.index.name == "customer_id" and len(twin) == 20_000
    assert twin.index.is_unique
    assert not {"first_name", "last_name", "signup_day"} & set(twin.columns)
    # Remote buyers' Gamma(r, alpha) order rates and Beta(a, b) dropouts, and everyone's
    # Gamma(q, gamma) spend rates: means r/alpha, a/(a+b), q/gamma.
    remote = twin[twin["true_dropout"].notna()]
    assert (twin.loc[twin["true_dropout"].isna(), "true_remote_rate"] == 0).all()
    lam, nu = remote["true_remote_rate"], twin["true_spend_rate"]
    se_lam = np.sqrt(p.r) / p.alpha / np.sqrt(len(remote))
    assert abs(lam.mean() - p.r / p.alpha) < 4 * se_lam
    assert abs(nu.mean() - p.q / p.gamma) < 4 * np.sqrt(p.q) / p.gamma / np.sqrt(len(twin))
    assert abs(remote["true_dropout"].mean() - p.a / (p.a + p.b)) < 0.01
    total = twin["true_remote_rate"] + twin["true_cafe_rate"]
    np.testing.assert_allclose(twin["true_purchase_rate"], total)
    assert (twin["true_purchase_rate"] > 0).all()  # everyone buys one way or the other
    # Lifestyle drives buying: commuters buy most (in the cafes), occasional treats least,
    # home brewers order beans most.
    by_life = twin.groupby("lifestyle")[["true_purchase_rate", "true_remote_rate"]].mean()
    assert by_life["true_purchase_rate"].idxmax() == "Busy commuter"
    assert by_life["true_purchase_rate"].idxmin() == "Occasional treat"
    assert by_life["true_remote_rate"].idxmax() == "Home brewer"
    pd.testing.assert_frame_equal(twin, truth.latent_population(20_000, seed=3))
    assert not twin.equals(truth.latent_population(20_000, seed=4))
    with pytest.raises(ValueError, match="n == 0, must be >= 1"):
        truth.latent_population(0)


def test_setting_returns_a_copy_and_names_the_choices():
    days = truth.setting("WEEKDAY_FACTOR")
    assert days.shape == (len(truth.setting("LIFESTYLES")), 7)
    days[:] = 0
    assert truth.setting("WEEKDAY_FACTOR").sum() > 0
    assert truth.setting("SILO_SETTINGS")["household_share"] == 0.20
    with pytest.raises(KeyError, match="no story setting 'NOPE'.*'LIFESTYLES'"):
        truth.setting("NOPE")
    with pytest.raises(KeyError):
        truth.setting("HarborTruth")  # the true parameters come from parameters()
