"""The README's course map tells the truth about the lessons and workbooks that exist."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest
from support import REPO

LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def course_map() -> dict[str, dict[str, str]]:
    """Rows of the README's course map, by lesson number: column name -> cell text."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Course map", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    out = {}
    for line in rows[2:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        number = re.search(r"\b(\d\d)\b", cells["lesson"]).group(1)
        out[number] = cells
    return out


def lesson_time(path) -> str:
    first = nbformat.read(path, as_version=4).cells[0].source
    return re.search(r"\*\*Time:\*\*\s*([^·\n]+)", first).group(1).strip()


def test_the_map_lists_exactly_the_lessons_that_exist():
    assert sorted(course_map()) == [p.name[:2] for p in LESSONS]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_row_links_its_lesson_and_gives_its_time(path):
    row = course_map()[path.name[:2]]
    assert {"lesson", "what you learn", "data", "time", "exercise"} <= set(row)
    targets = [target for _, target in LINK.findall(row["lesson"])]
    assert f"notebooks/{path.name}" in targets
    assert row["time"] == lesson_time(path), "README time differs from the lesson's title cell"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_exercise_column_links_the_workbook_when_it_exists(path):
    row = course_map()[path.name[:2]]
    workbooks = sorted((REPO / "exercises").glob(f"{path.name[:2]}_*_exercise.ipynb"))
    targets = [t for _, t in LINK.findall(row["exercise"])]
    assert targets == [f"exercises/{w.name}" for w in workbooks]


def test_every_link_in_the_map_resolves():
    for row in course_map().values():
        for cell in row.values():
            for _, target in LINK.findall(cell):
                assert (REPO / target).exists(), target


@pytest.mark.parametrize("path", [p for p in LESSONS if p.name[:2] != "07"], ids=lambda p: p.name)
def test_each_lesson_links_the_next_one(path):
    nb = nbformat.read(path, as_version=4)
    following = LESSONS[LESSONS.index(path) + 1]
    links = [t for c in nb.cells if c.cell_type == "markdown" for _, t in LINK.findall(c.source)]
    assert following.name in links, f"{path.name} has no link to {following.name}"


@pytest.mark.slow
def test_make_html_renders_a_lesson_with_described_figures(tmp_path):
    lesson = REPO / "notebooks" / "00_start_here.ipynb"
    subprocess.run([sys.executable, str(REPO / "tools" / "render_html.py"), str(tmp_path),
                    str(lesson)], check=True, capture_output=True)
    html = (tmp_path / "00_start_here.html").read_text(encoding="utf-8")
    n_figures = sum("image/png" in o.get("data", {})
                    for c in nbformat.read(lesson, as_version=4).cells if c.cell_type == "code"
                    for o in c.outputs)
    assert n_figures and html.count("<img") >= n_figures
    assert "No description has been provided" not in html
    assert 'alt="Figure: Harbor Coffee: monthly revenue by channel' in html
