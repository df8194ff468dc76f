"""Execute one submission inside the sandbox: ``python -m crmlib.grading._runner JOB.json``.

This is the only grader code that runs next to a student's kernel. It runs the
prepared notebook (the grader has already injected the parameters) with
papermill, through an engine (:mod:`crmlib.grading._engine`, which holds every
use of papermill's, nbclient's and jupyter_client's internals) that keeps a cap
on stored output, lets every cell run even after an error (so each question is
judged on its own) and has a per-cell time limit. The executed copy is saved
every few seconds, not after every cell (papermill's own manager rewrites the
whole notebook twice per cell: thousands of small cells then crawl), and once
more at the end.

The answers are sealed when the last cell ends: the answers file is read each
time a cell finishes, the kernel is killed at once when the last one has
(``shutdown_kernel="immediate"``), in a sandbox every other process of the run
is ended, and the file is put back as it was when the last cell ended, so a
thread or process the notebook left running cannot change the grade after the
executed copy stops. It writes a small ``run.json`` with what happened and
scores nothing: the answers come back as the data file the workbook records,
read by the grader in its own process.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time

# jsonschema (imported by nbformat) builds an IRI grammar at import when the
# optional rfc3987-syntax package is installed: 1.5 s per submission for a
# format check nbformat never asks for.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402

from crmlib.atomic import PRIVATE, write_atomic  # noqa: E402
from crmlib.grading import _engine, seal  # noqa: E402

STATE: dict = {"kernel_ready": None, "answers": None, "answers_seen": None, "sealed": None}
MAX_SEALED = 16 * 2**20      # an answers file bigger than this is left for the grader to refuse


def _kernel_ready(**_):
    if STATE["kernel_ready"] is None:
        STATE["kernel_ready"] = time.perf_counter()


def _read_answers(path: str) -> bytes | None:
    """The answers file's bytes (a regular file, not too big), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SEALED:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(MAX_SEALED + 1)
    finally:
        os.close(fd)


def _cell_ended(**_):
    """After each cell: remember the answers file as it is now (read again only when it
    changed), so the state when the last cell ended can be put back at the end."""
    path = STATE["answers"]
    if not path:
        return
    try:
        info = os.lstat(path)
        seen = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_mode)
    except OSError:
        seen = ()
    if seen != STATE["answers_seen"]:
        STATE["answers_seen"] = seen
        STATE["sealed"] = _read_answers(path) if seen else None


def _seal_answers() -> None:
    """Put the answers file back as it was when the last cell ended."""
    path = STATE["answers"]
    if not path or STATE["answers_seen"] is None:
        return  # no cell ended: nothing to seal
    sealed = STATE["sealed"]
    if sealed is None:
        try:
            os.unlink(path)
        except (FileNotFoundError, IsADirectoryError):
            pass
        return
    if _read_answers(path) != sealed:
        _write(path, sealed.decode("utf-8", "replace"))


def _end_the_rest() -> None:
    """End every process of the run but this one (a process namespace's first process,
    its init, is spared by the kernel): what the notebook left running."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass


def _write(path: str, text: str) -> None:
    """Replace ``path`` through a fresh temporary file (never one the notebook planted),
    private to the run; not flushed to disk: the grader reads it at once, and the run's
    folder is deleted after."""
    write_atomic(path, text, mode=PRIVATE, durable=False)


def main(job_path: str, warm: bool = False) -> int:
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    STATE["answers"] = job.get("answers")
    result = {"status": "ok", "startup_s": 0.0, "execution_s": 0.0, "truncated": False}
    started = time.perf_counter()
    km = None
    # a challenge workbook's seal (crmlib.grading.seal), for the kernel to apply
    seal.export_seal(os.path.dirname(job_path))
    if warm:  # forked before any event loop or socket exists in this process
        km = _engine.start_forked_kernel(
            os.path.join(os.path.dirname(job_path), "home", ".runtime"))
    run = _engine.execute(job["notebook"], job["output"], cell_timeout=job["cell_timeout"],
                          startup_timeout=job["startup_timeout"],
                          max_output=int(job["max_output"]), km=km,
                          on_cell_start=_kernel_ready, on_cell_executed=_cell_ended)
    if run.status != "ok":
        result.update(status=run.status, message=run.message)
    finished = time.perf_counter()
    # Sealed: the kernel is gone (killed when the last cell ended); in a process namespace
    # of the run's own (never without one, where -1 means every process of this user),
    # so is whatever it left running; then the answers go back to that moment.
    if job.get("own_pids") and os.getpid() <= 4:
        _end_the_rest()
    if result["status"] == "ok":
        try:
            _seal_answers()
        except OSError as err:
            result["seal_error"] = str(err)[:200]
    ready = STATE["kernel_ready"] or finished
    result.update(startup_s=ready - started, execution_s=finished - ready,
                  truncated=run.truncated)
    if run.nb is not None:
        try:  # the last state, also when papermill stopped before saving it
            _write(job["output"], nbformat.writes(run.nb))
        except OSError as err:
            result["save_error"] = str(err)[:200]
    _write(job["result"], json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
