"""Load, validate, build and verify the course data sets.

Two data sets ship in ``datasets/``:

* **Harbor Coffee Co.**, simulated by :mod:`crmlib.simulate` and committed as
  CSV files under ``datasets/harbor/``;
* **CDNOW**, the real purchase log of the 1997 first-quarter cohort of the
  online music store, under ``datasets/cdnow/``.

Every loader parses into typed columns (dates as ``datetime64``, money as
``float64``, counts as ``int64``, labels as ``str``) and checks each table
against its schema. Every bad input raises :class:`DatasetError`, whose message
names the file, the column and the first offending line.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import platform
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.atomic import write_atomic  # noqa: F401  (re-exported: crmlib.data.write_atomic)
from crmlib.errors import CourseError
from crmlib.schema import (  # noqa: F401  (re-exported: crmlib.data.HARBOR and the rest)
    ANSWER_KEYS,
    CDNOW,
    CDNOW_RAW_COLUMNS,
    HARBOR,
    SILO_SCHEMAS,
    Schema,
)


def _find_data_dir() -> Path:
    """The ``datasets`` folder: inside the installed package, else the repository's.

    A regular install (``pip install <path or git URL>``) carries the data as
    ``crmlib/datasets`` (pyproject.toml maps the repository's ``datasets/``
    there); an editable install or a checkout uses ``datasets/`` beside ``crmlib/``.
    """
    package = Path(__file__).resolve().parent
    inside = package / "datasets"
    if (inside / "harbor").is_dir() or (inside / "cdnow").is_dir():
        return inside
    return package.parent / "datasets"


DATA_DIR = _find_data_dir()
CHECKSUMS = "CHECKSUMS"
# The largest Harbor tables ship gzip-compressed (``purchases.csv.gz``): pandas, the
# loaders and ``zcat`` read them as they are; every other table is a plain ``.csv``.
GZIPPED = ("purchases", "order_items", "coupons", "contacts")


def harbor_file(table: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The file that holds a Harbor Coffee table: ``harbor/<table>.csv`` or, for the
    largest tables (:data:`GZIPPED`), ``harbor/<table>.csv.gz``.

    Examples
    --------
    >>> harbor_file("purchases").name, harbor_file("products").name
    ('purchases.csv.gz', 'products.csv')
    """
    suffix = ".csv.gz" if table in GZIPPED else ".csv"
    return _data_dir(data_dir) / "harbor" / f"{table}{suffix}"


class DatasetError(CourseError, ValueError):
    """A data file is missing, malformed or breaks its schema.

    Attributes
    ----------
    path : str
        The file at fault.
    column : str or None
        The column at fault, when there is one.
    line : int or None
        The first offending line of the file (the header is line 1).
    """

    def __init__(self, path, message: str, column: str | None = None, line: int | None = None):
        self.path, self.column, self.line = str(path), column, line
        where = str(path)
        if column is not None:
            where += f", column {column!r}"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


CDNOW_FILES = {"sample": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}
_DATE_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M:%S"}
# The one rule for booleans: exactly what the writer (pandas) writes.
_BOOLEANS = {"True": True, "False": False}
# Text that pandas reads as a number but no table of the course may hold.
_NOT_FINITE = {"inf", "-inf", "+inf", "infinity", "-infinity", "+infinity", "nan", "-nan",
               "+nan"}


def _data_dir(data_dir: str | os.PathLike | None) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    return Path(os.environ.get("CRM_DATA_DIR", DATA_DIR))


# --------------------------------------------------------------------------- parsing
# One validator, two ways in. A well-formed file is converted by pandas' C parser
# (fast); the typed table then goes through _problem, the one set of rules. Only
# when the parser refuses a cell or _problem finds one does the file go through
# parse_table, which converts it cell by cell from text to say which cell is at
# fault, and then applies the same _problem.
def _first(mask) -> int:
    """Position of the first True of a boolean Series or array."""
    return int(np.asarray(mask).argmax())


def _split(kind: str) -> tuple[str, bool]:
    return kind.rstrip("?"), kind.endswith("?")


