"""Grade one submission: prepare it, run it in the sandbox, score its answers.

:func:`grade_submission` is the unit of work of a batch. It takes a
:class:`Task` (plain data, so it can travel to a Dask worker) and returns a
:class:`GradeResult` as a plain dictionary; it never raises for anything a
submission does.

What reaches the feedback (the gradebook, the feedback page, the LMS export)
is written by the grader, never copied from the run: an error is reported by
its place in the notebook and its type, with the message only when it has the
shape of one of Python's own messages (:func:`clean_error`), so a notebook
cannot carry what it read into the feedback.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
import tempfile
import threading
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from crmlib import exercises
from crmlib.grading import notebooks, seal, variants
from crmlib.grading.sandbox import (
    Limits,
    RunGroup,
    Stopped,
    WarmPool,
    bwrap_path,
    read_private,
    remove_tree,
    run_sandboxed,
)

STATUSES = {
    "graded": "ran to the end; answers scored",
    "error": "a cell raised an error; the answers recorded were scored",
    "memory": "a cell ran out of memory; the answers recorded were scored",
    "timeout": "a cell or the whole run passed its time limit; answers recorded were scored",
    "crashed": "the kernel or the grading process died; answers recorded were scored",
    "invalid": "not a notebook the grader can run; nothing scored",
    "duplicate": "another submission of the same student was graded instead",
    "missing": "on the roster, nothing handed in",
    "unmatched": "the file name matches no student on the roster; not graded",
    "grader-error": "the grader itself failed on this submission (tell the instructor)",
}
MAX_ANSWERS_BYTES = exercises.MAX_ANSWERS_BYTES
NO_SANDBOX = "none (limits only)"
MAX_EXECUTED_BYTES = 40 * 2**20


@dataclass(frozen=True)
class Task:
    """One submission to grade (plain data).

    Parameters
    ----------
    assignment : str
        The workbook's name.
    student : str
        The student id (from the file name or the roster).
    file : str
        The submission's label (its path relative to what was handed to the grader).
    content : bytes
        The file's bytes.
    limits : Limits
        Time, memory and size limits.
    key_dirs : tuple of str
        Where to find the answer key.
    use_bwrap : bool
        Use bubblewrap when it is installed.
    variant_id : str
        The course's student id whose data variant the submission is graded on
        (see :mod:`crmlib.grading.identity`); ``student`` when empty.
    notes : tuple of str
        What the grader found out about the student's identity, for the feedback.
    """

    assignment: str
    student: str
    file: str
    content: bytes
    limits: Limits = field(default_factory=Limits)
    key_dirs: tuple[str, ...] = ()
    use_bwrap: bool = True
    variant_id: str = ""
    notes: tuple[str, ...] = ()


def sha256(content: bytes) -> str:
    """Short content hash of a submission (resume skips unchanged files)."""
    return hashlib.sha256(content).hexdigest()[:16]


@dataclass
class GradeResult:
    """One submission's result: what the gradebook row, the feedback page, the LMS
    exports and the summary are made from.

    Every result starts with :meth:`start` (graded, not run, or failed on the
    grader's side alike) and travels as plain data (:meth:`to_dict`): to a Dask
    worker and back, to ``on_result`` and in :attr:`~crmlib.grading.batch.BatchResult.results`.

    Examples
    --------
    >>> r = GradeResult.start("ana", "ana.ipynb", "", b"{}", status="missing")
    >>> r.variant_id, r.status, r.total, r.sha256 == sha256(b"{}")
    ('ana', 'missing', 0.0, True)
    >>> r.to_dict()["status"], len(r.to_dict())
    ('missing', 22)
    """

    student: str
    file: str
    status: str = "grader-error"     # one of STATUSES
    variant: int | None = None       # the data variant graded on
    variant_id: str = ""             # the course's student id it follows
    sha256: str = ""                 # of the submitted file ("" when none was handed in)
    questions: list[dict] = field(default_factory=list)  # per question: points, message ...
    total: float = 0.0
    max: float = 0.0
    runtime_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    feedback: str = ""
    startup_s: float = 0.0
    execution_s: float = 0.0
    scoring_s: float = 0.0
    sandbox: str = ""                # how the run was sandboxed ("" when nothing ran)
    executed: str | None = None      # the executed notebook's text
    typed_id: str = ""               # identity: what the notebook typed, the LMS's id ...
    lms_id: str = ""
    name: str = ""
    id_note: str = ""
    key_warnings: list[str] | None = None  # for the instructor; None: no references computed

    @classmethod
    def start(cls, student: str, file: str, variant_id: str, content: bytes | None,
              **fields) -> GradeResult:
        """A result for ``student``'s ``file``: graded on the data variant of
        ``variant_id`` (``student`` when empty), with the hash of ``content`` (None: no
        file), and ``fields`` set (status ``grader-error`` until they say otherwise)."""
        variant_id = variant_id or student
        return cls(student=student, file=file, variant=exercises.variant_for(variant_id),
                   variant_id=variant_id, sha256="" if content is None else sha256(content),
                   **fields)

    def not_graded(self, key: exercises.Key) -> GradeResult:
        """Every question of ``key`` at 0 points, "not graded" (before or without a run)."""
        self.max = key.max_points
        self.questions = [{"question": q, "points": 0.0, "max": key.questions[q].points,
                           "message": "not graded", "expected": ""} for q in key.questions]
        return self

    def to_dict(self) -> dict:
        """The result as a plain dictionary (the gradebook and the reports read these)."""
        return asdict(self)


@lru_cache(maxsize=8)
def _key(assignment: str, key_dirs: tuple[str, ...]) -> exercises.Key:
    dirs = [Path(d) for d in key_dirs] if key_dirs else None
    return exercises.load_key(assignment, dirs)


REFERENCE_WARNINGS = "__warnings__"
"""The key of :func:`references`' output that lists what the answer key warned."""

_WARNINGS_LOCK = threading.Lock()  # catch_warnings swaps the process's filters: one at a time


@lru_cache(maxsize=256)
def references(assignment: str, key_dirs: tuple[str, ...], variant: int | None) -> dict:
    """Expected answers of every question for one variant, computed here, never in a kernel.

    A reference that fails is kept as the exception, so one broken question does
    not lose the others. What a reference warns (a fit that did not converge on
    this variant, say) is not printed once per student: it is listed under
    :data:`REFERENCE_WARNINGS` as ``"q4: ConvergenceWarning: ..."``, and the batch
    counts each over the class in its summary. The warning filters in force
    still apply (what Python or the test suite ignores or turns into an error
    stays so).
    """
    out: dict = {}
    said: list[str] = []
    for qid, question in _key(assignment, key_dirs).questions.items():
        with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
            try:
                out[qid] = question.expected(variant)
            except Exception as err:  # a broken key: reported per question
                out[qid] = err
        for w in caught:
            text = " ".join(str(w.message).split())[:300]
            line = f"{qid}: {w.category.__name__}: {text}"
            if line not in said:
                said.append(line)
    out[REFERENCE_WARNINGS] = said
    return out


def _references_handed_over(assignment: str, key_dirs: tuple[str, ...], variant: int | None,
                            job: str | os.PathLike | None) -> dict:
    """A submission's references, with what computing them made handed over into ``job``:
    the tables of its data variant, and the record matchers the key fitted on them."""
    from crmlib import scv

    with scv.recording_fits() as fits:  # this thread's fits only
        refs = references(assignment, key_dirs, variant)
    if job is not None:
        variants.save_fits(job, fits)
        if variant is not None:
            variants.save_variant_cache(variant, job, only_if_simulated=True,
                                        exclude=_key(assignment, key_dirs).sealed_tables)
    return refs


def prepare(assignment: str, key_dirs: tuple[str, ...], variant: int | None,
            job: str | None) -> dict:
    """A submission's references, and its data variant handed over into ``job``.

    Runs in a process of the batch's reference pool (:func:`reference_pool`), so two
    students' variants are simulated on two cores at once (the simulation is mostly
    pandas, which holds the GIL); the process keeps no variant afterwards.
    """
    from crmlib import data

    refs = _references_handed_over(assignment, key_dirs, variant, job)
    references.cache_clear()
    for cache in (data._variant_table, data._variant_core, data._variant_silos):
        cache.cache_clear()
    return refs


def _ignore_interrupts() -> None:
    """A reference process leaves Ctrl-C to the batch, which stops the pool itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def reference_pool(jobs: int):
    """Processes that compute references and simulate variants beside the runs
    (``spawn``: the batch process has threads), one per job."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts,
                               mp_context=multiprocessing.get_context("spawn"))


