"""Small file helpers shared across crmlib, importing nothing heavy (the terminal quiz uses them).

>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "notes" / "a.txt"
>>> write_atomic(target, "hello\\n")
>>> target.read_text()
'hello\\n'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A crash or a kill part-way leaves the previous file whole (at worst an
    orphaned ``.<name>.*.tmp`` beside it), never a half-written one.

    Parameters
    ----------
    path : Path
        The file to (re)write; its folder is created when missing.
    text : str
        The whole new content (UTF-8).
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
