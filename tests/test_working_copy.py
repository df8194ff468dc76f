"""`make lab` opens a git-ignored working copy, so using the course never dirties it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from crmlib import lab as crm_lab
from crmlib.lab import ensure_working_copy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

from execute_notebooks import WIDGET, execute, placeholders  # noqa: E402


@pytest.fixture
def course(tmp_path):
    """A small course tree: two lessons and a workbook."""
    for folder, names in (("notebooks", ["00_a.ipynb", "01_b.ipynb"]),
                          ("exercises", ["01_b_exercise.ipynb"])):
        (tmp_path / folder).mkdir()
        for name in names:
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")])
            nbformat.write(nb, tmp_path / folder / name)
    return tmp_path


def test_first_run_copies_every_notebook(course):
    added = ensure_working_copy(course, course / "my-work")
    originals = sorted(p.relative_to(course) for f in ("notebooks", "exercises")
                       for p in (course / f).glob("*.ipynb"))
    assert sorted(p.relative_to(course / "my-work") for p in added) == originals
    for rel in originals:
        assert (course / "my-work" / rel).read_bytes() == (course / rel).read_bytes()
    assert (course / "my-work" / "README.md").exists()


def test_a_learners_copy_is_never_overwritten_and_new_lessons_arrive(course):
    work = course / "my-work"
    ensure_working_copy(course, work)
    mine = work / "notebooks" / "00_a.ipynb"
    mine.write_text(mine.read_text().replace("# 00_a.ipynb", "# my notes"))
    # Upstream changes the lesson and adds one (a git pull).
    original = course / "notebooks" / "00_a.ipynb"
    original.write_text(original.read_text().replace("# 00_a.ipynb", "# revised"))
    shutil.copy(original, course / "notebooks" / "02_c.ipynb")
    added = ensure_working_copy(course, work)
    assert added == [work / "notebooks" / "02_c.ipynb"]
    assert "# my notes" in mine.read_text()
    # Deleting a copy gets a fresh one.
    mine.unlink()
    assert ensure_working_copy(course, work) == [mine] and "# revised" in mine.read_text()


def test_the_working_copy_is_ignored_by_git():
    out = subprocess.run(["git", "check-ignore", "-q", "my-work/notebooks/00_start_here.ipynb"],
                         cwd=REPO, capture_output=True)
    assert out.returncode == 0, "my-work/ must be in .gitignore"


def test_make_lab_runs_crm_lab():
    """make lab is crm lab (which works without make), LAB_ARGS passed to JupyterLab."""
    out = subprocess.run(["make", "-n", "lab", "LAB_ARGS=--no-browser"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    (line,) = [line.split() for line in out.splitlines() if " lab" in line]
    assert line[0].endswith("/crm") and line[1:] == ["lab", "--", "--no-browser"], line


def test_crm_lab_opens_the_working_copy_at_the_first_lesson(course):
    work = course / "my-work"
    ensure_working_copy(course, work)
    cmd = crm_lab.lab_command(work, port=8899, browser=False, as_root=False,
                              extra=["--IdentityProvider.token=t"])
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={work}" in cmd
    assert "--LabApp.default_url=/lab/tree/notebooks/00_a.ipynb" in cmd
    assert "--no-browser" in cmd and "--port=8899" in cmd
    assert cmd[-1] == "--IdentityProvider.token=t"
    assert "--allow-root" not in cmd


def test_allow_root_only_for_root_on_posix(monkeypatch, course):
    monkeypatch.setattr(crm_lab.os, "geteuid", lambda: 0, raising=False)
    assert crm_lab.running_as_root() and "--allow-root" in crm_lab.lab_command(course)
    monkeypatch.setattr(crm_lab.os, "geteuid", lambda: 1000, raising=False)
    assert not crm_lab.running_as_root() and "--allow-root" not in crm_lab.lab_command(course)
    monkeypatch.delattr(crm_lab.os, "geteuid", raising=False)  # Windows has none
    assert not crm_lab.running_as_root() and "--allow-root" not in crm_lab.lab_command(course)


def test_the_course_is_found_from_the_checkout_or_the_current_folder(course, tmp_path_factory):
    assert crm_lab.course_dir() == REPO  # this checkout, wherever crm runs from
    assert crm_lab.course_dir(course) == course.resolve()
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(crm_lab.LabError, match="--course"):
        crm_lab.course_dir(empty)


def test_placeholders_replace_widget_outputs():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("quiz")])
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={WIDGET: {"model_id": "x", "version_major": 2, "version_minor": 0},
                              "text/plain": "VBox(...)"})]
    assert placeholders(nb) == 1
    data = nb.cells[0].outputs[0]["data"]
    assert WIDGET not in data and "Run All Cells" in data["text/html"]


@pytest.mark.slow  # starts a kernel
def test_execute_saves_an_interact_cell_as_a_placeholder_without_widget_state(tmp_path):
    # ipywidgets.interact draws into an Output widget; nbclient's hook for it needs
    # the widget state while running, and the saved notebook must not keep it.
    path = tmp_path / "what_if.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from ipywidgets import interact\n"
        "@interact(x=(0, 10))\n"
        "def show(x=3):\n"
        "    print('x is', x)\n")]), path)
    execute(path)
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    outputs = nb.cells[0].outputs
    assert outputs and all(WIDGET not in o.get("data", {}) for o in outputs)
    assert any("Run All Cells" in o.get("data", {}).get("text/plain", "") for o in outputs)


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: p.name)
def test_committed_notebooks_show_placeholders_not_missing_widgets(path):
    """Without stored widget state, JupyterLab would say 'Error displaying widget'."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            assert WIDGET not in out.get("data", {}), "".join(cell["source"])[:60]
    quiz_cells = [c for c in nb["cells"] if c["cell_type"] == "code"
                  and ("quiz(" in "".join(c["source"]) or "Flashcards(" in "".join(c["source"]))]
    for cell in quiz_cells:
        assert any("interactive" in str(o.get("data", {})) for o in cell["outputs"])


def test_review_page_has_no_developer_text():
    """The review notebook is also the Voila app: no settings, commands or build talk."""
    nb = json.loads((REPO / "notebooks" / "07_review.ipynb").read_text())
    text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for developer in ("CRM_PROGRESS", "environment variable", "crm cards", "crm quiz",
                      "when the notebook runs", "terminal"):
        assert developer not in text, developer
