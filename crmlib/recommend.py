"""Item-to-item recommendations ("customers who bought this also bought") and their test."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from crmlib.checks import check_count, require_columns
from crmlib.errors import ArgumentError


def _check(baskets: pd.DataFrame, user: str, item: str) -> None:
    require_columns(baskets, {"user": user, "item": item}, "baskets")


class ItemItemRecommender(BaseEstimator):
    """Recommend items bought by people who bought the same items (Amazon-style).

    Each user is a binary vector of the items they bought; two items are
    similar when the same users bought both (cosine similarity of their
    columns). A user's score for an item is the summed similarity to the
    items they already have.

    Parameters
    ----------
    user, item : str
        Column names of the user and the item in the (user, item) rows
        passed to ``fit`` and ``recommend``.

    Attributes
    ----------
    items_ : pandas.Index
        The items seen in fitting.
    similarity_ : scipy.sparse.csr_matrix
        Item-by-item cosine similarity, zero diagonal.
    popularity_ : pandas.Series
        Buyers per item, for the baseline and for breaking ties.

    Examples
    --------
    >>> baskets = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3],
    ...                         "product_id": ["beans", "grinder", "beans", "grinder", "beans"]})
    >>> rec = ItemItemRecommender().fit(baskets)
    >>> rec.recommend(baskets, n=1).round(3)  # cosine 2 / sqrt(3 * 2) of beans and grinder
       user  rank     item  score
    0     3     1  grinder  0.816
    """

    def __init__(self, *, user: str = "customer_id", item: str = "product_id"):
        self.user = user
        self.item = item

    def fit(self, baskets: pd.DataFrame) -> ItemItemRecommender:
        """Learn item similarities from (user, item) purchase rows."""
        user, item = self.user, self.item
        _check(baskets, user, item)
        pairs = baskets[[user, item]].drop_duplicates()
        self.items_ = pd.Index(np.sort(pairs[item].unique()), name=item)
        users = pd.Index(pairs[user].unique())
        rows = users.get_indexer(pairs[user])
        cols = self.items_.get_indexer(pairs[item])
        X = sparse.csr_matrix(
            (np.ones(len(pairs)), (rows, cols)), shape=(len(users), len(self.items_))
        )
        Xn = normalize(X.tocsc(), axis=0)
        sim = (Xn.T @ Xn).tocsr()
        sim.setdiag(0)
        sim.eliminate_zeros()
        self.similarity_ = sim
        self.popularity_ = pd.Series(
            np.asarray(X.sum(axis=0)).ravel(), index=self.items_, name="buyers"
        )
        return self

    def similar_items(self, item, n: int = 5) -> pd.Series:
        """The ``n`` items most similar to ``item``, with their cosine similarity."""
        check_is_fitted(self, "items_")
        pos = self.items_.get_indexer([item])[0]
        if pos < 0:
            raise ArgumentError(f"item {item!r} was not seen in fitting")
        row = self.similarity_.getrow(pos).toarray().ravel()
        order = np.lexsort((-self.popularity_.to_numpy(), -row))[:n]
        return pd.Series(row[order], index=self.items_[order], name="similarity")

    def recommend(self, history: pd.DataFrame, n: int = 5) -> pd.DataFrame:
        """Top-``n`` new items for every user in ``history`` (their past purchases).

        Items a user already bought are never recommended; ties go to the
        more popular item.

        Returns
        -------
        pandas.DataFrame
            One row per user and rank (1..n): ``user``, ``rank``, ``item``, ``score``.
        """
        check_is_fitted(self, "items_")
        return _top_n(
            history,
            self.user,
            self.item,
            self.items_,
            n,
            lambda U: np.asarray((U @ self.similarity_).todense()),
            self.popularity_.to_numpy(),
        )


def _top_n(history, user, item, items, n, score_fn, popularity) -> pd.DataFrame:
    _check(history, user, item)
    check_count(n, "n")
    pairs = history[[user, item]].drop_duplicates()
    pairs = pairs[items.get_indexer(pairs[item]) >= 0]
    users = pd.Index(np.sort(pairs[user].unique()), name=user)
    U = sparse.csr_matrix(
        (np.ones(len(pairs)), (users.get_indexer(pairs[user]), items.get_indexer(pairs[item]))),
        shape=(len(users), len(items)),
    )
    scores = score_fn(U).astype("float64")
    scores[U.toarray() > 0] = -np.inf  # never recommend what they have
    # Rank by score, then popularity: a tiny popularity term breaks ties.
    tie = popularity / (popularity.max() + 1) * 1e-9
    order = np.argsort(-(scores + tie), axis=1, kind="stable")[:, : min(n, len(items))]
    top_scores = np.take_along_axis(scores, order, axis=1)
    k = order.shape[1]
    out = pd.DataFrame(
        {
            "user": np.repeat(users.to_numpy(), k),
            "rank": np.tile(np.arange(1, k + 1), len(users)),
            "item": items.to_numpy()[order.ravel()],
            "score": top_scores.ravel(),
        }
    )
    return out[np.isfinite(out["score"])].reset_index(drop=True)


class PopularityRecommender(BaseEstimator):
    """Baseline: recommend the most-bought items the user does not have yet.

    Parameters
    ----------
    user, item : str
        Column names, as for :class:`ItemItemRecommender`.
    """

    def __init__(self, *, user: str = "customer_id", item: str = "product_id"):
        self.user = user
        self.item = item

    def fit(self, baskets: pd.DataFrame) -> PopularityRecommender:
        """Count buyers per item."""
        user, item = self.user, self.item
        _check(baskets, user, item)
        buyers = baskets[[user, item]].drop_duplicates()[item].value_counts()
        self.items_ = pd.Index(np.sort(buyers.index), name=item)
        self.popularity_ = buyers.reindex(self.items_).rename("buyers")
        return self

    def recommend(self, history: pd.DataFrame, n: int = 5) -> pd.DataFrame:
        """Top-``n`` most popular new items for every user in ``history``."""
        check_is_fitted(self, "items_")
        pop = self.popularity_.to_numpy().astype("float64")
        return _top_n(
            history,
            self.user,
            self.item,
            self.items_,
            n,
            lambda U: np.tile(pop, (U.shape[0], 1)),
            pop,
        )


class RandomRecommender(BaseEstimator):
    """Baseline: recommend items the user does not have yet, picked at random.

    What a recommender must beat to show it knows anything: with few items to
    choose from, even a blind pick often hits.

    Parameters
    ----------
    user, item : str
        Column names, as for :class:`ItemItemRecommender`.
    seed : int
        Seed of the random order (each user gets their own shuffle).

    Examples
    --------
    >>> baskets = pd.DataFrame({"customer_id": [1, 1, 2], "product_id": ["a", "b", "c"]})
    >>> recs = RandomRecommender(seed=1).fit(baskets).recommend(baskets, n=3)
    >>> sorted(recs.loc[recs["user"] == 1, "item"])  # only what customer 1 lacks
    ['c']
    """

    def __init__(self, *, user: str = "customer_id", item: str = "product_id", seed: int = 0):
        self.user = user
        self.item = item
        self.seed = seed

    def fit(self, baskets: pd.DataFrame) -> RandomRecommender:
        """Note the items there are to recommend."""
        _check(baskets, self.user, self.item)
        self.items_ = pd.Index(np.sort(baskets[self.item].unique()), name=self.item)
        return self

    def recommend(self, history: pd.DataFrame, n: int = 5) -> pd.DataFrame:
        """``n`` random new items for every user in ``history`` (reproducible by ``seed``)."""
        check_is_fitted(self, "items_")
        rng = np.random.default_rng(self.seed)
        return _top_n(
            history,
            self.user,
            self.item,
            self.items_,
            n,
            lambda U: rng.random(U.shape),
            np.zeros(len(self.items_)),
        )


def hit_rate_at_k(
    recommendations: pd.DataFrame,
    held_out: pd.DataFrame,
    k: int,
    user: str = "customer_id",
    item: str = "product_id",
) -> float:
    """Share of users for whom at least one of the top-k items was bought later.

    Parameters
    ----------
    recommendations : pandas.DataFrame
        Output of ``recommend`` (``user``, ``rank``, ``item``).
    held_out : pandas.DataFrame
        Later purchases (user, item) of items new to each user; users with
        none are not counted.
    k : int
        How many recommendations count.
    """
    _check(held_out, user, item)
    check_count(k, "k")
    top = recommendations[recommendations["rank"] <= k]
    truth = held_out[[user, item]].drop_duplicates()
    hits = truth.merge(top, left_on=[user, item], right_on=["user", "item"])
    return float(hits[user].nunique() / truth[user].nunique())


def split_new_items(
    baskets: pd.DataFrame, date: str, cutoff, user: str = "customer_id", item: str = "product_id"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split purchases at ``cutoff``: history before it, and items first bought after it.

    Only users with a history are kept in the held-out part, and only the
    items they had not bought before: the test is whether a recommender
    foresees a user's *new* items.
    """
    require_columns(baskets, {"user": user, "item": item, "date": date}, "baskets")
    cutoff = pd.Timestamp(cutoff)
    train = baskets[baskets[date] < cutoff]
    later = baskets[baskets[date] >= cutoff][[user, item]].drop_duplicates()
    seen = train[[user, item]].drop_duplicates().assign(_seen=True)
    later = later.merge(seen, on=[user, item], how="left")
    later = later[later["_seen"].isna() & later[user].isin(train[user])]
    return train, later.drop(columns="_seen").reset_index(drop=True)
