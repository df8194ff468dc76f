"""Real-browser tests: the review notebook as a Voila app and in JupyterLab.

Debian's Chromium is driven by Playwright (never a downloaded browser). Each
test starts its own servers on free loopback ports with a throw-away progress
file, and saves screenshots under test-artifacts/. What the page should show
is computed from the banks and the progress file, never typed in.
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

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TITLE = "Review: CRM flashcards and quiz"
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

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _root_flag() -> list[str]:
    return ["--allow-root"] if os.geteuid() == 0 else []


def _voila(repo, env, port):
    # Wait on a static file: every request for the page itself runs the notebook in a
    # new kernel, which would use (and here, set aside) the progress file.
    # The app as make quiz runs it, with this interpreter (make would build a .venv).
    return serve([sys.executable, "-m", "crmlib.quiz.app", f"--port={port}"],
                 f"http://127.0.0.1:{port}/voila/static/favicon.ico", repo, env)


def _lab(folder: Path, env, port, token):
    # Render every cell (no virtual scrolling), so widgets far down the page exist.
    settings = folder / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = dict(env, JUPYTERLAB_SETTINGS_DIR=str(folder / "lab-settings"))
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    return serve([jupyter, "lab", *_root_flag(), "--no-browser", "--ip=127.0.0.1",
                  f"--port={port}", "--ServerApp.port_retries=0",
                  f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}"],
                 f"http://127.0.0.1:{port}/api/status?token={token}", folder, env)


def _open_lab_review(browser, port, token, width):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.add_init_script(SPEECH_SPY)
    page.goto(f"http://127.0.0.1:{port}/lab/tree/07_review.ipynb?token={token}",
              timeout=120_000)
    page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
    page.get_by_text(re.compile(r"\| Idle")).first.wait_for(timeout=120_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.locator(".crm-quiz").first.wait_for(state="attached", timeout=180_000)
    return page


def _model_quiz(progress_file: Path):
    """The mixed quiz exactly as the page builds it for this learner."""
    return mixed_quiz(per_lesson=2, progress=Progress(progress_file, persist=True),
                      follow_reached=True)


def _model_quiz_for(progress_file: Path, doc: dict, learner: str):
    """The mixed quiz a learner with id ``learner`` would get from the file ``doc``."""
    trial = progress_file.with_name("trial-progress.json")
    trial.write_text(json.dumps({**doc, "learner": learner}))
    try:
        return mixed_quiz(per_lesson=2, progress=Progress(trial, persist=False),
                          follow_reached=True)
    finally:
        trial.unlink()


def _no_overlap_and_nothing_cut(page, scope: str) -> None:
    """Options wrap under their own text with their button; no button text is cut off."""
    boxes = page.evaluate("""scope => {
      const root = document.querySelector(scope);
      const labels = [...root.querySelectorAll(
        '.widget-radio-box label, .widget-checkbox label:has(input)')];
      const out = labels.map(l => {
        const r = l.getBoundingClientRect();
        const i = l.querySelector('input').getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                itop: i.top, ibottom: i.bottom, ileft: i.left, iright: i.right, iw: i.width};
      });
      const rootBox = root.getBoundingClientRect();
      const cut = [...root.querySelectorAll('button')].filter(b => b.offsetParent !== null
        && b.scrollWidth > b.clientWidth + 1).map(b => b.textContent);
      return {labels: out, right: rootBox.right, cut};
    }""", scope)
    labels = boxes["labels"]
    assert labels, f"no options found in {scope}"
    for a, b in zip(labels, labels[1:]):
        assert a["bottom"] <= b["top"] + 1, "an option overlaps the next one"
    for lab in labels:
        assert lab["iw"] > 0 and lab["top"] - 1 <= lab["itop"] <= lab["bottom"], "lost button"
        assert lab["right"] <= boxes["right"] + 1, "an option is wider than the quiz"
    assert boxes["cut"] == [], f"button labels cut off: {boxes['cut']}"


def _goto_choice_question(page, quiz_model):
    """Move the page's quiz to its first question with options; returns that question."""
    quiz = page.locator(".crm-quiz").first
    quiz.scroll_into_view_if_needed()
    k = next(i for i, x in enumerate(quiz_model.questions) if x.options)
    for _ in range(k):
        quiz.get_by_role("button", name="Next").click()
    q = quiz_model.questions[k]
    expect(quiz.get_by_text(f"Q{k + 1} of {len(quiz_model.questions)}.")).to_be_visible(
        timeout=30_000)
    return q


