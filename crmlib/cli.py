"""The ``crm`` command: data, quizzes and flashcards, exercises and grading."""

from __future__ import annotations

import argparse
import sys
import time


def _data_build(args: argparse.Namespace) -> int:
    from crmlib import data  # imported here: the quiz commands must start quickly

    start = time.perf_counter()
    written = data.build_harbor(args.dir)
    checksums = data.write_checksums(args.dir)
    size = sum(p.stat().st_size for p in written)
    built_with = ", ".join(f"{k} {v}" for k, v in data.build_versions().items())
    print(f"wrote {len(written)} Harbor Coffee tables ({size / 1e6:.1f} MB) "
          f"and {checksums} in {time.perf_counter() - start:.1f} s (built with {built_with})")
    return 0


def _data_verify(args: argparse.Namespace) -> int:
    from crmlib import data

    problems = data.verify_checksums(args.dir)
    notes = data.version_differences(args.dir)
    for line in problems:
        print(line, file=sys.stderr)
    for line in notes:
        print(f"note: {line}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s); rebuild with `crm data build`", file=sys.stderr)
        return 1
    print("all data files match CHECKSUMS")
    return 0


def _progress(args: argparse.Namespace):
    from crmlib.quiz.progress import Progress

    if getattr(args, "no_save", False):
        return Progress(persist=False)
    return Progress(args.progress)


def _validate(paths: list[str]) -> int:
    from crmlib.quiz import bank as banks

    problems = []
    for path in paths or banks.bank_paths():
        try:
            banks.load_bank(path)
        except banks.BankError as err:
            problems.append(str(err))
    loaded = {}
    if not paths:
        try:
            loaded = banks.load_banks()
        except banks.BankError as err:
            problems.append(str(err))
    if problems:
        print("\n".join(dict.fromkeys(problems)), file=sys.stderr)
        return 1
    for b in loaded.values():
        figures = sum(c.kind == "figure" for c in b.cards)
        print(f"{b.path.name}: {len(b.cards)} cards ({figures} figure), "
              f"{len(b.questions)} questions")
    checked = [banks.load_bank(p) for p in paths] if paths else list(loaded.values())
    print(banks.format_stats(banks.bank_stats(checked)))
    print(f"{len(paths or banks.bank_paths())} bank(s) valid")
    return 0


def _quiz(args: argparse.Namespace) -> int:
    from crmlib.quiz import bank as banks
    from crmlib.quiz.terminal import run_quiz

    if args.lesson == "validate":
        return _validate(args.paths)
    if args.paths:
        print(f"crm quiz: unexpected arguments {' '.join(args.paths)} (files go with "
              "'crm quiz validate')", file=sys.stderr)
        return 2
    bank = banks.find_bank(args.lesson)
    shuffle = True if args.shuffle else ("options" if not args.in_order else False)
    run_quiz(bank, sys.stdin, sys.stdout, progress=_progress(args), shuffle=shuffle,
             seed=args.seed, exam=args.exam)
    return 0


def _cards(args: argparse.Namespace) -> int:
    from crmlib.quiz import bank as banks
    from crmlib.quiz.terminal import run_cards

    bank = banks.find_bank(args.lesson)
    run_cards(bank, sys.stdin, sys.stdout, _progress(args), due_only=not args.all,
              shuffle=args.shuffle, seed=args.seed)
    return 0


def _review(args: argparse.Namespace) -> int:
    from crmlib.quiz import bank as banks
    from crmlib.quiz.terminal import run_cards

    progress = _progress(args)
    if args.up_to:
        progress.set_reached(args.up_to)
    loaded = banks.load_banks()
    cards = [c for b in loaded.values() if b.lesson <= progress.reached for c in b.cards]
    run_cards(cards, sys.stdin, sys.stdout, progress, due_only=True,
              title=f"Review: lessons 00 to {progress.reached}, cards due today")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from crmlib.quiz import bank as banks
    from crmlib.quiz.terminal import print_stats

    print_stats(_progress(args), banks.load_banks(), sys.stdout)
    return 0


