"""The grader's parts that need no kernel: exercises from solutions, reading submissions,
parameters, names and rosters, the gradebook and the reports."""

from __future__ import annotations

import ast
import csv
import doctest
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import crmlib.exercises
import crmlib.grading
import crmlib.grading.batch
import crmlib.grading.notebooks
import crmlib.grading.report
from crmlib.cli import main
from crmlib.exercises import load_key
from crmlib.grading import batch, notebooks, report
from crmlib.grading.core import STATUSES, read_answers, score
from crmlib.grading.sandbox import Limits, bwrap_command

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTION = FIXTURES / "demo_repurchase_solution.ipynb"


@pytest.mark.parametrize("module", [crmlib.exercises, crmlib.grading.notebooks,
                                    crmlib.grading.batch, crmlib.grading.report])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- exercises
def test_exercise_has_stubs_no_outputs_and_no_solution_text():
    solution = nbformat.read(SOLUTION, as_version=4)
    exercise = notebooks.build_exercise(solution)
    assert len(exercise.cells) == len(solution.cells)
    code = "\n".join(c.source for c in exercise.cells if c.cell_type == "code")
    assert "# SOLUTION" not in code and "BEGIN SOLUTION" not in code
    marked = [line for c in solution.cells if c.cell_type == "code"
              for line in c.source.splitlines() if line.rstrip().endswith("# SOLUTION")]
    assert code.count("= ...  # your answer") == len(marked)
    for line in marked:  # the solution's expression is gone, its name kept
        name, expr = line.split("=", 1)
        assert expr.split("#")[0].strip() not in code
        assert f"{name.strip()} = ..." in code
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in exercise.cells if c.cell_type == "code")
    tags = [c.metadata.get("tags", []) for c in exercise.cells]
    assert tags.count(["parameters"]) == 1


def test_solution_tagged_cells_become_stubs():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('student_id = ""\nvariant = None\nanswers_path = "a"\n'
                                  'graded = False', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("secret = 42", metadata={"tags": ["solution", "keep"]}),
        nbformat.v4.new_markdown_cell("Because retention ...", metadata={"tags": ["solution"]})])
    ex = notebooks.build_exercise(nb)
    assert ex.cells[1].source == notebooks.STUB_LINE and ex.cells[1].metadata == {
        "tags": ["keep"]}
    assert ex.cells[2].source == notebooks.STUB_MARKDOWN and ex.cells[2].metadata == {}


