"""Grade a class: collect submissions, run them (threads or Dask), keep the gradebook.

``DIR/gradebook.csv`` holds exactly one row per submission (and one per roster
student with none), rewritten atomically after every submission, so an
interrupted batch loses nothing and a rerun resumes where it stopped.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from crmlib import exercises
from crmlib.atomic import write_csv_atomic
from crmlib.grading import identity, lms, report, require_linux, reviews
from crmlib.grading.core import (
    STATUSES,
    GradeResult,
    Task,
    grade_submission,
    reference_pool,
    sha256,
)
from crmlib.grading.identity import (  # noqa: F401  (the batch's public names)
    MAX_ZIP_ENTRIES,
    GradingError,
    Submission,
    assign_students,
    collect,
    student_from_name,
)
from crmlib.grading.sandbox import (
    NOBODY,
    Limits,
    RunGroup,
    SandboxUnavailable,
    WarmPool,
    bwrap_path,
    probe,
    seccomp_problem,
)

BASE_COLUMNS = ["student", "file", "status"]
OLD_TAIL_COLUMNS = ["total", "max", "runtime_s", "feedback", "variant", "sha256"]
IDENTITY_COLUMNS = ["variant_id", "typed_id", "typed_variant", "lms_id", "name", "id_note"]
SANDBOX_COLUMNS = ["sandbox"]
TAIL_COLUMNS = OLD_TAIL_COLUMNS + IDENTITY_COLUMNS + SANDBOX_COLUMNS


class SandboxError(GradingError):
    """The sandbox cannot be used on this machine: nothing was graded (the message says why
    and how to fix it)."""


NO_BWRAP = ("bubblewrap (bwrap) is not installed, and crm grade runs every notebook in a "
            "bubblewrap sandbox: nothing was graded. Install it (Debian and Ubuntu: sudo "
            "apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap) and run the same "
            "command again; or add --no-sandbox to grade without a sandbox, with resource "
            "limits only: the notebooks could then read and change whatever {who} can (the "
            "answer keys included), and the gradebook, the summary and the feedback say so.")


def read_roster(path: str | os.PathLike) -> list[str]:
    """Student ids of a roster CSV (see :func:`crmlib.grading.identity.read_roster`)."""
    return identity.read_roster(path).ids


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
    older = {  # gradebooks written before later columns existed are read, blanks filled
        tuple(BASE_COLUMNS + questions + OLD_TAIL_COLUMNS): IDENTITY_COLUMNS + SANDBOX_COLUMNS,
        tuple(BASE_COLUMNS + questions + OLD_TAIL_COLUMNS + IDENTITY_COLUMNS): SANDBOX_COLUMNS,
        tuple(BASE_COLUMNS + questions + OLD_TAIL_COLUMNS + SANDBOX_COLUMNS): IDENTITY_COLUMNS,
    }
    if tuple(names) in older:
        rows = [{**{c: "" for c in older[tuple(names)]}, **r} for r in rows]
    elif names != expected:
        raise GradingError(f"{path}: its columns {names[:8]}... are not this assignment's "
                           f"{columns(questions)[:8]}...; use another --out folder")
    return rows


def _row(result: dict, questions: list[str]) -> dict:
    row = {"student": result["student"], "file": result["file"], "status": result["status"],
           "total": f"{result['total']:g}", "max": f"{result['max']:g}",
           "runtime_s": f"{result['runtime_s']:.2f}", "feedback": result["feedback"][:300],
           "variant": "" if result.get("variant") is None else str(result["variant"]),
           "sha256": result.get("sha256", ""), "sandbox": result.get("sandbox", "")}
    typed = result.get("typed_id", "")
    typed_variant = exercises.variant_for(typed) if typed else None
    row.update(variant_id=result.get("variant_id", result["student"]), typed_id=typed,
               typed_variant="" if typed_variant is None else str(typed_variant),
               lms_id=result.get("lms_id", ""), name=result.get("name", ""),
               id_note=result.get("id_note", "")[:300])
    points = {q["question"]: "" if q.get("pending") else f"{q['points']:g}"
              for q in result.get("questions", [])}  # "": a written answer awaiting a mark
    for qid in questions:
        row[qid] = points.get(qid, "0")
    return row


def _placeholder(sub: Submission, key: exercises.Key) -> dict:
    """The result of a submission that is not run (duplicate, unmatched, missing)."""
    return GradeResult.start(sub.student, sub.file, sub.variant_id, sub.content or None,
                             status=sub.status, feedback=sub.note,
                             **_identity(sub)).not_graded(key).to_dict()


def _identity(sub: Submission) -> dict:
    """What a result carries about who handed the submission in."""
    return {"typed_id": sub.typed_id, "lms_id": sub.lms_id, "name": sub.name,
            "id_note": "; ".join(sub.notes)}


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
          on_result: Callable[[dict], None] | None = None, warm: bool = True,
          moodle_worksheet: str | os.PathLike | None = None,
          canvas_gradebook: str | os.PathLike | None = None,
          canvas_column: str | None = None,
          review_sheets: Iterable[str | os.PathLike] | None = None) -> BatchResult:
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
        CSV with a ``student_id`` column (and optionally ``lms_id``, ``email``,
        ``name``): ids come from it, and students without a submission get a
        ``missing`` row. A roster that matches fewer than half of the submissions
        is refused (:mod:`crmlib.grading.identity`).
    scheduler : str, optional
        Address of a Dask ``distributed`` scheduler to run the submissions on (needs the
        grader's extra, ``pip install "crmlib[grader]"``).
    key_dirs : paths, optional
        Folders holding the answer key (default: ``CRM_KEYS`` and ``solutions/``).
    use_bwrap : bool
        Run each notebook in a bubblewrap sandbox (probed before the first submission);
        ``False`` (``--no-sandbox``) runs them with resource limits only, and the
        gradebook's ``sandbox`` column, the summary and the feedback say so.
    moodle_worksheet : path, optional
        The assignment's offline grading worksheet downloaded from Moodle: its grades
        and feedback are filled in as ``moodle_grading_worksheet.csv`` (and its
        emails and names join participant ids to the roster).
    canvas_gradebook : path, optional
        The gradebook exported from Canvas: written back as ``canvas_import.csv``
        with this assignment's column filled (its SIS ids join user ids to the
        roster), feedback pages in ``canvas_feedback/``.
    canvas_column : str, optional
        The Canvas column to fill, when the assignment's name does not find it.
    review_sheets : paths, optional
        Review sheets of written answers that markers filled in
        (:mod:`crmlib.grading.reviews`): checked before anything is graded, then
        folded into the gradebook, the feedback pages and the exports.
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
        gradebook in ``out``), or ``scheduler`` without Dask's ``distributed`` installed
        (the message names the grader's extra); nothing is written then.
    SandboxError
        bubblewrap is not installed (without ``use_bwrap=False``), or the sandbox
        cannot start here; nothing is graded then.
    ValueError
        Not on Linux.
    """
    require_linux()
    if scheduler:  # the grader's extra, before anything is read or written
        require_distributed()
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
    the_roster = identity.read_roster(roster) if roster else None
    roster_ids = the_roster.ids if the_roster else None
    directory = identity.lms_directory(moodle_worksheet, canvas_gradebook)
    if canvas_gradebook:  # the column must exist before anything is graded
        lms.canvas_column(lms.read_canvas_gradebook(canvas_gradebook), key.assignment,
                          canvas_column)
    subs = assign_students(collect(submissions), key.assignment, the_roster, directory)
    by_label = {(s.student, s.file): s for s in subs}
    out = Path(out)
    try:  # filled review sheets are checked before anything is graded or written
        new_marks = reviews.read_sheets(review_sheets, out, key) if review_sheets else None
    except reviews.ReviewError as err:
        raise GradingError(str(err)) from None
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
    if use_bwrap and seccomp_problem():
        warnings.append(f"NOTE: the sandbox runs with {seccomp_problem()}: the runs may use "
                        "the kernel's key store (add_key, keyctl), the rest of the sandbox "
                        "holds (the gradebook's sandbox column says so per row)")
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
                 and old.get("status") != "grader-error"
                 and old.get("variant") == str(exercises.variant_for(sub.variant_id)))
        if fresh and not regrade_all and sub.student.lower() not in named:
            skipped += 1
            continue
        to_run.append(Task(key.assignment, sub.student, sub.file, sub.content, limits,
                           key_dirs_t, use_bwrap, sub.variant_id, tuple(sub.notes)))
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
                            progress, stream, on_result, group, client, by_label,
                            (moodle_worksheet, canvas_gradebook, canvas_column), new_marks)
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
                 progress: bool, stream, on_result, group: RunGroup, client,
                 by_label: dict, lms_inputs: tuple, new_marks: list[dict] | None
                 ) -> BatchResult:
    """The batch once its inputs are checked and the sandbox works: run, record, report."""
    results: list[dict] = []
    out.mkdir(parents=True, exist_ok=True)
    (out / "executed").mkdir(exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)

    written = reviews.written_questions(key)
    marks = reviews.load_marks(out) if written else {}

    def record(result: dict) -> None:
        sub = by_label.get((result["student"], result["file"]))
        if sub is not None:
            result.update(_identity(sub))
        if written and result["status"] not in report.NOT_RUN:
            reviews.apply_marks(result, marks)  # marks folded earlier still hold
            reviews.save_result(out, slug(result["student"]), result)
        if result["status"] not in report.NOT_RUN:
            report.save_outcomes(out, slug(result["student"]), result)  # the leaderboard's
        rows[(result["student"], result["file"])] = _row(result, questions)
        results.append(result)
        if result.get("executed"):
            report.write_text_atomic(out / "executed" / f"{slug(result['student'])}.ipynb",
                                     result["executed"])
        if result["status"] not in report.NOT_RUN:
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
    ran = sum(1 for r in results if r["status"] not in report.NOT_RUN)
    left = len(to_run) - ran
    warnings += report.key_warnings(results)
    failed = sum(1 for r in results if r["status"] == "grader-error")
    if failed:
        warnings.append(f"NOTE: {failed} submission(s) failed on the grader's side (status "
                        "grader-error: the sandbox or the grader, never the notebook); run the "
                        "same command again to grade them")
    if group.stopped.is_set():
        warnings.append(f"INTERRUPTED: {left} submission(s) not graded yet; run the same "
                        "command again to grade them (what is graded is kept)")
    if written or new_marks:
        _fold_reviews(out, key, rows, questions, header, book_path, new_marks, warnings)
    final = _sorted(rows.values())
    result = BatchResult(out, final, results, skipped, warnings,
                         interrupted=group.stopped.is_set(), not_graded=left)
    report.class_summary(final, key, out, warnings, stream)
    report.lms_export(final, key, out / "lms_grades.csv")
    _lms_files(final, key, out, *lms_inputs, stream)
    return result


