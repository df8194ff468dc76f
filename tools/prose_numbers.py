"""Find the numbers a lesson's prose states and check that some cell shows them.

Used by ``tests/test_prose_numbers.py``; run it by hand to see every number:

    python tools/prose_numbers.py notebooks/01_continuity_of_contact.ipynb [-v]

prints each number the markdown states, with its cell, its status (shown by an
output, a code constant, exempt by a rule, or unmatched) and its sentence.

The rules, in the order they are applied:

What is not a number of the prose (never seen): numbers inside LaTeX math
(``$...$``, ``$$...$$``; an escaped ``\\$`` is a dollar sign), inside fenced
code and inline code spans (a span holding only a number, such as ``0.25`` or
``"25%"``, is read as that number), inside URLs, link targets and HTML tags;
the number of a heading ("## 3. Section"), of a numbered list item and of a
lesson title ("# 01 · ..."); a number after lesson, section, step, question,
part, cell, chapter, figure, table, exercise, campaign(s) number(s)
("lessons 02 and 05", "section 3"); digits joined to letters ("Q1", "v3",
"1st", "95th", "1990s").

A prose number is **shown** when a text output of the same notebook (stream,
``text/plain``, else ``text/html`` with its tags stripped) or a numeric
constant in a code cell's source (comments and the look of a figure, such as
``figsize=(9, 4.5)`` or ``s=40``, excluded) holds a number that
rounds to it at the precision it is written with:

- "48%" has 0 decimals: an output 0.4803, 48.03 or "48%" shows it; "31.2
  points" is shown by 31.18 or 0.3118; "1.55" by 1.5549 but not by 1.56;
- the only scales are 1 and 100 (a share shown as a percent, or a percent as
  a share), and only when the prose number is a percent (%, "per cent",
  "percent"), percentage points ("points") or the output is a percent;
- signs are ignored ("falls by 0.3" is shown by -0.3);
- "thousand", "million" and "billion" scale the number and its precision
  ("\\$1.2 million" is shown by 1,205,936); the ends of a range share its
  percent sign and "about" ("25-85%", "about 1,650-1,670"), and the ends of a
  confidence interval the unit of the estimate before it ("6.9 percentage
  points (95% CI 6.1 to 7.8)" is shown by 0.061 and 0.078);
- a number after about, around, roughly, approximately, some, nearly, almost,
  over, under, more than, less than, fewer than, close to, ~ or ≈ (and the
  second end of a range after one: "about 1,650-1,670") matches at its own
  significant digits, trailing zeros of a whole number not counting: "about
  \\$2,600" (2 digits) is shown by 2612, "about 1,650" (3) by 1,647 but not
  by 1,640. Every other number matches at its written decimals, so a 3-digit
  number always needs all 3 digits.

Short numbers (1 or 2 significant digits: "46", "8%", "0.3", "about \\$600")
are weak evidence when matched anywhere: a notebook shows hundreds of numbers,
and a stale "46" would often meet some other 46 by chance. They must be shown
within their own section (from one ``## `` heading to the next); the title
cell and the take-aways and quiz cells may point anywhere. A longer number may
be shown by any cell of the notebook.

A prose number that no cell shows is **exempt** when it cannot be shown:

- date: a year 1900-2100 written without separators, an ISO date, a day
  beside a month name ("1 July 2025", "July 1"), a clock time ("14:00");
- small count: a whole number up to 12 written without %, $ or decimals
  ("2 agents", "5 regions", "3 to 6 points"): at that size the prose
  counts things the lesson sets up (waves, agents, regions, months) and a
  chance match with some output digit would prove nothing anyway;
- index: a number naming a position, after week, year, month, day, wave,
  exposure, period, customer, cell, rung, variant, seed ("week 78",
  "customer 1901", "year 12");
- cited: the sentence, list item or table row carries an author-year
  citation ("Reinartz and Kumar (2000, 2002)", "Fader, Hardie and Lee 2005",
  "(Leonard Berry, 1983)", "(2005)"): a published value with its source;
- tolerance: in a workbook's solution, the tolerance of an answer ("within
  0.005", "tolerance 0.01", "±0.005");
- confidence level: the 95 of "95% CI";
- the study time in a lesson's title cell ("**Time:** about 75 minutes"),
  which comes from the syllabus's time model, not from a cell.

Everything else must be in the allowlist (``tests/prose_numbers_allowlist/<lesson>.yml``).
An entry names the notebook, the number as written, a snippet of its sentence
and one of: a ``reason`` (why no cell can show it, e.g. read off a chart); a
``derived`` arithmetic expression over numbers that the notebook does show,
such as ``"338 - 292"`` for "saves 46 calls" (its every number must be shown,
whole numbers up to 12 and units such as 100 or 52 aside, and its result must
round to the prose number, so a derived number goes stale exactly like a
shown one); ``shown_by``, a snippet of the code cell that shows it when that
cell lies outside the number's section (with ``notebook`` when it is another
lesson); or a ``finding``, a number a cell should show but does not yet,
reported on every run. An entry whose number has left that sentence, or that
a cell or a rule already covers (a bare reason or finding), is stale.

Numbers written in words ("two in three", "a sixth") are not read.
"""