def _problem(table: pd.DataFrame, schema: Schema, empty: dict[str, pd.Series] | None = None
             ) -> tuple[str, int, str] | None:
    """The first broken rule of a typed table: (column, row position, what), or None.

    The rules: a required column has no empty cell (a text cell of spaces only
    is empty), numbers are finite and not negative, and the key is unique.
    ``empty`` marks the cells that were empty in the file, when known, so that
    a missing number that was not an empty cell is reported as not finite.
    """
    for col, kind in schema.columns.items():
        base, nullable = _split(kind)
        s = table[col]
        missing = s.isna()
        if base == "str":
            missing = missing | s.fillna("").str.isspace() | (s == "")
        was_empty = missing if empty is None else empty[col]
        if not nullable and was_empty.any():
            return col, _first(was_empty), "empty cell in a required column"
        if base in ("int", "float"):
            values = s.to_numpy(dtype="float64", na_value=np.nan)
            bad = ~np.isfinite(values) & ~was_empty.to_numpy()
            if bad.any():
                return col, _first(bad), ("expected a finite number (inf and nan are not "
                                          "allowed; leave the cell empty for a missing value)")
            if (values < 0).any():
                return col, _first(values < 0), "negative values are not allowed"
    if schema.key:
        dup = table.duplicated(subset=list(schema.key), keep="first")
        if dup.any():
            i = _first(dup)
            keyval = tuple(v.item() if hasattr(v, "item") else v
                           for v in table.loc[table.index[i], list(schema.key)])
            return schema.key[0], i, f"duplicate key {keyval} in {list(schema.key)}"
    return None


