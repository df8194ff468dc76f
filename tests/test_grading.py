"""Grading batches end to end: one class of good and hostile submissions, resume and
regrade, the fallback without bubblewrap, and a Dask cluster of two workers.

Every case of the issue's list is one submission of the batch, with the status
it must get. Expected points come from the answer key's question points and
from which questions each case leaves answered, never from the grader's output.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from crmlib.exercises import load_key, variant_for
from crmlib.grading import notebooks
from crmlib.grading.batch import grade
from crmlib.grading.core import references
from crmlib.grading.sandbox import Limits, bwrap_path

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
SOLUTION = FIXTURES / "demo_repurchase_solution.ipynb"
KEY = load_key("demo_repurchase", [FIXTURES])
POINTS = {q: KEY.questions[q].points for q in KEY.questions}
MAX = sum(POINTS.values())
LIMITS = Limits(timeout=75, cell_timeout=15, memory_mb=Limits.memory_mb, file_mb=16, processes=48)
# under CI (which installs bubblewrap) a missing bubblewrap fails these tests, never skips
needs_bwrap = pytest.mark.skipif(bwrap_path() is None and not os.environ.get("CI"),
                                 reason="bubblewrap (bwrap) is not installed: apt-get install "
                                        "bubblewrap")


def solution() -> nbformat.NotebookNode:
    return nbformat.read(SOLUTION, as_version=4)


def exercise() -> nbformat.NotebookNode:
    return notebooks.build_exercise(solution())


def question_cell(nb, qid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if f"wb.{qid}.check" in c.source)


def with_cell(source: str, before: str | None = None, nb=None) -> nbformat.NotebookNode:
    """The solution with one extra code cell before question ``before`` (or at the end)."""
    nb = nb or solution()
    position = question_cell(nb, before) if before else len(nb.cells)
    nb.cells.insert(position, nbformat.v4.new_code_cell(source))
    return nb


def replace_answer(nb, qid: str, new: str):
    """Change a question's answer line; ``{old}`` in ``new`` stands for the right answer."""
    i = question_cell(nb, qid)
    lines = nb.cells[i].source.splitlines()
    for j, line in enumerate(lines):
        if line.startswith(f"answer_{qid} ="):
            old = line.split("=", 1)[1].split("# SOLUTION")[0].strip()
            lines[j] = f"answer_{qid} = " + new.format(old=old)
    nb.cells[i].source = "\n".join(lines)
    return nb


def upto(qid: str) -> float:
    """Points of the questions before ``qid`` (all right)."""
    qs = list(POINTS)
    return sum(POINTS[q] for q in qs[: qs.index(qid)])


def write(path: Path, nb) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


SNOOP = """
import os, socket
found = {{}}
for path in {paths!r}:
    found[path] = os.path.exists(path)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3).close()
    found["network"] = True
except OSError:
    found["network"] = False
try:
    with open({gradebook!r}, "a") as fh:
        fh.write("forged,row\\n")
    found["gradebook write"] = True
except OSError:
    found["gradebook write"] = False
# In a warm sandbox the other jobs' folders are in /spool: hidden from this run, also
# through the /proc entries of any process it can see (the warm process among them).
found["spool"] = os.path.isdir("/spool") and bool(os.listdir("/spool"))
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if os.listdir(f"/proc/{{pid}}/root/spool"):
            found[f"/proc/{{pid}}/root"] = True
    except OSError:
        pass
# nothing left behind for later runs in /dev, no kernel setting written (the sandbox's user
# is the grader's on the host, root if the grader runs as root), no kernel keyring
for target in ("/dev/planted", "/proc/sys/vm/swappiness", "/proc/sysrq-trigger"):
    try:
        open(target, "a").close()
        found[target] = True
    except OSError:
        pass
import ctypes, platform
if platform.machine() == "x86_64":  # keyctl(KEYCTL_GET_KEYRING_ID, session keyring)
    found["keyctl"] = ctypes.CDLL(None, use_errno=True).syscall(250, 0, -3, 0) >= 0
with open("/proc/self/status") as fh:  # no capability left to undo any of this
    found["capabilities"] = any(int(line.split()[1], 16) for line in fh
                                if line.startswith(("CapEff", "CapPrm", "CapAmb")))
assert not any(found.values()), found
"""