from __future__ import annotations

import ast
import html
import io
import math
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

# --------------------------------------------------------------------------- patterns

NUMBER = re.compile(
    r"(?<![\d.])(?P<sign>[-−](?=[\d.]))?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
)
APPROX = re.compile(
    r"(?:\b(?:about|around|roughly|approximately|some|nearly|almost|over|under|"
    r"more than|less than|fewer than|close to|just over|just under)|[~≈])\s*$",
    re.IGNORECASE,
)
MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
)
REFERENCE_WORDS = (
    r"(?:lessons?|sections?|steps?|questions?|parts?|cells?|chapters?|figures?|tables?|"
    r"exercises?|campaigns?|numbers?|rows?|items?|articles?|art\.)"
)
INDEX_WORDS = (
    r"(?:weeks?|years?|months?|days?|waves?|exposures?|periods?|customers?|rungs?|"
    r"variants?|seeds?|cohorts?)"
)
# A chain of numbers after a word, up to the number in hand: "lessons 02 and 05",
# "lessons 04 (RFM) and 05", "weeks 40..78", "3, 4 and 5".
CHAIN = r"\s+(?:#?\d+(?:\s*\([^()]*\))?\s*(?:,|and|or|to|-|–)\s*)*"
CITATION = re.compile(
    r"[A-Z][\w'’-]+(?:'s|’s)?(?:\s+et al\.?)?,?\s+\(?(?:19|20)\d\d[a-z]?\b"
    r"|\((?:(?:[^()]|\([^()]*\))*?,\s*)?(?:19|20)\d\d[a-z]?\s*[,;)]"
)
SUMMARY = re.compile(r"^#+\s*(?:Take-aways|Takeaways|Summary|Quiz|Wrap-up)", re.M | re.I)
TITLE_TIME = re.compile(r"\*\*Time:?\*\*:?[^·\n]*")
PLACEHOLDER = "This part is interactive"


@dataclass
class ProseNumber:
    """One number as the prose states it."""

    notebook: str
    cell: int
    text: str  # as written, e.g. "$2,600", "48%", "1,882"
    value: float  # absolute value, in the unit written (48 for 48%)
    decimals: int
    approx: bool
    percent: bool
    points: bool
    currency: bool
    sentence: str  # the sentence, list item or table row it stands in
    before: str  # the text just before it
    snippet: str  # some 60 characters around it
    status: str = ""  # output, code, exempt: <rule>, allowlist, unmatched
    detail: str = ""

    @property
    def tolerance(self) -> float:
        """Half a unit of the last digit the prose commits to."""
        step = 10.0**-self.decimals
        if self.approx and self.decimals <= 0:
            digits = str(int(round(self.value)))
            zeros = len(digits) - len(digits.rstrip("0"))
            zeros = min(zeros, len(digits) - 1)
            step = 10.0**zeros
        return step / 2

    @property
    def significant(self) -> int:
        """Significant digits as written (a whole number's trailing zeros do not count)."""
        digits = re.sub(r"\D", "", self.text).lstrip("0")
        if self.decimals == 0:
            digits = digits.rstrip("0")
        return max(len(digits), 1)

    @property
    def key(self) -> str:
        return normalise(self.text)


