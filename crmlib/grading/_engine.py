"""Every use of papermill's, nbclient's and jupyter_client's internals, in one module.

The runner (:mod:`crmlib.grading._runner`) executes a notebook through
papermill with three changes papermill has no setting for, and, in a warm
sandbox, a kernel jupyter_client did not start:

- :class:`CappedClient` (papermill's nbclient client) keeps cell output only
  up to a cap (nbclient's ``NotebookClient.output``);
- :class:`ThrottledManager` (papermill's ``NotebookExecutionManager``) saves
  the executed copy every few seconds instead of twice per cell;
- :class:`GraderEngine` (papermill's ``NBClientEngine``) puts the two
  together, lets every cell run after an error, and kills the kernel as soon
  as the last cell ends;
- :func:`start_forked_kernel` forks the kernel from the warm process and has
  a jupyter_client kernel manager adopt it (overriding the private
  ``AsyncKernelManager._async_pre_start_kernel`` and a ``LocalProvisioner``'s
  launch).

Those are the libraries' internals, which a new release may change without
notice. :data:`INTERNALS` lists each one this module relies on, and
:func:`internals_problems` checks them against the installed versions
(``tests/test_grading_unit.py`` runs it, and so does the grader's sandbox
probe before the first submission): a release that drops or changes one fails
loudly, naming the package, its version and what changed, instead of grading
a class wrongly. No other module of crmlib imports papermill, nbclient or
jupyter_client.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from importlib import import_module, metadata

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

ENGINE = "crm-grader"
SAVE_EVERY = 5.0             # seconds between two saves of the executed copy during a run

# What the one run of this process needs from the engine (set by :func:`execute`).
_RUN: dict = {"max_output": 1_000_000, "km": None, "on_cell_start": None,
              "on_cell_executed": None, "client": None}


# --------------------------------------------------------------------------- papermill
class CappedClient(PapermillNotebookClient):
    """papermill's notebook client, storing outputs only up to ``max_output`` characters."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output = _RUN["max_output"]
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
        client = CappedClient(nb_man, km=_RUN["km"], timeout=execution_timeout,
                              startup_timeout=start_timeout,
                              kernel_name=kernel_name, log=papermill.log.logger,
                              log_output=False, allow_errors=True, record_timing=False,
                              store_widget_state=False, on_cell_start=_RUN["on_cell_start"],
                              on_cell_executed=_RUN["on_cell_executed"],
                              shutdown_kernel="immediate")
        _RUN["client"] = client
        return client.execute()


papermill_engines.register(ENGINE, GraderEngine)


@dataclass
class Execution:
    """How a notebook's execution ended.

    ``status`` is ``ok`` (every cell ran; some may have raised), ``timeout`` (a cell
    passed its limit), ``crashed`` (the kernel died) or ``runner-error`` (the kernel
    did not start, a message was malformed ...); ``nb`` is the executed notebook as far
    as it got (None when no client was made); ``truncated``: outputs were dropped.
    """

    status: str
    message: str
    nb: object | None
    truncated: bool


def execute(notebook: str, output: str, *, cell_timeout: float, startup_timeout: float,
            max_output: int, km=None, on_cell_start=None, on_cell_executed=None,
            cwd: str | None = None) -> Execution:
    """Execute the notebook at ``notebook`` with papermill through :class:`GraderEngine`,
    saving the executed copy at ``output``; never raises for what the notebook does.

    ``km`` is a kernel manager whose kernel is already running (from
    :func:`start_forked_kernel`), or None to start a kernel as papermill does;
    ``on_cell_start`` and ``on_cell_executed`` are nbclient's hooks (called with
    keywords).
    """
    _RUN.update(max_output=int(max_output), km=km, on_cell_start=on_cell_start,
                on_cell_executed=on_cell_executed, client=None)
    status, message = "ok", ""
    try:
        papermill.execute_notebook(
            notebook, output, engine_name=ENGINE, kernel_name="python3",
            execution_timeout=cell_timeout, start_timeout=startup_timeout,
            cwd=cwd or os.getcwd(), progress_bar=False, log_output=False,
            request_save_on_cell_execute=True)
    except PapermillExecutionError:
        pass  # a cell raised: the grader reads the error from the executed copy
    except CellTimeoutError as err:  # papermill leaves no mark in the notebook for this
        status, message = "timeout", str(err).splitlines()[0][:300]
    except DeadKernelError as err:
        status, message = "crashed", str(err)[:300]
    except Exception as err:  # the kernel failed to start, a message was malformed ...
        status, message = "runner-error", f"{type(err).__name__}: {err}"[:300]
    client = _RUN["client"]
    return Execution(status, message, client.nb if client is not None else None,
                     bool(client is not None and client.truncated))


