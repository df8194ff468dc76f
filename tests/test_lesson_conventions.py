"""The conventions every lesson keeps (SYLLABUS "Lesson size and time", "Quizzes at the end of
a lesson", "References"; issues 20 and 21): an honest time from the time model, a core within
its size limits, an end-of-lesson quiz of at most 12 questions covering the objectives, a
reference list in one style, and money written so that JupyterLab does not render it as maths.

The time model itself is tools/lesson_time.py; these tests recompute nothing it decides
except what a reader can check by eye (the stated figure, the limits, the layout).
"""

from __future__ import annotations

import importlib.util
import re
import sys

import nbformat
import pytest
from support import REPO

from crmlib.quiz import find_bank
from crmlib.quiz.bank import MAX_LESSON_QUIZ

_spec = importlib.util.spec_from_file_location("lesson_time", REPO / "tools" / "lesson_time.py")
lesson_time = importlib.util.module_from_spec(_spec)
sys.modules["lesson_time"] = lesson_time
_spec.loader.exec_module(lesson_time)

LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DOLLAR = "<span>&#36;</span>"  # how a lesson writes a dollar sign
QUIZ = re.compile(r'lesson_quiz\("(\d\d)"\)')
# An author-year citation: "Reichheld and Sasser (1990)", "Fader et al. (2005)",
# "Gupta, Lehmann and Stuart (2004, JMR)", "(Ascarza, 2018)", "(Kivetz et al. 2006)".
NAME = r"[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:['\-][^\W\d_]+)*"  # "Cramér", "O'Brien", "Hardie-Lee"
AUTHORS = rf"(?P<first>{NAME})(?:(?:, {NAME})*,? (?:and|&) {NAME}| et al\.)?"
CITATION = re.compile(
    rf"{AUTHORS}(?:'s)? \((?P<year>(?:19|20)\d\d)[a-z]?(?:[,;][^)]*)?\)"
    rf"|\({AUTHORS.replace('first', 'pfirst')},? (?P<pyear>(?:19|20)\d\d)[a-z]?\)")
NOT_AUTHORS = {"January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December", "Harbor", "Lesson", "In", "Since"}
ENTRY = re.compile(r"^- (?P<first>[^,(]+?),? .*?\((?P<year>(?:19|20)\d\d)[a-z]?\)\. \S")


def _nb(path):
    return nbformat.read(path, as_version=4)


def _objectives(nb) -> list[int]:
    """The numbers of the learning objectives listed in the title cell."""
    text = nb.cells[0].source.split("By the end of this lesson you can", 1)[-1]
    return [int(n) for n in re.findall(r"^\s*(\d+)\.\s", text, re.M)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_the_stated_time_is_the_modelled_time_and_the_core_fits(path):
    m = lesson_time.measure(path)
    assert m["stated"] == m["modelled"], (
        f"{path.name}: states {m['stated']} minutes, the time model gives {m['modelled']} "
        f"({m['words']} words, {m['code_cells']} code cells, {m['figures']} figures, "
        f"{m['what_ifs']} what-ifs, {m['quiz_questions']} quiz questions): write "
        f"'**Time:** {lesson_time.stated_text(m['modelled'])}'")
    assert m["modelled"] <= lesson_time.MAX_CORE_MINUTES, (
        f"{path.name}: the core models {m['modelled']} minutes; move optional material into "
        "'## Going further (optional)'")
    assert m["longest_prose"] <= lesson_time.MAX_PROSE_WORDS, (
        f"{path.name}: a prose cell of {m['longest_prose']} words")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_layout_core_quiz_going_further_references(path):
    nb = _nb(path)
    core = lesson_time.core_cells(nb)
    rest = nb.cells[len(core):]
    lesson = path.name[:2]
    assert rest and rest[-1].cell_type == "markdown", f"{path.name}: no ## References cell"
    assert rest[-1].source.startswith("## References"), f"{path.name}: last cell is not References"
    heads = [c.source.splitlines()[0] for c in rest if c.cell_type == "markdown"
             and c.source.startswith("## ")]
    assert heads[0].startswith(("## Going further", "## References")), heads
    assert sum(h.startswith("## References") for h in heads) == 1
    assert any(c.cell_type == "markdown" and "## Take-aways" in c.source for c in core)
    code = [c for c in core if c.cell_type == "code"]
    if lesson != "07":
        assert code and QUIZ.search(code[-1].source), (
            f"{path.name}: the quiz is not the last code cell of the core")
        assert QUIZ.search(code[-1].source).group(1) == lesson
        assert "nbval-ignore-output" in code[-1].metadata.get("tags", [])
    assert not any(QUIZ.search(c.source) for c in rest if c.cell_type == "code"), (
        f"{path.name}: Going further is outside the quiz")


@pytest.mark.parametrize("path", [p for p in LESSONS if p.name[:2] != "07"],
                         ids=lambda p: p.name)
def test_the_end_of_lesson_quiz_covers_every_objective_in_at_most_12(path):
    nb = _nb(path)
    bank = find_bank(path.name[:2])
    assert bank.lesson_quiz, f"{bank.path.name}: no lesson_quiz list"
    assert len(bank.lesson_quiz) <= MAX_LESSON_QUIZ
    objectives = _objectives(nb)
    assert objectives == list(range(1, len(objectives) + 1)), objectives
    covered = {objective for _, objective in bank.lesson_quiz}
    assert covered == set(objectives), (
        f"{bank.path.name}: lesson_quiz covers objectives {sorted(covered)}, the lesson "
        f"lists {objectives}")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_money_is_written_so_that_it_does_not_render_as_maths(path):
    """JupyterLab typesets the text between two dollar signs as maths, whether they are
    bare, escaped (\\$) or entities (&#36;), once they stand in the same paragraph; a
    dollar sign in an element of its own, <span>&#36;</span>, is never paired (checked in
    Chromium by tests/test_browser_lessons.py)."""
    for i, cell in enumerate(_nb(path).cells):
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"`[^`]*`", "", cell.source).replace(DOLLAR, "")  # code spans, money
        assert "\\$" not in text, f"{path.name} cell {i}: write money as {DOLLAR}"
        assert "&#36;" not in text, f"{path.name} cell {i}: write money as {DOLLAR}"
        # A bare "$1,200" is money too, but "$1 - \\theta$" is maths: the browser test
        # sees what a pair of bare dollar signs became.
        money = re.search(r"\$\d{1,3}(?:,\d{3})+\b|\$\d+\.\d\d\b", text)
        assert not money, f"{path.name} cell {i}: '{money and money.group(0)}': write {DOLLAR}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_references_in_one_style_and_every_citation_listed(path):
    nb = _nb(path)
    refs = nb.cells[-1].source
    entries = [line for line in refs.splitlines()[1:] if line.strip()]
    assert entries, f"{path.name}: an empty reference list"
    listed = set()
    for line in entries:
        m = ENTRY.match(line)
        assert m, f"{path.name}: reference not in the course's style: {line[:90]}"
        listed.add((m["first"].split()[-1].strip(","), m["year"]))
    prose = "\n".join(c.source for c in nb.cells[:-1] if c.cell_type == "markdown")
    cited = {(m["first"] or m["pfirst"], m["year"] or m["pyear"])
             for m in CITATION.finditer(prose)} - {(n, y) for n in NOT_AUTHORS
                                                    for y in map(str, range(1900, 2100))}
    missing = {c for c in cited if c not in listed}
    assert not missing, f"{path.name}: cited but not in the references: {sorted(missing)}"
    unused = {e for e in listed if e not in cited}
    assert not unused, f"{path.name}: listed but never cited: {sorted(unused)}"
