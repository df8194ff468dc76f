"""`crm lab` (what `make lab` runs) serves JupyterLab on the learner's working copy,
first lesson open, with nothing but Python: the way in on Windows and macOS too.

The test runs ``crm lab`` with this interpreter (``python -m crmlib.cli lab``) on a
working copy in a temporary folder, so it checks what ``make lab`` does without
building a ``.venv`` or writing ``my-work/`` in the checkout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest
from support import free_port, serve, stop

pytestmark = pytest.mark.slow


@pytest.fixture
def lab(repo, tmp_path):
    # make lab runs crm lab, handing LAB_ARGS to JupyterLab after --
    out = subprocess.run(["make", "-n", "--no-print-directory", "lab", "LAB_ARGS=--x"],
                         cwd=repo, capture_output=True, text=True, check=True).stdout
    (make_lab,) = [line.split() for line in out.splitlines() if " lab " in line]
    assert make_lab[0].endswith("/crm") and make_lab[1:] == ["lab", "--", "--x"], make_lab
    port, token = free_port(), "crm-course-test"
    work = tmp_path / "my-work"
    cmd = [sys.executable, "-m", "crmlib.cli", "lab", "--work", str(work), "--no-browser",
           "--ip", "127.0.0.1", "--port", str(port), "--", f"--IdentityProvider.token={token}"]
    base = f"http://127.0.0.1:{port}"
    proc = serve(cmd, f"{base}/api/status?token={token}", tmp_path, timeout=90)
    try:
        yield base, token, work
    finally:
        stop(proc)


def test_crm_lab_serves_the_first_lesson_of_the_working_copy(lab, repo):
    base, token, work = lab
    lessons = sorted(p.name for p in (repo / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (work / "notebooks").glob("*.ipynb")) == lessons
    # The front page redirects to the learner's copy of the first lesson.
    page = urllib.request.urlopen(f"{base}/?token={token}", timeout=10)
    assert page.status == 200
    assert page.url.split("?")[0] == f"{base}/lab/tree/notebooks/00_start_here.ipynb"
    assert "JupyterLab" in page.read().decode()
    with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=10) as r:
        names = {c["name"] for c in json.load(r)["content"]}
    assert {"notebooks", "exercises", "README.md"} <= names  # the working copy, not the course
    assert "crmlib" not in names
    with urllib.request.urlopen(
        f"{base}/api/contents/notebooks/00_start_here.ipynb?token={token}", timeout=10
    ) as r:
        model = json.load(r)
    assert model["type"] == "notebook"
    assert model["content"]["cells"][0]["source"].startswith("# 00 · Start here")
    with urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}", timeout=10) as r:
        assert "python3" in json.load(r)["kernelspecs"]
