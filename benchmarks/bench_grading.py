"""Grading throughput: ``crm grade --jobs 2`` on 60 submissions against a plain loop of
``papermill`` command-line runs of the same notebooks, measured in the same run.

Usage: python benchmarks/bench_grading.py [--n 60] [--loop-n 20] [--jobs 2]
                                          [--workbook NN_topic | all] [--cold]

The submissions are one workbook's solution, by default the grader's test
workbook (tests/fixtures/grading), or a course workbook from solutions/ with
``--workbook`` (e.g. ``05_customer_lifetime_value``); one per student id, so
each one works on its own data variant; a quarter are handed in blank and a
quarter with the first answer removed. The plain loop runs ``papermill`` on
``--loop-n`` of them one after the other with the same parameters (no sandbox,
no scoring) and its time per notebook is scaled to ``--n``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(REPO))

from crmlib.exercises import variant_for  # noqa: E402
from crmlib.grading import notebooks  # noqa: E402
from crmlib.grading.batch import grade  # noqa: E402
from crmlib.grading.sandbox import Limits  # noqa: E402


def make_submissions(folder: Path, n: int, source: Path, assignment: str) -> list[Path]:
    solution = nbformat.read(source, as_version=4)
    blank = notebooks.build_exercise(solution)
    wrong = nbformat.reads(nbformat.writes(solution), as_version=4)
    for cell in wrong.cells:  # the first recorded answer becomes None: one question lost
        if cell.cell_type == "code" and re.search(r"^answer_\w+ = ", cell.source, re.M):
            cell.source = re.sub(r"^(answer_\w+) = .*$", r"\1 = None", cell.source, count=1,
                                 flags=re.M)
            break
    paths = []
    for i in range(n):
        nb = blank if i % 4 == 1 else wrong if i % 4 == 2 else solution
        path = folder / f"s{i:03d}_{assignment}_exercise.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def papermill_loop(paths: list[Path], work: Path) -> float:
    """Seconds for plain ``papermill`` CLI runs of ``paths``, one after the other."""
    papermill = Path(sys.executable).parent / "papermill"
    started = time.perf_counter()
    for path in paths:
        student = path.name.split("_")[0]
        out = work / f"{student}.ipynb"
        subprocess.run([str(papermill), str(path), str(out), "-p", "student_id", student,
                        "-p", "variant", str(variant_for(student)), "-p", "graded", "True",
                        "-p", "answers_path", str(work / f"{student}.json"),
                        "--cwd", str(work), "--no-progress-bar", "--log-level", "WARNING"],
                       check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(workbook: str, n: int, loop_n: int, jobs: int, cold: bool) -> dict:
    """Grade ``n`` submissions of one workbook and time the plain papermill loop."""
    keys = FIXTURES if workbook == "demo_repurchase" else REPO / "solutions"
    source = keys / f"{workbook}_solution.ipynb"
    if not source.is_file():
        raise SystemExit(f"--workbook {workbook}: no {source}")
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        subs = work / "subs"
        subs.mkdir()
        paths = make_submissions(subs, n, source, workbook)
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            result = grade(workbook, [subs], work / "out", jobs=jobs,
                           limits=Limits(timeout=300, cell_timeout=120), key_dirs=[keys],
                           progress=False, stream=quiet, warm=not cold)
        wall = time.perf_counter() - started
        loop_dir = work / "loop"
        loop_dir.mkdir()
        loop_n = min(loop_n, n)
        loop = papermill_loop(paths[:loop_n], loop_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res = result.results
    per_sub, loop_per = wall / n, loop / loop_n
    return {"workbook": workbook, "n": n, "wall": wall, "rate": 60 / per_sub,
            "loop_n": loop_n, "loop": loop, "loop_rate": 60 / loop_per,
            "ratio": loop_per / per_sub,
            "statuses": sorted({r["status"] for r in res}),
            "sandbox": sorted({r["sandbox"] for r in res if r["sandbox"]}),
            **{k: sum(r[k] for r in res) / len(res)
               for k in ("startup_s", "execution_s", "scoring_s", "runtime_s")}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="submissions to grade")
    parser.add_argument("--loop-n", type=int, default=20, help="papermill runs in the loop")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cold", action="store_true",
                        help="a fresh sandbox, Python and kernel per submission (crm grade --cold)")
    parser.add_argument("--workbook", default="demo_repurchase",
                        help="a course workbook (NN_topic, from solutions/), the test one, or "
                             "'all': every course workbook, one after the other")
    args = parser.parse_args(argv)
    workbooks = ([p.name.removesuffix("_solution.ipynb")
                  for p in sorted((REPO / "solutions").glob("[0-9][0-9]_*_solution.ipynb"))]
                 if args.workbook == "all" else [args.workbook])
    rows = [measure(w, args.n, args.loop_n, args.jobs, args.cold) for w in workbooks]
    print(f"sandbox: {', '.join(sorted({k for r in rows for k in r['sandbox']})) or 'none ran'}; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; "
          f"crm grade --jobs {args.jobs}, {args.n} submissions each "
          "(a quarter blank, a quarter with one answer lost)")
    print(f"{'workbook':<28} {'graded/min':>10} {'papermill/min':>13} {'ratio':>6} "
          f"{'start-up s':>10} {'run s':>6} {'score s':>7}  statuses")
    for r in rows:
        print(f"{r['workbook']:<28} {r['rate']:>10.1f} {r['loop_rate']:>13.1f} "
              f"{r['ratio']:>5.2f}x {r['startup_s']:>10.2f} {r['execution_s']:>6.2f} "
              f"{r['scoring_s']:>7.2f}  {', '.join(r['statuses'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
