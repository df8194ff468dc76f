"""Build the course website: every lesson as a web page, read without Jupyter or a network.

Usage: python tools/render_html.py OUT_DIR notebooks/00_start_here.ipynb [...]

``OUT_DIR`` gets:

- ``index.html``, the entry page: the course map (README.md's table), linking each page;
- ``<lesson>.html`` per lesson, from its saved outputs (lessons are not re-executed), with
  previous/next links, a table of contents of its ``##`` sections and a search box;
  a link to another lesson's ``.ipynb`` goes to its page;
- each what-if cell (tagged ``what-if``) drawn at the lesson's settings, with its controls
  listed: tools/site_whatif.py runs the cell after only the cells it needs;
- each end-of-lesson quiz as a self-test from the question bank, every answer behind a
  click (``<details>``), and the review page's decks and mixed quiz the same way;
- maths drawn as SVG files in ``maths/`` by Matplotlib's mathtext (no MathJax, no CDN);
- ``search.html`` with ``search-index.js``: a search over every section, in the browser.

A figure gets the title its cell gives it (``set_title("...")`` or ``suptitle("...")``)
as alternative text, so a screen reader says what the figure shows; a figure whose title
is computed gets a generic description naming the lesson.
"""

from __future__ import annotations

import hashlib
import html as htmlmod
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup, Comment
from nbconvert import HTMLExporter

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
TITLE = re.compile(r"""(?:set_title|suptitle)\(\s*f?(["'])(.+?)\1""")
PLACEHOLDER = "No description has been provided for this image"
SITE = "CRM course"
QUIZ_CALL = re.compile(r"""lesson_quiz\(\s*["'](\d\d)["']""")
IMAGE = "image/png"
#: The what-ifs are drawn only if cheap: past this, their pages say they were not drawn.
WHAT_IF_TIMEOUT = 300


# ---------------------------------------------------------------------------- maths
class Maths:
    """TeX to SVG files with Matplotlib's mathtext, one file per distinct formula."""

    PATTERN = re.compile(
        r"(?P<code>```.*?```|`[^`\n]*`)"
        r"|\$\$(?P<display>.+?)\$\$"
        r"|(?<![\\$])\$(?P<inline>[^$\n]+?)\$(?!\$)",
        re.S,
    )
    SIZE = 12.0  # points; one em of text is drawn as SIZE / EM points
    EM = 10.5

    def __init__(self, out_dir: Path):
        self.dir = out_dir / "maths"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.done: dict[tuple[str, bool], str] = {}
        self.failed: list[str] = []

    def image(self, tex: str, display: bool) -> str:
        """An ``<img>`` of one formula (its TeX as alternative text), or the TeX in <code>."""
        key = (tex.strip(), display)
        if key not in self.done:
            self.done[key] = self._draw(*key)
        return self.done[key]

    def _draw(self, tex: str, display: bool) -> str:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import rc_context
        from matplotlib.figure import Figure
        from matplotlib.font_manager import FontProperties
        from matplotlib.mathtext import MathTextParser

        source = tex.replace(r"\frac", r"\dfrac") if display else tex
        alt = htmlmod.escape(tex, quote=True)
        try:
            with rc_context({"mathtext.fontset": "cm", "svg.hashsalt": "crm",
                             "svg.fonttype": "path"}):
                prop = FontProperties(size=self.SIZE)
                width, height, depth, _, _ = MathTextParser("path").parse(
                    f"${source}$", dpi=72, prop=prop)
                fig = Figure(figsize=(width / 72, height / 72))
                fig.text(0, depth / height, f"${source}$", fontproperties=prop)
                name = hashlib.sha1(f"{display}{tex}".encode()).hexdigest()[:16] + ".svg"
                fig.savefig(self.dir / name, format="svg", transparent=True,
                            metadata={"Date": None})
        except Exception:  # noqa: BLE001 - a formula mathtext cannot draw stays readable
            self.failed.append(tex)
            return f'<code class="tex" title="TeX">{alt}</code>'
        style = (f"height:{height / self.EM:.3f}em;"
                 f"vertical-align:{-depth / self.EM:.3f}em")
        img = (f'<img class="math" src="maths/{name}" alt="{alt}" role="img" '
               f'aria-label="{alt}" style="{style}">')
        return f'<span class="math-display">{img}</span>' if display else img

    def in_markdown(self, text: str) -> tuple[str, dict[str, str]]:
        """Markdown with its formulas swapped for tokens; token -> <img> to put back after."""
        tokens = {}

        def swap(m):
            if m.group("code"):
                return m.group("code")
            token = f"MATHTOKEN{len(tokens)}X{id(tokens)}Z"
            display = m.group("display") is not None
            tokens[token] = self.image(m.group("display") or m.group("inline"), display)
            return token

        return self.PATTERN.sub(swap, text), tokens

    def in_html(self, text: str) -> str:
        """Bank text (HTML with ``$...$`` maths and ``\\$`` for a dollar sign) as HTML."""
        text = text.replace(r"\$", "\0")
        out = self.PATTERN.sub(lambda m: m.group("code") or self.image(
            m.group("display") or m.group("inline"), m.group("display") is not None), text)
        return out.replace("\0", "&#36;")


