"""Real-browser tests: the review notebook in JupyterLab and as a Voila app.

Debian's Chromium is driven by Playwright (never a downloaded browser). Each
test starts its own server on a free loopback port with a throw-away progress
file, and saves screenshots under test-artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import free_port, serve, stop
from playwright.sync_api import expect

from crmlib.quiz import load_banks, mixed_quiz
from crmlib.quiz.bank import plain_text
from crmlib.quiz.progress import Progress

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Record what the page asks the browser to read aloud.
SPEECH_SPY = """
window.__spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); };
}
"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        reason = (f"browser tests need Debian's Chromium at {CHROMIUM}; .ci/run installs it "
                  "(apt-get install chromium)")
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but " + reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _expected():
    """What the review notebook shows first: the mixed quiz's first question, the first card."""
    quiz = mixed_quiz(per_lesson=2, seed=7, progress=Progress(persist=False))
    first_card = next(iter(load_banks().values())).cards[0]
    total = sum(len(b.cards) for b in load_banks().values())
    return quiz, first_card, total


def _exercise_review_page(page, progress_file: Path, name: str) -> None:
    """Answer a quiz question, flip a card, mark it, and check what the learner sees."""
    quiz_model, card, total = _expected()
    quiz = page.locator(".crm-quiz").first
    quiz.wait_for(state="attached", timeout=180_000)
    quiz.scroll_into_view_if_needed()
    deck = page.locator(".crm-flashcards").first
    page.screenshot(path=str(ARTIFACTS / f"{name}-1-loaded.png"), full_page=True)

    # Answer the first question of the mixed quiz with its right answer.
    q = quiz_model.current
    if q.type == "single":
        right = quiz_model.options_of(q).index([o.text for o in q.options if o.correct][0])
        quiz.locator("input[type=radio]").nth(right).check()
        explanation = [o.explain for o in q.options if o.correct][0]
    elif q.type == "multiple":
        shown = quiz_model.options_of(q)
        for o in q.options:
            if o.correct:
                quiz.locator("input[type=checkbox]").nth(shown.index(o.text)).check()
        explanation = [o.explain for o in q.options if o.correct][0]
    else:
        value = f"{q.answer}" if q.type == "numeric" else q.accept[0]
        quiz.locator("input[type=text]").first.fill(value)
        quiz.locator("input[type=text]").first.press("Tab")
        explanation = q.explain
    quiz.get_by_role("button", name="Check").first.click()
    page.get_by_text("Right.", exact=False).first.wait_for(timeout=30_000)
    assert plain_text(explanation)[:40] in quiz.inner_text().replace("\n", " ")
    assert "1 of 14 answered, 1 right" in quiz.inner_text()
    if q.type in ("numeric", "text"):  # the answer stays on screen after checking
        expect(quiz.locator("input[type=text]").first).to_have_value(value)

    # Flip the first card, see its back, mark it known, see the due count drop.
    deck.scroll_into_view_if_needed()
    status = deck.locator(".crm-due")
    assert status.inner_text() == f"{total} due today"
    assert plain_text(card.front)[:30] in deck.inner_text()
    deck.get_by_role("button", name="Flip").click()
    page.wait_for_function("t => document.body.innerText.includes(t)",
                           arg=plain_text(card.back)[:40], timeout=30_000)
    deck.get_by_role("button", name="Read aloud").click()
    page.wait_for_function("t => window.__spoken.some(s => s.includes(t))",
                           arg=plain_text(card.back)[:30], timeout=30_000)
    deck.get_by_role("button", name="Knew it").click()
    expect(status).to_have_text(f"{total - 1} due today", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / f"{name}-2-answered.png"), full_page=True)

    # Keyboard: focus the deck's key box, space flips the next card.
    deck.locator(".crm-keys").click()
    page.keyboard.press(" ")
    expect(deck.locator(".crm-card-back")).to_have_count(1, timeout=30_000)
    saved = json.loads(progress_file.read_text())
    assert card.id in saved["cards"]


def _root_flag() -> list[str]:
    return ["--allow-root"] if os.geteuid() == 0 else []


def test_review_notebook_in_jupyterlab(browser, tmp_path, repo):
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(repo / "notebooks" / "07_review.ipynb", tmp_path / "07_review.ipynb")
    port, token = free_port(), "browser-test"
    env = dict(os.environ, CRM_PROGRESS=str(tmp_path / "progress.json"))
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    proc = serve([jupyter, "lab", *_root_flag(), "--no-browser", "--ip=127.0.0.1",
                   f"--port={port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}"],
                  f"http://127.0.0.1:{port}/api/status?token={token}", tmp_path, env)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.add_init_script(SPEECH_SPY)
        page.goto(f"http://127.0.0.1:{port}/lab/tree/07_review.ipynb?token={token}",
                  timeout=120_000)
        page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
        # Wait until the kernel is up before running everything.
        page.get_by_text(re.compile(r"\| Idle")).first.wait_for(timeout=120_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        _exercise_review_page(page, tmp_path / "progress.json", "jupyterlab")
        page.close()
    finally:
        stop(proc)


def test_review_app_in_voila(browser, tmp_path, repo):
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    env = dict(os.environ, CRM_PROGRESS=str(tmp_path / "progress.json"))
    proc = serve(["make", "--no-print-directory", "quiz", f"QUIZ_PORT={port}"],
                  f"http://127.0.0.1:{port}/", repo, env)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.add_init_script(SPEECH_SPY)
        page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
        _exercise_review_page(page, tmp_path / "progress.json", "voila")
        # No code is shown in the app.
        assert "load_banks" not in page.inner_text("body")
        page.close()
    finally:
        stop(proc)
