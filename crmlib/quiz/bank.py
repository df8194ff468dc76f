"""Question banks: YAML files of flashcards and quiz questions, one per lesson.

A bank looks like this (``crmlib/banks/NN_topic.yml``)::

    lesson: "02"
    title: Retention economics
    cards:
      - id: c02-margin-multiple          # unique across all banks
        kind: figure                      # definition | explanation | example | figure
        topic: Lifetime value
        front: What is the margin multiple at $r = 0.9$, $i = 0.10$?
        back: $r / (1 + i - r) = 0.9 / 0.2 = 4.5$ margins.
    questions:
      - id: q02-multiple
        type: single                      # single | multiple | numeric | text
        topic: Lifetime value
        prompt: ...
        options:                          # single and multiple
          - {text: "4.5", correct: true, explain: why it is right}
          - {text: "9", correct: false, explain: why it is wrong}
      - id: q02-numeric
        type: numeric
        prompt: ...
        answer: 2.67
        tolerance: 0.01                   # shown to the learner with the unit
        unit: margins                     # percent | share | dollars | any word
        explain: how to get it
      - id: q02-text
        type: text
        prompt: ...
        accept: [continuity of contact]   # matched after normalising case, spaces, punctuation
        explain: ...

Text may use inline maths between ``$...$`` (rendered by HTMLMath); a literal
dollar sign is written ``\\$`` ("costs \\$0.85"), or MathJax would take it for
maths. :func:`plain_text` turns either into plain text for terminals and speech.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from crmlib import answers
from crmlib.errors import CourseError

BANK_DIR = Path(__file__).resolve().parent.parent / "banks"
CARD_KINDS = ["definition", "explanation", "example", "figure"]
QUESTION_TYPES = ["single", "multiple", "numeric", "text"]

_TEXT = {"type": "string", "minLength": 1}
_OPTION = {
    "type": "object",
    "required": ["text", "correct", "explain"],
    "additionalProperties": False,
    "properties": {"text": _TEXT, "correct": {"type": "boolean"}, "explain": _TEXT},
}
#: Most questions an end-of-lesson quiz may ask (SYLLABUS "Quizzes at the end of a lesson").
MAX_LESSON_QUIZ = 12
SCHEMA = {
    "type": "object",
    "required": ["lesson", "title", "cards", "questions"],
    "additionalProperties": False,
    "properties": {
        "lesson": {"type": "string", "pattern": r"^\d\d$"},
        "title": _TEXT,
        # The end-of-lesson quiz: at most 12 of the bank's questions, each with the
        # number of the lesson's learning objective (title cell) it asks about.
        "lesson_quiz": {"type": "array", "minItems": 1, "maxItems": MAX_LESSON_QUIZ, "items": {
            "type": "object", "required": ["question", "objective"],
            "additionalProperties": False,
            "properties": {"question": {"type": "string"},
                           "objective": {"type": "integer", "minimum": 1}}}},
        "cards": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["id", "kind", "topic", "front", "back"],
            "additionalProperties": False,
            "properties": {"id": {"type": "string", "pattern": r"^c\d\d-[a-z0-9-]+$"},
                           "kind": {"enum": CARD_KINDS}, "topic": _TEXT,
                           "front": _TEXT, "back": _TEXT},
        }},
        "questions": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["id", "type", "topic", "prompt"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": r"^q\d\d-[a-z0-9-]+$"},
                "type": {"enum": QUESTION_TYPES}, "topic": _TEXT, "prompt": _TEXT,
                "options": {"type": "array", "minItems": 2, "items": _OPTION},
                "answer": {"type": "number"},
                "tolerance": {"type": "number", "minimum": 0},
                "unit": _TEXT,
                "accept": {"type": "array", "minItems": 1, "items": _TEXT},
                "explain": _TEXT,
            },
        }},
    },
}


class BankError(CourseError, ValueError):
    """A question bank breaks the schema; the message names file, item and field."""


AnswerError = answers.AnswerError  # one error for unreadable answers, quizzes and workbooks


def parse_number(text) -> tuple[float, bool]:
    """Read a number as people type it: ``1,882``, ``70,0``, ``\\$35.22``, ``2.1 %``.

    Returns the number and whether it carried a percent sign; the rules (which
    mark is the decimal one) are :func:`crmlib.answers.read_number`'s, shared
    with the workbooks.

    >>> parse_number("2.1%")
    (2.1, True)
    >>> parse_number("1,882")
    (1882.0, False)
    >>> parse_number("70,0")
    (70.0, False)
    >>> parse_number("$1,234.50")
    (1234.5, False)
    """
    return answers.read_number(text)


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) >= 10_000 else f"{x:.6g}"


@dataclass(frozen=True)
class Option:
    """One answer option of a choice question."""

    text: str
    correct: bool
    explain: str


@dataclass(frozen=True)
class Question:
    """One quiz question; ``check`` grades an answer."""

    id: str
    type: str
    topic: str
    prompt: str
    lesson: str
    options: tuple[Option, ...] = ()
    answer: float | None = None
    tolerance: float = 0.0
    accept: tuple[str, ...] = ()
    explain: str = ""
    unit: str = ""

    def check(self, response) -> bool:
        """Whether ``response`` is right.

        single: an option index; multiple: a collection of option indices
        (all the right ones and nothing else); numeric: a number within the
        tolerance, typed as people type it (see :func:`parse_number`); a
        percent may be written with or without ``%``, or as a share (0.021
        for 2.1%), and a share also as a percent; text: a string matching an
        accepted answer after normalising case, accents, spaces and punctuation.
        """
        if self.type == "single":
            return self.options[option_index(response, len(self.options))].correct
        if self.type == "multiple":
            chosen = {option_index(r, len(self.options)) for r in response}
            return chosen == {i for i, o in enumerate(self.options) if o.correct}
        if self.type == "numeric":
            value, percent = parse_number(response)
            if self.unit == "percent":
                candidates = [value] if percent else [value, value * 100]
            elif self.unit == "share":
                candidates = [value / 100] if percent else [value, value / 100]
            else:
                candidates = [value]
            return any(abs(v - self.answer) <= self.tolerance + 1e-9 for v in candidates)
        return normalise(str(response)) in {normalise(a) for a in self.accept}

    def right_answer(self) -> str:
        """The right answer in words, for feedback."""
        if self.type in ("single", "multiple"):
            return "; ".join(o.text for o in self.options if o.correct)
        if self.type == "numeric":
            return f"{self._with_unit(self.answer)} (accepted within ±{_fmt(self.tolerance)})"
        return self.accept[0]

    def _with_unit(self, x: float) -> str:
        if self.unit == "percent":
            return f"{_fmt(x)}%"
        if self.unit == "dollars":
            return f"${_fmt(x)}"
        return f"{_fmt(x)} {self.unit}".strip() if self.unit not in ("", "share") else _fmt(x)

    def answer_hint(self) -> str:
        """What kind of answer is expected, in words (numeric: unit and tolerance)."""
        if self.type == "single":
            return "Choose one option."
        if self.type == "multiple":
            return "Choose every option that applies (one or more)."
        if self.type == "text":
            return "Type a word or short phrase."
        unit = {"percent": "in percent (2.5 or 2.5%)", "share": "as a share (0.25 or 25%)",
                "dollars": "in dollars", "": ""}.get(self.unit, f"in {self.unit}")
        tol = ("exactly" if self.tolerance == 0 else
               f"within ±{_fmt(self.tolerance)}"
               + (" percentage points" if self.unit == "percent" else ""))
        return f"Answer {unit}; accepted {tol}.".replace("Answer ;", "Answer:")


@dataclass(frozen=True)
class Card:
    """One flashcard."""

    id: str
    kind: str
    topic: str
    front: str
    back: str
    lesson: str


@dataclass(frozen=True)
class Bank:
    """A lesson's cards and questions."""

    lesson: str
    title: str
    path: Path
    cards: tuple[Card, ...] = field(default_factory=tuple)
    questions: tuple[Question, ...] = field(default_factory=tuple)
    #: (question id, objective number) of the end-of-lesson quiz, in its order; empty
    #: for a bank without one (the whole bank is then the quiz).
    lesson_quiz: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def quiz_questions(self) -> tuple[Question, ...]:
        """The end-of-lesson quiz: the ``lesson_quiz`` questions, or every question."""
        if not self.lesson_quiz:
            return self.questions
        by_id = {q.id: q for q in self.questions}
        return tuple(by_id[qid] for qid, _ in self.lesson_quiz)


