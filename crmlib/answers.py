"""Reading typed answers, the same way for quizzes and workbooks.

One module decides how ``"0,7751"``, ``"1.234,5"``, ``"25 %"``, ``"b"`` or
``2`` are read, so a quiz and a workbook never disagree about what a learner
typed. It needs nothing beyond the standard library, so the terminal quiz can
import it quickly.

Numbers
-------
Spaces (also no-break and thin spaces), underscores and apostrophes between
digits are dropped; ``−`` (the minus sign) reads as ``-``; a currency sign
(``$ € £ ¥``) before or after the number is dropped; a trailing ``%`` is
reported (the caller decides what a percent means). Then the decimal mark:

1. a comma and a point both present: the one that comes last is the decimal
   mark, the other separates thousands (``1.234,5`` and ``1,234.5`` are both
   1234.5);
2. two or more commas (or two or more points) alone: thousands separators, in
   groups of three (``1,234,567``, ``1.234.567``);
3. one comma alone: a thousands separator only when it reads as one, with one
   to three digits before it (not just ``0``) and exactly three after
   (``1,234`` is 1234, as English-language software reads it); otherwise the
   decimal mark (``0,7751`` is 0.7751, ``70,0`` is 70.0, ``0,775`` is 0.775);
4. one point alone: always the decimal mark (``1.234`` is 1.234, as Python
   reads it).

Rule 3 is the one ambiguous case: ``1,234`` could be a European 1.234. The
course is written in English, so it is 1234; type ``1.234`` for the decimal.

Options
-------
Options are numbered from 1 everywhere, and also lettered from ``a``: the
learner may answer ``2``, ``"2"``, ``"b"``, ``"(b)"`` or the option's text.
:func:`option_label` gives the ``(b) text`` form that messages echo back.

Examples
--------
>>> read_number("0,7751")
(0.7751, False)
>>> read_number("1.234,5")
(1234.5, False)
>>> read_number("12.5 %")
(12.5, True)
>>> read_option("b", ["price", "retention"])
1
>>> read_option(1, ["price", "retention"])
0
>>> read_flag("false")
False
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Sequence

from crmlib.errors import ArgumentError, CourseError

__all__ = ["AnswerError", "NotFiniteError", "read_number", "read_option", "option_label",
           "read_flag", "normalise", "LETTERS"]

LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CURRENCY = "$€£¥"
_DROP = {ord(c): None for c in " \u00a0\u2009\u202f\u2007_'’"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$")
_SHORT = re.compile(r"^\(?\s*(\d+|[a-z])\s*[).]?$")
_FALSE = {"false", "0", "no", "n", "off", "", "none"}
_TRUE = {"true", "1", "yes", "y", "on"}


class AnswerError(CourseError, ValueError):
    """An answer that cannot be read; the message is written for the learner."""


class NotFiniteError(AnswerError):
    """A number that reads but is infinite or NaN (``1e999``)."""


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces.

    Examples
    --------
    >>> normalise("  Café-Loyalty!  ")
    'cafe loyalty'
    """
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9.%]+", " ", text.lower()).split()).strip(" .")


def _grouped(text: str, sep: str, dec: str) -> bool:
    pattern = rf"^[+-]?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+(?:{re.escape(dec)}\d*)?$"
    return re.match(pattern, text) is not None


def _decimal_form(text: str) -> str | None:
    """``text`` with the decimal mark as a point and no thousands separators, or None."""
    commas, points = text.count(","), text.count(".")
    if commas and points:
        dec, sep = (",", ".") if text.rfind(",") > text.rfind(".") else (".", ",")
        if text.count(dec) != 1 or not _grouped(text, sep, dec):
            return None
        return text.replace(sep, "").replace(dec, ".")
    if commas > 1 or points > 1:
        sep = "," if commas else "."
        return text.replace(sep, "") if _grouped(text, sep, "\0") else None
    if commas == 1:
        whole = text.lstrip("+-").split(",")[0]
        if whole not in ("0", "") and _grouped(text, ",", "\0"):
            return text.replace(",", "")
        return text.replace(",", ".")
    return text


