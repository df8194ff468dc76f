"""Run pytest, and run it once more only when a Jupyter kernel failed to start.

Usage: python tools/pytest_kernel_retry.py [pytest arguments ...]

Strict nbval starts a kernel per notebook, two at a time. Very rarely a kernel
dies before it answers (``Kernel died before replying to kernel_info``: the
kernel process, not a notebook cell), and every cell of that notebook errors at
setup. That says nothing about the notebooks, so the run is repeated once when
that message is the only kind of problem in it; any failing cell, any other
error, or the same start-up failure twice fails as usual.
"""

from __future__ import annotations

import re
import subprocess
import sys

KERNEL_START = "Kernel died before replying to kernel_info"


def run(args: list[str]) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    return proc.wait(), "".join(lines)


def only_kernel_start_failures(output: str) -> bool:
    """Whether every problem of a run was a kernel that did not start."""
    if KERNEL_START not in output:
        return False
    summary = [line for line in output.splitlines()
               if re.match(r"=+ .*(passed|failed|error)", line)]
    if not summary or "failed" in summary[-1]:
        return False  # a notebook cell really failed
    return True


def main(args: list[str]) -> int:
    code, output = run(args)
    if code != 0 and only_kernel_start_failures(output):
        print(f"\n{KERNEL_START}: a kernel process failed to start (not a notebook "
              "failure); running the notebooks once more\n", flush=True)
        code, _ = run(args)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