def option_index(response, n: int) -> int:
    """Check that ``response`` is an option index from 0 to n - 1 and return it."""
    if isinstance(response, bool) or not isinstance(response, int) or not 0 <= response < n:
        raise AnswerError(f"There is no option {response!r} here; the options are numbered "
                          f"from 1 to {n} (index 0 to {n - 1}).")
    return response


_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_MATH_SPAN = re.compile(r"(?<!\\)\$(.*?)(?<!\\)\$", re.S)
# TeX commands in readable plain text (terminal, speech, option labels).
_TEX_SYMBOLS = {
    "times": "×", "cdot": "·", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠",
    "ne": "≠", "approx": "≈", "infty": "∞", "pm": "±", "sum": "Σ", "prod": "∏",
    "to": "→", "rightarrow": "→", "in": "∈", "ldots": "…", "dots": "…", "cdots": "⋯",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
    "varepsilon": "ε", "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "rho": "ρ",
    "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ", "omega": "ω", "Delta": "Δ",
    "Sigma": "Σ", "Gamma": "Γ", "Lambda": "Λ", "Omega": "Ω", "Pi": "Π", "Phi": "Φ",
    "%": "%", "$": "$", "{": "{", "}": "}", "&": "&", "_": "_", "#": "#",
}
_TEX_DROP = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
             "textstyle", "quad", "qquad", "!"}
