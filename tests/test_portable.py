"""The student's path works on Windows and macOS: nothing POSIX-only in it.

Everything a lesson, a workbook (its practice-mode key included) or a student's ``crm``
command imports from crmlib is imported in a fresh interpreter in which an import of a
module Windows lacks (``resource``, ``fcntl``, ``pwd``, ``grp``, ``termios``, ...) fails
when crmlib or a key asks for it, whoever imported it before; and crmlib's own source
(the grader aside, which is Linux-only and says so) is read for those imports and for
the ``os`` and ``signal`` names Windows does not have, unless it asks first
(``hasattr``/``getattr``). Reading ``/proc`` is not an import: no crmlib module outside
the grader names it (checked too).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

# Standard modules that exist on POSIX only.
POSIX_ONLY = ("resource", "fcntl", "pwd", "grp", "termios", "tty", "pty", "posix", "syslog",
              "crypt", "spwd", "nis", "readline", "_posixsubprocess")
# os and signal names that Windows' Python 3.11 lacks (os.fchmod arrived there in 3.13).
WINDOWS_LACKS = {
    "os": {"fchmod", "fchown", "chown", "lchown", "lchmod", "geteuid", "getuid", "getgid",
           "getegid", "getgroups", "setuid", "setgid", "seteuid", "setegid", "fork",
           "forkpty", "killpg", "setsid", "setpgid", "getpgid", "getpgrp", "getsid",
           "sysconf", "fpathconf", "pathconf", "statvfs", "fstatvfs", "nice", "getloadavg",
           "sched_getaffinity", "sched_setaffinity", "mkfifo", "mknod", "wait", "wait3",
           "wait4", "waitid", "WNOHANG", "O_NOFOLLOW", "O_CLOEXEC", "uname", "sync",
           "openpty", "lockf", "getpriority", "setpriority", "posix_fadvise", "pipe2",
           "prlimit", "memfd_create", "sendfile", "pread", "pwrite"},
    "signal": {"SIGKILL", "SIGHUP", "SIGQUIT", "SIGALRM", "SIGUSR1", "SIGUSR2", "SIGCHLD",
               "SIGPIPE", "SIGTSTP", "SIGCONT", "SIGSTOP", "SIGXCPU", "alarm", "setitimer",
               "getitimer", "pthread_kill", "pthread_sigmask", "sigwait", "siginterrupt",
               "sigpending"},
}
STUDENT_COMMANDS = (["lab"], ["quiz", "01"], ["cards", "01"], ["review"], ["stats"],
                    ["anki"])


def _code(text: str) -> ast.Module:
    """Python source, with IPython's ``%magic`` and ``!shell`` lines left out."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def _crmlib_imports(tree: ast.AST) -> set[str]:
    """The crmlib modules a piece of code imports (``from crmlib import data`` is
    ``crmlib.data``), at any depth (function-level imports too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "crmlib"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] == "crmlib":
            found.add(node.module)
            for alias in node.names:
                sub = REPO / Path(*node.module.split("."), alias.name)
                if sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file():
                    found.add(f"{node.module}.{alias.name}")
    return found


def _notebook_code(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _keys() -> list[str]:
    return sorted(p.name.removesuffix("_key.py") for p in (REPO / "solutions").glob("*_key.py"))


def student_modules() -> list[str]:
    """What the student's path imports from crmlib: the lessons, the workbooks, their
    practice keys, and what the student's ``crm`` commands import (the grader is not a
    student's)."""
    found = set()
    for folder in ("notebooks", "exercises"):
        for path in sorted((REPO / folder).glob("*.ipynb")):
            found |= _crmlib_imports(_code(_notebook_code(path)))
    for key in (REPO / "solutions").glob("*_key.py"):
        found |= _crmlib_imports(ast.parse(key.read_text(encoding="utf-8")))
    from crmlib import cli
    cli_source = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    functions = {f.name: f for f in ast.walk(cli_source) if isinstance(f, ast.FunctionDef)}
    parser = cli.build_parser()
    for argv in STUDENT_COMMANDS:
        func = functions[parser.parse_args(argv).func.__name__]
        found |= _crmlib_imports(func)
        called = {n.func.id for n in ast.walk(func) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name) and n.func.id in functions}
        for name in called:  # one level of helpers (_progress, _validate)
            found |= _crmlib_imports(functions[name])
    return sorted(m for m in found if not m.startswith("crmlib.grading"))


# Run in a fresh interpreter: an import hook that refuses POSIX-only modules to crmlib and
# the keys, even when something else imported them first, then every student module and
# every practice key.
PROBE = r"""
import builtins, json, sys
BLOCKED = set(json.loads(sys.argv[1]))
modules, keys = json.loads(sys.argv[2]), json.loads(sys.argv[3])
real_import = builtins.__import__
def guarded(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__", "") or ""
    if level == 0 and name.split(".")[0] in BLOCKED and importer.startswith(
            ("crmlib", "crm_key_")):
        raise ImportError(f"{importer} imports {name}, which Windows does not have")
    return real_import(name, globals, locals, fromlist, level)
builtins.__import__ = guarded
import importlib
problems = []
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as err:
        problems.append(f"{name}: {type(err).__name__}: {err}")
from crmlib import exercises
for key in keys:
    try:
        exercises.load_key(key)
    except Exception as err:
        problems.append(f"key {key}: {type(err).__name__}: {err}")
loaded = sorted(m for m in sys.modules if m.startswith("crmlib"))
print(json.dumps({"problems": problems, "loaded": loaded}))
"""