@dataclass
class Shown:
    """A number a cell shows."""

    value: float
    percent: bool
    cell: int
    where: str  # "output" or "code"


@dataclass
class Notebook:
    path: str
    numbers: list[ProseNumber] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)


def normalise(text: str) -> str:
    """The number as written, without escapes, spaces or the sign's flavour."""
    return text.replace("\\", "").replace("−", "-").replace(" ", "")


# --------------------------------------------------------------------------- masking


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


#: The cell that lists a lesson's references (its numbers are volumes, issues and pages).
REFERENCES = re.compile(r"\s*##\s+References\b")
#: How lessons write a dollar sign in markdown (tests/test_lesson_conventions.py).
DOLLAR = "<span>&#36;</span>"


def mask_markdown(source: str) -> str:
    """The markdown with everything that is not prose blanked out (same length)."""
    # A dollar sign written as lessons write money, <span>&#36;</span> (MathJax would take
    # a bare $ or &#36; pair for maths), is a dollar sign right before its number.
    text = source.replace(DOLLAR, " " * (len(DOLLAR) - 1) + "\x00")
    # Fenced code blocks and HTML tags.
    for m in list(re.finditer(r"```.*?```", text, re.DOTALL)):
        text = _blank(text, m.start(), m.end())
    for m in list(re.finditer(r"<[^<>\n]+>", text)):
        text = _blank(text, m.start(), m.end())
    # Inline code: a span holding only a number keeps the number, others go.
    for m in list(re.finditer(r"`[^`\n]*`", text)):
        inner = m.group(0)[1:-1].strip().strip("\"'")
        if re.fullmatch(r"[-−]?[\d,]*\.?\d+%?", inner):
            keep = text[m.start() : m.end()].replace("`", " ").replace('"', " ")
            text = text[: m.start()] + keep.replace("'", " ") + text[m.end() :]
        else:
            text = _blank(text, m.start(), m.end())
    # URLs and link targets.
    for m in list(re.finditer(r"\]\([^)\s]*\)|https?://\S+", text)):
        text = _blank(text, m.start() + (1 if m.group(0).startswith("]") else 0), m.end())
    # Math: \$ is a dollar; $$...$$ and $...$ are formulas; "$2,600" unescaped is a dollar.
    text = text.replace("\\$", " \x00")  # same length; \x00 marks an escaped dollar
    text = text.replace("&#36;", "    \x00")  # the HTML entity lessons write for a dollar
    for m in list(re.finditer(r"\$\$.*?\$\$", text, re.DOTALL)):
        text = _blank(text, m.start(), m.end())
    i = 0
    while True:
        start = text.find("$", i)
        if start < 0:
            break
        if re.match(r"\$\d", text[start:]):
            i = start + 1
            continue
        end = text.find("$", start + 1)
        if end < 0:
            break
        text = _blank(text, start, end + 1)
        i = end + 1
    text = re.sub(r"(?<=\d)\.\.(?=\d)", " -", text)  # "years 0..12" is a range
    return text.replace("\x00", "$")


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences, list items and table rows of a markdown text."""
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        if line.group(0).lstrip().startswith("|"):
            cells = [(m.start(), m.end()) for m in re.finditer(r"[^|]+", line.group(0))]
            spans += [(line.start() + a, line.start() + b) for a, b in cells]
            continue
        start = line.start()
        # A sentence ends at . ! ? or : before a capital, not after an initial,
        # "e.g.", "i.e.", "et al.", "vs." or "J." (journal abbreviations).
        for m in re.finditer(r"(?<=[.!?])\s+(?=[*\"'(\[]*[A-Z])", line.group(0)):
            before = line.group(0)[: m.start()]
            if re.search(r"(?:\b[A-Z]|\be\.g|\bi\.e|\bal|\bvs|\bcf|\bNo)\.$", before):
                continue
            spans.append((start, line.start() + m.start()))
            start = line.start() + m.end()
        spans.append((start, line.end()))
    return spans


# --------------------------------------------------------------------------- extraction


def _is_structure(text: str, start: int, end: int, cell_index: int) -> bool:
    """A heading, list or title number, a reference or a label, not a quantity."""
    line_start = text.rfind("\n", 0, start) + 1
    before_line = text[line_start:start]
    if re.fullmatch(r"\s*#+\s*", before_line):  # "## 3. Section", "# 01 · Title"
        return True
    if re.fullmatch(r"\s*", before_line) and re.match(r"[.)]\s", text[end : end + 2]):
        return True  # numbered list item
    if re.search(rf"\b{REFERENCE_WORDS}(?:\s+no\.)?{CHAIN}#?$", text[:start], re.I):
        return True
    if start > 0 and (text[start - 1].isalpha() or text[start - 1] == "_"):
        return True  # Q1, H2, x_1
    after = text[end : end + 3]
    if re.match(r"[A-Za-z_]", after) and not re.match(r"(?:x|×)(?![A-Za-z])", after):
        return True  # 1st, 3D, 1990s, 5x5 stays a number
    if text[end : end + 1] == "." and re.match(r"\.\d", text[end : end + 2]):
        return True  # a version number 1.2.3
    return False


def extract_prose(path: str | Path, nb=None) -> list[ProseNumber]:
    """Every number the markdown cells of a notebook state."""
    nb = nb if nb is not None else nbformat.read(str(path), as_version=4)
    found: list[ProseNumber] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or REFERENCES.match(cell.source):
            continue  # a reference list's volumes and pages are citations, not findings
        raw = cell.source
        text = mask_markdown(raw)
        spans = sentences(text)
        title_time = [m.span() for m in TITLE_TIME.finditer(text)] if index == 0 else []
        for m in DATE_TOKENS.finditer(text):
            pn = _make(path, index, text, raw, spans, m.start(), m.end(), m.group(0), None)
            pn.status = "exempt: date"
            found.append(pn)
            text = _blank(text, m.start(), m.end())
        matches = list(NUMBER.finditer(text))
        previous: ProseNumber | None = None
        previous_end = -1
        for m in matches:
            start, end = m.span()
            num = m.group("num")
            sign = m.group("sign")
            # A hyphen between two numbers is a range, not a sign.
            if sign and start > 0 and (text[start - 1].isdigit() or text[start - 1] == "%"):
                start += 1
                sign = None
            if _is_structure(text, start, end, index):
                previous, previous_end = None, end
                continue
            if any(a <= start < b for a, b in title_time):
                pn = _make(path, index, text, raw, spans, start, end, num, sign)
                pn.status = "exempt: study time"
                found.append(pn)
                continue
            pn = _make(path, index, text, raw, spans, start, end, num, sign)
            # Ranges: "6.1-7.8", "$11 to $15", "25-85%", "about 1,650-1,670".
            gap = text[previous_end:start] if previous is not None else None
            if re.search(r"\bCI\s*$", pn.before):  # "6.9 points (95% CI 6.1 to 7.8)"
                same = [q for q in found if q.cell == index and q.sentence == pn.sentence]
                lift = [q for q in same if not re.search(r"\bCI\b", q.before[-4:] + " ")]
                lift = [q for q in lift if q.status != "exempt: confidence level"]
                if lift:
                    pn.points, pn.percent = lift[-1].points, lift[-1].percent
            if re.match(r"\s*%?\s*(?:CI|confidence)\b", text[end:]):
                pn.status = "exempt: confidence level"
            if gap is not None and re.fullmatch(r"\s*(?:-|–|to|and)\s*\$?\s*", gap):
                pn.approx = pn.approx or previous.approx
                pn.points = pn.points or previous.points
                pn.currency = pn.currency or (previous.currency and gap.strip() in "-–")
                if pn.percent and re.fullmatch(r"\s*[-–]\s*|\s+to\s+", gap):
                    previous.percent = previous.percent or previous.text[-1] != "%"
            found.append(pn)
            previous, previous_end = pn, pn_end(text, end)
    return found


def pn_end(text: str, end: int) -> int:
    m = re.match(r"\s*%", text[end:])
    return end + (m.end() if m else 0)


def _make(path, index, text, raw, spans, start, end, num, sign) -> ProseNumber:
    before = text[max(0, start - 40) : start]
    after = text[end : end + 30]
    currency = bool(re.search(r"\$\s*$", before))
    percent = bool(re.match(r"\s*%|\s*(?:per ?cent)\b", after, re.I))
    points = bool(re.match(r"\s*(?:percentage )?(?:points?|pp)\b", after, re.I))
    pre = re.sub(r"\$\s*$", "", before)
    approx = bool(APPROX.search(pre))
    decimals = len(num.split(".")[1]) if "." in num else 0
    try:
        value = float(num.replace(",", ""))
    except ValueError:  # a date or a time, kept as written
        value, decimals = math.nan, 0
    word = re.match(r"\s*(thousand|million|billion)\b", after)
    if word:  # "$1.2 million" is 1,200,000 to the nearest 100,000
        power = {"thousand": 3, "million": 6, "billion": 9}[word.group(1)]
        value, decimals = value * 10.0**power, decimals - power
    written = ("$" if currency else "") + ("-" if sign else "") + num
    written += "%" if re.match(r"%", after) else ""
    sentence = next((text[a:b] for a, b in spans if a <= start < b), "")
    snippet = re.sub(r"\s+", " ", text[max(0, start - 40) : end + 30]).strip()
    return ProseNumber(
        notebook=str(path),
        cell=index,
        text=written,
        value=value,
        decimals=decimals,
        approx=approx,
        percent=percent,
        points=points,
        currency=currency,
        sentence=re.sub(r"\s+", " ", sentence).strip(),
        snippet=snippet,
        before=re.sub(r"\s+", " ", text[max(0, start - 60) : start]),
    )


DATE_TOKENS = re.compile(
    rf"\b(?:19|20)\d\d-\d\d(?:-\d\d)?\b"  # ISO dates and months
    rf"|\b\d{{1,2}}:\d\d\b"  # clock times
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTHS}\b"  # 1 July
    rf"|\b{MONTHS}\s+\d{{1,2}}(?!\d)\b"  # July 1
)


# --------------------------------------------------------------------------- shown numbers

OUTPUT_NUMBER = re.compile(
    r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?%?|(?<![\w.])\.\d+%?"
)


def numbers_in(text: str) -> list[tuple[float, bool]]:
    """(absolute value, is a percent) of every number in an output's text."""
    found = []
    for m in OUTPUT_NUMBER.finditer(text):
        token = m.group(0).replace(",", "").lstrip("-−")
        percent = token.endswith("%")
        try:
            found.append((abs(float(token.rstrip("%"))), percent))
        except ValueError:  # pragma: no cover - the pattern only matches numbers
            continue
    return found