def _check_quiz(page, quiz_model, name: str) -> None:
    """Shuffled numbered options, digit keys, first check counts, wrapping."""
    quiz = page.locator(".crm-quiz").first
    q = _goto_choice_question(page, quiz_model)
    shown = quiz_model.options_of(q)
    if q.options:
        # The page shows the learner's shuffle, numbered from 1.
        labels = quiz.locator(".widget-radio-box label, .widget-checkbox label:has(input)")
        expect(labels).to_have_count(len(shown), timeout=30_000)
        assert [t.strip() for t in labels.all_inner_texts()] == \
            [f"{k + 1}. {plain_text(t)}" for k, t in enumerate(shown)]
        _no_overlap_and_nothing_cut(page, ".crm-quiz")
    # The bank's order is not the order shown for every question of this quiz.
    assert any(quiz_model.option_order[x.id] != sorted(quiz_model.option_order[x.id])
               for x in quiz_model.questions if x.options)
    total = len(quiz_model.questions)
    if q.type in ("single", "multiple"):
        wrong = next(k for k, t in enumerate(shown)
                     if not next(o for o in q.options if o.text == t).correct)
        right = [k for k, t in enumerate(shown)
                 if next(o for o in q.options if o.text == t).correct]
        quiz.locator(".crm-keys").click()
        page.keyboard.press(str(wrong + 1))
        expect(quiz.locator("input").nth(wrong)).to_be_checked(timeout=30_000)
        page.keyboard.press("Enter")
        expect(quiz.get_by_text("Not quite.")).to_be_visible(timeout=30_000)
        # The first check counts: the options and Check are locked now.
        expect(quiz.locator("input").nth(right[0])).to_be_disabled(timeout=30_000)
        expect(quiz.get_by_role("button", name="Check")).to_be_disabled()
        expect(quiz.locator(".crm-quiz-status")).to_have_text(
            f"1 of {total} answered, 0 right", timeout=30_000)
    else:
        box = quiz.locator("input[type=text]").first
        box.fill("not a number at all" if q.type == "numeric" else "no")
        box.press("Tab")
        quiz.get_by_role("button", name="Check").click()
        if q.type == "numeric":
            expect(quiz.get_by_text("not a number I can read")).to_be_visible(timeout=30_000)
            assert q.id not in quiz.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"{name}-quiz.png"), full_page=True)


def _check_cards(page, progress_file: Path, banks, name: str) -> str:
    """Rating only after a flip; every view's counts move together. Returns the rated id."""
    deck = page.locator(".crm-flashcards").first
    deck.scroll_into_view_if_needed()
    progress = Progress(progress_file)
    first = banks[progress.reached].cards[0]
    due_before = len(progress.due_today(
        [c.id for b in banks.values() if b.lesson <= progress.reached for c in b.cards]))
    status = deck.locator(".crm-due")
    expect(status).to_have_text(f"{due_before} due today", timeout=30_000)
    assert plain_text(first.front)[:30] in deck.inner_text()
    # Rating keys do nothing before the answer is shown.
    deck.locator(".crm-keys").click()
    page.keyboard.press("3")
    expect(deck.get_by_text("Flip the card first")).to_be_visible(timeout=30_000)
    expect(deck.get_by_role("button", name="Good")).to_be_disabled()
    assert first.id not in json.loads(progress_file.read_text()).get("cards", {})
    # Shown: question and answer together.
    deck.get_by_role("button", name="Show answer").click()
    page.wait_for_function("t => document.body.innerText.includes(t)",
                           arg=plain_text(first.back)[:40], timeout=30_000)
    assert plain_text(first.front)[:30] in deck.inner_text()
    deck.get_by_role("button", name="Read aloud").click()
    page.wait_for_function("t => window.__spoken.some(s => s.includes(t))",
                           arg=plain_text(first.back)[:30], timeout=30_000)
    deck.get_by_role("button", name="Good").click()
    expect(status).to_have_text(f"{due_before - 1} due today", timeout=30_000)
    # The lesson's own deck (a tab) and the due table moved too.
    lesson_ids = [c.id for c in banks[first.lesson].cards]
    after = Progress(progress_file)
    expect(page.locator(f".crm-due-{first.lesson}").first).to_have_text(
        str(len(after.due_today(lesson_ids))), timeout=30_000)
    tab_status = page.locator(".crm-flashcards").nth(1).locator(".crm-due")
    expect(tab_status).to_have_text(f"{len(after.due_today(lesson_ids))} due today",
                                    timeout=30_000)
    _no_overlap_and_nothing_cut_buttons(page, ".crm-flashcards")
    page.screenshot(path=str(ARTIFACTS / f"{name}-cards.png"), full_page=True)
    assert first.id in json.loads(progress_file.read_text())["cards"]
    return first.id


