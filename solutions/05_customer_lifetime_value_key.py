"""Answer key of workbook 05, customer lifetime value (BG/NBD, P(alive), Gamma-Gamma, CLV).

Every reference is computed from the student's data variant when the grader
asks for it. As in lesson 05, the models are fitted to the remote orders (web
and phone, ``channel != "cafe"``): that part of Harbor Coffee's business
follows BG/NBD, cafe visits do not; spend is the goods' value (the amount less
the shipping fee). The per-customer summary is built here by hand from the
order log (every row a purchase, as ``merge_same_day=False`` counts them), not with
``crmlib.rfm.btyd_summary``, and P(alive) comes from the closed form of Fader,
Hardie and Lee (2005, eq. 13) rather than from ``BetaGeo.p_alive``. The fits
themselves use ``crmlib.clv`` (there is one maximum of the likelihood), once per
variant: the loads and fits are cached.
"""

from functools import lru_cache

import numpy as np
import pandas as pd

from crmlib.clv import BetaGeo, GammaGamma
from crmlib.data import load_harbor
from crmlib.exercises import Choice, Number, Written
from crmlib.truth import parameters

TITLE = "Customer lifetime value: BG/NBD, P(alive), Gamma-Gamma and CLV on Harbor Coffee"
CAL_END = pd.Timestamp("2024-02-29")
WEEK = 7.0


@lru_cache(maxsize=4)
def _summary(variant) -> pd.DataFrame:
    """x, t_x, T (weeks) and mean repeat goods value of everyone who ordered remotely by CAL_END."""
    tx = load_harbor("purchases", variant=variant)
    tx = tx[(tx["channel"] != "cafe") & (tx["date"] <= CAL_END)]
    tx = tx.assign(amount=tx["amount"] - tx["shipping"]).sort_values(
        ["customer_id", "date", "order_id"])
    by = tx.groupby("customer_id")
    first, last = by["date"].min(), by["date"].max()
    out = pd.DataFrame({
        "x": by.size() - 1.0,
        "t_x": (last - first).dt.days / WEEK,
        "T": (CAL_END - first).dt.days / WEEK,
    })
    # Mean goods value of the repeat orders: every order after the first row.
    repeat = tx[by.cumcount() > 0]
    out["m"] = repeat.groupby("customer_id")["amount"].mean().reindex(out.index).fillna(0.0)
    return out


@lru_cache(maxsize=4)
def _bgnbd(variant) -> BetaGeo:
    s = _summary(variant)
    return BetaGeo().fit(s["x"], s["t_x"], s["T"])


@lru_cache(maxsize=4)
def _gamma_gamma(variant) -> GammaGamma:
    s = _summary(variant)
    rep = s[(s["x"] > 0) & (s["m"] > 0)]
    return GammaGamma().fit(rep["x"], rep["m"])


@lru_cache(maxsize=4)
def _merged_summary(variant) -> pd.DataFrame:
    """The summary as btyd_summary's default gives it (merge_same_day=True: orders on
    the same day count once), the mistake q1 and q2 warn of."""
    tx = load_harbor("purchases", variant=variant)
    tx = tx[(tx["channel"] != "cafe") & (tx["date"] <= CAL_END)]
    days = tx.drop_duplicates(["customer_id", "date"])
    by = days.groupby("customer_id")["date"]
    first, last = by.min(), by.max()
    return pd.DataFrame({"x": by.size() - 1.0, "t_x": (last - first).dt.days / WEEK,
                         "T": (CAL_END - first).dt.days / WEEK})


def no_repeat_share_merged(variant):
    return float((_merged_summary(variant)["x"] == 0).mean())


def alpha_estimate_merged(variant):
    s = _merged_summary(variant)
    return BetaGeo().fit(s["x"], s["t_x"], s["T"]).params_["alpha"]


MERGED = ("orders on the same day were counted once (btyd_summary's default, "
          "merge_same_day=True); this question counts every order: merge_same_day=False")


def no_repeat_share(variant):
    return float((_summary(variant)["x"] == 0).mean())


def alpha_estimate(variant):
    return _bgnbd(variant).params_["alpha"]


def alpha_distance(variant):
    m = _bgnbd(variant)
    z = abs(m.params_["alpha"] - parameters(variant)["alpha"]) / m.standard_errors_["alpha"]
    return 0 if z < 2 else (1 if z < 3 else 2)