_BRACED = r"\{((?:[^{}]|\{[^{}]*\})*)\}"  # one level of nested braces


def _group(text: str) -> str:
    """A fraction's part: bare when a single name or number, else in parentheses."""
    text = text.strip()
    return text if re.fullmatch(r"[\w.·]+", text) else f"({text})"


def tex_to_text(tex: str) -> str:
    """Inline TeX as readable plain text.

    >>> tex_to_text(r"m\\,r / (1 + i - r)")
    'm·r / (1 + i − r)'
    >>> tex_to_text(r"\\frac{a + b}{2} \\times x^{2}, \\log_2(m/u)")
    '(a + b)/2 × x^2, log_2(m/u)'
    """
    text = tex
    for name in ("text", "textrm", "mathrm", "mathit", "mathbf", "operatorname", "textit",
                 "textbf", "mbox"):
        text = re.sub(r"\\" + name + r"\s*" + _BRACED, r"\1", text)
    for _ in range(4):  # nested fractions, innermost first
        text = re.sub(r"\\[dt]?frac\s*" + _BRACED + r"\s*" + _BRACED,
                      lambda m: f"{_group(m.group(1))}/{_group(m.group(2))}", text)
    text = re.sub(r"\\sqrt\s*" + _BRACED, lambda m: f"√{_group(m.group(1))}", text)
    # a thin space between two factors is a product: m\,r -> m·r
    text = re.sub(r"(?<=[\w)])\s*\\,\s*(?=[\w(\\])", "·", text)
    text = re.sub(r"\\[,;:> ]", " ", text)

    def command(m):
        name = m.group(1)
        if name in _TEX_DROP:
            return ""
        return _TEX_SYMBOLS.get(name, name)

    text = re.sub(r"\\([A-Za-z]+|[%${}&_#!])", command, text)
    text = re.sub(r"([\^_])\{([^{}]*)\}",
                  lambda m: m.group(1) + (m.group(2) if re.fullmatch(r"\w+", m.group(2))
                                          else f"({m.group(2)})"), text)
    text = text.replace("{", "").replace("}", "")
    text = text.replace("-", "−")  # a minus sign, as MathJax shows it
    return re.sub(r"\s+", " ", text).strip()


def plain_text(text: str) -> str:
    """Bank text without markup, for terminals, speech and option labels: tags
    dropped, maths written as readable text (``$m\\,r / (1 + i - r)$`` reads
    ``m·r / (1 + i − r)``, ``\\beta`` reads ``β``), ``\\$`` a dollar sign."""
    text = re.sub(r"</?[A-Za-z][^<>]*>", "", text)  # tags, not text such as <5 * MonthEnds>
    parts = []
    last = 0
    for m in _MATH_SPAN.finditer(text):
        parts.append(_plain_prose(text[last:m.start()]))
        parts.append(tex_to_text(m.group(1)))
        last = m.end()
    parts.append(_plain_prose(text[last:]))
    return "".join(parts)


def _plain_prose(text: str) -> str:
    """Text outside maths: ``\\$`` a dollar sign, a stray TeX command its name."""
    text = _UNESCAPED_DOLLAR.sub("", text).replace("\\$", "\0")
    return re.sub(r"\\([A-Za-z]+)", r"\1", text).replace("\0", "$")


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9.%]+", " ", text.lower()).split()).strip(" .")


