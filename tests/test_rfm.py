"""RFM tables, scores, cells, breakeven economics and the BTYD summary's options."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmlib.data import load_cdnow
from crmlib.rfm import (
    SEGMENTS,
    breakeven_response_rate,
    btyd_summary,
    response_by_cell,
    rfm_scores,
    rfm_table,
)


@pytest.fixture
def tiny():
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                ["2025-01-01", "2025-01-01", "2025-02-01", "2025-01-15", "2025-01-10", "2025-03-01"]
            ),
            "amount": [10.0, 5.0, 20.0, 8.0, 12.0, 30.0],
        }
    )


def test_rfm_table_by_hand(tiny):
    t = rfm_table(tiny, as_of="2025-03-11")
    assert t.loc[1].tolist() == [38, 3, 35.0, 35.0 / 3]
    assert t.loc[2].tolist() == [55, 1, 8.0, 8.0]
    assert t.loc[3].tolist() == [10, 2, 42.0, 21.0]


def test_rfm_table_ignores_purchases_after_as_of(tiny):
    t = rfm_table(tiny, as_of="2025-01-20")
    assert t.loc[3, "frequency"] == 1 and t.loc[1, "frequency"] == 2


def test_rfm_scores_on_cdnow():
    scores = rfm_scores(rfm_table(load_cdnow("sample"), as_of="1997-09-30"))
    assert set(scores["R"]) <= set(range(1, 6))
    assert scores["cell"].str.fullmatch(r"[1-5]{3}").all()
    # Ties stay together: every one-time buyer gets the same F score.
    assert scores.loc[scores["frequency"] == 1, "F"].nunique() == 1
    # More recent always scores at least as high.
    s = scores.sort_values("recency")
    assert (np.diff(s["R"].to_numpy()) <= 0).all()
    assert set(scores["segment"].cat.categories) == set(SEGMENTS)


def test_split_ties_gives_equal_groups():
    scores = rfm_scores(rfm_table(load_cdnow("sample"), as_of="1997-09-30"), ties="split")
    sizes = scores["F"].value_counts()
    assert sizes.max() - sizes.min() <= 1
    assert scores["cell"].nunique() > 40


def test_rfm_predicts_repurchase_on_cdnow():
    tx = load_cdnow("sample")
    scores = rfm_scores(rfm_table(tx, as_of="1997-09-30"))
    later = tx[(tx["date"] > "1997-09-30")].groupby("customer_id").size()
    bought = pd.Series(scores.index.isin(later.index), index=scores.index)
    by_r = bought.groupby(scores["R"]).mean()
    assert by_r.loc[5] > 3 * by_r.loc[1]
    by_seg = bought.groupby(scores["segment"], observed=True).mean()
    assert by_seg["Champions"] > by_seg["Hibernating"]


def test_breakeven_and_response_by_cell():
    assert breakeven_response_rate(0.85, 40.0) == pytest.approx(0.02125)
    scores = pd.DataFrame(
        {
            "cell": ["555", "555", "111", "111", "111"],
            "recency": 0,
            "frequency": 1,
            "monetary": 1.0,
        },
        index=[1, 2, 3, 4, 5],
    )
    responded = pd.Series([True, False, False, False, True], index=[1, 2, 3, 4, 5])
    out = response_by_cell(scores, responded, cost_per_contact=1.0, profit_per_response=2.5)
    cols = ["mailed", "responses", "response_rate", "profit", "above_breakeven"]
    assert out.loc["555", cols].tolist() == [2, 1, 0.5, 0.5, True]
    assert out.loc["111", "profit"] == pytest.approx(2.5 - 3.0)
    assert bool(out.loc["111", "above_breakeven"]) is False
    assert list(out.index) == ["555", "111"]


def test_response_by_cell_wilson_interval_and_minimum_size():
    scores = pd.DataFrame({"cell": ["a"] * 10 + ["b"]}, index=range(11))
    responded = pd.Series([True] + [False] * 9 + [True], index=range(11))
    out = response_by_cell(scores, responded, 1.0, 20.0, min_mailed=2)
    # Wilson 95% interval of 1 in 10, by hand: (0.0179, 0.4042).
    assert out.loc["a", ["ci_low", "ci_high"]].tolist() == pytest.approx([0.0179, 0.4042], abs=1e-4)
    # Cell b: one letter, one response (100%), is not judged on a single letter.
    assert not out.loc["b", "above_breakeven"] and out.loc["a", "above_breakeven"]
    assert out.loc["b", "ci_high"] == pytest.approx(1.0) and out.loc["b", "ci_low"] > 0.2
    with pytest.raises(ValueError, match="min_mailed"):
        response_by_cell(scores, responded, 1.0, 20.0, min_mailed=0)


@pytest.mark.parametrize("cost, profit", [(0, 10), (1, 0), (-1, 5), (1, float("nan"))])
def test_breakeven_rejects_nonsense(cost, profit):
    with pytest.raises(ValueError, match="cost_per_contact|profit_per_response"):
        breakeven_response_rate(cost, profit)


def test_btyd_summary_merges_same_day_unless_told(tiny):
    merged = btyd_summary(tiny, "2025-03-31", unit="D")
    assert merged.loc[1].tolist() == [1.0, 31.0, 89.0, 20.0]
    visits = btyd_summary(tiny, "2025-03-31", unit="D", merge_same_day=False)
    assert visits.loc[1, "frequency"] == 2.0
    assert visits.loc[1, "monetary_value"] == pytest.approx((5.0 + 20.0) / 2)


def test_btyd_summary_leaves_out_later_customers_and_adds_holdout(tiny):
    s = btyd_summary(tiny, "2025-01-12", observation_end="2025-03-31")
    assert list(s.index) == [1, 3]
    assert s.loc[1, "frequency_holdout"] == 1 and s.loc[3, "frequency_holdout"] == 1
    assert s.loc[3, "monetary_value_holdout"] == 30.0
    assert s["duration_holdout"].iloc[0] == pytest.approx(78 / 7)


def test_btyd_summary_without_amounts(tiny):
    s = btyd_summary(tiny, "2025-03-31", amount=None)
    assert "monetary_value" not in s.columns


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"customer": "id"}, "customer='id': no such column"),
        ({"unit": "M"}, "unit must be"),
        ({"observation_end": "2025-01-01"}, "must be after calibration_end"),
        ({"calibration_end": "2020-01-01"}, "no customer bought"),
    ],
)
def test_btyd_summary_bad_arguments(tiny, kwargs, message):
    args = {"calibration_end": "2025-03-31"} | kwargs
    with pytest.raises(ValueError, match=message):
        btyd_summary(tiny, **args)


def test_bad_transactions(tiny):
    with pytest.raises(ValueError, match="amount='amount': negative"):
        rfm_table(tiny.assign(amount=-1.0))
    with pytest.raises(ValueError, match="date='date': missing dates"):
        rfm_table(tiny.assign(date=pd.NaT))
    with pytest.raises(ValueError, match="tx is empty"):
        rfm_table(tiny.iloc[:0])
    with pytest.raises(ValueError, match="amount='amount': missing amounts"):
        rfm_table(tiny.assign(amount=np.nan))
    with pytest.raises(ValueError, match="q == 1, must be >= 2"):
        rfm_scores(rfm_table(tiny), q=1)


def test_a_purchase_during_the_as_of_day_counts_in_both_views():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(["2025-01-10 09:00", "2025-01-31 14:00", "2025-01-20 23:59"]),
            "amount": [10.0, 20.0, 5.0],
        }
    )
    rfm = rfm_table(tx, as_of="2025-01-31")
    # Customer 1 bought on the as_of day itself: two purchases, recency 0 days.
    assert rfm.loc[1, ["recency", "frequency", "monetary"]].tolist() == [0, 2, 30.0]
    assert rfm.loc[2, "recency"] == 11
    s = btyd_summary(tx, "2025-01-31", unit="D")
    assert s.loc[1, ["frequency", "recency", "T"]].tolist() == [1.0, 21.0, 21.0]
    assert rfm.loc[1, "frequency"] == s.loc[1, "frequency"] + 1


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_time_zone_aware_dates_use_the_local_day(tz):
    local = pd.to_datetime(["2025-01-01 23:30", "2025-01-15 00:15", "2025-01-08 12:00"])
    naive = pd.DataFrame({"customer_id": [1, 1, 2], "date": local, "amount": [10.0, 5.0, 8.0]})
    aware = naive.assign(date=local.tz_localize(tz))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(
            rfm_table(aware, as_of="2025-01-31"), rfm_table(naive, as_of="2025-01-31")
        )
        pd.testing.assert_frame_equal(
            btyd_summary(aware, "2025-01-29"), btyd_summary(naive, "2025-01-29")
        )
    # By the local calendar, customer 1 came back 14 days (2 weeks) later.
    assert btyd_summary(aware, "2025-01-29").loc[1, "recency"] == 2.0


def test_rfm_scores_names_the_missing_column():
    with pytest.raises(ValueError) as err:
        rfm_scores(pd.DataFrame({"recency": [1, 2], "frequency": [1, 2]}))
    message = str(err.value)
    assert "'monetary'" in message and "rfm_table" in message
    assert "rfm=" not in message and "'recency'" not in message.split("columns:")[0]


def _nested_by_brute_force(rfm: pd.DataFrame, q: int) -> pd.DataFrame:
    """Hughes' sort done the slow way: sort, cut into q equal slices, recurse."""
    out = pd.DataFrame(index=rfm.index, columns=["R", "F", "M"], dtype="int64")

    def cut(index, column, ascending):
        ordered = rfm.loc[index].sort_values(column, ascending=ascending, kind="stable").index
        n = len(ordered)
        return {c: i * q // n + 1 for i, c in enumerate(ordered)}

    # Ties broken by the order of the index (the "split" policy), as rank(method="first").
    base = rfm.sort_index()
    r = cut(base.index, "recency", ascending=False)  # longest ago first: score 1
    out["R"] = pd.Series(r)
    for rv in range(1, q + 1):
        idx = [c for c in base.index if r[c] == rv]
        f = cut(idx, "frequency", ascending=True)
        for c, v in f.items():
            out.loc[c, "F"] = v
        for fv in range(1, q + 1):
            sub = [c for c in idx if f[c] == fv]
            if sub:
                for c, v in cut(sub, "monetary", ascending=True).items():
                    out.loc[c, "M"] = v
    return out


def test_nested_scores_match_hughes_sort_by_hand():
    rfm = rfm_table(load_cdnow("sample"), as_of="1997-09-30").iloc[:400]
    nested = rfm_scores(rfm, q=3, ties="split", method="nested")
    expect = _nested_by_brute_force(rfm, 3)
    pd.testing.assert_frame_equal(nested[["R", "F", "M"]], expect.astype("int64"))
    # The 27 cells are as equal as the slicing allows; independent cells are not.
    sizes = nested["cell"].value_counts()
    assert sizes.max() - sizes.min() <= 3 and len(sizes) == 27
    independent = rfm_scores(rfm, q=3, ties="split")["cell"].value_counts()
    assert independent.max() - independent.min() > 10


def test_rfm_scores_rejects_an_unknown_method(tiny):
    with pytest.raises(ValueError, match="method must be"):
        rfm_scores(rfm_table(tiny), method="hughes")
