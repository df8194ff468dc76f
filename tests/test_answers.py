"""Reading typed answers (crmlib.answers): one reading for quizzes and workbooks.

Every expectation below is worked out by hand from the rules in the module's
docstring, never from the code's output.
"""

from __future__ import annotations

import pytest

from crmlib import answers
from crmlib.answers import AnswerError, read_flag, read_number, read_option
from crmlib.exercises import Choice, Number, Workbook, parse_number, to_record
from crmlib.quiz.bank import parse_number as quiz_number

# typed, value, had a percent sign; the rule that decides (see the module docstring)
NUMBERS = [
    ("0,7751", 0.7751, False),       # one comma, four digits after: decimal comma
    ("1.234,5", 1234.5, False),      # both marks: the last one (comma) is the decimal
    ("1,234.5", 1234.5, False),      # both marks: the last one (point) is the decimal
    ("70,0", 70.0, False),           # one comma, one digit after: decimal
    ("1,234", 1234.0, False),        # the documented ambiguous case: thousands
    ("0,775", 0.775, False),         # 0 before the comma is never a thousands group
    ("-0,5", -0.5, False),
    ("1234,567", 1234.567, False),   # four digits before: not a thousands group
    ("1.234", 1.234, False),         # one point alone: always the decimal mark
    ("1,234,567", 1234567.0, False),
    ("1.234.567", 1234567.0, False),
    ("1 234,5", 1234.5, False),      # a space between digit groups
    ("1\u202f234,5", 1234.5, False),  # a narrow no-break space (French typography)
    ("1'234.5", 1234.5, False),      # Swiss grouping
    ("$1,234.50", 1234.5, False),
    ("1.234,50 €", 1234.5, False),
    ("-$3", -3.0, False),
    ("\u22123", -3.0, False),        # the minus sign
    ("12.5%", 12.5, True),
    ("2,1 %", 2.1, True),
    ("4.5x", 4.5, False),
    ("1e-3", 0.001, False),
    (".5", 0.5, False),
]


@pytest.mark.parametrize("typed, value, percent", NUMBERS)
def test_numbers_read_as_people_type_them(typed, value, percent):
    assert read_number(typed) == (pytest.approx(value, rel=1e-12), percent)


@pytest.mark.parametrize("typed, value, percent", NUMBERS)
def test_quiz_and_workbook_read_every_number_the_same(typed, value, percent):
    assert quiz_number(typed) == (pytest.approx(value, rel=1e-12), percent)
    # the workbook turns a percent into a share
    expected = value / 100 if percent else value
    assert parse_number(to_record(typed)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("typed", ["", "abc", "1..2", "nan", "inf", "%", "1,2,3", "1.2,3,4",
                                   "1,23.4", "--1", "12 apples"])
def test_what_is_not_a_number_is_refused_with_the_text_quoted(typed):
    with pytest.raises(AnswerError, match="not a number"):
        read_number(typed)


def test_a_workbook_number_typed_with_a_decimal_comma_scores_and_echoes_what_was_read():
    q = Number("q", reference=abs, tol=1e-4)
    assert q.score(to_record("0,7751"), 0.7751) == (1.0, "correct")
    assert q.score(to_record("1.234,5"), 1234.5) == (1.0, "correct")
    fraction, message = q.score(to_record("1,234"), 1.234)
    assert fraction == 0.0 and "read '1,234' as 1234" in message


# answer, options, 0-based index: options count from 1, letters from a
OPTIONS = ["price", "retention", "reach", "Cafe loyalty"]
CHOICES = [(1, 0), (4, 3), ("1", 0), ("2.", 1), ("(3)", 2), ("a", 0), ("B", 1), ("(c)", 2),
           ("d)", 3), ("retention", 1), ("  Café-Loyalty! ", 3), (2.0, 1)]


@pytest.mark.parametrize("answer, index", CHOICES)
def test_options_are_numbered_from_one_and_lettered_from_a(answer, index):
    assert read_option(answer, OPTIONS) == index


@pytest.mark.parametrize("answer", [0, 5, -1, "-1", "0", "e", "1,2", True, None, 1.5, "pricey"])
def test_options_that_do_not_exist_are_refused_saying_what_the_options_are(answer):
    with pytest.raises(AnswerError, match="1 to 4 or a to d|is not an option"):
        read_option(answer, OPTIONS)


def test_quiz_terminal_and_workbook_number_options_alike():
    from crmlib.quiz.terminal import parse_choice

    q = Choice("q", reference=abs, options=OPTIONS)
    for typed in ("1", "2", "3", "4"):
        assert q.index(to_record(int(typed))) == parse_choice(typed, 4, multiple=False)
    assert answers.option_label(2, OPTIONS) == "3 (c) reach"


@pytest.mark.parametrize("value, flag", [
    ("false", False), ("False", False), ("0", False), ("no", False), ("", False),
    (0, False), (False, False), (None, False),
    ("true", True), ("True", True), ("1", True), ("yes", True), (1, True), (True, True)])
def test_graded_accepts_what_papermill_passes(value, flag):
    assert read_flag(value) is flag
    wb = Workbook("demo_repurchase", student_id="s1", graded=value,
                  key_dirs=["tests/fixtures/grading"])
    assert wb.graded is flag


def test_graded_refuses_a_value_it_cannot_read():
    with pytest.raises(ValueError, match="graded must be True or False, got 'maybe'"):
        Workbook("demo_repurchase", student_id="s1", graded="maybe")


def test_practice_mode_warns_when_student_id_is_empty(capsys):
    Workbook("demo_repurchase", student_id="", key_dirs=["tests/fixtures/grading"])
    assert "student_id is empty" in capsys.readouterr().err
    Workbook("demo_repurchase", student_id="s1", key_dirs=["tests/fixtures/grading"])
    Workbook("demo_repurchase", student_id="", graded=True)   # the grader always sets it
    assert capsys.readouterr().err == ""