# ---------------------------------------------------------------------------- lessons
def figure_descriptions(nb, lesson: str) -> list[str]:
    """One description per image output, in the order they appear."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        titles = [re.sub(r"\{[^}]*\}", "…", m.group(2)) for m in TITLE.finditer(cell.source)]
        for output in cell.outputs:
            if IMAGE in output.get("data", {}):
                text = "; ".join(titles) if titles else f"a figure of lesson {lesson}"
                out.append(f"Figure: {text}")
    return out


class Lesson:
    """What the site needs to know about one lesson notebook."""

    def __init__(self, path: Path):
        self.path = path
        self.nb = nbformat.read(path, as_version=4)
        self.number = path.name[:2]
        self.page = f"{path.stem}.html"
        first = self.nb.cells[0].source if self.nb.cells else ""
        heading = re.search(r"^#\s+(.+)$", first, re.M)
        self.title = heading.group(1).strip() if heading else path.stem
        self.short = re.sub(r"^\d\d\s*·\s*", "", self.title).split(":")[0].strip()
        time_ = re.search(r"\*\*Time:\*\*\s*([^·\n]+)", first)
        self.time = time_.group(1).strip() if time_ else ""

    def what_if_cells(self) -> list[int]:
        return [i for i, c in enumerate(self.nb.cells)
                if c.cell_type == "code" and "what-if" in c.metadata.get("tags", [])]


def _fmt_value(control: dict) -> str:
    value = control["value"]
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        fmt = control.get("readout_format") or ".2f"
        try:
            return format(value, fmt)
        except ValueError:
            return f"{value:g}"
    return str(value)


def controls_html(controls: list[dict]) -> str:
    """The what-if's controls, greyed out at their starting values."""
    items = []
    for c in controls:
        label = htmlmod.escape(c["description"])
        value = htmlmod.escape(_fmt_value(c))
        if "options" in c:
            options = "".join(
                f"<option{' selected' if o == str(c['value']) else ''}>{htmlmod.escape(o)}</option>"
                for o in c["options"])
            field = f"<select disabled>{options}</select>"
        elif isinstance(c["value"], bool):
            field = f'<input type="checkbox" disabled{" checked" if c["value"] else ""}>'
        elif "min" in c and "max" in c:
            field = (f'<input type="range" disabled min="{c["min"]}" max="{c["max"]}" '
                     f'step="{c.get("step") or "any"}" value="{c["value"]}">')
        else:
            field = ""
        items.append(f'<label class="control">{label} {field} <output>{value}</output></label>')
    return f'<div class="controls">{"".join(items)}</div>'


