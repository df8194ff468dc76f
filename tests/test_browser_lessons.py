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
# Prose typeset as maths becomes a row of single-letter identifiers (<mi>a</mi><mi>g</mi>...:
# "against" in italics), where a formula names things with one letter at a time and sets
# words in \\text{...} (<mtext>); six or more letters in a row are words.
PROSE = re.compile(r"[A-Za-z]{6,}")
# Each typeset maths element's leaves in order: a one-letter identifier gives its letter,
# any other leaf a separator.
LEAVES = """() => Array.from(document.querySelectorAll('.jp-RenderedMarkdown mjx-container'), m => {
    const math = m.querySelector('mjx-assistive-mml math');
    if (!math) { return ''; }
    return Array.from(math.querySelectorAll('*')).filter(e => e.children.length === 0).map(
        e => (e.tagName.toLowerCase() === 'mi' && /^[A-Za-z]$/.test(e.textContent))
             ? e.textContent : '|').join('');
})"""


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
        rows = page.evaluate(LEAVES)
        prose = [r for r in rows if PROSE.search(r)]
        if prose:
            page.screenshot(path=str(ARTIFACTS / f"maths-{path.stem}.png"), full_page=False)
        assert not prose, f"{path.name}: maths holding prose: {prose[:3]}"
    finally:
        page.close()
