"""BG/NBD and Gamma-Gamma: edge cases, bad input, recovery of Harbor Coffee's truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from crmlib.clv import (
    BetaGeo,
    GammaGamma,
    customer_equity,
    customer_lifetime_value,
    expected_cohort_purchases,
)
from crmlib.data import load_cdnow, load_harbor
from crmlib.rfm import btyd_summary
from crmlib.truth import parameters


@pytest.fixture(scope="module")
def cdnow():
    s = btyd_summary(load_cdnow("sample"), "1997-09-30")
    m = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
    rep = s[s["frequency"] > 0]
    g = GammaGamma().fit(rep["frequency"], rep["monetary_value"])
    return s, m, g


def test_analytic_gradient_matches_finite_differences(cdnow):
    s, m, _ = cdnow
    x, t_x, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    w = np.ones(len(x))
    theta = np.log([0.5, 3.0, 1.2, 2.0])
    _, grad = m._neg_loglik(theta, x, t_x, T, w)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6
        numeric = (
            m._neg_loglik(theta + step, x, t_x, T, w)[0]
            - m._neg_loglik(theta - step, x, t_x, T, w)[0]
        ) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5)


def test_gamma_gamma_gradient_matches_finite_differences(cdnow):
    s, _, g = cdnow
    rep = s[s["frequency"] > 0]
    x, mv = rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy()
    w = np.ones(len(x))
    theta = np.log([3.0, 2.0, 10.0])
    _, grad = g._neg_loglik(theta, x, mv, w)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6
        numeric = (
            g._neg_loglik(theta + step, x, mv, w)[0] - g._neg_loglik(theta - step, x, mv, w)[0]
        ) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5)


def test_fit_on_unique_rows_equals_full_likelihood(cdnow):
    s, m, _ = cdnow
    assert m.loglik(s["frequency"], s["recency"], s["T"]).sum() == pytest.approx(m.loglik_)


@pytest.mark.parametrize(
    "x, t_x, T",
    [
        (0, 0.0, 38.86),  # never came back
        (2, 38.86, 38.86),  # bought on the last day: recency = T
        (5000, 38.0, 38.86),  # absurdly frequent
        (5000, 38.86, 38.86),
        (1, 1e-9, 1e-9),  # brand new
    ],
)
def test_edge_cases_give_numbers_without_warnings(cdnow, x, t_x, T):
    _, m, g = cdnow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = m.loglik(x, t_x, T)
        e = m.expected_purchases(39, x, t_x, T)
        pa = m.p_alive(x, t_x, T)
        spend = g.expected_spend(x, 25.0)
    for v in (ll, e, pa, spend):
        assert np.isfinite(v).all()
    assert 0 <= pa[0] <= 1 and e[0] >= 0


def test_recency_equal_t_means_alive(cdnow):
    _, m, _ = cdnow
    assert m.p_alive(3, 20.0, 20.0)[0] > m.p_alive(3, 10.0, 20.0)[0]
    assert m.p_alive(0, 0, 50.0)[0] == 1.0


def test_a_single_customer_can_be_fitted_with_a_warning():
    with pytest.warns(ConvergenceWarning, match="bound"):  # four parameters, one customer
        m = BetaGeo().fit([2], [10.0], [20.0])
    assert not m.converged_
    assert all(np.isfinite(v) and v > 0 for v in m.params_.values())
    assert np.isfinite(m.loglik_)
    with pytest.warns(ConvergenceWarning, match="too few data"):  # three parameters, one mean
        g = GammaGamma().fit([3], [12.0])
    assert np.isfinite(g.loglik_) and not g.converged_


def test_expected_purchases_grow_with_horizon_and_frequency(cdnow):
    _, m, _ = cdnow
    assert (
        m.expected_purchases(78, 2, 30.43, 38.86)[0] > m.expected_purchases(39, 2, 30.43, 38.86)[0]
    )
    e = m.expected_purchases(39, [1, 3, 6], [30.0, 30.0, 30.0], [38.86] * 3)
    assert np.all(np.diff(e) > 0)


def test_gamma_gamma_shrinks_towards_the_mean(cdnow):
    _, _, g = cdnow
    mean = g.mean_spend()
    few, many = g.expected_spend([1, 50], [100.0, 100.0])
    assert mean < few < many < 100.0
    assert g.expected_spend([0], [0.0])[0] == pytest.approx(mean)


@pytest.mark.parametrize(
    "args, message",
    [
        (([-1], [0.0], [5.0]), "frequency must be non-negative"),
        (([1], [6.0], [5.0]), "recency must not exceed T"),
        (([1], [np.nan], [5.0]), "recency contains NaN"),
        (([], [], []), "frequency is empty"),
        (([1.5], [1.0], [5.0]), "whole numbers"),
        (([0], [2.0], [5.0]), "recency must be 0"),
        (([1, 2], [1.0], [5.0, 6.0, 7.0]), "same length"),
    ],
)
def test_bgnbd_bad_input_names_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        BetaGeo().fit(*args)


@pytest.mark.parametrize(
    "args, message",
    [
        (([0, 2], [10.0, 12.0]), "frequency must be positive"),
        (([1, 2], [10.0, -1.0]), "monetary_value must be positive"),
        (([1, 2], [10.0]), "same length"),
    ],
)
def test_gamma_gamma_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        GammaGamma().fit(*args)


def test_predicting_before_fitting_is_a_clear_error():
    with pytest.raises(NotFittedError, match="BetaGeo instance is not fitted"):
        BetaGeo().p_alive([1], [1.0], [2.0])
    with pytest.raises(NotFittedError, match="GammaGamma instance is not fitted"):
        GammaGamma().expected_spend([1], [1.0])


def test_customer_lifetime_value(cdnow):
    s, m, g = cdnow
    clv = customer_lifetime_value(
        m,
        g,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        horizon=52,
        discount=0.01,
        margin_share=0.3,
    )
    assert clv.shape == (len(s),) and np.isfinite(clv).all() and (clv >= 0).all()
    undiscounted = customer_lifetime_value(
        m, g, s["frequency"], s["recency"], s["T"], s["monetary_value"], horizon=52, discount=0.0
    )
    expected = m.expected_purchases(52, s["frequency"], s["recency"], s["T"]) * g.expected_spend(
        s["frequency"], s["monetary_value"]
    )
    np.testing.assert_allclose(undiscounted, expected, rtol=1e-10)
    assert (clv < 0.3 * undiscounted + 1e-12).all()
    with pytest.raises(ValueError, match="discount"):
        customer_lifetime_value(m, g, [1], [1.0], [2.0], [10.0], discount=1.5)


@pytest.mark.parametrize("variant", [None, pytest.param(3, marks=pytest.mark.slow)])
def test_fitting_harbor_recovers_the_true_parameters(variant):
    # Before the first retention campaign (March 2024) and the 2025 media push,
    # Harbor Coffee's remote orders (web shop and phone line; cafe visits are a process
    # of their own) are the BG/NBD process with these parameters (the season's rhythm
    # averages out). The fit is maximum likelihood on ~3,300 customers, so each estimate
    # is off by sampling error only: we accept 3 asymptotic standard errors (observed
    # information), a 99.7% band per parameter. Same-day orders are separate purchases.
    truth = parameters(variant)
    tx = load_harbor("purchases", variant=variant)
    tx = tx[tx["channel"] != "cafe"]
    s = btyd_summary(tx[tx["date"] <= "2024-02-29"], "2024-02-29", merge_same_day=False)
    m = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
    for name in ("r", "alpha", "a", "b"):
        assert abs(m.params_[name] - truth[name]) < 3 * m.standard_errors_[name], name
    # The standard errors are small enough for this to mean something.
    assert m.standard_errors_["r"] < 0.1 * truth["r"]



def _clv_by_hand(m, g, s, horizon, step, rate, margin=1.0):
    """Discounted CLV from cumulative expected purchases at the ends of the steps."""
    ends = list(range(step, horizon + 1, step))
    if ends[-1] != horizon:
        ends.append(horizon)  # the last, shorter step
    args = (s["frequency"], s["recency"], s["T"])
    total, prev = 0.0, 0.0
    for t in ends:
        cum = m.expected_purchases(t, *args)
        total = total + (cum - prev) / (1 + rate) ** t
        prev = cum
    return total * g.expected_spend(s["frequency"], s["monetary_value"]) * margin


def test_clv_counts_the_tail_when_step_does_not_divide_horizon(cdnow):
    s, m, g = cdnow
    args = (s["frequency"], s["recency"], s["T"], s["monetary_value"])
    # Undiscounted, any step must give 52 weeks of expected purchases times spend.
    whole = m.expected_purchases(52, s["frequency"], s["recency"], s["T"]) * g.expected_spend(
        s["frequency"], s["monetary_value"]
    )
    clv = customer_lifetime_value(m, g, *args, horizon=52, step=5, discount=0.0)
    np.testing.assert_allclose(clv, whole, rtol=1e-10)


@pytest.mark.parametrize("step", [1, 4, 5, 52])
def test_clv_with_discounting_and_steps(cdnow, step):
    s, m, g = cdnow
    args = (s["frequency"], s["recency"], s["T"], s["monetary_value"])
    clv = customer_lifetime_value(
        m, g, *args, horizon=52, step=step, discount=0.01, margin_share=0.3
    )
    np.testing.assert_allclose(clv, _clv_by_hand(m, g, s, 52, step, 0.01, 0.3), rtol=1e-10)


def _no_dropout_sample(n=3000, seed=1):
    """Customers who buy at a Poisson rate for ever: nobody drops out."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(20, 52, n)
    lam = rng.gamma(2.0, 0.25, n)
    x = rng.poisson(lam * T)
    # Given x purchases in (0, T], the last is the largest of x uniforms.
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return x.astype(float), t_x, T