def _anki(args: argparse.Namespace) -> int:
    from crmlib.quiz import bank as banks
    from crmlib.quiz.anki import export_anki

    loaded = banks.load_banks()
    path = export_anki(loaded, args.out, questions=not args.cards_only)
    cards = sum(len(b.cards) for b in loaded.values())
    questions = 0 if args.cards_only else sum(len(b.questions) for b in loaded.values())
    print(f"wrote {path.resolve()}: {cards} flashcards and {questions} quiz questions in "
          f"{len(loaded)} decks; open it with Anki (File > Import) or AnkiDroid/AnkiMobile")
    return 0


def _exercises(args: argparse.Namespace) -> int:
    from pathlib import Path

    from crmlib.grading import notebooks

    course = Path(__file__).resolve().parent.parent  # the repository (a checkout)
    solutions = Path(args.solutions or course / "solutions")
    exercises = Path(args.exercises or course / "exercises")
    if args.action == "build":
        written = notebooks.build_exercises(solutions, exercises)
        for path in written:
            print(f"wrote {path}")
        print(f"{len(written)} exercise notebook(s) written, the rest already in step")
        return 0
    problems = notebooks.check_exercises(solutions, exercises)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    print(f"{exercises}: in step with {solutions}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from crmlib.grading import require_linux

    require_linux()  # before importing the grader, which needs Linux to import at all
    from crmlib.grading.batch import grade
    from crmlib.grading.sandbox import Limits

    limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout,
                    memory_mb=args.memory_mb, file_mb=args.file_mb, processes=args.processes,
                    input_mb=args.input_mb)
    result = grade(args.assignment, args.submissions, args.out, jobs=args.jobs, limits=limits,
                   regrade=args.regrade, roster=args.roster, scheduler=args.scheduler,
                   moodle_worksheet=args.moodle_worksheet,
                   canvas_gradebook=args.canvas_gradebook, canvas_column=args.canvas_column,
                   review_sheets=args.reviews,
                   key_dirs=args.keys or None, use_bwrap=not args.no_sandbox,
                   progress=not args.quiet, warm=not args.cold)
    ran = sum(r["status"] not in ("duplicate", "unmatched", "missing") for r in result.results)
    print(f"graded {ran} submission(s), kept {result.skipped} already graded; "
          f"gradebook: {result.out / 'gradebook.csv'}")
    if result.interrupted:
        import shlex

        command = shlex.join(["crm", *(args.argv if args.argv is not None else sys.argv[1:])])
        print(f"Interrupted: {result.not_graded} submission(s) not graded yet; every row "
              f"graded is kept, with the summary and the exports for them. To go on, run the "
              f"same command again:\n  {command}", file=sys.stderr)
        return 130
    return 0