def _fold_reviews(out: Path, key, rows: dict, questions: list[str], header: list[str],
                  book_path: Path, new_marks: list[dict] | None, warnings: list[str]) -> None:
    """Fold markers' marks into the kept results, rewrite what changed (gradebook rows,
    feedback pages), and write the review sheets of the written answers."""
    marks = (reviews.store_marks(out, new_marks) if new_marks is not None
             else reviews.load_marks(out))
    kept = reviews.load_results(out)
    # the row each student's result belongs to: the graded one, not an older file's
    # "duplicate" row beside it
    current = {k[0]: k for k, r in rows.items()
               if r["status"] not in report.NOT_RUN}
    folded = 0
    for student, result in kept.items():
        where = current.get(student)
        if where is None or rows[where]["file"] != result.get("file"):
            continue  # an older file of the student, no longer in the gradebook
        if reviews.apply_marks(result, marks):
            folded += 1
            rows[where] = _row(result, questions)
            reviews.save_result(out, slug(student), result)
            report.write_text_atomic(out / "feedback" / f"{slug(student)}.html",
                                     report.feedback_page(result, key, STATUSES))
    write_csv_atomic(book_path, header, _sorted(rows.values()))
    waiting = reviews.write_sheets(out, key, {s: r for s, r in kept.items()
                                              if current.get(s) and rows[current[s]]["file"]
                                              == r.get("file")}, marks)
    if new_marks is not None:
        warnings.append(f"REVIEWS: {len(new_marks)} mark(s) read; {folded} student(s)' "
                        "totals and feedback updated")
    pending = sum(waiting.values())
    if pending:
        warnings.append(f"WRITTEN ANSWERS: {pending} await a mark (their points are left out "
                        f"of the totals until then); review sheets without names in "
                        f"{out / reviews.REVIEWS}, the key to the ids in "
                        f"{out / reviews.IDS_FILE}; fold filled sheets in with "
                        "--reviews FILE")


