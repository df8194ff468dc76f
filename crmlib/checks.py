"""Argument checks shared by the analysis modules, with messages that name the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_scalar


def require_columns(frame: pd.DataFrame, columns: dict[str, str], name: str = "tx") -> None:
    """Fail unless ``frame`` is a non-empty DataFrame holding every named column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table passed in.
    columns : dict
        Argument name to column name, e.g. ``{"date": "order_date"}``; a
        missing column is reported as ``date='order_date': no such column``.
    name : str
        What the caller calls ``frame``, for the messages.

    Raises
    ------
    ValueError
        Not a DataFrame, a missing column, or no rows.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    for arg, col in columns.items():
        if col not in frame.columns:
            raise ValueError(
                f"{arg}={col!r}: no such column in {name} (columns: {list(frame.columns)})"
            )
    if frame.empty:
        raise ValueError(f"{name} is empty")


def check_count(value, name: str, min_val: int = 1, max_val: int | None = None) -> int:
    """A whole number in range, by :func:`sklearn.utils.check_scalar` (which names it).

    ``True`` and ``False`` are refused although Python counts them as integers.

    Examples
    --------
    >>> check_count(3, "agents")
    3
    >>> check_count(0, "agents")
    Traceback (most recent call last):
    ...
    ValueError: agents == 0, must be >= 1.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    check_scalar(value, name, (int, np.integer), min_val=min_val, max_val=max_val)
    return int(value)
