"""Argument checks shared by the analysis modules, with messages that name the argument."""

from __future__ import annotations

import pandas as pd


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
            raise ValueError(f"{arg}={col!r}: no such column in {name} "
                             f"(columns: {list(frame.columns)})")
    if frame.empty:
        raise ValueError(f"{name} is empty")
