"""One contract for every fitted model of the course (issue 19): the same names after
``fit``, a summary with intervals, a covariance, and saving to plain JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.clv import BetaGeo, GammaGamma
from crmlib.contact import AwarenessModel, awareness_curve
from crmlib.data import load_cdnow
from crmlib.fitting import covariance_from_values
from crmlib.retention import ShiftedBetaGeometric
from crmlib.rfm import btyd_summary

GRPS = np.r_[np.full(6, 150.0), np.zeros(10), np.full(4, 80.0), np.zeros(6)]
AWARE_TRUTH = dict(decay=0.7, base=0.08, ceiling=0.55, k=0.004)


def _awareness(seed=0):
    p = awareness_curve(GRPS, *AWARE_TRUTH.values())
    aware = np.random.default_rng(seed).binomial(1500, p)
    return AwarenessModel().fit(GRPS, aware, np.full(len(GRPS), 1500))


def _fitted():
    s = btyd_summary(load_cdnow("sample"), "1997-09-30")
    rep = s[s["frequency"] > 0]
    return {
        "BetaGeo": BetaGeo().fit(s["frequency"], s["recency"], s["T"]),
        "GammaGamma": GammaGamma().fit(rep["frequency"], rep["monetary_value"]),
        "ShiftedBetaGeometric": ShiftedBetaGeometric().fit(
            [1000, 631, 468, 382, 326, 289, 262, 241]),
        "AwarenessModel": _awareness(),
    }


@pytest.fixture(scope="module")
def models():
    return _fitted()


@pytest.mark.parametrize("name", ["BetaGeo", "GammaGamma", "ShiftedBetaGeometric",
                                  "AwarenessModel"])
def test_every_model_keeps_the_contract(models, name, tmp_path):
    m = models[name]
    names = list(m._param_names)
    assert list(m.params_) == names and all(isinstance(v, float) for v in m.params_.values())
    assert list(m.standard_errors_) == names
    assert list(m.covariance_.index) == list(m.covariance_.columns) == names
    assert np.allclose(np.sqrt(np.diag(m.covariance_)), list(m.standard_errors_.values()))
    assert np.linalg.eigvalsh(m.covariance_.to_numpy()).min() > 0
    assert isinstance(m.loglik_, float) and m.converged_ is True and m.n_obs_ > 0
    table = m.summary()
    assert list(table.columns) == ["estimate", "std_error", "ci_95_low", "ci_95_high"]
    assert (table["ci_95_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["ci_95_high"]).all()
    assert table.attrs == {}
    back = type(m).from_json(m.to_json(tmp_path / "model.json"))
    pd.testing.assert_frame_equal(back.summary(), table)
    assert (back.loglik_, back.n_obs_, back.converged_) == (m.loglik_, m.n_obs_, m.converged_)


def test_share_intervals_stay_between_zero_and_one(models):
    table = models["AwarenessModel"].summary()
    shares = table.loc[["decay", "base", "ceiling"]]
    assert (shares["ci_95_low"] > 0).all() and (shares["ci_95_high"] < 1).all()


def test_the_two_ways_to_a_covariance_agree():
    """sBG's covariance from its analytic gradient equals the one from log-likelihood
    values (the way the awareness model, fitted without gradients, gets its own)."""
    m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    lost = -np.diff([1000, 631, 468, 382, 326, 289, 262, 241])
    durations = np.append(np.repeat(np.arange(1, 8), lost), np.full(241, 7))
    censored = np.append(np.zeros(lost.sum(), bool), np.ones(241, bool))
    m2 = ShiftedBetaGeometric().fit_durations(durations, censored)
    assert m2.params_ == pytest.approx(m.params_, rel=1e-6)

    from scipy import special

    t = np.append(np.arange(1, 8), 7.0)
    w = np.append(lost, 241).astype(float)
    cens = np.append(np.zeros(7, bool), True)

    def neg_value(z):
        a, b = np.exp(z)
        lb = special.betaln(a, b)
        lp = special.betaln(a + 1, b + t - 1) - lb
        ls = special.betaln(a, b + t) - lb
        return -np.dot(w, np.where(cens, ls, lp))

    z = np.log([m.params_["alpha"], m.params_["beta"]])
    by_values = covariance_from_values(neg_value, z, np.diag(np.exp(z)))
    assert by_values == pytest.approx(m.covariance_.to_numpy(), rel=1e-3)


@pytest.mark.slow  # 40 fits
def test_awareness_standard_errors_match_the_spread_of_refits():
    """The delta-method standard error of the decay is within 35% of the spread of the
    estimates over 40 fresh surveys drawn from the truth (a parametric bootstrap)."""
    decays = [_awareness(seed).params_["decay"] for seed in range(1, 41)]
    se = _awareness(0).standard_errors_["decay"]
    assert se == pytest.approx(np.std(decays, ddof=1), rel=0.35)
    assert abs(np.mean(decays) - AWARE_TRUTH["decay"]) < 3 * se


def test_a_broken_model_file_is_a_course_error_naming_it(models, tmp_path):
    from crmlib.errors import ArgumentError

    path = models["BetaGeo"].to_json(tmp_path / "bg.json")
    text = path.read_text().replace('"covariance"', '"covariances"')
    path.write_text(text)
    with pytest.raises(ArgumentError, match=r"bg\.json: a saved model without \['covariance'\]"):
        BetaGeo.from_json(path)
