"""Atomic file writes, with nothing heavier than the standard library.

The one place in crmlib that writes a file through a temporary file and a
rename (and the one that renames at all): the data sets, the learner's quiz
progress and Anki decks, the exercises built from solutions, the grader's
outputs, and the files a sandboxed run writes. Kept apart from
:mod:`crmlib.data` (which needs pandas) so that quick commands, such as the
terminal quiz saving its progress, and a sandboxed kernel can import it
without paying for pandas. ``crmlib.data.write_atomic`` is the same function.

Every file gets the mode its caller names, never the ``0o600`` of a bare
temporary file by accident:

- :data:`PUBLIC` (``0o644``): course files and a learner's own files (data,
  exercises, quiz progress, Anki decks);
- :data:`GROUP` (``0o640``): grading outputs, which the instructors' group
  may read (the gradebook, feedback, executed copies, LMS exports);
- :data:`PRIVATE` (``0o600``): a sandboxed run's scratch files (its answers,
  executed copy and status, the data variant handed to it).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from crmlib.checks import require_type  # the standard library and crmlib.errors only

PUBLIC = 0o644   # course files anyone may read
GROUP = 0o640    # grading outputs: the grader's user and the instructors' group
PRIVATE = 0o600  # a run's own scratch files


@contextmanager
def open_atomic(path: str | os.PathLike, mode: int = PUBLIC, *, binary: bool = False,
                durable: bool = True) -> Iterator[IO]:
    """A file to write whose content replaces ``path`` when the block ends without error.

    The content goes to a fresh temporary file beside ``path`` (created exclusively, so
    never one someone else planted), which gets ``mode`` and is renamed over ``path``:
    readers see the old file or the new one, never a half-written one. On any failure
    the temporary file is removed and the old file is untouched.

    Parameters
    ----------
    path : path-like
        The file to write (its folder is made when missing).
    mode : int
        Its permissions (:data:`PUBLIC`, :data:`GROUP` or :data:`PRIVATE`).
    binary : bool
        A binary file; else text, UTF-8, lines written as given.
    durable : bool
        Flush to disk before the rename (a crash then leaves the old file or the whole
        new one); ``False`` for scratch files read at once and deleted after.

    Examples
    --------
    >>> import json, tempfile
    >>> target = Path(tempfile.mkdtemp()) / "answers.json"
    >>> with open_atomic(target, PRIVATE, durable=False) as fh:
    ...     json.dump({"q1": 3}, fh)
    >>> target.read_text(), oct(target.stat().st_mode & 0o777)
    ('{"q1": 3}', '0o600')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # Windows before Python 3.13: chmod there only sets or clears read-only
            os.chmod(tmp, mode)
        with (os.fdopen(fd, "wb") if binary else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike, text: str | bytes, mode: int = PUBLIC, *,
                 durable: bool = True) -> None:
    """Write text (or bytes) to ``path`` through a temporary file and a rename
    (:func:`open_atomic`).

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
    require_type(text, "text", (str, bytes), "str or bytes")
    with open_atomic(path, mode, binary=isinstance(text, bytes), durable=durable) as fh:
        fh.write(text)


def move_aside(path: str | os.PathLike, label: str) -> Path:
    """Rename ``path`` to the first free ``<stem>.<label>-N<suffix>`` beside it (a file
    that cannot be used, kept for its owner to look at) and return the new path.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "progress.json").write_text("{")
    >>> move_aside(folder / "progress.json", "corrupt").name
    'progress.corrupt-1.json'
    """
    path = Path(path)
    n = 1
    while True:
        target = path.with_name(f"{path.stem}.{label}-{n}{path.suffix}")
        if not target.exists():
            os.replace(path, target)
            return target
        n += 1


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