def _where(data: dict, path: list) -> str:
    """Readable location of a schema error: the question or card id and the field."""
    if len(path) >= 2 and path[0] in ("cards", "questions") and isinstance(path[1], int):
        items = data.get(path[0]) or []
        item = items[path[1]] if path[1] < len(items) else {}
        name = item.get("id", f"#{path[1] + 1}") if isinstance(item, dict) else f"#{path[1] + 1}"
        kind = "card" if path[0] == "cards" else "question"
        rest = ".".join(str(p) for p in path[2:]) or "(the item)"
        return f"{kind} {name}, field {rest}"
    return "field " + (".".join(str(p) for p in path) or "(top level)")


_FAST = None


def _schema_ok(data) -> bool:
    """Quick yes/no schema check (fastjsonschema compiles the schema to plain Python).

    ``jsonschema`` takes over a second to import, too slow for the terminal quiz's
    start; it is imported only to describe every problem once this check fails.
    """
    global _FAST
    import fastjsonschema

    if _FAST is None:
        _FAST = fastjsonschema.compile(SCHEMA)
    try:
        _FAST(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def validate_bank(data, path) -> list[str]:
    """Every problem of one bank's parsed YAML, each naming the file, item and field."""
    problems = []
    if not _schema_ok(data):
        import jsonschema

        validator = jsonschema.Draft7Validator(SCHEMA)
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
            problems.append(f"{path}: {_where(data, list(err.path))}: {err.message}")
    if problems or not isinstance(data, dict):
        return problems or [f"{path}: field (top level): expected a mapping"]
    stem = Path(path).stem
    if not stem.startswith(data["lesson"] + "_"):
        problems.append(f"{path}: field lesson: {data['lesson']!r} does not match the file name")
    for kind, items in (("card", data["cards"]), ("question", data["questions"])):
        for item in items:
            if not item["id"][1:3] == data["lesson"]:
                problems.append(f"{path}: {kind} {item['id']}, field id: must start with "
                                f"{kind[0]}{data['lesson']}-")
    for kind, items in (("card", data["cards"]), ("question", data["questions"])):
        for item in items:
            texts = [(f, item[f]) for f in ("front", "back", "prompt", "explain") if f in item]
            texts += [(f"options.{i}.{f}", o[f]) for i, o in enumerate(item.get("options", []))
                      for f in ("text", "explain")]
            for f, text in texts:
                if len(_UNESCAPED_DOLLAR.findall(text)) % 2:
                    problems.append(f"{path}: {kind} {item['id']}, field {f}: an odd number "
                                    f"of $ signs; write \\$ for a dollar amount")
    ids = {q["id"] for q in data["questions"]}
    chosen = [item["question"] for item in data.get("lesson_quiz", [])]
    for qid in chosen:
        if qid not in ids:
            problems.append(f"{path}: lesson_quiz: no question {qid!r} in this bank")
    for qid in {q for q in chosen if chosen.count(q) > 1}:
        problems.append(f"{path}: lesson_quiz: question {qid!r} listed twice")
    for q in data["questions"]:
        where = f"{path}: question {q['id']}"
        t = q["type"]
        needs = {"single": ["options"], "multiple": ["options"],
                 "numeric": ["answer", "tolerance", "unit", "explain"],
                 "text": ["accept", "explain"]}[t]
        for f in needs:
            if f not in q:
                problems.append(f"{where}, field {f}: required for a {t} question")
        extra = {"single": ["answer", "tolerance", "accept", "unit"],
                 "multiple": ["answer", "tolerance", "accept", "unit"],
                 "numeric": ["options", "accept"],
                 "text": ["options", "answer", "tolerance", "unit"]}[t]
        for f in extra:
            if f in q:
                problems.append(f"{where}, field {f}: not used by a {t} question")
        if "options" in q and t in ("single", "multiple"):
            n_right = sum(o["correct"] for o in q["options"])
            if t == "single" and n_right != 1:
                problems.append(f"{where}, field options: a single-choice question needs "
                                f"exactly one correct option, found {n_right}")
            if t == "multiple" and n_right < 1:
                problems.append(f"{where}, field options: needs at least one correct option")
            texts = [o["text"] for o in q["options"]]
            if len(set(texts)) != len(texts):
                problems.append(f"{where}, field options: two options have the same text")
    return problems


def _read_yaml(path: Path):
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as err:
        raise BankError(f"{path}: not valid YAML: {err}") from err
    except OSError as err:
        raise BankError(f"{path}: cannot read the file: {err}") from err


def load_bank(path) -> Bank:
    """Load and validate one bank file.

    Raises
    ------
    BankError
        Listing every problem found, each naming the file, item and field.
    """
    path = Path(path)
    data = _read_yaml(path)
    problems = validate_bank(data, path)
    if problems:
        raise BankError("\n".join(problems))
    lesson = data["lesson"]
    cards = tuple(Card(lesson=lesson, **c) for c in data["cards"])
    questions = tuple(
        Question(lesson=lesson, **{k: v for k, v in q.items() if k != "options"},
                 options=tuple(Option(**o) for o in q.get("options", [])))
        for q in data["questions"])
    quiz = tuple((item["question"], item["objective"]) for item in data.get("lesson_quiz", []))
    return Bank(lesson=lesson, title=data["title"], path=path, cards=cards, questions=questions,
                lesson_quiz=quiz)


def bank_paths(bank_dir=None) -> list[Path]:
    """The bank files, in lesson order."""
    return sorted(Path(bank_dir or BANK_DIR).glob("[0-9][0-9]_*.yml"))


def load_banks(bank_dir=None) -> dict[str, Bank]:
    """All banks keyed by lesson number ("00", "01", ...); ids must be unique across them."""
    banks, seen, problems = {}, {}, []
    paths = bank_paths(bank_dir)
    if not paths:
        raise BankError(f"{bank_dir or BANK_DIR}: no bank files (NN_topic.yml)")
    for path in paths:
        try:
            bank = load_bank(path)
        except BankError as err:
            problems.append(str(err))
            continue
        for item in (*bank.cards, *bank.questions):
            if item.id in seen:
                problems.append(f"{path}: {item.id}, field id: already used in {seen[item.id]}")
            seen[item.id] = path.name
        banks[bank.lesson] = bank
    if problems:
        raise BankError("\n".join(problems))
    return banks


def find_bank(lesson: str, bank_dir=None) -> Bank:
    """The bank of one lesson, by number ("02") or file stem ("02_retention")."""
    banks = load_banks(bank_dir)
    key = str(lesson).split("_")[0].zfill(2)
    if key not in banks:
        raise BankError(f"no bank for lesson {lesson!r}; available: {sorted(banks)}")
    return banks[key]


def bank_stats(banks) -> dict:
    """Tells a test-wise learner could exploit, counted over every choice question.

    Parameters
    ----------
    banks : iterable of Bank

    Returns
    -------
    dict
        ``single``: number of single-choice questions; ``positions``: how many
        of them have their right option at position 1, 2, ... (as written in
        the bank); ``longest``: how many have a right option strictly longer
        than every other; ``longest_chance``: how many that would be if the
        right option were a random one (the sum of 1 / number of options);
        ``multiple``: number of multiple-choice questions; ``right_counts``:
        how many of them have 1, 2, ... right options; ``prefix``: how many
        have their right options exactly first in the list; ``longest_multi``:
        how many have the longest option among the right ones.
    """
    from collections import Counter

    positions, right_counts = Counter(), Counter()
    single = multiple = longest = prefix = longest_multi = 0
    chance = 0.0
    for bank in banks:
        for q in bank.questions:
            if q.type not in ("single", "multiple"):
                continue
            lengths = [len(plain_text(o.text)) for o in q.options]
            right = [i for i, o in enumerate(q.options) if o.correct]
            if q.type == "single":
                single += 1
                positions[right[0] + 1] += 1
                others = [n for i, n in enumerate(lengths) if i != right[0]]
                longest += lengths[right[0]] > max(others)
                chance += 1 / len(q.options)
            else:
                multiple += 1
                right_counts[len(right)] += 1
                prefix += right == list(range(len(right)))
                longest_multi += lengths.index(max(lengths)) in right
    return {"single": single, "positions": dict(sorted(positions.items())),
            "longest": longest, "longest_chance": round(chance, 1), "multiple": multiple,
            "right_counts": dict(sorted(right_counts.items())), "prefix": prefix,
            "longest_multi": longest_multi}


def format_stats(stats: dict) -> str:
    """:func:`bank_stats` as a few lines for ``crm quiz validate``."""
    pos = ", ".join(f"{k}: {v}" for k, v in stats["positions"].items())
    counts = ", ".join(f"{k} right: {v}" for k, v in stats["right_counts"].items())
    return (f"single choice: {stats['single']} questions; right option at position {pos}\n"
            f"single choice: right option strictly the longest in {stats['longest']} "
            f"(chance: {stats['longest_chance']})\n"
            f"multiple choice: {stats['multiple']} questions; {counts}; right options "
            f"all first in {stats['prefix']}; longest option right in "
            f"{stats['longest_multi']}")