def _final_dtypes(table: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """int64 and bool where no cell may be empty, nullable Int64 and boolean elsewhere."""
    out = {}
    for col, kind in schema.columns.items():
        base, nullable = _split(kind)
        s = table[col]
        if base == "int":
            s = s.astype("Int64" if nullable else "int64")
        elif base == "float":
            s = s.astype("float64")
        elif base == "bool":
            s = s.astype("boolean" if nullable else "bool")
        out[col] = s
    return pd.DataFrame(out)


def parse_table(raw: pd.DataFrame, schema: Schema, path, header_lines: int = 1,
                date_format: str | None = None) -> pd.DataFrame:
    """Check raw text columns against a schema and convert them to typed columns.

    Parameters
    ----------
    raw : pandas.DataFrame
        The table as read, every cell a string or missing.
    schema : Schema
        The expected columns, their kinds and the key.
    path : str or path-like
        The file the table came from, used in error messages.
    header_lines : int
        Lines before the first data row, so errors can cite file lines.
    date_format : str, optional
        Overrides the format of ``date`` columns (CDNOW uses ``%Y%m%d``).

    Returns
    -------
    pandas.DataFrame
        Typed columns in schema order.

    Raises
    ------
    DatasetError
        For a missing or unexpected column, an empty required cell, a value
        that does not parse (booleans are exactly ``True`` or ``False``,
        numbers finite), a negative number or a duplicate key.

    Examples
    --------
    >>> raw = pd.DataFrame({"id": ["1", "2"], "paid": ["True", "maybe"]})
    >>> parse_table(raw, Schema({"id": "int", "paid": "bool"}), "t.csv")
    Traceback (most recent call last):
    ...
    crmlib.data.DatasetError: t.csv, column 'paid', line 3: expected True or False (found 'maybe')
    """
    expected = list(schema.columns)
    missing = [c for c in expected if c not in raw.columns]
    if missing:
        raise DatasetError(path, f"missing column(s) {missing}; expected {expected}",
                           column=missing[0])
    extra = [c for c in raw.columns if c not in schema.columns]
    if extra:
        raise DatasetError(path, f"unexpected column(s) {extra}; expected {expected}",
                           column=str(extra[0]))
    raw = raw.reset_index(drop=True)
    out, empties, texts = {}, {}, {}
    for col, kind in schema.columns.items():
        base, nullable = _split(kind)
        text = raw[col].astype("str").str.strip().where(raw[col].notna())
        empty = text.isna() | (text == "")
        empties[col], texts[col] = empty, text

        def fail(bad, what: str, col: str = col, text: pd.Series = text) -> None:
            i = _first(bad)
            raise DatasetError(path, f"{what} (found {text.iloc[i]!r})", col,
                               i + 1 + header_lines)

        if base in ("int", "float"):
            value = pd.to_numeric(text.where(~empty), errors="coerce")
            bad = value.isna() & ~empty & ~text.str.lower().isin(_NOT_FINITE)
            if bad.any():
                fail(bad, f"cannot read {text[bad].iloc[0]!r} as a number")
            if base == "int":
                frac = value.notna() & np.isfinite(value) & (value % 1 != 0)
                if frac.any():
                    fail(frac, "expected a whole number")
                finite = np.isfinite(value.to_numpy(dtype="float64", na_value=0.0)).all()
                value = value.astype("Int64") if finite else value.astype("float64")
            else:
                value = value.astype("float64")
        elif base in _DATE_FORMATS:
            fmt = date_format if (base == "date" and date_format) else _DATE_FORMATS[base]
            value = pd.to_datetime(text.where(~empty), format=fmt, errors="coerce")
            bad = value.isna() & ~empty
            if bad.any():
                fail(bad, f"cannot read the value as a {base} in the format {fmt!r}")
            value = value.astype("datetime64[s]")
        elif base == "bool":
            value = text.map(_BOOLEANS)
            bad = value.isna() & ~empty
            if bad.any():
                fail(bad, "expected True or False")
            value = value.astype("boolean")
        else:
            value = raw[col].astype("str").where(~empty)  # text is kept exactly as written
        out[col] = value
    table = pd.DataFrame(out)
    problem = _problem(table, schema, empties)
    if problem is not None:
        col, i, what = problem
        found = "" if what.startswith("duplicate") else f" (found {texts[col].iloc[i]!r})"
        raise DatasetError(path, what + found, col, i + 1 + header_lines)
    return _final_dtypes(table, schema)


_C_DTYPES = {"int": "Int64", "float": "float64", "str": "str", "bool": "str",
             "date": "str", "datetime": "str"}


def _typed_read(path, schema: Schema, date_format: str | None, names: list[str] | None,
                **kwargs) -> pd.DataFrame | None:
    """Convert a file with pandas' C parser; None when a cell does not convert."""
    cols = names or list(schema.columns)
    dtype = {c: _C_DTYPES[_split(schema.columns.get(c, "str"))[0]] for c in cols}
    try:
        df = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""],
                         names=names, **kwargs)
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError,
            pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError):
        return None  # (OSError, EOFError: a damaged .gz file, reported by _read_csv)
    if names:
        df = df[[c for c in cols if c in schema.columns]]
    if list(df.columns) != list(schema.columns):
        return None
    for col, kind in schema.columns.items():
        base = _split(kind)[0]
        s = df[col]
        if base == "bool":
            # Checked on the distinct values, so the rule is _BOOLEANS, exactly (the
            # parser's own booleans would also take "true" and "TRUE").
            codes, uniques = pd.factorize(s)
            if not set(uniques) <= set(_BOOLEANS):
                return None
            lookup = np.array([_BOOLEANS[u] for u in uniques] + [False])
            df[col] = pd.array(lookup[codes], dtype="boolean")
            df.loc[codes < 0, col] = pd.NA
        elif base in _DATE_FORMATS:
            fmt = date_format if (base == "date" and date_format) else _DATE_FORMATS[base]
            parsed = pd.to_datetime(s, format=fmt, errors="coerce")
            if (parsed.isna() & s.notna()).any():
                return None
            df[col] = parsed.astype("datetime64[s]")
    return df