def _lab(args: argparse.Namespace) -> int:
    from crmlib import lab

    extra = args.jupyter_args[1:] if args.jupyter_args[:1] == ["--"] else args.jupyter_args
    return lab.run(args.course, args.work, port=args.port, ip=args.ip,
                   browser=not args.no_browser, extra=extra)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crm`` command."""
    parser = argparse.ArgumentParser(prog="crm", description="Customer Relationship Marketing "
                                     "course tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    lab_p = sub.add_parser("lab", help="open JupyterLab on your working copy of the lessons",
                           description="Copy the lessons and workbooks you do not have yet "
                           "into your working copy (my-work/ in the course folder; never "
                           "overwritten) and open JupyterLab on it, first lesson first. "
                           "Arguments after -- go to JupyterLab as they are.")
    lab_p.add_argument("--course", default=None,
                       help="the course folder (default: the checkout crmlib runs from, or "
                            "the current folder)")
    lab_p.add_argument("--work", default=None, help="the working copy (default: my-work/ in "
                       "the course folder)")
    lab_p.add_argument("--port", type=int, default=None, help="JupyterLab's port (default: "
                       "8888 or the next free one)")
    lab_p.add_argument("--ip", default=None, help="the address to listen on (default: "
                       "localhost)")
    lab_p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab_p.add_argument("jupyter_args", nargs=argparse.REMAINDER,
                       help="-- then arguments for JupyterLab")
    lab_p.set_defaults(func=_lab)

    data_p = sub.add_parser("data", help="build or verify the course data sets")
    data_sub = data_p.add_subparsers(dest="action", required=True)
    build = data_sub.add_parser("build", help="simulate Harbor Coffee and write datasets/")
    build.add_argument("--dir", default=None, help="datasets folder (default: the course's)")
    build.set_defaults(func=_data_build)
    verify = data_sub.add_parser("verify", help="check data files against datasets/CHECKSUMS")
    verify.add_argument("--dir", default=None, help="datasets folder (default: the course's)")
    verify.set_defaults(func=_data_verify)

    quiz = sub.add_parser("quiz", help="take a lesson's quiz in the terminal, or validate banks",
                          description="crm quiz LESSON: answer a lesson's quiz (one answer per "
                          "line; works with piped input). Options are shuffled the same way "
                          "each time for you. crm quiz validate [FILE...]: check the question "
                          "banks and print their statistics.")
    quiz.add_argument("lesson", help="lesson number (00-06) or 'validate'")
    quiz.add_argument("paths", nargs="*", help="bank files to validate (default: all)")
    quiz.add_argument("--exam", action="store_true", help="hold feedback until the end")
    order = quiz.add_mutually_exclusive_group()
    order.add_argument("--shuffle", action="store_true",
                       help="shuffle the question order too (options are always shuffled)")
    order.add_argument("--in-order", action="store_true",
                       help="options in the order of the bank file (for authors)")
    quiz.add_argument("--seed", type=int, default=None,
                      help="shuffling seed (default: one fixed per learner)")
    quiz.add_argument("--progress", default=None, help="progress file (default: per user)")
    quiz.add_argument("--no-save", action="store_true", help="do not record the score")
    quiz.set_defaults(func=_quiz)

    cards = sub.add_parser("cards", help="review a lesson's flashcards with spaced repetition",
                           description="For each card: Enter shows the answer, then 1 again, "
                           "2 hard, 3 good, 4 easy (a and k work too), u undoes the last "
                           "rating, s skips, q quits. Works with piped input.")
    cards.add_argument("lesson", help="lesson number (00-06)")
    cards.add_argument("--all", action="store_true", help="the whole deck, not just due cards")
    cards.add_argument("--shuffle", action="store_true", help="shuffle the cards")
    cards.add_argument("--seed", type=int, default=0, help="shuffling seed")
    cards.add_argument("--progress", default=None, help="progress file (default: per user)")
    cards.set_defaults(func=_cards)

    review = sub.add_parser("review", help="every card due today, from all lessons reached",
                            description="Like crm cards, over every lesson up to the one you "
                            "have reached (finishing a lesson's quiz marks it reached).")
    review.add_argument("--up-to", default=None, metavar="LESSON",
                        help="mark lessons up to LESSON as reached first (e.g. 03)")
    review.add_argument("--progress", default=None, help="progress file (default: per user)")
    review.set_defaults(func=_review)

    stats = sub.add_parser("stats", help="reviews per day, retention, what is due this week")
    stats.add_argument("--progress", default=None, help="progress file (default: per user)")
    stats.set_defaults(func=_stats)

    anki = sub.add_parser("anki", help="export every deck to an Anki package (.apkg)",
                          description="Write the flashcards (and, unless --cards-only, the "
                          "quiz questions with their explanations) to an Anki package, one "
                          "sub-deck per lesson, to keep reviewing on a phone.")
    anki.add_argument("out", nargs="?", default="crm-course.apkg", help="the .apkg file to write")
    anki.add_argument("--cards-only", action="store_true", help="flashcards only")
    anki.set_defaults(func=_anki)

    ex = sub.add_parser("exercises", help="build exercises/ from solutions/, or check they "
                        "are in step")
    ex.add_argument("action", choices=["build", "check"])
    ex.add_argument("--solutions", default=None,
                    help="solutions folder (default: the course's)")
    ex.add_argument("--exercises", default=None,
                    help="exercises folder (default: the course's)")
    ex.set_defaults(func=_exercises)

    grade = sub.add_parser("grade", help="grade a class's workbooks",
                           description="Run each submission in a sandbox with limits, score "
                           "its answers against its own data variant, and write DIR/"
                           "gradebook.csv, executed copies, feedback pages, a class summary "
                           "and an LMS export. A rerun keeps what is graded.")
    grade.add_argument("assignment", help="workbook name, e.g. 04_rfm")
    grade.add_argument("submissions", nargs="+", help="notebooks, folders or zip archives")
    grade.add_argument("--out", required=True, help="output folder")
    grade.add_argument("--jobs", type=int, default=2, help="submissions at a time (default 2)")
    grade.add_argument("--timeout", type=float, default=300, help="seconds per submission, "
                       "whole run (default 300)")
    grade.add_argument("--cell-timeout", type=float, default=60,
                       help="seconds per cell (default 60)")
    grade.add_argument("--memory-mb", type=int, default=3072,
                       help="address space per process, MiB")
    grade.add_argument("--file-mb", type=int, default=64, help="largest file a run may write")
    grade.add_argument("--processes", type=int, default=64, help="processes a run may start")
    grade.add_argument("--input-mb", type=float, default=20,
                       help="largest submission once its outputs are dropped, in MiB (default "
                            "20; outputs are never run, the grader runs the code again)")
    grade.add_argument("--regrade", nargs="*", default=None, metavar="STUDENT",
                       help="grade again: everyone, or the students named")
    grade.add_argument("--roster", default=None,
                       help="CSV with a student_id column (optionally lms_id, email, name)")
    grade.add_argument("--moodle-worksheet", default=None, metavar="CSV",
                       help="Moodle's offline grading worksheet: filled in as "
                            "moodle_grading_worksheet.csv")
    grade.add_argument("--canvas-gradebook", default=None, metavar="CSV",
                       help="Canvas's gradebook export: written back as canvas_import.csv")
    grade.add_argument("--reviews", nargs="+", default=None, metavar="CSV",
                       help="review sheets of written answers that markers filled in "
                            "(written to OUT/reviews/ by an earlier run): folded into the "
                            "gradebook, the feedback and the exports")
    grade.add_argument("--canvas-column", default=None, metavar="NAME",
                       help="the Canvas column to fill (default: the one named like the "
                            "assignment)")
    grade.add_argument("--scheduler", default=None,
                       help="Dask scheduler address (needs the grader's extra: "
                            "pip install \"crmlib[grader]\")")
    grade.add_argument("--keys", action="append", default=[],
                       help="folder with the answer key (default: CRM_KEYS, solutions/)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="grade WITHOUT a sandbox, with resource limits only (the notebooks "
                            "can read what the grader's user can); without it, crm grade "
                            "refuses to run when bubblewrap is missing or cannot start")
    grade.add_argument("--cold", action="store_true",
                       help="a fresh bubblewrap sandbox, Python and kernel per submission "
                            "instead of forks of a warm sandbox (slower)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.set_defaults(func=_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``crm`` command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    args.argv = None if argv is None else list(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into head or similar
        return 0
    except KeyboardInterrupt:
        # the quiz and flashcard commands save each answer as it is given
        learning = args.command in ("quiz", "cards", "review")
        print("\nStopped." + (" Everything you answered or rated so far is saved."
                              if learning else ""), file=sys.stderr)
        return 130
    except Exception as err:
        from crmlib.errors import is_course_error

        if not is_course_error(err):
            raise  # a bug: it keeps its traceback
        print(f"crm: {err}", file=sys.stderr)  # bad data, a bad bank, a bad argument
        return 2


if __name__ == "__main__":
    sys.exit(main())
