"""Written answers a person marks (issue 18, item 5): the question type, the review
sheets ``crm grade`` writes without names, and ``--reviews`` folding marks back in."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import nbformat
import pytest

from crmlib.exercises import KeyError_, Workbook, Written, load_key
from crmlib.grading import reviews
from crmlib.grading.batch import GradingError, _row, grade
from crmlib.grading.core import score
from crmlib.grading.report import feedback_page, item_statistics
from crmlib.grading.sandbox import Limits

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
KEY = load_key("demo_written", [FIXTURES])
LIMITS = Limits(timeout=120, cell_timeout=60, file_mb=16, processes=48)
ANSWER = ("A cafe customer who stops coming sends no cancellation, so the firm only sees "
          "silence and has to infer who left.")


# --------------------------------------------------------------------------- the question
def test_written_is_recorded_never_scored_and_says_so_in_practice(capsys):
    wb = Workbook("demo_written", student_id="ana", key_dirs=[FIXTURES])
    wb.q2.check("Too short.")
    short = capsys.readouterr().out
    assert "2 words is short" in short and "marked by hand" in short
    assert "points)" not in short.replace("2 points, marked by hand)", "")
    wb.q2.check(ANSWER)
    fine = capsys.readouterr().out
    assert "recorded (21 words)" in fine and "short" not in fine
    wb.q2.solution()
    assert "What a marker looks for" in capsys.readouterr().out
    assert wb.results["q2"][0] == 0.0  # never an automatic point


@pytest.mark.parametrize("bad", [dict(min_words=50, max_words=10), dict(min_words=-1),
                                 dict(max_words=2.5)])
def test_written_length_bounds_are_checked(bad):
    with pytest.raises(KeyError_, match="min_words and max_words"):
        Written("q9", reference=lambda v: "", **bad)


def _scored(answer):
    refs = {qid: q.expected(None) for qid, q in KEY.questions.items()}
    answers = {"q1": {"type": "number", "value": refs["q1"]}}
    if answer is not None:
        answers["q2"] = {"type": "text", "value": answer}
    return score(KEY, answers, refs)


def test_a_written_answer_awaits_a_mark_and_counts_nothing_until_then():
    rows = {r["question"]: r for r in _scored(ANSWER)}
    assert rows["q2"]["pending"] and rows["q2"]["points"] == 0
    assert rows["q2"]["answer"] == ANSWER  # whole, not cut to a preview
    result = {"student": "ana", "file": "ana.ipynb", "status": "graded", "total": 1.0,
              "max": 3.0, "runtime_s": 1.0, "feedback": "", "questions": list(rows.values())}
    row = _row(result, list(KEY.questions))
    assert row["q1"] == "1" and row["q2"] == ""  # empty: not a zero
    page = feedback_page(result, KEY, {"graded": "ran"})
    assert "awaiting a mark / 2" in page and "2 points of written answers await" in page
    stats = item_statistics([row, {**row, "q1": "0", "q2": "1"}], KEY)
    assert stats.loc["q2", "mean"] == 0.5  # only the marked answer counts
    unanswered = {r["question"]: r for r in _scored(None)}["q2"]
    assert not unanswered["pending"] and unanswered["points"] == 0


def test_review_ids_are_stable_short_and_reveal_no_student():
    a = reviews.review_id(b"secret-1", "ana.silva", "q2")
    assert a == reviews.review_id(b"secret-1", "ana.silva", "q2")
    assert a != reviews.review_id(b"secret-2", "ana.silva", "q2")  # needs the folder's secret
    assert a != reviews.review_id(b"secret-1", "ana.silva", "q3")  # not followable across
    assert "ana" not in a.lower() and len(a) == 10


# --------------------------------------------------------------------------- a class
def _submission(folder: Path, student: str, written: str | None) -> None:
    nb = nbformat.read(FIXTURES / "demo_written_solution.ipynb", as_version=4)
    last = nb.cells[-1]
    if written is None:
        last.source = "wb.q2.check(...)"
    else:
        last.source = f"wb.q2.check({written!r})"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{student}_demo_written.ipynb")


def _sheet(out: Path) -> Path:
    return out / reviews.REVIEWS / "demo_written_q2.csv"


def _fill(sheet: Path, target: Path, marks: dict[str, tuple[str, str]]) -> Path:
    with sheet.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = _ids(sheet.parent.parent)
    for row in rows:
        student = ids[row["review_id"]]
        if student in marks:
            row["points"], row["comment"] = marks[student]
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def _ids(out: Path) -> dict[str, str]:
    with (out / reviews.IDS_FILE).open(encoding="utf-8", newline="") as fh:
        return {r["review_id"]: r["student"] for r in csv.DictReader(fh)}


def _book(out: Path) -> dict[str, dict]:
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_sheets_without_names_then_marks_folded_into_gradebook_feedback_and_exports(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    _submission(subs, "ana", ANSWER)
    _submission(subs, "ben", "Leaving is silent: nobody cancels a coffee habit, so the firm "
                             "must infer it.")
    _submission(subs, "cid", None)
    run = dict(jobs=2, limits=LIMITS, progress=False, key_dirs=[FIXTURES])
    first = grade("demo_written", [subs], out, **run)
    book = _book(out)
    assert {s: (r["q1"], r["q2"], r["total"]) for s, r in book.items()} == {
        "ana": ("1", "", "1"), "ben": ("1", "", "1"), "cid": ("1", "0", "1")}
    assert any("WRITTEN ANSWERS: 2 await a mark" in w for w in first.warnings)
    # the folder for markers holds the answers and no names
    text = "".join(p.read_text(encoding="utf-8") for p in (out / reviews.REVIEWS).iterdir())
    assert ANSWER in text and "nobody cancels" in text
    assert not re.search(r"\b(ana|ben|cid)\b", text)
    assert sorted(_ids(out).values()) == ["ana", "ben"]

    filled = _fill(_sheet(out), tmp_path / "marked.csv",
                   {"ana": ("2", "clear reason"), "ben": ("1,5", "say what to do about it")})
    second = grade("demo_written", [subs], out, review_sheets=[filled], **run)
    assert second.skipped == 3  # nothing is run again
    book = _book(out)
    assert (book["ana"]["q2"], book["ana"]["total"]) == ("2", "3")
    assert (book["ben"]["q2"], book["ben"]["total"]) == ("1.5", "2.5")
    page = (out / "feedback" / "ben.html").read_text(encoding="utf-8")
    assert "marked by a reviewer: 1.5 of 2; say what to do about it" in page
    with (out / "lms_grades.csv").open(encoding="utf-8", newline="") as fh:
        grades = {r["Student ID"]: r for r in csv.DictReader(fh)}
    assert grades["ana"]["demo_written (out of 3)"] == "3"
    assert not any("WRITTEN ANSWERS" in w for w in second.warnings), second.warnings
    # the sheet shows the marks, so a marker can revise them
    with _sheet(out).open(encoding="utf-8", newline="") as fh:
        assert sorted(r["points"] for r in csv.DictReader(fh)) == ["1.5", "2"]

    # a resubmission that says something else waits for its own mark
    _submission(subs, "ben", "The firm only sees silence when a customer stops buying.")
    grade("demo_written", [subs], out, **run)
    book = _book(out)
    assert (book["ben"]["q2"], book["ben"]["total"]) == ("", "1")
    assert (book["ana"]["q2"], book["ana"]["total"]) == ("2", "3")  # kept


@pytest.mark.slow
def test_a_bad_sheet_is_refused_naming_file_line_and_column_and_nothing_changes(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    _submission(subs, "ana", ANSWER)
    run = dict(jobs=1, limits=LIMITS, progress=False, key_dirs=[FIXTURES])
    grade("demo_written", [subs], out, **run)
    before = (out / "gradebook.csv").read_bytes()
    cases = {
        ("3", ""): r"bad\.csv, line 2, column 'points': 3 is outside 0 to 2",
        ("two", ""): r"line 2, column 'points': 'two' is not a number",
    }
    for (points, comment), message in cases.items():
        bad = _fill(_sheet(out), tmp_path / "bad.csv", {"ana": (points, comment)})
        with pytest.raises(GradingError, match=message):
            grade("demo_written", [subs], out, review_sheets=[bad], **run)
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("review_id,question,points,comment\nR-00000000,q2,1,\n")
    with pytest.raises(GradingError, match=r"foreign\.csv, line 2, column 'review_id'"):
        grade("demo_written", [subs], out, review_sheets=[foreign], **run)
    wrong_q = tmp_path / "wrong_q.csv"
    rid = next(iter(_ids(out)))
    wrong_q.write_text(f"review_id,question,points,comment\n{rid},q1,1,\n")
    with pytest.raises(GradingError, match=r"column 'question': .* answers q2, not q1"):
        grade("demo_written", [subs], out, review_sheets=[wrong_q], **run)
    no_points = tmp_path / "cols.csv"
    no_points.write_text("review_id,comment\n")
    with pytest.raises(GradingError, match=r"cols\.csv: column\(s\) \['points'\] missing"):
        grade("demo_written", [subs], out, review_sheets=[no_points], **run)
    assert (out / "gradebook.csv").read_bytes() == before
    assert not (out / reviews.MARKS_FILE).exists()
    with pytest.raises(GradingError, match="no review sheets were written"):
        grade("demo_written", [subs], tmp_path / "elsewhere", review_sheets=[foreign], **run)


def test_marks_fold_into_the_graded_row_when_an_older_file_has_a_duplicate_row(tmp_path):
    # A student who handed in twice has the newest file graded and a "duplicate" row for
    # the older one: the mark belongs to the graded row.
    from crmlib.grading import batch

    out, questions = tmp_path / "out", list(KEY.questions)
    rows = {r["question"]: r for r in _scored(ANSWER)}
    result = {"student": "ben", "file": "ben_new.ipynb", "status": "graded", "total": 1.0,
              "max": 3.0, "runtime_s": 1.0, "feedback": "", "questions": list(rows.values())}
    (out / "feedback").mkdir(parents=True)
    reviews.save_result(out, "ben", result)
    graded = batch._row(result, questions)
    older = {**graded, "file": "ben_old.ipynb", "status": "duplicate", "q2": "0"}
    table = {("ben", "ben_new.ipynb"): graded, ("ben", "ben_old.ipynb"): older}
    header = batch.columns(questions)
    batch._fold_reviews(out, KEY, table, questions, header, out / "gradebook.csv", None, [])
    sheet = _sheet(out)
    filled = _fill(sheet, tmp_path / "m.csv", {"ben": ("2", "good")})
    marks = reviews.read_sheets([filled], out, KEY)
    batch._fold_reviews(out, KEY, table, questions, header, out / "gradebook.csv", marks, [])
    assert table[("ben", "ben_new.ipynb")]["q2"] == "2"
    assert table[("ben", "ben_new.ipynb")]["total"] == "3"
    assert table[("ben", "ben_old.ipynb")]["status"] == "duplicate"
