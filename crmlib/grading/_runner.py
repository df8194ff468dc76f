"""Execute one submission inside the sandbox: ``python -m crmlib.grading._runner JOB.json``.

This is the only grader code that runs next to a student's kernel. It runs the
prepared notebook (the grader has already injected the parameters) with
papermill, through an engine that keeps a cap on stored output, lets every
cell run even after an error (so each question is judged on its own) and has
a per-cell time limit. The executed copy is saved every few seconds, not after
every cell (papermill's own manager rewrites the whole notebook twice per cell:
thousands of small cells then crawl), and once more at the end.

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
import tempfile
import time

# jsonschema (imported by nbformat) builds an IRI grammar at import when the
# optional rfc3987-syntax package is installed: 1.5 s per submission for a
# format check nbformat never asks for.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
import papermill  # noqa: E402
from nbclient.exceptions import CellTimeoutError, DeadKernelError  # noqa: E402
from papermill.clientwrap import PapermillNotebookClient  # noqa: E402
from papermill.engines import (  # noqa: E402
    NBClientEngine,
    NotebookExecutionManager,
    papermill_engines,
)
from papermill.exceptions import PapermillExecutionError  # noqa: E402

STATE: dict = {"client": None, "kernel_ready": None, "max_output": 1_000_000, "km": None,
               "answers": None, "answers_seen": None, "sealed": None}
SAVE_EVERY = 5.0             # seconds between two saves of the executed copy during a run
MAX_SEALED = 16 * 2**20      # an answers file bigger than this is left for the grader to refuse


class CappedClient(PapermillNotebookClient):
    """papermill's notebook client, storing outputs only up to ``max_output`` characters."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output = STATE["max_output"]
        self.output_size = 0
        self.truncated = False

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        if self.output_size + size > self.max_output:
            if not self.truncated:
                self.truncated = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"[grader] output beyond {self.max_output:,} characters was dropped\n"))
            return None
        self.output_size += size
        return super().output(outs, msg, display_id, cell_index)


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


class ThrottledManager(NotebookExecutionManager):
    """papermill's execution manager, saving the executed copy at most every
    :data:`SAVE_EVERY` seconds during the run and always at its end (papermill saves at
    each cell's start and end)."""

    final = False

    def save(self, **kwargs):
        if self.final or (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY:
            super().save(**kwargs)

    def notebook_complete(self, **kwargs):
        self.final = True  # its own last save always writes
        super().notebook_complete(**kwargs)


class GraderEngine(NBClientEngine):
    """papermill's nbclient engine with the capped client and the throttled manager;
    errors do not stop the run; the kernel is killed as soon as the last cell ends."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=False,
                         log_output=False, autosave_cell_every=30, **kwargs):
        nb_man = ThrottledManager(nb, output_path=output_path, progress_bar=False,
                                  log_output=False, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=False, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 **kwargs):
        client = CappedClient(nb_man, km=STATE["km"], timeout=execution_timeout,
                              startup_timeout=start_timeout,
                              kernel_name=kernel_name, log=papermill.log.logger,
                              log_output=False, allow_errors=True, record_timing=False,
                              store_widget_state=False, on_cell_start=_kernel_ready,
                              on_cell_executed=_cell_ended, shutdown_kernel="immediate")
        STATE["client"] = client
        return client.execute()


papermill_engines.register("crm-grader", GraderEngine)


def _write(path: str, text: str) -> None:
    """Replace ``path`` through a fresh temporary file (never one the notebook planted)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".runner-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _Forked:
    """The part of :class:`subprocess.Popen` jupyter_client uses, for a forked kernel."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None
        self.stdin = self.stdout = self.stderr = None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -9
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                import subprocess

                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


def _fork_kernel(connection_file: str) -> int:
    """Start the kernel as a fork of this (warm) process, as ``ipykernel_launcher`` would."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        os.setsid()  # its own process group, as jupyter_client gives a kernel
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = ["ipykernel_launcher", "-f", connection_file]
        app = IPKernelApp.instance()
        app.initialize(["-f", connection_file, "--HistoryManager.hist_file=:memory:",
                        f"--IPKernelApp.parent_handle={os.getppid()}"])
        app.start()
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 1
    except BaseException:  # noqa: BLE001 - the runner sees a dead kernel
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _adopting_manager(connection_file: str, pid: int):
    """A kernel manager whose "start" adopts the kernel already forked as ``pid``."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class Adopted(LocalProvisioner):
        async def pre_launch(self, **kwargs):
            return {"cmd": [], **{k: v for k, v in kwargs.items() if k == "env"}}

        async def launch_kernel(self, cmd, **kwargs):
            self.process, self.pid, self.pgid = _Forked(pid), pid, pid
            self.connection_info = self.parent.get_connection_info()
            return self.connection_info

    class AdoptingManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            self.shutting_down = False
            self.kernel_id = self.kernel_id or str(pid)
            self._launch_args = {}
            if self.provisioner is None:
                self.provisioner = Adopted(kernel_id=self.kernel_id, kernel_spec=None,
                                           parent=self)
            return [], {}

    km = AdoptingManager(connection_file=connection_file, kernel_name="python3")
    km.load_connection_file()
    return km


def main(job_path: str, warm: bool = False) -> int:
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    STATE["max_output"] = int(job["max_output"])
    STATE["answers"] = job.get("answers")
    result = {"status": "ok", "startup_s": 0.0, "execution_s": 0.0, "truncated": False}
    started = time.perf_counter()
    if warm:
        # Forked before any event loop or socket exists in this process.
        from jupyter_client.connect import write_connection_file

        runtime = os.path.join(os.path.dirname(job_path), "home", ".runtime")
        os.makedirs(runtime, exist_ok=True)
        connection_file, _ = write_connection_file(
            os.path.join(runtime, "kernel.json"), ip="127.0.0.1",
            key=os.urandom(16).hex().encode())
        STATE["km"] = _adopting_manager(connection_file, _fork_kernel(connection_file))
    try:
        papermill.execute_notebook(
            job["notebook"], job["output"], engine_name="crm-grader", kernel_name="python3",
            execution_timeout=job["cell_timeout"], start_timeout=job["startup_timeout"],
            cwd=os.getcwd(), progress_bar=False, log_output=False,
            request_save_on_cell_execute=True)
    except PapermillExecutionError:
        pass  # a cell raised: the grader reads the error from the executed copy
    except CellTimeoutError as err:  # papermill leaves no mark in the notebook for this
        result.update(status="timeout", message=str(err).splitlines()[0][:300])
    except DeadKernelError as err:
        result.update(status="crashed", message=str(err)[:300])
    except Exception as err:  # the kernel failed to start, a message was malformed ...
        result.update(status="runner-error", message=f"{type(err).__name__}: {err}"[:300])
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
    client = STATE["client"]
    result.update(startup_s=ready - started, execution_s=finished - ready,
                  truncated=bool(client and client.truncated))
    if client is not None:
        try:  # the last state, also when papermill stopped before saving it
            _write(job["output"], nbformat.writes(client.nb))
        except OSError as err:
            result["save_error"] = str(err)[:200]
    _write(job["result"], json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