def p_alive_first_repeater(variant):
    """P(alive) of the repeat buyer with the smallest customer id."""
    p = _bgnbd(variant).params_
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    s = _summary(variant)
    x, t_x, T = s[s["x"] > 0].iloc[0][["x", "t_x", "T"]]
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return float(1 / (1 + odds))


def expected_next_52(variant):
    s = _summary(variant)
    return float(_bgnbd(variant).expected_purchases(52, s["x"], s["t_x"], s["T"]).sum())


def actual_next_52(variant):
    """Remote orders the calibration customers made in the 52 weeks after it."""
    tx = load_harbor("purchases", variant=variant)
    remote = tx[tx["channel"] != "cafe"]
    calibration = set(remote.loc[remote["date"] <= CAL_END, "customer_id"])
    after = remote[(remote["date"] > CAL_END) & (remote["date"] <= "2025-02-27")]
    return int(after["customer_id"].isin(calibration).sum())


def forecast_gap_option(variant):
    """q7: (c) when the customers beat the forecast, as on most students' data; (e) when
    they did not (about 1 student in 200)."""
    return 2 if actual_next_52(variant) > expected_next_52(variant) else 4


def budget_guide(variant):
    """What a marker looks for in q8, with this student's own numbers."""
    truth = parameters(variant)
    return (f"Your data: the fit recovered alpha near its true {truth['alpha']:.2f} on the "
            f"calibration period, yet the customers made more remote orders in the next 52 "
            f"weeks than the forecast of {expected_next_52(variant):,.0f}. A good answer (1) "
            "names the broken assumption: purchase and dropout rates stop being fixed when "
            "retention campaigns run (March 2024 on); (2) says what to do before using CLV to "
            "allocate a budget: check the forecast against a holdout period, refit on a "
            "period without such changes or model them, and compare the ranking's top decile "
            "with what those customers did; (3) notes that a model that fits the past is not "
            "evidence that spending on a segment causes value (that needs a randomised test). "
            "Full marks need (1) and (2) with numbers; (3) or a precise holdout plan for the "
            "rest.")