def test_fit_without_dropout_warns_and_gives_no_standard_error():
    x, t_x, T = _no_dropout_sample()
    with pytest.warns(ConvergenceWarning, match="bound"):
        m = BetaGeo().fit(x, t_x, T)
    # b runs to its upper bound: its standard error is not known, not zero.
    assert np.isnan(m.standard_errors_["b"])
    assert all(v != 0.0 for v in m.standard_errors_.values())


def test_fit_on_one_time_buyers_warns_and_still_predicts():
    T = np.linspace(5.0, 50.0, 200)
    with pytest.warns(ConvergenceWarning):
        m = BetaGeo().fit(np.zeros_like(T), np.zeros_like(T), T)
    assert all(np.isnan(v) for v in m.standard_errors_.values())
    # a is not identified and may sit at 1, where the closed forms divide by a - 1.
    m.params_ = {**m.params_, "a": 1.0}
    e = m.expected_purchases_new(10.0)
    c = m.expected_purchases(10.0, [1.0], [2.0], [5.0])
    near = BetaGeo()
    for da in (1e-4, -1e-4):
        near.params_ = {**m.params_, "a": 1.0 + da}
        assert e == pytest.approx(near.expected_purchases_new(10.0), rel=1e-3)
        assert c[0] == pytest.approx(
            near.expected_purchases(10.0, [1.0], [2.0], [5.0])[0], rel=1e-3
        )


