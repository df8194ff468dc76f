"""Written answers a person marks: review sheets out, marks back in.

A :class:`~crmlib.exercises.Written` question is never scored by the grader.
After each batch, ``crm grade`` writes one review sheet per written question
into ``<out>/reviews/``: a CSV to fill in (``review_id``, ``question``,
``max_points``, ``answer``, ``points``, ``comment``; one answer per row) and
an HTML page to read (the question, its marking guide, every answer). The
sheets carry no names: each answer has a review id, and the key from review
ids to students stays with the instructor in ``<out>/review_ids.csv``, so the
``reviews/`` folder can go to teaching assistants as it is.

``crm grade ... --reviews FILE [FILE ...]`` reads filled sheets back. Every
sheet is checked before anything is written (a bad one is refused, naming its
file, line and column); the marks are kept in ``<out>/review_marks.csv`` (a
later sheet's mark for the same answer replaces an earlier one; a blank
``points`` cell leaves an answer unmarked) and folded into the gradebook, the
feedback pages and the LMS exports. Until an answer is marked its gradebook
cell is empty and the student's total leaves those points out.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import html
import io
import json
import secrets
from pathlib import Path

from crmlib.atomic import GROUP, PRIVATE, write_atomic, write_csv_atomic
from crmlib.errors import CourseError

REVIEWS = "reviews"                # the folder for markers (no names)
IDS_FILE = "review_ids.csv"        # review id -> student, for the instructor only
MARKS_FILE = "review_marks.csv"    # the marks folded so far
SECRET_FILE = ".review_secret"     # keeps review ids stable between runs, unguessable
RESULTS = "results"                # each graded result as JSON, to fold marks into later
SHEET_COLUMNS = ["review_id", "question", "max_points", "answer", "points", "comment"]
MARK_COLUMNS = ["review_id", "question", "student", "answer_sha", "points", "comment", "sheet"]
MAX_COMMENT = 500


class ReviewError(CourseError, ValueError):
    """A filled review sheet that cannot be read: names the file, line and column."""


def written_questions(key) -> list[str]:
    """The ids of the questions a person marks, in the key's order."""
    return [qid for qid, q in key.questions.items() if not q.auto]


def _secret(out: Path) -> bytes:
    path = out / SECRET_FILE
    if path.is_file():
        return path.read_bytes()
    value = secrets.token_hex(16).encode()
    write_atomic(path, value, mode=PRIVATE)
    return value


def review_id(secret: bytes, student: str, question: str) -> str:
    """A short, stable id for one student's answer to one question.

    It reveals nothing about the student without the folder's secret, and it
    differs between questions, so a marker cannot follow one student across
    the sheets.

    Examples
    --------
    >>> review_id(b"s", "ana", "q8")
    'R-C499F9EA'
    >>> review_id(b"s", "ana", "q8") == review_id(b"s", "ana", "q9")
    False
    """
    digest = hmac.new(secret, f"{question}\0{student}".encode(), hashlib.sha256).hexdigest()
    return "R-" + digest[:8].upper()


# --------------------------------------------------------------------------- results on disk
def save_result(out: Path, slug: str, result: dict) -> None:
    """Keep a graded result (without the executed notebook) for folding marks in later."""
    kept = {k: v for k, v in result.items() if k != "executed"}
    write_atomic(out / RESULTS / f"{slug}.json", json.dumps(kept, default=str), mode=GROUP)


