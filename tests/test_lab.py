"""`make lab` serves JupyterLab with the first lesson open."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(repo):
    port, token = _free_port(), "crm-course-test"
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
            f"--IdentityProvider.token={token}")
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
                            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"make lab exited with {proc.returncode}: {proc.stdout.read()}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 90 s")
        yield base, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_make_lab_serves_the_first_lesson(lab):
    base, token = lab
    # The front page redirects to the first lesson, with the whole course in the file browser.
    page = urllib.request.urlopen(f"{base}/?token={token}", timeout=10)
    assert page.status == 200
    assert page.url.split("?")[0] == f"{base}/lab/tree/notebooks/00_start_here.ipynb"
    assert "JupyterLab" in page.read().decode()
    with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=10) as r:
        names = {c["name"] for c in json.load(r)["content"]}
    assert {"notebooks", "exercises", "datasets"} <= names
    with urllib.request.urlopen(
            f"{base}/api/contents/notebooks/00_start_here.ipynb?token={token}", timeout=10) as r:
        model = json.load(r)
    assert model["type"] == "notebook"
    assert model["content"]["cells"][0]["source"].startswith("# 00 · Start here")
    with urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}", timeout=10) as r:
        assert "python3" in json.load(r)["kernelspecs"]
