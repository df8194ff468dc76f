"""Shared fixtures and the test tiers.

Markers (registered in pyproject.toml): ``browser`` for Playwright tests and
``slow`` for tests that start servers or build and install the package.
``make unit`` runs ``-m "not browser and not slow"`` (about two minutes);
``make test`` runs everything. A test file marks itself, one way only: a whole file
with ``pytestmark = pytest.mark.slow`` (a list for several), a single test with
``@pytest.mark.slow``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Re-exported for test files that still import them from conftest (use `support`).
from support import HARBOR_VARIANT, REPO, free_port, serve, stop  # noqa: F401

os.environ.setdefault("MPLBACKEND", "Agg")

@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def harbor():
    """``harbor(table)``: a Harbor Coffee table, loaded once per test session and shared
    by every test that asks for it (do not change it in place; copy it first)."""
    from crmlib.data import load_harbor

    cache: dict[str, object] = {}

    def load(table: str):
        if table not in cache:
            cache[table] = load_harbor(table, variant=HARBOR_VARIANT)
        return cache[table]

    return load


@pytest.fixture(scope="session")
def purchases(harbor):
    return harbor("purchases")


@pytest.fixture(scope="session")
def customers(harbor):
    return harbor("customers")


@pytest.fixture(scope="session")
def products(harbor):
    return harbor("products")


@pytest.fixture(scope="session")
def contacts(harbor):
    return harbor("contacts")


@pytest.fixture(scope="session")
def campaigns(harbor):
    return harbor("campaigns")


# The second data variant every workbook test compares with the committed data.
OTHER_VARIANT = 7


@pytest.fixture(scope="session")
def workbook_refs():
    """``workbook_refs(assignment)``: ``{None: refs, 7: refs}``, each question's reference
    answer on the committed data and on variant 7, computed once per test session."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from crmlib.exercises import load_key

    cache: dict[str, dict] = {}

    def get(assignment: str) -> dict:
        if assignment not in cache:
            key = load_key(assignment, [REPO / "solutions"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # a variant's fit may warn
                cache[assignment] = {v: {qid: q.expected(v) for qid, q in key.questions.items()}
                                     for v in (None, OTHER_VARIANT)}
        return cache[assignment]

    return get
