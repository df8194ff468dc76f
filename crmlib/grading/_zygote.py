"""A warm process that forks one fresh, nested sandbox per submission.

``python -m crmlib.grading._zygote`` runs inside a long-lived bubblewrap
sandbox (see :class:`crmlib.grading.sandbox.WarmSandbox`) whose only writable
folders are a spool (``/spool``) of job folders and ``/tmp``. It imports what a
workbook's kernel and the runner need (pandas, scipy, scikit-learn,
matplotlib, crmlib, IPython, papermill) once, then serves one job at a time
over its standard input and output (JSON lines):

* ``{"job": NAME, "limits": {...}, "nproc": N}`` runs ``/spool/NAME``;
* the answer is ``{"status": "exited" | "killed" | "failed", "code": ..., "wall": ...}``.

For each job it forks a child that enters namespaces of its own, below the
bubblewrap sandbox's: a user namespace (so it may make the others), then
mount, PID, IPC, network and host-name namespaces. In the new mount namespace
the job's folder is bound at ``/sandbox``, its ``tmp`` at ``/tmp``, and an
empty file system hides ``/spool`` (other jobs' folders); the network
namespace has only a loopback. The child then forks the PID namespace's
first process (``init``: it reaps, and when it ends, the kernel ends every
process left in the namespace), which forks the runner, which drops every
capability, sets the resource limits and forks the kernel from the warm
interpreter: no Python start-up, no imports. Whatever a submission does, it
does in a copy of this process that ends with the job.

The system calls (namespaces, mounts, capabilities, the seccomp filter, resource
limits) are :mod:`crmlib.grading._linux`'s; this module only puts them in order.
It does not import :mod:`crmlib.grading.sandbox` (which starts it), nor does that
import this one.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time

from crmlib.grading import _linux

SPOOL, SANDBOX = "/spool", "/sandbox"


def _reap_until(child: int) -> int:
    """As a PID namespace's first process: reap every orphan until ``child`` ends."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if pid == child:
            return os.waitstatus_to_exitcode(status)


def _exit_code(code: int) -> int:
    return code if code >= 0 else 128 - code


def run_job(request: dict, log_fd: int) -> None:
    """The forked child's whole life: namespaces, init, runner. Never returns."""
    code = 70
    try:
        os.setpgid(0, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.closerange(3, 65536)
        _linux.die_with_parent()
        _linux.new_session_keyring()
        _linux.enter_job_namespaces(os.path.join(SPOOL, request["job"]), SANDBOX, SPOOL,
                                    request.get("keep_in_tmp", []))
        init = os.fork()  # the first process of the new PID namespace
        if init == 0:
            _linux.die_with_parent()
            runner = os.fork()
            if runner == 0:
                _runner_process(request)
            os._exit(_exit_code(_reap_until(runner)))
        _, status = os.waitpid(init, 0)
        code = _exit_code(os.waitstatus_to_exitcode(status))
    except BaseException as err:  # noqa: BLE001 - reported in the job's log, then exit
        try:
            os.write(2, f"[grader] the sandbox could not be set up: {err!r}\n".encode())
        except OSError:
            pass
        code = 71
    finally:
        os._exit(code)


def _runner_process(request: dict) -> None:
    code = 1
    try:
        _linux.die_with_parent()
        _linux.set_dumpable(True)  # its own /proc files, as any process's
        _linux.drop_capabilities()
        if not _linux.seccomp_problem():  # else the grader labels the runs as without one
            _linux.apply_seccomp()
        os.chdir(SANDBOX)
        os.environ.update(request.get("env", {}))
        from crmlib.grading import _runner

        limits = request["limits"]
        _linux.set_run_limits(limits["memory_mb"], limits["file_mb"], limits["timeout"],
                              request.get("nproc"))
        _linux.new_session_keyring()
        code = _runner.main(os.path.join(SANDBOX, "job.json"), warm=True)
    except BaseException as err:  # noqa: BLE001
        try:
            os.write(2, f"[grader] runner failed: {err!r}\n".encode())
        except OSError:
            pass
    finally:
        os._exit(code)


WARM_MODULES = (
    "numpy", "pandas", "scipy.special", "scipy.stats", "scipy.optimize", "sklearn.base",
    "sklearn.linear_model", "sklearn.model_selection", "sklearn.metrics", "sklearn.cluster",
    "sklearn.preprocessing", "sklearn.ensemble", "sklearn.tree", "matplotlib",
    "matplotlib.pyplot", "ipywidgets", "crmlib.data", "crmlib.exercises", "crmlib.retention",
    "crmlib.clv", "crmlib.rfm", "crmlib.segment", "crmlib.uplift", "crmlib.contact",
    "crmlib.recommend", "crmlib.style", "crmlib.simulate.harbor", "crmlib.grading._runner",
    "crmlib.grading.variants",
    "crmlib.scv", "splink", "splink.comparison_library", "splink.backends.duckdb", "duckdb",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "jupyter_client.manager",
)


def warm_up() -> list[str]:
    """Import what kernels and the runner use; returns what could not be imported."""
    sys.modules.setdefault("rfc3987_syntax", None)  # see crmlib.grading._runner
    missing = []
    for name in WARM_MODULES:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - an optional part: the kernel imports it itself
            missing.append(name)
    import matplotlib.pyplot as plt

    plt.close("all")
    return missing


def _wait(pid: int, timeout: float) -> tuple[int, bool]:
    """Wait for ``pid`` at most ``timeout`` seconds; kill its group after that."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:  # a kernel older than 5.3: poll instead
        fd = None
    if fd is not None:
        try:
            killed = not select.select([fd], [], [], max(timeout, 0.0))[0]
        finally:
            os.close(fd)
    else:
        deadline = time.monotonic() + timeout
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        while os.waitid(os.P_PID, pid, flags) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        killed = os.waitid(os.P_PID, pid, flags) is None
    if killed:
        for target in (-pid, pid):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), killed


def serve() -> int:
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    inp = os.fdopen(os.dup(0), "r", encoding="utf-8")
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # nothing printed by a library reaches the protocol
    _linux.set_dumpable(False)  # no job can read or trace this process
    missing = warm_up()
    problem = _linux.nested_namespaces_problem(SPOOL)
    out.write(json.dumps({"ready": not problem, "problem": problem, "missing": missing,
                          "pid": os.getpid()}) + "\n")
    if problem:
        return 1
    for line in inp:
        try:
            request = json.loads(line)
            job = str(request["job"])
            if "/" in job or job.startswith("."):
                raise ValueError(f"bad job name {job!r}")
            timeout = float(request["limits"]["timeout"])
        except (ValueError, KeyError, TypeError) as err:
            out.write(json.dumps({"status": "failed", "message": str(err)}) + "\n")
            continue
        log_fd = os.open(os.path.join(SPOOL, job, "log.txt"),
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            run_job(request, log_fd)
        os.close(log_fd)
        code, killed = _wait(pid, timeout)
        out.write(json.dumps({"status": "killed" if killed else "exited", "code": code,
                              "wall": time.perf_counter() - started}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(serve())