def output_text(output) -> str:
    """The text an output shows (its plain text, else its HTML without tags)."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    if "text/plain" in data:
        text = data["text/plain"]
        text = "".join(text) if isinstance(text, list) else text
        if text.startswith("<Figure") or PLACEHOLDER in text:
            return ""
        return text
    if "text/html" in data:
        text = data["text/html"]
        text = "".join(text) if isinstance(text, list) else text
        return html.unescape(re.sub(r"<[^>]+>", " ", text))
    return ""


STYLE_KEYWORDS = {
    "figsize",
    "s",
    "size",
    "fontsize",
    "alpha",
    "linewidth",
    "lw",
    "markersize",
    "ms",
    "dpi",
    "width",
    "height",
    "rotation",
    "xytext",
    "zorder",
    "pad",
    "labelpad",
    "ncol",
    "aspect",
    "edgecolor",
    "color",
    "bbox_to_anchor",
    "loc",
    "framealpha",
    "capsize",
}


def code_constants(source: str) -> list[float]:
    """The numeric constants of a code cell: number literals and numbers in plain strings."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    values: list[float] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [v for v, _ in numbers_in(re.sub(r"#.*", "", source))]
    depth, style_depth, previous = 0, None, ["", ""]
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
            if style_depth is not None and depth < style_depth:
                style_depth = None
        elif tok.type == tokenize.OP and tok.string == "," and depth == style_depth:
            style_depth = None
        elif tok.type == tokenize.OP and tok.string == "=" and previous[-1] in STYLE_KEYWORDS:
            style_depth = depth
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = [previous[-1], tok.string]
        if style_depth is not None:
            continue  # figsize=(9, 4.5), s=40: how a figure looks, not a number of the lesson
        if tok.type == tokenize.NUMBER:
            try:
                values.append(abs(float(ast.literal_eval(tok.string.replace("_", "")))))
            except (ValueError, SyntaxError, TypeError):
                continue
        elif tok.type == tokenize.STRING and not re.match(r"[rbuRBU]*[fF]", tok.string):
            values += [v for v, _ in numbers_in(tok.string)]
    return values