def _no_overlap_and_nothing_cut_buttons(page, scope: str) -> None:
    cut = page.evaluate("""scope => [...document.querySelector(scope).querySelectorAll('button')]
      .filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1)
      .map(b => b.textContent)""", scope)
    assert cut == [], f"button labels cut off: {cut}"


@pytest.mark.parametrize("width", [1280, 400])
def test_review_app_in_voila(browser, tmp_path, repo, width):
    progress_file = tmp_path / "progress.json"
    progress_file.write_text('{"format": "crm-course-progress", "cards": [')  # corrupt
    port = free_port()
    env = dict(os.environ, CRM_PROGRESS=str(progress_file))
    proc = _voila(repo, env, port)
    try:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.add_init_script(SPEECH_SPY)
        page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
        page.locator(".crm-quiz").first.wait_for(state="attached", timeout=180_000)
        name = f"voila-{width}"
        # The corrupt file: said in plain words, with where the old file was kept.
        notice = page.locator(".crm-notice").first
        expect(notice).to_contain_text("could not be read", timeout=30_000)
        expect(notice).to_contain_text(str(tmp_path / "progress.corrupt-1.json"))
        # At the top: above the due table and the first deck (it was inside the deck,
        # below the fold); on a wide screen, on the first screen.
        expect(page.locator(".crm-notice")).to_have_count(1)
        top = notice.bounding_box()["y"]
        assert top < page.locator(".crm-due-table").first.bounding_box()["y"]
        assert top < page.locator(".crm-flashcards").first.bounding_box()["y"]
        if width >= 1280:
            assert top < 1000, f"the notice is {top:.0f} px down the page"
        assert (tmp_path / "progress.corrupt-1.json").exists()
        expect(page).to_have_title(TITLE, timeout=30_000)
        body = page.inner_text("body")
        for developer in ("CRM_PROGRESS", "crm cards", "load_banks", "Traceback"):
            assert developer not in body
        banks = load_banks()
        _check_cards(page, progress_file, banks, name)
        quiz_model = _model_quiz(progress_file)
        if not any(q.options for q in quiz_model.questions):
            # The fresh learner's draw (two questions of lesson 00) has no question with
            # options, 1 time in 78: give the learner a fixed id whose draw has one, and
            # open the page again on the same file.
            doc = json.loads(progress_file.read_text())
            doc["learner"] = next(
                lid for lid in (f"browser-test-{i}" for i in range(100))
                if any(q.options for q in _model_quiz_for(progress_file, doc, lid).questions))
            progress_file.write_text(json.dumps(doc))
            page.reload(timeout=120_000)
            page.locator(".crm-quiz").first.wait_for(state="attached", timeout=180_000)
            quiz_model = _model_quiz(progress_file)
        _check_quiz(page, quiz_model, name)
        page.close()
    finally:
        stop(proc)


