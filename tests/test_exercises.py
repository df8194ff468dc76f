"""The workbook API: answer types, recording, practice and graded modes, answer keys."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from crmlib import exercises
from crmlib.exercises import (
    Choice,
    Frame,
    Number,
    SeriesOf,
    SetOf,
    Text,
    Workbook,
    load_key,
    to_record,
    variant_for,
)

FIXTURES = "tests/fixtures/grading"


def _score(question, answer, expected):
    return question.score(to_record(answer), expected)


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("answer", [4.5, "4.5", "4.50x", " 4.5 ", np.float32(4.5), "$4.5"])
def test_number_accepts_the_forms_a_student_writes(answer):
    assert _score(Number("q", reference=abs, tol=0.001), answer, 4.5) == (1.0, "correct")


def test_number_tolerance_is_absolute_plus_relative():
    q = Number("q", reference=abs, tol=1.0, rel=0.01)
    # allowed = 1 + 0.01 * 200 = 3
    assert _score(q, 202.9, 200)[0] == 1.0
    assert _score(q, 203.2, 200)[0] == 0.0


def test_number_units_thousands_and_percent():
    weeks = Number("q", reference=abs, unit="weeks")
    assert _score(weeks, "1,204 weeks", 1204)[0] == 1.0
    share = Number("q", reference=abs, tol=0.0005, percent=True)
    assert _score(share, "25%", 0.25)[0] == 1.0
    assert _score(share, 0.25, 0.25)[0] == 1.0
    fraction, message = _score(share, 25, 0.25)
    assert fraction == 0.0 and "share" in message


@pytest.mark.parametrize("answer, words", [
    ("about four", "expected a number"), (float("nan"), "NaN"), ([1, 2], "expected a number"),
    (float("inf"), "finite"), ("1e999", "finite")])
def test_number_rejects_what_is_not_a_number_with_a_reason(answer, words):
    fraction, message = _score(Number("q", reference=abs), answer, 1.0)
    assert fraction == 0.0 and words in message


def test_describe_shows_the_expected_value_and_tolerance():
    assert Number("q", reference=abs, tol=0.5).describe(12.0) == "12 (within 0.5)"
    assert Number("q", reference=abs, percent=True).describe(0.125) == "12.50%"


# --------------------------------------------------------------------------- other types
def test_choice_by_number_from_one_letter_or_text_as_in_the_quizzes():
    q = Choice("q", reference=abs, options=["price", "retention", "reach"])
    for answer in ("b", "B)", 2, "2", 2.0, "Retention"):  # the second option, as quizzes count
        assert _score(q, answer, 1)[0] == 1.0, answer
    # a wrong answer says which option it was read as, number, letter and text
    assert _score(q, 1, 1) == (0.0, "not this option: your answer 1 was read as option "
                                    "1 (a) price")
    assert _score(q, "a", 1) == (0.0, "not this option: your answer 'a' was read as option "
                                      "1 (a) price")
    for answer, words in (("z", "from 1 to 3 or a to c"), (0, "0 is not an option"),
                          (4, "4 is not an option")):
        fraction, message = _score(q, answer, 1)
        assert fraction == 0.0 and words in message, (answer, message)
    assert _score(q, True, 1)[0] == 0.0  # a bool is not option 1
    assert q.describe(2) == "3 (c) reach"


def test_set_in_any_order_with_optional_partial_credit():
    q = SetOf("q", reference=abs)
    assert _score(q, [3, 1, 2], {1, 2, 3})[0] == 1.0
    assert _score(q, np.array([1.0, 2.0, 3.0]), {1, 2, 3})[0] == 1.0
    fraction, message = _score(q, {1, 2, 4}, {1, 2, 3})
    assert fraction == 0.0 and "1 item(s) missing and 1 too many" in message
    partial = SetOf("q", reference=abs, partial=True)
    assert _score(partial, {1, 2, 4}, {1, 2, 3})[0] == pytest.approx(2 / 4)


def test_text_normalises_case_accents_and_punctuation():
    q = Text("q", reference=abs)
    assert _score(q, "  Café loyalty! ", "cafe loyalty")[0] == 1.0
    assert _score(q, "referral", ["word of mouth", "Referral"])[0] == 1.0
    assert _score(q, "price", "cafe loyalty")[0] == 0.0


def test_series_by_value_any_order_within_tolerance():
    expected = pd.Series({"web": 10.0, "cafe": 20.0}, name="revenue")
    q = SeriesOf("q", reference=abs, rtol=1e-3)
    assert _score(q, pd.Series({"cafe": 20.001, "web": 10.0}), expected)[0] == 1.0
    assert "values are off" in _score(q, pd.Series({"cafe": 21.0, "web": 10.0}), expected)[1]
    assert "labels differ" in _score(q, pd.Series({"cafe": 20.0}), expected)[1]
    assert "expected a pandas Series" in _score(q, 3.0, expected)[1]
    ordered = SeriesOf("q", reference=abs, check_order=True)
    assert _score(ordered, pd.Series({"cafe": 20.0, "web": 10.0}), expected)[0] == 0.0


def test_series_with_date_labels():
    idx = pd.to_datetime(["2025-01-31", "2025-02-28"])
    expected = pd.Series([1.0, 2.0], index=idx)
    assert _score(SeriesOf("q", reference=abs), expected.copy(), expected)[0] == 1.0


def test_frame_by_value_on_named_columns():
    expected = pd.DataFrame({"orders": [3, 5], "revenue": [30.0, 55.5]}, index=["a", "b"])
    q = Frame("q", reference=abs)
    assert _score(q, expected.iloc[::-1].assign(extra=1), expected)[0] == 1.0
    wrong = expected.assign(revenue=[30.0, 56.0])
    assert "column 'revenue'" in _score(q, wrong, expected)[1]
    assert "missing" in _score(q, expected[["orders"]], expected)[1]
    only_orders = Frame("q", reference=abs, columns=["orders"])
    assert _score(only_orders, wrong, expected)[0] == 1.0


def test_oversized_answers_are_refused_not_stored():
    record = to_record(list(range(exercises.MAX_ITEMS + 1)))
    assert record == {"type": "too_large", "size": exercises.MAX_ITEMS + 1}
    assert "items" in SetOf("q", reference=abs).score(record, {1})[1]


def test_records_are_plain_json():
    frame = pd.DataFrame({"d": pd.to_datetime(["2025-01-01"]), "x": [np.int64(3)],
                          "s": pd.array(["a"], dtype="str")})
    for value in (frame, frame["x"], {np.int64(1), np.int64(2)}, np.float64(2.5), "t",
                  {"a": 1}, pd.Index([1, 2]), pd.NA):
        text = json.dumps(to_record(value))
        assert json.loads(text) == to_record(value)


@pytest.mark.parametrize("bad", [None, "", "x", {"type": "number"}, {"type": "frame"},
                                 {"type": "series", "index": [1], "values": [1, 2]}])
def test_malformed_records_score_zero_without_raising(bad):
    for q in (Number("q", reference=abs), SeriesOf("q", reference=abs),
              Frame("q", reference=abs), SetOf("q", reference=abs), Text("q", reference=abs)):
        fraction, message = q.score(bad, pd.Series({"a": 1.0}) if "Series" in type(q).__name__
                                    else 1.0)
        assert fraction == 0.0 and message


@pytest.mark.parametrize("make, words", [
    (lambda: Number("1bad", reference=abs), "Python name"),
    (lambda: Number("q", reference=3), "function of the variant"),
    (lambda: Number("q", reference=abs, points=0), "points must be positive"),
    (lambda: Choice("q", reference=abs, options=["only"]), "two options")])
def test_key_mistakes_are_named(make, words):
    with pytest.raises(exercises.KeyError_, match=words):
        make()


# --------------------------------------------------------------------------- variants
def test_variant_is_stable_spread_and_none_without_id():
    ids = [f"s{i}" for i in range(500)]
    variants = [variant_for(s) for s in ids]
    assert variants == [variant_for(s) for s in ids]
    assert len(set(variants)) > 490
    assert all(0 <= v < exercises.VARIANTS for v in variants)
    assert variant_for("  ") is None


# --------------------------------------------------------------------------- keys
def test_load_key_of_the_fixture(monkeypatch):
    key = load_key("demo_repurchase", [FIXTURES])
    assert list(key.questions) == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert key.max_points == sum(q.points for q in key.questions.values())


def test_missing_and_broken_keys_name_the_file(tmp_path):
    with pytest.raises(exercises.KeyError_, match="no answer key nope_key.py"):
        load_key("nope", [tmp_path])
    (tmp_path / "bad_key.py").write_text("QUESTIONS = 3\n")
    with pytest.raises(exercises.KeyError_, match="bad_key.py: QUESTIONS must be"):
        load_key("bad", [tmp_path])
    (tmp_path / "boom_key.py").write_text("1/0\n")
    with pytest.raises(exercises.KeyError_, match="boom_key.py: the key does not import"):
        load_key("boom", [tmp_path])
    (tmp_path / "dup_key.py").write_text(
        "from crmlib.exercises import Number\n"
        "QUESTIONS = [Number('a', reference=abs), Number('a', reference=abs)]\n")
    with pytest.raises(exercises.KeyError_, match="duplicate question id"):
        load_key("dup", [tmp_path])
    with pytest.raises(exercises.KeyError_, match="assignment name"):
        load_key("../etc", [tmp_path])


# --------------------------------------------------------------------------- the workbook
@pytest.fixture()
def toy_key(tmp_path):
    (tmp_path / "toy_key.py").write_text(
        "from crmlib.exercises import Number, Choice\n"
        "QUESTIONS = [Number('q1', reference=lambda v: 10 + (v or 0) % 7, points=2,\n"
        "                    hint='add it up', solution='ten plus a bit'),\n"
        "             Choice('q2', reference=lambda v: 0, options=['yes', 'no'])]\n")
    return tmp_path


def test_practice_mode_checks_against_the_students_variant(toy_key, capsys):
    wb = Workbook("toy", student_id="ana", key_dirs=[toy_key])
    expected = 10 + variant_for("ana") % 7
    wb.q1.check(expected)
    wb.q1.check(expected + 1)
    wb.q2.check("a")
    out = capsys.readouterr().out.splitlines()
    assert out == ["q1: correct (2/2 points)",
                   "q1: not quite: the number is off by more than the tolerance (0/2 points)",
                   "q2: correct (1/1 points)"]
    wb.q1.hint()
    wb.q1.solution()
    text = capsys.readouterr().out
    assert "add it up" in text and "ten plus a bit" in text and f"{expected:g}" in text


def test_unanswered_questions_never_raise(toy_key, capsys):
    for graded in (False, True):
        wb = Workbook("toy", student_id="ana", key_dirs=[toy_key], graded=graded)
        wb.q1.check(...)
        wb.q1.check(None)
        wb.q1.check()
    assert capsys.readouterr().out.splitlines() == ["q1: not answered yet"] * 6


def test_practice_mode_without_a_key_or_with_a_bad_id_explains(tmp_path, toy_key, capsys):
    Workbook("absent", key_dirs=[tmp_path]).q1.check(3)
    Workbook("toy", key_dirs=[toy_key]).q9.check(3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("q1: cannot check answers here (no answer key absent_key.py")
    assert lines[1] == "q9: no such question; this workbook has q1, q2"


def test_graded_mode_records_plain_data_and_shows_nothing(toy_key, tmp_path, capsys):
    path = tmp_path / "out" / "answers.json"
    wb = Workbook("toy", student_id="ana", graded=True, answers_path=path, key_dirs=[toy_key])
    assert wb._key is None  # the key (and so every expected answer) is never loaded
    wb.q1.check(np.int64(12))
    wb.q2.check("b")
    wb.q1.hint()
    wb.q1.solution()
    out = capsys.readouterr().out
    assert "correct" not in out and "not quite" not in out and "ten plus" not in out
    assert out.count("answer recorded") == 2 and "not shown while grading" in out
    saved = json.loads(path.read_text())
    assert saved == {"assignment": "toy", "student_id": "ana", "variant": variant_for("ana"),
                     "answers": {"q1": {"type": "number", "value": 12},
                                 "q2": {"type": "text", "value": "b"}}}


def test_graded_mode_survives_an_unwritable_path_and_odd_answers(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    wb = Workbook("toy", graded=True, answers_path=blocker / "answers.json")
    wb.q1.check(3)

    class Weird:
        def __iter__(self):
            raise RuntimeError("no")

        def __str__(self):
            raise RuntimeError("no")

    wb2 = Workbook("toy", graded=True, answers_path=tmp_path / "a.json")
    wb2.q1.check(Weird())
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("q1: could not record the answer")
    assert out[1] == "q1: answer recorded"
    assert json.loads((tmp_path / "a.json").read_text())["answers"]["q1"]["type"] == "unreadable"


def test_fixture_key_references_follow_the_variant():
    key = load_key("demo_repurchase", [FIXTURES])
    a, b = (key.questions["q1"].expected(v) for v in (1, 2))
    assert a != b  # per-student data
    rate = key.questions["q2"].expected(1)
    assert 0 < rate < 1
    assert math.isclose(key.questions["q6"].expected(1), rate / (1.1 - rate))