def what_if_html(nb, index: int, result: dict | None) -> str:
    """The what-if cell's output on the page: its controls and its default figure."""
    result = result or {"figures": [], "controls": [], "error": "not drawn"}
    settings = ", ".join(f"{c['description']} {_fmt_value(c)}" for c in result["controls"])
    parts = [f'<div class="what-if" data-cell="{index}">',
             '<p class="what-if-note"><b>What if.</b> In JupyterLab (<code>make lab</code>) '
             "these controls move and the figure is redrawn; here it is drawn at the "
             "lesson's settings.</p>"]
    if result["controls"]:
        parts.append(controls_html(result["controls"]))
    for b64 in result["figures"]:
        alt = htmlmod.escape(f"Figure drawn at the lesson's settings ({settings})", quote=True)
        parts.append(f'<img class="what-if-figure" src="data:image/png;base64,{b64}" alt="{alt}">')
    if not result["figures"]:
        above = next((c for c in reversed(nb.cells[:index]) if c.cell_type == "code"), None)
        has_image = above is not None and any(IMAGE in o.get("data", {}) for o in above.outputs)
        if has_image and not result.get("error"):
            parts.append('<p class="what-if-above">The figure just above is drawn at these '
                         "settings; in JupyterLab, moving a control draws a new one here.</p>")
        else:
            why = htmlmod.escape(result.get("error", "it draws nothing until a control moves"))
            parts.append(f'<p class="what-if-missing">This figure could not be drawn for the '
                         f"website ({why}); open the lesson in JupyterLab to see it.</p>")
    parts.append("</div>")
    return "".join(parts)


def question_html(q, number: int, maths: Maths, order: list[int]) -> str:
    """One question as a self-test: prompt, options, and the answer behind a click."""
    parts = [f'<li class="quiz-question" id="{q.id}"><div class="prompt">{maths.in_html(q.prompt)}'
             f'</div><p class="hint">{htmlmod.escape(q.answer_hint())}</p>']
    if q.options:
        parts.append('<ol class="options">' + "".join(
            f"<li>{maths.in_html(q.options[i].text)}</li>" for i in order) + "</ol>")
    parts.append('<details class="answer"><summary>Answer</summary>')
    if q.options:
        rows = []
        for position, i in enumerate(order, start=1):
            o = q.options[i]
            mark = "right" if o.correct else "wrong"
            sign = "✓" if o.correct else "✗"
            rows.append(f'<li class="{mark}"><b>{sign} {position}. {maths.in_html(o.text)}</b> '
                        f"{maths.in_html(o.explain)}</li>")
        parts.append('<ul class="explained">' + "".join(rows) + "</ul>")
    else:
        right = htmlmod.escape(q.right_answer()) if q.type == "numeric" else (
            "; ".join(htmlmod.escape(a) for a in q.accept))
        parts.append(f"<p><b>{'Answer' if q.type == 'numeric' else 'Accepted'}:</b> {right}</p>")
        if q.explain:
            parts.append(f"<p>{maths.in_html(q.explain)}</p>")
    parts.append("</details></li>")
    return "".join(parts)


def quiz_html(questions, title: str, maths: Maths, lesson: str, note: str) -> str:
    from crmlib.quiz.session import QuizSession

    session = QuizSession(list(questions), title=title, seed=0)  # the options' order, seed 0
    items = "".join(question_html(q, n, maths, session.option_order[q.id])
                    for n, q in enumerate(session.questions, start=1))
    return (f'<section class="static-quiz" data-lesson="{lesson}"><h3 class="quiz-title">'
            f"{htmlmod.escape(title)}</h3><p class=\"quiz-note\">{note}</p>"
            f'<ol class="quiz">{items}</ol></section>')


def decks_html(banks, maths: Maths) -> str:
    parts = ['<section class="decks">']
    for lesson, bank in banks.items():
        cards = "".join(
            f'<li><details class="card"><summary>{maths.in_html(c.front)}</summary>'
            f"<div>{maths.in_html(c.back)}</div></details></li>" for c in bank.cards)
        parts.append(f'<details class="deck"><summary>{lesson} {htmlmod.escape(bank.title)} '
                     f"({len(bank.cards)} cards)</summary><ol>{cards}</ol></details>")
    parts.append("</section>")
    return "".join(parts)


