"""The ``crm`` command: course data now; grading and quizzes as they arrive."""

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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``crm`` command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except data.DatasetError as err:
        print(f"crm: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