def build_class(root: Path, out: Path) -> dict[str, dict]:
    """Write the submissions; returns student -> what the grader must report."""
    subs = root / "subs"
    cases: dict[str, dict] = {}

    def case(student, nb_or_bytes, status, total, **extra):
        path = subs / f"{student}_demo_repurchase_exercise.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb_or_bytes, bytes):
            path.write_bytes(nb_or_bytes)
        else:
            write(path, nb_or_bytes)
        cases[student] = {"status": status, "total": total, **extra}

    case("correct", solution(), "graded", MAX)
    wrong = replace_answer(replace_answer(solution(), "q1", "({old}) + 1"), "q5", '"a"')
    case("partly_wrong", wrong, "graded", MAX - POINTS["q1"] - POINTS["q5"])
    case("blank", exercise(), "graded", 0)
    broken = with_cell("1 / 0", before="q3")
    number = [c.source for c in broken.cells if c.cell_type == "code"].index("1 / 0") + 1
    case("exception", broken, "error", MAX,
         words=f"code cell {number} (1 / 0) raised ZeroDivisionError")
    case("endless_loop", with_cell("while True:\n    pass", before="q4"), "timeout",
         upto("q4"), words="longer than 15 s")
    slow = solution()
    for _ in range(7):
        with_cell("import time\ntime.sleep(12)", before="q5", nb=slow)
    case("whole_run", slow, "timeout", None, words="whole run took longer than 75 s")
    case("memory_bomb", with_cell("hog = []\nwhile True:\n    hog.append(bytearray(10**8))"),
         "memory", MAX, words="MemoryError")
    case("output_flood", with_cell("for i in range(50):\n    print('flood ' * 200_000)",
                                   before="q2"), "graded", MAX, note="dropped")
    case("kernel_exit", with_cell("import os\nos._exit(3)", before="q6"), "crashed",
         upto("q6"))
    case("self_kill", with_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
                                before="q6"), "crashed", upto("q6"))
    case("kill_parent", with_cell("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
                                  before="q6"), "crashed", upto("q6"))
    case("kill_group", with_cell("import os, signal\nos.killpg(0, signal.SIGKILL)",
                                 before="q6"), "crashed", upto("q6"))
    case("kill_everything", with_cell("import os, signal\nos.kill(-1, signal.SIGKILL)",
                                      before="q6"), "crashed", upto("q6"))
    case("fork_bomb", with_cell("import subprocess\nkids = [subprocess.Popen(['sleep', '30'])"
                                " for _ in range(500)]"), "error", MAX,
         words="BlockingIOError")
    case("disk_bomb", with_cell("with open('big.bin', 'wb') as fh:\n"
                                "    fh.write(b'0' * (64 * 2**20))"), "error", MAX,
         words="File too large")
    case("input", with_cell("name = input('your name? ')", before="q2"), "error", MAX,
         words="input()")
    no_params = solution()
    no_params.cells = [c for c in no_params.cells if "parameters" not in c.metadata.get(
        "tags", [])]
    case("deleted_params", no_params, "graded", MAX, note="parameters cell is missing")
    altered = solution()
    i = question_cell(altered, "q1") - 2
    altered.cells[i].source = altered.cells[i].source.replace("variant=variant", "variant=7")
    case("altered_params", altered, "graded", None, note="data variant 7")
    ungraded = with_cell("graded = False\nwb = Workbook('demo_repurchase', graded=False)",
                         before="q1")
    case("switched_off", ungraded, "graded", 0, note="no answers were recorded")
    forged = with_cell(
        "import json\nwb._check = lambda qid, answer: 'correct'\n"
        "json.dump({'answers': {'q1': {'type': 'number', 'value': 1e18}, 'q2': 'junk',"
        " 'q3': {'type': 'collection', 'values': [[1, 2]]}}, 'total': 8, 'status': 'graded',"
        " 'points': {'q1': 1}}, open(answers_path, 'w'))")
    case("forged_answers", forged, "graded", 0, note="malformed")
    symlinked = with_cell("import os\nos.remove(answers_path)\n"
                          "os.symlink('/etc/shadow', answers_path)\n"
                          "os.symlink('/etc/passwd', 'executed.ipynb.tmp')")
    case("forged_symlink", symlinked, "graded", 0, note="no answers were recorded")
    repo = FIXTURES.parent.parent.parent
    snoop_paths = [str(KEY.path), str(out), str(subs), str(FIXTURES), str(repo / "solutions"),
                   str(repo / ".git"), str(repo / "tests"), "/home"]
    case("snoop", with_cell(SNOOP.format(paths=snoop_paths, gradebook=str(
        out / "gradebook.csv"))), "graded", MAX)
    case("lingerer", with_cell("import subprocess\nsubprocess.Popen(['sleep', '987'], "
                               "start_new_session=True)", before="q1"), "graded", MAX)
    case("forged_executed", with_cell(
        "import json, os, signal\nfake = {'nbformat': 4, 'nbformat_minor': 5, 'metadata': {}, "
        "'cells': [{'cell_type': 'raw', 'id': f'c{i}', 'metadata': {}, 'source': ''}\n"
        "          for i in range(100_000)]}\nwith open('executed.ipynb', 'w') as fh:\n"
        "    json.dump(fake, fh)\nos.kill(os.getppid(), signal.SIGKILL)"), "crashed", MAX)
    case("deep_tree", with_cell("import os\nd = os.open('.', os.O_RDONLY)\nfor _ in range(1100):\n"
                                "    os.mkdir('d', dir_fd=d)\n    n = os.open('d', os.O_RDONLY, "
                                "dir_fd=d)\n    os.close(d)\n    d = n"), "graded", MAX)
    case("empty", b"", "invalid", 0, words="empty")
    case("not_json", b"print('hello')\n", "invalid", 0, words="not valid JSON")
    v3 = json.loads(SOLUTION.read_text())
    v3["nbformat"] = 3
    case("wrong_nbformat", json.dumps(v3).encode(), "invalid", 0, words="format 3")
    huge = solution()
    huge.cells.insert(1, nbformat.v4.new_markdown_cell("word " * (5 * 2**20)))
    case("huge_markdown", huge, "invalid", 0, words="MiB allowed")
    case("José_Ñandú", solution(), "graded", MAX)
    # two submissions of one student: the later file is graded, the other is a duplicate
    first, second = subs / "twice" / "a.ipynb", subs / "twice" / "b.ipynb"
    write(first, exercise())
    write(second, solution())
    now = time.time()
    os.utime(first, (now - 3600, now - 3600))
    os.utime(second, (now, now))
    cases["twice"] = {"status": "graded", "total": MAX, "duplicate_file": "subs/twice/a.ipynb"}
    return cases


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    if bwrap_path() is None and not os.environ.get("CI"):
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    root = tmp_path_factory.mktemp("class")
    out = root / "out"
    cases = build_class(root, out)
    started = time.perf_counter()
    result = grade("demo_repurchase", [root / "subs"], out, jobs=2, limits=LIMITS,
                   key_dirs=[FIXTURES], progress=False)
    wall = time.perf_counter() - started
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {"root": root, "out": out, "cases": cases, "result": result, "rows": rows,
            "wall": wall}


