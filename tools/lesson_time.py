"""How long a lesson takes by the SYLLABUS time model, and whether it keeps its size limits.

SYLLABUS "Lesson size and time": prose words / 120, plus 1.25 minutes per code
cell, plus 1 per figure, plus 5 per interactive what-if, plus 1.5 per question of
the end-of-lesson quiz; rounded up (here to the next 5 minutes). The model counts
the lesson's core: every cell before an optional ``## Going further`` part or the
``## References`` list, whichever comes first; the quiz cell counts by its
questions, not as a code cell; a what-if is the code cell tagged ``what-if`` that
shows it. A lesson's core stays within 2 hours and no prose cell passes 400 words.

Usage: python tools/lesson_time.py [NOTEBOOK ...]   (default: every lesson)
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS_PER_MINUTE = 120
PER_CODE_CELL = 1.25
PER_FIGURE = 1.0
PER_WHAT_IF = 5.0
PER_QUIZ_QUESTION = 1.5
MAX_CORE_MINUTES = 120
MAX_PROSE_WORDS = 400
# A stated time: "**Time:** about 115 minutes", "about 2 hours", "about 1 hour 50 minutes".
STATED = re.compile(r"\*\*Time:\*\*\s*about\s+(?:(\d+)\s*hours?)?\s*(?:(\d+)\s*minutes)?",
                    re.IGNORECASE)
END_OF_CORE = re.compile(r"^##\s+(Going further|References)\b", re.IGNORECASE)
# The code cell that shows an interactive what-if carries this tag (widget outputs are
# not saved in the notebook, so the tag is how the model finds them).
WHAT_IF_TAG = "what-if"


def words(markdown: str) -> int:
    """Words a reader reads: tags, link targets, image links and maths markup dropped."""
    text = markdown.replace("<span>&#36;</span>", "$")  # money, as lessons write it
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # images
    text = re.sub(r"\]\([^)]*\)", "]", text)                # link targets
    text = re.sub(r"<[^>]+>", " ", text)                    # tags
    text = re.sub(r"[#*_`>|\\-]+", " ", text)               # markup
    return len(re.findall(r"[A-Za-z0-9&$%][^\s]*", text))


def core_cells(nb) -> list:
    """The cells of the lesson's core: before ``## Going further`` or ``## References``."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and END_OF_CORE.match(cell.source.strip()):
            break
        out.append(cell)
    return out


def _is_quiz(cell) -> bool:
    return cell.cell_type == "code" and "lesson_quiz(" in cell.source


def quiz_questions(nb_path: Path) -> int:
    from crmlib.quiz import find_bank

    lesson = Path(nb_path).name[:2]
    try:
        return len(find_bank(lesson).quiz_questions())
    except Exception:  # a lesson without a bank (none today)
        return 0


def measure(nb_path) -> dict:
    """The time model's counts and minutes for one lesson, and its stated time."""
    nb_path = Path(nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    core = core_cells(nb)
    prose = [words(c.source) for c in core if c.cell_type == "markdown"]
    code = [c for c in core if c.cell_type == "code" and not _is_quiz(c)]
    figures = sum(1 for c in code for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {}))
    what_ifs = sum(1 for c in code if WHAT_IF_TAG in c.metadata.get("tags", []))
    has_quiz = any(_is_quiz(c) for c in core)
    questions = quiz_questions(nb_path) if has_quiz else 0
    minutes = (sum(prose) / WORDS_PER_MINUTE + PER_CODE_CELL * len(code) + PER_FIGURE * figures
               + PER_WHAT_IF * what_ifs + PER_QUIZ_QUESTION * questions)
    rounded = 5 * math.ceil(minutes / 5 - 1e-9)
    all_prose = [words(c.source) for c in nb.cells if c.cell_type == "markdown"]
    match = STATED.search(nb.cells[0].source) if nb.cells else None
    stated = None
    if match and (match.group(1) or match.group(2)):
        stated = 60 * int(match.group(1) or 0) + int(match.group(2) or 0)
    return {"lesson": nb_path.name, "words": sum(prose), "code_cells": len(code),
            "figures": figures, "what_ifs": what_ifs, "quiz_questions": questions,
            "minutes": minutes, "modelled": rounded, "stated": stated,
            "longest_prose": max(all_prose, default=0)}


def stated_text(minutes: int) -> str:
    """How a lesson states ``minutes`` in its title cell."""
    return f"about {minutes} minutes"


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"{'lesson':38} {'words':>6} {'code':>5} {'figs':>5} {'what-if':>7} {'quiz':>5} "
          f"{'model':>6} {'stated':>6} {'longest':>7}")
    bad = 0
    for path in paths:
        m = measure(path)
        flags = []
        if m["stated"] != m["modelled"]:
            flags.append(f"state '{stated_text(m['modelled'])}'")
        if m["modelled"] > MAX_CORE_MINUTES:
            flags.append(f"core over {MAX_CORE_MINUTES} minutes")
        if m["longest_prose"] > MAX_PROSE_WORDS:
            flags.append(f"a prose cell of {m['longest_prose']} words")
        bad += bool(flags)
        print(f"{m['lesson']:38} {m['words']:6d} {m['code_cells']:5d} {m['figures']:5d} "
              f"{m['what_ifs']:7d} {m['quiz_questions']:5d} {m['modelled']:6d} "
              f"{str(m['stated']):>6} {m['longest_prose']:7d}  {'; '.join(flags)}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