# --------------------------------------------------------------------------- jupyter_client
class _Forked:
    """The part of :class:`subprocess.Popen` jupyter_client's ``LocalProvisioner`` uses,
    for a forked kernel (:func:`internals_problems` checks it is still all it uses)."""

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
        from crmlib.grading.seal import apply_seal

        apply_seal()  # a challenge workbook's kernel: the simulation out of reach
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


def start_forked_kernel(runtime_dir: str):
    """Fork a kernel from this warm process (before any event loop or socket exists in
    it) and return a jupyter_client kernel manager that adopts it, for :func:`execute`."""
    from jupyter_client.connect import write_connection_file

    os.makedirs(runtime_dir, exist_ok=True)
    connection_file, _ = write_connection_file(
        os.path.join(runtime_dir, "kernel.json"), ip="127.0.0.1",
        key=os.urandom(16).hex().encode())
    return _adopting_manager(connection_file, _fork_kernel(connection_file))


# --------------------------------------------------------------------------- the check
ANY_KEYWORD = "**"


@dataclass(frozen=True)
class Internal:
    """One thing of a library this module overrides, calls or sets.

    ``target`` is ``module:Name`` (a class, or a module-level function or object) and
    ``attribute`` the method or attribute of it (``""``: the target itself).
    ``parameters`` are the leading parameter names a method must have, in order
    (``"**"``: it must take any keyword, as an override passes its own on);
    ``keywords`` the names it must accept, in any order. ``why`` says what here
    relies on it.
    """

    package: str
    target: str
    attribute: str = ""
    parameters: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    why: str = ""


_MANAGER = "jupyter_client.manager:AsyncKernelManager"
_PROVISIONER = "jupyter_client.provisioning.local_provisioner:LocalProvisioner"
_EXECUTION = "papermill.engines:NotebookExecutionManager"

