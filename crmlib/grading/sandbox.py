"""Run one prepared submission in a sandbox with limits.

With bubblewrap (``bwrap``, Debian's ``bubblewrap`` package) the run gets its
own user, process, network, IPC and host-name namespaces: no network (only a
private loopback), an unprivileged user (host uid 65534 when the grader runs as
root), a file system made of the system's
read-only ``/usr`` and ``/etc``, the Python environment and the course's
``crmlib`` and ``datasets`` read-only, and one private writable folder. The
answer keys, the gradebook, other submissions and the rest of the machine are
not there. Resource limits (address space, file size, open files, processes,
CPU time) apply with or without bubblewrap; without it, they are all there is.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import crmlib
from crmlib import data
from crmlib.errors import ArgumentError
from crmlib.grading import _linux, variants
from crmlib.grading._linux import pids_cgroup, remove_cgroup, seccomp_problem

SANDBOX_DIR = "/sandbox"   # the private folder's path inside the sandbox
NOBODY = 65534             # the host user (and group) runs take when the grader is root


@dataclass(frozen=True)
class Limits:
    """Limits of one submission's run.

    Parameters
    ----------
    timeout : float
        Seconds for the whole run (sandbox start to last cell).
    cell_timeout : float
        Seconds for any one cell.
    memory_mb : int
        Address space of each process (runner and kernel), in MiB.
    file_mb : int
        Largest file the run may write, in MiB.
    processes : int
        Processes the sandbox may add to those its user already runs.
    max_output : int
        Characters of cell output kept in the executed copy.
    input_mb : float
        Largest submission, in MiB, once its outputs are dropped (they are never run:
        the grader executes the code again).
    """

    timeout: float = 300.0
    cell_timeout: float = 60.0
    memory_mb: int = 3072  # workbooks 03 and 06 on the larger v3 variants pass 2 GiB
    file_mb: int = 64
    processes: int = 64
    max_output: int = 1_000_000
    input_mb: float = 20.0

    def __post_init__(self):
        for name in ("timeout", "cell_timeout", "memory_mb", "file_mb", "processes",
                     "max_output", "input_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ArgumentError(f"limit {name} must be a positive number, got {value!r}")


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None when it is not installed or not usable."""
    if os.environ.get("CRM_NO_BWRAP"):
        return None
    return shutil.which("bwrap")


def sandbox_user() -> tuple[int, int] | None:
    """The host user and group a run takes: uid and gid 65534 when the grader runs as root
    (a root-owned run could read root-only files such as ``/etc/shadow`` as their owner),
    None (the grader's own, already unprivileged) otherwise."""
    return (NOBODY, NOBODY) if os.geteuid() == 0 else None


def hand_over(folder: Path, user: tuple[int, int] | None) -> None:
    """Give a run's folder and what the grader put in it to the run's user (when the
    grader is root: the run must write there as uid 65534)."""
    if user is None:
        return
    for root, dirs, files in os.walk(folder):
        for name in (root, *(os.path.join(root, n) for n in dirs + files)):
            os.lchown(name, *user)


def _barrier(path: str, uid: int) -> str | None:
    """The first folder on the way to ``path`` that user ``uid`` may not pass through
    (``/root``, mode 0700, for a Python installed under it), or None."""
    current = "/"
    for part in Path(path).parts[1:]:
        try:
            info = os.stat(current)
        except OSError:
            return None
        if not (info.st_mode & 0o001 or (info.st_uid == uid and info.st_mode & 0o100)):
            return current
        current = os.path.join(current, part)
    return None


def _unveil_plan(user: tuple[int, int] | None, folders: tuple[str, ...] = ()
                 ) -> dict[str, list[str]]:
    """Folders the run's user cannot pass through on the way to what the runs need (the
    Python environment under ``/root``, the run's own folder in a private ``TMPDIR``),
    each with the paths below it to show."""
    plan: dict[str, list[str]] = {}
    if user is None:
        return plan
    for path in [*_read_only_paths(), *folders]:
        top = _barrier(path, user[0])
        if top is not None and top != "/":
            plan.setdefault(top, []).append(path)
    return plan