def _rows_by_student(rows):
    by = {}
    for row in rows:
        by.setdefault(row["student"], []).append(row)
    return by


@needs_bwrap
def test_one_row_per_submission(batch_run):
    rows = batch_run["rows"]
    files = [r["file"] for r in rows]
    handed_in = sorted(p.relative_to(batch_run["root"]).as_posix()
                       for p in (batch_run["root"] / "subs").rglob("*.ipynb"))
    assert sorted(files) == handed_in
    assert len(set(files)) == len(files)


@needs_bwrap
@pytest.mark.parametrize("student", [
    "correct", "partly_wrong", "blank", "exception", "endless_loop", "whole_run",
    "memory_bomb", "output_flood", "kernel_exit", "self_kill", "kill_parent", "kill_group",
    "kill_everything", "fork_bomb", "disk_bomb", "input", "deleted_params", "altered_params",
    "switched_off", "forged_answers", "forged_symlink", "snoop", "lingerer", "deep_tree",
    "forged_executed", "empty", "not_json",
    "wrong_nbformat", "huge_markdown", "José_Ñandú", "twice"])
def test_each_case_gets_its_status_and_points(batch_run, student):
    expect = batch_run["cases"][student]
    rows = [r for r in _rows_by_student(batch_run["rows"])[student] if r["status"] !=
            "duplicate"]
    assert len(rows) == 1
    row = rows[0]
    detail = next(r for r in batch_run["result"].results if r["student"] == student
                  and r["status"] != "duplicate")
    assert row["status"] == expect["status"], (row, detail["notes"])
    if expect["total"] is not None:
        assert float(row["total"]) == pytest.approx(expect["total"]), (row, detail["notes"])
    assert float(row["max"]) == MAX
    if "words" in expect:
        assert expect["words"] in row["feedback"], row["feedback"]
    if "note" in expect:
        assert any(expect["note"] in n for n in detail["notes"]), detail["notes"]
    feedback = batch_run["out"] / "feedback"
    assert len(list(feedback.glob("*.html"))) >= len(batch_run["cases"]) - 1
    if row["status"] != "invalid":
        executed = list((batch_run["out"] / "executed").glob("*.ipynb"))
        assert executed, "no executed copies"


