"""A small class handed in the ways an LMS delivers it, graded end to end.

One Moodle "download all" zip, one Canvas "download submissions" zip (a late
resubmission included) and a shell glob over per-student folders, with a
roster that maps the LMS ids to the course's student ids, and the LMS's own
exports to fill in. The layouts follow each LMS's documented naming (see
tests/fixtures/grading/lms/README.md). Expected points come from the key's
question points, never from the grader's output. The runs are not sandboxed
(``use_bwrap=False``): who a submission belongs to and which data it is graded
on are decided before a run starts, and tests/test_grading.py covers the sandbox.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import nbformat
import pytest

from crmlib.exercises import load_key, variant_for
from crmlib.grading import notebooks
from crmlib.grading.batch import grade
from crmlib.grading.sandbox import Limits

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
LMS = FIXTURES / "lms"
KEY = load_key("demo_repurchase", [FIXTURES])
MAX = sum(q.points for q in KEY.questions.values())
LIMITS = Limits(timeout=120, cell_timeout=60, memory_mb=Limits.memory_mb, file_mb=16, processes=48)


def worked_on(typed: str, answered: bool = True) -> str:
    """A workbook whose student typed ``typed`` and worked on that id's data, whatever
    the grader injects (the answers are the ones that data gives)."""
    nb = nbformat.read(FIXTURES / "demo_repurchase_solution.ipynb", as_version=4)
    if not answered:
        nb = notebooks.build_exercise(nb)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace('student_id = ""', f'student_id = "{typed}"')
    at = next(i for i, c in enumerate(nb.cells) if "Workbook(" in c.source) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(
        "from crmlib.exercises import variant_for\n"
        f"customers = load_harbor('customers', variant=variant_for({typed!r}))\n"
        f"purchases = load_harbor('purchases', variant=variant_for({typed!r}))"))
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    moodle = root / "moodle.zip"
    with zipfile.ZipFile(moodle, "w") as zf:
        zf.writestr("Ana Silva_123456_assignsubmission_file_/demo_repurchase_exercise.ipynb",
                    worked_on("s001"))
    canvas = root / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as zf:
        zf.writestr("silvaben_12345_67890_demo_repurchase_exercise.ipynb",
                    worked_on("s002", answered=False))
        zf.writestr("silvaben_LATE_12345_68890_demo_repurchase_exercise-1.ipynb",
                    worked_on("s002"))
    for sid, typed in (("s003", "s003"), ("s004", "s999")):
        folder = root / "subs" / sid
        folder.mkdir(parents=True)
        (folder / "demo_repurchase_exercise.ipynb").write_text(worked_on(typed))
    roster = root / "roster.csv"
    roster.write_text("student_id,lms_id,email\ns001,123456,ana.silva@uni.example\n"
                      "s002,12345,\ns003,,\ns004,,\ns005,,\n")
    glob = sorted((root / "subs").glob("*/demo_repurchase_exercise.ipynb"))
    out = root / "out"
    result = grade("demo_repurchase", [moodle, canvas, *glob], out, jobs=2, limits=LIMITS,
                   roster=roster, key_dirs=[FIXTURES], progress=False, use_bwrap=False,
                   moodle_worksheet=LMS / "moodle_grading_worksheet.csv",
                   canvas_gradebook=LMS / "canvas_gradebook_export.csv")
    return result, out


def test_every_layout_finds_its_student_and_the_newest_file_is_graded(graded):
    result, _ = graded
    by = {(r["student"], r["status"]): r for r in result.rows}
    assert sorted(by) == [("s001", "graded"), ("s002", "duplicate"), ("s002", "graded"),
                          ("s003", "graded"), ("s004", "graded"), ("s005", "missing")]
    assert by[("s001", "graded")]["lms_id"] == "123456"
    assert by[("s001", "graded")]["name"] == "Ana Silva"
    late = by[("s002", "graded")]
    assert late["file"] == "canvas.zip/silvaben_LATE_12345_68890_demo_repurchase_exercise-1.ipynb"
    assert late["lms_id"] == "12345"
    assert "the newest" in by[("s002", "duplicate")]["feedback"]
    assert by[("s003", "graded")]["file"] == "subs/s003/demo_repurchase_exercise.ipynb"


def test_students_are_graded_on_the_data_they_worked_on(graded):
    result, out = graded
    by = {r["student"]: r for r in result.rows if r["status"] == "graded"}
    for sid in ("s001", "s002", "s003"):
        assert float(by[sid]["total"]) == MAX, by[sid]
        assert by[sid]["variant"] == str(variant_for(sid))
    # s004 typed another id: graded on the roster's id, and both variants are named
    row = by["s004"]
    assert float(row["total"]) < MAX
    assert (row["typed_id"], row["typed_variant"]) == ("s999", str(variant_for("s999")))
    assert row["variant"] == str(variant_for("s004"))
    assert "'s999' (data variant" in row["id_note"] and str(variant_for("s004")) in row["id_note"]
    page = (out / "feedback" / "s004.html").read_text()
    assert "your notebook's student_id is s999</b>" in page
    assert f"data variant <b>{variant_for('s004')}</b>" in page
    assert str(variant_for("s999")) in page


def test_feedback_shows_answer_expected_and_hint(graded):
    _, out = graded
    page = (out / "feedback" / "s004.html").read_text()
    assert "<th>your answer</th>" in page and "<th>hint</th>" in page
    hint = KEY.questions["q4"].hint
    assert hint in page


def test_lms_files_are_filled_in_and_readable_by_the_group(graded):
    _, out = graded
    sheet = {r["Identifier"]: r for r in csv.DictReader(
        (out / "moodle_grading_worksheet.csv").open(encoding="utf-8"))}
    assert sheet["Participant 123456"]["Grade"] == f"{20.0:.2f}"  # MAX of MAX, scaled to 20
    assert sheet["Participant 123456"]["Feedback comments"].startswith(f"{MAX:g}/{MAX:g}")
    assert sheet["Participant 123458"]["Grade"] == "12.00"        # not ours: untouched
    lines = list(csv.reader((out / "canvas_import.csv").open(encoding="utf-8")))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "Demo Repurchase (777)"]
    canvas = {r[1]: r for r in lines[2:]}
    assert canvas["12345"][-1] == "22"       # full marks scaled to 22 points possible
    assert canvas["12347"][-1] == "22"       # s003 found by SIS User ID
    assert canvas["12346"][-1] == ""         # s005 handed nothing in: left as Canvas had it
    assert (out / "canvas_feedback" / "12345_Silva_Ben.html").is_file()
    for path in out.rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o777 in (0o640, 0o644), path