def _process_limit(cgroup: Path | None, user: tuple[int, int] | None, limits: Limits
                   ) -> int | None:
    """RLIMIT_NPROC of a run without a process cgroup (it counts every process of the
    run's user): what that user runs now plus the run's allowance; None with a cgroup."""
    if cgroup:
        return None
    return _linux.own_processes(user[0] if user else None) + limits.processes


def _set_limits(limits: Limits, nproc: int | None, cgroup: Path | None,
                user: tuple[int, int] | None = None, folder: Path | None = None):
    """The function the child runs before exec: its cgroup, resource limits, no core
    files, the run's user (see :func:`sandbox_user`), who must reach ``folder``."""
    procs = str(cgroup / "cgroup.procs").encode() if cgroup else None
    plan = _unveil_plan(user, (str(folder),) if folder else ())

    def apply():
        _linux.join_cgroup(procs)
        _linux.unveil(plan)
        _linux.set_run_limits(limits.memory_mb, limits.file_mb, limits.timeout, nproc)
        _linux.become(user)
        _linux.new_session_keyring()
    return apply


def _environment(home: str, python_bin: str) -> dict[str, str]:
    """The minimal environment of a run: no grader secrets, no proxies, one thread."""
    return {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": f"{home}/home", "TMPDIR": f"{home}/tmp", "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/home/.mpl",
        "JUPYTER_RUNTIME_DIR": f"{home}/home/.runtime", "JUPYTER_DATA_DIR": f"{home}/home/.jd",
        "IPYTHONDIR": f"{home}/home/.ipython", "JUPYTER_PLATFORM_DIRS": "1",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2", "CRM_PROGRESS": f"{home}/home/progress.json",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        variants.VARIANT_CACHE_ENV: home,  # the variant the grader simulated
        # the crmlib the grader runs (a checkout on PYTHONPATH, an editable install) is
        # the one the runner and the kernel import; only its package folder is visible
        "PYTHONPATH": str(Path(crmlib.__file__).resolve().parent.parent),
    }


def _read_only_paths() -> list[str]:
    """What the sandbox sees read-only besides the system: Python and the course's code and data."""
    paths = {sys.prefix, sys.base_prefix, os.path.realpath(sys.base_prefix),
             str(Path(crmlib.__file__).resolve().parent), str(data._data_dir(None).resolve())}
    exe = os.path.realpath(sys.executable)
    paths.add(str(Path(exe).parent.parent))
    system = ("/usr/", "/etc/")
    keep = sorted(p for p in paths if os.path.exists(p) and not p.startswith(system)
                  and p not in ("/usr", "/etc", "/"))
    # drop paths already inside another one
    return [p for p in keep if not any(p != q and p.startswith(q + "/") for q in keep)]


def _hidden_paths() -> list[str]:
    """Folders inside the read-only paths that a run must never read: the answer keys a
    wheel install of crmlib carries (``crmlib/keys``, for students' practice checks)."""
    keys = Path(crmlib.__file__).resolve().parent / "keys"
    return [str(keys)] if keys.is_dir() else []


# Kernel interfaces in /proc that a process whose host user is root could write without
# any capability, or read to learn about the host: read-only or hidden, as container
# runtimes do (a run's host user is never root, see sandbox_user: a second wall).
PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
                  "/proc/acpi", "/proc/scsi")
PROC_HIDDEN = ("/proc/kcore", "/proc/keys", "/proc/key-users", "/proc/timer_list",
               "/proc/sched_debug", "/proc/latency_stats")


def _system(bwrap: str) -> list[str]:
    cmd = [bwrap, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
           "--hostname", "grader", "--die-with-parent", "--new-session",
           "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
           # /dev read-only (a run cannot leave files or hold memory there), with a small
           # shared-memory folder of its own
           "--dev", "/dev", "--size", str(16 * 2**20), "--tmpfs", "/dev/shm",
           "--remount-ro", "/dev", "--proc", "/proc"]
    for path in PROC_READ_ONLY:
        if os.path.exists(path):
            cmd += ["--ro-bind", path, path]
    for path in PROC_HIDDEN:
        if os.path.isfile(path):
            cmd += ["--ro-bind", "/dev/null", path]
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        target = Path("/") / name
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), f"/{name}"]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), f"/{name}"]
    return cmd