@pytest.mark.parametrize("source, words", [
    ("# BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n# END SOLUTION", "END SOLUTION without BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
    ("print(1)  # SOLUTION", "assignment")])
def test_bad_markers_name_the_cell_and_line(source, words):
    with pytest.raises(notebooks.NotebookProblem, match=words):
        notebooks.stub_source(source, "sol.ipynb, cell 3")


def test_a_solution_needs_one_complete_parameters_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(notebooks.NotebookProblem, match="exactly one cell tagged 'parameters'"):
        notebooks.build_exercise(nb, "s.ipynb")
    nb.cells[0].metadata["tags"] = ["parameters"]
    with pytest.raises(notebooks.NotebookProblem, match="does not set"):
        notebooks.build_exercise(nb, "s.ipynb")


def test_build_then_check_detects_every_kind_of_drift(tmp_path, capsys):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    (sol / SOLUTION.name).write_bytes(SOLUTION.read_bytes())
    args = ["--solutions", str(sol), "--exercises", str(ex)]
    assert main(["exercises", "check", *args]) == 1
    assert "missing" in capsys.readouterr().err
    assert main(["exercises", "build", *args]) == 0
    target = ex / "demo_repurchase_exercise.ipynb"
    assert target.exists()
    assert main(["exercises", "check", *args]) == 0
    assert main(["exercises", "build", *args]) == 0
    assert "0 exercise notebook(s) written" in capsys.readouterr().out
    target.write_text(target.read_text().replace("your answer", "my answer"))
    assert main(["exercises", "check", *args]) == 1
    assert "differs from what its solution generates" in capsys.readouterr().err
    (ex / "stray_exercise.ipynb").write_text("{}")
    main(["exercises", "build", *args])
    assert main(["exercises", "check", *args]) == 1
    assert "no solution generates it" in capsys.readouterr().err


def test_the_courses_exercises_are_in_step_with_its_solutions(repo):
    assert notebooks.check_exercises(repo / "solutions", repo / "exercises") == []


def test_build_writes_nothing_when_a_solution_is_bad(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    (sol / SOLUTION.name).write_bytes(SOLUTION.read_bytes())
    (sol / "zz_solution.ipynb").write_text("not json")
    with pytest.raises(notebooks.NotebookProblem, match="zz_solution.ipynb"):
        notebooks.build_exercises(sol, ex)
    assert not ex.exists() or not list(ex.iterdir())


# --------------------------------------------------------------------------- submissions
def _nb_bytes(**changes) -> bytes:
    data = json.loads(SOLUTION.read_text())
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize("raw, words", [
    (b"", "empty"), (b"   \n", "empty"), (b"{ not json", "not valid JSON"),
    (b"\xff\xfe\x00", "not valid JSON"), (b'{"a": 1}', "not a Jupyter notebook"),
    (b"[1, 2]", "not a Jupyter notebook"), (_nb_bytes(nbformat=3), "format 3"),
    (_nb_bytes(nbformat=5), "format 5"), (_nb_bytes(cells="x"), "damaged"),
    (_nb_bytes(cells=[]), "no code cells")])
def test_files_that_are_not_notebooks_get_a_reason(raw, words):
    with pytest.raises(notebooks.NotebookProblem, match=words):
        notebooks.read_submission(raw)


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(notebooks.NotebookProblem, match="MiB allowed"):
        notebooks.read_submission(b"{" + b" " * 2000 + b"}", max_bytes=1000)


def test_parameters_go_after_the_parameters_cell_and_replace_fakes():
    nb = notebooks.read_submission(SOLUTION.read_bytes())
    fake = nbformat.v4.new_code_cell("graded = False", metadata={"tags": [
        "injected-parameters"]})
    nb.cells.insert(3, fake)
    notes = notebooks.inject_parameters(nb, {"student_id": "ana", "graded": True})
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags.index(["injected-parameters"]) == tags.index(["parameters"]) + 1
    assert sum(t == ["injected-parameters"] for t in tags) == 1
    assert "student_id = 'ana'\ngraded = True" in nb.cells[2].source
    assert notes and "removed" in notes[0]


def test_without_a_parameters_cell_they_go_first():
    nb = notebooks.read_submission(SOLUTION.read_bytes())
    nb.cells = [c for c in nb.cells if "parameters" not in c.metadata.get("tags", [])]
    notes = notebooks.inject_parameters(nb, {"graded": True})
    assert nb.cells[0].metadata["tags"] == ["injected-parameters"]
    assert "missing" in notes[0]


# --------------------------------------------------------------------------- answers
def test_forged_or_broken_answer_files_never_raise():
    key = load_key("demo_repurchase", [FIXTURES])
    for raw in (None, b"", b"\x00\xff", b"[]", b'{"answers": 3}', b'{"total": 8}'):
        answers, _, note = read_answers(raw)
        assert answers == {} and note
    raw = json.dumps({"answers": {"q1": "junk", "q2": {"type": "number", "value": "0.9"},
                                  "q5": {"type": "text", "value": "b"}, "zz": {}},
                      "total": 8, "points": {"q1": 1}}).encode()
    answers, _, note = read_answers(raw)
    assert "1 malformed" in note
    rows = score(key, answers, {q: (1 if q == "q5" else 0.5) for q in key.questions})
    points = {r["question"]: r["points"] for r in rows}
    assert points == {"q1": 0, "q2": 0, "q3": 0, "q4": 0, "q5": key.questions["q5"].points,
                      "q6": 0}


def test_a_reference_that_fails_is_reported_not_raised():
    key = load_key("demo_repurchase", [FIXTURES])
    refs = {q: ZeroDivisionError("x") for q in key.questions}
    rows = score(key, {}, refs)
    assert all(r["grader_error"] and "could not compute" in r["message"] for r in rows)


# --------------------------------------------------------------------------- names, roster
@pytest.mark.parametrize("label, student", [
    ("subs/ana_demo_exercise.ipynb", "ana"), ("subs/demo-exercise-ana.ipynb", "ana"),
    ("class.zip/s0042/demo_exercise.ipynb", "s0042"), ("subs/José Núñez.ipynb", "José_Núñez"),
    ("subs/demo_exercise.ipynb", "demo_exercise")])
def test_student_from_the_file_name(label, student):
    assert batch.student_from_name(label, "demo") == student


def test_roster_matching_unmatched_and_duplicates(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\ns01,Ana\ns02,Ben\ns10,Cy\n")
    ids = batch.read_roster(roster)
    subs = [batch.Submission("z/Ana_s01_attempt.ipynb", b"1", 1.0),
            batch.Submission("z/s01_late.ipynb", b"2", 5.0),
            batch.Submission("z/nobody.ipynb", b"3", 1.0),
            batch.Submission("z/s02.ipynb", b"4", 1.0)]
    batch.assign_students(subs, "demo", ids)
    assert [(s.student, s.status) for s in subs] == [
        ("s01", "duplicate"), ("s01", ""), ("nobody", "unmatched"), ("s02", "")]
    assert "z/s01_late.ipynb" in subs[0].note


@pytest.mark.parametrize("text, words", [
    ("id\n1\n", "needs a 'student_id' column"), ("student_id\n\n", None),
    ("student_id\na\n \n", "line 3: empty student_id"),
    ("student_id\na\nA\n", "line 3: student_id 'A' appears twice")])
def test_roster_problems_name_the_line(tmp_path, text, words):
    path = tmp_path / "r.csv"
    path.write_text(text)
    if words is None:
        assert batch.read_roster(path) == []
    else:
        with pytest.raises(batch.GradingError, match=words):
            batch.read_roster(path)


def test_zip_input_skips_junk_and_keeps_entry_names(tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ana/demo_exercise.ipynb", "{}")
        zf.writestr("__MACOSX/ana/._demo_exercise.ipynb", "junk")
        zf.writestr("ben/.ipynb_checkpoints/x.ipynb", "junk")
        zf.writestr("ben/notes.txt", "junk")
        zf.writestr("../escape.ipynb", "{}")
    subs = batch.collect([archive])
    assert sorted(s.file for s in subs) == ["download.zip/../escape.ipynb",
                                            "download.zip/ana/demo_exercise.ipynb"]
    assert not (tmp_path.parent / "escape.ipynb").exists()  # nothing is extracted


def test_collect_names_what_is_missing_or_damaged(tmp_path):
    with pytest.raises(batch.GradingError, match="no such file"):
        batch.collect([tmp_path / "absent"])
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    subs_or_error = None
    try:
        subs_or_error = batch.collect([bad])
    except batch.GradingError as err:
        assert "bad.zip" in str(err)
    else:  # not recognised as a zip: then it is one (invalid) submission
        assert [s.file for s in subs_or_error] == ["bad.zip"]


def test_slugs_are_safe_and_distinct():
    names = ["ana", "Ana", "José", "Jose", "../../etc", "a b", "ü" * 100]
    slugs = [batch.slug(n) for n in names]
    assert len(set(slugs)) == len(names)
    assert all("/" not in s and s.isascii() and len(s) <= 70 for s in slugs)


# --------------------------------------------------------------------------- gradebook
def test_gradebook_from_another_assignment_is_refused(tmp_path):
    path = tmp_path / "gradebook.csv"
    path.write_text("student,file,status,a\n")
    with pytest.raises(batch.GradingError, match="not this assignment's"):
        batch.read_gradebook(path, ["q1"])


def test_atomic_write_leaves_the_old_file_when_a_row_breaks(tmp_path):
    path = tmp_path / "g.csv"
    batch.write_csv_atomic(path, ["a"], [{"a": 1}])

    class Boom(dict):
        def get(self, *a):
            raise RuntimeError("boom")

        def keys(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        batch.write_csv_atomic(path, ["a"], [{"a": 2}, Boom()])
    assert path.read_text().splitlines() == ["a", "1"]
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]


def test_item_statistics_and_lms_export(tmp_path):
    key = load_key("demo_repurchase", [FIXTURES])
    qs = list(key.questions)
    rows = []
    for i, status in enumerate(["graded", "graded", "graded", "error", "invalid", "missing"]):
        row = {"student": f"s{i}", "file": f"f{i}", "status": status, "feedback": "fb",
               "total": "0"}
        for j, q in enumerate(qs):
            row[q] = str(key.questions[q].points if (i + j) % 2 == 0 else 0)
        row["total"] = str(sum(float(row[q]) for q in qs))
        rows.append(row)
    stats = report.item_statistics(rows, key)
    scored = rows[:4]
    for q in qs:
        share = sum(float(r[q]) for r in scored) / (4 * key.questions[q].points)
        assert stats.loc[q, "mean"] == pytest.approx(share)
    text = report.class_summary(rows, key, tmp_path, ["WARNING: test"], io.StringIO())
    assert "invalid: 1" in text and "WARNING: test" in text
    assert (tmp_path / "summary.png").stat().st_size > 1000
    report.lms_export(rows, key, tmp_path / "lms.csv")
    lines = list(csv.reader((tmp_path / "lms.csv").open()))
    assert lines[0][0] == "Student ID" and len(lines) == 1 + len(rows)
    assert lines[-1][1] == ""  # missing: no grade


def test_feedback_page_escapes_what_the_student_wrote():
    key = load_key("demo_repurchase", [FIXTURES])
    result = {"student": "<script>alert(1)</script>", "file": "x", "status": "error",
              "total": 1, "max": 8, "feedback": "<b>x</b>", "notes": ["<i>"],
              "questions": [{"question": "q1", "points": 0, "max": 1,
                             "message": "<img src=x>", "expected": "<svg>"}]}
    page = report.feedback_page(result, key, STATUSES)
    assert "<script>" not in page and "<img" not in page and "<svg>" not in page
    assert "&lt;script&gt;" in page


def test_bwrap_command_hides_the_grader(tmp_path):
    cmd = bwrap_command("/usr/bin/bwrap", tmp_path, ["python"])
    joined = " ".join(cmd)
    assert "--unshare-all" in cmd and "--die-with-parent" in cmd
    assert "--share-net" not in cmd
    binds = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--bind"]
    assert binds == [str(tmp_path), str(tmp_path / "tmp")]
    ro = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--ro-bind"]
    repo = Path(__file__).resolve().parent.parent
    assert str(repo) not in ro and str(repo / "solutions") not in joined
    assert str(repo / "tests") not in joined


@pytest.mark.parametrize("field, value", [("timeout", 0), ("memory_mb", -1),
                                          ("cell_timeout", "5"), ("processes", True)])
def test_limits_are_checked(field, value):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})


def test_cli_reports_bad_grading_inputs(tmp_path, capsys):
    assert main(["grade", "nope", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no answer key nope_key.py" in capsys.readouterr().err
    code = main(["grade", "demo_repurchase", str(tmp_path / "absent"), "--out",
                 str(tmp_path / "o"), "--keys", str(FIXTURES)])
    assert code == 2 and "no such file" in capsys.readouterr().err
    code = main(["grade", "demo_repurchase", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--keys", str(FIXTURES), "--jobs", "0"])
    assert code == 2 and "--jobs" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- the grader's extra
def test_scheduler_without_distributed_names_the_graders_extra(tmp_path, capsys, monkeypatch):
    """Dask's distributed is the grader's optional extra: --scheduler without it is a plain
    message naming ``crmlib[grader]``, before anything is read or written."""
    monkeypatch.setitem(sys.modules, "distributed", None)  # not installed
    with pytest.raises(batch.GradingError, match=r'pip install "crmlib\[grader\]"'):
        batch.require_distributed()
    code = main(["grade", "demo_repurchase", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--keys", str(FIXTURES), "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert 'pip install "crmlib[grader]"' in err and "distributed" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- the grader's layout
GRADING = Path(crmlib.grading.__file__).parent
PACKAGE = GRADING.parent


def _imports(path: Path) -> set[str]:
    """The modules a file imports (``from a import b`` counts as ``a`` and ``a.b``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=PACKAGE.parent)


def test_the_sandbox_and_the_warm_process_do_not_import_each_other():
    assert "crmlib.grading._zygote" not in _imports(GRADING / "sandbox.py")
    assert "crmlib.grading.sandbox" not in _imports(GRADING / "_zygote.py")
    for blocked, wanted in (("_zygote", "sandbox"), ("sandbox", "_zygote")):
        out = _run_python(f"import sys; sys.modules['crmlib.grading.{blocked}'] = None\n"
                          f"import crmlib.grading.{wanted}")
        assert out.returncode == 0, (wanted, out.stderr[-800:])


def test_the_system_calls_live_in_one_linux_only_module():
    """ctypes, resource limits, fcntl, prctl, namespaces and /proc reads: _linux.py only."""
    kernel = {"ctypes", "resource", "fcntl"}
    calls = {"prctl", "setrlimit", "unshare", "mount", "setresuid", "setresgid", "setgroups",
             "capset", "syscall"}
    readers = {"scandir", "listdir", "open", "Path", "stat", "lstat", "readlink"}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_linux.py":
            continue
        where = path.relative_to(PACKAGE.parent)
        found += [f"{where} imports {m}" for m in _imports(path) & kernel]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in calls:
                found.append(f"{where}:{node.lineno} calls {name}")
            first = node.args[0] if node.args else None
            text = (first.value if isinstance(first, ast.Constant) else
                    first.values[0].value if isinstance(first, ast.JoinedStr) and first.values
                    and isinstance(first.values[0], ast.Constant) else None)
            if name in readers and isinstance(text, str) and text.startswith("/proc"):
                found.append(f"{where}:{node.lineno} reads {text}")
    assert not found, found
    assert {"ctypes", "resource"} <= _imports(GRADING / "_linux.py")


def test_off_linux_the_course_imports_and_the_grader_says_it_needs_linux():
    """On macOS (no /proc) or Windows (no ``resource`` module) the rest of crmlib imports;
    the grader's Linux-only modules refuse with crm grade's own message."""
    code = """
import importlib, sys
COURSE = ["crmlib", "crmlib.cli", "crmlib.data", "crmlib.exercises", "crmlib.answers",
          "crmlib.quiz", "crmlib.grading", "crmlib.grading.identity",
          "crmlib.grading.notebooks", "crmlib.grading.report", "crmlib.grading.lms",
          "crmlib.grading.variants"]
for name in COURSE:  # their third-party imports, as on Linux
    importlib.import_module(name)
for name in [m for m in sys.modules if m == "crmlib" or m.startswith("crmlib.")]:
    del sys.modules[name]
sys.platform = "darwin"
sys.modules["resource"] = None  # as on Windows
for name in COURSE:
    importlib.import_module(name)
for name in ("crmlib.grading._linux", "crmlib.grading.sandbox", "crmlib.grading._zygote",
             "crmlib.grading.batch"):
    try:
        importlib.import_module(name)
    except ImportError as err:
        print(name, "|", str(err).splitlines()[0])
    else:
        print(name, "| imported")
"""
    out = _run_python(code)
    assert out.returncode == 0, out.stderr[-1500:]
    lines = dict(line.split(" | ", 1) for line in out.stdout.splitlines())
    assert len(lines) == 4, out.stdout
    for name, said in lines.items():
        assert said.startswith("crm grade needs Linux, and this is macOS"), (name, said)


def test_the_seccomp_filter_is_refused_off_x86_64(monkeypatch):
    """The filter is written for x86-64's system call numbers: elsewhere no filter is
    built or passed to bubblewrap, and the runs' sandbox column says they had none."""
    from crmlib.grading import _linux, sandbox

    assert _linux.seccomp_problem("x86_64") == ""
    assert len(_linux.seccomp_program("x86_64")) == 9 * 8  # nine BPF instructions
    for machine in ("aarch64", "ppc64le", "riscv64"):
        problem = _linux.seccomp_problem(machine)
        assert "x86-64" in problem and machine in problem
        with pytest.raises(_linux.SeccompUnsupported, match="x86-64"):
            _linux.seccomp_program(machine)
    monkeypatch.setattr(_linux.platform, "machine", lambda: "aarch64")
    with pytest.raises(_linux.SeccompUnsupported):
        _linux.apply_seccomp()
    cmd = ["bwrap", "--unshare-all", "--", "true"]
    assert sandbox._with_seccomp(cmd) == (cmd, ())
    label = sandbox.sandbox_label("bwrap, warm")
    assert label.startswith("bwrap, warm; no seccomp filter") and "aarch64" in label
    monkeypatch.setattr(_linux.platform, "machine", lambda: "x86_64")
    with_filter, fds = sandbox._with_seccomp(cmd)
    try:
        assert with_filter == ["bwrap", "--seccomp", str(fds[0]), *cmd[1:]]
    finally:
        for fd in fds:
            os.close(fd)
    assert sandbox.sandbox_label("bwrap") == "bwrap"


LIBRARIES = ("papermill", "nbclient", "jupyter_client")


def test_library_internals_are_used_in_one_module():
    """papermill, nbclient and jupyter_client are imported by crmlib/grading/_engine.py
    alone, which lists and checks what it overrides of them."""
    users = sorted(str(path.relative_to(PACKAGE.parent)) for path in PACKAGE.rglob("*.py")
                   if any(m.split(".")[0] in LIBRARIES for m in _imports(path)))
    assert users == ["crmlib/grading/_engine.py"], users


def test_the_installed_libraries_have_what_the_engine_overrides():
    from crmlib.grading import _engine

    assert _engine.internals_problems() == []
    _engine.require_compatible()
    # everything _engine.py overrides is on the list it checks
    overridden = {(node.name, item.name) for node in ast.walk(ast.parse(
        (GRADING / "_engine.py").read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.bases
        for item in node.body if isinstance(item, ast.FunctionDef)}
    checked = {item.attribute for item in _engine.INTERNALS}
    assert {name for _, name in overridden} - {"__init__"} <= checked, overridden


def _defined_on(cls, name):
    return next(c for c in cls.__mro__ if name in vars(c))


def test_a_library_that_changes_what_the_engine_overrides_fails_loudly(monkeypatch):
    from importlib.metadata import version

    from jupyter_client.manager import AsyncKernelManager
    from nbclient.client import NotebookClient

    from crmlib.grading import _engine

    # a private method gone, an overridden method with other parameters, and a caller
    # that no longer goes through the override
    monkeypatch.delattr(_defined_on(AsyncKernelManager, "_async_pre_start_kernel"),
                        "_async_pre_start_kernel")
    monkeypatch.setattr(NotebookClient, "output", lambda self, outs, msg: None)

    async def start_without_pre_start(self, **kw):
        return None

    monkeypatch.setattr(_defined_on(AsyncKernelManager, "_async_start_kernel"),
                        "_async_start_kernel", start_without_pre_start)
    problems = _engine.internals_problems()
    client = f"jupyter_client {version('jupyter_client')}: "
    assert any(p.startswith(client) and "_async_pre_start_kernel is gone" in p
               for p in problems), problems
    assert any(p.startswith(f"nbclient {version('nbclient')}: ") and "output" in p
               and "(self, outs, msg)" in p for p in problems), problems
    assert any(p.startswith(client) and "_async_start_kernel no longer calls "
               "_async_pre_start_kernel" in p for p in problems), problems
    assert all("crmlib/grading/_engine.py" in p for p in problems)
    with pytest.raises(_engine.IncompatibleLibraries, match="jupyter_client"):
        _engine.require_compatible()


def test_every_result_is_one_dataclass_built_one_way():
    """A graded (here: invalid) submission, a worker's failure and a row that is not run
    (duplicate, unmatched, missing) come out of GradeResult, with the same fields."""
    import dataclasses

    from crmlib.exercises import variant_for
    from crmlib.grading.core import GradeResult, Task, grade_submission, sha256
    from crmlib.grading.identity import Submission

    fields = {f.name for f in dataclasses.fields(GradeResult)}
    key = load_key("demo_repurchase", [FIXTURES])
    task = Task("demo_repurchase", "ana", "ana.ipynb", b"not a notebook",
                key_dirs=(str(FIXTURES),), variant_id="s17")
    graded = grade_submission(task)
    failed = batch._failed(task, RuntimeError("the worker was lost"))
    duplicate = batch._placeholder(Submission("old/ana.ipynb", b"{}", 0.0, "ana", "duplicate",
                                              "graded the newer one", lms_id="77"), key)
    missing = batch._placeholder(Submission("", b"", 0.0, "bo", "missing", "none"), key)
    for result in (graded, failed, duplicate, missing):
        assert set(result) == fields, set(result) ^ fields
    assert (graded["status"], failed["status"]) == ("invalid", "grader-error")
    assert graded["variant_id"] == failed["variant_id"] == "s17"
    assert graded["variant"] == failed["variant"] == variant_for("s17")
    assert graded["sha256"] == failed["sha256"] == sha256(b"not a notebook")
    assert graded["max"] == duplicate["max"] == key.max_points
    assert [q["question"] for q in duplicate["questions"]] == list(key.questions)
    assert (duplicate["lms_id"], duplicate["sha256"], missing["sha256"]) == ("77",
                                                                            sha256(b"{}"), "")
    assert "the worker was lost" in failed["feedback"]
    # and no module of the grader writes one out by hand any more
    by_hand = [f"{path.name}:{node.lineno}" for path in GRADING.glob("*.py")
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Dict) and {"questions", "runtime_s"} <= {
                   k.value for k in node.keys if isinstance(k, ast.Constant)}]
    assert not by_hand, by_hand


# --------------------------------------------------------------------------- one atomic writer
def test_crmlib_atomic_is_the_only_write_then_rename():
    """No module of crmlib but crmlib/atomic.py renames a file or makes a temporary file
    to rename: os.replace/os.rename, Path.replace/Path.rename, mkstemp,
    NamedTemporaryFile."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "atomic.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name, owner = node.func.attr, node.func.value
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            if name in ("mkstemp", "NamedTemporaryFile", "renames"):
                found.append(f"{where} {name}")
            elif name in ("replace", "rename") and isinstance(owner, ast.Name) and (
                    owner.id in ("os", "shutil")):
                found.append(f"{where} {owner.id}.{name}")
            elif (name in ("replace", "rename") and len(node.args) == 1 and not node.keywords
                  and not isinstance(node.args[0], (ast.Constant, ast.JoinedStr))):
                found.append(f"{where} .{name}(...)")  # Path.replace(target), not str/pandas
    assert not found, found


def test_each_atomic_write_gets_its_files_mode(tmp_path, monkeypatch):
    """Course files and a learner's own are 0644, a sandboxed run's scratch files 0600
    (grading outputs, 0640, are checked with the gradebook and the LMS files)."""
    import pandas as pd

    import crmlib.data
    from crmlib.exercises import Workbook
    from crmlib.grading import _runner, variants

    def mode(path: Path) -> str:
        return oct(path.stat().st_mode & 0o777)

    old = os.umask(0o077)  # the modes are the writer's, whatever the umask
    try:
        answers = tmp_path / "run" / "answers.json"
        Workbook("demo_repurchase", student_id="s1", graded=True,
                 answers_path=answers).q1.check(3)
        _runner._write(str(tmp_path / "run" / "run.json"), "{}")
        monkeypatch.setattr(crmlib.data, "variant_tables",
                            lambda variant, simulated_only: {"products": pd.DataFrame()})
        cache = variants.save_variant_cache(7, tmp_path / "run")
        solutions, exercises_dir = tmp_path / "solutions", tmp_path / "exercises"
        solutions.mkdir()
        (solutions / SOLUTION.name).write_bytes(SOLUTION.read_bytes())
        (built,) = notebooks.build_exercises(solutions, exercises_dir)
        from crmlib.quiz import load_banks
        from crmlib.quiz.anki import export_anki

        deck = export_anki({"00": load_banks()["00"]}, tmp_path / "deck.apkg")
    finally:
        os.umask(old)
    assert json.loads(answers.read_text())["answers"]["q1"]["value"] == 3
    assert [mode(p) for p in (answers, tmp_path / "run" / "run.json", cache)] == ["0o600"] * 3
    assert [mode(p) for p in (built, deck)] == ["0o644"] * 2
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(
        [answers.name, "run.json", cache.name])  # no temporary file left


def test_a_reference_process_returns_the_references_and_hands_the_variant_over(tmp_path):
    # What the batch's reference pool runs for one submission: the same references the
    # grader computes in its own process, the variant written for the run, nothing kept.
    from crmlib import data
    from crmlib.grading import core, variants

    fixtures = str((Path(__file__).parent / "fixtures" / "grading").resolve())
    variant = 4242
    refs = core.prepare("demo_repurchase", (fixtures,), variant, str(tmp_path))
    assert data._variant_core.cache_info().currsize == 0  # the process keeps no variant
    inline = core.references("demo_repurchase", (fixtures,), variant)
    assert refs.keys() == inline.keys()
    for qid in refs:
        if hasattr(refs[qid], "equals"):
            assert refs[qid].equals(inline[qid]), qid
        else:
            assert refs[qid] == inline[qid], qid
    handed = list(tmp_path.glob(f"*{variant}*"))
    assert len(handed) == 1, handed
    simulated = data.load_harbor("purchases", variant=variant)  # computed afresh
    os.environ[variants.VARIANT_CACHE_ENV] = str(tmp_path)
    try:
        assert variants.handed_over_tables(variant)["purchases"].equals(simulated)
    finally:
        del os.environ[variants.VARIANT_CACHE_ENV]
    core.references.cache_clear()
    data._variant_core.cache_clear()
    data._variant_table.cache_clear()


def test_every_status_is_scored_not_run_or_a_failure_to_run():
    """Each gradebook status is in exactly one of the report's groups: scored (SCORED),
    never run (NOT_RUN), or run but not scorable (invalid, grader-error)."""
    from crmlib.grading import core, report

    groups = [set(report.SCORED), set(report.NOT_RUN), {"invalid", "grader-error"}]
    assert set().union(*groups) == set(core.STATUSES)
    assert sum(len(g) for g in groups) == len(core.STATUSES)
def _decision_key():
    """A one-question key with a Decision: items 1-5 worth 5, 3, -1, 0 and 2, at most 2."""
    import pandas as pd

    from crmlib.exercises import Decision, DecisionTruth, Key

    truth = DecisionTruth(pd.Series([5.0, 3.0, -1.0, 0.0, 2.0], index=[1, 2, 3, 4, 5]),
                          baselines={"nobody": 0.0, "at random": 1.8})
    question = Decision("d", reference=lambda v: truth, limit=2, unit="$", floor="at random",
                        forbidden=((r"secret_truth", "the secret"),))
    return Key("demo_decision", {"d": question}, Path("demo_decision_key.py")), truth


def test_score_flags_forbidden_code_and_reports_outcomes():
    key, truth = _decision_key()
    answers = {"d": crmlib.exercises.to_record([1, 5])}
    (row,) = score(key, answers, {"d": truth}, code=["import pandas", "x = 1"])
    # best choice {1, 2} is worth 8; {1, 5} 7: (7 - 1.8) / (8 - 1.8) of the points
    assert row["points"] == pytest.approx((7 - 1.8) / (8 - 1.8), abs=1e-4)
    assert row["outcome"]["value"] == 7 and row["outcome"]["best"] == 8
    assert row["outcome"]["baselines"]["at random"]["share"] == pytest.approx(1.8 / 8)
    assert "flagged" not in row
    (row,) = score(key, answers, {"d": truth}, code=["from x import secret_truth"])
    assert row["points"] == 0 and row["flagged"].startswith("flagged: ")
    assert "the secret" in row["message"] and "outcome" not in row
    # without code (an older caller) nothing is audited
    assert score(key, answers, {"d": truth})[0]["points"] > 0


def test_leaderboard_ranks_by_share_with_baselines_and_leaves_out_flagged(tmp_path):
    key, truth = _decision_key()
    rows = []
    for student, choice, code in [("ana", [1, 5], "x = 1"), ("ben", [1, 2], "x = 1"),
                                  ("cleo", [1, 2], "secret_truth"), ("dan", [3], "x = 1")]:
        answers = {"d": crmlib.exercises.to_record(choice)}
        result = {"student": student, "file": f"{student}.ipynb", "sha256": student,
                  "variant": 1, "questions": score(key, answers, {"d": truth}, code=[code])}
        report.save_outcomes(tmp_path, student, result)
        rows.append({"student": student, "file": f"{student}.ipynb", "sha256": student,
                     "status": "graded", "total": "0", "d": "0"})
    rows.append({"student": "eve", "file": "eve.ipynb", "sha256": "", "status": "missing",
                 "total": "0", "d": "0"})
    text = report.class_summary(rows, key, tmp_path, [], io.StringIO())
    board = text[text.index("leaderboard of d"):].splitlines()
    assert "3 ranked, 1 flagged and left out" in board[0]
    assert [line.split()[1] for line in board[1:4]] == ["ben", "ana", "dan"]
    assert "100.0%" in board[1] and "87.5%" in board[2] and "-12.5%" in board[3]
    assert any("at random" in line and "22.5%" in line for line in board)
    lines = list(csv.DictReader((tmp_path / "leaderboard.csv").open()))
    assert [r["student"] for r in lines if r["kind"] == "student"] == ["ben", "ana", "dan"]
    assert {r["student"] for r in lines if r["kind"] != "student"} == {
        "best possible (knows the truth)", "nobody", "at random"}
    assert oct((tmp_path / "leaderboard.csv").stat().st_mode & 0o777) == "0o640"
    # a student whose gradebook row now points at another file is no longer ranked
    rows[0]["file"] = "ana-late.ipynb"
    text = report.class_summary(rows, key, tmp_path, [], io.StringIO())
    assert "2 ranked" in text and " ana " not in text
    # no question with an outcome: no leaderboard
    plain = load_key("demo_repurchase", [FIXTURES])
    (tmp_path / "x").mkdir()
    assert "leaderboard" not in report.class_summary([], plain, tmp_path / "x", [], io.StringIO())


MATCHER_KEY = '''"""A grader test key whose reference fits a record matcher."""
import pandas as pd

from crmlib.exercises import Number
from crmlib.scv import CustomerMatcher

TITLE = "Matcher (grader test)"
COLS = dict(unique_id=["r:1", "r:2"], source=["r", "r"], record_id=["1", "2"],
            first_name=["ana", "ben"], last_name=["silva", "ng"], email=["a@x.org", None],
            phone=[None, "5550123"])


def pairs(variant):
    records = pd.DataFrame(COLS)
    customers = records.assign(unique_id=["c:1", "c:2"], source="customers")
    return len(CustomerMatcher(seed=3).fit(records, customers).pairs_)


QUESTIONS = [Number("q1", reference=pairs, points=1, prompt="How many pairs?")]
'''


def test_the_matcher_a_key_fits_is_handed_to_that_students_run_only(tmp_path, monkeypatch):
    # the path a batch takes (prepare: references, then the hand-over into the job folder)
    from crmlib import scv
    from crmlib.grading import core, variants

    def fake_fit(self, records, customers):  # Splink itself is tested in test_matching
        return {"pairs_": pd.DataFrame({"record": ["r:1"], "customer_id": [1],
                                        "match_weight": [3.0], "match_probability": [0.9]}),
                "weights_": pd.DataFrame(columns=["comparison", "level", "m", "u", "weight"]),
                "prior_weight_": -9.0}

    monkeypatch.setattr(scv.CustomerMatcher, "_fit_splink", fake_fit)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "demo_matcher_key.py").write_text(MATCHER_KEY)
    jobs = [tmp_path / "ana", tmp_path / "ben"]
    for job in jobs:
        job.mkdir()
    assert core.prepare("demo_matcher", (str(keys),), None, str(jobs[0]))["q1"] == 1
    handed = (jobs[0] / variants.FITS_FILE)
    assert handed.is_file()
    with scv.recording_fits() as fits:
        core.prepare("demo_matcher", (str(keys),), None, str(jobs[1]))
    assert len(fits) == 0  # the reference's fit was recorded for ben's job, not the caller
    assert (jobs[1] / variants.FITS_FILE).read_bytes() == handed.read_bytes()
    core.prepare("demo_matcher", (str(keys),), 4242, None)  # no job: nothing written
    monkeypatch.setenv(variants.VARIANT_CACHE_ENV, str(jobs[0]))
    variants.handed_over_fits.cache_clear()
    try:
        monkeypatch.setattr(scv.CustomerMatcher, "_fit_splink",
                            lambda *a: pytest.fail("the run trained the key's model again"))
        namespace: dict = {}
        exec(MATCHER_KEY, namespace)
        assert namespace["pairs"](None) == 1
    finally:
        variants.handed_over_fits.cache_clear()
        core._key.cache_clear()
