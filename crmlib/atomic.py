"""Atomic file writes, with nothing heavier than the standard library.

Kept apart from :mod:`crmlib.data` (which needs pandas) so that quick
commands, such as the terminal quiz saving its progress, can import it
without paying for pandas. ``crmlib.data.write_atomic`` is the same function.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

PUBLIC = 0o644   # course files anyone may read
GROUP = 0o640    # grading outputs: the grader's user and the instructors' group


def write_atomic(path: Path, text: str | bytes, mode: int = PUBLIC) -> None:
    """Write text (or bytes) to ``path`` through a temporary file and a rename.

    Readers see the old file or the new one, never a half-written one; on
    any failure the temporary file is removed and the old file is untouched.
    The file gets ``mode`` (``0o644`` by default; grading outputs use
    :data:`GROUP`, ``0o640``), never the ``0o600`` of a bare temporary file.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "sub" / "note.txt"
    >>> write_atomic(target, "hello\\n")
    >>> target.read_text()
    'hello\\n'
    >>> write_atomic(target, b"x", mode=GROUP)
    >>> oct(target.stat().st_mode & 0o777)
    '0o640'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv_atomic(path: Path, header: list[str], rows: Iterable[Mapping],
                     mode: int = GROUP) -> None:
    """Write a CSV file (``header``, then one line per row) as :func:`write_atomic` does.

    Columns of a row that are not in ``header`` are left out; lines end in
    ``\\r\\n`` (the CSV standard, which spreadsheets and LMS imports expect).
    The default mode is :data:`GROUP`: these files are grading outputs.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "grades.csv"
    >>> write_csv_atomic(target, ["student", "total"], [{"student": "s1", "total": 3, "x": 0}])
    >>> target.read_bytes()
    b'student,total\\r\\ns1,3\\r\\n'
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue(), mode=mode)
