"""Grade a class: collect submissions, run them (threads or Dask), keep the gradebook.

``DIR/gradebook.csv`` holds exactly one row per submission (and one per roster
student with none), rewritten atomically after every submission, so an
interrupted batch loses nothing and a rerun resumes where it stopped.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import sys
import tempfile
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from crmlib import exercises
from crmlib.grading import report, require_linux
from crmlib.grading.core import STATUSES, Task, grade_submission, sha256
from crmlib.grading.notebooks import MAX_FILE_BYTES, compact
from crmlib.grading.sandbox import (
    NOBODY,
    Limits,
    RunGroup,
    SandboxUnavailable,
    WarmPool,
    bwrap_path,
    probe,
)

MAX_ZIP_ENTRIES = 10_000
BASE_COLUMNS = ["student", "file", "status"]
TAIL_COLUMNS = ["total", "max", "runtime_s", "feedback", "variant", "sha256", "sandbox"]
# columns added since gradebooks were first written: an older gradebook without them is read
LATER_COLUMNS = ("sandbox",)


class GradingError(ValueError):
    """A problem with the grader's inputs (not with a submission): names the file or option."""


class SandboxError(GradingError):
    """The sandbox cannot be used on this machine: nothing was graded (the message says why
    and how to fix it)."""


NO_BWRAP = ("bubblewrap (bwrap) is not installed, and crm grade runs every notebook in a "
            "bubblewrap sandbox: nothing was graded. Install it (Debian and Ubuntu: sudo "
            "apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap) and run the same "
            "command again; or add --no-sandbox to grade without a sandbox, with resource "
            "limits only: the notebooks could then read and change whatever {who} can (the "
            "answer keys included), and the gradebook, the summary and the feedback say so.")


@dataclass
class Submission:
    """One handed-in file."""

    file: str          # label: path below what the grader was given (zip name/entry)
    content: bytes
    mtime: float
    student: str = ""
    status: str = ""   # set before grading: duplicate or unmatched
    note: str = ""


