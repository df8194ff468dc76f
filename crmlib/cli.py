"""The ``crm`` command: data, quizzes and flashcards (grading arrives with the workbooks)."""

from __future__ import annotations

import argparse
import sys
import time

from crmlib import data


def _data_build(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    written = data.build_harbor(args.dir)
    checksums = data.write_checksums(args.dir)
    size = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} Harbor Coffee tables ({size / 1e6:.1f} MB) "
          f"and {checksums} in {time.perf_counter() - start:.1f} s")
    return 0


def _data_verify(args: argparse.Namespace) -> int:
    problems = data.verify_checksums(args.dir)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s); rebuild with `crm data build`", file=sys.stderr)
        return 1
    print("all data files match CHECKSUMS")
    return 0


def _quiz(args: argparse.Namespace) -> int:
    from crmlib.quiz import bank as banks
    from crmlib.quiz.progress import Progress
    from crmlib.quiz.terminal import run_quiz

    if args.lesson == "validate":
        paths = args.paths or banks.bank_paths()
        problems = []
        for path in paths:
            try:
                banks.load_bank(path)
            except banks.BankError as err:
                problems.append(str(err))
        if not args.paths:
            try:
                loaded = banks.load_banks()
            except banks.BankError as err:
                problems.append(str(err))
                loaded = {}
            for b in loaded.values():
                print(f"{b.path.name}: {len(b.cards)} cards, {len(b.questions)} questions")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        print(f"{len(paths)} bank(s) valid")
        return 0
    bank = banks.find_bank(args.lesson)
    progress = Progress(args.progress) if not args.no_save else Progress(persist=False)
    run_quiz(bank, sys.stdin, sys.stdout, progress=progress, shuffle=args.shuffle,
             seed=args.seed, exam=args.exam)
    return 0


def _cards(args: argparse.Namespace) -> int:
    from crmlib.quiz import bank as banks
    from crmlib.quiz.progress import Progress
    from crmlib.quiz.terminal import run_cards

    bank = banks.find_bank(args.lesson)
    run_cards(bank, sys.stdin, sys.stdout, Progress(args.progress), due_only=not args.all,
              shuffle=args.shuffle, seed=args.seed)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crm`` command."""
    parser = argparse.ArgumentParser(prog="crm", description="Customer Relationship Marketing "
                                     "course tools.")
    sub = parser.add_subparsers(dest="command", required=True)
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
                          "line; works with piped input). crm quiz validate [FILE...]: check "
                          "the question banks.")
    quiz.add_argument("lesson", help="lesson number (00-06) or 'validate'")
    quiz.add_argument("paths", nargs="*", help="bank files to validate (default: all)")
    quiz.add_argument("--exam", action="store_true", help="hold feedback until the end")
    quiz.add_argument("--shuffle", action="store_true", help="shuffle questions and options")
    quiz.add_argument("--seed", type=int, default=0, help="shuffling seed")
    quiz.add_argument("--progress", default=None, help="progress file (default: per user)")
    quiz.add_argument("--no-save", action="store_true", help="do not record the score")
    quiz.set_defaults(func=_quiz)

    cards = sub.add_parser("cards", help="review a lesson's flashcards with spaced repetition",
                           description="For each card: Enter flips, then k (knew it), a (again),"
                           " s (skip) or q (quit). Works with piped input.")
    cards.add_argument("lesson", help="lesson number (00-06)")
    cards.add_argument("--all", action="store_true", help="the whole deck, not just due cards")
    cards.add_argument("--shuffle", action="store_true", help="shuffle the cards")
    cards.add_argument("--seed", type=int, default=0, help="shuffling seed")
    cards.add_argument("--progress", default=None, help="progress file (default: per user)")
    cards.set_defaults(func=_cards)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``crm`` command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # DatasetError, BankError and bad arguments
        print(f"crm: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
