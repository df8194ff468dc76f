"""Answer key of workbook 02, retention economics.

Every reference is computed from the student's data variant when the grader
asks for it, with code written independently of the worked solutions: the
solutions use ``crmlib.retention``; the key counts with pandas and fits the
censored sBG likelihood with its own Nelder-Mead search. The variant's tables
are loaded once per variant (``lru_cache``); the sBG fit runs once per variant.
"""

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize, special

from crmlib.data import load_harbor
from crmlib.exercises import Choice, Number

TITLE = "Retention economics: censoring, cohorts and the sBG model"
END = pd.Timestamp("2025-12-31")  # last day of the data, in every variant


@lru_cache(maxsize=4)
def _purchases(variant):
    return load_harbor("purchases", variant=variant)


@lru_cache(maxsize=4)
def _subscriptions(variant):
    return load_harbor("subscriptions", variant=variant)


def _months(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Calendar months from start to end."""
    return ((end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)).to_numpy()


@lru_cache(maxsize=4)
def _durations(variant):
    sub = _subscriptions(variant)
    active = sub["end_date"].isna().to_numpy()
    months = _months(sub["start_date"], sub["end_date"].fillna(END))
    return months.astype(float), active


@lru_cache(maxsize=4)
def _sbg(variant):
    months, active = _durations(variant)
    keep = months > 0  # a subscription watched for 0 months says nothing

    def neg(theta):
        a, b = np.exp(theta)
        t, c = months[keep], active[keep]
        ll = np.where(c, special.betaln(a, b + t), special.betaln(a + 1, b + t - 1))
        return -(ll - special.betaln(a, b)).sum()

    res = optimize.minimize(neg, np.zeros(2), method="Nelder-Mead",
                            options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 5000})
    return tuple(float(v) for v in np.exp(res.x))


def cut_effect(variant):
    # Flat profit m from year 0: value m (1 + i) / (i + d); the cut lowers d by 0.05.
    i, d = 0.10, 0.10
    return (i + d) / (i + d - 0.05) - 1


def _first_and_second(variant):
    tx = _purchases(variant)[["customer_id", "date"]].sort_values(["customer_id", "date"])
    rank = tx.groupby("customer_id").cumcount()
    first = tx[rank == 0].set_index("customer_id")["date"]
    second = tx[rank == 1].set_index("customer_id")["date"].reindex(first.index)
    return first, second


def one_time_2025(variant):
    first, second = _first_and_second(variant)
    joined = first.dt.year == 2025
    return float(second[joined].isna().mean())


def back_within_6_2025(variant):
    first, second = _first_and_second(variant)
    watched = (first.dt.year == 2025) & (first <= END - pd.DateOffset(months=6))
    return float((second[watched] <= first[watched] + pd.DateOffset(months=6)).mean())


def renewal_after_first(variant):
    months, active = _durations(variant)
    paid_first = months >= 1  # paid month 1, so its renewal after it is known
    stopped = paid_first & ~active & (months == 1)
    return float(1 - stopped.sum() / paid_first.sum())


def sbg_alpha(variant):
    return _sbg(variant)[0]


def subscriber_value(variant):
    a, b = _sbg(variant)
    t = np.arange(0, 4000)
    survival = np.exp(special.betaln(a, b + t) - special.betaln(a, b))
    lifetime = float(np.sum(survival / 1.01**t))
    return float(_subscriptions(variant)["monthly_price"].mean()) * lifetime


CENSORING_OPTIONS = [
    "Customers who joined in 2025 are less loyal than those who joined in 2023",
    "Many 2025 sign-ups have not had time to come back yet: right censoring",
    "The activity window is biased in favour of recent customers",
    "Customers who joined in 2025 buy more often, so they need fewer purchases",
]

RISING_OPTIONS = [
    "Each subscriber's own chance of cancelling falls the longer they subscribe",
    "The subscriptions got better every month, so fewer people cancelled",
    "Subscribers with a high chance of cancelling leave first, so those left are the loyal ones",
    "With fewer subscribers left, random noise pushes the rate up",
]

QUESTIONS = [
    Number("q1", reference=cut_effect, points=1, tol=0.002, percent=True,
           prompt="A customer earns a flat $40 a year from the year they join, the yearly "
                  "defection rate is 10% and money is discounted at 10% a year. By what share "
                  "does cutting defection by 5 points raise the customer's value?",
           hint="cohort_profit or defection_cut_effect from crmlib.retention; with flat "
                "profits the value is m (1 + i) / (1 + i - r).",
           solution="defection_cut_effect(0.10, [40.0], discount=0.10)['increase'] = 0.333: "
                    "(0.10 + 0.10) / (0.10 + 0.05) - 1."),
    Number("q2", reference=one_time_2025, points=1, tol=0.001, percent=True,
           prompt="What share of the customers whose first purchase was in 2025 bought only once?",
           hint="First purchase per customer, number of orders per customer; keep the 2025 "
                "first purchases and take the share with one order.",
           solution="orders = purchases.groupby('customer_id')['date'].agg(['min', 'size']); "
                    "(orders.loc[orders['min'].dt.year == 2025, 'size'] == 1).mean()"),
    Number("q3", reference=back_within_6_2025, points=1, tol=0.001, percent=True,
           prompt="Among the 2025 sign-ups whose first purchase was at least 6 months before "
                  "the end of the data (31 December 2025), what share bought again within 6 "
                  "months of their first purchase?",
           hint="Second purchase per customer (groupby().nth(1)); watched = first <= "
                "2025-12-31 minus 6 months; back = second <= first + 6 months.",
           solution="The lesson's activity-window table, for the 2025 sign-ups only."),
    Choice("q4", reference=lambda variant: 1, points=1, options=CENSORING_OPTIONS,
           prompt="About 15% of the 2023 sign-ups bought only once and about 77% came back "
                  "within 6 months. Your Q2 share is far higher than 15%, yet your Q3 share "
                  "is close to 77%. What explains it?",
           hint="Which of the two measures gives every customer the same time to come back?",
           solution="(b): right censoring. The one-time share counts customers who have not "
                    "come back *yet* as lost; the 6-month window compares like with like."),
    Number("q5", reference=renewal_after_first, points=1, tol=0.001, percent=True,
           prompt="Of the subscriptions that paid for their first month and whose renewal "
                  "after it is known, what share renewed (went on to a second month)?",
           hint="contract_durations(...) then renewal_table(...): the renewal rate at t = 1.",
           solution="renewal_table(d['periods'], d['censored']).loc[1, 'renewal_rate']"),
    Number("q6", reference=sbg_alpha, points=2, tol=0.01,
           prompt="Fit the shifted-beta-geometric model to the subscriptions, with the "
                  "active ones right-censored at 31 December 2025. What is alpha?",
           hint="ShiftedBetaGeometric().fit_durations(periods, censored), with periods and "
                "censored from contract_durations(start_date, end_date, '2025-12-31').",
           solution="ShiftedBetaGeometric().fit_durations(d['periods'], d['censored']).alpha_"),
    Number("q7", reference=subscriber_value, points=2, rel=0.005, unit="dollars",
           prompt="Using your fitted model, what is a new subscriber worth in revenue: the "
                  "mean monthly_price times the discounted expected lifetime at 1% a month?",
           hint="model.discounted_expected_lifetime(0.01) counts the first month in full; "
                "multiply by subs['monthly_price'].mean().",
           solution="subs['monthly_price'].mean() * model.discounted_expected_lifetime(0.01)"),
    Choice("q8", reference=lambda variant: 2, points=1, options=RISING_OPTIONS,
           prompt="The subscriptions' renewal rate rises from about 80% after the first month "
                  "to well above 90% after a year. In the sBG model you fitted, why?",
           hint="In sBG, does any one subscriber's chance of cancelling change over time?",
           solution="(c): heterogeneity. Every subscriber keeps their own chance; the likely "
                    "leavers go first, so the mix of those left becomes more loyal."),
]
