"""lifetimes' CDNOW loaders, reading the copies that ship with the course.

``cdnow_customers_summary_with_transactions.csv`` is the course's own
``datasets/cdnow/`` file, byte for byte the one in lifetimes; the other one,
``cdnow_customers_summary.csv`` (Fader and Hardie's summary without spend), is
copied from lifetimes (commit 4f2833f, ``lifetimes/datasets/``, MIT licence, see
``../test_lifetimes_estimation.py``) into ``benchmarks/lifetimes_suite/data/``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["load_cdnow_summary", "load_cdnow_summary_data_with_monetary_value"]

_SUITE = Path(__file__).resolve().parent.parent
_PLACES = (_SUITE / "data", _SUITE.parent.parent / "datasets" / "cdnow")


def load_dataset(filename, **kwargs):
    for place in _PLACES:
        if (place / filename).is_file():
            return pd.read_csv(place / filename, **kwargs)
    raise FileNotFoundError(f"{filename} is in none of {[str(p) for p in _PLACES]}")


def load_cdnow_summary(**kwargs):
    """Load cdnow customers summary pandas DataFrame."""
    return load_dataset("cdnow_customers_summary.csv", **kwargs)


def load_cdnow_summary_data_with_monetary_value(**kwargs):
    """Load cdnow customers summary with monetary value as pandas DataFrame."""
    df = load_dataset("cdnow_customers_summary_with_transactions.csv", **kwargs)
    df.columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    df = df.set_index("customer_id")
    return df
