"""Random streams and calendar helpers shared by the simulation's parts."""

from __future__ import annotations

import hashlib

import numpy as np

from crmlib.simulate.settings import BASE_SEED, START


def variant_key(variant: int | None) -> int:
    """Seed component of a variant (0 for the committed data).

    Parameters
    ----------
    variant : int or None
        ``None`` for the committed data, otherwise a non-negative integer.

    Returns
    -------
    int
        0 for ``None``, ``variant + 1`` otherwise.

    Examples
    --------
    >>> variant_key(None), variant_key(4)
    (0, 5)
    """
    if variant is None:
        return 0
    if isinstance(variant, bool) or not isinstance(variant, (int, np.integer)) or variant < 0:
        raise ValueError(f"variant must be a non-negative integer or None, got {variant!r}")
    return int(variant) + 1


def stream_id(name: str) -> int:
    """A 64-bit number derived from the whole name of a random stream.

    Examples
    --------
    >>> stream_id("prospects/links") != stream_id("prospects/names")
    True
    """
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def rng_for(variant: int | None, name: str) -> np.random.Generator:
    """The independent, reproducible random stream called ``name`` of a variant.

    Each table (or tightly coupled group of tables) draws from its own stream,
    so a change to one table's story leaves the numbers of the others alone.

    Examples
    --------
    >>> a = rng_for(None, "purchases").random()
    >>> b = rng_for(None, "purchases").random()
    >>> a == b
    True
    """
    return np.random.default_rng([BASE_SEED, variant_key(variant), stream_id(name)])


def day_of(date: str | np.datetime64) -> int:
    """Days from the simulation's first day (2023-01-01) to ``date``.

    Examples
    --------
    >>> day_of("2023-01-08")
    7
    """
    return int((np.datetime64(date, "D") - START).astype(int))


def month_of(day) -> np.ndarray:
    """Calendar month (0 = January) of whole simulation days.

    Examples
    --------
    >>> month_of([0, 31, 364]).tolist()
    [0, 1, 11]
    """
    dates = START + np.asarray(day, dtype="int64").astype("timedelta64[D]")
    return dates.astype("datetime64[M]").astype(np.int64) % 12


def to_date(day) -> np.ndarray:
    """Calendar dates (``datetime64[D]``) of whole simulation days."""
    return START + np.floor(np.asarray(day, dtype="float64")).astype("int64").astype(
        "timedelta64[D]")


def to_datetime(day) -> np.ndarray:
    """Timestamps to the second (``datetime64[s]``) of fractional simulation days."""
    seconds = np.floor(np.asarray(day, dtype="float64") * 86400).astype("int64")
    return START.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def days_of(dates) -> np.ndarray:
    """Whole simulation days of an array or Series of dates."""
    values = np.asarray(dates, dtype="datetime64[D]")
    return (values - START).astype("int64")