def shown_numbers(nb) -> list[Shown]:
    """Every number the code cells of a notebook show, in outputs or as constants."""
    shown = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            for value, percent in numbers_in(output_text(output)):
                shown.append(Shown(value, percent, index, "output"))
        for value in code_constants(cell.source):
            shown.append(Shown(value, False, index, "code"))
    return shown


def scales(pn: ProseNumber, shown: Shown) -> tuple[float, ...]:
    """The factors a shown number may be multiplied by to read as the prose number."""
    if pn.percent or pn.points:
        return (1.0,) if shown.percent else (1.0, 100.0)
    return (1.0, 0.01) if shown.percent else (1.0,)


def shows(pn: ProseNumber, shown: Shown) -> bool:
    """Whether a shown number rounds to the prose number at the prose number's precision."""
    tol = pn.tolerance * (1 + 1e-9) + 1e-12
    return any(abs(shown.value * s - pn.value) <= tol for s in scales(pn, shown))


# --------------------------------------------------------------------------- exemptions


def exemption(pn: ProseNumber) -> str | None:
    """The rule that exempts a prose number no cell shows, or None."""
    whole = pn.decimals == 0 and not pn.percent and not pn.currency and not pn.points
    digits = pn.text.lstrip("$-")
    if pn.status.startswith("exempt"):
        return pn.status.removeprefix("exempt: ")
    if whole and "," not in digits and 1900 <= pn.value <= 2100:
        return "date"
    if whole and pn.value <= 12:
        return "small count"
    if re.search(rf"\b{INDEX_WORDS}{CHAIN}$", pn.before, re.IGNORECASE):
        return "index"
    if CITATION.search(pn.sentence):
        return "cited"
    if "solution" in Path(pn.notebook).name and re.search(
        r"(?:\bwithin|\btolerance|±)\s*±?\s*$", pn.before, re.IGNORECASE
    ):
        return "tolerance"
    return None


