"""The grader's system calls, in one Linux-only module.

Everything the grader asks of the Linux kernel directly lives here: resource
limits, process cgroups, the run's user, namespaces and mounts, ``prctl``,
capabilities, the seccomp filter, the session keyring, and the ``/proc``
reads. Both sides of the sandbox use it: :mod:`crmlib.grading.sandbox` (in
the grader's process, before a run starts) and :mod:`crmlib.grading._zygote`
(the warm process inside the sandbox); neither imports the other. It imports
only the standard library.

It refuses to import anywhere but on Linux, with the message ``crm grade``
gives there (:func:`crmlib.grading.require_linux`); nothing of crmlib outside
the grader's sandbox imports it, so the lessons, quizzes and workbooks work
on macOS and Windows.

The seccomp filter knows the x86-64 system call table only: on another
architecture :func:`seccomp_problem` says so, :func:`seccomp_program` refuses
to build a filter, and the grader labels its runs as having none (the
gradebook's ``sandbox`` column and the summary), never installing a filter
written for another table.
"""

from __future__ import annotations

from crmlib.grading import require_linux

try:
    require_linux()
except ValueError as _err:
    raise ImportError(str(_err)) from None

import ctypes  # noqa: E402
import errno  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 1, 2, 4, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
PR_SET_SECCOMP = 22
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

_libc = ctypes.CDLL(None, use_errno=True)


# --------------------------------------------------------------------------- plain calls
def check(result: int, what: str) -> None:
    """Raise the ``OSError`` of a libc call that returned non-zero."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(option: int, arg: int = 0) -> None:
    check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def die_with_parent() -> None:
    """This process gets SIGKILL when its parent ends."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def set_dumpable(dumpable: bool) -> None:
    """Whether this process's ``/proc`` files are its own (and it may be traced by its
    user): off for the warm process, which no job may read."""
    prctl(PR_SET_DUMPABLE, 1 if dumpable else 0)


def unshare(flags: int, what: str) -> None:
    check(_libc.unshare(flags), f"unshare({what})")


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          options: str | None = None) -> None:
    def enc(s):
        return (s.encode() if s is not None else None)
    check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags),
                      enc(options)), f"mount {target}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- limits, user
def set_run_limits(memory_mb: float, file_mb: float, timeout: float,
                   nproc: int | None = None) -> None:
    """This process's resource limits for a run (its children inherit them): address
    space, largest file, no core files, 256 open files, CPU time (the run's ``timeout``
    plus 5 s) and, without a cgroup, the user's process count."""
    memory = int(memory_mb) * 2**20
    file_size = int(file_mb) * 2**20
    cpu = int(timeout) + 5
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    no_core_files()
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def no_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def become(user: tuple[int, int] | None) -> None:
    """Drop to the run's host user (in a child about to exec), for good."""
    if user is not None:
        os.setgroups([])
        os.setresgid(user[1], user[1], user[1])
        os.setresuid(user[0], user[0], user[0])


def own_processes(uid: int | None = None) -> int:
    """How many processes a user (this one by default) runs now (RLIMIT_NPROC counts them
    all), from ``/proc``."""
    uid = os.getuid() if uid is None else uid
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


# --------------------------------------------------------------------------- cgroups
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


def join_cgroup(procs: bytes | None) -> None:
    """Move this (child) process into the cgroup whose ``cgroup.procs`` is ``procs``."""
    if procs:
        fd = os.open(procs, os.O_WRONLY)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)


# --------------------------------------------------------------------------- capabilities
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
    check(_libc.capset(ctypes.byref(header), data), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)


# --------------------------------------------------------------------------- seccomp, keys
# The kernel's key management (add_key, request_key, keyctl): keys belong to a user id,
# and a run's user is the grader's on the host, so a run is refused these calls. System
# call numbers differ between architectures; the filter below is written for x86-64's.
_KEY_SYSCALLS = {"x86_64": (248, 249, 250)}
_AUDIT_ARCH = {"x86_64": 0xC000003E}  # AUDIT_ARCH_X86_64


def _machine(machine: str | None) -> str:
    return platform.machine() if machine is None else machine


def seccomp_problem(machine: str | None = None) -> str:
    """Why the runs get no seccomp filter on this machine (``machine``: ``uname -m``,
    this one's by default), or ``""`` when they do.

    Examples
    --------
    >>> seccomp_problem("x86_64")
    ''
    >>> seccomp_problem("aarch64")
    'no seccomp filter: it is written for x86-64 system calls and this machine is aarch64'
    """
    machine = _machine(machine)
    if machine in _KEY_SYSCALLS:
        return ""
    return (f"no seccomp filter: it is written for x86-64 system calls and this machine is "
            f"{machine or 'of an unknown architecture'}")


