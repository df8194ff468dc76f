"""Re-execute lesson notebooks in place, the way strict nbval will check them.

Usage: python tools/execute_notebooks.py notebooks/00_start_here.ipynb [...]

Each notebook runs top to bottom in a fresh kernel from its own folder, with a
throw-away progress file (so the learner's own quiz progress is neither read
nor changed) and the outputs are saved into the notebook.

Widget outputs cannot be shown from a saved file (their state is not stored),
so JupyterLab would print "Error displaying widget: model not found" until
the cell is run. Each one is saved instead as a plain placeholder saying what
appears when the cell runs; the cells are tagged ``nbval-ignore-output``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET = "application/vnd.jupyter.widget-view+json"
PLACEHOLDER_TEXT = ("This part is interactive: run the notebook (Run > Run All Cells) "
                    "to use it here.")
PLACEHOLDER_HTML = ("<div class='crm-placeholder' style='padding:8px 12px;border:1px dashed "
                    "#888;border-radius:4px;color:#333'>&#9654; This part is interactive: run "
                    "the notebook (<b>Run &gt; Run All Cells</b>) to use it here.</div>")


def placeholders(nb) -> int:
    """Replace every widget output by a plain placeholder; returns how many."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if WIDGET in out.get("data", {}):
                out["data"] = {"text/html": PLACEHOLDER_HTML, "text/plain": PLACEHOLDER_TEXT}
                out["metadata"] = {}
                n += 1
    return n


def execute(path: Path) -> None:
    """Run one notebook and save it with its outputs."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CRM_PROGRESS"] = str(Path(tmp) / "progress.json")
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            # True: nbclient's Output-widget hook (used by ipywidgets.interact)
            # needs the widget state while running; it is dropped below.
            store_widget_state=True,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    nb.metadata.pop("widgets", None)
    placeholders(nb)
    nbformat.write(nb, path)
    print(f"executed {path}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        execute(Path(arg))