def read_table(path, schema: Schema, date_format: str | None = None,
               names: list[str] | None = None, **kwargs) -> pd.DataFrame:
    """Read a data file and check it against its schema.

    pandas' C parser converts a well-formed file and :func:`parse_table`'s
    rules check it; a file that breaks them is read again as text by
    :func:`parse_table`, which raises a :class:`DatasetError` naming the
    column and line at fault.

    Parameters
    ----------
    path : path-like or file-like
        The CSV (or whitespace-separated) file.
    schema : Schema
        The expected columns.
    date_format : str, optional
        Format of ``date`` columns when it is not ``%Y-%m-%d``.
    names : list of str, optional
        Column names for a file without a header line (extra names, not in
        the schema, are dropped).
    **kwargs
        Passed to :func:`pandas.read_csv` (``sep``, ``skiprows``).
    """
    if not isinstance(path, io.StringIO) and not Path(path).is_file():
        raise DatasetError(path, "file not found; run `crm data build` (Harbor Coffee) or "
                                 "restore it from git")
    typed = _typed_read(path, schema, date_format, names, **kwargs)
    if typed is not None and _problem(typed, schema) is None:
        return _final_dtypes(typed, schema)
    # Something is wrong: read the text to say what and where.
    if isinstance(path, io.StringIO):
        path.seek(0)
    raw = _read_csv(path, header=None if names else "infer", **kwargs)
    header_lines = int(kwargs.get("skiprows", 0)) + (0 if names else 1)
    if names:
        if raw.shape[1] != len(names):
            raise DatasetError(path, f"expected {len(names)} whitespace-separated fields "
                                     f"{names}, found {raw.shape[1]}")
        raw.columns = names
        raw = raw[[c for c in names if c in schema.columns]]
    table = parse_table(raw, schema, path, header_lines=header_lines, date_format=date_format)
    return table  # parse_table found nothing the parser disliked (e.g. a quoting nuance)


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    """Read every cell as text, for :func:`parse_table` to check."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError,
            EOFError) as err:
        raise DatasetError(path, f"cannot read the file as CSV: {err}") from err


# --------------------------------------------------------------------------- CSV writing
def to_csv_text(table: pd.DataFrame, schema: Schema) -> str:
    """Serialise a table in the committed CSV format (fixed date formats, no index)."""
    out = table[list(schema.columns)].copy()
    for col, kind in schema.columns.items():
        base = kind.rstrip("?")
        if base in _DATE_FORMATS:
            out[col] = out[col].dt.strftime(_DATE_FORMATS[base])
    return out.to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------- loaders
def harbor_tables() -> list[str]:
    """Names of the Harbor Coffee tables, in the order of the data dictionary."""
    return list(HARBOR)


# The grader may hand a student's kernel the variant it has already simulated, in a
# folder named by this environment variable (crmlib.grading.variants.VARIANT_CACHE_ENV,
# which a test keeps equal); only then is crmlib.grading.variants imported to read it.
_HANDOVER_ENV = "CRM_VARIANT_CACHE"
_SIMULATED: set[int] = set()                # variants this process simulated
_SILOS_SIMULATED: set[int] = set()          # variants whose silo tables it simulated
_LOADED: set[tuple[int, str]] = set()       # (variant, table) it sent through the checks


_SEAL_ENV = "CRM_SEALED"  # crmlib.grading.seal.SEAL_ENV: set in a sealed graded kernel


def _refuse_if_sealed(table: str, simulating: bool = False) -> None:
    """A graded kernel of a challenge workbook neither loads the sealed tables nor
    simulates (see :mod:`crmlib.grading.seal`)."""
    if _SEAL_ENV not in os.environ:
        return
    from crmlib.grading.seal import sealed

    modules, tables = sealed()
    if table in tables:
        raise DatasetError(f"datasets/harbor/{table}.csv",
                           "this table is the answer key of a question of this workbook: "
                           "it is sealed while the workbook is graded")
    if simulating:
        raise DatasetError(f"datasets/harbor/{table}.csv",
                           "the grader did not hand this table over, and a graded kernel of "
                           "this workbook cannot simulate it (the simulation is sealed)")


def _handed_over(variant: int, table: str) -> pd.DataFrame | None:
    """The grader's copy of a variant's table, when the grader left one."""
    if not os.environ.get(_HANDOVER_ENV):
        return None
    from crmlib.grading.variants import handed_over_tables

    return handed_over_tables(variant).get(table)


@lru_cache(maxsize=4)
def _variant_core(variant: int) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    from crmlib.simulate.harbor import simulate_core  # scipy and the simulation only when needed

    _SIMULATED.add(variant)
    return simulate_core(variant)


@lru_cache(maxsize=4)
def _variant_silos(variant: int) -> dict[str, pd.DataFrame]:
    from crmlib.simulate.harbor import simulate_silo_tables

    silos = simulate_silo_tables(variant, *_variant_core(variant))
    _SILOS_SIMULATED.add(variant)
    return silos


def _variant_raw(variant: int, table: str) -> pd.DataFrame:
    """A variant's table as simulated (the silo tables only when one is asked for)."""
    _refuse_if_sealed(table, simulating=True)
    if table in SILO_SCHEMAS:
        return _variant_silos(variant)[table]
    return _variant_core(variant)[0][table]