def test_lab_and_voila_on_one_progress_file(browser, tmp_path, repo):
    """The issue's case: a review and a finished quiz in Voila, then a card marked in Lab."""
    shutil.copy(repo / "notebooks" / "07_review.ipynb", tmp_path / "07_review.ipynb")
    progress_file = tmp_path / "progress.json"
    seeded = Progress(progress_file)
    seeded.learner = "browser-test-learner"  # the same shuffle on every run of this test
    seeded.save()
    env = dict(os.environ, CRM_PROGRESS=str(progress_file))
    lab_port, voila_port, token = free_port(), free_port(), "browser-test"
    lab = _lab(tmp_path, env, lab_port, token)
    voila = _voila(repo, env, voila_port)
    try:
        lab_page = _open_lab_review(browser, lab_port, token, 1024)
        expect(lab_page.locator(".crm-flashcards").first.locator(".crm-due")).to_contain_text(
            "due today", timeout=60_000)
        banks = load_banks()
        # Lab's kernel has loaded the file; now Voila reviews a card and finishes a quiz.
        app = browser.new_page(viewport={"width": 1280, "height": 1000})
        app.add_init_script(SPEECH_SPY)
        app.goto(f"http://127.0.0.1:{voila_port}/", timeout=120_000)
        app.locator(".crm-quiz").first.wait_for(state="attached", timeout=180_000)
        voila_card = _check_cards(app, progress_file, banks, "voila-shared")
        quiz = app.locator(".crm-quiz").first
        quiz.scroll_into_view_if_needed()
        quiz.get_by_role("button", name="Finish").click()
        expect(quiz.get_by_text("are not answered yet")).to_be_visible(timeout=30_000)
        quiz.get_by_role("button", name="Finish").click()
        expect(quiz.get_by_text("Score: 0 of")).to_be_visible(timeout=30_000)
        expect(quiz.get_by_role("button", name="Finish")).to_be_disabled()
        # Lab marks a card: the next one due in its all-lessons deck.
        deck = lab_page.locator(".crm-flashcards").first
        deck.scroll_into_view_if_needed()
        deck.get_by_role("button", name="Next").click()
        deck.get_by_role("button", name="Show answer").click()
        deck.get_by_role("button", name="Again").click()
        expect(deck.get_by_text("1 again")).to_be_visible(timeout=30_000)
        _goto_choice_question(lab_page, _model_quiz(progress_file))
        _no_overlap_and_nothing_cut(lab_page, ".crm-quiz")
        lab_page.screenshot(path=str(ARTIFACTS / "jupyterlab-1024-shared.png"), full_page=True)
        saved = json.loads(progress_file.read_text())
        ratings = [(e["card"], e["rating"]) for e in saved["reviews"]]
        assert (voila_card, "good") in ratings and any(r == "again" for _, r in ratings)
        assert len(ratings) == 2
        assert [r["quiz"] for r in saved["quiz_results"]] == ["Final mixed quiz"]
        assert saved["quiz_results"][0]["answered"] == 0
        lab_page.close()
        app.close()
    finally:
        stop(voila)
        stop(lab)


_OPTION_INSET = """() => {
  const quiz = document.querySelector('.crm-quiz');
  const input = quiz.querySelector(
    '.widget-radio-box input, .widget-checkbox label.widget-label-basic input');
  return input.getBoundingClientRect().left - quiz.getBoundingClientRect().left;
}"""

# Per table row: the gap between the text of neighbouring cells, and any word whose
# letters sit on two lines (broken mid-word).
_TABLE_LAYOUT = """sel => {
  const table = document.querySelector(sel);
  const extent = node => { const r = document.createRange(); r.selectNodeContents(node);
                           return r.getBoundingClientRect(); };
  let gap = Infinity; const broken = [];
  for (const row of table.rows) {
    const cells = [...row.cells];
    for (let i = 1; i < cells.length; i++) {
      gap = Math.min(gap, extent(cells[i]).left - extent(cells[i - 1]).right);
    }
    for (const cell of cells) {
      const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      let node;
      while ((node = walk.nextNode())) {
        for (const m of node.data.matchAll(/\\S+/g)) {
          const r = document.createRange();
          r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
          const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
          if (lines.size > 1) broken.push(m[0]);
        }
      }
    }
  }
  return {gap, broken, rows: table.rows.length};
}"""