def _lms_files(rows: list[dict], key, out: Path, moodle_worksheet, canvas_gradebook,
               canvas_column: str | None, stream) -> None:
    """The files Moodle and Canvas import, when their exports were given."""
    if moodle_worksheet:
        counts = lms.write_moodle_worksheet(moodle_worksheet, rows, key.max_points,
                                            out / "moodle_grading_worksheet.csv")
        print(f"Moodle: {counts['filled']} grade(s) filled in "
              f"{out / 'moodle_grading_worksheet.csv'}"
              + (f"; {counts['not_in_worksheet']} graded student(s) are not in the worksheet"
                 if counts["not_in_worksheet"] else ""), file=stream)
    if canvas_gradebook:
        def page(row: dict) -> str | None:
            path = out / "feedback" / f"{slug(row['student'])}.html"
            return path.read_text(encoding="utf-8") if path.is_file() else None

        counts = lms.write_canvas_gradebook(canvas_gradebook, rows, key.max_points,
                                            out / "canvas_import.csv", key.assignment,
                                            canvas_column, out / "canvas_feedback", page)
        print(f"Canvas: {counts['filled']} grade(s) in column {counts['column']!r} of "
              f"{out / 'canvas_import.csv'}"
              + (f"; {counts['not_in_gradebook']} graded student(s) are not in the gradebook"
                 if counts["not_in_gradebook"] else ""), file=stream)