def test_the_student_modules_are_found():
    """The list the next test imports is what the lessons and workbooks use."""
    modules = student_modules()
    for expected in ("crmlib.data", "crmlib.exercises", "crmlib.quiz", "crmlib.clv",
                     "crmlib.lab", "crmlib.quiz.terminal"):
        assert expected in modules, expected
    assert not [m for m in modules if m.startswith("crmlib.grading")]


@pytest.mark.slow  # imports every lesson module in a fresh interpreter (about 10 s)
def test_the_students_path_imports_nothing_posix_only(tmp_path):
    modules = student_modules()
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(POSIX_ONLY), json.dumps(modules),
         json.dumps(_keys())],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["problems"] == []
    assert set(modules) <= set(result["loaded"])
    assert "crmlib.grading._linux" not in result["loaded"], "the student's path reached " \
        "the grader's Linux-only layer"


@pytest.mark.slow  # a fresh interpreter
def test_the_import_probe_can_fail(tmp_path):
    """A crmlib module that imports fcntl after something else did is still caught."""
    (tmp_path / "crmlib_probe_sample.py").write_text("import fcntl\n")
    out = subprocess.run(
        [sys.executable, "-c", "import fcntl\n" + PROBE, json.dumps(POSIX_ONLY),
         json.dumps(["crmlib_probe_sample"]), "[]"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"})
    assert out.returncode == 0, out.stderr[-3000:]
    (problem,) = json.loads(out.stdout.strip().splitlines()[-1])["problems"]
    assert "crmlib_probe_sample imports fcntl, which Windows does not have" in problem


def _non_grader_sources() -> list[Path]:
    sources = [p for p in sorted((REPO / "crmlib").rglob("*.py"))
               if "grading" not in p.relative_to(REPO / "crmlib").parts]
    return sources + sorted((REPO / "solutions").glob("*_key.py"))


def _text_without_encoding(call: ast.Call) -> bool:
    """A text file opened without ``encoding=``: Windows' Python 3.11 would read and
    write it in the locale's code page (cp1252), not UTF-8."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    keywords = {k.arg for k in call.keywords}
    if "encoding" in keywords or name not in ("open", "read_text", "write_text", "fdopen"):
        return False
    if name in ("read_text", "write_text"):
        return True
    if name == "open" and not isinstance(func, ast.Name):
        return False  # tarfile.open, Image.open, ...: not a text file
    mode = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "mode"), None)
    return not (isinstance(mode, ast.Constant) and "b" in str(mode.value))


def _posix_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    asked = {(n.args[0].id, n.args[1].value) for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in ("hasattr", "getattr") and len(n.args) >= 2
             and isinstance(n.args[0], ast.Name) and isinstance(n.args[1], ast.Constant)}
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            uses += [f"line {node.lineno}: import {a.name}" for a in node.names
                     if a.name.split(".")[0] in POSIX_ONLY]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] in POSIX_ONLY:
                uses.append(f"line {node.lineno}: from {node.module} import ...")
            if node.module in WINDOWS_LACKS:
                uses += [f"line {node.lineno}: from {node.module} import {a.name}"
                         for a in node.names if a.name in WINDOWS_LACKS[node.module]]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module, name = node.value.id, node.attr
            if name in WINDOWS_LACKS.get(module, ()) and (module, name) not in asked:
                uses.append(f"line {node.lineno}: {module}.{name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                node.value.startswith("/proc/"):
            uses.append(f"line {node.lineno}: reads {node.value}")
        elif isinstance(node, ast.Call) and _text_without_encoding(node):
            uses.append(f"line {node.lineno}: {ast.unparse(node.func)} without an encoding")
    return sorted(uses, key=lambda use: int(use.split(":")[0].removeprefix("line ")))


@pytest.mark.parametrize("path", _non_grader_sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_posix_only_call_outside_the_grader(path):
    """crmlib outside crmlib/grading, and the keys, use nothing Windows lacks, or ask for
    it first (``hasattr(os, "fchmod")``), and name the encoding of every text file."""
    assert _posix_uses(path) == []


def test_atomic_writes_without_fchmod(monkeypatch, tmp_path):
    """Windows' Python before 3.13 has no os.fchmod: the quiz's progress file and the
    workbook's answers are still written, with the mode Windows can keep."""
    from crmlib import atomic

    monkeypatch.delattr(atomic.os, "fchmod")
    atomic.write_atomic(tmp_path / "progress.json", '{"ok": true}')
    assert (tmp_path / "progress.json").read_text(encoding="utf-8") == '{"ok": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]  # no temporary left


def test_the_scan_finds_what_windows_lacks(tmp_path):
    """The source scan can fail: each kind of POSIX-only use is found, a guarded one is not."""
    sample = tmp_path / "sample.py"
    sample.write_text("import os, signal\nimport fcntl\nfrom resource import setrlimit\n"
                      "os.fchmod(3, 0o600)\nos.kill(1, signal.SIGKILL)\n"
                      "open('/proc/self/status')\n"
                      "if hasattr(os, 'geteuid'):\n    os.geteuid()\n"
                      "open('a.csv', 'rb')\nopen('a.txt')\nPath('b').read_text()\n"
                      "open('a.txt', 'w', encoding='utf-8')\n")
    uses = _posix_uses(sample)
    assert uses == ["line 2: import fcntl", "line 3: from resource import ...",
                    "line 4: os.fchmod", "line 5: signal.SIGKILL",
                    "line 6: open without an encoding", "line 6: reads /proc/self/status",
                    "line 10: open without an encoding",
                    "line 11: Path('b').read_text without an encoding"], uses
