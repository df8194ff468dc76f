"""Run the vendored lifetimes tests against the adapter in ./lifetimes/, not lifetimes itself.

The adapter's folder goes first on sys.path and the course's root (for crmlib) after
it, so ``import lifetimes`` finds the shim even where the real lifetimes is installed.
Each test gets numpy's floating-point error state back afterwards: lifetimes'
``test_no_runtime_warnings_high_frequency`` sets ``np.seterr(all="raise")`` and
restores it only if it gets that far, which would leak into the tests after it.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

SUITE = Path(__file__).resolve().parent
for path in (SUITE.parent.parent, SUITE):  # ends with SUITE first
    if str(path) in sys.path:
        sys.path.remove(str(path))
    sys.path.insert(0, str(path))


@pytest.fixture(autouse=True)
def _numpy_error_state():
    saved = np.geterr()
    yield
    np.seterr(**saved)
