"""Helpers shared by the tests: the repository root and short-lived local servers.

Imported as ``from support import ...``: ``pythonpath = ["tests"]`` in
pyproject.toml puts this folder on ``sys.path`` in every import mode
(including ``--import-mode=importlib``, where conftest.py is not a module).
Servers run the interpreter's own executables (``jupyter``, ``voila`` next to
``sys.executable``), never ``make``, so a test never builds a ``.venv``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# CRM_STORY_VARIANT=n makes conftest's shared Harbor Coffee fixtures (and the story
# tests' own loads) use variant n, simulated in memory, instead of the committed files;
# tests/test_simulation.py runs tests/test_stories.py so, to check the stories on
# students' data.
HARBOR_VARIANT = (int(os.environ["CRM_STORY_VARIANT"]) if os.environ.get("CRM_STORY_VARIANT")
                  else None)


def executable(name: str) -> str:
    """The path of a console script installed beside the running interpreter."""
    path = BIN / name
    if not path.exists():
        raise FileNotFoundError(
            f"{name} is not installed beside {sys.executable}; "
            f"install the course with its dev extras (pip install -e '.[dev]')"
        )
    return str(path)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(cmd: list[str], url: str, cwd, env=None, timeout: float = 120) -> subprocess.Popen:
    """Start a server in its own process group and wait until ``url`` answers."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{' '.join(cmd[:2])} exited with {proc.returncode}: {proc.stdout.read()}"
            )
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started by :func:`serve`, with all its children."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
