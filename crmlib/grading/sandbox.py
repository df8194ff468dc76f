"""Run one prepared submission in a sandbox with limits.

With bubblewrap (``bwrap``, Debian's ``bubblewrap`` package) the run gets its
own user, process, network, IPC and host-name namespaces: no network (only a
private loopback), an unprivileged user, a file system made of the system's
read-only ``/usr`` and ``/etc``, the Python environment and the course's
``crmlib`` and ``datasets`` read-only, and one private writable folder. The
answer keys, the gradebook, other submissions and the rest of the machine are
not there. Resource limits (address space, file size, open files, processes,
CPU time) apply with or without bubblewrap; without it, they are all there is.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import crmlib
from crmlib import data
from crmlib.grading import _zygote

SANDBOX_DIR = "/sandbox"   # the private folder's path inside the sandbox


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
    """

    timeout: float = 300.0
    cell_timeout: float = 60.0
    memory_mb: int = 2048
    file_mb: int = 64
    processes: int = 64
    max_output: int = 1_000_000

    def __post_init__(self):
        for name in ("timeout", "cell_timeout", "memory_mb", "file_mb", "processes",
                     "max_output"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"limit {name} must be a positive number, got {value!r}")


def bwrap_path() -> str | None:
    """The bubblewrap executable, or None when it is not installed or not usable."""
    if os.environ.get("CRM_NO_BWRAP"):
        return None
    return shutil.which("bwrap")


def _own_processes() -> int:
    """How many processes this user runs now (RLIMIT_NPROC counts them all)."""
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def pids_cgroup(limit: int) -> Path | None:
    """A fresh cgroup capping the number of processes of one run, when this machine lets us
    make one (the cgroup v1 ``pids`` controller, or v2 with ``pids`` delegated); else None.

    A cgroup counts only the run's own processes; without one, the process limit is
    RLIMIT_NPROC, which counts every process of the user.
    """
    for root in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        try:
            if not (root / "cgroup.procs").exists():
                continue
            if root.name == "cgroup" and "pids" not in (root / "cgroup.subtree_control"
                                                        ).read_text():
                continue
            path = root / f"crm-grade-{os.getpid()}-{uuid.uuid4().hex[:10]}"
            path.mkdir()
        except OSError:
            continue
        try:
            (path / "pids.max").write_text(str(int(limit)))
            return path
        except OSError:
            remove_cgroup(path)
    return None


def remove_cgroup(path: Path) -> None:
    """Kill whatever is left in a run's cgroup and remove it."""
    for _ in range(50):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def _join(procs: bytes | None) -> None:
    """Move this (child) process into the cgroup whose ``cgroup.procs`` is ``procs``."""
    if procs:
        fd = os.open(procs, os.O_WRONLY)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)


def _set_limits(limits: Limits, nproc: int | None, cgroup: Path | None):
    """The function the child runs before exec: its cgroup, resource limits, no core files."""
    memory = int(limits.memory_mb) * 2**20
    file_size = int(limits.file_mb) * 2**20
    cpu = int(limits.timeout) + 5
    procs = str(cgroup / "cgroup.procs").encode() if cgroup else None

    def apply():
        _join(procs)
        _zygote.new_session_keyring()
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
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
        data.VARIANT_CACHE_ENV: home,  # the variant the grader simulated (crmlib.data)
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


# Kernel interfaces in /proc that a process whose host user is root (the sandbox's user
# is the grader's, and a grader run as root makes it host uid 0) could write without any
# capability, or read to learn about the host: read-only or hidden, as container
# runtimes do.
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


def bwrap_command(bwrap: str, workdir: Path, argv: list[str]) -> list[str]:
    """The bubblewrap command line that runs ``argv`` with ``workdir`` as the private folder."""
    cmd = _system(bwrap)
    # The private folders first, the course's read-only paths on top: a course that
    # lives under /tmp (a CI checkout, say) stays visible inside the sandbox.
    cmd += ["--bind", str(workdir), SANDBOX_DIR, "--bind", str(workdir / "tmp"), "/tmp"]
    for path in _read_only_paths():
        cmd += ["--ro-bind", path, path]
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
    cmd += ["--remount-ro", "/", "--chdir", "/", "--"]
    return cmd + argv


