"""Sealing the simulation's truth away from a graded kernel.

A workbook question scored against what the simulation knows and the student
does not (workbook 04's decision challenge, scored by each customer's true
response to the offer) must not be answerable by asking the simulation. The
grader scans the submitted code for such calls (``Question.forbidden``); a
static scan is a deterrent, since code can hide what it calls. This module is
the second line: while such a workbook is graded, the student's kernel

- cannot import the simulation or its truth (:data:`SEALED_MODULES`): they are
  removed from the warm kernel's modules and a finder refuses them with a
  message that says why;
- cannot load the sealed tables (a key's ``sealed_tables``, e.g. the
  ``campaign_effects`` answer key), which the grader also leaves out of the
  variant it hands over (:func:`crmlib.grading.variants.save_variant_cache`);
- and so cannot simulate a table the grader did not hand over.

It is not a proof either (Python can reach an object it holds by other
routes), but the way to the truth is then neither an import nor a table.

The grader writes :data:`SEAL_FILE` into the run's private folder; the runner
puts it into the environment variable :data:`SEAL_ENV` before the kernel
starts, and the kernel applies it (:func:`apply_seal`: a warm kernel when it
is forked, a cold one when it first imports ``crmlib``). Only the standard
library is used here.
"""

from __future__ import annotations

import importlib.abc
import json
import os
import sys
from functools import lru_cache
from pathlib import Path

SEAL_ENV = "CRM_SEALED"
"""The environment variable that carries the seal into the kernel (JSON)."""

SEAL_FILE = "seal.json"
"""The file in a run's private folder that asks the runner for a seal."""

SEALED_MODULES = ("crmlib.truth", "crmlib.simulate")
"""What a sealed kernel cannot import: the simulation and its answer keys."""


def write_seal(folder: str | os.PathLike, tables: tuple[str, ...] | list[str]) -> Path:
    """Ask for a sealed kernel in the run folder ``folder``, with ``tables`` sealed.

    Examples
    --------
    >>> import tempfile
    >>> path = write_seal(tempfile.mkdtemp(), ["campaign_effects"])
    >>> json.loads(path.read_text())["tables"]
    ['campaign_effects']
    """
    path = Path(folder) / SEAL_FILE
    path.write_text(json.dumps({"modules": list(SEALED_MODULES),
                                "tables": sorted(set(tables))}), encoding="utf-8")
    return path


def export_seal(folder: str | os.PathLike) -> bool:
    """Put the run folder's seal, if it has one, into the environment (for the kernel)."""
    path = Path(folder) / SEAL_FILE
    if not path.is_file():
        return False
    os.environ[SEAL_ENV] = path.read_text(encoding="utf-8")
    return True


@lru_cache(maxsize=4)
def _parse(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    try:
        doc = json.loads(text)
        modules = tuple(str(m) for m in doc.get("modules", SEALED_MODULES))
        tables = frozenset(str(t) for t in doc.get("tables", ()))
    except (ValueError, AttributeError, TypeError):  # a damaged seal seals everything it can
        modules, tables = SEALED_MODULES, frozenset({"campaign_effects"})
    return modules, tables


def sealed() -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The modules and tables sealed in this process (None: no seal)."""
    text = os.environ.get(SEAL_ENV)
    return None if text is None else _parse(text)


class _SealedFinder(importlib.abc.MetaPathFinder):
    def __init__(self, modules: tuple[str, ...]):
        self.modules = modules

    def find_spec(self, fullname, path=None, target=None):
        if any(fullname == m or fullname.startswith(m + ".") for m in self.modules):
            raise ImportError(
                f"{fullname} is sealed while this workbook is graded: the simulation's "
                "truth is the answer key of a question, so the graded kernel cannot "
                "import it (your own practice kernel can)", name=fullname)
        return None


def apply_seal() -> bool:
    """Seal this process as :data:`SEAL_ENV` asks (nothing without it); True when sealed.

    The sealed modules are dropped from ``sys.modules`` and from their parent
    packages, and an import finder refuses them from then on.
    """
    spec = sealed()
    if spec is None:
        return False
    modules = spec[0]
    if not any(isinstance(f, _SealedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SealedFinder(modules))
    for name in list(sys.modules):
        if any(name == m or name.startswith(m + ".") for m in modules):
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent in sys.modules and getattr(sys.modules[parent], child, None) is not None:
                try:
                    delattr(sys.modules[parent], child)
                except AttributeError:
                    pass
    return True
