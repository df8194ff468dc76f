"""Every lesson is written for people: objectives first, take-aways last, clean outputs."""

from __future__ import annotations

import re

import nbformat
import pytest
from support import REPO

LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_first_lesson_exists():
    assert REPO / "notebooks" / "00_start_here.ipynb" in LESSONS


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_layout(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(r"# \d\d · ", first.source), "title cell: '# NN · Title'"
    assert "**Time:**" in first.source and "By the end of this lesson you can" in first.source
    # Take-aways, the quiz, Going further and References: tests/test_lesson_conventions.py


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_widget_outputs_are_not_compared_and_state_is_not_stored(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        widget = any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                     for o in cell.outputs)
        if widget:
            assert "nbval-ignore-output" in cell.metadata.get("tags", []), cell.source[:60]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_is_committed_with_clean_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "run all before committing"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "cells must be run top to bottom, once"
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"error output in: {cell.source[:60]}"
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert "/work/" not in text and "/root/" not in text and "/home/" not in text
            assert out.output_type != "stream" or out.name != "stderr", "warning in output"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_figure_has_title_and_axis_labels(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or not any(
            "image/png" in o.get("data", {}) for o in cell.outputs
        ):
            continue
        src = cell.source
        assert "set_title(" in src or "suptitle(" in src, f"untitled figure: {src[:60]}"
        assert "set_xlabel(" in src and "set_ylabel(" in src, f"unlabelled axes: {src[:60]}"