# --------------------------------------------------------------------------- allowlist


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\\", "")).strip()


# How an allowlist entry accounts for its number: why no cell can show it; the arithmetic
# over shown numbers that gives it; the code cell (here or in another notebook) that shows
# it; or a number a cell should show but does not yet (reported on every run).
KINDS = ("reason", "derived", "shown_by", "finding")

OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
# Whole numbers a derivation may use without a cell showing them: small counts and units
# (100 for a percent, 7 days a week, 52 weeks and 365 days a year, 1000 for "per 1,000").
UNITS = {52, 60, 100, 365, 1000, 10**6}


def evaluate(expression: str, shown: list[Shown]) -> tuple[float, list[str]]:
    """The value of a derived entry's expression, and the numbers in it no cell shows."""
    tree = ast.parse(expression, mode="eval")
    missing: list[str] = []

    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            literal = ast.get_source_segment(expression, node) or str(node.value)
            decimals = len(literal.split(".")[1]) if "." in literal else 0
            tol = 0.5 * 10.0**-decimals * (1 + 1e-9)
            unit = isinstance(node.value, int) and (node.value <= 12 or node.value in UNITS)
            if not unit and not any(abs(s.value - node.value) <= tol for s in shown):
                missing.append(literal)
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise ValueError(f"derived expression {expression!r}: only numbers and + - * / ** ( )")

    return abs(value(tree.body)), missing


