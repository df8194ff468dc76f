"""Who handed in each submission, and whose data it is graded on.

A class arrives in one of four layouts, all read here:

* **per-student folders**, ``subs/ana/04_rfm_exercise.ipynb`` (a shell glob
  ``subs/*/04_rfm_exercise.ipynb`` included): the folder is the student;
* **named files**, ``subs/ana_04_rfm_exercise.ipynb``: the file name without
  the assignment and words such as ``exercise``;
* **Moodle's "Download all submissions"**: one folder per participant,
  ``Ana Silva_123456_assignsubmission_file_/04_rfm_exercise.ipynb`` (Moodle
  3.1 and later), or flat files ``Ana Silva_123456_assignsubmission_file_04_rfm_exercise.ipynb``
  (earlier, or with "Download submissions in folders" off); under blind
  marking the name is ``Participant``. The number is the participant id the
  grading worksheet's ``Identifier`` column shows as ``Participant 123456``;
* **Canvas's "Download Submissions"**: flat files
  ``silvaana_12345_67890_04_rfm_exercise.ipynb`` (login-style name, user id,
  the file's id, the student's own file name), ``silvaana_LATE_12345_68890_...``
  when late, and ``-1`` (or ``_1``) before ``.ipynb`` when the student
  uploaded a file of the same name again. The user id is the ``ID`` column of
  Canvas's gradebook export.

Files of the same student (late files, resubmissions, two notebooks in one
folder) are one student: the newest is graded (Canvas: the highest file id,
then resubmission number; otherwise the newest modification time) and the
others get a ``duplicate`` row naming the one graded.

A roster CSV (a ``student_id`` column, optionally ``lms_id`` and ``email`` or
``name``) maps the LMS's ids to the course's own student ids; it can also be
joined through the Moodle grading worksheet (participant id to email) or the
Canvas gradebook export (user id to SIS user id or login). A roster that
matches fewer than half of the submissions is refused before anything is
graded, naming the file and ids that did not match.

**The variant.** Each student is graded on the data of the course's student
id, the one they type in the workbook's parameters cell: with a roster, the
roster's id (what the student typed is compared with it, and any difference is
reported with both variants); without a roster, the id the notebook's
``student_id`` says (read from the file, never run), or the id from the
layout when that is empty.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from crmlib import exercises
from crmlib.errors import CourseError
from crmlib.grading.notebooks import MAX_FILE_BYTES, compact

MAX_ZIP_ENTRIES = 10_000
MAX_ID_CHARS = 80
LMS_COLUMNS = ("lms_id", "moodle_id", "participant_id", "canvas_id", "canvas_user_id")
_WORDS = ("exercise", "solution", "submission", "assignsubmission", "file", "workbook")
_MOODLE = re.compile(r"^(?P<name>.*?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_"
                     r"(?P<rest>.*)$")
_CANVAS = re.compile(r"^(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<file_id>\d+)_"
                     r"(?P<rest>.+?)(?:[-_](?P<again>\d+))?(?P<ext>\.ipynb)$", re.IGNORECASE)


class GradingError(CourseError, ValueError):
    """A problem with the grader's inputs (not with a submission): names the file or option."""


@dataclass
class Submission:
    """One handed-in file and who it belongs to."""

    file: str          # label: path below what the grader was given (zip name/entry)
    content: bytes
    mtime: float
    student: str = ""  # who handed it in: roster id, LMS id or the layout's name
    status: str = ""   # set before grading: duplicate or unmatched
    note: str = ""
    layout: str = ""   # moodle, canvas, folder or file
    lms_id: str = ""   # Moodle participant id or Canvas user id
    name: str = ""     # the name the layout shows
    late: bool = False
    rank: tuple = ()   # newer sorts later
    variant_id: str = ""   # whose data variant it is graded on
    typed_id: str = ""     # what the notebook's student_id says
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- ids
def clean_id(text: str) -> str:
    """An id as the grader keeps it: no path parts, control or bidirectional characters.

    Examples
    --------
    >>> clean_id("../../etc/s123")
    's123'
    >>> clean_id("s1\\u202e23\\x00 ")
    's123'
    >>> clean_id("  Ana   Silva ")
    'Ana Silva'
    """
    text = unicodedata.normalize("NFC", str(text))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    text = re.split(r"[/\\]", text)[-1]
    return " ".join(text.split()).strip(" .")[:MAX_ID_CHARS]