def read_answers(raw: bytes | None) -> tuple[dict, dict, str]:
    """The recorded answers (question -> record), the file's other fields, and a note.

    Anything malformed is dropped with a note; nothing here raises.
    """
    if raw is None:
        return {}, {}, ("no answers were recorded (or the answers file was not a plain file "
                        f"of at most {MAX_ANSWERS_BYTES // 2**20} MiB)")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}, {}, "the answers file was not readable (was it changed by the notebook?)"
    if not isinstance(doc, dict) or not isinstance(doc.get("answers"), dict):
        return {}, {}, "the answers file has no answers (was it changed by the notebook?)"
    answers = {str(k): v for k, v in doc["answers"].items() if isinstance(v, dict) or v is None}
    dropped = len(doc["answers"]) - len(answers)
    note = f"{dropped} malformed answer record(s) ignored" if dropped else ""
    return answers, {k: doc.get(k) for k in ("variant", "student_id")}, note


MAX_WRITTEN_CHARS = 6000  # a written answer as markers see it (about 1,000 words)


def score(key: exercises.Key, answers: dict, refs: dict,
          code: list[str] | None = None) -> list[dict]:
    """Points and feedback per question, in the key's order.

    ``code`` (the submitted notebook's code cells) is scanned for what a question
    forbids (:meth:`~crmlib.exercises.Question.audit`): a match scores that answer 0
    and flags its row. A question that reports what its answer achieved
    (:meth:`~crmlib.exercises.Question.outcome`) puts it in the row's ``outcome``,
    for the class leaderboard.
    """
    rows = []
    for qid, question in key.questions.items():
        expected = refs.get(qid)
        if isinstance(expected, Exception):
            rows.append({"question": qid, "points": 0.0, "max": question.points,
                         "message": "the grader could not compute this reference "
                                    f"({type(expected).__name__}); tell the instructor",
                         "expected": "", "grader_error": True})
            continue
        fraction, message = question.score(answers.get(qid), expected)
        fraction = min(max(float(fraction), 0.0), 1.0)
        flag = question.audit(code) if code is not None else ""
        outcome = None
        if flag:
            fraction, message = 0.0, f"{flag}. Unflagged, it would have scored: {message}"
        else:
            try:
                outcome = question.outcome(answers.get(qid), expected)
            except Exception:  # a leaderboard value must never cost a grade
                outcome = None
        try:
            described = question.describe(expected)
        except Exception:
            described = str(expected)[:200]
        row = {"question": qid, "points": round(fraction * question.points, 4),
               "max": question.points, "message": message, "expected": described,
               "answer": describe_answer(answers.get(qid)), "hint": question.hint,
               "grader_error": False}
        if flag:
            row["flagged"] = flag
        if outcome is not None:
            row["outcome"] = outcome
        if not question.auto:  # a written answer: a person marks it (crmlib.grading.reviews)
            record = answers.get(qid)
            text = record.get("value") if isinstance(record, dict) else None
            text = text if isinstance(text, str) and record.get("type") == "text" else ""
            row.update(points=0.0, pending=bool(text.strip()),
                       answer=text[:MAX_WRITTEN_CHARS] or describe_answer(record))
            if row["pending"]:
                row["message"] = "awaiting a marker: written answers are marked by a person"
        rows.append(row)
    return rows