def test_a_healthy_fit_does_not_warn(cdnow):
    s, _, _ = cdnow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
        rep = s[s["frequency"] > 0]
        g = GammaGamma().fit(rep["frequency"], rep["monetary_value"])
    assert m.converged_ and g.converged_
    assert all(np.isfinite(v) and v > 0 for v in m.standard_errors_.values())


def test_series_in_series_out_on_the_customers_index(cdnow):
    s, m, g = cdnow
    s = s.iloc[:50]
    e = m.expected_purchases(10, s["frequency"], s["recency"], s["T"])
    assert isinstance(e, pd.Series) and e.index.equals(s.index)
    np.testing.assert_allclose(
        e.to_numpy(),
        m.expected_purchases(
            10, s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()
        ),
    )
    assert m.p_alive(s["frequency"], s["recency"], s["T"]).index.equals(s.index)
    clv = customer_lifetime_value(
        m, g, s["frequency"], s["recency"], s["T"], s["monetary_value"], horizon=10
    )
    assert isinstance(clv, pd.Series) and clv.index.equals(s.index)


def test_summary_table(cdnow):
    _, m, _ = cdnow
    table = m.summary()
    assert list(table.index) == ["r", "alpha", "a", "b"]
    for name, row in table.iterrows():
        assert row["estimate"] == m.params_[name]
        assert row["std_error"] == m.standard_errors_[name]
        # The interval is symmetric in logs: its geometric mean is the estimate, and its
        # half-width in logs is 1.96 standard errors of log(parameter) (se / estimate).
        assert np.sqrt(row["ci_95_low"] * row["ci_95_high"]) == pytest.approx(row["estimate"])
        assert np.log(row["ci_95_high"] / row["estimate"]) == pytest.approx(
            1.96 * row["std_error"] / row["estimate"], rel=1e-3
        )
    # The fit's facts are attributes (pandas drops a table's attrs on concat and merge).
    assert table.attrs == {}
    assert (m.n_obs_, m.n_customers_, m.converged_) == (2357, 2357, True)


