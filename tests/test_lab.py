"""`make lab` serves JupyterLab on the learner's working copy, first lesson open."""

from __future__ import annotations

import json
import urllib.request

import pytest
from conftest import free_port, serve, stop


@pytest.fixture
def lab(repo):
    port, token = free_port(), "crm-course-test"
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
            f"--IdentityProvider.token={token}")
    base = f"http://127.0.0.1:{port}"
    proc = serve(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
                 f"{base}/api/status?token={token}", repo, timeout=90)
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
            f"{base}/api/contents/notebooks/00_start_here.ipynb?token={token}", timeout=10) as r:
        model = json.load(r)
    assert model["type"] == "notebook"
    assert model["content"]["cells"][0]["source"].startswith("# 00 · Start here")
    with urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}", timeout=10) as r:
        assert "python3" in json.load(r)["kernelspecs"]