NOTE_REVIEW = ("In JupyterLab (<code>make lab</code>) or as a web app (<code>make quiz</code>) "
               "this part follows your own progress file: the lessons you have studied and the "
               "cards due today. In a terminal, <code>crm review</code> does the same. Here every "
               "deck is below, each card's answer behind a click.")


def what_if_token(lesson: Lesson, index: int) -> str:
    return f"WHATIFTOKEN{lesson.number}X{index}Z"


def static_outputs(lesson: Lesson, cell, index: int, banks, maths: Maths) -> list | None:
    """The outputs the page shows for a cell whose saved output is interactive, or None."""
    if cell.cell_type != "code":
        return None
    src = cell.source

    def html_output(text):
        return [nbformat.v4.new_output("display_data", data={"text/html": text})]

    if "what-if" in cell.metadata.get("tags", []):
        return html_output(what_if_token(lesson, index))  # drawn by now or soon: see build
    quiz = QUIZ_CALL.search(src)
    if quiz and quiz.group(1) in banks:
        bank = banks[quiz.group(1)]
        note = ("Answer each question for yourself, then open <b>Answer</b> to check it. In "
                "JupyterLab the quiz marks your answers and records your score.")
        return html_output(quiz_html(bank.quiz_questions(), f"Lesson {bank.lesson} quiz: "
                                     f"{bank.title}", maths, bank.lesson, note))
    if "mixed_quiz(" in src:
        from crmlib.quiz import mixed_questions

        note = ("Two questions from each lesson, the same for every reader here (in JupyterLab "
                "they follow the lessons you have studied, and your score is kept).")
        return html_output(quiz_html(mixed_questions(2, seed=0), "Final mixed quiz", maths,
                                     "mixed", note))
    if "lesson_cards(" in src:
        return html_output(decks_html(banks, maths))
    if any(name in src for name in ("Flashcards(", "lesson_picker(", "DueTable(")):
        return html_output(f'<p class="offline-note">{NOTE_REVIEW}</p>')
    if any("crm-placeholder" in o.get("data", {}).get("text/html", "") for o in cell.outputs):
        return html_output('<p class="offline-note">This output is interactive: open the '
                           "lesson in JupyterLab (<code>make lab</code>) to use it.</p>")
    return None


def nav_html(lessons: list[Lesson], k: int, where: str) -> str:
    prev_ = lessons[k - 1] if k > 0 else None
    next_ = lessons[k + 1] if k + 1 < len(lessons) else None
    left = (f'<a rel="prev" href="{prev_.page}">← {prev_.number} {htmlmod.escape(prev_.short)}</a>'
            if prev_ else '<a rel="prev" href="index.html">← Course map</a>')
    right = (f'<a rel="next" href="{next_.page}">{next_.number} {htmlmod.escape(next_.short)} →</a>'
             if next_ else '<a rel="next" href="index.html">Course map →</a>')
    return (f'<nav class="prevnext {where}" aria-label="previous and next lesson">'
            f"{left}{right}</nav>")


def header_html(current: str) -> str:
    return ('<header class="site-header"><a class="home" href="index.html">'
            f"{SITE}</a><span class=\"here\">{htmlmod.escape(current)}</span>"
            '<form class="search" action="search.html" method="get" role="search">'
            '<input type="search" name="q" placeholder="Search the course" aria-label="Search">'
            "</form></header>")