def typed_student_id(content: bytes) -> str:
    """The ``student_id`` a notebook's parameters cell sets, read without running it.

    Looks at the cells tagged ``parameters`` (else every code cell) for a
    plain ``student_id = "..."``; returns ``""`` when there is none or the file
    is not a notebook.

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
    ...                  "source": 'student_id = "s042"\\ngraded = False'}]}
    >>> typed_student_id(json.dumps(nb).encode())
    's042'
    """
    try:
        cells = json.loads(content.decode("utf-8")).get("cells", [])
    except (UnicodeDecodeError, ValueError, AttributeError):
        return ""
    code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    tagged = [c for c in code if "parameters" in (c.get("metadata") or {}).get("tags", [])]
    found = ""
    for cell in tagged or code:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "student_id"
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, (str, int))):
                found = clean_id(str(node.value.value))
        if found and tagged:
            break
    return found


def student_from_name(label: str, assignment: str) -> str:
    """The student id in a plain submission's name (no LMS layout).

    A file inside a per-student folder takes the folder's name; otherwise the
    file name without the assignment's name and words such as ``exercise``.

    Examples
    --------
    >>> student_from_name("class/ana_04_rfm_exercise.ipynb", "04_rfm")
    'ana'
    >>> student_from_name("class.zip/s123/04_rfm_exercise.ipynb", "04_rfm")
    's123'
    >>> student_from_name("04_rfm_exercise-José.ipynb", "04_rfm")
    'José'
    """
    parts = PurePosixPath(label).parts
    stem = PurePosixPath(label).stem
    if len(parts) >= 3:              # root/student/file
        return clean_id(parts[-2]) or clean_id(stem)
    text = stem.replace(assignment, " ")
    for word in _WORDS:
        text = re.sub(rf"(?i)(^|[\s_\-.]){word}(?=$|[\s_\-.])", " ", text)
    text = re.sub(r"[\s_\-.]+", " ", text).strip()
    return clean_id(text.replace(" ", "_") or stem)


@dataclass(frozen=True)
class Found:
    """Who a submission's path names."""

    layout: str
    key: str
    lms_id: str = ""
    name: str = ""
    late: bool = False
    rank: tuple = (0, 0)


def parse_label(label: str, assignment: str) -> Found:
    """Who a submission's label (its path) names, whatever the layout.

    Examples
    --------
    >>> parse_label("dl.zip/Ana Silva_123456_assignsubmission_file_/04_rfm_exercise.ipynb",
    ...             "04_rfm")
    Found(layout='moodle', key='123456', lms_id='123456', name='Ana Silva', late=False, \
rank=(0, 0))
    >>> parse_label("subs/silvaana_LATE_12345_68890_04_rfm_exercise-1.ipynb", "04_rfm")
    Found(layout='canvas', key='12345', lms_id='12345', name='silvaana', late=True, \
rank=(68890, 1))
    >>> parse_label("subs/ana/04_rfm_exercise.ipynb", "04_rfm").key
    'ana'
    """
    path = PurePosixPath(label)
    for part in path.parts:
        moodle = _MOODLE.match(part)
        if moodle:
            pid = moodle.group("id")
            return Found("moodle", pid, pid, clean_id(moodle.group("name")))
    canvas = _CANVAS.match(path.name)
    if canvas:
        uid = canvas.group("id")
        return Found("canvas", uid, uid, clean_id(canvas.group("name")),
                     bool(canvas.group("late")),
                     (int(canvas.group("file_id")), int(canvas.group("again") or 0)))
    key = student_from_name(label, assignment)
    return Found("folder" if len(path.parts) >= 3 else "file", key, "", key)