@lru_cache(maxsize=64)
def _variant_table(variant: int, table: str) -> pd.DataFrame:
    """A variant's table, sent through the same CSV format and checks as the files."""
    handed_over = _handed_over(variant, table)
    if handed_over is not None:
        return handed_over
    schema = HARBOR[table]
    typed = _typed_frame(_variant_raw(variant, table), schema, f"variant {variant}: {table}")
    _LOADED.add((variant, table))
    return typed


def _typed_frame(raw: pd.DataFrame, schema: Schema, name: str) -> pd.DataFrame:
    """A simulated table typed and checked exactly as writing it to CSV and reading it
    back would (dates cut to the day, times to the second, empty text missing), without
    the text: tests/test_data.py checks both ways give equal frames on every table."""
    out = {}
    for col, kind in schema.columns.items():
        base = _split(kind)[0]
        s = raw[col].reset_index(drop=True)
        if base == "int":
            s = s.astype("Int64")
        elif base == "float":
            s = s.astype("float64")
        elif base == "bool":
            s = s.astype("boolean")
        elif base in _DATE_FORMATS:
            s = pd.to_datetime(s).dt.floor("D" if base == "date" else "s")
            s = s.astype("datetime64[s]")
        else:
            s = s.astype("str")
            s = s.where(s != "")
        out[col] = s
    table = pd.DataFrame(out)
    problem = _problem(table, schema)
    if problem is not None:
        col, i, what = problem
        raise DatasetError(name, f"{what} (row {i})", col)
    return _final_dtypes(table, schema)


def variant_tables(variant: int, *, simulated_only: bool = False
                   ) -> dict[str, pd.DataFrame] | None:
    """The tables of a variant, typed and checked as :func:`load_harbor` returns them.

    Parameters
    ----------
    variant : int
        The data variant.
    simulated_only : bool
        Only the tables this process can give without simulating again: every
        core table once it has simulated the variant's core, and the silo
        tables once it has simulated those; None when it has not simulated the
        variant at all (so asking costs no simulation). Without it, every table
        (simulating the variant when needed).

    Returns
    -------
    dict of str to pandas.DataFrame, or None
        Table name to table, in the order of the data dictionary. The frames
        are this process's own copies: do not change them.

    Examples
    --------
    >>> variant_tables(123_456, simulated_only=True) is None  # never simulated here
    True
    """
    variant = int(variant)
    if simulated_only:
        if variant not in _SIMULATED:
            return None
        names = [n for n in HARBOR if n not in SILO_SCHEMAS or variant in _SILOS_SIMULATED]
    else:
        names = list(HARBOR)
    return {name: _variant_table(variant, name) for name in names}


