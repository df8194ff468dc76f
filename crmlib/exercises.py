"""The workbook API used inside exercise notebooks.

A workbook notebook creates one :class:`Workbook` from its ``parameters`` cell
and checks each answer with ``wb.q1.check(answer)``:

* in **practice mode** (``graded=False``, what a student runs) the answer is
  compared with the reference computed from the student's own data variant,
  and ``hint()`` and ``solution()`` help;
* in **graded mode** (``graded=True``, injected by ``crm grade``) nothing is
  compared and nothing is shown: the answer is converted to plain data (numbers,
  text, lists, tables as lists) and written to ``answers_path``. The answer key
  is never loaded, so the expected answers are not in the student's kernel; the
  grader scores the recorded answers in its own process.

An assignment's answer key is a Python module ``<assignment>_key.py`` (in the
course's ``solutions/`` folder, its copy ``crmlib/keys/`` in an installed wheel, or a
folder named by the ``CRM_KEYS`` environment variable) defining ``QUESTIONS``, a list
of question objects (:class:`Number`, :class:`Choice`, :class:`SetOf`, :class:`Text`,
:class:`SeriesOf`, :class:`Frame`, :class:`Written`, :class:`Decision`), each with a
``reference(variant)`` function that computes the expected answer from the variant's data.

Examples
--------
>>> q = Number("margin", reference=lambda variant: 4.5, tol=0.01, points=2)
>>> q.score(to_record("4.5x"), q.expected(None))
(1.0, 'correct')
>>> q.score(to_record(3.2), q.expected(None))[0]
0.0
>>> Choice("why", options=["price", "retention"], reference=lambda v: 1).score(
...     to_record("b"), 1)
(1.0, 'correct')
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import numbers
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmlib import answers
from crmlib.answers import normalise
from crmlib.atomic import PRIVATE, open_atomic
from crmlib.errors import CourseError

__all__ = [
    "Workbook", "Number", "Choice", "SetOf", "Text", "Written", "SeriesOf", "Frame", "Question",
    "Decision", "DecisionTruth", "Key", "KeyError_", "load_key", "variant_for", "to_record",
    "NOT_ANSWERED",
]

COURSE_DIR = Path(__file__).resolve().parent.parent
# The keys a wheel carries: copies of solutions/*_key.py (pyproject.toml maps the folder
# to crmlib.keys), so practice checks work from `pip install`; a checkout has no such
# folder and reads solutions/ itself.
PACKAGED_KEYS = Path(__file__).resolve().parent / "keys"
NOT_ANSWERED = "not answered yet"
EMPTY_ID_WARNING = (
    "Note: student_id is empty, so you are working on the course's own data, not your "
    "variant. Type the id your instructor gave you in the parameters cell "
    "(student_id = \"...\") and run the notebook again from the top: the grader uses "
    "your id's data.")
MAX_ITEMS = 100_000          # largest collection or table (cells) recorded as an answer
MAX_TEXT = 10_000            # longest text answer recorded
MAX_ANSWER_BYTES = 2**20     # largest answer recorded (as JSON); bigger voids that answer only
MAX_ANSWERS_BYTES = 5 * 2**20  # largest answers file the grader reads
VARIANTS = 100_000           # variants are 0 .. VARIANTS - 1
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")


class KeyError_(CourseError, ValueError):
    """An answer key is missing or malformed (the message names the file)."""


def variant_for(student_id: str) -> int | None:
    """The data variant of a student: a stable number from the student id.

    The grader injects the same number, so a student who fills in only
    ``student_id`` works on the data the grader will use. An empty id gives
    ``None`` (the committed data).

    Examples
    --------
    >>> variant_for("s1234") == variant_for("s1234")
    True
    >>> variant_for("") is None
    True
    >>> 0 <= variant_for("ana") < 100_000
    True
    """
    student_id = str(student_id).strip()
    if not student_id:
        return None
    digest = hashlib.sha256(student_id.encode("utf-8")).hexdigest()
    return int(digest[:12], 16) % VARIANTS


# --------------------------------------------------------------------------- plain data
def _plain(x: Any) -> Any:
    """One scalar as JSON data: bool, int, float, str or None."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        value = float(x)
        return None if math.isnan(value) else value
    if isinstance(x, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(x).isoformat()
    if isinstance(x, pd.Period):
        return str(x)
    if x is pd.NA or x is pd.NaT:
        return None
    return str(x)[:MAX_TEXT]


def to_record(value: Any) -> dict | None:
    """An answer as plain JSON data, or ``None`` when it is not answered.

    ``None`` and ``...`` (the exercise stub) mean not answered. Numbers become
    ``{"type": "number"}``, strings ``"text"``, sets, lists and arrays
    ``"collection"``, Series and dicts ``"series"``, DataFrames ``"frame"``.

    Examples
    --------
    >>> to_record(3)
    {'type': 'number', 'value': 3}
    >>> to_record({"b", "a"})
    {'type': 'collection', 'values': ['a', 'b']}
    >>> to_record(...) is None
    True
    """
    if value is None or value is Ellipsis:
        return None
    if isinstance(value, (bool, np.bool_)):
        return {"type": "text", "value": str(bool(value))}
    if isinstance(value, (numbers.Number, np.number)) and not isinstance(value, complex):
        return {"type": "number", "value": _plain(value)}
    if isinstance(value, str):
        return {"type": "text", "value": value[:MAX_TEXT]}
    if isinstance(value, pd.DataFrame):
        if value.size > MAX_ITEMS:
            return {"type": "too_large", "size": int(value.size)}
        return {"type": "frame", "columns": [_plain(c) for c in value.columns],
                "index": [_plain(i) for i in value.index],
                "data": [[_plain(v) for v in row] for row in value.itertuples(index=False)]}
    if isinstance(value, Mapping):
        value = pd.Series(dict(value))
    if isinstance(value, pd.Series):
        if len(value) > MAX_ITEMS:
            return {"type": "too_large", "size": len(value)}
        return {"type": "series", "index": [_plain(i) for i in value.index],
                "values": [_plain(v) for v in value.to_numpy()]}
    if isinstance(value, (set, frozenset, list, tuple, np.ndarray, pd.Index)):
        items = list(np.asarray(value, dtype=object).ravel()) if isinstance(
            value, np.ndarray) else list(value)
        if len(items) > MAX_ITEMS:
            return {"type": "too_large", "size": len(items)}
        plain = [_plain(v) for v in items]
        if isinstance(value, (set, frozenset)):
            plain = sorted(plain, key=lambda v: (type(v).__name__, str(v)))
        return {"type": "collection", "values": plain}
    return {"type": "text", "value": str(value)[:MAX_TEXT]}


def parse_number(record: dict | None, unit: str = "", percent: bool = False) -> float:
    """The number in a recorded answer; raises ``ValueError`` saying why not.

    Text is read by :func:`crmlib.answers.read_number`, as the quizzes read it:
    decimal commas or points, thousands separators, a currency sign, the
    question's unit, a trailing ``x`` (multiples) or ``%`` (divided by 100).

    Examples
    --------
    >>> parse_number(to_record("$1,234.5"))
    1234.5
    >>> parse_number(to_record("0,7751"))
    0.7751
    >>> parse_number(to_record("12.5%"))
    0.125
    >>> parse_number(to_record("3 weeks"), unit="weeks")
    3.0
    """
    if record is None:
        raise ValueError(NOT_ANSWERED)
    if record.get("type") == "number":
        value = record.get("value")
        if value is None:
            raise ValueError("the answer is NaN, not a number")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("the recorded number is not a number")
        return float(value)
    if record.get("type") != "text" or not isinstance(record.get("value"), str):
        raise ValueError(f"expected a number, got a {record.get('type', 'malformed answer')}")
    try:
        value, is_percent = answers.read_number(record["value"], unit)
    except answers.NotFiniteError:
        raise ValueError("the answer is not a finite number") from None
    except answers.AnswerError:
        raise ValueError(f"expected a number, got {record['value'][:40]!r}") from None
    return value * 0.01 if is_percent else value


def _read_as(record: dict, value: float) -> str:
    """``" (read '1,234' as 1234)"`` when a typed text was read as a number, else ``""``."""
    if record.get("type") != "text":
        return ""
    return f" (read {record['value'][:40]!r} as {value:g})"


# --------------------------------------------------------------------------- questions
@dataclass
class Question:
    """One question of a workbook; subclasses define how an answer is scored.

    Parameters
    ----------
    id : str
        The name used in the notebook (``wb.<id>.check(...)``).
    reference : callable
        ``reference(variant)`` returns the expected answer for a data variant.
    points : float
        Points for a fully right answer.
    prompt, hint, solution : str
        The question, a nudge, and the worked solution in words.
    """

    id: str
    reference: Callable[[int | None], Any]
    points: float = 1.0
    prompt: str = ""
    hint: str = ""
    solution: str = ""

    kind = "answer"
    auto = True  # scored by the grader; False: a person marks it (see Written)
    forbidden = ()  # (regex, what it is) pairs: submitted code that voids the answer (audit)
    sealed_tables = ()  # tables the graded kernel may not load (nor simulate anything)

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise KeyError_(f"question id {self.id!r} must be a Python name of at most 40 "
                            "characters")
        if not callable(self.reference):
            raise KeyError_(f"question {self.id}: reference must be a function of the variant")
        if not (isinstance(self.points, (int, float)) and self.points > 0):
            raise KeyError_(f"question {self.id}: points must be positive, got {self.points!r}")

    def expected(self, variant: int | None) -> Any:
        """The expected answer for ``variant``."""
        return self.reference(variant)

    def score(self, record: dict | None, expected: Any) -> tuple[float, str]:
        """Fraction of the points (0 to 1) and a short message for a recorded answer."""
        if record is None:
            return 0.0, NOT_ANSWERED
        if not isinstance(record, dict):
            return 0.0, "the recorded answer is not valid"
        if record.get("type") == "too_large":
            if "bytes" in record:
                return 0.0, (f"the answer takes {record.get('bytes')} bytes once recorded, more "
                             f"than the {MAX_ANSWER_BYTES:,} an answer may take")
            return 0.0, f"the answer has {record.get('size')} items, more than this question needs"
        try:
            return self._score(record, expected)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as err:
            return 0.0, f"could not read the answer: {str(err)[:200]}"

    def _score(self, record: dict, expected: Any) -> tuple[float, str]:  # pragma: no cover
        raise NotImplementedError

    def audit(self, code: Iterable[str]) -> str:
        """Why the submitted code cells void this answer ("" when they do not).

        A question whose answer must not be computed from some source (an
        answer key that ships with the course) lists regular expressions in
        ``forbidden``; the grader scans the submitted notebook's code cells
        and scores the answer 0 when one matches. A static scan is a
        deterrent, not a proof: code can hide what it calls.
        """
        text = "\n".join(str(c) for c in code)
        found = [what for pattern, what in self.forbidden if re.search(pattern, text)]
        if not found:
            return ""
        return (f"flagged: the submitted code uses {', '.join(dict.fromkeys(found))}, which "
                f"this question forbids; {self.id} scores 0 (a person can review it)")

    def outcome(self, record: dict | None, expected: Any) -> dict | None:
        """A value the answer achieved, for a class leaderboard (None: not ranked)."""
        return None

    def describe(self, expected: Any) -> str:
        """The expected answer in words, for feedback after grading."""
        return str(expected)[:300]


class Expected(float):
    """A number's reference with the values known mistakes give, each with its message.

    Examples
    --------
    >>> x = Expected(0.25, [(0.27, "one day off")])
    >>> float(x), x.mistakes
    (0.25, ((0.27, 'one day off'),))
    """

    def __new__(cls, value: float, mistakes: Iterable[tuple[float, str]] = ()):
        obj = super().__new__(cls, value)
        obj.mistakes = tuple((float(v), str(m)) for v, m in mistakes)
        return obj

    def __reduce__(self):
        return (Expected, (float(self), self.mistakes))


@dataclass
class Number(Question):
    """A number, right within ``tol`` (absolute) or ``rel`` (relative to the reference).

    ``unit`` is text a student may write after the number (``"weeks"``);
    ``percent=True`` marks a share (0.25 is 25%, and ``"25%"`` reads as 0.25).
    ``mistakes`` maps a message to a function of the variant giving the value a
    common mistake produces: a wrong answer within the tolerance of that value
    gets the message (still 0 points), so the student learns what went wrong.

    Examples
    --------
    >>> q = Number("n", reference=lambda v: 10.0, tol=0.1,
    ...            mistakes={"counted from the day before": lambda v: 11.0})
    >>> q.score(to_record(11.02), q.expected(None))
    (0.0, 'not quite: counted from the day before')
    """

    tol: float = 0.0
    rel: float = 0.0
    unit: str = ""
    percent: bool = False
    mistakes: dict[str, Callable[[int | None], float]] = field(default_factory=dict)

    kind = "number"

    def expected(self, variant):
        value = self.reference(variant)
        if not self.mistakes:
            return value
        return Expected(value, [(fn(variant), message) for message, fn in self.mistakes.items()])

    def _score(self, record, expected):
        value = parse_number(record, self.unit, self.percent)
        if not math.isfinite(value):
            return 0.0, "the answer is not a finite number"
        allowed = self.tol + self.rel * abs(float(expected)) + 1e-12
        if abs(value - float(expected)) <= allowed:
            return 1.0, "correct"
        read = _read_as(record, value)
        for wrong, message in getattr(expected, "mistakes", ()):
            if abs(value - wrong) <= allowed:
                return 0.0, f"not quite{read}: {message}"
        if self.percent and abs(value / 100 - float(expected)) <= allowed:
            return 0.0, f"not quite{read}: this is a share, give 0.25 or '25%' for 25 percent"
        return 0.0, f"not quite{read}: the number is off by more than the tolerance"

    def describe(self, expected):
        value = float(expected)
        text = f"{value:.2%}" if self.percent else f"{value:,.6g}"
        tolerance = self.tol + self.rel * abs(value)
        if tolerance:
            text += f" (within {tolerance:.2%})" if self.percent else f" (within {tolerance:g})"
        return text + (f" {self.unit}" if self.unit else "")


@dataclass
class Choice(Question):
    """One option from ``options``; the reference returns the right option's 0-based index.

    A student answers as in the quizzes (:func:`crmlib.answers.read_option`):
    with the option's number counted from 1 (``2`` or ``"2"``), its letter
    (``"b"``) or its text. The message of a wrong answer says which option was
    read.
    """

    options: list[str] = field(default_factory=list)

    kind = "choice"

    def __post_init__(self):
        super().__post_init__()
        if len(self.options) < 2:
            raise KeyError_(f"question {self.id}: a choice needs at least two options")

    def index(self, record: dict) -> int:
        """The option a recorded answer names (0-based); ``ValueError`` saying why not."""
        if record.get("type") not in ("number", "text"):
            raise ValueError(f"expected an option, got a {record.get('type')}")
        try:
            return answers.read_option(record.get("value"), self.options)
        except answers.AnswerError as err:
            raise ValueError(str(err)) from None

    def _score(self, record, expected):
        chosen = self.index(record)
        if chosen == int(expected):
            return 1.0, "correct"
        given = record.get("value")
        given = repr(given[:20]) if isinstance(given, str) else f"{given:g}"
        return 0.0, (f"not this option: your answer {given} was read "
                     f"as option {answers.option_label(chosen, self.options)}"[:300])

    def describe(self, expected):
        return answers.option_label(int(expected), self.options)


def _key(v: Any) -> Any:
    """A comparable form of one plain value (integral floats as ints, text normalised)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        return normalise(v)
    return v


@dataclass
class SetOf(Question):
    """A set of items (ids, names) in any order; ``partial=True`` gives Jaccard credit."""

    partial: bool = False

    kind = "set"

    def _score(self, record, expected):
        if record.get("type") != "collection" or not isinstance(record.get("values"), list):
            raise ValueError(f"expected a set or list, got a {record.get('type')}")
        got = {_key(v) for v in record["values"] if not isinstance(v, (list, dict))}
        want = {_key(v) for v in to_record(set(expected))["values"]}
        if got == want:
            return 1.0, "correct"
        missing, extra = len(want - got), len(got - want)
        message = f"not quite: {missing} item(s) missing and {extra} too many"
        if self.partial and got | want:
            return len(got & want) / len(got | want), message
        return 0.0, message

    def describe(self, expected):
        items = sorted(expected, key=str)
        return "{" + ", ".join(map(str, items[:20])) + (", ...}" if len(items) > 20 else "}")


@dataclass
class Text(Question):
    """A short text answer; the reference returns the accepted answer or a list of them."""

    kind = "text"

    def _score(self, record, expected):
        if record.get("type") != "text" or not isinstance(record.get("value"), str):
            raise ValueError(f"expected text, got a {record.get('type')}")
        accepted = [expected] if isinstance(expected, str) else list(expected)
        if normalise(record["value"]) in {normalise(a) for a in accepted}:
            return 1.0, "correct"
        return 0.0, "not the expected answer"

    def describe(self, expected):
        return expected if isinstance(expected, str) else " or ".join(expected)


@dataclass
class Written(Question):
    """A short written explanation that a person marks; never scored automatically.

    The reference returns the marking guide for a variant: what a good answer
    says, with the student's own numbers where they matter. Markers see it
    beside the answers (``crm grade`` writes review sheets), and a student sees
    it with the worked solution. The self-check only records the answer and
    says whether its length is within ``min_words`` to ``max_words``.

    Examples
    --------
    >>> q = Written("why", reference=lambda v: "Recent buyers would have bought anyway.")
    >>> q.score({"type": "text", "value": "They buy anyway, so the offer adds little."}, "")
    (0.0, 'recorded (8 words); a person marks written answers')
    >>> q.auto
    False
    """

    min_words: int = 15
    max_words: int = 250

    kind = "written"
    auto = False

    def __post_init__(self):
        super().__post_init__()
        if not (isinstance(self.min_words, int) and isinstance(self.max_words, int)
                and 0 <= self.min_words < self.max_words):
            raise KeyError_(f"question {self.id}: min_words and max_words must be whole "
                            f"numbers with min_words < max_words, got {self.min_words!r} and "
                            f"{self.max_words!r}")

    def words(self, record: dict | None) -> int:
        """How many words a recorded answer has (0 when it is not text)."""
        if not isinstance(record, dict) or not isinstance(record.get("value"), str):
            return 0
        return len(record["value"].split())

    def _score(self, record, expected):
        if record.get("type") != "text" or not isinstance(record.get("value"), str):
            raise ValueError(f"expected a written answer in quotes, got a {record.get('type')}")
        n = self.words(record)
        if n == 0:
            return 0.0, NOT_ANSWERED
        return 0.0, f"recorded ({n} words); a person marks written answers"

    def length_note(self, record: dict | None) -> str:
        """What a student should know about the answer's length ('' when it is fine)."""
        n = self.words(record)
        if 0 < n < self.min_words:
            return (f"{n} words is short: a marker looks for a reason, in about "
                    f"{self.min_words} to {self.max_words} words")
        if n > self.max_words:
            return (f"{n} words is long: markers read up to about {self.max_words}; say the "
                    "main reason first")
        return ""

    def describe(self, expected):
        return str(expected)[:2000]


def _close(got: list, want: list, rtol: float, atol: float) -> bool:
    """Whether two lists of plain values match: numbers within tolerance, others equal."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if isinstance(w, (int, float)) and not isinstance(w, bool):
            if isinstance(g, bool) or not isinstance(g, (int, float)):
                return False
            if not math.isclose(g, w, rel_tol=rtol, abs_tol=atol):
                return False
        elif _key(g) != _key(w):
            return False
    return True


@dataclass
class SeriesOf(Question):
    """A pandas Series compared by value: same labels, values within ``rtol``/``atol``.

    Order does not matter unless ``check_order``.
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    check_order: bool = False

    kind = "series"

    def _score(self, record, expected):
        if record.get("type") != "series":
            raise ValueError(f"expected a pandas Series, got a {record.get('type')}")
        want = to_record(expected)
        got_pairs = list(zip(record["index"], record["values"], strict=True))
        want_pairs = list(zip(want["index"], want["values"]))
        if not self.check_order:
            got_pairs.sort(key=lambda p: str(_key(p[0])))
            want_pairs.sort(key=lambda p: str(_key(p[0])))
        if [_key(i) for i, _ in got_pairs] != [_key(i) for i, _ in want_pairs]:
            return 0.0, (f"not quite: the labels differ ({len(got_pairs)} given, "
                         f"{len(want_pairs)} expected)")
        if not _close([v for _, v in got_pairs], [v for _, v in want_pairs],
                      self.rtol, self.atol):
            return 0.0, "not quite: the labels are right but some values are off"
        return 1.0, "correct"

    def describe(self, expected):
        return pd.Series(expected).head(12).to_string()[:600]


@dataclass
class Frame(Question):
    """A DataFrame compared by value on ``columns`` (all of the reference's by default).

    Rows are matched by index label; extra columns in the answer are ignored.
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    columns: list[str] | None = None

    kind = "frame"

    def _score(self, record, expected):
        if record.get("type") != "frame":
            raise ValueError(f"expected a pandas DataFrame, got a {record.get('type')}")
        want = to_record(expected)
        got_cols = [_key(c) for c in record["columns"]]
        columns = self.columns or want["columns"]
        missing = [c for c in columns if _key(c) not in got_cols]
        if missing:
            return 0.0, f"not quite: column(s) {missing} missing"
        got_rows = {_key(i): row for i, row in zip(record["index"], record["data"], strict=True)}
        want_rows = {_key(i): row for i, row in zip(want["index"], want["data"])}
        if set(map(str, got_rows)) != set(map(str, want_rows)) or len(got_rows) != len(
                record["index"]):
            return 0.0, (f"not quite: the rows differ ({len(record['index'])} given, "
                         f"{len(want_rows)} expected)")
        for c in columns:
            gi, wi = got_cols.index(_key(c)), [_key(x) for x in want["columns"]].index(_key(c))
            got = [got_rows[k][gi] for k in want_rows]
            exp = [want_rows[k][wi] for k in want_rows]
            if not _close(got, exp, self.rtol, self.atol):
                return 0.0, f"not quite: column {c!r} has values that are off"
        return 1.0, "correct"

    def describe(self, expected):
        return pd.DataFrame(expected).head(12).to_string()[:800]


@dataclass
class DecisionTruth:
    """What every possible choice of a :class:`Decision` is worth: the grader's answer key.

    Parameters
    ----------
    values : pandas.Series
        The value of choosing each item (indexed by the item, e.g. a customer
        id); every item that may be chosen is listed, and choosing an item
        adds its value.
    baselines : dict of str to float
        The value of simple rules with the same limit (send to nobody, at
        random, by a rule of thumb), for comparison in the feedback and the
        leaderboard.
    note : str
        How the values were computed, in one sentence (shown with the feedback).
    """

    values: pd.Series
    baselines: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def best_choice(self, limit: int) -> pd.Index:
        """The items of the best choice of at most ``limit`` items (0: any number): the
        most valuable ones worth more than nothing."""
        ranked = self.values[self.values > 0].sort_values(ascending=False, kind="stable")
        return ranked.index[:limit] if limit else ranked.index

    def best(self, limit: int) -> float:
        """The most a choice of at most ``limit`` items (0: any number) can be worth."""
        return float(self.values.reindex(self.best_choice(limit)).sum())


def _item(v: Any) -> Any:
    """One chosen item as an int when it reads as one, else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else None
    if isinstance(v, str) and re.fullmatch(r"\s*\d{1,15}\s*", v):
        return int(v)
    return None


@dataclass
class Decision(Question):
    """A decision scored by what it truly achieves: a set of items (customer ids) to act on.

    The reference returns a :class:`DecisionTruth`: the true value of choosing
    each item (known to the simulation, never to the student). An answer is a
    collection of at most ``limit`` items (0: any number). Its true total value
    is compared with the best total any choice within the limit could reach
    (``best``) and with a baseline named by ``floor`` (its value, or 0 when
    negative; none: 0): the score is ``(value - floor) / (full_at x best - floor)``,
    clipped to 0 to 1, so a choice no better than the floor gets nothing and one
    reaching ``full_at`` of the best gets full points. Items that are not valid
    choices (not in the data, not whole numbers) and repeats are ignored and
    reported; an answer over the limit is refused (0 points, with a message),
    never cut short, since which items to drop is the decision itself. The
    feedback gives the answer's true value, the best and the baselines' values,
    never which items were right.

    In practice mode a student's own kernel checks only the form of the
    answer (``choices(variant)`` gives the valid items from the student's
    data): the truth is computed by the grader alone.

    Examples
    --------
    >>> truth = DecisionTruth(pd.Series([5.0, -1.0, 3.0], index=[1, 2, 3]),
    ...                       baselines={"nobody": 0.0})
    >>> q = Decision("send", reference=lambda v: truth, limit=2, unit="$")
    >>> q.score(to_record([1, 2]), truth)[0]
    0.5
    >>> fraction, message = q.score(to_record([1, 3, 9]), truth)
    >>> fraction, message[:45]
    (1.0, 'true value of your choice: $8.00 (2 items), 1')
    >>> message[message.index("Ignored"):]
    'Ignored: 1 item(s) that are not valid choices (e.g. 9)'
    >>> q.outcome(to_record([1, 3]), truth)["share"]
    1.0
    >>> q.score(to_record([1, 2, 3]), truth)[1]
    'refused: 3 different items, more than the limit of 2; nothing was scored (choose at most 2)'
    """

    limit: int = 0
    unit: str = ""
    full_at: float = 1.0
    floor: str = ""
    choices: Callable[[int | None], Iterable] | None = None
    forbidden: tuple = ()
    item_name: str = "item"
    sealed_tables: tuple = ()

    kind = "decision"
    practice_feedback = False

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 0:
            raise KeyError_(f"question {self.id}: limit must be a whole number >= 0, got "
                            f"{self.limit!r}")
        if not (isinstance(self.full_at, (int, float)) and 0 < self.full_at <= 1):
            raise KeyError_(f"question {self.id}: full_at must be in (0, 1], got "
                            f"{self.full_at!r}")

    def fraction(self, value: float, truth: DecisionTruth) -> float:
        """The share of the points a choice worth ``value`` earns (see the class)."""
        best = truth.best(self.limit)
        floor = max(float(truth.baselines.get(self.floor, 0.0)), 0.0) if self.floor else 0.0
        top = self.full_at * best
        if top <= floor:
            return 1.0 if value >= top and value > 0 else 0.0
        return min(max((value - floor) / (top - floor), 0.0), 1.0)

    def _money(self, value: float) -> str:
        sign = "-" if value < 0 else ""
        return f"{sign}{self.unit}{abs(value):,.2f}"

    def read(self, record: dict, valid) -> tuple[list, list, int]:
        """The valid items of an answer (first occurrences), the invalid ones, and repeats."""
        kind = record.get("type")
        if kind == "series":
            values = record.get("values")
            if isinstance(values, list) and values and all(isinstance(v, bool) for v in values):
                raise ValueError(f"give the {self.item_name}s chosen, not a True/False per "
                                 f"{self.item_name}")
        elif kind != "collection":
            raise ValueError(f"expected a list or set of {self.item_name}s, got a {kind}")
        else:
            values = record.get("values")
        if not isinstance(values, list):
            raise ValueError("the recorded answer is not valid")
        items = [_item(v) for v in values]
        bad = [v for v, i in zip(values, items) if i is None or i not in valid]
        good = [i for i in items if i is not None and i in valid]
        unique = list(dict.fromkeys(good))
        return unique, bad, len(good) - len(unique)

    def _notes(self, bad: list, repeats: int) -> str:
        notes = []
        if bad:
            shown = ", ".join(str(b)[:20] for b in bad[:3])
            notes.append(f"Ignored: {len(bad)} item(s) that are not valid choices (e.g. {shown})")
        if repeats:
            notes.append(f"{repeats} repeated item(s) counted once")
        return ". ".join(notes)

    def _limit_message(self, n: int) -> str:
        return (f"refused: {n:,} different {self.item_name}s, more than the limit of "
                f"{self.limit:,}; nothing was scored (choose at most {self.limit:,})")

    def _score(self, record, expected):
        truth = expected
        chosen, bad, repeats = self.read(record, truth.values.index)
        if self.limit and len(chosen) > self.limit:
            return 0.0, self._limit_message(len(chosen))
        value = float(truth.values.reindex(chosen).sum())
        best = truth.best(self.limit)
        share = min(max(value / best, 0.0), 1.0) if best > 0 else 0.0
        fraction = self.fraction(value, truth)
        within = f" with at most {self.limit:,}" if self.limit else ""
        message = (f"true value of your choice: {self._money(value)} ({len(chosen):,} "
                   f"{self.item_name}s), {share:.0%} of the best possible "
                   f"({self._money(best)}{within})")
        if truth.baselines:
            message += "; for comparison: " + ", ".join(
                f"{name} {self._money(v)} ({v / best if best > 0 else 0:.0%})"
                for name, v in truth.baselines.items())
        notes = self._notes(bad, repeats)
        return fraction, message + (f". {notes}" if notes else "")

    def outcome(self, record, expected):
        if not isinstance(record, dict) or record.get("type") not in ("collection", "series"):
            return None
        try:
            chosen, _, _ = self.read(record, expected.values.index)
        except ValueError:
            return None
        if self.limit and len(chosen) > self.limit:
            return None
        best = expected.best(self.limit)
        value = float(expected.values.reindex(chosen).sum())
        return {"value": value, "best": best, "chosen": len(chosen), "unit": self.unit,
                "share": value / best if best > 0 else 0.0,
                "baselines": {name: {"value": float(v), "share": v / best if best > 0 else 0.0}
                              for name, v in expected.baselines.items()}}

    def check_form(self, record: dict, variant: int | None) -> str:
        """Practice mode: what is wrong with the form of an answer, without the truth."""
        if self.choices is None:
            return "recorded; the grader scores it"
        valid = pd.Index(list(self.choices(variant)))
        chosen, bad, repeats = self.read(record, valid)
        if self.limit and len(chosen) > self.limit:
            return self._limit_message(len(chosen))
        notes = self._notes(bad, repeats)
        return (f"{len(chosen):,} {self.item_name}s chosen"
                + (f" (at most {self.limit:,})" if self.limit else "")
                + ". Only the grader knows what they are truly worth: it scores the choice "
                  "against the simulation's truth after you hand in"
                + (f". {notes}" if notes else ""))

    def describe(self, expected):
        best = expected.best(self.limit)
        text = ("the best possible choice" + (f" of at most {self.limit:,}" if self.limit
                                               else "") + f" is worth {self._money(best)}")
        if expected.baselines:
            text += "; " + ", ".join(f"{n}: {self._money(v)}" for n, v in
                                     expected.baselines.items())
        text += (f"; full points at {self.full_at:.0%} of the best"
                 + (f", none at or below {self.floor}" if self.floor else ""))
        return text + (f" ({expected.note})" if expected.note else "")


# --------------------------------------------------------------------------- answer keys
@dataclass
class Key:
    """An assignment's answer key: its questions in order."""

    assignment: str
    questions: dict[str, Question]
    path: Path
    title: str = ""

    @property
    def max_points(self) -> float:
        """The workbook's total points."""
        return float(sum(q.points for q in self.questions.values()))

    @property
    def sealed_tables(self) -> tuple[str, ...]:
        """Tables sealed while the workbook is graded (empty: no seal). With any, the
        graded kernel also cannot import the simulation (:mod:`crmlib.grading.seal`)."""
        return tuple(sorted({t for q in self.questions.values() for t in q.sealed_tables}))


def key_dirs() -> list[Path]:
    """Folders searched for answer keys: ``CRM_KEYS`` (``os.pathsep``-separated), then the
    course's ``solutions/`` (a checkout), then :data:`PACKAGED_KEYS` (an installed wheel)."""
    extra = [Path(p) for p in os.environ.get("CRM_KEYS", "").split(os.pathsep) if p]
    return extra + [COURSE_DIR / "solutions", PACKAGED_KEYS]


def key_path(assignment: str, dirs: Iterable[Path] | None = None) -> Path:
    """The key file of an assignment (``04_rfm`` finds ``04_rfm*_key.py``)."""
    if not isinstance(assignment, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$",
                                                       assignment):
        raise KeyError_(f"assignment name {assignment!r} must be letters, digits, _ and -")
    searched = [Path(d) for d in dirs] if dirs is not None else key_dirs()
    for folder in searched:
        exact = folder / f"{assignment}_key.py"
        if exact.is_file():
            return exact
        found = sorted(folder.glob(f"{assignment}*_key.py"))
        if len(found) == 1:
            return found[0]
    raise KeyError_(f"no answer key {assignment}_key.py in {', '.join(map(str, searched))}")


def load_key(assignment: str, dirs: Iterable[Path] | None = None) -> Key:
    """Load and check an assignment's answer key.

    Raises
    ------
    KeyError_
        No key file, or one without a valid ``QUESTIONS`` list (the message
        names the file).
    """
    path = key_path(assignment, dirs)
    spec = importlib.util.spec_from_file_location(f"crm_key_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise KeyError_(f"{path}: the key does not import: {type(err).__name__}: {err}") from err
    questions = getattr(module, "QUESTIONS", None)
    if not isinstance(questions, list) or not questions or not all(
            isinstance(q, Question) for q in questions):
        raise KeyError_(f"{path}: QUESTIONS must be a non-empty list of Question objects")
    ids = [q.id for q in questions]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise KeyError_(f"{path}: duplicate question id(s) {dupes}")
    name = path.name.removesuffix("_key.py")
    return Key(name, {q.id: q for q in questions}, path, getattr(module, "TITLE", name))


# --------------------------------------------------------------------------- the workbook
def _write_json_atomic(path: Path, data: dict) -> None:
    """The answers file (graded mode): private to the run, read by the grader at once."""
    with open_atomic(path, PRIVATE, durable=False) as fh:
        json.dump(data, fh)


def _within_limits(record: dict, qid: str, answers: dict) -> dict:
    """``record``, or a ``too_large`` record in its place when it is bigger than one answer
    may be (:data:`MAX_ANSWER_BYTES`) or would make the answers file bigger than the
    grader reads (:data:`MAX_ANSWERS_BYTES`): an oversized answer voids itself, never the
    others."""
    size = len(json.dumps(record, default=str))
    others = sum(len(json.dumps(v, default=str)) + len(k) + 8 for k, v in answers.items()
                 if k != qid)
    if size > MAX_ANSWER_BYTES or others + size > MAX_ANSWERS_BYTES - 4096:
        return {"type": "too_large", "bytes": size}
    return record


class _Handle:
    """``wb.<question>``: check, hint and solution for one question."""

    def __init__(self, workbook: Workbook, qid: str):
        self._wb, self.id = workbook, qid

    def check(self, answer: Any = None) -> None:
        """Check (practice mode) or record (graded mode) an answer; never raises."""
        print(self._wb._check(self.id, answer))

    def hint(self) -> None:
        """Print the question's hint (practice mode only)."""
        print(self._wb._help(self.id, "hint"))

    def solution(self) -> None:
        """Print the worked solution and the expected answer (practice mode only)."""
        print(self._wb._help(self.id, "solution"))

    def __repr__(self) -> str:
        return f"<question {self.id} of {self._wb.assignment}>"


class Workbook:
    """The questions of one assignment for one student.

    Parameters
    ----------
    assignment : str
        The workbook's name, e.g. ``"04_rfm"``.
    student_id : str
        Fills in the data variant when ``variant`` is None.
    variant : int or None
        The data variant; ``None`` derives it from ``student_id``
        (:func:`variant_for`).
    answers_path : str or path-like, optional
        Where graded mode records the answers (JSON).
    graded : bool or str
        ``True`` when the grader runs the notebook: no feedback, no key. The
        strings papermill passes (``"false"``, ``"0"``, ``"no"``) read as they
        say (:func:`crmlib.answers.read_flag`).
    key_dirs : list of path-like, optional
        Folders to look for the answer key in (practice mode).

    Examples
    --------
    >>> wb = Workbook("demo", student_id="s1", graded=True, answers_path=None)
    >>> wb.q1.check(...)
    q1: not answered yet
    >>> wb.q1.check(42)
    q1: answer recorded
    >>> wb.answers["q1"]
    {'type': 'number', 'value': 42}
    """

    def __init__(self, assignment: str, student_id: str = "", variant: int | None = None,
                 answers_path: str | os.PathLike | None = None, graded: bool = False,
                 key_dirs: Iterable[str | os.PathLike] | None = None):
        self.assignment = str(assignment)
        self.student_id = "" if student_id is None else str(student_id)
        self.variant = variant_for(self.student_id) if variant is None else variant
        self.graded = answers.read_flag(graded, "graded")
        self.answers_path = Path(answers_path) if answers_path else None
        self.answers: dict[str, dict | None] = {}
        self.results: dict[str, tuple[float, str]] = {}
        self._key: Key | None = None
        self._key_error = ""
        if not self.graded:
            try:
                dirs = None if key_dirs is None else [Path(d) for d in key_dirs]
                self._key = load_key(self.assignment, dirs)
            except KeyError_ as err:
                self._key_error = str(err)
            if not self.student_id.strip() and variant is None:
                print(EMPTY_ID_WARNING, file=sys.stderr)

    @property
    def questions(self) -> list[str]:
        """The question ids (practice mode; empty in graded mode, where no key is loaded)."""
        return list(self._key.questions) if self._key else []

    def __getattr__(self, name: str) -> _Handle:
        if name.startswith("_") or not _ID.match(name):
            raise AttributeError(name)
        return _Handle(self, name)

    def __getitem__(self, name: str) -> _Handle:
        return _Handle(self, str(name))

    def _check(self, qid: str, answer: Any) -> str:
        try:
            record = to_record(answer)
        except Exception as err:  # an answer we cannot even convert must not raise
            record = {"type": "unreadable", "error": str(err)[:200]}
        if self.graded:
            if record is None:
                return f"{qid}: {NOT_ANSWERED}"
            self.answers[qid] = _within_limits(record, qid, self.answers)
            if self.answers_path is not None:
                try:
                    _write_json_atomic(self.answers_path, {
                        "assignment": self.assignment, "student_id": self.student_id,
                        "variant": self.variant, "answers": self.answers})
                except OSError as err:
                    return f"{qid}: could not record the answer ({err.strerror})"
            return f"{qid}: answer recorded"
        if record is None:
            return f"{qid}: {NOT_ANSWERED}"
        question = self._question(qid)
        if isinstance(question, str):
            return question
        if not getattr(question, "practice_feedback", True):  # only the grader knows the truth
            try:
                return f"{qid}: {question.check_form(record, self.variant)}"
            except (ValueError, TypeError) as err:
                return f"{qid}: could not read the answer: {str(err)[:200]}"
        try:
            fraction, message = question.score(record, question.expected(self.variant))
        except Exception as err:
            return f"{qid}: could not check this answer ({type(err).__name__}: {err})"
        self.results[qid] = (fraction, message)
        if not question.auto:  # a person marks it: no points here, length advice only
            note = question.length_note(record)
            return (f"{qid}: {message}" + (f". {note}" if note else "")
                    + f". Compare with wb.{qid}.solution() when you are done "
                    f"({question.points:g} points, marked by hand)")
        points = fraction * question.points
        return f"{qid}: {message} ({points:g}/{question.points:g} points)"

    def _question(self, qid: str) -> Question | str:
        if self._key is None:
            return f"{qid}: cannot check answers here ({self._key_error})"
        if qid not in self._key.questions:
            return f"{qid}: no such question; this workbook has {', '.join(self.questions)}"
        return self._key.questions[qid]

    def _help(self, qid: str, what: str) -> str:
        if self.graded:
            return f"{qid}: hints and solutions are not shown while grading"
        question = self._question(qid)
        if isinstance(question, str):
            return question
        if what == "hint":
            return f"{qid} hint: {question.hint or 'no hint for this one'}"
        if not getattr(question, "practice_feedback", True):
            return (f"{qid} solution: {question.solution}\nThe grader scores your choice "
                    "against the simulation's truth, which only it computes.")
        try:
            expected = question.describe(question.expected(self.variant))
        except Exception as err:
            expected = f"(could not compute it: {err})"
        if not question.auto:
            return f"{qid} solution: {question.solution}\nWhat a marker looks for: {expected}"
        return f"{qid} solution: {question.solution}\nExpected answer: {expected}"

    def __repr__(self) -> str:
        mode = "graded" if self.graded else "practice"
        return (f"<Workbook {self.assignment} student={self.student_id!r} "
                f"variant={self.variant} {mode}>")
