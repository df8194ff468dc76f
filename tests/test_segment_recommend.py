"""Segmentation, the loyalty ladder and item-to-item recommendations on Harbor Coffee."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.data import load_harbor
from crmlib.recommend import (
    ItemItemRecommender,
    PopularityRecommender,
    RandomRecommender,
    hit_rate_at_k,
    split_new_items,
)
from crmlib.segment import (
    RUNGS,
    base_association,
    behaviour_features,
    choose_k,
    loyalty_ladder,
    migration_matrix,
    profile_segments,
    segmentation_pipeline,
    variance_explained,
)


@pytest.fixture(scope="module")
def segments(purchases):
    features = behaviour_features(purchases, "2025-12-31")
    pipe = segmentation_pipeline(4, seed=0).fit(features)
    return features, pd.Series(pipe.named_steps["kmeans"].labels_, index=features.index)


def test_features(purchases):
    f = behaviour_features(purchases, "2025-12-31")
    assert len(f) == purchases["customer_id"].nunique()
    shares = f[[c for c in f.columns if c.startswith("share_")]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_features_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "date": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-02-01", "2025-01-20"]),
            "amount": [10.0, 20.0, 30.0, 5.0],
            "channel": ["cafe", "web", "cafe", "web"],
        }
    )
    f = behaviour_features(tx, "2025-02-10")
    # Customer 1: last order 9 days before as_of, first 40 days before, 3 orders of $20.
    assert f.loc[1, ["recency_days", "tenure_days"]].tolist() == [9, 40]
    assert f.loc[1, "log_orders"] == pytest.approx(np.log(3))
    assert f.loc[1, "log_avg_spend"] == pytest.approx(np.log(20.0))
    assert f.loc[1, ["share_cafe", "share_web"]].tolist() == pytest.approx([2 / 3, 1 / 3])
    # Customer 2 bought once: recency and tenure are both 21 days.
    assert f.loc[2, ["recency_days", "tenure_days"]].tolist() == [21, 21]
    assert f.loc[2, ["share_cafe", "share_web"]].tolist() == [0.0, 1.0]


def test_segmentation_is_reproducible(segments):
    features, labels = segments
    again = segmentation_pipeline(4, seed=0).fit(features).named_steps["kmeans"].labels_
    assert (again == labels.to_numpy()).all()


def test_choose_k_reports_elbow_and_silhouette(segments):
    features, _ = segments
    table = choose_k(features.iloc[:2000], ks=range(2, 5), sample_size=1000)
    assert list(table.index) == [2, 3, 4]
    assert table["inertia"].is_monotonic_decreasing


def test_choose_k_prefers_the_true_number_of_groups():
    # Three tight, far-apart groups: the silhouette peaks at k = 3, and at k = 3 it is
    # close to 1 (each point is far nearer its own group than any other).
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.repeat(centres, 100, axis=0) + rng.normal(0, 0.3, (300, 2))
    features = pd.DataFrame(points, columns=["x", "y"])
    table = choose_k(features, ks=range(2, 6), sample_size=None)
    assert table["silhouette"].idxmax() == 3
    assert table.loc[3, "silhouette"] > 0.9


def test_psychographics_explain_segments_demographics_do_not(segments):
    _, labels = segments
    customers = load_harbor("customers").set_index("customer_id")
    v = base_association(labels, customers, ["region", "age", "income", "household_size",
                                              "lifestyle"])
    # Lifestyle drives how often and where people buy; demographics carry almost no
    # signal in the simulation, so they associate with the segments far more weakly.
    demographic = max(v[b] for b in ("region", "age", "income", "household_size"))
    assert v["lifestyle"] > 3 * demographic
    prof = profile_segments(labels, customers, ["lifestyle", "age"])
    np.testing.assert_allclose(prof["lifestyle"].sum(axis=1), 1.0)
    assert "mean" in prof["age"].columns
    with pytest.raises(ValueError, match="bases: no such column"):
        profile_segments(labels, customers, ["star sign"])


@pytest.fixture(scope="module")
def ladder(purchases):
    prospects = load_harbor("prospects")
    referrals = load_harbor("referrals")
    suspects = load_harbor("suspects")
    return [
        loyalty_ladder(day, purchases, prospects, referrals, suspects, active_days=365)
        for day in ("2024-01-31", "2025-12-31")  # the bought-in list arrived in January 2024
    ]


def test_ladder_rungs(ladder, purchases):
    before, after = ladder
    assert list(after.cat.categories) == RUNGS
    counts = after.value_counts()
    assert (counts > 0).all()
    buyers = counts["client"] + counts["customer"] + counts["advocate"] + counts["lapsed"]
    assert buyers == purchases["customer_id"].nunique()
    last = purchases.groupby("customer_id")["date"].max()
    assert counts["lapsed"] == (last < pd.Timestamp("2025-12-31") - pd.Timedelta(days=365)).sum()


def test_migration_matrix_goes_both_ways(ladder):
    before, after = ladder
    m = migration_matrix(before, after)
    np.testing.assert_allclose(m.sum(axis=1).dropna(), 1.0)
    # Clients lapse as well as climb; suspects become prospects and customers.
    assert m.loc["client", "lapsed"] > 0.05 and m.loc["client", "advocate"] > 0
    assert m.loc["lapsed", ["customer", "client", "advocate"]].sum() > 0  # some come back
    counts = migration_matrix(before, after, normalize=False)
    assert counts.loc["suspect", ["prospect", "customer", "client", "lapsed"]].sum() > 0
    assert counts.to_numpy().sum() == len(after.index.union(before.index))


def test_ladder_checks_its_input(purchases):
    with pytest.raises(ValueError, match="active_days"):
        loyalty_ladder("2025-01-01", purchases, load_harbor("prospects"),
                       load_harbor("referrals"), active_days=0)


def test_variance_explained_is_the_r_squared_of_group_dummies():
    # Independent reference: the R squared of a least-squares fit on one dummy per group.
    rng = np.random.default_rng(1)
    people = pd.DataFrame({"club": rng.choice(list("abcd"), 500),
                           "size": rng.integers(1, 4, 500)})
    y = pd.Series(rng.normal(0, 1, 500) + people["club"].map({"a": 0, "b": 1, "c": 2, "d": 0}))
    got = variance_explained(y, people, ["club", "size"])
    for base in ("club", "size"):
        dummies = pd.get_dummies(people[base]).to_numpy(float)
        fitted = dummies @ np.linalg.lstsq(dummies, y.to_numpy(), rcond=None)[0]
        r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
        assert got[base] == pytest.approx(r2)
    assert got.index[0] == "club"


def test_variance_explained_by_hand_and_by_chance():
    # Two groups, means 2 and 6 around 4: between-group squares 4 x 4 = 16 of a total
    # (1 + 1 + 1 + 1) + 16 = 20, so 0.8.
    people = pd.DataFrame({"g": ["a", "a", "b", "b"]}, index=[10, 11, 12, 13])
    y = pd.Series([1.0, 3.0, 5.0, 7.0], index=[10, 11, 12, 13])
    assert variance_explained(y, people, ["g"])["g"] == pytest.approx(0.8)
    # Groups drawn at random explain about (g - 1) / (n - 1) of any behaviour.
    rng = np.random.default_rng(2)
    n, g = 20_000, 5
    noise = pd.DataFrame({"g": rng.integers(0, g, n), "income": rng.normal(50, 10, n)})
    eta = variance_explained(pd.Series(rng.normal(0, 1, n)), noise, ["g", "income"])
    assert eta.max() < 5 * (g - 1) / (n - 1)


def test_variance_explained_checks_its_input():
    people = pd.DataFrame({"g": ["a", "b"]})
    with pytest.raises(ValueError, match="bases: no such column"):
        variance_explained(pd.Series([1.0, 2.0]), people, ["star sign"])
    with pytest.raises(ValueError, match="values: missing"):
        variance_explained(pd.Series([1.0, np.nan]), people, ["g"])
    with pytest.raises(ValueError, match="customers: no row"):
        variance_explained(pd.Series([1.0, 2.0], index=[0, 5]), people, ["g"])
    with pytest.raises(ValueError, match="nothing to explain"):
        variance_explained(pd.Series([1.0, 1.0]), people, ["g"])


def test_demographics_explain_little_beside_lifestyle_on_harbor(purchases):
    # Truth (datasets/README.md): lifestyle drives buying and benefit sought the spend;
    # region enters nothing, and age, income and household size only follow the
    # lifestyle a little (they are correlated as in life), so they explain a small
    # fraction of what lifestyle and benefit sought do. Chance alone gives about
    # (g - 1) / (n - 1) for g groups.
    customers = load_harbor("customers").set_index("customer_id")
    f = behaviour_features(purchases, "2025-12-31")
    rate = f["log_orders"] - np.log(f["tenure_days"] / 7 + 1)
    bases = ["region", "age", "income", "household_size", "lifestyle", "benefit_sought"]
    on_rate = variance_explained(rate, customers, bases)
    # Spend per order as the true spend rate governs it: remote orders' goods (a cafe cup
    # against a bag of beans would measure the channel, not the customer).
    remote = purchases[purchases["channel"] != "cafe"]
    goods = behaviour_features(remote.assign(amount=remote["amount"] - remote["shipping"]),
                               "2025-12-31")
    on_spend = variance_explained(goods["log_avg_spend"], customers, bases)
    chance = (customers[["region", "household_size"]].nunique().max() - 1) / (len(f) - 1)
    assert on_rate["region"] < 5 * chance and on_spend["region"] < 5 * chance
    for base in ("age", "income", "household_size"):
        assert on_rate[base] < on_rate["lifestyle"] / 10, base
        assert on_spend[base] < on_spend["benefit_sought"] / 10, base
    assert on_rate.index[0] == "lifestyle" and on_rate["lifestyle"] > 0.05
    assert on_spend.index[0] == "benefit_sought" and on_spend["benefit_sought"] > 0.1


def test_cramers_v_by_hand():
    # A 2 x 2 table [[a, b], [c, d]] has V = |ad - bc| / sqrt((a+b)(c+d)(a+c)(b+d)).
    people = pd.DataFrame({"life": list("xxxyyxyy")})
    labels = pd.Series([0, 0, 0, 0, 1, 1, 1, 1])
    a, b, c, d = 3, 1, 1, 3
    v = abs(a * d - b * c) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    assert base_association(labels, people, ["life"])["life"] == pytest.approx(v)
    with pytest.raises(ValueError, match="labels: missing"):
        base_association(labels.iloc[:4], people, ["life"])


def test_pipeline_scales_before_clustering():
    # Unscaled, the days column would decide alone; scaled, both columns count.
    X = pd.DataFrame({"days": [0, 10, 0, 10], "orders": [0.0, 0.0, 5.0, 5.0]})
    pipe = segmentation_pipeline(2, n_init=5).fit(X)
    assert list(pipe.named_steps) == ["scale", "kmeans"]
    np.testing.assert_allclose(pipe.named_steps["scale"].transform(X).std(axis=0), 1.0)
    with pytest.raises(ValueError, match="k == 1"):
        segmentation_pipeline(1)
    with pytest.raises(ValueError, match="n_init == 0"):
        segmentation_pipeline(3, n_init=0)


def test_migration_matrix_by_hand():
    before = pd.Series(["client", "client", "client", "prospect"], index=list("abcd"))
    after = pd.Series(["advocate", "lapsed", "client", "customer", "prospect"],
                      index=list("abcde"))
    counts = migration_matrix(before, after, normalize=False)
    assert counts.loc["client", ["client", "lapsed", "advocate"]].tolist() == [1, 1, 1]
    assert counts.loc["prospect", "customer"] == 1 and counts.loc["new", "prospect"] == 1
    assert "gone" not in counts.columns
    shares = migration_matrix(before, after)
    assert shares.loc["client", "lapsed"] == pytest.approx(1 / 3)
    assert shares.loc["suspect"].isna().all()  # nobody started there
    gone = migration_matrix(before, after.drop("a"), normalize=False)
    assert gone.loc["client", "gone"] == 1
    with pytest.raises(ValueError, match="not rungs of the ladder"):
        migration_matrix(before.replace("client", "VIP"), after)


@pytest.fixture(scope="module")
def baskets(purchases):
    items = load_harbor("order_items")
    return items.merge(purchases[["order_id", "customer_id", "date"]], on="order_id")


def test_item_to_item_beats_popularity(baskets):
    train, held_out = split_new_items(baskets, "date", "2025-07-01")
    assert len(held_out) > 500
    assert not held_out.merge(train, on=["customer_id", "product_id"]).shape[0]
    item = ItemItemRecommender().fit(train).recommend(train, n=5)
    pop = PopularityRecommender().fit(train).recommend(train, n=5)
    for k in (1, 3, 5):
        assert hit_rate_at_k(item, held_out, k) > hit_rate_at_k(pop, held_out, k) + 0.05


def test_recommendations_are_new_items(baskets):
    train, _ = split_new_items(baskets, "date", "2025-07-01")
    rec = ItemItemRecommender().fit(train)
    out = rec.recommend(train, n=3)
    owned = set(zip(train["customer_id"], train["product_id"]))
    assert not any((u, i) in owned for u, i in zip(out["user"], out["item"]))
    assert out.groupby("user")["rank"].max().max() == 3
    # Beans buyers are pointed to brewing gear, not pastries.
    similar = rec.similar_items(502, n=3)
    assert similar.index[0] // 100 in (7, 5)
    with pytest.raises(ValueError, match="not seen in fitting"):
        rec.similar_items(999)


def test_random_baseline_is_new_items_reproducible_and_beaten(baskets):
    train, held_out = split_new_items(baskets, "date", "2025-07-01")
    blind = RandomRecommender(seed=0).fit(train)
    out = blind.recommend(train, n=10)
    owned = set(zip(train["customer_id"], train["product_id"]))
    assert not any((u, i) in owned for u, i in zip(out["user"], out["item"]))
    assert not out.duplicated(["user", "item"]).any()
    pd.testing.assert_frame_equal(out, RandomRecommender(seed=0).fit(train).recommend(train, n=10))
    assert not out.equals(RandomRecommender(seed=1).fit(train).recommend(train, n=10))
    pop = PopularityRecommender().fit(train).recommend(train, n=10)
    for k in (1, 5, 10):
        assert hit_rate_at_k(pop, held_out, k) > hit_rate_at_k(out, held_out, k) + 0.05


def test_hit_rate_by_hand():
    recs = pd.DataFrame(
        {"user": [1, 1, 2, 2], "rank": [1, 2, 1, 2], "item": [10, 11, 10, 12], "score": 1.0}
    )
    held = pd.DataFrame({"customer_id": [1, 2], "product_id": [11, 13]})
    assert hit_rate_at_k(recs, held, 1) == 0.0
    assert hit_rate_at_k(recs, held, 2) == 0.5


def test_features_name_a_missing_column(purchases):
    with pytest.raises(ValueError, match="channel='via': no such column in purchases"):
        behaviour_features(purchases, "2025-12-31", channel="via")
    with pytest.raises(ValueError, match="as_of=2020-01-01: no purchases"):
        behaviour_features(purchases, "2020-01-01")
