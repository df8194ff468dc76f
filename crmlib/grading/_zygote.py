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
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import select
import signal
import socket
import struct
import sys
import time

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 1, 2, 4, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
PR_SET_SECCOMP = 22
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
SPOOL, SANDBOX = "/spool", "/sandbox"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           options: str | None = None) -> None:
    def enc(s):
        return (s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags),
                       enc(options)), f"mount {target}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Give up every capability for good (bounding, ambient, effective, permitted)."""
    cap = 0
    while True:  # every capability this kernel knows, until it says there are no more
        if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) != 0:
            if ctypes.get_errno() == errno.EINVAL:
                break
            raise OSError(ctypes.get_errno(), "cannot drop the capability bounding set")
        cap += 1
    _libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


# The kernel's key management (add_key, request_key, keyctl): keys belong to a user id,
# and a run's user is the grader's on the host, so a run is refused these calls.
_KEY_SYSCALLS_X86_64 = (248, 249, 250)
SECCOMP_SUPPORTED = platform.machine() == "x86_64"


def seccomp_program() -> bytes:
    """A classic BPF seccomp filter: the key-management calls fail with EPERM (as does
    any call of another architecture or the x32 ABI); everything else is allowed."""
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    prog = [(ld, 0, 0, 4),                      # architecture
            (jeq, 0, 6, 0xC000003E),            # AUDIT_ARCH_X86_64, else deny
            (ld, 0, 0, 0),                      # system call number
            (jge, 4, 0, 0x40000000),            # x32 ABI: deny
            (jeq, 3, 0, _KEY_SYSCALLS_X86_64[0]),
            (jeq, 2, 0, _KEY_SYSCALLS_X86_64[1]),
            (jeq, 1, 0, _KEY_SYSCALLS_X86_64[2]),
            (ret, 0, 0, allow),
            (ret, 0, 0, deny)]
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp() -> None:
    """Install :func:`seccomp_program` on this process (needs no_new_privs)."""
    if not SECCOMP_SUPPORTED:
        return
    code = seccomp_program()
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(2), ctypes.byref(fprog), 0, 0),
           "seccomp")


def new_session_keyring() -> None:
    """Leave the keyring the grader was started with for a fresh, empty one."""
    _libc.syscall(250, 1, None)  # keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL); best effort


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        import fcntl

        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def _own_user_namespace() -> None:
    """A user namespace of this process's own, mapping its user and group to themselves
    (every capability inside it, until :func:`drop_capabilities`)."""
    uid, gid = os.getuid(), os.getgid()
    # A process that is not dumpable (the warm process, and so its forks) has its /proc
    # files owned by the host's root: writing its own maps would then need the grader
    # to be root on the host, which runs never are (sandbox.sandbox_user).
    _prctl(PR_SET_DUMPABLE, 1)
    _check(_libc.unshare(CLONE_NEWUSER), "unshare(user)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def enter_namespaces(job: str, keep_in_tmp: list[str] = ()) -> None:
    """Make this process's own namespaces and file system view for job folder ``job``.

    ``keep_in_tmp`` are the read-only course paths that live under ``/tmp`` (a
    checkout in ``/tmp``, say): the job's own ``/tmp`` would hide them, so they
    are bound again, read-only, on top of it.
    """
    _own_user_namespace()
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET
                         | CLONE_NEWUTS), "unshare(mount, pid, ipc, net, uts)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    folder = os.path.join(SPOOL, job)
    _mount(folder, SANDBOX, None, MS_BIND | MS_REC)
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in keep_in_tmp
            if path.startswith("/tmp/") and os.path.isdir(path)]
    _mount(os.path.join(folder, "tmp"), "/tmp", None, MS_BIND | MS_REC)
    for path, fd in kept:
        os.makedirs(path, exist_ok=True)  # a mount point in the job's own tmp
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        # read-only, keeping the flags bubblewrap's mount had (they are locked)
        _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    _mount("none", SPOOL, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0555")
    if os.path.isdir("/dev/shm"):
        _mount("none", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=16m")
    socket.sethostname("grader")
    _loopback_up()


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
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        new_session_keyring()
        enter_namespaces(request["job"], request.get("keep_in_tmp", []))
        init = os.fork()  # the first process of the new PID namespace
        if init == 0:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
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
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _prctl(PR_SET_DUMPABLE, 1)  # its own /proc files, as any process's
        drop_capabilities()
        apply_seccomp()
        os.chdir(SANDBOX)
        os.environ.update(request.get("env", {}))
        from crmlib.grading import _runner
        from crmlib.grading.sandbox import Limits, _set_limits

        _set_limits(Limits(**request["limits"]), request.get("nproc"), None)()
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


def _self_test() -> str:
    """Whether this sandbox lets a child make its own namespaces ('' when it does)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.closerange(3, 65536)
            _own_user_namespace()
            _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET), "unshare")
            _mount("none", SPOOL, "tmpfs", 0, "size=64k")
            drop_capabilities()
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return "" if os.waitstatus_to_exitcode(status) == 0 else "nested namespaces refused"


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
    _prctl(PR_SET_DUMPABLE, 0)  # no job can read or trace this process
    missing = warm_up()
    problem = _self_test()
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