def describe_answer(record) -> str:
    """A recorded answer in a few words, for the feedback page (what the student gave).

    Examples
    --------
    >>> describe_answer({"type": "number", "value": 0.25})
    '0.25'
    >>> describe_answer({"type": "collection", "values": [3, 1, 2]})
    '[3, 1, 2]'
    >>> describe_answer({"type": "frame", "columns": ["a"], "index": [0, 1], "data": [[1], [2]]})
    'a table of 2 rows and 1 column(s)'
    >>> describe_answer(None)
    '(no answer)'
    """
    if not isinstance(record, dict):
        return "(no answer)"
    kind = record.get("type")
    if kind in ("number", "text"):
        return str(record.get("value"))[:200]
    if kind == "collection" and isinstance(record.get("values"), list):
        values = record["values"]
        return str(values[:20])[:200] + (f" ... ({len(values)} items)" if len(values) > 20 else "")
    if kind == "series" and isinstance(record.get("index"), list):
        pairs = list(zip(record["index"], record.get("values") or []))[:8]
        text = ", ".join(f"{i}: {v}" for i, v in pairs)[:200]
        return f"{{{text}{', ...' if len(record['index']) > 8 else ''}}}"
    if kind == "frame" and isinstance(record.get("index"), list):
        return (f"a table of {len(record['index'])} rows and {len(record.get('columns') or [])}"
                " column(s)")
    if kind == "too_large":
        return f"too large ({record.get('size')} items)"
    return f"({kind or 'unreadable'} answer)"


