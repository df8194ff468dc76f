"""Notebook handling for workbooks: exercises from solutions, reading submissions,
injecting the grader's parameters.

Solutions mark what a student must write in three ways:

* a line ending in ``# SOLUTION`` that assigns (``answer_q1 = ...  # SOLUTION``)
  keeps its left-hand side: ``answer_q1 = ...  # your answer``;
* lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` become one
  ``# your code here`` line at the same indentation;
* a cell tagged ``solution`` becomes ``# your code here`` (code) or
  ``*Your answer here.*`` (markdown).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)  # see crmlib.grading._runner

import nbformat  # noqa: E402

from crmlib.atomic import PUBLIC, write_atomic  # noqa: E402
from crmlib.errors import CourseError  # noqa: E402

STUB_LINE = "# your code here"
STUB_MARKDOWN = "*Your answer here.*"
PARAMETERS = ("student_id", "variant", "answers_path", "graded")
_MARKED = re.compile(r"^(\s*)([A-Za-z_][\w\[\]'\".]*)\s*=.*#\s*SOLUTION\s*$")
_BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")


class NotebookProblem(CourseError, ValueError):
    """A notebook cannot be used (the message says why, for the student or author)."""


def stub_source(source: str, where: str = "cell") -> str:
    """The exercise version of a solution cell's source.

    Examples
    --------
    >>> print(stub_source("x = 1\\nanswer = x + 1  # SOLUTION\\nwb.q1.check(answer)"))
    x = 1
    answer = ...  # your answer
    wb.q1.check(answer)
    >>> print(stub_source("# BEGIN SOLUTION\\ny = 2\\n# END SOLUTION\\nprint(3)"))
    # your code here
    print(3)
    """
    out, inside, indent = [], False, ""
    for number, line in enumerate(source.splitlines(), 1):
        if inside:
            if _END.match(line):
                inside = False
                out.append(f"{indent}{STUB_LINE}")
            elif _BEGIN.match(line):
                raise NotebookProblem(f"{where}, line {number}: BEGIN SOLUTION inside another")
            continue
        begin = _BEGIN.match(line)
        if begin:
            inside, indent = True, begin.group(1)
            continue
        if _END.match(line):
            raise NotebookProblem(f"{where}, line {number}: END SOLUTION without BEGIN")
        marked = _MARKED.match(line)
        if marked:
            out.append(f"{marked.group(1)}{marked.group(2)} = ...  # your answer")
        elif re.search(r"#\s*SOLUTION\s*$", line):
            raise NotebookProblem(f"{where}, line {number}: '# SOLUTION' marks an assignment "
                                  "(name = value) only")
        else:
            out.append(line)
    if inside:
        raise NotebookProblem(f"{where}: BEGIN SOLUTION is never closed by END SOLUTION")
    return "\n".join(out)


def build_exercise(solution: nbformat.NotebookNode, name: str = "notebook"
                   ) -> nbformat.NotebookNode:
    """The exercise notebook of a solution notebook: stubs in place of solutions, no outputs.

    Raises
    ------
    NotebookProblem
        Unbalanced markers, or not exactly one ``parameters`` cell.
    """
    params = [i for i, c in enumerate(solution.cells)
              if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(params) != 1:
        raise NotebookProblem(f"{name}: needs exactly one cell tagged 'parameters', "
                              f"found {len(params)}")
    source = solution.cells[params[0]].source
    missing = [p for p in PARAMETERS if not re.search(rf"^{p}\s*=", source, re.M)]
    if missing:
        raise NotebookProblem(f"{name}: the parameters cell does not set {missing}")
    cells = []
    for i, cell in enumerate(solution.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        where = f"{name}, cell {i}"
        metadata = {"tags": [t for t in tags if t != "solution"]} if tags else {}
        if metadata.get("tags") == []:
            metadata = {}
        if cell.cell_type == "code":
            text = STUB_LINE if "solution" in tags else stub_source(cell.source, where)
            cells.append(nbformat.v4.new_code_cell(text, metadata=metadata))
        elif cell.cell_type == "markdown":
            text = STUB_MARKDOWN if "solution" in tags else cell.source
            cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata))
        else:
            cells.append(nbformat.v4.new_raw_cell(cell.source, metadata=metadata))
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    metadata = {k: solution.metadata[k] for k in ("kernelspec", "language_info")
                if k in solution.metadata}
    metadata.pop("language_info", None)
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def exercise_name(solution_path: Path) -> str:
    """``04_rfm_solution.ipynb`` -> ``04_rfm_exercise.ipynb``."""
    stem = solution_path.stem
    if not stem.endswith("_solution"):
        raise NotebookProblem(f"{solution_path}: a solution's name ends in _solution.ipynb")
    return stem.removesuffix("_solution") + "_exercise.ipynb"


def expected_exercises(solutions_dir: Path) -> dict[str, str]:
    """The exercise files (name -> text) the solutions folder generates."""
    out = {}
    for path in sorted(Path(solutions_dir).glob("*_solution.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:
            raise NotebookProblem(f"{path}: not a readable notebook ({err})") from err
        out[exercise_name(path)] = nbformat.writes(build_exercise(nb, str(path))) + "\n"
    return out


def build_exercises(solutions_dir: Path, exercises_dir: Path) -> list[Path]:
    """Write every exercise notebook from its solution; all or nothing."""
    texts = expected_exercises(solutions_dir)  # raises before anything is written
    exercises_dir = Path(exercises_dir)
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = exercises_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text, mode=PUBLIC)  # course files, committed
            written.append(path)
    return written


def check_exercises(solutions_dir: Path, exercises_dir: Path) -> list[str]:
    """Problems where ``exercises/`` is not what the solutions generate (empty: in step)."""
    texts = expected_exercises(solutions_dir)
    exercises_dir = Path(exercises_dir)
    problems = []
    for name, text in texts.items():
        path = exercises_dir / name
        if not path.exists():
            problems.append(f"{path}: missing (run `crm exercises build`)")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: differs from what its solution generates "
                            "(edit the solution, then run `crm exercises build`)")
    for path in sorted(exercises_dir.glob("*_exercise.ipynb")):
        if path.name not in texts:
            problems.append(f"{path}: no solution generates it")
    return problems


# --------------------------------------------------------------------------- submissions
MAX_NOTEBOOK_BYTES = 20 * 2**20   # default cap on a submission once its outputs are dropped
MAX_FILE_BYTES = 256 * 2**20      # a handed-in file bigger than this is not read at all


def _drop_outputs(data: dict) -> dict:
    """The notebook's JSON without code cells' outputs and execution counts (in place)."""
    for cell in data.get("cells", []) if isinstance(data.get("cells"), list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return data


def compact(raw: bytes) -> bytes:
    """A handed-in file as the grader keeps it: unchanged up to :data:`MAX_NOTEBOOK_BYTES`;
    bigger, the notebook without its outputs (never run: the grader runs the code again),
    or, when it is not a notebook that can be read, its first bytes only (refused later).

    Examples
    --------
    >>> big = json.dumps({"cells": [{"cell_type": "code", "source": "1", "metadata": {},
    ...     "outputs": [{"output_type": "stream", "name": "stdout",
    ...                  "text": "x" * MAX_NOTEBOOK_BYTES}], "execution_count": 1}],
    ...     "nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode()
    >>> len(compact(big)) < 1000
    True
    """
    if len(raw) <= MAX_NOTEBOOK_BYTES:
        return raw
    if len(raw) <= MAX_FILE_BYTES:
        try:
            data = json.loads(raw.decode("utf-8"))
            if isinstance(data, dict):
                return json.dumps(_drop_outputs(data), ensure_ascii=False).encode("utf-8")
        except (UnicodeDecodeError, ValueError, RecursionError):
            pass
    return raw[:MAX_NOTEBOOK_BYTES + 1]


def read_submission(raw: bytes, max_bytes: int = MAX_NOTEBOOK_BYTES,
                    drop_outputs: bool = False) -> nbformat.NotebookNode:
    """Parse a submitted file as a version 4 notebook, with a reason a student can act on.

    Parameters
    ----------
    raw : bytes
        The file.
    max_bytes : int
        The largest notebook allowed (without its outputs when ``drop_outputs``).
    drop_outputs : bool
        Drop the code cells' outputs first (a submission is run again: its outputs are
        never used, and a big figure must not make it too big).

    Raises
    ------
    NotebookProblem
        Empty, too big, not JSON, not a notebook, or a notebook format other than 4.
    """
    if not raw.strip():
        raise NotebookProblem("the file is empty: save the notebook in Jupyter and hand it "
                              "in again")
    too_big = (f"the file is larger than the {max_bytes / 2**20:g} MiB allowed"
               + (" even without its outputs" if drop_outputs else "")
               + ": remove large cells (data or pictures pasted into the notebook), then "
               "hand it in again")
    if len(raw) > max(max_bytes, MAX_FILE_BYTES if drop_outputs else 0):
        raise NotebookProblem(too_big)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        if len(raw) > max_bytes:  # cut short when it was read
            raise NotebookProblem(too_big) from None
        raise NotebookProblem(f"the file is not a Jupyter notebook (not valid JSON: "
                              f"{str(err)[:80]}); hand in the .ipynb file itself") from None
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise NotebookProblem("the file is JSON but not a Jupyter notebook (no cells or "
                              "nbformat field)")
    if data.get("nbformat") != 4:
        raise NotebookProblem(f"the notebook is in format {data.get('nbformat')!r}; the grader "
                              "reads format 4 (save it with a current Jupyter)")
    text = json.dumps(_drop_outputs(data) if drop_outputs else data)
    if drop_outputs and len(text.encode("utf-8")) > max_bytes:
        raise NotebookProblem(too_big)
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:
        raise NotebookProblem(f"the notebook's structure is damaged ({str(err)[:120]}); "
                              "download the exercise again and copy your answers in") from None
    if not any(c.cell_type == "code" for c in nb.cells):
        raise NotebookProblem("the notebook has no code cells")
    return nb


def inject_parameters(nb: nbformat.NotebookNode, params: dict) -> list[str]:
    """Put the grader's parameters in, papermill's way; returns notes for the student.

    The injected cell (tag ``injected-parameters``) goes right after the last
    ``parameters`` cell, or first when there is none, so the grader's values win
    over the student's. Cells already tagged ``injected-parameters`` are removed.
    """
    notes = []
    before = len(nb.cells)
    nb.cells = [c for c in nb.cells
                if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    if len(nb.cells) != before:
        notes.append("a cell tagged injected-parameters was removed; the grader sets the "
                     "parameters")
    for cell in nb.cells:
        cell.pop("id", None) if nb.nbformat_minor < 5 else None
    positions = [i for i, c in enumerate(nb.cells)
                 if "parameters" in c.get("metadata", {}).get("tags", [])]
    text = "# Parameters injected by the grader\n" + "\n".join(
        f"{name} = {value!r}" for name, value in params.items())
    cell = nbformat.v4.new_code_cell(text, metadata={"tags": ["injected-parameters"]})
    if nb.nbformat_minor < 5:
        cell.pop("id", None)
    if positions:
        nb.cells.insert(positions[-1] + 1, cell)
    else:
        nb.cells.insert(0, cell)
        notes.append("the parameters cell is missing; the grader put its parameters first")
    return notes