def reaches(nb) -> dict[int, tuple[int, int]]:
    """The cells a markdown cell's short numbers may be shown by: its own section.

    A section runs from one ``## `` heading to the next (a cell holding a heading
    reaches back to the section before it). The title cell and the closing cells
    (take-aways, quiz) sum up the lesson and reach every cell.
    """
    heads = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and re.search(r"^## ", c.source, re.M)
    ]
    reach = {}
    for i, cell in enumerate(nb.cells):
        if i == 0 or (cell.cell_type == "markdown" and SUMMARY.search(cell.source)):
            reach[i] = (0, len(nb.cells))
            continue
        before = [h for h in heads if h < i]
        after = [h for h in heads if h > i]
        reach[i] = (before[-1] if before else 0, after[0] if after else len(nb.cells))
    return reach


@dataclass
class Report:
    """What the check found in one notebook."""

    path: str
    numbers: list[ProseNumber]
    problems: list[str]  # unmatched numbers and stale allowlist entries
    findings: list[str] = field(default_factory=list)  # allowlisted, but a cell should show them

    def count(self, prefix: str) -> int:
        return sum(pn.status.startswith(prefix) for pn in self.numbers)


def check(
    path: str | Path,
    allowlist: list[dict] | None = None,
    nb=None,
    name: str | None = None,
    root: str | Path | None = None,
) -> Report:
    """Classify every prose number of a notebook and list what needs fixing."""
    nb = nb if nb is not None else nbformat.read(str(path), as_version=4)
    name = name or str(path)
    numbers = extract_prose(name, nb)
    shown = shown_numbers(nb)
    reach = reaches(nb)
    for pn in numbers:
        if pn.status:  # dates and study time found while reading
            continue
        first, last = reach[pn.cell] if pn.significant <= 2 else (0, len(nb.cells))
        near = [s for s in shown if first <= s.cell <= last]
        hit = next((s for s in near if s.where == "output" and shows(pn, s)), None)
        hit = hit or next((s for s in near if s.where == "code" and shows(pn, s)), None)
        if hit:
            pn.status, pn.detail = hit.where, f"cell {hit.cell}: {hit.value:g}"
            continue
        rule = exemption(pn)
        if rule:
            pn.status = f"exempt: {rule}"
    problems: list[str] = []
    findings: list[str] = []
    for entry in allowlist or []:
        number, context = normalise(str(entry["number"])), squash(str(entry["context"]))
        label = f"allowlist entry {entry['number']!r} ({entry['context']!r})"
        if sum(bool(entry.get(k)) for k in KINDS) != 1:
            problems.append(f"{name}: {label} needs exactly one of {', '.join(KINDS)}")
            continue
        hits = [pn for pn in numbers if pn.key == number and context in squash(pn.sentence)]
        if not hits:
            problems.append(
                f"{name}: {label} no longer occurs in the prose: delete it (or fix its context)"
            )
            continue
        if entry.get("derived"):
            result, missing = evaluate(str(entry["derived"]), shown)
            if missing:
                problems.append(
                    f"{name}: {label} derives it from {entry['derived']!r}, but no cell shows "
                    f"{', '.join(missing)} any more: update the prose and the entry"
                )
                continue
            wrong = [pn for pn in hits if abs(result - pn.value) > pn.tolerance * (1 + 1e-9)]
            if wrong:
                problems.append(
                    f"{name}: {label}: {entry['derived']} = {result:.6g}, which does not round "
                    f"to {entry['number']}: update the prose"
                )
                continue
        if entry.get("shown_by"):
            where = str(entry["shown_by"])
            other = nb
            if entry.get("notebook"):  # shown by another lesson (a table's size, say)
                other = nbformat.read(str(Path(root or ".") / entry["notebook"]), as_version=4)
            cells = {
                i for i, c in enumerate(other.cells) if c.cell_type == "code" and where in c.source
            }
            shown_there = shown if other is nb else shown_numbers(other)
            if not cells:
                problems.append(f"{name}: {label}: no code cell holds {where!r} any more")
                continue
            wrong = [
                pn for pn in hits if not any(s.cell in cells and shows(pn, s) for s in shown_there)
            ]
            if wrong:
                problems.append(
                    f"{name}: {label}: the cell holding {where!r} no longer shows "
                    f"{entry['number']}: update the prose"
                )
                continue
        # A derivation or a named cell is better evidence than a chance match elsewhere, so
        # it takes over; a bare reason must be needed.
        strong = entry.get("derived") or entry.get("shown_by")
        open_hits = [
            pn for pn in hits if pn.status in ("", "allowlist") or (strong and pn.status != "")
        ]
        if not open_hits:
            problems.append(
                f"{name}: {label} is not needed: a cell shows it or a rule exempts it; delete it"
            )
        for pn in open_hits:
            pn.status = "allowlist"
            kind = next(k for k in KINDS if entry.get(k))
            pn.detail = f"{kind}: {entry[kind]}"
            if kind == "finding":
                findings.append(f"{name}: cell {pn.cell}: {pn.text}: {entry[kind]}")
    for pn in numbers:
        if not pn.status:
            pn.status = "unmatched"
            problems.append(
                f"{name}: cell {pn.cell}: {pn.text} is not shown by any cell: ...{pn.snippet}..."
            )
    return Report(name, numbers, problems, findings)