INTERNALS: tuple[Internal, ...] = (
    # papermill's client, manager and engine, subclassed above
    Internal("nbclient", "nbclient.client:NotebookClient", "output",
             ("self", "outs", "msg", "display_id", "cell_index"),
             why="CappedClient.output overrides it and passes those on"),
    Internal("papermill", "papermill.clientwrap:PapermillNotebookClient", "__init__",
             ("self", "nb_man", ANY_KEYWORD), ("km",),
             why="CappedClient(nb_man, km=..., settings) is made through it"),
    Internal("papermill", "papermill.clientwrap:PapermillNotebookClient", "execute",
             ("self",), why="GraderEngine runs the client"),
    Internal("papermill", _EXECUTION, "__init__", ("self", "nb"),
             ("output_path", "log_output", "progress_bar", "autosave_cell_every"),
             why="ThrottledManager is made as papermill makes it"),
    Internal("papermill", _EXECUTION, "save", ("self", ANY_KEYWORD),
             why="ThrottledManager.save overrides it"),
    Internal("papermill", _EXECUTION, "notebook_complete", ("self", ANY_KEYWORD),
             why="ThrottledManager.notebook_complete overrides it"),
    Internal("papermill", _EXECUTION, "notebook_start", ("self",),
             why="GraderEngine.execute_notebook calls it"),
    Internal("papermill", _EXECUTION, "cleanup_pbar", ("self",),
             why="GraderEngine.execute_notebook calls it"),
    Internal("papermill", _EXECUTION, "now", ("self",),
             why="ThrottledManager.save times the saves with it"),
    Internal("papermill", "papermill.engines:NBClientEngine", "execute_notebook",
             ("nb", "kernel_name", ANY_KEYWORD),
             ("output_path", "progress_bar", "log_output", "autosave_cell_every"),
             why="GraderEngine.execute_notebook overrides it"),
    Internal("papermill", "papermill.engines:NBClientEngine", "execute_managed_notebook",
             ("nb_man", "kernel_name", ANY_KEYWORD),
             ("log_output", "stdout_file", "stderr_file", "start_timeout", "execution_timeout"),
             why="GraderEngine.execute_managed_notebook overrides it"),
    Internal("papermill", "papermill.engines:papermill_engines", "register",
             ("name", "engine"), why="the engine is registered by name"),
    Internal("papermill", "papermill:execute_notebook", "",
             ("input_path", "output_path", ANY_KEYWORD),
             ("engine_name", "kernel_name", "start_timeout", "cwd", "progress_bar",
              "log_output", "request_save_on_cell_execute", "execution_timeout"),
             why="execute passes these by name"),
    # the kernel manager that adopts a forked kernel
    Internal("jupyter_client", _MANAGER, "_async_pre_start_kernel", ("self", ANY_KEYWORD),
             why="AdoptingManager overrides this private method"),
    Internal("jupyter_client", _MANAGER, "shutting_down", why="AdoptingManager sets it"),
    Internal("jupyter_client", _MANAGER, "kernel_id", why="AdoptingManager sets it"),
    Internal("jupyter_client", _MANAGER, "_launch_args",
             why="AdoptingManager sets this private attribute"),
    Internal("jupyter_client", _MANAGER, "provisioner", why="AdoptingManager sets it"),
    Internal("jupyter_client", _MANAGER, "get_connection_info", ("self",),
             why="Adopted.launch_kernel calls it"),
    Internal("jupyter_client", _MANAGER, "load_connection_file", ("self",),
             why="the adopted kernel's ports and key come from its file"),
    Internal("jupyter_client", _PROVISIONER, "__init__", ("self", ANY_KEYWORD),
             ("kernel_id", "kernel_spec", "parent"), why="Adopted is made with these"),
    Internal("jupyter_client", _PROVISIONER, "pre_launch", ("self", ANY_KEYWORD),
             why="Adopted.pre_launch overrides it"),
    Internal("jupyter_client", _PROVISIONER, "launch_kernel", ("self", "cmd", ANY_KEYWORD),
             why="Adopted.launch_kernel overrides it"),
    Internal("jupyter_client", _PROVISIONER, "process",
             why="Adopted.launch_kernel sets it to a _Forked"),
    Internal("jupyter_client", _PROVISIONER, "pgid", why="Adopted.launch_kernel sets it"),
    Internal("jupyter_client", _PROVISIONER, "connection_info",
             why="Adopted.launch_kernel sets it"),
    Internal("jupyter_client", "jupyter_client.connect:write_connection_file", "",
             ("fname",), ("ip", "key"), why="start_forked_kernel passes ip and key by name"),
)

# nbclient's settings (traits) CappedClient is made with.
CLIENT_TRAITS = ("timeout", "startup_timeout", "kernel_name", "log", "log_output",
                 "allow_errors", "record_timing", "store_widget_state", "on_cell_start",
                 "on_cell_executed", "shutdown_kernel")

