"""`make lab` serves JupyterLab on the learner's working copy, first lesson open.

The test runs the Makefile's own ``jupyter lab`` command line (read with
``make -n``) with the running interpreter's ``jupyter``, so it checks what
``make lab`` does without building a ``.venv``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import urllib.request

import pytest
from support import executable, free_port, serve, stop

pytestmark = pytest.mark.slow


def make_lab_commands(repo, extra: str) -> tuple[list[str], list[str]]:
    """The two commands `make lab` runs (working copy, then JupyterLab), with this
    interpreter's python and jupyter."""
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "lab", f"LAB_ARGS={extra}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = out.replace("\\\n", " ")  # recipe lines continued with a backslash
    copy = shlex.split(next(ln for ln in out.splitlines() if "working_copy.py" in ln))
    assert copy[0].endswith("/python"), copy
    line = next(ln for ln in out.splitlines() if "jupyter lab" in ln)
    cmd = shlex.split(line)
    assert cmd[0].endswith("/jupyter") and cmd[1] == "lab", line
    return [sys.executable, *copy[1:]], [executable("jupyter"), *cmd[1:]]


@pytest.fixture
def lab(repo):
    port, token = free_port(), "crm-course-test"
    args = (
        f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
        f"--IdentityProvider.token={token}"
    )
    base = f"http://127.0.0.1:{port}"
    copy, lab_cmd = make_lab_commands(repo, args)
    subprocess.run(copy, cwd=repo, check=True, capture_output=True)
    proc = serve(lab_cmd, f"{base}/api/status?token={token}", repo, timeout=90)
    try:
        yield base, token
    finally:
        stop(proc)


def test_make_lab_serves_the_first_lesson(lab):
    base, token = lab
    # The front page redirects to the learner's copy of the first lesson (my-work/).
    page = urllib.request.urlopen(f"{base}/?token={token}", timeout=10)
    assert page.status == 200
    assert page.url.split("?")[0] == f"{base}/lab/tree/notebooks/00_start_here.ipynb"
    assert "JupyterLab" in page.read().decode()
    with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=10) as r:
        names = {c["name"] for c in json.load(r)["content"]}
    assert {"notebooks", "README.md"} <= names
    with urllib.request.urlopen(
        f"{base}/api/contents/notebooks/00_start_here.ipynb?token={token}", timeout=10
    ) as r:
        model = json.load(r)
    assert model["type"] == "notebook"
    assert model["content"]["cells"][0]["source"].startswith("# 00 · Start here")
    with urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}", timeout=10) as r:
        assert "python3" in json.load(r)["kernelspecs"]