def _move_quiz_to(quiz, quiz_model, start: int, target: int) -> int:
    for _ in range(target - start):
        quiz.get_by_role("button", name="Next").click()
    for _ in range(start - target):
        quiz.get_by_role("button", name="Previous").click()
    expect(quiz.get_by_text(f"Q{target + 1} of {len(quiz_model.questions)}.")).to_be_visible(
        timeout=30_000)
    return target


def _kernel_gone(port: int, kernel: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernels/{kernel}", timeout=10)
        return False
    except urllib.error.HTTPError as err:
        return err.code == 404


def test_review_app_layout_money_offline_and_kernels(browser, tmp_path, repo):
    """At 1280 and 400 px: checkboxes line up with radio buttons, the score table keeps
    space between columns and whole words, money shows as a dollar sign; the page loads
    nothing from the network; and every page left shuts its kernel down."""
    import time

    progress_file = tmp_path / "progress.json"
    seeded = Progress(progress_file)
    seeded.learner = "browser-test-learner"
    seeded.set_reached("06")  # the mixed quiz draws from every lesson: both choice types
    seeded.save()
    env = dict(os.environ, CRM_PROGRESS=str(progress_file))
    port = free_port()
    proc = _voila(repo, env, port)
    banks = load_banks()
    external, kernels = [], []
    try:
        for width in (1280, 400, 1280):
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.on("request", lambda r: external.append(r.url) if not r.url.startswith(
                (f"http://127.0.0.1:{port}/", "data:", "blob:", "about:")) else None)
            page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
            page.locator(".crm-quiz").first.wait_for(state="attached", timeout=180_000)
            kernels.append(page.evaluate(
                "() => JSON.parse(document.getElementById('jupyter-config-data')"
                ".textContent).kernelId"))
            if len(kernels) < 3:
                name = f"voila-layout-{width}"
                # Money: a dollar sign, neither a backslash nor maths.
                k = next(i for i, c in enumerate(banks["04"].cards) if "\\$" in c.front)
                tab = page.locator(".lm-TabBar-tab").filter(has_text=re.compile(r"^\s*04\s*$"))
                tab.first.click()
                deck = page.locator(".crm-flashcards").nth(1 + list(banks).index("04"))
                for _ in range(k):
                    deck.get_by_role("button", name="Next").click()
                front = deck.locator(".crm-card-front")
                expect(front).to_contain_text(plain_text(banks["04"].cards[k].front)[:25],
                                              timeout=30_000)
                text = front.inner_text()
                assert "$0.85" in text and "\\$" not in text, text
                assert front.locator("mjx-container").count() == 0
                # Checkboxes sit where radio buttons do.
                quiz = page.locator(".crm-quiz").first
                quiz.scroll_into_view_if_needed()
                model = _model_quiz(progress_file)
                pos, insets = 0, {}
                for kind in ("single", "multiple"):
                    target = next(i for i, q in enumerate(model.questions) if q.type == kind)
                    pos = _move_quiz_to(quiz, model, pos, target)
                    insets[kind] = page.evaluate(_OPTION_INSET)
                assert abs(insets["single"] - insets["multiple"]) <= 2, insets
                # The score table: space between columns, whole words.
                quiz.get_by_role("button", name="Finish").click()
                quiz.get_by_role("button", name="Finish").click()
                expect(quiz.get_by_text("Score: 0 of")).to_be_visible(timeout=30_000)
                layout = page.evaluate(_TABLE_LAYOUT, ".crm-results table")
                assert layout["rows"] > 1
                assert layout["gap"] >= 8, layout
                assert layout["broken"] == [], layout
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            page.goto("about:blank")  # leaving the page: it asks Voila to end its kernel
            page.close()
        assert external == [], f"loaded from the network: {external}"
        deadline = time.monotonic() + 30
        while not all(_kernel_gone(port, k) for k in kernels) and time.monotonic() < deadline:
            time.sleep(1)
        assert [_kernel_gone(port, k) for k in kernels] == [True] * 3
    finally:
        stop(proc)