@dataclass
class RunOutcome:
    """What the sandboxed run left: its status, timings and the files it wrote."""

    status: str            # ok, timeout, crashed, runner-error, killed
    message: str
    wall_s: float
    startup_s: float
    execution_s: float
    truncated: bool
    sandbox: str           # "bwrap" or "limits only"
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
    :func:`crmlib.grading._zygote.seccomp_program` (``--seccomp FD``), and the file
    descriptors to pass and close after the start; unchanged off x86-64."""
    if not _zygote.SECCOMP_SUPPORTED:
        return cmd, ()
    read_fd, write_fd = os.pipe()
    os.write(write_fd, _zygote.seccomp_program())
    os.close(write_fd)
    return cmd[:1] + ["--seccomp", str(read_fd)] + cmd[1:], (read_fd,)


def _python() -> str:
    python = os.path.join(sys.prefix, "bin", "python")
    return python if os.path.exists(python) else sys.executable


def _write_job(workdir: Path, inside: str, limits: Limits) -> None:
    """The private folder's layout and the runner's instructions (paths as seen inside)."""
    (workdir / "tmp").mkdir(exist_ok=True)
    (workdir / "home").mkdir(exist_ok=True)
    job = {"notebook": f"{inside}/submission.ipynb", "output": f"{inside}/executed.ipynb",
           "result": f"{inside}/run.json", "cell_timeout": limits.cell_timeout,
           "startup_timeout": min(120.0, limits.timeout), "max_output": limits.max_output}
    (workdir / "job.json").write_text(json.dumps(job))


def run_sandboxed(workdir: Path, limits: Limits, bwrap: str | None = None) -> RunOutcome:
    """Execute ``workdir/submission.ipynb`` in a sandbox; the executed copy, ``run.json``
    and the answers stay in ``workdir``."""
    inside = SANDBOX_DIR if bwrap else str(workdir)
    _write_job(workdir, inside, limits)
    python = _python()
    argv = [python, "-m", "crmlib.grading._runner", f"{inside}/job.json"]
    cmd = bwrap_command(bwrap, workdir, argv) if bwrap else argv
    env = _environment(inside, os.path.dirname(python))
    pass_fds: tuple[int, ...] = ()
    if bwrap:
        cmd, pass_fds = _with_seccomp(cmd)
    cgroup = pids_cgroup(limits.processes + 2)  # + bubblewrap's two
    nproc = None if cgroup else _own_processes() + limits.processes
    log_path = workdir.parent / f"{workdir.name}.log"
    started = time.perf_counter()
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True, pass_fds=pass_fds,
                                    preexec_fn=_set_limits(limits, nproc, cgroup))
            killed = False
            try:
                proc.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                killed = True
                _kill_group(proc)
    finally:
        for fd in pass_fds:
            os.close(fd)
        if cgroup:
            remove_cgroup(cgroup)
    wall = time.perf_counter() - started
    log_tail = (read_private(log_path, 10**7) or b"")[-2000:].decode("utf-8", "replace")
    log_path.unlink(missing_ok=True)
    sandbox = "bwrap" if bwrap else "limits only"
    return _outcome(workdir, wall, killed, proc.returncode, limits, sandbox, log_tail)


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
        return RunOutcome("crashed", f"the grading process ended early ({why})", wall, 0.0,
                          wall, False, sandbox, log_tail)

    def seconds(name):
        value = result.get(name, 0.0)
        return float(value) if isinstance(value, (int, float)) else 0.0
    return RunOutcome(status, str(result.get("message", ""))[:300], wall, seconds("startup_s"),
                      seconds("execution_s"), bool(result.get("truncated")), sandbox, log_tail)


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the run's process group (bubblewrap takes its whole sandbox with it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
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
    """

    def __init__(self, bwrap: str, limits: Limits, start_timeout: float = 120.0):
        import tempfile

        self.spool = Path(tempfile.mkdtemp(prefix=f"crm-grade-{os.getpid()}-spool-"))
        self.problem = ""
        self._log = self.spool.with_name(self.spool.name + ".log")
        python = _python()
        env = _environment(SANDBOX_DIR, os.path.dirname(python))
        self._job_env = dict(env)
        # the warm process's own caches; each job's are in its folder
        env.update(MPLCONFIGDIR="/tmp/mpl", XDG_CACHE_HOME="/tmp/cache", HOME="/tmp")
        self._cgroup = pids_cgroup(limits.processes + 8)  # + bubblewrap, zygote, job's init
        procs = str(self._cgroup / "cgroup.procs").encode() if self._cgroup else None

        def enter():
            _join(procs)
            _zygote.new_session_keyring()
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

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
        """Run ``workdir/submission.ipynb`` (``workdir`` from :meth:`new_job`)."""
        _write_job(workdir, SANDBOX_DIR, limits)
        nproc = None if self._cgroup else _own_processes() + limits.processes
        request = {"job": workdir.name, "nproc": nproc, "env": self._job_env,
                   "keep_in_tmp": _read_only_paths(),
                   "limits": {f: getattr(limits, f) for f in (
                       "timeout", "cell_timeout", "memory_mb", "file_mb", "processes",
                       "max_output")}}
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
        if status not in ("exited", "killed"):
            # Not the submission's doing (a run cannot reach the warm process): the grader
            # records its own error, so a rerun grades the submission again. The spool,
            # with this job's folder, stays until the grader has read it.
            self.problem = "the warm sandbox stopped answering"
            self._stop()
            return RunOutcome("sandbox-lost", "the grading sandbox stopped during the run",
                              wall, 0.0, wall, False, "bwrap, warm", log_tail)
        return _outcome(workdir, wall, status == "killed", reply.get("code"), limits,
                        "bwrap, warm", log_tail)

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

    def __init__(self, bwrap: str, limits: Limits):
        import threading

        self.bwrap, self.limits = bwrap, limits
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
        box = WarmSandbox(self.bwrap, self.limits)
        with self._lock:
            self._all.append(box)
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