def sandbox_label(kind: str) -> str:
    """What the gradebook's ``sandbox`` column says of a bubblewrap run of ``kind``
    (``"bwrap"``, ``"bwrap, warm"``): that, and on a machine whose system calls the seccomp
    filter does not know (:func:`crmlib.grading._linux.seccomp_problem`), that the run
    had none."""
    problem = seccomp_problem()
    return f"{kind}; {problem}" if problem else kind


def bwrap_command(bwrap: str, workdir: Path, argv: list[str]) -> list[str]:
    """The bubblewrap command line that runs ``argv`` with ``workdir`` as the private folder."""
    cmd = _system(bwrap)
    # The private folders first, the course's read-only paths on top: a course that
    # lives under /tmp (a CI checkout, say) stays visible inside the sandbox.
    cmd += ["--bind", str(workdir), SANDBOX_DIR, "--bind", str(workdir / "tmp"), "/tmp"]
    for path in _read_only_paths():
        cmd += ["--ro-bind", path, path]
    for path in _hidden_paths():  # an empty, read-only folder over the keys
        cmd += ["--tmpfs", path, "--remount-ro", path]
    cmd += ["--chdir", SANDBOX_DIR, "--"]
    return cmd + argv


def warm_bwrap_command(bwrap: str, spool: Path, argv: list[str]) -> list[str]:
    """The command line of a warm sandbox: the system and the course read-only, the spool
    of job folders at ``/spool``, an empty ``/sandbox`` for each job's folder, and the
    rest of the root read-only."""
    cmd = _system(bwrap)
    cmd += ["--bind", str(spool), "/spool", "--tmpfs", "/tmp", "--dir", SANDBOX_DIR]
    for path in _read_only_paths():
        cmd += ["--ro-bind", path, path]
    for path in _hidden_paths():
        cmd += ["--tmpfs", path, "--remount-ro", path]
    cmd += ["--remount-ro", "/", "--chdir", "/", "--"]
    return cmd + argv


@dataclass
class RunOutcome:
    """What the sandboxed run left: its status, timings and the files it wrote."""

    status: str            # ok, timeout, crashed, runner-error, killed, sandbox-failed,
                           # sandbox-lost, stopped
    message: str
    wall_s: float
    startup_s: float
    execution_s: float
    truncated: bool
    sandbox: str           # "bwrap", "bwrap, warm" (see sandbox_label), "none (limits only)"
    log_tail: str


def remove_tree(path: Path) -> None:
    """Delete a run's folder whatever it holds (``shutil.rmtree`` recurses, and a tree
    thousands of folders deep made by a submission raises RecursionError)."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        pass
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", str(path)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def read_private(path: Path, max_bytes: int) -> bytes | None:
    """Read a file the sandbox wrote, refusing symbolic links, non-files and big files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        import stat
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(max_bytes + 1)[:max_bytes]
    finally:
        os.close(fd)


def _with_seccomp(cmd: list[str]) -> tuple[list[str], tuple[int, ...]]:
    """A bubblewrap command line that loads the seccomp filter of
    :func:`crmlib.grading._linux.seccomp_program` (``--seccomp FD``), and the file
    descriptors to pass and close after the start; unchanged where the filter does not
    know the system calls (off x86-64), which :func:`sandbox_label` then says."""
    if _linux.seccomp_problem():
        return cmd, ()
    read_fd, write_fd = os.pipe()
    os.write(write_fd, _linux.seccomp_program())
    os.close(write_fd)
    return cmd[:1] + ["--seccomp", str(read_fd)] + cmd[1:], (read_fd,)


def _python() -> str:
    python = os.path.join(sys.prefix, "bin", "python")
    return python if os.path.exists(python) else sys.executable