# --------------------------------------------------------------------------- collecting
def _read_capped(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return compact(fh.read(MAX_FILE_BYTES + 1))


def collect(paths: Iterable[str | os.PathLike]) -> list[Submission]:
    """Every submission in the given files, folders and zip archives.

    Folders are searched for ``*.ipynb`` (checkpoints skipped); zip archives
    contribute their ``.ipynb`` entries; a file named directly is a submission
    whatever its name. Labels are unique.

    Raises
    ------
    GradingError
        A path that does not exist, or a damaged zip archive.
    """
    found: list[Submission] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise GradingError(f"{path}: no such file or folder")
        if path.is_dir():
            for nb in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in nb.parts or not nb.is_file():
                    continue
                found.append(Submission(f"{path.name}/{nb.relative_to(path).as_posix()}",
                                        _read_capped(nb), nb.stat().st_mtime))
        elif zipfile.is_zipfile(path):
            found += _from_zip(path)
        else:
            found.append(Submission(path.name, _read_capped(path), path.stat().st_mtime))
    labels = [s.file for s in found]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise GradingError(f"the same submission is given twice: {dupes[:3]}")
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
                parts = Path(name).parts
                if (not name.endswith(".ipynb") or "__MACOSX" in parts
                        or ".ipynb_checkpoints" in parts or Path(name).name.startswith(".")):
                    continue
                with zf.open(info) as fh:
                    content = compact(fh.read(MAX_FILE_BYTES + 1))
                stamp = dt.datetime(*info.date_time).timestamp()
                out.append(Submission(f"{path.name}/{name}", content, stamp))
    except (zipfile.BadZipFile, OSError) as err:
        raise GradingError(f"{path}: damaged zip archive ({err})") from err
    return out


_WORDS = ("exercise", "solution", "submission", "assignsubmission", "file", "workbook")


def student_from_name(label: str, assignment: str) -> str:
    """The student id in a submission's name.

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
    parts = Path(label).parts
    stem = Path(label).stem
    if len(parts) >= 3:              # root/student/file
        return parts[-2]
    text = stem.replace(assignment, " ")
    for word in _WORDS:
        text = re.sub(rf"(?i)(^|[\s_\-.]){word}(?=$|[\s_\-.])", " ", text)
    text = re.sub(r"[\s_\-.]+", " ", text).strip()
    return text.replace(" ", "_") or stem


def read_roster(path: str | os.PathLike) -> list[str]:
    """Student ids from a roster CSV with a ``student_id`` column.

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
    if not reader.fieldnames or "student_id" not in reader.fieldnames:
        raise GradingError(f"roster {path}: needs a 'student_id' column, has "
                           f"{reader.fieldnames}")
    ids, seen = [], set()
    for line, row in enumerate(reader, start=2):
        sid = (row.get("student_id") or "").strip()
        if not sid:
            raise GradingError(f"roster {path}, line {line}: empty student_id")
        if sid.lower() in seen:
            raise GradingError(f"roster {path}, line {line}: student_id {sid!r} appears twice")
        seen.add(sid.lower())
        ids.append(sid)
    return ids


def _tokens(label: str) -> set[str]:
    return {t for t in re.split(r"[^\w]+", label.lower()) if t} | {
        t for t in re.split(r"[^0-9a-z]+", label.lower()) if t}


def assign_students(subs: list[Submission], assignment: str,
                    roster: list[str] | None) -> list[Submission]:
    """Give each submission its student; mark unmatched files and older duplicates."""
    for sub in subs:
        if roster is None:
            sub.student = student_from_name(sub.file, assignment)
            continue
        tokens = _tokens(sub.file)
        matches = [sid for sid in roster if sid.lower() in tokens]
        if len(matches) == 1:
            sub.student = matches[0]
        else:
            sub.student = student_from_name(sub.file, assignment)
            sub.status = "unmatched"
            sub.note = ("the file name names no student on the roster" if not matches else
                        f"the file name matches several roster ids {matches}")
    by_student: dict[str, list[Submission]] = {}
    for sub in subs:
        if sub.status != "unmatched":
            by_student.setdefault(sub.student, []).append(sub)
    for student, group in by_student.items():
        if len(group) > 1:
            group.sort(key=lambda s: (s.mtime, s.file))
            kept = group[-1]
            for sub in group[:-1]:
                sub.status = "duplicate"
                sub.note = (f"{student} handed in {len(group)} files; the latest, {kept.file}, "
                            "was graded")
    return subs


# --------------------------------------------------------------------------- gradebook
def slug(student: str) -> str:
    """A safe file name for a student id (ASCII; a hash keeps distinct ids distinct).

    Examples
    --------
    >>> slug("ana")
    'ana'
    >>> slug("José")[:5]
    'Jose-'
    """
    text = unicodedata.normalize("NFKD", student).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9_\-]+", "_", text).strip("_.")[:60] or "student"
    if text != student:
        text += "-" + sha256(student.encode("utf-8"))[:6]
    return text


def columns(questions: list[str]) -> list[str]:
    """The gradebook's columns for a workbook's questions."""
    return BASE_COLUMNS + questions + TAIL_COLUMNS


def read_gradebook(path: Path, questions: list[str]) -> list[dict]:
    """Rows of an existing gradebook (empty when there is none).

    Raises
    ------
    GradingError
        The file exists but is not a gradebook of this assignment.
    """
    if not path.exists():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            names = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise GradingError(f"{path}: cannot read the existing gradebook ({err}); move it "
                           "away to start again") from err
    expected = columns(questions)
    older = [c for c in expected if c not in LATER_COLUMNS]
    if names == older:  # written before the later columns existed
        return [{**row, **{c: "" for c in LATER_COLUMNS}} for row in rows]
    if names != expected:
        raise GradingError(f"{path}: its columns {names[:8]}... are not this assignment's "
                           f"{columns(questions)[:8]}...; use another --out folder")
    return rows


