"""tools/pytest_kernel_retry.py repeats a notebook run only for a kernel that did not start."""

from __future__ import annotations

import importlib.util

from support import REPO

_spec = importlib.util.spec_from_file_location("kernel_retry",
                                               REPO / "tools" / "pytest_kernel_retry.py")
retry = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(retry)

DIED = "RuntimeError: Kernel died before replying to kernel_info\n"


def test_a_kernel_that_did_not_start_is_the_only_retried_problem():
    errors_only = DIED + "======== 243 passed, 44 errors in 36.48s ========\n"
    assert retry.only_kernel_start_failures(errors_only)
    a_cell_failed = DIED + "======== 1 failed, 243 passed, 44 errors in 36.48s ========\n"
    assert not retry.only_kernel_start_failures(a_cell_failed)
    other_error = "E   NameError: x\n======== 243 passed, 1 error in 3.1s ========\n"
    assert not retry.only_kernel_start_failures(other_error)
    assert not retry.only_kernel_start_failures(DIED)  # no summary: the run itself broke