def _write_job(workdir: Path, inside: str, limits: Limits, own_pids: bool) -> None:
    """The private folder's layout and the runner's instructions (paths as seen inside).

    ``own_pids`` says the run has a process namespace of its own, so the runner may end
    every process left in it when the last cell ends (never without one: that would be
    every process of the grader's user).
    """
    (workdir / "tmp").mkdir(exist_ok=True)
    (workdir / "home").mkdir(exist_ok=True)
    job = {"notebook": f"{inside}/submission.ipynb", "output": f"{inside}/executed.ipynb",
           "result": f"{inside}/run.json", "answers": f"{inside}/answers.json",
           "cell_timeout": limits.cell_timeout, "startup_timeout": min(120.0, limits.timeout),
           "max_output": limits.max_output, "own_pids": bool(own_pids)}
    (workdir / "job.json").write_text(json.dumps(job))


class Stopped(Exception):
    """The batch was interrupted (Ctrl-C) before or during this run: nothing to record."""


class RunGroup:
    """The runs of one batch, so that one Ctrl-C stops them all at once.

    Every sandbox process (a cold run's bubblewrap, a warm sandbox) is registered
    while it lives; :meth:`stop` kills them all and makes every later run raise
    :class:`Stopped` before it starts.
    """

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    def add(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.add(proc)
        if self.stopped.is_set():
            _kill_group(proc, wait=False)

    def discard(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)

    def check(self) -> None:
        """Raise :class:`Stopped` when the batch was stopped."""
        if self.stopped.is_set():
            raise Stopped("the batch was interrupted")

    def stop(self) -> None:
        """Stop the batch: every sandbox running now is killed (safe in a signal handler)."""
        self.stopped.set()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            _kill_group(proc, wait=False)


def run_sandboxed(workdir: Path, limits: Limits, bwrap: str | None = None,
                  group: RunGroup | None = None) -> RunOutcome:
    """Execute ``workdir/submission.ipynb`` in a sandbox; the executed copy, ``run.json``
    and the answers stay in ``workdir``.

    Raises
    ------
    Stopped
        ``group`` was stopped before or during the run.
    """
    inside = SANDBOX_DIR if bwrap else str(workdir)
    _write_job(workdir, inside, limits, own_pids=bool(bwrap))
    python = _python()
    argv = [python, "-m", "crmlib.grading._runner", f"{inside}/job.json"]
    cmd = bwrap_command(bwrap, workdir, argv) if bwrap else argv
    env = _environment(inside, os.path.dirname(python))
    user = sandbox_user()
    hand_over(workdir, user)
    pass_fds: tuple[int, ...] = ()
    if group is not None:
        group.check()
    if bwrap:
        cmd, pass_fds = _with_seccomp(cmd)
    cgroup = pids_cgroup(limits.processes + 2)  # + bubblewrap's two
    nproc = _process_limit(cgroup, user, limits)
    log_path = workdir.parent / f"{workdir.name}.log"
    started = time.perf_counter()
    proc = None
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True, pass_fds=pass_fds,
                                    preexec_fn=_set_limits(limits, nproc, cgroup, user,
                                                           workdir))
            if group is not None:
                group.add(proc)
            killed = False
            try:
                proc.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                killed = True
                _kill_group(proc)
    finally:
        for fd in pass_fds:
            os.close(fd)
        if group is not None and proc is not None:
            group.discard(proc)
        if cgroup:
            remove_cgroup(cgroup)
    wall = time.perf_counter() - started
    log_tail = (read_private(log_path, 10**7) or b"")[-2000:].decode("utf-8", "replace")
    log_path.unlink(missing_ok=True)
    if group is not None:
        group.check()
    sandbox = sandbox_label("bwrap") if bwrap else "none (limits only)"
    return _outcome(workdir, wall, killed, proc.returncode, limits, sandbox, log_tail)


# What bubblewrap prints when it cannot build the sandbox (``bwrap: ...`` before anything
# runs), and what a warm sandbox's job prints when it cannot make its namespaces.
_SETUP_FAILED = ("bwrap: ", "[grader] the sandbox could not be set up")