def _first_error(nb) -> tuple[str, str, str] | None:
    """The first cell with an error output, as the student sees it (``code cell N``
    counting the student's own code cells, and its first line of code), the error name
    and value."""
    number = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
            number += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = next((line.strip() for line in cell.source.splitlines()
                              if line.strip() and not line.strip().startswith("#")), "")[:60]
                where = f"code cell {number} ({first})" if first else f"code cell {number}"
                return where, str(out.get("ename", ""))[:200], str(out.get("evalue", ""))[:2000]
    return None


# Python's own messages, whose variable parts are names or numbers: what feedback may
# quote. Anything else a notebook raises (a message it wrote, perhaps with the text of
# a file it read) is reported by its type only.
_NAME = r"[A-Za-z_][\w.]{0,60}"
_SAFE_MESSAGES = [re.compile(p) for p in (
    rf"name '{_NAME}' is not defined",
    rf"cannot access local variable '{_NAME}' where it is not associated with a value",
    rf"'{_NAME}' object has no attribute '{_NAME}'",
    rf"module '{_NAME}' has no attribute '{_NAME}'",
    rf"No module named '{_NAME}'",
    rf"cannot import name '{_NAME}' from '{_NAME}'(?: \(unknown location\))?",
    r"(?:float |integer |complex )?(?:division|modulo) by zero",
    r"division by zero",
    rf"'{_NAME}' object is not (?:callable|subscriptable|iterable)",
    rf"unsupported operand type\(s\) for [^\w\s]{{1,3}}: '{_NAME}' and '{_NAME}'",
    r"list index out of range|string index out of range|tuple index out of range",
    rf"{_NAME}\(\) (?:takes|missing) [\w ,'()]{{1,80}}",
    r"invalid syntax|unexpected indent|expected an indented block[\w ,'()]{0,80}",
    r"unterminated string literal \(detected at line \d+\)",
    r"Unable to allocate [\d.]+ [KMGTP]?i?B for an array with shape [\d(), ]{1,80} "
    r"and data type \w+",
)]
_ERRNO = re.compile(r"^\[Errno (\d{1,4})\]")
# Exception types feedback names: Python's own and the libraries' a workbook meets. A
# class the notebook made itself could be named after what it read.
_KNOWN_ERRORS = {name for name, value in vars(builtins).items()
                 if isinstance(value, type) and issubclass(value, BaseException)} | {
    "StdinNotImplementedError", "LinAlgError", "AxisError", "NotFittedError", "ParserError",
    "EmptyDataError", "MergeError", "IntCastingNaNError", "InvalidIndexError",
    "IndexingError", "UndefinedVariableError", "OutOfBoundsDatetime", "DateParseError",
    "DatasetError", "BankError", "KeyError_", "ConvergenceWarning", "DuckDBError",
    "BinderException", "CatalogException", "ParserException", "InvalidInputException",
    "SplinkException", "JSONDecodeError", "UnpicklingError", "URLError", "HTTPError"}


def clean_error(name: str, message: str) -> str:
    """An error as feedback may show it: its type, and its message only when it is one
    of Python's own (an ``OSError`` by its error number alone, without the file name).

    Examples
    --------
    >>> clean_error("ZeroDivisionError", "division by zero")
    'ZeroDivisionError: division by zero'
    >>> clean_error("ValueError", "root:$y$j9T$abc...:19000:0:99999:7:::")
    'ValueError'
    >>> clean_error("OSError", "[Errno 27] File too large: '/sandbox/big.bin'")
    'OSError: [Errno 27] File too large'
    >>> clean_error("root_x_19000Error", "")
    "an exception of the notebook's own"
    """
    name = name.strip()
    if name not in _KNOWN_ERRORS:
        name = "an exception of the notebook's own"
    first = message.strip().splitlines()[0].strip() if message.strip() else ""
    errno_ = _ERRNO.match(first)
    if errno_:
        return f"{name}: [Errno {errno_.group(1)}] {os.strerror(int(errno_.group(1)))}"
    if first and len(first) <= 200 and any(p.fullmatch(first) for p in _SAFE_MESSAGES):
        return f"{name}: {first}"
    return name