# --------------------------------------------------------------------------- collecting
def _read_capped(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return compact(fh.read(MAX_FILE_BYTES + 1))


def collect(paths: Iterable[str | os.PathLike]) -> list[Submission]:
    """Every submission in the given files, folders and zip archives.

    Folders are searched for ``*.ipynb`` (checkpoints skipped); zip archives
    contribute their ``.ipynb`` entries (nothing is extracted); a file named
    directly is a submission whatever its name. Files named directly are
    labelled by their path below the folder they all share, so a glob over
    per-student folders (``subs/*/04_rfm_exercise.ipynb``) keeps each folder.
    The same file given twice counts once.

    Raises
    ------
    GradingError
        A path that does not exist, or a damaged zip archive.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise GradingError(f"{path}: no such file or folder")
    files = [p for p in paths if p.is_file() and not zipfile.is_zipfile(p)]
    base = None
    if len(files) > 1:
        base = Path(os.path.commonpath([str(p.resolve().parent) for p in files]))
    found: list[Submission] = []
    seen: set[Path] = set()
    for path in paths:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        if path.is_dir():
            for nb in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in nb.parts or not nb.is_file():
                    continue
                found.append(Submission(f"{path.resolve().name}/{nb.relative_to(path).as_posix()}",
                                        _read_capped(nb), nb.stat().st_mtime))
        elif zipfile.is_zipfile(path):
            found += _from_zip(path)
        else:
            label = path.name
            if base is not None:
                label = f"{base.name or 'root'}/{path.resolve().relative_to(base).as_posix()}"
            found.append(Submission(label, _read_capped(path), path.stat().st_mtime))
    labels = [s.file for s in found]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise GradingError(f"two different files have the same label {dupes[:3]}: give their "
                           "common folder instead")
    return found


def _from_zip(path: Path) -> list[Submission]:
    import datetime as dt

    out = []
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > MAX_ZIP_ENTRIES:
                raise GradingError(f"{path}: more than {MAX_ZIP_ENTRIES} files in the archive")
            for info in infos:
                name = info.filename
                parts = PurePosixPath(name).parts
                hidden = PurePosixPath(name).name.startswith(".")
                if (not name.endswith(".ipynb") or "__MACOSX" in parts
                        or ".ipynb_checkpoints" in parts or hidden):
                    continue
                with zf.open(info) as fh:
                    content = compact(fh.read(MAX_FILE_BYTES + 1))
                stamp = dt.datetime(*info.date_time).timestamp()
                out.append(Submission(f"{path.name}/{name}", content, stamp))
    except (zipfile.BadZipFile, OSError) as err:
        raise GradingError(f"{path}: damaged zip archive ({err})") from err
    return out


# --------------------------------------------------------------------------- rosters
@dataclass
class Roster:
    """The course's students: ids, and what links LMS ids, emails or names to them."""

    path: Path
    ids: list[str]
    by_lms: dict[str, str] = field(default_factory=dict)      # LMS id -> student id
    by_contact: dict[str, str] = field(default_factory=dict)  # email or name (lower) -> id

    def lookup(self, text: str) -> str | None:
        """The roster id that ``text`` (an id, LMS id, email or name) names, if any."""
        low = text.strip().lower()
        for sid in self.ids:
            if sid.lower() == low:
                return sid
        return self.by_lms.get(low) or self.by_contact.get(low)


def read_roster(path: str | os.PathLike) -> Roster:
    """A roster CSV: a ``student_id`` column, optionally an LMS id column
    (``lms_id``, ``moodle_id``, ``participant_id``, ``canvas_id`` or ``canvas_user_id``)
    and ``email`` or ``name``.

    Raises
    ------
    GradingError
        Missing file or column, empty or duplicated ids (naming the line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise GradingError(f"roster {path}: cannot read it ({err})") from err
    reader = csv.DictReader(io.StringIO(text))
    names = [(n or "").strip() for n in (reader.fieldnames or [])]
    reader.fieldnames = names
    if "student_id" not in names:
        raise GradingError(f"roster {path}: needs a 'student_id' column, has {names}")
    lms_cols = [c for c in names if c.lower() in LMS_COLUMNS]
    contact_cols = [c for c in names if c.lower() in ("email", "name", "full name")]
    roster = Roster(path, [])
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        sid = clean_id(row.get("student_id") or "")
        if not sid:
            raise GradingError(f"roster {path}, line {line}: empty student_id")
        if sid.lower() in seen:
            raise GradingError(f"roster {path}, line {line}: student_id {sid!r} appears twice")
        seen.add(sid.lower())
        roster.ids.append(sid)
        for col in lms_cols:
            value = clean_id(row.get(col) or "").lower()
            if value:
                if roster.by_lms.get(value, sid) != sid:
                    raise GradingError(f"roster {path}, line {line}: {col} {value!r} is given "
                                       "to two students")
                roster.by_lms[value] = sid
        for col in contact_cols:
            value = " ".join((row.get(col) or "").split()).lower()
            if value:
                roster.by_contact[value] = sid
    return roster


def _tokens(label: str) -> set[str]:
    return {t for t in re.split(r"[^\w]+", label.lower()) if t} | {
        t for t in re.split(r"[^0-9a-z]+", label.lower()) if t}


# --------------------------------------------------------------------------- assigning
def assign_students(subs: list[Submission], assignment: str,
                    roster: Roster | list[str] | None = None,
                    directory: dict[str, list[str]] | None = None) -> list[Submission]:
    """Give each submission its student and data variant; mark unmatched files and
    older files of the same student (``duplicate``).

    Parameters
    ----------
    subs : list of Submission
        From :func:`collect`.
    assignment : str
        The workbook's name (taken out of file names).
    roster : Roster or list of str, optional
        Maps LMS ids (or ids in file names) to the course's student ids.
    directory : dict, optional
        LMS id -> what the LMS knows of that student (emails, SIS ids, names), from
        a Moodle worksheet or a Canvas gradebook export; joins LMS ids to the roster.

    Raises
    ------
    GradingError
        A roster that matches fewer than half of the submissions.
    """
    directory = directory or {}
    if isinstance(roster, list):
        roster = Roster(Path("roster"), roster)
    for sub in subs:
        found = parse_label(sub.file, assignment)
        sub.layout, sub.lms_id, sub.name, sub.late = (found.layout, found.lms_id, found.name,
                                                      found.late)
        sub.rank = (*found.rank, sub.mtime, sub.file)
        sub.typed_id = typed_student_id(sub.content)
        if roster is None:
            sub.student = found.key
            sub.variant_id = sub.typed_id or found.key
            continue
        sid = _roster_id(sub, found, roster, directory)
        if sid is None:
            sub.student, sub.status = found.key, "unmatched"
            sub.note = (f"no student on the roster {roster.path.name} for "
                        f"{_describe(found)}")
        else:
            sub.student = sub.variant_id = sid
    if roster is not None:
        _check_roster(subs, roster)
    _mark_notes(subs, roster is not None)
    _mark_duplicates(subs)
    return subs


def _describe(found: Found) -> str:
    if found.layout == "moodle":
        return f"Moodle participant {found.lms_id} ({found.name})"
    if found.layout == "canvas":
        return f"Canvas user {found.lms_id} ({found.name})"
    return f"{found.key!r}"


def _roster_id(sub: Submission, found: Found, roster: Roster,
               directory: dict[str, list[str]]) -> str | None:
    if found.lms_id:
        sid = roster.by_lms.get(found.lms_id.lower())
        if sid:
            return sid
        for known in directory.get(found.lms_id, []):
            sid = roster.lookup(known)
            if sid:
                return sid
    tokens = _tokens(sub.file)
    matches = [sid for sid in roster.ids if sid.lower() in tokens]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        sub.notes.append(f"the file name matches several roster ids {matches}")
    return None


def _check_roster(subs: list[Submission], roster: Roster) -> None:
    if not subs:
        return
    unmatched = [s for s in subs if s.status == "unmatched"]
    matched = len(subs) - len(unmatched)
    if matched >= math.ceil(len(subs) / 2):
        return
    examples = ", ".join(sorted({s.lms_id or s.student for s in unmatched})[:5])
    lms = {s.layout for s in unmatched} & {"moodle", "canvas"}
    how = ""
    if lms:
        how = (" The files carry " + " and ".join(sorted(lms)).replace("moodle", "Moodle "
               "participant ids").replace("canvas", "Canvas user ids") + ": add them to the "
               "roster as an 'lms_id' column, or pass the LMS's own export (--moodle-worksheet "
               "or --canvas-gradebook) so they join the roster through emails or SIS ids.")
    raise GradingError(f"roster {roster.path}: only {matched} of {len(subs)} submission(s) "
                       f"match a student on it; ids that did not match: {examples}.{how} "
                       "Nothing was graded.")


def _mark_notes(subs: list[Submission], with_roster: bool) -> None:
    claims: dict[str, set[str]] = {}
    for sub in subs:
        if sub.typed_id:
            claims.setdefault(sub.typed_id.lower(), set()).add(sub.student)
    for sub in subs:
        if sub.status == "unmatched":
            continue
        variant = exercises.variant_for(sub.variant_id)
        if not sub.typed_id:
            sub.notes.append(f"the notebook's student_id is empty; graded on the data of "
                             f"{sub.variant_id!r} (variant {variant})")
        elif not with_roster and sub.layout in ("folder", "file") and (
                sub.typed_id.lower() != sub.student.lower()):
            sub.notes.append(f"graded on the data of the student_id typed in the notebook, "
                             f"{sub.typed_id!r} (variant {variant}), not of {sub.student!r} "
                             f"(variant {exercises.variant_for(sub.student)}) that the file's "
                             "name gives")
        elif sub.typed_id.lower() != sub.variant_id.lower():
            typed_variant = exercises.variant_for(sub.typed_id)
            source = "the roster" if with_roster else "the file's name"
            sub.notes.append(f"the notebook's student_id is {sub.typed_id!r} (data variant "
                             f"{typed_variant}), but it was graded as {sub.variant_id!r} from "
                             f"{source} (data variant {variant}): if you worked on "
                             f"{sub.typed_id!r}'s data, tell your instructor")
        others = claims.get(sub.typed_id.lower(), set()) - {sub.student} if sub.typed_id else ()
        if others and not with_roster:
            sub.notes.append(f"student_id {sub.typed_id!r} is also typed in the submission of "
                             f"{', '.join(sorted(others))[:80]}")


def _mark_duplicates(subs: list[Submission]) -> None:
    by_student: dict[str, list[Submission]] = {}
    for sub in subs:
        if sub.status != "unmatched":
            by_student.setdefault(sub.student, []).append(sub)
    for student, group in by_student.items():
        if len(group) > 1:
            group.sort(key=lambda s: s.rank)
            kept = group[-1]
            for sub in group[:-1]:
                sub.status = "duplicate"
                sub.note = (f"{student} handed in {len(group)} files; the newest, {kept.file}"
                            f"{' (late)' if kept.late else ''}, was graded")


# --------------------------------------------------------------------------- LMS directories
def lms_directory(moodle_worksheet: str | os.PathLike | None = None,
                  canvas_gradebook: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """What the LMS's own export knows of each LMS id: emails, SIS ids, names.

    Examples
    --------
    >>> import tempfile
    >>> sheet = Path(tempfile.mkdtemp()) / "worksheet.csv"
    >>> _ = sheet.write_text("Identifier,Full name,Email address,Grade,Feedback comments\\n"
    ...                      "Participant 123456,Ana Silva,ana@uni.example,,\\n")
    >>> lms_directory(moodle_worksheet=sheet)
    {'123456': ['ana@uni.example', 'Ana Silva']}
    """
    from crmlib.grading import lms

    out: dict[str, list[str]] = {}
    if moodle_worksheet:
        for row in lms.read_moodle_worksheet(moodle_worksheet).rows:
            pid = lms.participant_id(row.get("Identifier", ""))
            if pid:
                out[pid] = [v for v in (row.get("Email address", ""), row.get("Full name", ""))
                            if v]
    if canvas_gradebook:
        book = lms.read_canvas_gradebook(canvas_gradebook)
        for row in book.students:
            uid = (row.get("ID") or "").strip()
            if uid:
                out[uid] = [v for v in (row.get("SIS User ID", ""), row.get("SIS Login ID", ""),
                                        row.get("Student", "")) if v]
    return out
