"""Render lessons as stand-alone web pages, for reading without Jupyter.

Usage: python tools/render_html.py OUT_DIR notebooks/00_start_here.ipynb [...]

Each lesson becomes ``OUT_DIR/<name>.html`` with its figures embedded. A
figure gets the title its cell gives it (``set_title("...")`` or
``suptitle("...")``) as alternative text, so a screen reader says what the
figure shows; a figure whose title is computed gets a generic description
naming the lesson.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

TITLE = re.compile(r"""(?:set_title|suptitle)\(\s*f?(["'])(.+?)\1""")
PLACEHOLDER = "No description has been provided for this image"


def figure_descriptions(nb, lesson: str) -> list[str]:
    """One description per image output, in the order they appear."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        titles = [re.sub(r"\{[^}]*\}", "…", m.group(2)) for m in TITLE.finditer(cell.source)]
        for output in cell.outputs:
            if "image/png" in output.get("data", {}):
                text = "; ".join(titles) if titles else f"a figure of lesson {lesson}"
                out.append(f"Figure: {text}")
    return out


def render(path: Path, out_dir: Path) -> Path:
    """Write one lesson as HTML and return the page's path."""
    nb = nbformat.read(path, as_version=4)
    exporter = HTMLExporter()
    exporter.log.setLevel("ERROR")  # the missing-alt warning: filled in below
    html, _ = exporter.from_notebook_node(nb)
    soup = BeautifulSoup(html, features="html.parser")
    images = soup.select(f'img[alt="{PLACEHOLDER}"]')
    for img, text in zip(images, figure_descriptions(nb, path.name[:2]), strict=False):
        img["alt"] = text
    target = out_dir / f"{path.stem}.html"
    target.write_text(str(soup), encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in argv[1:]:
        print(render(Path(name), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