class SeccompUnsupported(RuntimeError):
    """The seccomp filter does not know this machine's system calls."""


def seccomp_program(machine: str | None = None) -> bytes:
    """A classic BPF seccomp filter: the key-management calls fail with EPERM (as does
    any call of another architecture or the x32 ABI); everything else is allowed.

    Raises
    ------
    SeccompUnsupported
        Not on x86-64 (:func:`seccomp_problem`): a filter for another system call
        table would refuse the wrong calls.
    """
    problem = seccomp_problem(machine)
    if problem:
        raise SeccompUnsupported(problem)
    keys = _KEY_SYSCALLS[_machine(machine)]
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    prog = [(ld, 0, 0, 4),                      # architecture
            (jeq, 0, 6, _AUDIT_ARCH[_machine(machine)]),  # else deny
            (ld, 0, 0, 0),                      # system call number
            (jge, 4, 0, 0x40000000),            # x32 ABI: deny
            (jeq, 3, 0, keys[0]),
            (jeq, 2, 0, keys[1]),
            (jeq, 1, 0, keys[2]),
            (ret, 0, 0, allow),
            (ret, 0, 0, deny)]
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp() -> None:
    """Install :func:`seccomp_program` on this process (needs no_new_privs).

    Raises
    ------
    SeccompUnsupported
        Not on x86-64; callers check :func:`seccomp_problem` first.
    """
    code = seccomp_program()
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    check(_libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(2), ctypes.byref(fprog), 0, 0),
          "seccomp")


def new_session_keyring() -> None:
    """Leave the keyring the grader was started with for a fresh, empty one (best effort;
    on x86-64 only, whose ``keyctl`` number this module knows)."""
    keys = _KEY_SYSCALLS.get(platform.machine())
    if keys:
        _libc.syscall(keys[2], 1, None)  # keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)


# --------------------------------------------------------------------------- namespaces
def loopback_up() -> None:
    """Bring up the loopback of this (new) network namespace."""
    import fcntl

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def own_user_namespace() -> None:
    """A user namespace of this process's own, mapping its user and group to themselves
    (every capability inside it, until :func:`drop_capabilities`)."""
    uid, gid = os.getuid(), os.getgid()
    # A process that is not dumpable (the warm process, and so its forks) has its /proc
    # files owned by the host's root: writing its own maps would then need the grader
    # to be root on the host, which runs never are (sandbox.sandbox_user).
    set_dumpable(True)
    unshare(CLONE_NEWUSER, "user")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def enter_job_namespaces(folder: str, sandbox: str, spool: str,
                         keep_in_tmp: list[str] = ()) -> None:
    """Make this process's own namespaces and file system view for the job folder
    ``folder`` (in the warm process's ``spool``), shown at ``sandbox``.

    ``keep_in_tmp`` are the read-only course paths that live under ``/tmp`` (a
    checkout in ``/tmp``, say): the job's own ``/tmp`` would hide them, so they
    are bound again, read-only, on top of it.
    """
    own_user_namespace()
    unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS,
            "mount, pid, ipc, net, uts")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount(folder, sandbox, None, MS_BIND | MS_REC)
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in keep_in_tmp
            if path.startswith("/tmp/") and os.path.isdir(path)]
    mount(os.path.join(folder, "tmp"), "/tmp", None, MS_BIND | MS_REC)
    for path, fd in kept:
        os.makedirs(path, exist_ok=True)  # a mount point in the job's own tmp
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        # read-only, keeping the flags bubblewrap's mount had (they are locked)
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    mount("none", spool, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0555")
    if os.path.isdir("/dev/shm"):
        mount("none", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=16m")
    socket.sethostname("grader")
    loopback_up()


def nested_namespaces_problem(spool: str) -> str:
    """Whether a child of this process may make its own namespaces and drop its
    capabilities ('' when it may), hiding ``spool`` as a job would."""
    pid = os.fork()
    if pid == 0:
        try:
            os.closerange(3, 65536)
            own_user_namespace()
            unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET, "mount, pid, net")
            mount("none", spool, "tmpfs", 0, "size=64k")
            drop_capabilities()
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return "" if os.waitstatus_to_exitcode(status) == 0 else "nested namespaces refused"


def unveil(plan: dict[str, list[str]]) -> None:
    """In a child about to drop to the run's user: a mount namespace of its own in which
    each barrier folder of ``plan`` is an empty, passable file system showing only the
    paths the runs need (bound from the real ones), so bubblewrap, run as that user, can
    bind them (see ``sandbox._unveil_plan``)."""
    if not plan:
        return
    unshare(CLONE_NEWNS, "mount")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    for top, paths in plan.items():
        fds = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in paths]
        mount("none", top, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
        for path, fd in fds:
            os.makedirs(path, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            os.close(fd)