_HELP = {
    "StdinNotImplementedError": "input() cannot be answered while grading; put the value in "
                                "the code instead",
    "MemoryError": "the cell used more memory than allowed; work on smaller pieces",
    "NameError": "a name is used before it is defined; run the notebook top to bottom "
                 "(Kernel > Restart and Run All) before handing it in",
    "ModuleNotFoundError": "only the course's packages are installed for grading",
}


def grade_submission(task: Task, pool: WarmPool | None = None,
                     group: RunGroup | None = None, refs_pool=None) -> dict | None:
    """Grade one submission end to end; returns the result as plain data
    (:meth:`GradeResult.to_dict`), never raises.

    With a :class:`~crmlib.grading.sandbox.WarmPool`, the submission runs in a fork
    of the pool's warm sandbox (when it could start) instead of a cold one. With a
    :class:`~crmlib.grading.sandbox.RunGroup` that is stopped (Ctrl-C) before the run
    ends, returns None: the submission was not graded, and nothing is to be recorded.
    """
    if group is not None and group.stopped.is_set():
        return None  # stopped while queued: nothing simulated, nothing run
    started = time.perf_counter()
    result = GradeResult.start(task.student, task.file, task.variant_id, task.content,
                               notes=list(task.notes))
    try:
        _grade(task, result, pool, group, refs_pool)
    except Stopped:
        return None
    except Exception as err:  # the grader's own failure: recorded, the batch goes on
        if group is not None and group.stopped.is_set():
            return None
        result.status = "grader-error"
        result.feedback = (f"grader error: {type(err).__name__}: {str(err)[:200]}; "
                           "run crm grade again to grade it")
        result.notes.append(traceback.format_exc(limit=3)[-800:])
    result.runtime_s = round(time.perf_counter() - started, 3)
    return result.to_dict()