def nested_namespaces_allowed() -> bool:
    """Whether this machine lets a process inside bubblewrap make its own user, mount and
    PID namespaces (util-linux ``unshare``), which warm sandboxes need."""
    import subprocess

    from crmlib.grading._linux import become
    from crmlib.grading.sandbox import _system, sandbox_user

    cmd = _system(bwrap_path()) + ["--", "unshare", "--user", "--map-root-user", "--mount",
                                   "--pid", "--fork", "true"]
    user = sandbox_user()  # as the runs' own host user
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30,
                              preexec_fn=lambda: become(user)).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def skip_without_nested_namespaces() -> None:
    """Skip where nested namespaces are refused, except under CI: there it is a failure."""
    if not nested_namespaces_allowed():
        if os.environ.get("CI"):
            pytest.fail("this CI machine refuses nested namespaces inside bubblewrap: warm "
                        "sandboxes are not tested")
        pytest.skip("this machine refuses nested namespaces inside bubblewrap")


@needs_bwrap
def test_runs_were_forks_of_warm_sandboxes_and_left_no_process(batch_run):
    ran = [r for r in batch_run["result"].results
           if r["status"] not in ("invalid", "duplicate")]
    if not nested_namespaces_allowed():
        # the batch fell back to a cold sandbox per run, and said so
        assert {r["sandbox"] for r in ran} == {"bwrap"}
        assert any("warm sandboxes were not available" in w
                   for w in batch_run["result"].warnings)
        skip_without_nested_namespaces()
    assert ran and {r["sandbox"] for r in ran} == {"bwrap, warm"}
    # the lingerer's detached `sleep 987` ended with its run
    assert not _running(b"sleep\x00987")