def load_results(out: Path) -> dict[str, dict]:
    """The kept results by student (the newest file's, as in the gradebook)."""
    found = {}
    for path in sorted((out / RESULTS).glob("*.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found[result.get("student", path.stem)] = result
    return found


# --------------------------------------------------------------------------- marks
def load_marks(out: Path) -> dict[tuple[str, str], dict]:
    """The marks folded so far, by (student, question)."""
    path = out / MARKS_FILE
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {(r["student"], r["question"]): r for r in csv.DictReader(fh)}


def read_sheets(paths, out: Path, key) -> list[dict]:
    """Read filled review sheets and check every row; nothing is written here.

    Raises
    ------
    ReviewError
        A file that cannot be read, a missing column, a review id this
        folder never gave out, a question that is not the id's, or points
        that are not a number from 0 to the question's maximum. The message
        names the file, the line and the column.
    """
    ids = _read_ids(out)
    marks = []
    for raw in paths:
        path = Path(raw)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise ReviewError(f"{path}: cannot read the review sheet ({err})") from err
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in ("review_id", "points", "comment") if c not in (
            reader.fieldnames or [])]
        if missing:
            raise ReviewError(f"{path}: column(s) {missing} missing; a review sheet has "
                              f"{SHEET_COLUMNS}")
        for line, row in enumerate(reader, start=2):
            rid = (row.get("review_id") or "").strip()
            if not rid:
                continue
            if rid not in ids:
                raise ReviewError(f"{path}, line {line}, column 'review_id': {rid!r} is not a "
                                  f"review id of {out} (sheets of another assignment or "
                                  "folder?)")
            student, question, sha = ids[rid]
            given_q = (row.get("question") or question).strip()
            if given_q != question:
                raise ReviewError(f"{path}, line {line}, column 'question': {rid} answers "
                                  f"{question}, not {given_q}")
            cell = (row.get("points") or "").strip()
            if not cell:
                continue  # not marked yet
            maximum = float(key.questions[question].points)
            try:
                points = float(cell.replace(",", "."))
            except ValueError:
                raise ReviewError(f"{path}, line {line}, column 'points': {cell!r} is not a "
                                  f"number (0 to {maximum:g})") from None
            if not 0 <= points <= maximum:
                raise ReviewError(f"{path}, line {line}, column 'points': {points:g} is "
                                  f"outside 0 to {maximum:g}, the points {question} is worth")
            comment = " ".join((row.get("comment") or "").split())[:MAX_COMMENT]
            marks.append({"review_id": rid, "question": question, "student": student,
                          "answer_sha": sha, "points": f"{points:g}", "comment": comment,
                          "sheet": path.name})
    return marks


def answer_sha(text: str) -> str:
    """A short fingerprint of a written answer: a mark applies to the answer it was given
    for, not to a later resubmission that says something else."""
    return hashlib.sha256(" ".join(str(text).split()).encode()).hexdigest()[:16]


def _read_ids(out: Path) -> dict[str, tuple[str, str, str]]:
    path = out / IDS_FILE
    if not path.is_file():
        raise ReviewError(f"{path}: no review sheets were written in {out} yet; grade the "
                          "submissions first, then fold the filled sheets in")
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["review_id"]: (r["student"], r["question"], r["answer_sha"])
                for r in csv.DictReader(fh)}


def store_marks(out: Path, marks: list[dict]) -> dict[tuple[str, str], dict]:
    """Add marks to those folded before (a new mark for an answer replaces the old)."""
    merged = load_marks(out)
    for mark in marks:
        merged[(mark["student"], mark["question"])] = mark
    rows = sorted(merged.values(), key=lambda m: (m["question"], m["review_id"]))
    write_csv_atomic(out / MARKS_FILE, MARK_COLUMNS, rows)
    return merged


def apply_marks(result: dict, marks: dict[tuple[str, str], dict]) -> bool:
    """Fold marks into one result (points, message, total); True when something changed."""
    changed = False
    for q in result.get("questions", []):
        mark = marks.get((result["student"], q["question"]))
        if mark is None or not q.get("pending", False) and not q.get("marked", False):
            continue
        if mark.get("answer_sha") != answer_sha(q.get("answer", "")):
            continue  # marked for an earlier answer: this one waits for its own mark
        points = float(mark["points"])
        comment = mark.get("comment", "")
        message = f"marked by a reviewer: {points:g} of {q['max']:g}" + (
            f"; {comment}" if comment else "")
        if q.get("points") != points or q.get("message") != message or q.get("pending"):
            q.update(points=points, message=message, pending=False, marked=True)
            changed = True
    if changed:
        result["total"] = round(sum(float(q["points"]) for q in result["questions"]), 4)
    return changed