ALLOWLIST_DIR = Path(__file__).resolve().parent.parent / "tests" / "prose_numbers_allowlist"


def load_allowlist(folder: str | Path = ALLOWLIST_DIR) -> dict[str, list[dict]]:
    """Every allowlist entry by notebook path: one YAML file per lesson in ``folder``
    (its lesson and its solution), so that lessons are revised side by side."""
    import yaml

    merged: dict[str, list[dict]] = {}
    for path in sorted(Path(folder).glob("*.yml")):
        for notebook, entries in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if notebook in merged:
                raise ValueError(f"{path}: {notebook} is also listed in another file")
            merged[notebook] = entries or []
    return merged


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    paths = [a for a in argv if a != "-v"]
    root = ALLOWLIST_DIR.parent.parent
    allowlist = load_allowlist()
    failed = 0
    for path in paths:
        name = Path(path).resolve().relative_to(root).as_posix()
        report = check(path, allowlist.get(name, []), name=name, root=root)
        counts = {k: report.count(k) for k in ("output", "code", "exempt", "allowlist",
                                                "unmatched")}
        print(f"{path}: {len(report.numbers)} numbers, {counts}")
        for pn in report.numbers:
            if verbose or pn.status == "unmatched":
                print(f"  [{pn.cell}] {pn.text:>10}  {pn.status:<22} {pn.detail:<18} {pn.snippet}")
        for problem in report.problems:
            if "allowlist" in problem:
                print(f"  {problem}")
        failed += bool(report.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
