"""Every number a lesson's prose states is shown by some cell of that lesson.

When the data change and the lessons are re-executed, the outputs move and the
markdown does not: this test lists every prose number that no output and no
code constant shows any more, with its cell and sentence. The rules (what
counts as shown, how rounding and percentages are allowed for, what is exempt)
are in the docstring of ``tools/prose_numbers.py``; the numbers no cell can
show are in ``tests/prose_numbers_allowlist/<lesson>.yml``, each with its reason.

To fix a failure: update the prose to what the cell now shows, or show the
number in a cell (an output or a named constant); add an allowlist entry only
for what no cell can show (a published figure cited elsewhere, a chart
reading, a setting the reader is asked to try), or as a ``derived`` entry that
recomputes it from shown numbers. See CONTRIBUTING.md, "Re-executing notebooks".
"""

from __future__ import annotations

import importlib.util
import sys
import warnings

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from support import REPO

_spec = importlib.util.spec_from_file_location("prose_numbers", REPO / "tools" / "prose_numbers.py")
prose_numbers = importlib.util.module_from_spec(_spec)
sys.modules["prose_numbers"] = prose_numbers
_spec.loader.exec_module(prose_numbers)

NOTEBOOKS = sorted(
    str(p.relative_to(REPO))
    for folder in ("notebooks", "solutions")
    for p in (REPO / folder).glob("*.ipynb")
)


@pytest.fixture(scope="module")
def allowlist() -> dict[str, list[dict]]:
    return prose_numbers.load_allowlist()


def test_allowlist_names_only_existing_notebooks(allowlist):
    assert sorted(set(allowlist) - set(NOTEBOOKS)) == []


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_prose_numbers_are_shown(path, allowlist):
    report = prose_numbers.check(REPO / path, allowlist.get(path, []), name=path, root=REPO)
    for finding in report.findings:
        warnings.warn(f"prose number no cell shows yet: {finding}", stacklevel=1)
    assert not report.problems, (
        f"{len(report.problems)} prose numbers of {path} are not shown by any cell, or the "
        "allowlist is stale. Update the prose to what the cell shows, or show the number in a "
        "cell; allowlist only what no cell can show (tests/prose_numbers_allowlist/):\n"
        + "\n".join(report.problems)
    )


# --------------------------------------------------------------------------- the checker itself


def lesson(markdown: str, output: str = "", code: str = "x = 1", *more: str):
    """A two-cell notebook: one code cell printing `output`, then the markdown."""
    nb = new_notebook()
    cell = new_code_cell(code)
    if output:
        cell.outputs = [new_output("stream", name="stdout", text=output)]
    nb.cells = [cell, new_markdown_cell(markdown), *(new_markdown_cell(m) for m in more)]
    return nb


def problems(nb, allowlist=None) -> list[str]:
    return prose_numbers.check("lesson.ipynb", allowlist or [], nb=nb, name="lesson.ipynb").problems


def statuses(nb) -> dict[str, str]:
    report = prose_numbers.check("lesson.ipynb", [], nb=nb, name="lesson.ipynb")
    return {pn.text: pn.status for pn in report.numbers}


def test_a_stale_number_fails():
    assert problems(lesson("The push brought 472 extra sign-ups.", "extra sign-ups: 472")) == []
    found = problems(lesson("The push brought 472 extra sign-ups.", "extra sign-ups: 503"))
    assert len(found) == 1 and "cell 1: 472" in found[0] and "brought 472 extra" in found[0]


def test_a_number_off_by_one_in_its_last_digit_fails():
    assert problems(lesson("Recall rose to 0.928.", "recall 0.927")) != []
    assert problems(lesson("Recall rose to 0.928.", "recall 0.9284")) == []
    assert problems(lesson("A lift of 1.55 by week four.", "1.56")) != []
    assert problems(lesson("It cost \\$14,588.", "cost $14,589")) != []


def test_a_rounded_number_passes():
    assert problems(lesson("The fitted decay is 0.70, the lift 31.2 points.", "0.7003 31.18")) == []
    assert problems(lesson("About \\$2,600 of margin.", "margin 2612.4")) == []
    # "about" keeps the number's own significant digits: 1,650 has three.
    assert problems(lesson("about 1,650 purchases", "1647")) == []
    assert problems(lesson("about 1,650 purchases", "1640")) != []
    # Without "about", every written digit counts.
    assert problems(lesson("It cost \\$2,600.", "cost 2612")) != []


def test_a_share_and_its_percent_match_each_other():
    assert problems(lesson("48% of them bought again.", "share 0.4803")) == []
    assert problems(lesson("48% of them bought again.", "48.03")) == []
    assert problems(lesson("a share of 0.48", "48%")) == []
    # A plain number is not scaled: 0.48 does not show "48 customers".
    assert problems(lesson("48 customers bought again.", "0.48")) != []


