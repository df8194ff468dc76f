"""``crm lab``: the learner's working copy and JupyterLab on it, on any laptop.

What ``make lab`` does, in Python alone, so that Windows and macOS need neither
``make`` nor a POSIX shell (``make lab`` calls ``crm lab``):

1. :func:`ensure_working_copy` copies every committed lesson (``notebooks/*.ipynb``)
   and workbook (``exercises/*.ipynb``) into the working copy (``my-work/`` in the
   course folder, git-ignored) when it has no copy of it yet. An existing copy is
   never overwritten, so a learner's notes and answers survive ``git pull``; a lesson
   added upstream is copied on the next run; to start a lesson afresh, delete your copy
   and run it again. JupyterLab's autosave then only ever writes inside the working
   copy, and ``git status`` stays clean.
2. :func:`lab_command` is JupyterLab on the working copy, first lesson open, run with
   the same Python (``python -m jupyterlab``: no ``bin/`` or ``Scripts\\`` path).

Examples
--------
>>> cmd = lab_command(Path("my-work"), port=8899, browser=False, as_root=False)
>>> cmd[1:3], "--port=8899" in cmd, "--no-browser" in cmd, "--allow-root" in cmd
(['-m', 'jupyterlab'], True, True, False)
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from crmlib.atomic import PUBLIC, write_atomic
from crmlib.errors import CourseError

FOLDERS = ("notebooks", "exercises")
WORK = "my-work"
README = """# Your working copy of the course

`crm lab` (or `make lab`) copied the course's lessons and workbooks here the first
time you ran it. Write in these copies as much as you like: they are yours, git
ignores this folder, and `crm lab` never overwrites them. When the course gains a
new lesson, the next `crm lab` adds it here. To start a lesson afresh, delete your
copy and run `crm lab` again. The originals stay untouched in `notebooks/` and
`exercises/`.
"""


class LabError(CourseError, ValueError):
    """No course folder to open (the message says where it looked and what to do)."""


def _is_course(folder: Path) -> bool:
    return (folder / "notebooks").is_dir() and any((folder / "notebooks").glob("*.ipynb"))


def course_dir(course: str | os.PathLike | None = None) -> Path:
    """The course folder (the one holding ``notebooks/``): ``course`` when given, else
    the checkout this ``crmlib`` was installed from (``pip install -e .``, conda's
    environment.yml), else the current folder.

    Raises
    ------
    LabError
        None of them holds the lessons.
    """
    if course is not None:
        candidates = [Path(course)]
    else:
        candidates = [Path(__file__).resolve().parent.parent, Path.cwd()]
    for folder in candidates:
        if _is_course(folder):
            return folder.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise LabError(f"no course here: none of {looked} has notebooks/*.ipynb. Run crm lab in "
                   "the course's folder (the one with notebooks/ and exercises/), or name it "
                   "with --course")


def ensure_working_copy(course: str | os.PathLike, dest: str | os.PathLike | None = None
                        ) -> list[Path]:
    """Copy the notebooks that ``dest`` (default ``course/my-work``) does not have yet;
    returns the new copies."""
    course = Path(course)
    dest = Path(dest) if dest is not None else course / WORK
    added = []
    for folder in FOLDERS:
        for src in sorted((course / folder).glob("*.ipynb")):
            target = dest / folder / src.name
            if target.exists():
                continue
            write_atomic(target, src.read_bytes(), PUBLIC)  # never a half-copied notebook
            added.append(target)
    readme = dest / "README.md"
    if not readme.exists():
        write_atomic(readme, README.encode("utf-8"), PUBLIC)
    return added


def first_lesson(work: Path) -> str:
    """The first lesson's path inside the working copy, as JupyterLab names it."""
    lessons = sorted((Path(work) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return f"notebooks/{lessons[0].name}" if lessons else ""


def running_as_root() -> bool:
    """True for root on a POSIX system; Windows has no ``os.geteuid`` and no root."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_command(work: Path, *, port: int | None = None, ip: str | None = None,
                browser: bool = True, as_root: bool | None = None,
                extra: Sequence[str] = ()) -> list[str]:
    """JupyterLab's command line on the working copy ``work``, its first lesson open.

    ``--allow-root`` only for root on POSIX (JupyterLab refuses root without it);
    ``extra`` goes to JupyterLab as it is.
    """
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(work)}"]
    lesson = first_lesson(work)
    if lesson:
        cmd.append(f"--LabApp.default_url=/lab/tree/{lesson}")
    if as_root if as_root is not None else running_as_root():
        cmd.append("--allow-root")
    if port is not None:
        cmd += [f"--port={port}", "--ServerApp.port_retries=0"]
    if ip is not None:
        cmd.append(f"--ip={ip}")
    if not browser:
        cmd.append("--no-browser")
    return cmd + list(extra)


def run(course: str | os.PathLike | None = None, work: str | os.PathLike | None = None, *,
        port: int | None = None, ip: str | None = None, browser: bool = True,
        extra: Sequence[str] = ()) -> int:
    """Make (or top up) the working copy and run JupyterLab on it until it stops;
    returns JupyterLab's exit status."""
    folder = course_dir(course)
    work = Path(work) if work is not None else folder / WORK
    added = ensure_working_copy(folder, work)
    print(f"your working copy: {work} ({len(added)} new notebook(s); existing copies left "
          "as they are)", flush=True)
    cmd = lab_command(work, port=port, ip=ip, browser=browser, extra=extra)
    proc = subprocess.Popen(cmd, cwd=folder)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            # the terminal's Ctrl-C reaches JupyterLab too, which asks whether to shut
            # down and stops its kernels: wait for it rather than leave them behind
            continue
