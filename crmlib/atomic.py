"""Atomic file writes, with nothing heavier than the standard library.

Kept apart from :mod:`crmlib.data` (which needs pandas) so that quick
commands, such as the terminal quiz saving its progress, can import it
without paying for pandas. ``crmlib.data.write_atomic`` is the same function.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write text to ``path`` through a temporary file and a rename.

    Readers see the old file or the new one, never a half-written one; on
    any failure the temporary file is removed and the old file is untouched.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "sub" / "note.txt"
    >>> write_atomic(target, "hello\\n")
    >>> target.read_text()
    'hello\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