# Calls that make the overrides count: the library's own code must still go through them.
# (package, "module:Qualname" of the caller, what its source must call)
CALLS = (
    ("jupyter_client", f"{_MANAGER}._async_start_kernel", "_async_pre_start_kernel"),
    ("jupyter_client", f"{_MANAGER}._async_launch_kernel", "launch_kernel"),
    ("nbclient", "nbclient.client:NotebookClient.process_message", "self.output("),
    ("papermill", "papermill.execute:execute_notebook", "execute_notebook_with_engine"),
    ("papermill", "papermill.engines:PapermillEngines.execute_notebook_with_engine",
     ".execute_notebook("),
)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def _resolve(target: str):
    module, _, name = target.partition(":")
    obj = import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _signature_problem(func, item: Internal) -> str:
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return "its signature cannot be read"
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    any_keyword = any(p.kind == p.VAR_KEYWORD for p in params)
    leading = [n for n in item.parameters if n != ANY_KEYWORD]
    if names[:len(leading)] != leading:
        return f"its parameters are ({', '.join(names)}), not ({', '.join(leading)}, ...)"
    if ANY_KEYWORD in item.parameters and not any_keyword:
        return "it no longer takes **kwargs"
    missing = [k for k in item.keywords if k not in names and not any_keyword]
    if missing:
        return f"it no longer takes {', '.join(missing)}"
    return ""


def internals_problems() -> list[str]:
    """What the installed papermill, nbclient and jupyter_client no longer have of what
    this module overrides, calls or sets (empty when all is there): one line each,
    naming the package, its version and the change.

    Examples
    --------
    >>> internals_problems()
    []
    """
    problems = []

    def say(package: str, text: str) -> None:
        problems.append(f"{package} {_version(package)}: {text}; crmlib/grading/_engine.py "
                        f"relies on it (install the {package} version constraints.txt pins, "
                        "or adapt _engine.py)")

    for item in INTERNALS:
        what = f"{item.target}.{item.attribute}" if item.attribute else item.target
        try:
            owner = _resolve(item.target)
            found = getattr(owner, item.attribute) if item.attribute else owner
        except (ImportError, AttributeError):
            say(item.package, f"{what} is gone ({item.why})")
            continue
        if item.parameters or item.keywords:
            problem = _signature_problem(found, item)
            if problem:
                say(item.package, f"{what}: {problem} ({item.why})")
    traits = PapermillNotebookClient.class_traits()
    for name in CLIENT_TRAITS:
        if name not in traits:
            say("nbclient", f"NotebookClient has no setting {name!r} (CappedClient is made "
                            "with it)")
    if "immediate" not in (getattr(traits.get("shutdown_kernel"), "values", None) or ()):
        say("nbclient", "NotebookClient's shutdown_kernel has no 'immediate' (the kernel "
                        "must end when the last cell does)")
    manager = NotebookExecutionManager(nbformat.v4.new_notebook(), progress_bar=False)
    for name in ("nb", "last_save_time"):
        if not hasattr(manager, name):
            say("papermill", f"NotebookExecutionManager objects have no {name!r} "
                             "(ThrottledManager reads it)")
    for package, caller, call in CALLS:
        try:
            source = inspect.getsource(_resolve(caller))
        except (ImportError, AttributeError, OSError, TypeError):
            say(package, f"{caller} is gone, or its source cannot be read")
            continue
        if call not in source:
            say(package, f"{caller} no longer calls {call.strip('.(')} (what overrides it "
                         "here would be skipped)")
    try:
        source = inspect.getsource(_resolve(_PROVISIONER))
    except (ImportError, AttributeError, OSError, TypeError):
        source = ""
    forked = _Forked(-1)
    used = set(re.findall(r"self\.process\.(\w+)", source)) - {"win32_interrupt_event"}
    missing = sorted(name for name in used if not hasattr(forked, name))
    if missing:
        say("jupyter_client", f"LocalProvisioner now uses {', '.join(missing)} of its "
                              "process, which the adopted kernel's _Forked does not have")
    return problems


class IncompatibleLibraries(RuntimeError):
    """An installed papermill, nbclient or jupyter_client lacks what the grader relies on."""


def require_compatible() -> None:
    """Raise :class:`IncompatibleLibraries` (every problem, separated by `` | ``) when
    :func:`internals_problems` finds any."""
    problems = internals_problems()
    if problems:
        raise IncompatibleLibraries("the grader cannot run notebooks with the installed "
                                    "libraries: " + " | ".join(problems))