def _sorted(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["student"].lower(), r["student"], r["file"]))


def _progress(total: int, enabled: bool, stream):
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="nb", disable=not enabled or total == 0,
                file=stream if stream is not sys.stdout else sys.stderr)


def _failed(task: Task, error: BaseException) -> dict:
    """The result of a task whose worker failed (the submission itself was not judged)."""
    return GradeResult.start(task.student, task.file, task.variant_id, task.content,
                             feedback=f"grader error: {type(error).__name__}: {error}"[:300]
                             ).to_dict()


def _run_local(jobs: int, tasks: list[Task], record, bar, warm: WarmPool | None = None,
               group: RunGroup | None = None) -> None:
    """Grade ``tasks`` on ``jobs`` threads, recording each result as it comes; once
    ``group`` is stopped, queued tasks are dropped and the running ones end at once."""
    if not tasks:
        return
    group = group or RunGroup()
    pool = ThreadPoolExecutor(max_workers=jobs)
    # With several jobs, the students' variants are simulated in processes of their own
    # (on as many cores as jobs); one job needs no second process. (Computing the next
    # students' references while the notebooks run does not help: the runs and the
    # references both keep the cores busy.)
    refs_pool = reference_pool(jobs) if jobs > 1 and len(tasks) > 1 else None
    try:
        futures = {pool.submit(grade_submission, t, warm, group, refs_pool): t for t in tasks}
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
        if refs_pool is not None:
            refs_pool.shutdown(wait=False, cancel_futures=True)
        pool.shutdown(wait=True, cancel_futures=True)
        if refs_pool is not None:
            refs_pool.shutdown(wait=True)


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


NO_DISTRIBUTED = ("--scheduler runs the submissions on a Dask cluster, and Dask's "
                  "'distributed' package is not installed here ({err}). It comes with the "
                  "grader's extra: pip install \"crmlib[grader]\" (in a checkout: pip install "
                  "-e \".[grader]\"; make test installs it). Without --scheduler, crm grade "
                  "needs no extra. Nothing was graded.")


def require_distributed():
    """Dask's ``distributed`` package, or a :class:`GradingError` that says how to install
    it (the grader's optional extra, ``crmlib[grader]``).

    Raises
    ------
    GradingError
        ``distributed`` cannot be imported.
    """
    try:
        import distributed
    except ImportError as err:
        raise GradingError(NO_DISTRIBUTED.format(err=err)) from None
    return distributed


def _dask_client(address: str, bwrap: str | None, limits: Limits):
    """A client of the Dask scheduler at ``address`` whose every worker's sandbox works."""
    Client = require_distributed().Client
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
    dask_completed = require_distributed().as_completed

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