# --------------------------------------------------------------------------- sheets
def write_sheets(out: Path, key, results: dict[str, dict],
                 marks: dict[tuple[str, str], dict]) -> dict[str, int]:
    """One CSV and one HTML review sheet per written question; returns how many answers
    await a mark, by question. Marks already folded are shown, so a marker can revise."""
    secret = _secret(out)
    ids, waiting = [], {}
    folder = out / REVIEWS
    for qid in written_questions(key):
        question = key.questions[qid]
        rows = []
        for student, result in sorted(results.items()):
            row = next((q for q in result.get("questions", []) if q["question"] == qid), None)
            if row is None or not (row.get("pending") or row.get("marked")):
                continue
            rid = review_id(secret, student, qid)
            sha = answer_sha(row.get("answer", ""))
            ids.append({"review_id": rid, "question": qid, "student": student,
                        "answer_sha": sha})
            mark = marks.get((student, qid), {})
            if mark.get("answer_sha") != sha:
                mark = {}  # a mark for an earlier answer is not this one's
            rows.append({"review_id": rid, "question": qid, "max_points": f"{question.points:g}",
                         "answer": row.get("answer", ""), "points": mark.get("points", ""),
                         "comment": mark.get("comment", ""),
                         "guide": row.get("expected", "")})
        rows.sort(key=lambda r: r["review_id"])  # not in the gradebook's (name) order
        waiting[qid] = sum(1 for r in rows if r["points"] == "")
        write_csv_atomic(folder / f"{key.assignment}_{qid}.csv", SHEET_COLUMNS,
                         [{k: r[k] for k in SHEET_COLUMNS} for r in rows])
        write_atomic(folder / f"{key.assignment}_{qid}.html", _page(key, qid, rows),
                     mode=GROUP)
    write_csv_atomic(out / IDS_FILE, ["review_id", "question", "student", "answer_sha"], ids)
    return waiting


def _page(key, qid: str, rows: list[dict]) -> str:
    e = html.escape
    question = key.questions[qid]
    guides = sorted({r["guide"] for r in rows if r["guide"]})
    guide = "".join(f"<blockquote>{e(g)}</blockquote>" for g in guides[:3])
    if len(guides) > 3:
        guide += f"<p>({len(guides) - 3} more variants of the guide: each answer's own is in " \
                 "its row)</p>"
    body = "".join(
        f"<tr><td>{e(r['review_id'])}</td><td><div class=a>{e(r['answer'])}</div></td>"
        f"<td>{e(r['points'])}</td><td>{e(r['comment'])}</td>"
        + (f"<td>{e(r['guide'])}</td>" if len(guides) > 1 else "") + "</tr>"
        for r in rows)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(key.assignment)} {e(qid)}: written answers to mark</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
td,th{{border:1px solid #ccc;padding:.4em;vertical-align:top}}table{{border-collapse:collapse}}
.a{{white-space:pre-wrap;max-width:45em}}</style></head><body>
<h1>{e(key.title or key.assignment)}: {e(qid)} ({question.points:g} points)</h1>
<p>{e(question.prompt)}</p>
<h2>Marking guide</h2>{guide or '<p>(none given)</p>'}
<p>{len(rows)} answer(s). Names are hidden behind review ids. Write the points and a short
comment for each review id in <code>{e(key.assignment)}_{e(qid)}.csv</code>, then give the
file back to the instructor (<code>crm grade ... --reviews FILE</code>).</p>
<table><tr><th>review id</th><th>answer</th><th>points</th><th>comment</th>
{'<th>guide for this answer</th>' if len(guides) > 1 else ''}</tr>{body}</table>
</body></html>
"""