def write_csv_atomic(path: Path, header: list[str], rows: list[dict]) -> None:
    """Write a CSV file so readers see the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _row(result: dict, questions: list[str]) -> dict:
    row = {"student": result["student"], "file": result["file"], "status": result["status"],
           "total": f"{result['total']:g}", "max": f"{result['max']:g}",
           "runtime_s": f"{result['runtime_s']:.2f}", "feedback": result["feedback"][:300],
           "variant": "" if result.get("variant") is None else result["variant"],
           "sha256": result.get("sha256", ""), "sandbox": result.get("sandbox", "")}
    points = {q["question"]: q["points"] for q in result.get("questions", [])}
    for qid in questions:
        row[qid] = f"{points.get(qid, 0.0):g}"
    return row


def _placeholder(sub: Submission, key: exercises.Key) -> dict:
    """The result of a submission that is not run (duplicate, unmatched, missing)."""
    return {"student": sub.student, "file": sub.file, "status": sub.status,
            "variant": exercises.variant_for(sub.student), "sha256": sha256(sub.content)
            if sub.content else "", "questions": [
                {"question": q, "points": 0.0, "max": key.questions[q].points,
                 "message": "not graded", "expected": ""} for q in key.questions],
            "total": 0.0, "max": key.max_points, "runtime_s": 0.0, "notes": [],
            "feedback": sub.note, "executed": None, "startup_s": 0.0, "execution_s": 0.0,
            "scoring_s": 0.0, "sandbox": ""}


# --------------------------------------------------------------------------- the batch
@dataclass
class BatchResult:
    """What a batch did: the rows, the newly graded results, and warnings."""

    out: Path
    rows: list[dict]
    results: list[dict] = field(default_factory=list)
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False   # stopped by Ctrl-C: run the same command again to go on
    not_graded: int = 0         # submissions left for that next run


def grade(assignment: str, submissions: Iterable[str | os.PathLike], out: str | os.PathLike,
          jobs: int = 2, limits: Limits | None = None, regrade: list[str] | None = None,
          roster: str | os.PathLike | None = None, scheduler: str | None = None,
          key_dirs: Iterable[str | os.PathLike] | None = None, use_bwrap: bool = True,
          progress: bool = True, stream=None,
          on_result: Callable[[dict], None] | None = None, warm: bool = True) -> BatchResult:
    """Grade every submission of an assignment into ``out``.

    Parameters
    ----------
    assignment : str
        The workbook's name (its answer key is ``<assignment>_key.py``).
    submissions : paths
        Notebook files, folders of them, or zip archives.
    out : path
        The output folder: ``gradebook.csv``, ``executed/``, ``feedback/``,
        ``summary.png``, ``summary.txt``, ``lms_grades.csv``.
    jobs : int
        Submissions graded at the same time (local threads, each driving one sandbox).
    limits : Limits, optional
        Time, memory, file size and process limits of each run.
    regrade : list of str or None
        ``None`` keeps what is graded; ``[]`` regrades everything; names regrade those
        students only.
    roster : path, optional
        CSV with a ``student_id`` column: ids come from it, and students without a
        submission get a ``missing`` row.
    scheduler : str, optional
        Address of a Dask ``distributed`` scheduler to run the submissions on.
    key_dirs : paths, optional
        Folders holding the answer key (default: ``CRM_KEYS`` and ``solutions/``).
    use_bwrap : bool
        Run each notebook in a bubblewrap sandbox (probed before the first submission);
        ``False`` (``--no-sandbox``) runs them with resource limits only, and the
        gradebook's ``sandbox`` column, the summary and the feedback say so.
    warm : bool
        With bubblewrap and local threads, run each submission in a fork of a warm,
        pre-imported process inside a sandbox of its own (see
        :class:`~crmlib.grading.sandbox.WarmSandbox`); ``False`` starts a fresh Python
        and kernel per submission (what ``--scheduler`` always does).

    Ctrl-C (SIGINT, or SIGTERM) stops the batch within seconds: the runs going on are
    stopped and not recorded, the rows graded are kept, the summary and the exports are
    written for them, and the result says ``interrupted``; the same command goes on.

    Raises
    ------
    GradingError
        Bad inputs (a missing path, a bad roster, an unknown assignment, a foreign
        gradebook in ``out``); nothing is written then.
    SandboxError
        bubblewrap is not installed (without ``use_bwrap=False``), or the sandbox
        cannot start here; nothing is graded then.
    ValueError
        Not on Linux.
    """
    require_linux()
    stream = stream or sys.stdout
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise GradingError(f"--jobs must be a positive whole number, got {jobs!r}")
    limits = limits or Limits()
    key_dirs_t = tuple(str(Path(d).resolve()) for d in key_dirs) if key_dirs else ()
    try:
        key = exercises.load_key(assignment, [Path(d) for d in key_dirs_t] or None)
    except exercises.KeyError_ as err:
        raise GradingError(f"assignment {assignment!r}: {err}") from err
    questions = list(key.questions)
    roster_ids = read_roster(roster) if roster else None
    subs = assign_students(collect(submissions), key.assignment, roster_ids)
    out = Path(out)
    book_path = out / "gradebook.csv"
    previous = {(r["student"], r["file"]): r for r in read_gradebook(book_path, questions)}
    header = columns(questions)
    warnings = []
    root = os.geteuid() == 0
    who = f"uid {NOBODY}" if root else "your user"
    if not use_bwrap:
        warnings.append(f"WARNING: --no-sandbox: the notebooks ran WITHOUT a sandbox, with "
                        f"resource limits only, as {who}: they could read and change what "
                        f"{who} can (the gradebook's sandbox column says so per row)")
    if root:
        warnings.append(f"WARNING: crm grade runs as root. The notebooks run as uid {NOBODY} "
                        "(nobody), with /root hidden, but run crm grade as an ordinary user: "
                        "it is the stronger guarantee")

    rows: dict[tuple[str, str], dict] = dict(previous)
    to_run: list[Task] = []
    skipped = 0
    regrade_all = regrade is not None and len(regrade) == 0
    named = {s.lower() for s in (regrade or [])}
    placeholders = [_placeholder(s, key) for s in subs if s.status]
    if roster_ids is not None:
        handed_in = {s.student.lower() for s in subs if s.status != "unmatched"}
        placeholders += [_placeholder(Submission("", b"", 0.0, sid, "missing",
                                                 "no submission found for this student"), key)
                         for sid in roster_ids if sid.lower() not in handed_in]
    for sub in subs:
        if sub.status:
            continue
        old = previous.get((sub.student, sub.file))
        fresh = (old is not None and old.get("sha256") == sha256(sub.content)
                 and old.get("status") != "grader-error")
        if fresh and not regrade_all and sub.student.lower() not in named:
            skipped += 1
            continue
        to_run.append(Task(key.assignment, sub.student, sub.file, sub.content, limits,
                           key_dirs_t, use_bwrap))
    # a student's other rows (an older file now superseded) are replaced, not kept beside
    current = {(s.student, s.file) for s in subs} | {(p["student"], p["file"])
                                                      for p in placeholders}
    students_now = {s.student for s in subs} | {p["student"] for p in placeholders}
    for k in list(rows):
        if k[0] in students_now and k not in current:
            del rows[k]

    group = RunGroup()
    stops = _StopOnSignal(group)
    client = None
    try:
        if to_run:  # before anything is written: a sandbox that cannot start grades nothing
            bwrap = bwrap_path() if use_bwrap else None
            if use_bwrap and bwrap is None:
                raise SandboxError(NO_BWRAP.format(who=who))
            for line in warnings:
                print(line, file=sys.stderr)
            if scheduler:
                client = _dask_client(scheduler, bwrap, limits)
            else:
                try:
                    probe(bwrap, limits)
                except SandboxUnavailable as err:
                    raise SandboxError(str(err)) from None
        return _grade_batch(key, out, book_path, header, questions, rows, placeholders,
                            to_run, skipped, warnings, jobs, limits, use_bwrap, warm,
                            progress, stream, on_result, group, client)
    finally:
        stops.restore()
        if client is not None:
            client.close()


class _StopOnSignal:
    """Ctrl-C (SIGINT) and SIGTERM stop a :class:`RunGroup` instead of raising: the batch
    ends its runs, keeps what is graded and cleans up, whatever is pressed meanwhile.
    Installed only in the main thread (where Python delivers signals)."""

    def __init__(self, group: RunGroup):
        self.group, self.count, self.previous = group, 0, {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, signum, frame) -> None:
        self.count += 1
        text = ("\nStopping: the runs going on are stopped (they are not recorded), what is "
                "graded is kept; writing the summary ...\n" if self.count == 1 else
                "\nStill stopping: cleaning up the sandboxes, a moment ...\n")
        try:
            os.write(2, text.encode())  # never print() here: it may be writing already
        except OSError:
            pass
        self.group.stop()

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}


def _grade_batch(key, out: Path, book_path: Path, header: list[str], questions: list[str],
                 rows: dict, placeholders: list[dict], to_run: list[Task], skipped: int,
                 warnings: list[str], jobs: int, limits: Limits, use_bwrap: bool, warm: bool,
                 progress: bool, stream, on_result, group: RunGroup, client) -> BatchResult:
    """The batch once its inputs are checked and the sandbox works: run, record, report."""
    results: list[dict] = []
    out.mkdir(parents=True, exist_ok=True)
    (out / "executed").mkdir(exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)

    def record(result: dict) -> None:
        rows[(result["student"], result["file"])] = _row(result, questions)
        results.append(result)
        if result.get("executed"):
            report.write_text_atomic(out / "executed" / f"{slug(result['student'])}.ipynb",
                                     result["executed"])
        if result["status"] not in ("duplicate", "unmatched", "missing"):
            report.write_text_atomic(out / "feedback" / f"{slug(result['student'])}.html",
                                     report.feedback_page(result, key, STATUSES))
        write_csv_atomic(book_path, header, _sorted(rows.values()))
        if on_result:
            on_result(result)

    for placeholder in placeholders:
        record(placeholder)
    write_csv_atomic(book_path, header, _sorted(rows.values()))
    bar = _progress(len(to_run), progress, stream)
    try:
        if client is not None:
            _run_dask(client, to_run, record, bar, group)
        else:
            bwrap = bwrap_path() if use_bwrap and warm else None
            pool = WarmPool(bwrap, limits, group) if bwrap else None
            try:
                _run_local(jobs, to_run, record, bar, pool, group)
            finally:
                if pool is not None:
                    pool.close()
                    if pool.problem and not group.stopped.is_set():
                        warnings.append(f"NOTE: warm sandboxes were not available "
                                        f"({pool.problem}): each submission started its own "
                                        "Python and kernel")
    finally:
        bar.close()
    ran = sum(1 for r in results if r["status"] not in ("duplicate", "unmatched", "missing"))
    left = len(to_run) - ran
    failed = sum(1 for r in results if r["status"] == "grader-error")
    if failed:
        warnings.append(f"NOTE: {failed} submission(s) failed on the grader's side (status "
                        "grader-error: the sandbox or the grader, never the notebook); run the "
                        "same command again to grade them")
    if group.stopped.is_set():
        warnings.append(f"INTERRUPTED: {left} submission(s) not graded yet; run the same "
                        "command again to grade them (what is graded is kept)")
    final = _sorted(rows.values())
    result = BatchResult(out, final, results, skipped, warnings,
                         interrupted=group.stopped.is_set(), not_graded=left)
    report.class_summary(final, key, out, warnings, stream)
    report.lms_export(final, key, out / "lms_grades.csv")
    return result


def _sorted(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["student"].lower(), r["student"], r["file"]))


def _progress(total: int, enabled: bool, stream):
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="nb", disable=not enabled or total == 0,
                file=stream if stream is not sys.stdout else sys.stderr)


def _failed(task: Task, error: BaseException) -> dict:
    """The result of a task whose worker failed (the submission itself was not judged)."""
    return {"student": task.student, "file": task.file, "status": "grader-error",
            "variant": exercises.variant_for(task.student), "sha256": sha256(task.content),
            "questions": [], "total": 0.0, "max": 0.0, "runtime_s": 0.0, "notes": [],
            "feedback": f"grader error: {type(error).__name__}: {error}"[:300],
            "executed": None, "startup_s": 0.0, "execution_s": 0.0, "scoring_s": 0.0,
            "sandbox": ""}


def _run_local(jobs: int, tasks: list[Task], record, bar, warm: WarmPool | None = None,
               group: RunGroup | None = None) -> None:
    """Grade ``tasks`` on ``jobs`` threads, recording each result as it comes; once
    ``group`` is stopped, queued tasks are dropped and the running ones end at once."""
    if not tasks:
        return
    group = group or RunGroup()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_submission, t, warm, group): t for t in tasks}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                if future.cancelled():
                    continue
                error = future.exception()
                if error is not None and group.stopped.is_set():
                    continue
                result = _failed(futures[future], error) if error else future.result()
                if result is not None:
                    record(result)
                    bar.update(1)
            if group.stopped.is_set():
                for future in pending:
                    future.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _probe_on_worker(bwrap_wanted: bool, limits: Limits) -> str:
    """Run on each Dask worker: '' when its sandbox works, else why not."""
    from crmlib.grading import sandbox

    bwrap = sandbox.bwrap_path() if bwrap_wanted else None
    if bwrap_wanted and bwrap is None:
        return "bubblewrap (bwrap) is not installed on this worker"
    try:
        sandbox.probe(bwrap, limits)
    except sandbox.SandboxUnavailable as err:
        return str(err)
    return ""


def _dask_client(address: str, bwrap: str | None, limits: Limits):
    """A client of the Dask scheduler at ``address`` whose every worker's sandbox works."""
    try:
        from distributed import Client
    except ImportError as err:  # pragma: no cover - distributed is a dependency
        raise GradingError("--scheduler needs the 'distributed' package") from err
    try:
        client = Client(address, timeout=30)
    except OSError as err:
        raise GradingError(f"--scheduler {address}: cannot connect ({err})") from err
    try:
        problems = {w: p for w, p in client.run(_probe_on_worker, bwrap is not None,
                                                  limits).items() if p}
    except Exception as err:
        client.close()
        raise GradingError(f"--scheduler {address}: cannot check the workers ({err})") from err
    if problems:
        client.close()
        worker, problem = next(iter(sorted(problems.items())))
        raise SandboxError(f"--scheduler {address}: the sandbox cannot start on "
                           f"{len(problems)} worker(s), e.g. {worker}: {problem}")
    return client


def _run_dask(client, tasks: list[Task], record, bar, group: RunGroup | None = None) -> None:
    from distributed import as_completed as dask_completed

    group = group or RunGroup()
    futures = {client.submit(grade_submission, t, pure=False): t for t in tasks}
    queue = dask_completed(list(futures))
    while not queue.is_empty():
        if group.stopped.is_set():
            client.cancel(list(futures))
            return
        for future in queue.next_batch(block=False) or []:
            try:
                result = future.result()
            except Exception as err:  # a worker died or lost the task
                if group.stopped.is_set():
                    continue
                result = _failed(futures[future], err)
            record(result)
            bar.update(1)
        group.stopped.wait(0.2)
