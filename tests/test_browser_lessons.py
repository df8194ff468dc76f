"""Every lesson rendered in JupyterLab in Chromium: no maths element holds prose.

JupyterLab's markdown takes text between two dollar signs for maths, escaped or not,
so a paragraph with two dollar amounts shows as an italic formula ("about 70𝑎𝑔𝑎𝑖𝑛𝑠𝑡66").
Lessons write money as <span>&#36;</span> (tests/test_lesson_conventions.py: a bare, escaped
or entity dollar pair is typeset as maths); this test looks at what
a student sees: the text MathJax typeset in each lesson, where a long run of letters is
words set as a formula.
"""

from __future__ import annotations

import re
import shutil

import pytest
from support import REPO, free_port, stop
from test_browser import ARTIFACTS, _lab, browser  # noqa: F401  (the shared Chromium)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Formulas name things with single letters and short words (CLV, alive, ln, exp); a run
# of nine or more letters in typeset maths is prose (spaces vanish in maths mode).
PROSE = re.compile(r"[A-Za-z]{9,}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lessons")
    for path in LESSONS:
        shutil.copy(path, folder / path.name)
    port, token = free_port(), "lessons-token"
    proc = _lab(folder, {**__import__("os").environ}, port, token)
    try:
        yield port, token
    finally:
        stop(proc)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_maths_holds_prose(browser, lab, path):  # noqa: F811
    port, token = lab
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        # A workspace of its own ("reset"): JupyterLab would otherwise reopen every lesson
        # the earlier pages opened, and their maths with it.
        page.goto(f"http://127.0.0.1:{port}/lab/workspaces/{path.stem}/tree/{path.name}"
                  f"?reset&token={token}", timeout=180_000)
        page.locator(".jp-RenderedMarkdown").first.wait_for(timeout=180_000)
        # MathJax typesets after the markdown renders: wait until the count settles.
        count = -1
        for _ in range(30):
            now = page.locator(".jp-RenderedMarkdown mjx-container").count()
            if now == count:
                break
            count = now
            page.wait_for_timeout(1000)
        maths = page.evaluate("""() => Array.from(
            document.querySelectorAll('.jp-RenderedMarkdown mjx-container'),
            m => (m.querySelector('mjx-assistive-mml') || m).textContent)""")
        prose = [m for m in maths if PROSE.search(m.replace(" ", ""))]
        if prose:
            page.screenshot(path=str(ARTIFACTS / f"maths-{path.stem}.png"), full_page=False)
        assert not prose, f"{path.name}: maths holding prose: {prose[:3]}"
    finally:
        page.close()