# --------------------------------------------------------------------------- the model contract
def test_covariance_holds_the_standard_errors_and_is_a_proper_covariance(cdnow):
    _, m, g = cdnow
    for model in (m, g):
        cov = model.covariance_
        assert list(cov.index) == list(cov.columns) == list(model.params_)
        assert np.allclose(np.sqrt(np.diag(cov)), list(model.standard_errors_.values()))
        assert np.allclose(cov, cov.T)
        assert np.linalg.eigvalsh(cov.to_numpy()).min() > 0
    # BG/NBD's r and alpha move together (a faster rate with more heterogeneity fits
    # alike): a strong positive correlation, as Fader, Hardie and Lee's fit shows.
    corr = m.covariance_.loc["r", "alpha"] / np.sqrt(
        m.covariance_.loc["r", "r"] * m.covariance_.loc["alpha", "alpha"])
    assert corr > 0.5


def test_weighted_fit_on_aggregated_rows_equals_the_fit_on_customers(cdnow):
    s, m, g = cdnow
    rows = s.groupby(["frequency", "recency", "T"]).size().rename("n").reset_index()
    assert (rows["n"] > 1).any() and len(rows) < len(s)
    w = BetaGeo().fit(rows["frequency"], rows["recency"], rows["T"], weights=rows["n"])
    for name, value in m.params_.items():
        assert w.params_[name] == pytest.approx(value, rel=1e-6)
    assert w.loglik_ == pytest.approx(m.loglik_, rel=1e-9)
    assert w.n_obs_ == len(s)
    rep = s[s["frequency"] > 0]
    grouped = rep.groupby(["frequency", "monetary_value"]).size().rename("n").reset_index()
    gw = GammaGamma().fit(grouped["frequency"], grouped["monetary_value"], weights=grouped["n"])
    for name, value in g.params_.items():
        assert gw.params_[name] == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize("weights, error, message", [
    ([1.0, 2.0], ValueError, "weights has 2 values"),
    ("same", TypeError, "weights must be numbers"),
    (-1.0, ValueError, "weights must be positive")])
def test_bad_weights_are_refused(cdnow, weights, error, message):
    s, _, _ = cdnow
    with pytest.raises(error, match=message):
        w = np.full(len(s), weights) if isinstance(weights, float) else weights
        BetaGeo().fit(s["frequency"], s["recency"], s["T"], weights=w)


def test_save_and_load_give_the_same_model(cdnow, tmp_path):
    s, m, g = cdnow
    for model in (m, g):
        path = model.to_json(tmp_path / f"{type(model).__name__}.json")
        back = type(model).from_json(path)
        assert back.params_ == model.params_ and back.loglik_ == model.loglik_
        pd.testing.assert_frame_equal(back.summary(), model.summary())
        pd.testing.assert_frame_equal(back.covariance_, model.covariance_)
        assert back.get_params() == model.get_params()
    back = BetaGeo.from_json(tmp_path / "BetaGeo.json")
    assert np.allclose(back.p_alive(s["frequency"], s["recency"], s["T"]),
                       m.p_alive(s["frequency"], s["recency"], s["T"]))
    text = (tmp_path / "BetaGeo.json").read_text()
    assert "pickle" not in text and text.lstrip().startswith("{")


def test_loading_the_wrong_file_names_it(cdnow, tmp_path):
    _, m, _ = cdnow
    path = m.to_json(tmp_path / "bg.json")
    with pytest.raises(ValueError, match=r"bg\.json: holds a BetaGeo model, not a GammaGamma"):
        GammaGamma.from_json(path)
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    with pytest.raises(ValueError, match=r"junk\.json: not a saved model"):
        BetaGeo.from_json(junk)


def test_nan_standard_errors_survive_saving(tmp_path):
    x, t_x, T = _no_dropout_sample()
    with pytest.warns(ConvergenceWarning):
        m = BetaGeo().fit(x, t_x, T)
    back = BetaGeo.from_json(m.to_json(tmp_path / "m.json"))
    assert np.isnan(list(back.standard_errors_.values())).sum() == np.isnan(
        list(m.standard_errors_.values())).sum() > 0
    assert back.converged_ is False


def test_probability_of_purchases_matches_r_btyd():
    """Values from R's BTYD package (bgnbd.pmf) for Fader, Hardie and Lee's CDNOW fit, as
    lifetimes' own test quotes them."""
    m = BetaGeo()
    m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert m.probability_of_purchases(2, 10) == pytest.approx(1.07869e-07, abs=1e-11)
    assert m.probability_of_purchases(39, 0) == pytest.approx(0.5737864, abs=1e-7)
    pmf = [0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
           0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260]
    assert m.probability_of_purchases(30, np.arange(11, 21)) == pytest.approx(pmf, abs=1e-9)


