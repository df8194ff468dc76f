"""Argument checks shared by the analysis modules, with messages that name the argument.

One rule for which exception means what (see :mod:`crmlib.errors`):

- ``TypeError`` for an argument of the wrong type: text where a number is
  expected, ``True`` or ``False`` for a number (a bool is not a count of days),
  a float such as ``2.5`` (or ``3.0``) for a whole number, as ``range`` and
  scikit-learn's ``check_scalar`` refuse it, a list where a DataFrame or a
  Series is expected;
- :class:`~crmlib.errors.ArgumentError` (a :class:`~crmlib.errors.CourseError`
  and a ``ValueError``) for a value the function cannot use: out of range,
  NaN or infinite, a missing column, no rows, lengths that do not match.

A module checks an argument with one of these helpers, or raises
:class:`~crmlib.errors.ArgumentError` itself for a condition only it knows
(an acquisition cost above the customer's value), never a bare ``ValueError``.

The checks of single values need neither numpy nor pandas (numpy's numbers
count through :mod:`numbers`), so the terminal quiz, which starts without them,
uses the same checks; the checks of arrays and tables import them when called.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from crmlib.errors import ArgumentError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "ArgumentError",
    "check_choice",
    "check_count",
    "check_number",
    "check_numbers",
    "check_same_length",
    "require_bases",
    "require_columns",
    "require_frame",
    "require_labels",
    "require_series",
    "require_type",
]


def _range_problem(shown, name, low, high, low_open, high_open) -> str | None:
    """The sentence for a value outside its range (scikit-learn's wording), or None."""
    if low is not None and (shown <= low if low_open else shown < low):
        return f"{name} == {shown!r}, must be {'>' if low_open else '>='} {low}."
    if high is not None and (shown >= high if high_open else shown > high):
        return f"{name} == {shown!r}, must be {'<' if high_open else '<='} {high}."
    return None


def check_count(value, name: str, min_val: int = 1, max_val: int | None = None) -> int:
    """A whole number in range: an ``int`` or numpy integer, never a bool or a float.

    Raises
    ------
    TypeError
        Not an integer (``True``, ``2.5`` and ``3.0`` included).
    ArgumentError
        Below ``min_val`` or above ``max_val``.

    Examples
    --------
    >>> check_count(3, "agents")
    3
    >>> check_count(0, "agents")
    Traceback (most recent call last):
    ...
    crmlib.errors.ArgumentError: agents == 0, must be >= 1.
    >>> check_count(2.5, "days")
    Traceback (most recent call last):
    ...
    TypeError: days must be a whole number (an int), got 2.5
    """
    # numpy's integers are numbers.Integral; its bool_ is not, and bool is refused by name.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number (an int), got {value!r}")
    problem = _range_problem(int(value), name, min_val, max_val, False, False)
    if problem:
        raise ArgumentError(problem)
    return int(value)


def check_number(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """A real number (not a bool), finite unless ``finite=False``, within its range.

    Parameters
    ----------
    value
        What was passed.
    name : str
        The argument's name, for the messages.
    low, high : float, optional
        Bounds; each is included unless ``low_open`` / ``high_open``.
    finite : bool
        Refuse NaN and infinities (NaN is always refused).

    Raises
    ------
    TypeError
        Not a real number (text, a bool, None).
    ArgumentError
        NaN, infinite (when ``finite``), or out of range.

    Examples
    --------
    >>> check_number(0.5, "decay", low=0, high=1, high_open=True)
    0.5
    >>> check_number(1.0, "decay", low=0, high=1, high_open=True)
    Traceback (most recent call last):
    ...
    crmlib.errors.ArgumentError: decay == 1.0, must be < 1.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    x = float(value)
    if math.isnan(x) or (finite and not math.isfinite(x)):
        raise ArgumentError(f"{name} must be a finite number, got {value!r}")
    problem = _range_problem(x, name, low, high, low_open, high_open)
    if problem:
        raise ArgumentError(problem)
    return x


def check_numbers(
    values,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    ndim: int | None = None,
    empty: bool = True,
    finite: bool = True,
    integer: bool = False,
    booleans: bool = False,
    what: str = "numbers",
) -> np.ndarray:
    """An array of real numbers within a range, as float64.

    Unlike a single count (:func:`check_count`), an array of counts may hold
    floats: pandas and numpy store whole numbers as floats routinely, so an
    array is judged by its values, and ``1.5`` among counts is an
    :class:`~crmlib.errors.ArgumentError`.

    Parameters
    ----------
    values : array-like
        What was passed (a number, a list, an array, a Series).
    name : str
        The argument's name, for the messages.
    low, high, low_open, high_open
        As in :func:`check_number`, for every element.
    ndim : int, optional
        The number of dimensions required (1 for a list of values).
    empty : bool
        Whether no values at all is allowed.
    finite : bool
        Refuse infinities (NaN is always refused).
    integer : bool
        Require whole numbers.
    booleans : bool
        Accept booleans as 0 and 1 (outcomes such as "bought").
    what : str
        What the values are, for the messages ("rates", "waits in seconds").

    Raises
    ------
    TypeError
        Not numbers (text, booleans).
    ArgumentError
        The wrong number of dimensions, empty, NaN or infinite, or out of range.

    Examples
    --------
    >>> check_numbers([0.8, 0.9], "retention", low=0, high=1).tolist()
    [0.8, 0.9]
    >>> check_numbers([0.8, 1.2], "retention", low=0, high=1)
    Traceback (most recent call last):
    ...
    crmlib.errors.ArgumentError: retention: 1.2 is out of range, must be <= 1.
    """
    import numpy as np

    raw = np.asarray(values)
    if raw.dtype.kind not in ("iufOb" if booleans else "iufO"):
        raise TypeError(f"{name} must be {what}, got {raw.dtype} values")
    try:
        arr = raw.astype("float64")
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {what}, got {values!r}") from None
    if ndim is not None and arr.ndim != ndim:
        shape = "a one-dimensional list" if ndim == 1 else f"{ndim}-dimensional"
        raise ArgumentError(f"{name} must be {shape} of {what}, got shape {arr.shape}")
    if not empty and arr.size == 0:
        raise ArgumentError(f"{name} must be non-empty")
    if np.isnan(arr).any() or (finite and not np.isfinite(arr).all()):
        raise ArgumentError(f"{name}: missing or infinite {what}; they must be finite")
    if integer and (arr % 1 != 0).any():
        raise ArgumentError(f"{name} must be whole numbers, got {arr[arr % 1 != 0].flat[0]:g}")
    below = (arr <= low if low_open else arr < low) if low is not None else None
    above = (arr >= high if high_open else arr > high) if high is not None else None
    for out, sign, bound in (
        (below, ">" if low_open else ">=", low),
        (above, "<" if high_open else "<=", high),
    ):
        if out is not None and out.any():
            raise ArgumentError(
                f"{name}: {arr[out].flat[0]:g} is out of range, must be {sign} {bound}."
            )
    return arr


def check_same_length(arrays: dict[str, np.ndarray]) -> int:
    """Fail unless the named one-dimensional arrays all have the same length; returns it.

    Examples
    --------
    >>> import numpy as np
    >>> check_same_length({"wait": np.zeros(3), "abandoned": np.zeros(2)})
    Traceback (most recent call last):
    ...
    crmlib.errors.ArgumentError: wait and abandoned must have the same length, got 3 and 2
    """
    import numpy as np

    lengths = {}
    for name, a in arrays.items():
        if np.ndim(a) != 1:
            raise ArgumentError(f"{name} must be one-dimensional, got shape {np.shape(a)}")
        lengths[name] = len(a)
    if len(set(lengths.values())) > 1:
        names = list(lengths)
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        got = ", ".join(map(str, list(lengths.values())[:-1])) + f" and {lengths[names[-1]]}"
        raise ArgumentError(f"{listed} must have the same length, got {got}")
    return next(iter(lengths.values()), 0)


def check_choice(value, name: str, choices) -> object:
    """One of the allowed ``choices``.

    Examples
    --------
    >>> check_choice("W", "unit", ("W", "D"))
    'W'
    >>> check_choice("M", "unit", ("W", "D"))
    Traceback (most recent call last):
    ...
    crmlib.errors.ArgumentError: unit must be one of ['W', 'D'], got 'M'
    """
    if value not in choices:
        raise ArgumentError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def require_type(value, name: str, types: type | tuple[type, ...], what: str) -> object:
    """Fail with a ``TypeError`` unless ``value`` is one of ``types`` (``what`` names them).

    Examples
    --------
    >>> require_type(b"x", "text", (str, bytes), "str or bytes")
    b'x'
    >>> require_type(3, "source", str, "a string")
    Traceback (most recent call last):
    ...
    TypeError: source must be a string, got int
    """
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def require_frame(frame, name: str) -> pd.DataFrame:
    """Fail with a ``TypeError`` unless ``frame`` is a pandas DataFrame."""
    import pandas as pd

    return require_type(frame, name, pd.DataFrame, "a pandas DataFrame")


def require_series(values, name: str, what: str = "values", numeric: bool = False) -> pd.Series:
    """Fail with a ``TypeError`` unless ``values`` is a (numeric) pandas Series.

    Examples
    --------
    >>> require_series([1, 2], "before", "rungs")
    Traceback (most recent call last):
    ...
    TypeError: before must be a pandas Series of rungs, got list
    """
    import pandas as pd

    if not isinstance(values, pd.Series) or (numeric and not pd.api.types.is_numeric_dtype(values)):
        kind = "a numeric pandas Series" if numeric else "a pandas Series"
        got = values.dtype if isinstance(values, pd.Series) else type(values).__name__
        raise TypeError(f"{name} must be {kind} of {what}, got {got}")
    return values


def require_columns(
    frame: pd.DataFrame, columns: dict[str, str], name: str = "tx", empty_ok: bool = False
) -> None:
    """Fail unless ``frame`` is a DataFrame holding every named column, with rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table passed in.
    columns : dict
        Argument name to column name, e.g. ``{"date": "order_date"}``; a
        missing column is reported as ``date='order_date': no such column``.
    name : str
        What the caller calls ``frame``, for the messages.
    empty_ok : bool
        Accept a table without rows (no referrals yet).

    Raises
    ------
    TypeError
        Not a DataFrame.
    ArgumentError
        A missing column, or no rows.
    """
    require_frame(frame, name)
    for arg, col in columns.items():
        if col not in frame.columns:
            raise ArgumentError(
                f"{arg}={col!r}: no such column in {name} (columns: {list(frame.columns)})"
            )
    if frame.empty and not empty_ok:
        raise ArgumentError(f"{name} is empty")


def require_bases(customers: pd.DataFrame, bases: list[str]) -> None:
    """Fail unless every base is a column of ``customers`` (segmentation bases).

    Examples
    --------
    >>> import pandas as pd
    >>> require_bases(pd.DataFrame({"age": [30]}), ["age", "star sign"])
    Traceback (most recent call last):
    ...
    crmlib.errors.ArgumentError: bases: no such column(s) in customers: ['star sign']
    """
    require_frame(customers, "customers")
    missing = [b for b in bases if b not in customers.columns]
    if missing:
        raise ArgumentError(f"bases: no such column(s) in customers: {missing}")


def require_labels(labels: pd.Series, customers: pd.DataFrame) -> pd.Series:
    """Segment labels lined up with ``customers``; fails when a customer has none.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"age": [30, 40]}, index=["a", "b"])
    >>> require_labels(pd.Series([0, 1], index=["b", "a"]), people).tolist()
    [1, 0]
    """
    require_series(labels, "labels", "segments")
    lab = labels.reindex(customers.index)
    if lab.isna().any():
        raise ArgumentError("labels: missing for some customers")
    return lab