def read_number(text, unit: str = "") -> tuple[float, bool]:
    """Read a number as people type it; returns the number and whether it had a ``%``.

    Parameters
    ----------
    text : str or number
        What the learner typed (a number is returned as it is).
    unit : str
        A word the learner may write after the number (``"weeks"``), dropped;
        a trailing ``x`` or ``×`` (a multiple, ``4.5x``) is dropped too.

    Raises
    ------
    AnswerError
        Not a number, or not a finite one; the message quotes what was typed.

    Examples
    --------
    >>> read_number("1,234")
    (1234.0, False)
    >>> read_number("0,775")
    (0.775, False)
    >>> read_number("$1,234.50")
    (1234.5, False)
    >>> read_number("3 weeks", unit="weeks")
    (3.0, False)
    >>> read_number("−2,5 %")
    (-2.5, True)
    """
    if isinstance(text, numbers.Real) and not isinstance(text, bool):
        value = float(text)
        if not math.isfinite(value):
            raise NotFiniteError(f"'{text}' is not a number I can use; type digits such as "
                                 "12.5.")
        return value, False
    raw = str(text).strip()
    cleaned = raw.lower().replace("\u2212", "-").translate(_DROP).replace("\\$", "$")
    if unit and cleaned.endswith(unit.lower().translate(_DROP)):
        cleaned = cleaned[: -len(unit.lower().translate(_DROP))]
    percent = cleaned.endswith("%")
    cleaned = cleaned.removesuffix("%")
    if cleaned[-1:] in ("x", "×"):
        cleaned = cleaned[:-1]
    cleaned = cleaned.strip(_CURRENCY)
    if cleaned[:1] in "+-" and cleaned[1:2] in tuple(_CURRENCY):
        cleaned = cleaned[0] + cleaned[2:]
    decimal = _decimal_form(cleaned)
    if decimal is None or not _NUMBER.match(decimal):
        raise AnswerError(f"'{raw}' is not a number I can read; type digits such as 12.5 "
                          "(a percent sign is fine).")
    value = float(decimal)
    if not math.isfinite(value):
        raise NotFiniteError(f"'{raw}' is not a number I can use; type digits such as 12.5.")
    return value, percent


def option_label(index: int, options: Sequence[str] | None = None) -> str:
    """An option as messages show it: its number, letter and text.

    Examples
    --------
    >>> option_label(1, ["price", "retention"])
    '2 (b) retention'
    """
    text = f"{index + 1} ({LETTERS[index]})"
    return f"{text} {options[index]}" if options is not None else text


def _range(n: int) -> str:
    return f"1 to {n} or a to {LETTERS[n - 1]}"


def read_option(answer, options: Sequence[str] | int) -> int:
    """The option an answer names, as a 0-based index (options are numbered from 1).

    Parameters
    ----------
    answer : int, str
        ``2`` or ``"2"`` (the second option), ``"b"``, ``"(b)"``, ``"b)"``, or
        the option's text (case, accents and punctuation ignored).
    options : list of str, or int
        The options (so text can match), or just how many there are.

    Raises
    ------
    AnswerError
        No such option (``0`` included: options start at 1); the message says
        what the options are.

    Examples
    --------
    >>> read_option("(c)", 3)
    2
    >>> read_option("Retention", ["price", "retention"])
    1
    >>> read_option(0, 3)
    Traceback (most recent call last):
    ...
    crmlib.answers.AnswerError: 0 is not an option: the options are numbered from 1 to 3 \
or a to c
    """
    n = options if isinstance(options, int) else len(options)
    texts = [] if isinstance(options, int) else list(options)
    value = answer
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        short = _SHORT.match(value.strip().lower())
        key = normalise(value)
        if short and short.group(1).isdigit():
            value = int(short.group(1))
        elif short and short.group(1) in LETTERS[:n]:
            return LETTERS.index(short.group(1))
        else:
            matches = [i for i, t in enumerate(texts) if normalise(t) == key]
            if len(matches) == 1:
                return matches[0]
            raise AnswerError(f"{answer[:40]!r} is not an option: answer with a number from "
                              f"{_range(n)}")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if 1 <= value <= n:
            return int(value) - 1
        raise AnswerError(f"{value} is not an option: the options are numbered from "
                          f"{_range(n)}")
    raise AnswerError(f"{str(answer)[:40]!r} is not an option: answer with a number from "
                      f"{_range(n)}")


def read_flag(value, name: str = "graded") -> bool:
    """A yes/no parameter as papermill or a person passes it.

    ``-p graded false`` arrives as the string ``"false"``, which Python's
    ``bool`` would read as true.

    Raises
    ------
    ArgumentError
        A value that is neither (names the parameter).

    Examples
    --------
    >>> [read_flag(v) for v in (True, "False", "0", "no", 1, "yes", None)]
    [True, False, False, False, True, True, False]
    """
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _FALSE:
        return False
    if text in _TRUE:
        return True
    raise ArgumentError(f"{name} must be True or False, got {value!r}")
