"""The papermill batch grader behind ``crm grade``.

- :mod:`crmlib.grading.notebooks`: exercises from solutions, reading
  submissions, injecting parameters.
- :mod:`crmlib.grading.sandbox`: running one submission under bubblewrap and
  resource limits, cold (a fresh sandbox) or as a fork of a warm sandbox
  (:class:`~crmlib.grading.sandbox.WarmPool`, with the warm process in
  :mod:`crmlib.grading._zygote` and the runner in :mod:`crmlib.grading._runner`).
- :mod:`crmlib.grading.core`: grading one submission (run, then score in the
  grader's process).
- :mod:`crmlib.grading.batch`: a class's submissions, the gradebook, resume,
  reports, local or Dask execution.
- :mod:`crmlib.grading.variants`: handing the student's simulated data variant
  to the kernel, so it is simulated once (read by :func:`crmlib.data.load_harbor`).
- :mod:`crmlib.grading._linux`: every system call of the sandbox, below both
  ``sandbox`` and ``_zygote`` (Linux only); :mod:`crmlib.grading._engine`: every
  use of papermill's, nbclient's and jupyter_client's internals, checked against
  the installed versions.

Dask's ``distributed`` (``--scheduler``) is the grader's optional extra:
``pip install "crmlib[grader]"``.

Submodules are imported on use: the sandboxed runner imports only what it needs.
"""

from crmlib.errors import CourseError


class NeedsLinux(CourseError, ValueError):
    """The grader was started on a system other than Linux (the message says what to do)."""


def require_linux() -> None:
    """Refuse, with a plain message, to grade anywhere but on Linux.

    The sandbox is made of Linux namespaces, bubblewrap and Linux's resource limits;
    checked before anything of the grader is imported (on Windows, ``resource`` does
    not exist; on macOS, ``/proc`` does not).

    Raises
    ------
    ValueError
        On any other system, naming it and what to do instead.
    """
    import sys

    if not sys.platform.startswith("linux"):
        system = {"darwin": "macOS", "win32": "Windows", "cygwin": "Windows (Cygwin)"}.get(
            sys.platform, sys.platform)
        raise NeedsLinux(
            f"crm grade needs Linux, and this is {system}: its sandbox is made of Linux "
            "namespaces (bubblewrap) and Linux resource limits. Grade on a Linux machine, "
            "in a Linux virtual machine, in a Linux container (Docker or Podman) or, on "
            "Windows, in WSL 2. The rest of the course (lessons, quizzes, workbooks in "
            "practice mode) works here.")
