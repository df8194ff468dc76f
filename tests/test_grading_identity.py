"""Who handed each submission in, whose data it is graded on, and the files the LMSs
import (fast: nothing is run). Layouts follow Moodle's and Canvas's documented
naming (tests/fixtures/grading/lms/README.md); expectations are written by hand."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from crmlib.exercises import load_key, variant_for
from crmlib.grading import batch, identity, lms, report
from crmlib.grading.core import STATUSES
from crmlib.grading.identity import GradingError, Submission, assign_students, parse_label

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
LMS = FIXTURES / "lms"
KEY = load_key("demo_repurchase", [FIXTURES])


def notebook(typed: str = "") -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
         "execution_count": None,
         "source": f'student_id = "{typed}"\nvariant = None\ngraded = False'}]}).encode()


# label, layout, key (the id the layout gives), LMS id, name, late, rank
LABELS = [
    ("dl.zip/Ana Silva_123456_assignsubmission_file_/demo_exercise.ipynb",
     "moodle", "123456", "123456", "Ana Silva", False, (0, 0)),
    ("dl/Ana Silva_123456_assignsubmission_file_demo_exercise.ipynb",     # flat, Moodle < 3.1
     "moodle", "123456", "123456", "Ana Silva", False, (0, 0)),
    ("dl.zip/Participant_7_assignsubmission_file_/sub/demo.ipynb",       # blind marking
     "moodle", "7", "7", "Participant", False, (0, 0)),
    ("c.zip/silvaana_12345_67890_demo_exercise.ipynb",
     "canvas", "12345", "12345", "silvaana", False, (67890, 0)),
    ("c.zip/silvaana_LATE_12345_68890_demo_exercise-1.ipynb",
     "canvas", "12345", "12345", "silvaana", True, (68890, 1)),
    ("c.zip/silvaana_12345_68891_demo_exercise_2.ipynb",
     "canvas", "12345", "12345", "silvaana", False, (68891, 2)),
    ("subs/ana/demo_exercise.ipynb", "folder", "ana", "", "ana", False, (0, 0)),
    ("subs/ben_demo_exercise.ipynb", "file", "ben", "", "ben", False, (0, 0)),
]


@pytest.mark.parametrize("label, layout, key, lms_id, name, late, rank", LABELS)
def test_each_layout_gives_the_lms_own_id(label, layout, key, lms_id, name, late, rank):
    assert parse_label(label, "demo") == identity.Found(layout, key, lms_id, name, late, rank)


def test_a_glob_over_per_student_folders_keeps_each_folder(tmp_path):
    for sid in ("ana", "ben", "cy"):
        (tmp_path / "subs" / sid).mkdir(parents=True)
        (tmp_path / "subs" / sid / "04_rfm_exercise.ipynb").write_bytes(notebook())
    files = sorted((tmp_path / "subs").glob("*/04_rfm_exercise.ipynb"))  # what the shell passes
    subs = assign_students(batch.collect(files), "04_rfm")
    assert [(s.file, s.student) for s in subs] == [
        (f"subs/{sid}/04_rfm_exercise.ipynb", sid) for sid in ("ana", "ben", "cy")]
    # the same file given twice counts once
    assert len(batch.collect([files[0], files[0]])) == 1


def test_late_files_and_resubmissions_are_one_student_and_the_newest_is_graded():
    subs = [Submission("c.zip/silvaana_12345_67890_demo_exercise.ipynb", notebook("s1"), 9.0),
            Submission("c.zip/silvaana_LATE_12345_68890_demo_exercise-1.ipynb", notebook("s1"),
                       1.0),  # zip times say nothing: the file id decides
            Submission("m.zip/Ana Silva_55_assignsubmission_file_/a.ipynb", notebook("s2"), 1.0),
            Submission("m.zip/Ana Silva_55_assignsubmission_file_/b.ipynb", notebook("s2"), 2.0)]
    assign_students(subs, "demo")
    assert [(s.student, s.status) for s in subs] == [
        ("12345", "duplicate"), ("12345", ""), ("55", "duplicate"), ("55", "")]
    assert "silvaana_LATE_12345_68890_demo_exercise-1.ipynb (late), was graded" in subs[0].note
    # without a roster the data variant is the one the student typed, not the LMS id's
    assert [s.variant_id for s in subs] == ["s1", "s1", "s2", "s2"]


def test_a_roster_maps_lms_ids_and_the_lms_export_joins_it_through_emails(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_id,email\ns001,123456,\ns002,,bruno.costa@uni.example\n"
                      "s003,,\n")
    subs = [Submission("m.zip/Ana Silva_123456_assignsubmission_file_/x.ipynb", notebook("s001"),
                       1.0),
            Submission("m.zip/Bruno Costa_123457_assignsubmission_file_/x.ipynb",
                       notebook("s002"), 1.0)]
    directory = identity.lms_directory(moodle_worksheet=LMS / "moodle_grading_worksheet.csv")
    assign_students(subs, "demo", identity.read_roster(roster), directory)
    assert [(s.student, s.variant_id, s.lms_id, s.status) for s in subs] == [
        ("s001", "s001", "123456", ""), ("s002", "s002", "123457", "")]


def test_a_roster_that_matches_few_submissions_is_refused_before_grading(tmp_path):
    roster = tmp_path / "university.csv"
    roster.write_text("student_id\n20231001\n20231002\n20231003\n")
    labels = [f"m.zip/Student {i}_{900 + i}_assignsubmission_file_/x.ipynb" for i in range(4)]
    subs = [Submission(label, notebook(), 1.0) for label in labels]
    with pytest.raises(GradingError) as err:
        assign_students(subs, "demo", identity.read_roster(roster))
    message = str(err.value)
    assert str(roster) in message and "only 0 of 4" in message
    assert "900, 901, 902" in message and "lms_id" in message and "Nothing was graded" in message
    # half matched is enough
    subs = [Submission(f"s/2023100{i}/x.ipynb", notebook(), 1.0) for i in (1, 2)] + [
        Submission(f"s/x{i}/x.ipynb", notebook(), 1.0) for i in (1, 2)]
    assert [s.status for s in assign_students(subs, "demo", identity.read_roster(roster))] == [
        "", "", "unmatched", "unmatched"]


def test_the_batch_refuses_the_roster_before_writing_anything(tmp_path):
    (tmp_path / "subs" / "Ana Silva_1_assignsubmission_file_").mkdir(parents=True)
    (tmp_path / "subs" / "Ana Silva_1_assignsubmission_file_" / "x.ipynb").write_bytes(
        notebook())
    roster = tmp_path / "r.csv"
    roster.write_text("student_id\n20231001\n")
    with pytest.raises(GradingError, match="only 0 of 1"):
        batch.grade("demo_repurchase", [tmp_path / "subs"], tmp_path / "out", roster=roster,
                    key_dirs=[FIXTURES], progress=False, use_bwrap=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("raw, clean", [
    ("../../etc/passwd", "passwd"), ("s1\u202e23", "s123"), ("s1\u200f2\x003", "s123"),
    ("a\\b\\s9", "s9"), ("  Ana\t Silva \n", "Ana Silva"), ("..", "")])
def test_ids_are_cleaned_of_path_parts_and_control_characters(raw, clean):
    assert identity.clean_id(raw) == clean


def test_the_typed_id_is_read_without_running_the_notebook_and_differences_are_named():
    subs = [Submission("subs/s004/x.ipynb", notebook("s999"), 1.0),
            Submission("subs/s005/x.ipynb", notebook(""), 1.0)]
    assign_students(subs, "demo", ["s004", "s005"])
    first, second = subs
    assert (first.variant_id, first.typed_id) == ("s004", "s999")
    assert (f"'s999' (data variant {variant_for('s999')})" in first.notes[0]
            and f"(data variant {variant_for('s004')})" in first.notes[0])
    assert "student_id is empty" in second.notes[0]
    assert identity.typed_student_id(b"not json") == ""


# --------------------------------------------------------------------------- LMS exports
def _rows():
    return [{"student": "123456", "lms_id": "123456", "status": "graded", "total": "6",
             "max": "8", "feedback": "ran without errors; 6/6 answered", "id_note": ""},
            {"student": "s002", "lms_id": "", "status": "invalid", "total": "0", "max": "8",
             "feedback": "the file is empty", "id_note": ""},
            {"student": "s005", "lms_id": "", "status": "missing", "total": "0", "max": "8",
             "feedback": "", "id_note": ""}]


def test_moodle_worksheet_gets_grade_and_feedback_and_keeps_the_rest(tmp_path):
    out = tmp_path / "w.csv"
    counts = lms.write_moodle_worksheet(LMS / "moodle_grading_worksheet.csv", _rows(), 8, out)
    assert counts == {"filled": 1, "not_in_worksheet": 1}
    before = list(csv.DictReader((LMS / "moodle_grading_worksheet.csv").open()))
    after = list(csv.DictReader(out.open()))
    assert list(after[0]) == list(before[0])          # the same columns, in order
    assert after[0]["Grade"] == "15.00"                # 6 of 8, scaled to a maximum of 20
    assert after[0]["Feedback comments"] == "6/8: ran without errors; 6/6 answered"
    for i in (1, 2):
        assert after[i] == before[i]                   # students not graded: untouched
    assert out.stat().st_mode & 0o777 == 0o640


def test_canvas_import_has_identity_columns_and_one_assignment_only(tmp_path):
    out = tmp_path / "c.csv"
    rows = _rows()
    rows[0] = {**rows[0], "lms_id": "12345"}
    rows[1] = {**rows[1], "status": "graded", "total": "4"}      # s002 is Ben's SIS User ID
    counts = lms.write_canvas_gradebook(LMS / "canvas_gradebook_export.csv", rows, 8, out,
                                        "04_rfm")
    assert counts == {"column": "04 RFM (1234)", "filled": 2, "not_in_gradebook": 0}
    lines = list(csv.reader(out.open()))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "04 RFM (1234)"]
    assert lines[1][0].strip() == "Points Possible" and lines[1][-1] == "11"
    # 6/8 and 4/8 of 11 points; Ben appears once, the later row wins; Bruno untouched
    assert {r[1]: r[-1] for r in lines[2:]} == {"12345": "5.5", "12346": "", "12347": "9"}
    with pytest.raises(GradingError, match="2 assignment columns match 'RFM'|0 assignment"):
        lms.canvas_column(lms.read_canvas_gradebook(LMS / "canvas_gradebook_export.csv"),
                          "no such thing")


def test_an_lms_file_that_is_not_the_export_is_refused_by_name(tmp_path):
    wrong = tmp_path / "grades.csv"
    wrong.write_text("Student ID,grade\n1,2\n")
    with pytest.raises(GradingError, match="grades.csv: no column"):
        lms.read_moodle_worksheet(wrong)
    with pytest.raises(GradingError, match="grades.csv: no column"):
        lms.read_canvas_gradebook(wrong)


# --------------------------------------------------------------------------- outputs
def test_summary_states_its_n_and_what_it_leaves_out(tmp_path):
    rows = [{"student": f"s{i}", "status": status, "total": total, "feedback": "",
             **{q: "0" for q in KEY.questions}}
            for i, (status, total) in enumerate([("graded", "8"), ("error", "2"),
                                                 ("invalid", "0"), ("invalid", "0"),
                                                 ("missing", "0")])]
    text = report.class_summary(rows, KEY, tmp_path, [], io.StringIO())
    assert "mean 5.00" in text                       # (8 + 2) / 2: invalid rows not counted
    assert "n = 2 submissions that ran" in text and "left out: 2 invalid, 1 missing" in text
    for name in ("summary.txt", "summary.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640


def test_feedback_page_shows_own_answer_expected_hint_id_and_variant():
    result = {"student": "s004", "file": "subs/s004/x.ipynb", "status": "graded", "total": 1,
              "max": 8, "feedback": "ran", "notes": [], "variant": variant_for("s004"),
              "variant_id": "s004", "typed_id": "s999", "lms_id": "",
              "questions": [{"question": "q1", "points": 0, "max": 1, "message": "not quite",
                             "answer": "4242", "expected": "4,300", "hint": "Count them."}]}
    page = report.feedback_page(result, KEY, STATUSES)
    assert "<pre>4242</pre>" in page and "<pre>4,300</pre>" in page and "Count them." in page
    assert f"student_id <b>s004</b> (data variant <b>{variant_for('s004')}</b>)" in page
    assert f"student_id is s999</b> (data variant {variant_for('s999')})" in page


def test_an_older_gradebook_is_read_and_gains_the_identity_columns(tmp_path):
    path = tmp_path / "gradebook.csv"
    old = batch.BASE_COLUMNS + list(KEY.questions) + batch.OLD_TAIL_COLUMNS
    path.write_text(",".join(old) + "\n" + ",".join(["ana", "f", "graded"] + ["1"] * (
        len(old) - 3)) + "\n")
    rows = batch.read_gradebook(path, list(KEY.questions))
    assert rows[0]["student"] == "ana" and rows[0]["typed_id"] == ""


def test_zip_submissions_from_moodle_and_canvas_are_read_without_extracting(tmp_path):
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Ana Silva_1_assignsubmission_file_/x.ipynb", notebook("s1"))
        zf.writestr("Ben Lee_2_assignsubmission_file_/x.ipynb", notebook("s2"))
    subs = assign_students(batch.collect([archive]), "demo")
    assert [(s.student, s.name, s.typed_id) for s in subs] == [("1", "Ana Silva", "s1"),
                                                                ("2", "Ben Lee", "s2")]
