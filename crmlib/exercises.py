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
:class:`SeriesOf`, :class:`Frame`), each with a ``reference(variant)``
function that computes the expected answer from the variant's data.

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

__all__ = [
    "Workbook", "Number", "Choice", "SetOf", "Text", "Written", "SeriesOf", "Frame", "Question",
    "Key", "KeyError_", "load_key", "variant_for", "to_record", "NOT_ANSWERED",
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


class KeyError_(ValueError):
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

    def describe(self, expected: Any) -> str:
        """The expected answer in words, for feedback after grading."""
        return str(expected)[:300]


@dataclass
class Number(Question):
    """A number, right within ``tol`` (absolute) or ``rel`` (relative to the reference).

    ``unit`` is text a student may write after the number (``"weeks"``);
    ``percent=True`` marks a share (0.25 is 25%, and ``"25%"`` reads as 0.25).
    """

    tol: float = 0.0
    rel: float = 0.0
    unit: str = ""
    percent: bool = False

    kind = "number"

    def _score(self, record, expected):
        value = parse_number(record, self.unit, self.percent)
        if not math.isfinite(value):
            return 0.0, "the answer is not a finite number"
        allowed = self.tol + self.rel * abs(float(expected)) + 1e-12
        if abs(value - float(expected)) <= allowed:
            return 1.0, "correct"
        read = _read_as(record, value)
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
