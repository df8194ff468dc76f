"""Atomic file writes, with nothing heavier than the standard library.

Kept apart from :mod:`crmlib.data` (which needs pandas) so that quick
commands, such as the terminal quiz saving its progress, can import it
without paying for pandas. ``crmlib.data.write_atomic`` is the same function.
"""

from __future__ import annotations

import os
import tempfile
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