def _running(cmdline: bytes) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and cmdline in (entry / "cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


@needs_bwrap
def test_a_cold_sandbox_per_submission_still_holds(tmp_path):
    # warm=False is what --scheduler runs: a fresh bubblewrap, Python and kernel per run
    out = tmp_path / "out"
    subs = tmp_path / "subs"
    write(subs / "ana_demo_repurchase_exercise.ipynb", solution())
    write(subs / "kill_parent_demo_repurchase_exercise.ipynb", with_cell(
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", before="q6"))
    write(subs / "snoop_demo_repurchase_exercise.ipynb", with_cell(SNOOP.format(
        paths=[str(KEY.path), str(out), str(subs)], gradebook=str(out / "gradebook.csv"))))
    result = grade("demo_repurchase", [subs], out, jobs=2, limits=LIMITS,
                   key_dirs=[FIXTURES], progress=False, warm=False)
    by = {r["student"]: r for r in result.results}
    assert {r["sandbox"] for r in result.results} == {"bwrap"}
    assert (by["ana"]["status"], by["ana"]["total"]) == ("graded", MAX)
    assert (by["kill_parent"]["status"], by["kill_parent"]["total"]) == ("crashed", upto("q6"))
    assert (by["snoop"]["status"], by["snoop"]["total"]) == ("graded", MAX)


@needs_bwrap
def test_the_whole_run_limit_stops_the_run(batch_run):
    detail = next(r for r in batch_run["result"].results if r["student"] == "whole_run")
    # seven 12-second sleeps cannot fit in 75 s; the run is cut near the limit
    assert LIMITS.timeout <= detail["runtime_s"] < LIMITS.timeout + 30
    assert float(_rows_by_student(batch_run["rows"])["whole_run"][0]["q1"]) == POINTS["q1"]


@needs_bwrap
def test_altered_parameters_are_scored_against_the_students_own_variant(batch_run):
    row = _rows_by_student(batch_run["rows"])["altered_params"][0]
    own = references("demo_repurchase", (str(FIXTURES.resolve()),),
                     variant_for("altered_params"))
    other = references("demo_repurchase", (str(FIXTURES.resolve()),), 7)
    for qid, question in KEY.questions.items():
        got = question.score({"type": "number", "value": float(other[qid])}
                             if question.kind == "number" else None, own[qid])[0]
        if question.kind == "number":
            assert float(row[qid]) == pytest.approx(got * POINTS[qid])
    assert float(row["q3"]) == POINTS["q3"] and float(row["q5"]) == POINTS["q5"]


@needs_bwrap
def test_duplicate_gets_its_own_row(batch_run):
    rows = _rows_by_student(batch_run["rows"])["twice"]
    assert sorted((r["file"], r["status"]) for r in rows) == [
        ("subs/twice/a.ipynb", "duplicate"), ("subs/twice/b.ipynb", "graded")]
    older = next(r for r in rows if r["status"] == "duplicate")
    assert "subs/twice/b.ipynb" in older["feedback"]


@needs_bwrap
def test_outputs_are_bounded_and_sandbox_left_nothing(batch_run):
    out = batch_run["out"]
    flood = next(r for r in batch_run["result"].results if r["student"] == "output_flood")
    assert len(flood["executed"]) < 3 * 10**6
    # a copy the notebook wrote itself (7 MB of empty cells) is not read: the submitted
    # notebook is kept, and reading it cost no time
    forged = next(r for r in batch_run["result"].results if r["student"] == "forged_executed")
    assert len(forged["executed"]) < 10**6 and forged["runtime_s"] < 40
    book = (out / "gradebook.csv").read_text(encoding="utf-8")
    assert "forged,row" not in book
    assert (out / "summary.png").stat().st_size > 1000
    lms = list(csv.reader((out / "lms_grades.csv").open(encoding="utf-8")))
    assert len(lms) == 1 + len(batch_run["cases"])
    assert {p.name for p in out.iterdir()} == {"gradebook.csv", "executed", "feedback",
                                               "summary.png", "summary.txt",
                                               "lms_grades.csv"}
    assert "José_Ñandú" in book
    assert len(list((out / "executed").glob("Jose_Nandu-*.ipynb"))) == 1
    leftovers = list(Path(tempfile.gettempdir()).glob(f"crm-grade-{os.getpid()}-*"))
    assert leftovers == []


@needs_bwrap
def test_rerun_resumes_and_regrade_redoes_only_the_named(batch_run):
    out, root = batch_run["out"], batch_run["root"]
    before = (out / "gradebook.csv").read_text(encoding="utf-8")
    again = grade("demo_repurchase", [root / "subs"], out, jobs=2, limits=LIMITS,
                  key_dirs=[FIXTURES], progress=False)
    assert again.results == [] or {r["status"] for r in again.results} <= {"duplicate"}
    assert again.skipped == sum(1 for r in batch_run["rows"] if r["status"] not in (
        "duplicate",))
    assert (out / "gradebook.csv").read_text(encoding="utf-8") == before
    redo = grade("demo_repurchase", [root / "subs"], out, jobs=2, limits=LIMITS,
                 key_dirs=[FIXTURES], progress=False, regrade=["blank", "correct"])
    assert sorted(r["student"] for r in redo.results if r["status"] != "duplicate") == [
        "blank", "correct"]
    rows = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    assert len(rows) == len(batch_run["rows"])


def test_with_no_sandbox_limits_still_apply_and_the_summary_warns(tmp_path, capsys):
    # without bubblewrap the grader refuses (tests/test_grading_sandbox.py), unless asked
    write(tmp_path / "subs" / "ana.ipynb", solution())
    write(tmp_path / "subs" / "loop.ipynb", with_cell("while True:\n    pass", before="q2"))
    result = grade("demo_repurchase", [tmp_path / "subs"], tmp_path / "out", jobs=2,
                   limits=LIMITS, key_dirs=[FIXTURES], progress=False, use_bwrap=False)
    by = {r["student"]: r for r in result.rows}
    assert by["ana"]["status"] == "graded" and float(by["ana"]["total"]) == MAX
    assert by["loop"]["status"] == "timeout" and float(by["loop"]["total"]) == upto("q2")
    assert {r["sandbox"] for r in result.rows} == {"none (limits only)"}
    assert any("WITHOUT a sandbox" in w for w in result.warnings)
    assert "WITHOUT a sandbox" in capsys.readouterr().out
    assert "WITHOUT a sandbox" in (tmp_path / "out" / "summary.txt").read_text()


def test_roster_zip_and_dask_cluster_of_two_workers(tmp_path):
    from distributed import LocalCluster

    build = tmp_path / "build"
    write(build / "s01" / "demo_exercise.ipynb", solution())
    write(build / "s02" / "demo_exercise.ipynb", exercise())
    (build / "s03").mkdir()
    (build / "s03" / "demo_exercise.ipynb").write_text("not a notebook")
    archive = shutil.make_archive(str(tmp_path / "download"), "zip", build)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\ns01\ns02\ns03\ns04\n")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        result = grade("demo_repurchase", [archive], tmp_path / "out", roster=roster,
                       scheduler=cluster.scheduler_address, key_dirs=[FIXTURES],
                       limits=LIMITS, progress=False)
        workers = set(cluster.workers)
    assert len(workers) == 2
    by = {r["student"]: r for r in result.rows}
    assert {s: by[s]["status"] for s in by} == {"s01": "graded", "s02": "graded",
                                                "s03": "invalid", "s04": "missing"}
    assert float(by["s01"]["total"]) == MAX and float(by["s02"]["total"]) == 0
    assert by["s01"]["file"] == "download.zip/s01/demo_exercise.ipynb"


def test_cli_grades_a_folder(tmp_path, capsys):
    from crmlib.cli import main

    write(tmp_path / "subs" / "ana_demo_repurchase_exercise.ipynb", solution())
    code = main(["grade", "demo_repurchase", str(tmp_path / "subs"), "--out",
                 str(tmp_path / "out"), "--keys", str(FIXTURES), "--jobs", "1",
                 "--timeout", "120", "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "graded 1 submission(s), kept 0 already graded" in text
    assert f"score out of {MAX:g}" in text
    row = next(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert (row["student"], row["status"], float(row["total"])) == ("ana", "graded", MAX)
    # --cold: a fresh sandbox, Python and kernel for the run; the same grade
    assert main(["grade", "demo_repurchase", str(tmp_path / "subs"), "--out",
                 str(tmp_path / "out"), "--keys", str(FIXTURES), "--cold", "--regrade",
                 "--quiet"]) == 0
    assert "graded 1 submission(s)" in capsys.readouterr().out
    row = next(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert (row["student"], row["status"], float(row["total"])) == ("ana", "graded", MAX)


def _run(nb, cwd, env_keys):
    from nbclient import NotebookClient

    old = os.environ.get("CRM_KEYS")
    os.environ["CRM_KEYS"] = env_keys
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        if old is None:
            os.environ.pop("CRM_KEYS", None)
        else:
            os.environ["CRM_KEYS"] = old
    return [o.get("text", "") for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "stream"]


def test_practice_mode_solution_checks_correct_and_exercise_runs_unanswered(tmp_path):
    sol = solution()
    i = next(j for j, c in enumerate(sol.cells) if "parameters" in c.metadata.get("tags", []))
    sol.cells[i].source = sol.cells[i].source.replace('student_id = ""', 'student_id = "mia"')
    texts = "".join(_run(sol, tmp_path, str(FIXTURES)))
    for qid in KEY.questions:
        assert f"{qid}: correct ({POINTS[qid]:g}/{POINTS[qid]:g} points)" in texts, texts
    blank = "".join(_run(exercise(), tmp_path, str(FIXTURES)))
    assert blank.count("not answered yet") == len(KEY.questions), blank
    assert not (tmp_path / "answers.json").exists()  # practice mode records nothing


@needs_bwrap
def test_a_course_under_tmp_stays_visible_and_read_only_in_a_warm_run(tmp_path, monkeypatch):
    # A checkout in /tmp (as CI clones do): each run binds its own folder over /tmp, and
    # the course's read-only paths under /tmp must be bound again on top of it.
    from crmlib.grading import sandbox

    course = tmp_path / "course"
    course.mkdir()
    (course / "marker.txt").write_text("course file")
    assert str(course).startswith("/tmp/")
    original = sandbox._read_only_paths
    monkeypatch.setattr(sandbox, "_read_only_paths", lambda: original() + [str(course)])
    skip_without_nested_namespaces()
    box = sandbox.WarmSandbox(bwrap_path(), LIMITS)
    try:
        assert box.alive, box.problem
        job = box.new_job()
        code = (f"print(open({str(course / 'marker.txt')!r}).read())\n"
                f"try:\n    open({str(course / 'new.txt')!r}, 'w')\n    print('writable')\n"
                "except OSError as err:\n    print('errno', err.errno)")
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        (job / "submission.ipynb").write_text(nbformat.writes(nb))
        outcome = box.run(job, LIMITS)
        assert outcome.status == "ok", outcome.log_tail
        text = "".join(o.get("text", "") for o in nbformat.read(
            job / "executed.ipynb", as_version=4).cells[0].outputs)
    finally:
        box.close()
    assert text == "course file\nerrno 30\n"  # EROFS: read-only
    assert not (course / "new.txt").exists()


@needs_bwrap
def test_a_warm_sandbox_that_stops_mid_run_is_the_graders_error_and_is_replaced(tmp_path):
    import signal
    import threading

    from crmlib.grading.core import Task, grade_submission
    from crmlib.grading.sandbox import WarmPool

    skip_without_nested_namespaces()
    slow = with_cell("import time\ntime.sleep(20)", before="q4")
    task = Task("demo_repurchase", "ana", "ana.ipynb", nbformat.writes(slow).encode(), LIMITS,
                (str(FIXTURES.resolve()),), True)
    pool = WarmPool(bwrap_path(), LIMITS)
    try:
        box = pool.sandbox()
        assert box is not None, pool.problem
        # the warm sandbox dies from outside (a run cannot reach it) while the run sleeps
        threading.Timer(8, lambda: os.killpg(box.proc.pid, signal.SIGKILL)).start()
        lost = grade_submission(task, pool)
        assert lost["status"] == "grader-error" and "run crm grade again" in lost["feedback"]
        again = grade_submission(Task(task.assignment, task.student, task.file,
                                      nbformat.writes(solution()).encode(), LIMITS,
                                      task.key_dirs, True), pool)
        assert (again["status"], again["total"], again["sandbox"]) == ("graded", MAX,
                                                                      "bwrap, warm")
        assert pool.sandbox() is not box
    finally:
        pool.close()


SEALED_KEY = '''"""A grader test key whose answer key is sealed from the graded kernel."""
from crmlib.data import load_harbor
from crmlib.exercises import Number

TITLE = "Sealed truth (grader test)"


def customers(variant):
    return len(load_harbor("customers", variant=variant))


q1 = Number("q1", reference=customers, points=1, prompt="How many customers?")
q1.sealed_tables = ("campaign_effects",)
QUESTIONS = [q1]
'''

SEALED_TRY = '''import sys
reached = []
for hidden in ("import crmlib." + "truth", "import crmlib.sim" + "ulate.harbor",
               "from crmlib import simul" + "ate"):
    try:
        exec(hidden)
        reached.append(hidden)
    except ImportError as err:
        print("refused:", err)
reached += [m for m in sys.modules if m.startswith(("crmlib.truth", "crmlib.simulate"))]
import crmlib
reached += [name for name in ("truth", "simulate") if hasattr(crmlib, name)]
for table in ("campaign_effects", "silo_links"):  # sealed; never handed over
    try:
        load_harbor(table, variant=wb.variant)
        reached.append(table)
    except Exception as err:
        print("refused:", err)
print("reached:", reached)
answer_q1 = len(load_harbor("customers", variant=wb.variant)) if not reached else -1
wb.q1.check(answer_q1)
'''


def _demo_workbook(tmp_path: Path, assignment: str, key_text: str, *cells: str
                   ) -> tuple[Path, nbformat.NotebookNode]:
    """A test key in ``tmp_path/keys`` and a notebook of its workbook: the parameters
    cell, the Workbook, then ``cells``. Returns the keys folder and the notebook."""
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    (keys / f"{assignment}_key.py").write_text(key_text)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('student_id = ""\nvariant = None\n'
                                  'answers_path = "answers.json"\ngraded = False',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from crmlib.data import load_harbor\nfrom crmlib.exercises import Workbook\n"
            f'wb = Workbook("{assignment}", student_id=student_id, variant=variant,\n'
            "              answers_path=answers_path, graded=graded)"),
        *[nbformat.v4.new_code_cell(cell) for cell in cells],
    ]
    return keys, nb


@needs_bwrap
@pytest.mark.parametrize("warm", [True, False])
def test_a_sealed_key_keeps_the_simulation_out_of_the_graded_kernel(tmp_path, warm):
    # what the static scan misses (exec of a built-up name) the kernel refuses at run time
    keys, nb = _demo_workbook(tmp_path, "demo_sealed", SEALED_KEY, SEALED_TRY)
    write(tmp_path / "subs" / "ana_demo_sealed_exercise.ipynb", nb)
    result = grade("demo_sealed", [tmp_path / "subs"], tmp_path / "out", jobs=1,
                   limits=LIMITS, key_dirs=[keys], progress=False, warm=warm)
    (row,) = result.results
    executed = (tmp_path / "out" / "executed" / "ana.ipynb").read_text()
    assert (row["status"], row["total"]) == ("graded", 1.0), executed[-3000:]
    assert "reached: []" in executed
    assert executed.count("is sealed while this workbook is graded") == 3
    assert "cannot simulate it" in executed and "sealed while the workbook is graded" in executed
    assert any("sealed kernel" in note for note in row["notes"])


WARNING_KEY = '''"""A grader test key whose reference warns on some students' data."""
import warnings

from crmlib.exercises import Number

TITLE = "A key that warns (grader test)"


def odd(variant):
    if variant % 2:
        warnings.warn("the fit sits at a bound on this variant", RuntimeWarning)
    return variant % 7


QUESTIONS = [Number("q1", reference=odd, points=1, prompt="Your variant modulo 7?")]
'''


@needs_bwrap
def test_a_warning_of_the_answer_key_is_counted_once_for_the_instructor(tmp_path, capfd):
    # Workbook 01's key warned once per student on a quarter of the class, flooding the
    # grader's terminal: the summary now counts each warning over the class instead.
    keys, nb = _demo_workbook(tmp_path, "demo_warns", WARNING_KEY, "wb.q1.check(wb.variant % 7)")
    students = ["ana", "ben", "cyd", "dee", "eli", "fay"]
    for student in students:
        write(tmp_path / "subs" / f"{student}_demo_warns_exercise.ipynb", nb)
    odd = sum(variant_for(s) % 2 for s in students)
    assert 0 < odd < len(students)  # the test means something only if both kinds are there
    result = grade("demo_warns", [tmp_path / "subs"], tmp_path / "out", jobs=2,
                   limits=LIMITS, key_dirs=[keys], progress=False)
    assert [r["total"] for r in result.results] == [1.0] * len(students)
    printed = capfd.readouterr()
    assert "sits at a bound" not in printed.err  # never once per student
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert f"the answer key warned on {odd} of {len(students)} students' data" in summary
    assert ("own code would): q1: RuntimeWarning: the fit sits at a bound on this variant"
            in summary)
    assert summary.count("sits at a bound") == 1
    for page in (tmp_path / "out" / "feedback").iterdir():  # the students never see it
        assert "sits at a bound" not in page.read_text()
