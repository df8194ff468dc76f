"""Re-execute lesson notebooks in place, the way strict nbval will check them.

Usage: python tools/execute_notebooks.py notebooks/00_start_here.ipynb [...]

Each notebook runs top to bottom in a fresh kernel from its own folder, with a
throw-away progress file (so the learner's own quiz progress is neither read
nor changed) and the outputs are saved into the notebook.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    """Run one notebook and save it with its outputs."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CRM_PROGRESS"] = str(Path(tmp) / "progress.json")
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            store_widget_state=False,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    nbformat.write(nb, path)
    print(f"executed {path}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        execute(Path(arg))