def top_decile_share(variant):
    """Share of 156-week CLV (10% a year) in the top tenth, summed week by week."""
    s = _summary(variant)
    m, g = _bgnbd(variant), _gamma_gamma(variant)
    p, q, gam = g.params_["p"], g.params_["q"], g.params_["gamma"]
    spend = p * (gam + s["m"] * s["x"]) / (p * s["x"] + q - 1)  # Gamma-Gamma's expectation
    weeks = np.arange(0, 157)
    cum = np.column_stack([np.zeros(len(s))] + [
        np.asarray(m.expected_purchases(float(w), s["x"], s["t_x"], s["T"])) for w in weeks[1:]])
    discount = 1.10 ** (-weeks[1:] / 52)  # (1 + weekly rate) ** -w with 1.10 a year
    value = (np.diff(cum, axis=1) * discount).sum(axis=1) * spend.to_numpy()
    value = np.sort(value)[::-1]
    return float(value[: len(value) // 10].sum() / value.sum())


QUESTIONS = [
    Number("q1", reference=no_repeat_share, points=1, tol=0.001, percent=True,
           mistakes={MERGED: no_repeat_share_merged},
           prompt="What share of the customers who ordered from the web shop or by phone by 29 "
                  "February 2024 had made no repeat remote order by then (every order counted, "
                  "merge_same_day=False)?",
           hint="btyd_summary(remote orders up to 2024-02-29, '2024-02-29', "
                "merge_same_day=False), then the share of rows with frequency 0.",
           solution="summary = btyd_summary(calibration, '2024-02-29', merge_same_day=False); "
                    "(summary['frequency'] == 0).mean()"),
    Number("q2", reference=alpha_estimate, points=2, rel=0.005,
           mistakes={MERGED: alpha_estimate_merged},
           prompt="Fit BG/NBD to that summary. What is the estimate of alpha (within 0.5%)?",
           hint="BetaGeo().fit(frequency, recency, T) on the summary of q1, built with "
                "merge_same_day=False (btyd_summary's default merges same-day orders and "
                "gives an alpha about 10% higher); the estimates are in params_.",
           solution="bg = BetaGeo().fit(summary['frequency'], summary['recency'], summary['T']); "
                    "bg.params_['alpha']"),
    Choice("q3", reference=alpha_distance, points=1,
           options=["less than 2 standard errors", "between 2 and 3 standard errors",
                    "more than 3 standard errors"],
           prompt="How far is your estimate of alpha from your variant's true alpha "
                  "(crmlib.truth.parameters(variant)), in standard errors?",
           hint="(estimate - truth) / standard error, with the standard error from "
                "bg.standard_errors_ and the truth from crmlib.truth.parameters.",
           solution="z = (bg.params_['alpha'] - parameters(wb.variant)['alpha']) / "
                    "bg.standard_errors_['alpha']; compare |z| with 2 and 3."),
    Number("q4", reference=p_alive_first_repeater, points=1, tol=0.005,
           prompt="What is the P(alive) on 29 February 2024 of the first repeat buyer in your "
                  "summary, the customer with the smallest id among those with at least one "
                  "repeat order (within 0.005)?",
           hint="bg.p_alive(frequency, recency, T) gives a Series on the customers' index; "
                "summary[summary['frequency'] > 0].index[0] is the customer.",
           solution="first = summary[summary['frequency'] > 0].index[0]; bg.p_alive("
                    "summary['frequency'], summary['recency'], summary['T']).loc[first]"),
    Number("q5", reference=expected_next_52, points=1, rel=0.005,
           prompt="How many remote orders does the model expect these customers to make, in "
                  "total, in the 52 weeks after 29 February 2024 (within 0.5%)?",
           hint="bg.expected_purchases(52, frequency, recency, T), summed over customers.",
           solution="bg.expected_purchases(52, summary['frequency'], summary['recency'], "
                    "summary['T']).sum()"),
    Number("q6", reference=top_decile_share, points=2, tol=0.005, percent=True,
           prompt="With Gamma-Gamma fitted to the repeat buyers' goods values (amount less "
                  "shipping; positive mean spend), what "
                  "share of the customers' total three-year CLV (156 weeks, 10% a year) do the "
                  "top 10% of customers hold (within half a percentage point)?",
           hint="GammaGamma().fit on rows with frequency > 0 and monetary_value > 0; "
                "customer_lifetime_value(..., horizon=156, discount=1.10 ** (1 / 52) - 1); "
                "the top tenth is the len(clv) // 10 largest values.",
           solution="clv = customer_lifetime_value(bg, gg, frequency, recency, T, "
                    "monetary_value, horizon=156, discount=1.10 ** (1 / 52) - 1); "
                    "clv.nlargest(len(clv) // 10).sum() / clv.sum()"),
    Choice("q7", reference=forecast_gap_option, points=1,
           options=["The fit is biased: it did not recover the true parameters.",
                    "Counting same-day orders separately inflates the actual count.",
                    "More orders than forecast: the retention campaigns from March 2024 "
                    "changed purchase rates and dropout after the calibration period.",
                    "The forecast counts purchases, the actual count is in dollars.",
                    "No more orders than forecast: on these data the campaigns' extra orders "
                    "are smaller than the forecast's own error."],
           prompt="Count the remote orders these customers actually made in the 52 weeks after "
                  "29 February 2024 and compare them with your q5 forecast. Which statement "
                  "fits your data and what lesson 05 showed?",
           hint="Compare the two numbers first; then ask what happened at Harbor Coffee after "
                "February 2024, and what BG/NBD assumes about purchase rates.",
           solution="BG/NBD assumes fixed rates; the campaigns (March 2024 on) added orders "
                    "and cut dropout after calibration, so the forecast usually falls behind "
                    "(option c). On a few students' data the extra orders are smaller than the "
                    "forecast's own error and the forecast is not beaten (option e). Either "
                    "way the fit itself recovered the truth within its sampling error (q3)."),
    Written("q8", reference=budget_guide, points=2, min_words=40, max_words=200,
            prompt="Your director wants to split next year's retention budget by the CLV your "
                   "model gives each customer. In three to six sentences, using q3, q5 and "
                   "q7: what would you check before doing so, and why? A person marks this "
                   "answer.",
            hint="Which assumption of the model did Harbor break after the calibration "
                 "period, and what shows a forecast is good enough to act on?",
            solution="The model assumes fixed rates, which the campaigns broke, so the "
                     "forecast fell behind (q7) though the fit recovered the truth (q3): check "
                     "any CLV ranking on a holdout period, refit or model the change, and "
                     "test whether spending on a segment pays with a randomised comparison."),
]