def test_probability_of_purchases_is_a_distribution_with_the_models_mean(cdnow):
    _, m, _ = cdnow
    n = np.arange(3000)
    for t in (1.0, 39.0, 78.0):
        pmf = m.probability_of_purchases(t, n)
        assert (pmf >= 0).all() and pmf.sum() == pytest.approx(1, abs=1e-9)
        assert (n * pmf).sum() == pytest.approx(m.expected_purchases_new(t), rel=1e-6)


# --------------------------------------------------------------------------- cohorts, equity
def test_cohort_forecast_is_the_sum_of_each_customers_curve(cdnow):
    s, m, _ = cdnow
    rng = np.random.default_rng(5)
    birth = rng.choice([0.0, 1.0, 2.5, 7.0], size=40)
    t = np.array([0.5, 3.0, 20.0, 78.0])
    out = expected_cohort_purchases(m, birth, t)
    # Brute force: one customer at a time, zero before they join.
    by_hand = [sum(m.expected_purchases_new(tt - b) if tt > b else 0.0 for b in birth) for tt in t]
    np.testing.assert_allclose(out, by_hand, rtol=1e-12)
    assert out[0] == pytest.approx((birth < 0.5).sum() * m.expected_purchases_new(0.5 - 0.0))


def test_cohort_forecast_over_the_cdnow_holdout(cdnow):
    # Every CDNOW customer's first purchase lies 39 weeks minus T before the calibration
    # end, so the cohort's forecast for weeks 39..78 on the common clock must equal the
    # sum of each customer's E[X(T + 39)] - E[X(T)] (FHL 2005's aggregate forecast).
    s, m, _ = cdnow
    T = s["T"].to_numpy()
    birth = 39 - T + (T.max() - 39).clip(min=0)  # on a clock that starts at the first join
    end = 39 + (T.max() - 39).clip(min=0)
    total = expected_cohort_purchases(m, birth, [end, end + 39])
    expected = np.sum(m.expected_purchases_new(T + 39) - m.expected_purchases_new(T))
    assert total[1] - total[0] == pytest.approx(expected, rel=1e-9)


def test_customer_equity_matches_the_annuity_formula():
    d, n, v, c, k = 0.02, 120.0, 55.0, 15.0, 60
    ce = customer_equity([10.0, 20.0, 30.0], v, n, k, d, acquisition_cost=c)
    annuity = (1 - (1 + d) ** -k) / d  # sum of 1 / (1 + d)^j for j = 1..k
    assert ce["future"] == pytest.approx(n * (v - c) * annuity)
    assert ce["current"] == 60.0 and ce["total"] == pytest.approx(60.0 + ce["future"])
    assert customer_equity([1.0], v, n, 0, d)["future"] == 0.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"discount": 1.0}, "discount"),
        ({"periods": -1}, "periods"),
        ({"new_per_period": -5.0}, "new_per_period"),
        ({"acquisition_cost": -1.0}, "acquisition_cost"),
    ],
)
def test_customer_equity_bad_input(kwargs, message):
    args = {"current_value": [1.0], "new_customer_value": 5.0, "new_per_period": 3.0,
            "periods": 4, "discount": 0.01} | kwargs
    with pytest.raises(ValueError, match=message):
        customer_equity(**args)


def test_a_brand_new_customers_clv_is_the_unconditional_forecast(cdnow):
    # x = t_x = T = 0 is a customer who has just made their first purchase: their
    # conditional forecast is E[X(t)] and their spend the population mean.
    _, m, g = cdnow
    clv = customer_lifetime_value(m, g, [0], [0.0], [0.0], [0.0], horizon=30, discount=0.01)
    e = m.expected_purchases_new(np.arange(0, 31, dtype=float))
    by_hand = np.sum(np.diff(e) / 1.01 ** np.arange(1, 31)) * g.mean_spend()
    assert clv[0] == pytest.approx(by_hand, rel=1e-9)


def test_a_search_stopped_short_by_a_loose_tolerance_is_not_converged(cdnow):
    """lifetimes' tests pass tol=1e-6 meaning a gradient tolerance; as crmlib's relative
    change of the log-likelihood it stops the search early, and the fit must say so."""
    s, m, _ = cdnow
    with pytest.warns(ConvergenceWarning, match="stopped about .* below"):
        loose = BetaGeo(tol=1e-6).fit(s["frequency"], s["recency"], s["T"])
    assert loose.loglik_ < m.loglik_ - 1e-3 and loose.converged_ is False
    assert m.converged_ is True