def _outcome(workdir: Path, wall: float, killed: bool, code: int | None, limits: Limits,
             sandbox: str, log_tail: str) -> RunOutcome:
    """What a run left in ``workdir`` (its ``run.json``), or why it left nothing."""
    if killed:
        return RunOutcome("killed", f"the whole run took longer than {limits.timeout:g} s",
                          wall, 0.0, wall, False, sandbox, log_tail)
    raw = read_private(workdir / "run.json", 100_000)
    try:
        result = json.loads(raw) if raw else None
        status = str(result["status"])
    except (ValueError, TypeError, KeyError):
        result, status = None, ""
    if result is None or status not in ("ok", "timeout", "crashed", "runner-error"):
        why = f"killed by signal {-code}" if code and code < 0 else f"exit status {code}"
        if result is None and code and code > 0 and log_tail.startswith(_SETUP_FAILED):
            # the sandbox never started: the grader's machine, not the notebook
            return RunOutcome("sandbox-failed", log_tail.splitlines()[0][:200], wall, 0.0,
                              wall, False, sandbox, log_tail)
        return RunOutcome("crashed", f"the grading process ended early ({why})", wall, 0.0,
                          wall, False, sandbox, log_tail)

    def seconds(name):
        value = result.get(name, 0.0)
        return float(value) if isinstance(value, (int, float)) else 0.0
    return RunOutcome(status, str(result.get("message", ""))[:300], wall, seconds("startup_s"),
                      seconds("execution_s"), bool(result.get("truncated")), sandbox, log_tail)