def load_harbor(table: str, variant: int | None = None,
                data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load one Harbor Coffee table.

    Parameters
    ----------
    table : str
        A table name from :func:`harbor_tables`, e.g. ``"purchases"``.
    variant : int or None
        ``None`` reads the committed file; a non-negative integer simulates a
        reproducible per-student variant (same schema and story, different
        numbers) in memory.
    data_dir : path-like, optional
        The ``datasets`` folder; defaults to the course's own (or the
        ``CRM_DATA_DIR`` environment variable).

    Returns
    -------
    pandas.DataFrame
        The typed table.

    Raises
    ------
    DatasetError
        Unknown table, missing file or a file that breaks its schema.

    Examples
    --------
    >>> load_harbor("customers").shape[1]
    14
    """
    if table not in HARBOR:
        raise DatasetError(f"datasets/harbor/{table}.csv",
                           f"unknown Harbor Coffee table {table!r}; choose one of "
                           f"{harbor_tables()}")
    _refuse_if_sealed(table)
    if variant is not None:
        if _SEAL_ENV not in os.environ:  # a sealed kernel's variant is the grader's
            from crmlib.simulate import variant_key

            try:
                variant_key(variant)
            except ValueError as err:
                raise DatasetError(f"<harbor variant {variant!r}>", str(err)) from None
        return _variant_table(int(variant), table).copy()
    return read_table(harbor_file(table, data_dir), HARBOR[table])


def load_cdnow(kind: str = "sample", data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load the CDNOW purchase log (Fader and Hardie's 1997 Q1 cohort).

    Parameters
    ----------
    kind : {"sample", "master"}
        ``"sample"``: the 1/10th sample of 2,357 customers used in the BG/NBD
        paper, with customers renumbered 1..2357 as in the published summary
        (the original id is dropped); ``"master"``: all 23,570 customers.
    data_dir : path-like, optional
        The ``datasets`` folder; defaults to the course's own.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (int), ``date`` (datetime64), ``quantity``
        (CDs, int) and ``amount`` (dollars, float), one row per line of the
        original file (several purchases on one day stay separate rows).

    Examples
    --------
    >>> tx = load_cdnow("sample")
    >>> len(tx), tx["customer_id"].nunique()
    (6919, 2357)
    """
    if kind not in CDNOW_FILES:
        raise DatasetError(f"datasets/cdnow/CDNOW_{kind}.txt",
                           f"unknown CDNOW kind {kind!r}; choose 'sample' or 'master'")
    path = _data_dir(data_dir) / "cdnow" / CDNOW_FILES[kind]
    return read_table(path, CDNOW, date_format="%Y%m%d", names=CDNOW_RAW_COLUMNS[kind],
                      sep=r"\s+", skiprows=1 if kind == "master" else 0)


# --------------------------------------------------------------------------- build, verify
def build_harbor(out_dir: str | os.PathLike | None = None, variant: int | None = None
                 ) -> list[Path]:
    """Simulate Harbor Coffee and write every table as CSV, atomically.

    Parameters
    ----------
    out_dir : path-like, optional
        The ``datasets`` folder to write into (files go to ``harbor/``).
    variant : int or None
        Which data set to simulate; ``None`` is the committed one.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from crmlib.simulate import simulate_harbor

    root = _data_dir(out_dir)
    tables = simulate_harbor(variant)

    def serialised(name: str) -> str | bytes:
        text = to_csv_text(tables[name], HARBOR[name])
        # level 1: a third larger than 9, ten times faster; mtime=0 and no file name
        # in the header, so the same table always gives the same bytes
        return gzip.compress(text.encode(), compresslevel=1, mtime=0) if name in GZIPPED else text

    # Serialising and compressing take as long as simulating: two threads (zlib and much
    # of pandas' writer release the GIL), largest tables first; the files are the same.
    order = sorted(HARBOR, key=lambda name: -len(tables[name]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        content = dict(zip(order, pool.map(serialised, order)))
    written = []
    for name in HARBOR:
        path = harbor_file(name, root)
        write_atomic(path, content[name])
        other = path.with_name(f"{name}.csv") if name in GZIPPED else path.with_suffix(".csv.gz")
        other.unlink(missing_ok=True)  # a file of the other kind left by an older build
        written.append(path)
    return written


def _sha256(path: Path) -> str:
    """sha256 of a data file's content (a ``.gz`` file's decompressed content, so the
    checksum does not depend on the compressor's version)."""
    h = hashlib.sha256()
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _data_files(root: Path) -> list[Path]:
    return sorted(p for sub in ("harbor", "cdnow") for p in (root / sub).glob("*")
                  if p.is_file() and not p.name.startswith("."))


# The first lines of CHECKSUMS record what the files were built with: a rebuild is
# promised to give the same bytes only with the same versions (numpy keeps its random
# streams stable within a version, not across versions).
_VERSION_LINE = "# version "
_VERSIONS_NOTE = ("# Built by `crm data build` with the versions below; random streams (and so "
                  "the bytes) are only promised stable for these.\n")