def _grade(task: Task, result: GradeResult, pool: WarmPool | None = None,
           group: RunGroup | None = None, refs_pool=None) -> None:
    key = _key(task.assignment, task.key_dirs)
    result.not_graded(key)
    variant = result.variant
    try:
        nb = notebooks.read_submission(task.content, int(task.limits.input_mb * 2**20),
                                       drop_outputs=True)
    except notebooks.NotebookProblem as err:
        result.status, result.feedback = "invalid", str(err)
        return
    params = {"student_id": result.variant_id, "variant": variant,
              "answers_path": "answers.json", "graded": True}
    result.notes += notebooks.inject_parameters(nb, params)
    bwrap = bwrap_path() if task.use_bwrap else None
    warm = pool.sandbox() if (pool is not None and bwrap) else None
    if warm is not None:
        workdir = job = warm.new_job()
    else:
        workdir = Path(tempfile.mkdtemp(prefix=f"crm-grade-{os.getpid()}-"))
        job = workdir / "job"
        job.mkdir()
    try:
        # The references first: they simulate the student's data variant (in the
        # batch's reference pool when there is one), and the run below reads that
        # simulation from its private folder instead of repeating it.
        refs_started = time.perf_counter()
        if refs_pool is not None:
            refs = refs_pool.submit(prepare, task.assignment, task.key_dirs, variant,
                                    str(job)).result()
        else:
            refs = _references_handed_over(task.assignment, task.key_dirs, variant, job)
        refs_s = time.perf_counter() - refs_started
        result.key_warnings = list(refs.get(REFERENCE_WARNINGS, ()))
        if group is not None and group.stopped.is_set():
            raise Stopped
        submitted = notebooks.nbformat.writes(nb)
        (job / "submission.ipynb").write_text(submitted, encoding="utf-8")
        if key.sealed_tables:  # the kernel cannot reach the simulation's truth either
            seal.write_seal(job, key.sealed_tables)
            result.notes.append("sealed kernel: the simulation and "
                                + ", ".join(key.sealed_tables) + " were out of reach")
        # The executed copy is the submission plus outputs, which the runner caps: anything
        # much bigger was written by the notebook itself and is not read.
        executed_cap = min(MAX_EXECUTED_BYTES, len(submitted.encode("utf-8"))
                           + 4 * task.limits.max_output + 2**20)
        outcome = (warm.run(job, task.limits) if warm is not None
                   else run_sandboxed(job, task.limits, bwrap, group))
        answers_raw = read_private(job / "answers.json", MAX_ANSWERS_BYTES)
        executed_raw = read_private(job / "executed.ipynb", executed_cap)
    finally:
        remove_tree(workdir)
    result.startup_s = round(outcome.startup_s, 3)
    result.execution_s = round(outcome.execution_s, 3)
    result.sandbox = outcome.sandbox
    if outcome.sandbox == NO_SANDBOX:
        result.notes.append("graded without a sandbox: the instructor chose --no-sandbox")
    executed = None
    if executed_raw is not None:
        try:
            executed = notebooks.read_submission(executed_raw, executed_cap)
            code = [c.source for c in executed.cells if c.cell_type == "code"]
            if code != [c.source for c in nb.cells if c.cell_type == "code"]:
                # papermill adds only markdown cells (an error banner and anchor)
                raise notebooks.NotebookProblem("code cells changed during the run")
        except notebooks.NotebookProblem:
            executed = None
            result.notes.append("the executed copy was damaged by the notebook; the "
                                   "submitted one is kept instead")
    if executed is None:
        executed = nb
    result.executed = notebooks.nbformat.writes(executed)
    if outcome.truncated:
        result.notes.append("output past the size limit was dropped from the executed copy")

    scoring_started = time.perf_counter()
    answers, claimed, note = read_answers(answers_raw)
    if note:
        result.notes.append(note)
    if answers and claimed.get("variant") != variant:
        other = claimed.get("variant")  # from the run's answers file: a number, or nothing
        other = (f"data variant {other}" if isinstance(other, int)
                 and not isinstance(other, bool) else "another data variant")
        result.notes.append(f"the notebook worked on {other}, not yours ({variant}); "
                               "answers were scored against yours")
    rows = score(key, answers, refs, code=[c.source for c in nb.cells if c.cell_type == "code"])
    result.scoring_s = round(time.perf_counter() - scoring_started + refs_s, 3)
    result.questions = rows
    result.total = round(sum(r["points"] for r in rows), 4)

    error = _first_error(executed)
    if outcome.status == "sandbox-lost":
        status = "grader-error"
        feedback = ("the grading sandbox stopped during the run (not the notebook's doing); "
                    "run crm grade again to grade it")
    elif outcome.status == "sandbox-failed":
        status = "grader-error"
        feedback = ("the grading sandbox could not start on the grader's machine (not the "
                    "notebook's doing); run crm grade again to grade it")
    elif outcome.status == "killed":
        status, feedback = "timeout", outcome.message
    elif outcome.status == "timeout":
        status = "timeout"
        feedback = (f"a cell ran longer than {task.limits.cell_timeout:g} s (an endless loop?) "
                    "and the run was stopped there")
    elif outcome.status == "crashed":
        status = "crashed"
        feedback = ("the kernel died during the run (a crash, os._exit, killing processes, or "
                    "memory); the run stopped there")
    elif outcome.status == "runner-error":
        # the runner's own message may come from the notebook (run.json is in its folder)
        kind = re.match(r"[A-Za-z_]\w{0,60}", outcome.message)
        status = "crashed"
        feedback = ("the notebook could not be run"
                    + (f" ({kind.group(0)})" if kind else ""))
    elif error is not None:
        where, name, value = error
        status = "memory" if name == "MemoryError" else "error"
        feedback = f"{where[:100]} raised {clean_error(name, value)}"[:300]
        if name in _HELP:
            feedback += f" ({_HELP[name]})"
    else:
        status, feedback = "graded", "ran without errors"
    flagged = [r["question"] for r in rows if r.get("flagged")]
    if flagged:
        result.notes.append(f"FLAGGED {', '.join(flagged)}: " + rows[[r["question"] for r in
                            rows].index(flagged[0])]["flagged"])
    if any(r.get("grader_error") for r in rows):
        result.notes.append("some references could not be computed (a key problem)")
    answered = sum(1 for r in rows if r["message"] != exercises.NOT_ANSWERED)
    result.status = status
    result.feedback = f"{feedback}; {answered}/{len(rows)} answered"
    if flagged:
        result.feedback = (f"FLAGGED {', '.join(flagged)} (scored 0: forbidden code, see the "
                           f"notes); {result.feedback}")
    if outcome.sandbox == NO_SANDBOX:
        result.feedback += " (graded without a sandbox)"

