"""The grader's hand-over of a student's data variant to the student's kernel.

The grader simulates a student's variant of Harbor Coffee once, to compute the
references, and hands the tables it loaded to the student's kernel as a file in
the sandbox's private folder: the folder is named by the environment variable
:data:`VARIANT_CACHE_ENV`, and there ``crmlib.data.load_harbor(table,
variant=...)`` reads the table instead of simulating the variant a second time.

Only the standard library and pandas are used here, so the student's kernel
can read the file without any of the grader's own dependencies.
:mod:`crmlib.data` imports this module only when the variable is set.
"""

from __future__ import annotations

import os
import pickle
from functools import lru_cache
from pathlib import Path

import pandas as pd

from crmlib.atomic import PRIVATE, open_atomic
from crmlib.schema import HARBOR

VARIANT_CACHE_ENV = "CRM_VARIANT_CACHE"
"""The environment variable naming the folder that holds the hand-over file."""

_CACHE_FORMAT = "crm-variant-tables/2"
_FITS_FORMAT = "crm-fitted-matchers/1"
FITS_FILE = "matcher-fits.pkl"
"""The hand-over file of the record matchers the grader fitted (:func:`handed_over_fits`)."""


def variant_cache_file(folder: str | os.PathLike, variant: int) -> Path:
    """Where :func:`save_variant_cache` puts a variant's tables.

    Examples
    --------
    >>> variant_cache_file("/tmp/job", 42).name
    'harbor-variant-42.pkl'
    """
    return Path(folder) / f"harbor-variant-{int(variant)}.pkl"


def save_variant_cache(variant: int, folder: str | os.PathLike, *,
                       only_if_simulated: bool = False,
                       exclude: tuple[str, ...] = ()) -> Path | None:
    """Write the tables of a variant this process has loaded where ``load_harbor`` finds them.

    With the environment variable ``CRM_VARIANT_CACHE`` naming ``folder``,
    ``load_harbor(table, variant=variant)`` returns the table from this file
    instead of simulating the variant: the same frame, already through the
    CSV format and its checks. A table that is not in the file is simulated
    as usual. The grader uses it to simulate each student's data once
    instead of twice.

    Parameters
    ----------
    variant : int
        The data variant.
    folder : path-like
        Where to write ``harbor-variant-<variant>.pkl``.
    only_if_simulated : bool
        Write only the tables this process has already simulated (every core
        table, and the silo tables when it simulated those), and only when it
        has simulated the variant at all (so a workbook that never loads Harbor
        data costs no simulation); returns None otherwise. Without it, every
        table of the variant is written. The kernel then simulates nothing a
        workbook loads after the grader's references have simulated it.
    exclude : tuple of str
        Tables never written (a challenge workbook's sealed answer tables):
        the kernel can only simulate them, which a sealed kernel cannot.

    Returns
    -------
    pathlib.Path or None
        The file written.
    """
    from crmlib import data

    variant = int(variant)
    tables = data.variant_tables(variant, simulated_only=only_if_simulated)
    if tables is None:
        return None
    tables = {name: table for name, table in tables.items() if name not in exclude}
    path = variant_cache_file(folder, variant)
    # in the run's private folder, read by its kernel at once and deleted with the folder
    with open_atomic(path, PRIVATE, binary=True, durable=False) as fh:
        pickle.dump({"format": _CACHE_FORMAT, "variant": variant, "tables": tables}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _read_handover(path: Path, fmt: str, entries: str) -> dict | None:
    """A hand-over file's content when it is one of ``fmt`` with a dict under ``entries``;
    None for a missing, unreadable, damaged or foreign file."""
    try:
        with open(path, "rb") as fh:
            doc = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError,
            ImportError, IndexError, TypeError):
        return None
    if not (isinstance(doc, dict) and doc.get("format") == fmt
            and isinstance(doc.get(entries), dict)):
        return None
    return doc


@lru_cache(maxsize=4)
def handed_over_tables(variant: int) -> dict[str, pd.DataFrame]:
    """The tables a grader handed over for ``variant`` (empty when there is no good file).

    A missing, unreadable or damaged file, one written for another variant or
    in another format, and any table whose columns are not its schema's, are
    all ignored: the kernel then simulates as it would without a grader.
    """
    folder = os.environ.get(VARIANT_CACHE_ENV)
    doc = _read_handover(variant_cache_file(folder, variant), _CACHE_FORMAT, "tables") \
        if folder else None
    if doc is None or doc.get("variant") != variant:
        return {}
    return {name: table for name, table in doc["tables"].items()
            if name in HARBOR and isinstance(table, pd.DataFrame)
            and list(table.columns) == list(HARBOR[name].columns)}


def save_fits(folder: str | os.PathLike, fits: dict[str, dict]) -> Path | None:
    """Write the record matchers a grader fitted for one student where the kernel finds them.

    Parameters
    ----------
    folder : path-like
        The run's private folder (the one :data:`VARIANT_CACHE_ENV` names).
    fits : dict
        What :func:`crmlib.scv.recording_fits` recorded while the grader computed
        this student's references; nothing is written when it is empty.

    Returns
    -------
    pathlib.Path or None
        The file written (:data:`FITS_FILE`).
    """
    if not fits:
        return None
    path = Path(folder) / FITS_FILE
    with open_atomic(path, PRIVATE, binary=True, durable=False) as fh:
        pickle.dump({"format": _FITS_FORMAT, "fits": fits}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


_FIT_PARTS = {"pairs_": ["record", "customer_id", "match_weight", "match_probability"],
              "weights_": ["comparison", "level", "m", "u", "weight"]}


@lru_cache(maxsize=1)
def handed_over_fits() -> dict[str, dict]:
    """The record matchers a grader fitted, by the fingerprint of what each was fitted on.

    :meth:`crmlib.scv.CustomerMatcher.fit` looks its inputs' fingerprint up here
    (only when :data:`VARIANT_CACHE_ENV` is set): the same records and
    customers, seed and sample size give the same model, so the kernel uses
    the grader's instead of fitting it a second time. Anything else (other
    records, another seed) misses and is fitted as usual. A missing, damaged
    or foreign file, and any entry without the fitted attributes' columns,
    are ignored.
    """
    folder = os.environ.get(VARIANT_CACHE_ENV)
    doc = _read_handover(Path(folder) / FITS_FILE, _FITS_FORMAT, "fits") if folder else None
    if doc is None:
        return {}
    return {key: state for key, state in doc["fits"].items()
            if isinstance(key, str) and isinstance(state, dict)
            and isinstance(state.get("prior_weight_"), float)
            and all(isinstance(state.get(part), pd.DataFrame)
                    and list(state[part].columns) == cols for part, cols in _FIT_PARTS.items())}
