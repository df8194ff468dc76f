"""Grades back into Canvas and Moodle, in the files each one imports.

Neither LMS imports an arbitrary CSV without trouble, so the grader fills in
the LMS's own export instead of inventing a format:

* **Canvas** (Grades > Export > "Export Entire Gradebook", then Grades >
  Import): the export has the columns ``Student, ID, SIS User ID, SIS Login
  ID, Section`` (sometimes ``Integration ID`` or ``Root Account`` too), then one
  column per assignment named ``Name (assignment id)``, then read-only totals;
  its second row is ``Points Possible``. Canvas matches students on its own
  identity columns and treats every unknown header as a new assignment, so
  :func:`write_canvas_gradebook` writes the identity columns and this
  assignment's column only, every student row kept, with the grade scaled to
  the column's points possible. Canvas has no CSV column for comments: the
  feedback goes in one HTML file per student named by Canvas user id
  (``canvas_feedback/``).
* **Moodle** (the assignment's "View all submissions" > "Download grading
  worksheet", with "Offline grading worksheet" feedback enabled; back with
  "Upload grading worksheet"): columns ``Identifier`` (``Participant 123456``),
  ``Full name, Email address, Status, Grade, Maximum Grade, Grade can be
  changed, Last modified (submission), Last modified (grade), Feedback
  comments``. :func:`write_moodle_worksheet` fills in ``Grade`` (scaled to
  ``Maximum Grade``) and ``Feedback comments`` for the students it graded and
  leaves every other cell as Moodle wrote it, so Moodle's check of ``Last
  modified (grade)`` still passes.

Every file is written atomically with mode ``0o640``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crmlib.atomic import GROUP, write_atomic, write_csv_atomic
from crmlib.grading.identity import GradingError, clean_id

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID",
                   "Root Account", "Section")
MOODLE_REQUIRED = ("Identifier", "Grade", "Feedback comments")
GRADED = ("graded", "error", "memory", "timeout", "crashed", "invalid")
_ASSIGNMENT = re.compile(r"^(?P<name>.*\S)\s*\((?P<id>\d+)\)$")


@dataclass
class Sheet:
    """A CSV file as read: its header and rows (dicts keyed by the header)."""

    path: Path
    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def students(self) -> list[dict[str, str]]:
        """The rows that are students (Canvas: not the ``Points Possible`` row)."""
        return [r for r in self.rows if (r.get("ID") or r.get("Identifier") or "").strip()]


def _read(path: str | os.PathLike, what: str) -> Sheet:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise GradingError(f"{what} {path}: cannot read it ({err})") from err
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise GradingError(f"{what} {path}: the file is empty") from None
    rows = [dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
            for row in reader if any(cell.strip() for cell in row)]
    return Sheet(path, header, rows)


def _points(text: str) -> float | None:
    try:
        value = float(str(text).replace(",", "."))
    except ValueError:
        return None
    return value if value > 0 else None


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


# --------------------------------------------------------------------------- Moodle
def participant_id(identifier: str) -> str:
    """The participant id in a worksheet's ``Identifier`` (``"Participant 123456"``).

    Examples
    --------
    >>> participant_id("Participant 123456")
    '123456'
    >>> participant_id("Teilnehmer/in123456")
    '123456'
    """
    match = re.search(r"(\d+)\s*$", str(identifier))
    return match.group(1) if match else ""


def read_moodle_worksheet(path: str | os.PathLike) -> Sheet:
    """Moodle's offline grading worksheet, checked for the columns the upload needs.

    Raises
    ------
    GradingError
        Not a grading worksheet (a missing column is named).
    """
    sheet = _read(path, "Moodle worksheet")
    missing = [c for c in MOODLE_REQUIRED if c not in sheet.header]
    if missing:
        raise GradingError(f"Moodle worksheet {sheet.path}: no column {missing} (has "
                           f"{sheet.header[:10]}); download it from the assignment's "
                           "'View all submissions' page with 'Offline grading worksheet' "
                           "feedback enabled")
    return sheet


def write_moodle_worksheet(worksheet: str | os.PathLike, rows: list[dict], max_points: float,
                           out: Path) -> dict[str, int]:
    """Fill in ``Grade`` and ``Feedback comments`` of the students graded; returns counts.

    A gradebook row finds its worksheet row by participant id (``lms_id`` of a
    Moodle download), else by email or full name against the roster id.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "w.csv").write_text(
    ...     "Identifier,Full name,Email address,Status,Grade,Maximum Grade,"
    ...     "Grade can be changed,Last modified (submission),Last modified (grade),"
    ...     "Feedback comments\\n"
    ...     "Participant 7,Ana Silva,ana@x.example,Submitted,,20.00,Yes,-,-,\\n")
    >>> rows = [{"student": "7", "lms_id": "7", "status": "graded", "total": "8",
    ...          "max": "10", "feedback": "ran without errors"}]
    >>> write_moodle_worksheet(folder / "w.csv", rows, 10, folder / "out.csv")
    {'filled': 1, 'not_in_worksheet': 0}
    >>> print((folder / "out.csv").read_text().splitlines()[1])
    Participant 7,Ana Silva,ana@x.example,Submitted,16.00,20.00,Yes,-,-,8/10: ran without errors
    """
    sheet = read_moodle_worksheet(worksheet)
    by_id: dict[str, dict] = {}
    for row in sheet.rows:
        pid = participant_id(row.get("Identifier", ""))
        if pid:
            by_id[pid] = row
    by_contact = {v.strip().lower(): pid for pid, row in by_id.items()
                  for v in (row.get("Email address", ""), row.get("Full name", "")) if v.strip()}
    filled = missing = 0
    for row in _final(rows):
        pid = row.get("lms_id", "") if row.get("lms_id", "") in by_id else ""
        pid = pid or by_contact.get(str(row.get("email", "")).lower(), "") or (
            row["student"] if row["student"] in by_id else "")
        if not pid:
            missing += 1
            continue
        target = by_id[pid]
        scale = (_points(target.get("Maximum Grade", "")) or max_points) / max_points
        target["Grade"] = f"{float(row['total']) * scale:.2f}"
        target["Feedback comments"] = _comment(row, max_points)
        filled += 1
    write_csv_atomic(out, sheet.header, sheet.rows)
    return {"filled": filled, "not_in_worksheet": missing}


def _final(rows: list[dict]) -> list[dict]:
    """The rows that carry a grade: one per student, not duplicates, unmatched or missing."""
    return [r for r in rows if r.get("status") in GRADED]


def _comment(row: dict, max_points: float) -> str:
    text = f"{_fmt(float(row['total']))}/{_fmt(max_points)}: {row.get('feedback', '')}"
    if row.get("id_note"):
        text += f" ({row['id_note']})"
    return " ".join(text.split())[:1000]


# --------------------------------------------------------------------------- Canvas
def read_canvas_gradebook(path: str | os.PathLike) -> Sheet:
    """Canvas's gradebook export, checked for its identity columns.

    Raises
    ------
    GradingError
        Not a Canvas gradebook export (missing ``Student``, ``ID`` or ``Section``).
    """
    sheet = _read(path, "Canvas gradebook")
    missing = [c for c in ("Student", "ID", "Section") if c not in sheet.header]
    if missing:
        raise GradingError(f"Canvas gradebook {sheet.path}: no column {missing} (has "
                           f"{sheet.header[:8]}); export it from Canvas's Grades page "
                           "(Export > Export Entire Gradebook)")
    return sheet


def _canon(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def canvas_column(sheet: Sheet, assignment: str, column: str | None = None) -> str:
    """The gradebook column of this assignment: ``column`` if given, else the one
    assignment column whose name matches the assignment's (``04_rfm`` finds
    ``04 RFM (1234)``).

    Raises
    ------
    GradingError
        No such column, or several that match (they are listed).
    """
    assignments = [h for h in sheet.header if _ASSIGNMENT.match(h)]
    if column:
        if column not in sheet.header:
            raise GradingError(f"Canvas gradebook {sheet.path}: no column {column!r}; its "
                               f"assignment columns are {assignments}")
        return column
    want = _canon(assignment)
    found = [h for h in assignments if want in _canon(_ASSIGNMENT.match(h).group("name"))]
    if len(found) != 1:
        raise GradingError(f"Canvas gradebook {sheet.path}: {len(found)} assignment columns "
                           f"match {assignment!r} among {assignments}; name the one to fill "
                           "with --canvas-column")
    return found[0]


def write_canvas_gradebook(gradebook: str | os.PathLike, rows: list[dict], max_points: float,
                           out: Path, assignment: str, column: str | None = None,
                           feedback_dir: Path | None = None,
                           page_for: Callable[[dict], str | None] | None = None
                           ) -> dict[str, int | str]:
    """Write the Canvas import file: identity columns plus this assignment's column.

    A gradebook row finds its Canvas student by Canvas user id (``lms_id`` of a
    Canvas download), else by its student id against ``SIS User ID``,
    ``SIS Login ID`` or ``ID``. Grades are scaled to the column's
    ``Points Possible``; students not graded keep what Canvas had. With
    ``feedback_dir`` and ``page_for`` (a row's feedback page), one page per
    graded student, named ``<Canvas user id>_<name>.html``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "g.csv").write_text(
    ...     "Student,ID,SIS User ID,SIS Login ID,Section,04 RFM (1234),Current Score\\n"
    ...     "    Points Possible,,,,,22,(read only)\\n"
    ...     '"Silva, Ana",12345,s001,asilva,CRM 1,,80\\n')
    >>> rows = [{"student": "12345", "lms_id": "12345", "status": "graded", "total": "8",
    ...          "max": "11", "feedback": "ok"}]
    >>> write_canvas_gradebook(folder / "g.csv", rows, 11, folder / "c.csv", "04_rfm")
    {'column': '04 RFM (1234)', 'filled': 1, 'not_in_gradebook': 0}
    >>> print((folder / "c.csv").read_text())
    Student,ID,SIS User ID,SIS Login ID,Section,04 RFM (1234)
        Points Possible,,,,,22
    "Silva, Ana",12345,s001,asilva,CRM 1,16
    <BLANKLINE>
    """
    sheet = read_canvas_gradebook(gradebook)
    target = canvas_column(sheet, assignment, column)
    header = [h for h in sheet.header if h in CANVAS_IDENTITY] + [target]
    possible = next((_points(r.get(target, "")) for r in sheet.rows
                     if "points possible" in r.get("Student", "").lower()), None)
    scale = (possible or max_points) / max_points
    students = sheet.students
    by_key: dict[str, dict] = {}
    for student in students:
        for col in ("ID", "SIS User ID", "SIS Login ID"):
            value = (student.get(col) or "").strip().lower()
            if value:
                by_key.setdefault(value, student)
    filled = missing = 0
    for row in _final(rows):
        found = by_key.get(str(row.get("lms_id", "")).lower()) or by_key.get(
            str(row["student"]).lower())
        if found is None:
            missing += 1
            continue
        found[target] = _fmt(round(float(row["total"]) * scale, 2))
        filled += 1
        page = page_for(row) if (feedback_dir is not None and page_for is not None) else None
        if page is not None:
            name = re.sub(r"[^\w-]+", "_", clean_id(found.get("Student", ""))).strip("_")
            uid = re.sub(r"\D", "", found.get("ID", ""))
            write_atomic(feedback_dir / f"{uid}_{name or 'student'}.html", page, mode=GROUP)
    write_csv_atomic(out, header, sheet.rows)
    return {"column": target, "filled": filled, "not_in_gradebook": missing}