def _kill_group(proc: subprocess.Popen, wait: bool = True) -> None:
    """Kill the run's process group (bubblewrap takes its whole sandbox with it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if not wait:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- warm sandboxes
class WarmSandbox:
    """A long-lived bubblewrap sandbox whose warm Python forks a nested sandbox per job.

    Starting Python, a kernel and the scientific libraries costs each cold run
    several seconds of CPU; here a process inside one bubblewrap sandbox
    (``crmlib.grading._zygote``) pays that once, and each job runs in a fork
    of it that first enters its own user, mount, PID, IPC, network and
    host-name namespaces below the sandbox's, sees only its own folder (at
    ``/sandbox``) and ends with everything it started. Jobs run one at a time.

    Parameters
    ----------
    bwrap : str
        The bubblewrap executable.
    limits : Limits
        The batch's limits (the process limit applies to the whole sandbox).
    start_timeout : float
        Seconds to wait for the warm process to import and test itself.
    group : RunGroup, optional
        The batch's runs: stopping it kills this sandbox.
    """

    def __init__(self, bwrap: str, limits: Limits, start_timeout: float = 120.0,
                 group: RunGroup | None = None):
        import tempfile

        self.spool = Path(tempfile.mkdtemp(prefix=f"crm-grade-{os.getpid()}-spool-"))
        self.problem = ""
        self.group = group
        self.user = sandbox_user()
        hand_over(self.spool, self.user)
        self._log = self.spool.with_name(self.spool.name + ".log")
        python = _python()
        env = _environment(SANDBOX_DIR, os.path.dirname(python))
        self._job_env = dict(env)
        # the warm process's own caches; each job's are in its folder
        env.update(MPLCONFIGDIR="/tmp/mpl", XDG_CACHE_HOME="/tmp/cache", HOME="/tmp")
        self._cgroup = pids_cgroup(limits.processes + 8)  # + bubblewrap, zygote, job's init
        procs = str(self._cgroup / "cgroup.procs").encode() if self._cgroup else None
        user = self.user
        plan = _unveil_plan(user, (str(self.spool),))

        def enter():
            _linux.join_cgroup(procs)
            _linux.unveil(plan)
            _linux.no_core_files()
            _linux.become(user)
            _linux.new_session_keyring()

        cmd, pass_fds = _with_seccomp(
            warm_bwrap_command(bwrap, self.spool, [python, "-m", "crmlib.grading._zygote"]))
        try:
            with open(self._log, "wb") as log:
                self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=log,
                                             start_new_session=True, close_fds=True,
                                             pass_fds=pass_fds, preexec_fn=enter)
        finally:
            for fd in pass_fds:
                os.close(fd)
        if group is not None:
            group.add(self.proc)
        hello = self._read_line(start_timeout)
        try:
            ready = json.loads(hello) if hello else {}
        except ValueError:
            ready = {}
        if not ready.get("ready"):
            self.problem = ready.get("problem") or "the warm sandbox did not start"
            self.close()

    @property
    def alive(self) -> bool:
        return not self.problem and self.proc.poll() is None

    def _read_line(self, timeout: float) -> str:
        import select

        deadline = time.monotonic() + timeout
        line = b""
        out = self.proc.stdout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                return ""
            chunk = os.read(out.fileno(), 65536)
            if not chunk:
                return ""
            line += chunk
        return line.decode("utf-8", "replace")

    def new_job(self) -> Path:
        """A fresh, empty job folder in the spool."""
        folder = self.spool / f"job-{uuid.uuid4().hex[:12]}"
        folder.mkdir()
        return folder

    def run(self, workdir: Path, limits: Limits) -> RunOutcome:
        """Run ``workdir/submission.ipynb`` (``workdir`` from :meth:`new_job`).

        Raises
        ------
        Stopped
            The batch's :class:`RunGroup` was stopped before or during the run.
        """
        _write_job(workdir, SANDBOX_DIR, limits, own_pids=True)
        hand_over(workdir, self.user)
        nproc = _process_limit(self._cgroup, self.user, limits)
        request = {"job": workdir.name, "nproc": nproc, "env": self._job_env,
                   "keep_in_tmp": _read_only_paths(),
                   "limits": {f: getattr(limits, f) for f in (
                       "timeout", "cell_timeout", "memory_mb", "file_mb", "processes",
                       "max_output")}}
        if self.group is not None:
            self.group.check()
        started = time.perf_counter()
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
            answer = self._read_line(limits.timeout + 30)
        except OSError:
            answer = ""
        wall = time.perf_counter() - started
        log_tail = (read_private(workdir / "log.txt", 10**7) or b"")[-2000:].decode(
            "utf-8", "replace")
        try:
            reply = json.loads(answer)
            status = reply["status"]
        except (ValueError, TypeError, KeyError):
            reply, status = {}, ""
        if self.group is not None and self.group.stopped.is_set():
            self.problem = "the batch was interrupted"
            self._stop()
            raise Stopped("the batch was interrupted")
        if status not in ("exited", "killed"):
            # Not the submission's doing (a run cannot reach the warm process): the grader
            # records its own error, so a rerun grades the submission again. The spool,
            # with this job's folder, stays until the grader has read it.
            self.problem = "the warm sandbox stopped answering"
            self._stop()
            return RunOutcome("sandbox-lost", "the grading sandbox stopped during the run",
                              wall, 0.0, wall, False, sandbox_label("bwrap, warm"), log_tail)
        return _outcome(workdir, wall, status == "killed", reply.get("code"), limits,
                        sandbox_label("bwrap, warm"), log_tail)

    def close(self) -> None:
        """Stop the warm process and remove its spool."""
        self._stop()
        if self._cgroup:
            remove_cgroup(self._cgroup)
            self._cgroup = None
        remove_tree(self.spool)
        self._log.unlink(missing_ok=True)

    def _stop(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and self.group is not None:
            self.group.discard(proc)
        if proc is not None and proc.poll() is None:
            try:
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                _kill_group(proc)
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass


class WarmPool:
    """One :class:`WarmSandbox` per grading thread, started on first use.

    When a warm sandbox cannot start (nested namespaces refused on this
    machine, say), :meth:`sandbox` returns None and the grader runs each
    submission in a sandbox of its own, as without the pool.
    """

    def __init__(self, bwrap: str, limits: Limits, group: RunGroup | None = None):
        self.bwrap, self.limits, self.group = bwrap, limits, group
        self._local = threading.local()
        self._all: list[WarmSandbox] = []
        self._lock = threading.Lock()
        self.problem = ""

    def sandbox(self) -> WarmSandbox | None:
        if self.problem:
            return None
        box = getattr(self._local, "box", None)
        if box is not None and box.alive:
            return box
        if box is not None:
            box.close()
        if self.group is not None:
            self.group.check()
        box = WarmSandbox(self.bwrap, self.limits, group=self.group)
        with self._lock:
            self._all.append(box)
        if self.group is not None:
            self.group.check()  # stopped while the sandbox started: not a sandbox problem
        if not box.alive:
            self.problem = box.problem
            return None
        self._local.box = box
        return box

    def close(self) -> None:
        with self._lock:
            boxes, self._all = self._all, []
        for box in boxes:
            try:
                box.close()
            except Exception:  # noqa: BLE001 - one sandbox's cleanup never stops the batch
                pass


# --------------------------------------------------------------------------- the probe
class SandboxUnavailable(RuntimeError):
    """The sandbox the runs need cannot start on this machine (the message says why and
    how to fix it)."""


# Run inside the probe's sandbox: the grader's own runner must import, as the run's user,
# the installed papermill, nbclient and jupyter_client must still have what its engine
# overrides, and a file it writes in its folder shows the grader which host user that is.
_PROBE = ("import crmlib.grading._runner\n"
          "crmlib.grading._engine.require_compatible()\n"
          "with open('probe.txt', 'w') as fh:\n"
          "    fh.write('ok')\n")

_USERNS_HELP = """\
Fix it one of these ways, then run the same command again:
  - Ubuntu 23.10 and later (24.04 included) forbid unprivileged user namespaces through
    AppArmor. Allow them for bubblewrap only, with a profile /etc/apparmor.d/bwrap:
        abi <abi/4.0>,
        include <tunables/global>
        profile bwrap {bwrap} flags=(unconfined) {{
          userns,
        }}
    and `sudo apparmor_parser -r /etc/apparmor.d/bwrap`; or for every program with
    `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (add the setting to
    /etc/sysctl.d/ to keep it after a reboot).
  - Other systems: `sudo sysctl -w user.max_user_namespaces=15000` (0 turns user
    namespaces off), and on older Debian `sudo sysctl -w kernel.unprivileged_userns_clone=1`.
  - In a Docker or Podman container: start it with --privileged, or with a seccomp
    profile that allows user namespaces (unshare, clone and clone3 with CLONE_NEWUSER),
    e.g. --security-opt seccomp=unconfined --security-opt apparmor=unconfined.
To grade without a sandbox anyway, add --no-sandbox: the notebooks then run on this
machine as {who} with only the resource limits, and every output says so."""


def _who(user: tuple[int, int] | None) -> str:
    return f"uid {user[0]}" if user else "your user"


def _explain(bwrap: str, said: str, user: tuple[int, int] | None) -> str:
    """The probe's message for a bubblewrap that printed ``said`` and stopped."""
    lower = said.lower()
    if "uid map" in lower or "gid map" in lower or "setgroups" in lower:
        why = ("bubblewrap could not map the sandbox's user: user namespaces are restricted "
               "on this machine (AppArmor on Ubuntu, or a container's security profile)")
    elif "namespace" in lower or "operation not permitted" in lower:
        why = ("bubblewrap may not create the namespaces the sandbox needs (user, process, "
               "network): they are turned off or forbidden here")
    else:
        why = "bubblewrap could not set up the sandbox"
    return (f"the grading sandbox cannot start on this machine, so nothing was graded.\n"
            f"{bwrap} said: {said}\n{why}.\n" + _USERNS_HELP.format(bwrap=bwrap, who=_who(user)))


def probe(bwrap: str | None, limits: Limits, timeout: float = 120.0) -> str:
    """Start one sandbox exactly as the runs will (same bubblewrap options, seccomp filter,
    resource limits, process cgroup and user) and check that the grader's runner can run
    in it, before the first submission.

    Parameters
    ----------
    bwrap : str or None
        The bubblewrap executable; None probes a run with resource limits only.
    limits : Limits
        The batch's limits.
    timeout : float
        Seconds the probe may take.

    Returns
    -------
    str
        What the runs will be: e.g. ``"bubblewrap, host uid 65534"`` (and, off x86-64,
        that they have no seccomp filter).

    Raises
    ------
    SandboxUnavailable
        The sandbox cannot start, or the runner cannot run in it; the message says why
        and how to fix it.
    """
    import tempfile

    user = sandbox_user()
    folder = Path(tempfile.mkdtemp(prefix=f"crm-grade-{os.getpid()}-probe-"))
    cgroup = None
    pass_fds: tuple[int, ...] = ()
    try:
        job = folder / "job"
        (job / "tmp").mkdir(parents=True)
        (job / "home").mkdir()
        inside = SANDBOX_DIR if bwrap else str(job)
        hand_over(job, user)
        python = _python()
        argv = [python, "-c", _PROBE]
        cmd = bwrap_command(bwrap, job, argv) if bwrap else argv
        if bwrap:
            cmd, pass_fds = _with_seccomp(cmd)
        cgroup = pids_cgroup(limits.processes + 2)
        nproc = _process_limit(cgroup, user, limits)
        try:
            proc = subprocess.run(cmd, cwd=job, env=_environment(inside, os.path.dirname(python)),
                                  stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout, close_fds=True, pass_fds=pass_fds,
                                  start_new_session=True,
                                  preexec_fn=_set_limits(limits, nproc, cgroup, user, job))
        except subprocess.TimeoutExpired:
            raise SandboxUnavailable(f"the grading sandbox did not start within {timeout:g} s "
                                     "(a machine this busy cannot grade either); nothing was "
                                     "graded") from None
        except subprocess.SubprocessError as err:  # preexec_fn: limits, cgroup or user
            raise SandboxUnavailable(
                f"the grading sandbox cannot start: setting the resource limits or the run's "
                f"user ({_who(user)}) failed ({err}); nothing was graded") from None
        except OSError as err:
            what = bwrap or python
            raise SandboxUnavailable(
                f"{what} cannot be run ({err.strerror or err}): "
                + ("reinstall bubblewrap (Debian and Ubuntu: sudo apt-get install --reinstall "
                   f"bubblewrap) or make it executable (chmod 755 {what}), or add --no-sandbox "
                   "to grade without a sandbox" if bwrap else "check the Python environment")
                + "; nothing was graded") from None
        try:
            host_uid = os.lstat(job / "probe.txt").st_uid
        except OSError:
            host_uid = None
    finally:
        for fd in pass_fds:
            os.close(fd)
        if cgroup:
            remove_cgroup(cgroup)
        remove_tree(folder)
    err = proc.stderr.decode("utf-8", "replace").strip()
    if bwrap and proc.returncode != 0 and err.startswith("bwrap:"):
        raise SandboxUnavailable(_explain(bwrap, err.splitlines()[0][:300], user))
    if proc.returncode != 0:
        last = (err.splitlines() or [f"exit status {proc.returncode}"])[-1][:300]
        where = "inside the sandbox" if bwrap else "with the resource limits"
        hint = (f" When crm grade runs as root, the runs are uid {user[0]}: the Python "
                f"environment ({sys.prefix}) and the course ({Path(crmlib.__file__).parent}) "
                "must be readable by every user (not under /root), or run crm grade as an "
                "ordinary user." if user else "")
        raise SandboxUnavailable(f"the grader's runner cannot start {where}: {last}.{hint} "
                                 "Nothing was graded.")
    if host_uid is None:
        raise SandboxUnavailable("the grading sandbox ran but could not write in its own "
                                 "folder; nothing was graded")
    if host_uid == 0:
        raise SandboxUnavailable("a run would be root on this machine; nothing was graded")
    what = f"{'bubblewrap' if bwrap else 'no sandbox (limits only)'}, host uid {host_uid}"
    return f"{what}; {seccomp_problem()}" if bwrap and seccomp_problem() else what