def render(lesson: Lesson, lessons: list[Lesson], banks, maths: Maths, index: list) -> str:
    """One lesson's page, what-ifs still to fill in; add its sections to the search ``index``."""
    nb = nbformat.from_dict(json.loads(json.dumps(lesson.nb)))  # a copy to change
    tokens: dict[str, str] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source, found = maths.in_markdown(cell.source)
            tokens.update(found)
        outputs = static_outputs(lesson, cell, i, banks, maths)
        if outputs is not None:
            cell.outputs = outputs
    exporter = HTMLExporter(template_name="lab")
    exporter.log.setLevel("ERROR")  # the missing-alt warning: filled in below
    page, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": f"{lesson.title} · {SITE}"}})
    for token, img in tokens.items():
        page = page.replace(token, img)
    soup = BeautifulSoup(page, features="html.parser")
    for script in soup.find_all("script"):  # MathJax, require.js and mermaid from a CDN
        script.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()  # "load mathjax" and the like, now gone
    images = soup.select(f'img[alt="{PLACEHOLDER}"]')
    for img, text in zip(images, figure_descriptions(lesson.nb, lesson.number), strict=False):
        img["alt"] = text
    pages = {les.path.name: les.page for les in lessons}
    for a in soup.find_all("a", href=True):
        href = a["href"]
        target = href.split("#")[0].rsplit("/", 1)[-1]
        if target in pages:
            a["href"] = pages[target] + (href[len(href.split("#")[0]):])
        elif target.endswith(".ipynb"):  # a notebook that is not on the site
            code = soup.new_tag("code")
            code.string = href
            a.replace_with(a.get_text() + " (in JupyterLab: ", code, ")")
    sections = [h for h in soup.find_all("h2") if h.get("id")]
    toc = soup.new_tag("nav", attrs={"class": "toc", "aria-label": "contents"})
    toc.append(BeautifulSoup(
        "<h2>Contents</h2><ul>" + "".join(
            f'<li><a href="#{h["id"]}">{htmlmod.escape(_heading_text(h))}</a></li>'
            for h in sections) + "</ul>", features="html.parser"))
    k = lessons.index(lesson)
    main = soup.find("main")
    main.insert(0, BeautifulSoup(nav_html(lessons, k, "top"), features="html.parser"))
    main.append(BeautifulSoup(nav_html(lessons, k, "bottom"), features="html.parser"))
    main.insert_before(BeautifulSoup(header_html(lesson.title), features="html.parser"))
    main.insert_before(toc)
    soup.head.append(BeautifulSoup('<link rel="stylesheet" href="site.css">',
                                   features="html.parser"))
    soup.body["class"] = soup.body.get("class", []) + ["site-page"]
    index.extend(search_entries(soup, lesson))
    return str(soup)


def fill_what_ifs(page: str, lesson: Lesson, drawn: dict) -> str:
    """Put each what-if's controls and default figure where its token stands."""
    for index in lesson.what_if_cells():
        page = page.replace(what_if_token(lesson, index),
                            what_if_html(lesson.nb, index, drawn.get(str(index))))
    return page


def _text_with_maths(el) -> str:
    """An element's text, each formula as its TeX."""
    parts = []
    for node in el.descendants:
        if isinstance(node, str) and not isinstance(node, Comment):
            parts.append(node)
        elif getattr(node, "name", None) == "img" and "math" in node.get("class", []):
            parts.append(node.get("alt", ""))
    return " ".join(parts)


def _heading_text(h) -> str:
    return h.get_text().replace("¶", "").strip()


def search_entries(soup, lesson: Lesson) -> list[dict]:
    """One entry per heading: its text up to the next heading (prose, not code)."""
    entries, current = [], None
    for el in soup.select(".jp-RenderedMarkdown > *, .jp-RenderedMarkdown"):
        if el.name in ("h1", "h2", "h3") and el.get("id"):
            current = {"page": lesson.page, "id": el["id"], "lesson": lesson.number,
                       "title": _heading_text(el), "text": ""}
            entries.append(current)
        elif current is not None and el.name in ("p", "ul", "ol", "table", "blockquote"):
            current["text"] += " " + " ".join(_text_with_maths(el).split())
    for e in entries:
        e["text"] = e["text"].strip()
    return entries