def build_versions() -> dict[str, str]:
    """The versions of Python, numpy and pandas running now, on which the built bytes depend.

    Examples
    --------
    >>> sorted(build_versions())
    ['numpy', 'pandas', 'python']
    >>> build_versions()["numpy"] == np.__version__
    True
    """
    return {"python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__}


def write_checksums(data_dir: str | os.PathLike | None = None) -> Path:
    """Write ``CHECKSUMS``: the build's versions, then the sha256 of every data file.

    The first lines record :func:`build_versions` (``# version numpy 2.4.6``);
    then one ``digest  relative/path`` line per file under ``harbor/`` and ``cdnow/``.

    Parameters
    ----------
    data_dir : path-like, optional
        The ``datasets`` folder; defaults to the course's own.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    root = _data_dir(data_dir)
    versions = [f"{_VERSION_LINE}{name} {version}\n" for name, version in build_versions().items()]
    lines = [f"{_sha256(p)}  {p.relative_to(root).as_posix()}\n" for p in _data_files(root)]
    path = root / CHECKSUMS
    write_atomic(path, _VERSIONS_NOTE + "".join(versions) + "".join(lines))
    return path


def recorded_versions(data_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """The versions ``CHECKSUMS`` says the data were built with (empty when it says none).

    Examples
    --------
    >>> sorted(recorded_versions())
    ['numpy', 'pandas', 'python']
    """
    listing = _data_dir(data_dir) / CHECKSUMS
    if not listing.is_file():
        return {}
    found = {}
    for line in listing.read_text(encoding="utf-8").splitlines():
        if line.startswith(_VERSION_LINE):
            name, _, version = line[len(_VERSION_LINE):].strip().partition(" ")
            found[name] = version.strip()
    return found


def version_differences(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Say where the running versions differ from those the data were built with.

    The committed files still verify under other versions (their checksums
    do not change); what may change is the output of a *rebuild*, since
    numpy promises the same random streams only within a version and pandas
    writes numbers and dates through its own code.

    Parameters
    ----------
    data_dir : path-like, optional
        The ``datasets`` folder; defaults to the course's own.

    Returns
    -------
    list of str
        One readable note per differing version (or one note when
        ``CHECKSUMS`` records none); empty when everything matches or there
        is no ``CHECKSUMS`` to compare with.
    """
    listing = _data_dir(data_dir) / CHECKSUMS
    if not listing.is_file():
        return []
    recorded = recorded_versions(data_dir)
    if not recorded:
        return [f"{listing} records no build versions (it was written before they were "
                "recorded): `crm data build` may not reproduce the same bytes; rebuild and "
                "commit to record them"]
    notes = []
    for name, running in build_versions().items():
        built = recorded.get(name)
        if built is None:
            notes.append(f"{listing} does not record the {name} version the data were built "
                         f"with; this is {name} {running}")
        elif built != running:
            notes.append(f"the data were built with {name} {built}, this is {name} {running}: "
                         "`crm data build` may not reproduce the same bytes (random streams "
                         f"are only promised stable for {name} {built})")
    return notes


def verify_checksums(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Compare the data files with ``CHECKSUMS``.

    Returns
    -------
    list of str
        One readable problem per changed, missing or unlisted file; empty
        when everything matches. (Differing build versions are not problems
        of the files: see :func:`version_differences`.)
    """
    root = _data_dir(data_dir)
    listing = root / CHECKSUMS
    if not listing.is_file():
        return [f"{listing}: file not found; run `crm data build`"]
    expected = {}
    for n, line in enumerate(listing.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("  ", 1)
        if len(parts) != 2 or len(parts[0]) != 64:
            return [f"{listing}, line {n}: expected 'sha256  path', found {line!r}"]
        expected[parts[1]] = parts[0]
    problems = []
    for rel, digest in expected.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{path}: listed in {CHECKSUMS} but missing")
        elif _sha256(path) != digest:
            problems.append(f"{path}: sha256 differs from {CHECKSUMS}")
    for path in _data_files(root):
        if path.relative_to(root).as_posix() not in expected:
            problems.append(f"{path}: not listed in {CHECKSUMS}")
    return problems
