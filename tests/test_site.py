"""The course website (`make html`, tools/render_html.py) works offline, from a folder.

Builds the site once into a temporary folder from the committed lessons, then reads it as
a browser would: every local link and image resolves, nothing is loaded from the
network, the entry page lists every lesson, every lesson page has previous/next links and
a table of contents, every quiz is there with one answer behind a click per question,
and no interactive output is left as a "run the notebook" placeholder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup
from support import REPO

from crmlib.quiz.bank import load_banks

pytestmark = pytest.mark.slow

LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
QUIZ_CALL = re.compile(r"""lesson_quiz\(\s*["'](\d\d)["']""")
# what loads a resource by itself (an <a> is only followed when clicked)
LOADS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src",
         "video": "src", "audio": "src", "embed": "src", "object": "data"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, str(REPO / "tools" / "render_html.py"), str(out),
                          *map(str, LESSONS)], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "not drawn" not in run.stderr, run.stderr  # every what-if figure was drawn
    assert "maths shown as TeX" not in run.stderr, run.stderr
    return out


def soup_of(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), features="html.parser")


def pages(site):
    return sorted(site.glob("*.html"))


def notebook(path):
    return nbformat.read(path, as_version=4)


def h2_headings(nb) -> list[str]:
    out = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"```.*?```", "", cell.source, flags=re.S)
        out += re.findall(r"^## (.+)$", text, flags=re.M)
    return out


def test_every_local_link_and_image_resolves(site):
    ids = {p.name: {t["id"] for t in soup_of(p).find_all(id=True)} for p in pages(site)}
    for page in pages(site):
        soup = soup_of(page)
        refs = [(t.name, t.get(a)) for t in soup.find_all(True)
                for a in ("href", "src", "action") if t.get(a)]
        assert refs
        for tag, ref in refs:
            parts = urlsplit(ref)
            if parts.scheme in ("data", "mailto") or (parts.scheme in ("http", "https")
                                                      and tag == "a"):
                continue
            assert not parts.scheme and not parts.netloc, f"{page.name}: <{tag}> {ref}"
            target = (page.parent / unquote(parts.path)) if parts.path else page
            assert target.is_file(), f"{page.name}: <{tag}> {ref} does not resolve"
            if parts.fragment and target.suffix == ".html":
                # a browser tries the fragment as written, then percent-decoded
                assert {parts.fragment, unquote(parts.fragment)} & ids[target.name], \
                    f"{page.name}: <{tag}> {ref}: no such anchor"


def test_nothing_is_loaded_from_the_network(site):
    for page in pages(site):
        soup = soup_of(page)
        for tag, attr in LOADS.items():
            for t in soup.find_all(tag):
                value = t.get(attr) or ""
                assert not re.match(r"(?i)\s*(https?:)?//", value), f"{page.name}: <{tag}> {value}"
        for script in soup.find_all("script"):
            assert not re.search(r"https?://", script.get_text()), f"{page.name}: a script"
        for style in soup.find_all("style"):
            assert not re.search(r"(?i)(@import|url\()\s*['\"]?https?://", style.get_text()), \
                f"{page.name}: a stylesheet loads from the network"
        assert "mathjax" not in page.read_text(encoding="utf-8").lower(), page.name


def test_the_entry_page_lists_every_lesson(site):
    soup = soup_of(site / "index.html")
    links = {a["href"] for a in soup.select("table.course-map a[href]")}
    assert len(LESSONS) == 8
    for path in LESSONS:
        assert f"{path.stem}.html" in links, path.name
        assert (site / f"{path.stem}.html").is_file()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_page_has_previous_next_and_contents(site, path):
    soup = soup_of(site / f"{path.stem}.html")
    k = LESSONS.index(path)
    for nav in soup.select("nav.prevnext"):
        prev_, next_ = nav.select_one('a[rel="prev"]'), nav.select_one('a[rel="next"]')
        assert prev_ and next_
        assert prev_["href"] == (f"{LESSONS[k - 1].stem}.html" if k else "index.html")
        assert next_["href"] == (f"{LESSONS[k + 1].stem}.html" if k + 1 < len(LESSONS)
                                 else "index.html")
    assert len(soup.select("nav.prevnext")) == 2  # above and below the lesson
    toc = [a.get_text(strip=True) for a in soup.select("nav.toc a[href^='#']")]
    headings = h2_headings(notebook(path))
    assert headings and len(toc) == len(headings)
    for entry, heading in zip(toc, headings, strict=True):
        assert entry.split()[:2] == heading.replace("*", "").replace("`", "").split()[:2]
    # a link to another lesson's notebook goes to its page
    assert not soup.select('a[href$=".ipynb"]')


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_quiz_has_one_answer_per_question(site, path):
    banks = load_banks()
    calls = [m.group(1) for c in notebook(path).cells if c.cell_type == "code"
             for m in QUIZ_CALL.finditer(c.source)]
    soup = soup_of(site / f"{path.stem}.html")
    for lesson in calls:
        bank = banks[lesson]
        expected = len(bank.lesson_quiz) or len(bank.questions)  # counted from the bank
        quiz = soup.select_one(f'section.static-quiz[data-lesson="{lesson}"]')
        assert quiz is not None, f"{path.name}: no quiz {lesson}"
        answers = quiz.select("li.quiz-question > details.answer > summary")
        assert len(answers) == expected == len(quiz.select("li.quiz-question"))
    if path.name.startswith("0") and path.name[:2] != "07":
        assert calls == [path.name[:2]]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_placeholder_and_every_what_if_drawn(site, path):
    html = (site / f"{path.stem}.html").read_text(encoding="utf-8")
    assert "run the notebook" not in html.lower()
    assert "crm-placeholder" not in html
    nb = notebook(path)
    soup = BeautifulSoup(html, features="html.parser")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "what-if" not in cell.metadata.get("tags", []):
            continue
        block = soup.select_one(f'div.what-if[data-cell="{i}"]')
        assert block is not None, f"{path.name}: what-if cell {i} missing"
        assert block.select(".controls .control"), f"{path.name}: cell {i} has no controls"
        if block.select("img.what-if-figure"):
            continue
        # a what-if that draws only when a control moves: its figure is the cell above's
        above = next(c for c in reversed(nb.cells[:i]) if c.cell_type == "code")
        assert block.select(".what-if-above"), f"{path.name}: what-if cell {i} has no figure"
        assert any("image/png" in o.get("data", {}) for o in above.outputs)
    saved = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                for o in c.outputs)
    figures = [img for img in soup.find_all("img", src=True)
               if img["src"].startswith("data:image/png") and "what-if-figure" not in
               img.get("class", [])]
    assert len(figures) == saved  # every saved figure is on the page


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_maths_is_drawn_not_left_as_tex(site, path):
    soup = soup_of(site / f"{path.stem}.html")
    for block in soup.select(".jp-RenderedMarkdown"):
        text = block.get_text()
        assert not re.search(r"\$[^$\n]*\\[A-Za-z]+", text), text[:200]
        assert "$$" not in text
    sources = "".join(c.source for c in notebook(path).cells if c.cell_type == "markdown")
    if "$" in sources.replace("&#36;", ""):
        assert soup.select("img.math[alt]")
    for img in soup.select("img.math"):
        assert (site / img["src"]).read_text(encoding="utf-8").lstrip().startswith("<?xml")