# ---------------------------------------------------------------------------- site pages
def course_map_rows() -> list[dict[str, str]]:
    """README.md's course map: one dict per row, column name -> Markdown text."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Course map", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
            for line in rows[2:]]


def _inline_markdown(text: str, pages: dict[str, str]) -> str:
    import mistune

    html = mistune.html(text).strip()
    html = re.sub(r"^<p>|</p>$", "", html)

    def link(m):
        href, label = m.group(1), m.group(2)
        name = href.rsplit("/", 1)[-1]
        if name in pages:
            return f'<a href="{pages[name]}">{label}</a>'
        return f"{label} (<code>{htmlmod.escape(href)}</code>)"

    return re.sub(r'<a href="([^"]+)">(.*?)</a>', link, html)


def page_html(title: str, body: str, scripts: str = "") -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{htmlmod.escape(title)}</title>"
            f'<link rel="stylesheet" href="site.css"></head><body class="site-page plain">'
            f"{body}{scripts}</body></html>\n")


def write_index(out_dir: Path, lessons: list[Lesson], banks) -> None:
    pages = {les.path.name: les.page for les in lessons}
    rows = []
    for row in course_map_rows():
        number = re.search(r"\b(\d\d)\b", row["lesson"]).group(1)
        quiz = banks.get(number)
        n_quiz = len(quiz.quiz_questions()) if quiz else 0
        rows.append(
            f'<tr data-lesson="{number}"><td>{_inline_markdown(row["lesson"], pages)}</td>'
            f'<td>{_inline_markdown(row["what you learn"], pages)}</td>'
            f'<td>{_inline_markdown(row["data"], pages)}</td><td>{htmlmod.escape(row["time"])}'
            f'</td><td>{f"{n_quiz} questions" if n_quiz else ""}</td>'
            f'<td>{_inline_markdown(row.get("exercise", ""), pages)}</td></tr>')
    first = lessons[0]
    body = (
        header_html("Course map")
        + '<main class="index"><h1>Customer Relationship Marketing: a Jupyter workbook course'
        "</h1><p>Read every lesson here, in order, without Jupyter and without a network: the "
        "text, the code and its saved output, each what-if figure at the lesson's settings, "
        "and each end-of-lesson quiz as a self-test with its answers behind a click. To run "
        "the code, move the sliders and have your quiz marked, open the course in JupyterLab "
        "(<code>make lab</code>); the graded workbooks live there too.</p>"
        f'<p class="start"><a href="{first.page}">Start with {first.number} '
        f"{htmlmod.escape(first.short)} →</a></p>"
        "<h2 id=\"course-map\">Course map</h2><table class=\"course-map\"><thead><tr>"
        "<th>lesson</th><th>what you learn</th><th>data</th><th>time</th><th>quiz</th>"
        f"<th>workbook (JupyterLab)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</main>")
    (out_dir / "index.html").write_text(page_html(SITE, body), encoding="utf-8")


SEARCH_JS = r"""
(function () {
  var q = new URLSearchParams(window.location.search).get("q") || "";
  var box = document.getElementById("q"), list = document.getElementById("results");
  box.value = q;
  function esc(s) { return s.replace(/[&<>"]/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
  function run(query) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    list.innerHTML = "";
    if (!terms.length) { return; }
    var hits = [];
    window.SEARCH_INDEX.forEach(function (e) {
      var title = e.title.toLowerCase(), text = e.text.toLowerCase(), score = 0;
      for (var i = 0; i < terms.length; i++) {
        var t = terms[i], inTitle = title.indexOf(t) >= 0, at = text.indexOf(t);
        if (!inTitle && at < 0) { return; }
        score += (inTitle ? 10 : 0) + (text.split(t).length - 1);
      }
      hits.push([score, e]);
    });
    hits.sort(function (a, b) { return b[0] - a[0]; });
    document.getElementById("count").textContent =
      hits.length + (hits.length === 1 ? " section" : " sections") + " found";
    hits.slice(0, 50).forEach(function (h) {
      var e = h[1], at = Math.max(0, e.text.toLowerCase().indexOf(terms[0]) - 80);
      var li = document.createElement("li");
      var name = e.title.indexOf(e.lesson) === 0 ? e.title : e.lesson + " · " + e.title;
      li.innerHTML = '<a href="' + e.page + '#' + encodeURIComponent(e.id) + '">' +
        esc(name) + "</a><p>" + (at > 0 ? "… " : "") +
        esc(e.text.substr(at, 240)) + " …</p>";
      list.appendChild(li);
    });
  }
  run(q);
  document.getElementById("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    history.replaceState(null, "", "?q=" + encodeURIComponent(box.value));
    run(box.value);
  });
})();
"""


def write_search(out_dir: Path, entries: list[dict]) -> None:
    (out_dir / "search-index.js").write_text(
        "window.SEARCH_INDEX = " + json.dumps(entries, ensure_ascii=False) + ";\n",
        encoding="utf-8")
    (out_dir / "search.js").write_text(SEARCH_JS.lstrip(), encoding="utf-8")
    body = (header_html("Search")
            + '<main class="search-page"><h1>Search the course</h1>'
            '<form id="search-form" role="search"><input id="q" type="search" name="q" '
            'aria-label="Search the course" autofocus> <button>Search</button></form>'
            '<p id="count"></p><ol id="results"></ol>'
            "<noscript>Search needs JavaScript; the course map lists every lesson.</noscript>"
            "</main>")
    scripts = '<script src="search-index.js"></script><script src="search.js"></script>'
    (out_dir / "search.html").write_text(page_html(f"Search · {SITE}", body, scripts),
                                         encoding="utf-8")


# ---------------------------------------------------------------------------- build
def start_what_ifs(lessons: list[Lesson], json_path: Path):
    """Draw the what-ifs' default figures in another process while the pages render."""
    paths = [str(les.path) for les in lessons if les.what_if_cells()]
    if not paths:
        return None
    # One BLAS/OpenMP thread: the pages render on the other core (k-means took 2.4 times
    # as long with a thread per core on a busy machine).
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           **os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, str(TOOLS / "site_whatif.py"), str(json_path),
                             *paths], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def build(out_dir: Path, paths: list[Path]) -> list[Path]:
    from crmlib.quiz.bank import load_banks

    start = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    lessons = [Lesson(p) for p in sorted(paths, key=lambda p: p.name)]
    banks = load_banks()
    maths = Maths(out_dir)
    entries: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / "what-if.json"
        worker = start_what_ifs(lessons, json_path)
        pages = [render(les, lessons, banks, maths, entries) for les in lessons]
        write_index(out_dir, lessons, banks)
        write_search(out_dir, entries)
        drawn: dict = {}
        if worker is not None:
            try:
                _, err = worker.communicate(timeout=WHAT_IF_TIMEOUT)
            except subprocess.TimeoutExpired:
                worker.kill()
                _, err = worker.communicate()
                err = f"took over {WHAT_IF_TIMEOUT} s, stopped"
            if worker.returncode != 0:
                print(f"what-if figures: the drawing process failed:\n{err}", file=sys.stderr)
            else:
                drawn = json.loads(json_path.read_text(encoding="utf-8"))
    for name, cells in drawn.items():
        for index, result in cells.items():
            if result.get("error"):
                print(f"{name} cell {index}: what-if not drawn: {result['error']}",
                      file=sys.stderr)
            else:
                print(f"{name} cell {index}: what-if drawn after {result['cells_run'] - 1} "
                      f"cells it needs, {result['seconds']} s", file=sys.stderr)
    written = []
    for les, page in zip(lessons, pages, strict=True):
        target = out_dir / les.page
        target.write_text(fill_what_ifs(page, les, drawn.get(les.path.name, {})),
                          encoding="utf-8")
        written.append(target)
    (out_dir / "site.css").write_text((TOOLS / "site.css").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    for tex in maths.failed:
        print(f"maths shown as TeX (mathtext cannot draw it): {tex}", file=sys.stderr)
    print(f"{len(written)} lessons, {len(maths.done)} formulas, "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return written


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    for page in build(Path(argv[0]), [Path(a) for a in argv[1:]]):
        print(page)
    print(Path(argv[0]) / "index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
