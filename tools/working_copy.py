"""The learner's working copy: what `make lab` opens, so the committed notebooks stay clean.

Usage: python tools/working_copy.py [DEST]   (default: my-work)

Copies every committed lesson (``notebooks/*.ipynb``) and workbook
(``exercises/*.ipynb``) into DEST (git-ignored) when DEST has no copy of it
yet. An existing copy is never overwritten, so a learner's notes and answers
survive ``git pull``; a lesson added upstream is copied on the next run; to
start a lesson afresh, delete (or rename) your copy and run it again.
JupyterLab's autosave then only ever writes inside DEST, and ``git status``
stays clean.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "exercises")
README = """# Your working copy of the course

`make lab` copied the course's lessons and workbooks here the first time you
ran it. Write in these copies as much as you like: they are yours, git ignores
this folder, and `make lab` never overwrites them. When the course gains a new
lesson, the next `make lab` adds it here. To start a lesson afresh, delete your
copy and run `make lab` again. The originals stay untouched in `notebooks/`
and `exercises/`.
"""


def ensure_working_copy(repo: Path = REPO, dest: Path | None = None) -> list[Path]:
    """Copy the notebooks that ``dest`` does not have yet; returns the new copies."""
    repo = Path(repo)
    dest = Path(dest) if dest is not None else repo / "my-work"
    added = []
    for folder in FOLDERS:
        for src in sorted((repo / folder).glob("*.ipynb")):
            target = dest / folder / src.name
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(src, tmp)
            tmp.replace(target)  # never a half-copied notebook
            added.append(target)
    readme = dest / "README.md"
    if not readme.exists():
        dest.mkdir(parents=True, exist_ok=True)
        readme.write_text(README, encoding="utf-8")
    return added


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    new = ensure_working_copy(dest=where)
    for path in new:
        print(f"copied {path.relative_to(path.parents[2]) if len(path.parents) > 2 else path}")
    print(f"your working copy: {(where or REPO / 'my-work')} "
          f"({len(new)} new notebook(s); existing copies left as they are)")