def test_a_cited_published_figure_passes():
    nb = lesson("Reinartz and Kumar (2002) found that 43% of them were unprofitable.")
    assert problems(nb) == []
    assert statuses(nb)["43%"] == "exempt: cited"
    nb = lesson("Fader, Hardie and Lee 2005 report r = 0.243 and LL -9582.4.")
    assert problems(nb) == []
    # The citation covers its own sentence only.
    assert problems(lesson("Ascarza (2018) says so. Our lift is 0.072.")) != []


def test_dates_small_counts_and_structure_are_not_required():
    nb = lesson(
        "## 3. Four agents\n\nOn 7 October 2024 at 18:00 (see lesson 04 and section 2) "
        "we used 5 agents in Q1 for weeks 40..78, from 2025-07-01."
    )
    assert problems(nb) == []
    found = statuses(nb)
    assert found["5"] == "exempt: small count" and found["2024"] == "exempt: date"
    assert "04" not in found and "3" not in found and "1" not in found  # lesson, heading, Q1
    law = lesson("Erasure (GDPR Art. 17) and accuracy (Article 5(1)(d)) are duties of 97 firms.")
    assert "17" not in statuses(law) and "5" not in statuses(law)
    assert len(problems(law)) == 1 and "97" in problems(law)[0]  # a quantity still counts


def test_math_code_and_links_are_not_prose():
    nb = lesson(
        "The multiple $r / (1 + i - r)$ with `margin_multiple(0.9, 0.10)` and "
        "[a link](https://example.com/2718)."
    )
    assert statuses(nb) == {}
    # An inline code span that holds only a number is read as that number.
    assert problems(lesson("such as `545`")) != []


def test_a_constant_in_the_code_shows_a_number():
    nb = lesson("Agents cost \\$25 an hour.", code="AGENT_HOUR = 25.0  # dollars")
    assert statuses(nb) == {"$25": "code"}
    # The look of a figure is not a number of the lesson.
    assert problems(lesson("TV costs \\$40 a point.", code="ax.scatter(x, y, s=40)")) != []


def test_short_numbers_must_be_shown_in_their_own_section():
    nb = lesson("## 1. One\n\n46 leads.", "46 leads")
    nb.cells += [new_markdown_cell("## 2. Two\n\nAgain 46 leads, and 4,448 pairs.")]
    nb.cells[0].outputs[0]["text"] = "46 leads, 4448 pairs"
    assert [p.split(":")[2].strip() for p in problems(nb)] == ["46 is not shown by any cell"]
    nb.cells += [new_markdown_cell("## Take-aways\n\n46 leads.")]
    assert len(problems(nb)) == 1  # the take-aways may point anywhere


def test_allowlist_entries_are_checked_and_go_stale():
    nb = lesson("Moving the spots saves 68 calls; about 77 extra.", "lost 338, moved 270")
    derived = {"number": "68", "context": "saves 68 calls", "derived": "338 - 270"}
    chart = {"number": "77", "context": "about 77 extra", "reason": "read off the chart"}
    assert problems(nb, [derived, chart]) == []
    # A derivation whose inputs moved fails like a shown number.
    moved = lesson("Moving the spots saves 68 calls; about 77 extra.", "lost 338, moved 266")
    assert any("338 - 270" in p for p in problems(moved, [derived, chart]))
    # An entry whose number left the prose is stale.
    gone = lesson("Moving the spots saves 72 calls; about 77 extra.", "lost 338, moved 266")
    assert any("no longer occurs" in p for p in problems(gone, [derived, chart]))
    # An entry a cell already covers is not needed.
    shown = lesson("about 77 extra", "77 extra")
    assert any("not needed" in p for p in problems(shown, [chart]))
    # An entry needs exactly one way of accounting for its number.
    assert any("exactly one" in p for p in problems(nb, [{"number": "77", "context": "77"}]))


def test_committed_notebooks_are_read():
    """The checker sees the prose of every lesson (guards against a parser that finds nothing)."""
    seen = {
        path: len(prose_numbers.extract_prose(path, nbformat.read(REPO / path, as_version=4)))
        for path in NOTEBOOKS
        if path.startswith("notebooks/") and not path.startswith("notebooks/07")
    }
    assert all(n >= 10 for n in seen.values()), seen


@pytest.mark.parametrize("dollar", ["<span>&#36;</span>", "&#36;", "\\$"])
def test_a_dollar_written_as_lessons_write_it_is_a_dollar(dollar):
    """Lessons write money as <span>&#36;</span>: JupyterLab typesets a pair of bare,
    escaped or entity dollar signs as maths."""
    nb = new_notebook(cells=[new_markdown_cell(
        f"It costs about {dollar}2,600, and {dollar}70 against {dollar}66.")])
    found = [(p.text, p.value) for p in prose_numbers.extract_prose("x.ipynb", nb)]
    assert found == [("$2,600", 2600.0), ("$70", 70.0), ("$66", 66.0)]


def test_a_reference_list_states_no_findings():
    nb = new_notebook(cells=[new_markdown_cell("It rose by 27%."), new_markdown_cell(
        "## References\n\n- Fader, P. S. (2005). Counting. *Marketing Science* 24(2), 275-284.")])
    assert [p.text for p in prose_numbers.extract_prose("x.ipynb", nb)] == ["27%"]
