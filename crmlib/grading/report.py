"""What a batch hands back: feedback pages, the class summary and the LMS export."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.atomic import GROUP, write_atomic

SCORED = ("graded", "error", "memory", "timeout", "crashed")
# Rows of students whose file was not run: a newer file was graded, the file matches
# nobody on the roster, or the roster's student handed nothing in.
NOT_RUN = ("duplicate", "unmatched", "missing")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file via a temporary file and a rename (mode ``0o640``)."""
    write_atomic(path, text, mode=GROUP)


def feedback_page(result: dict, key, statuses: dict[str, str]) -> str:
    """A student's feedback as a small self-contained HTML page (everything escaped).

    Per question: the points, the grader's message, the student's own answer,
    the expected one and the hint; at the top, the id and data variant the
    submission was graded on, and what the notebook's ``student_id`` said when
    that differs.
    """
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(q['question'])}</td><td>"
        + ("awaiting a mark" if q.get("pending") else f"{q['points']:g}")
        + f" / {q['max']:g}</td>"
        f"<td>{e(q['message'])}</td><td><pre>{e(str(q.get('answer', '')))}</pre></td>"
        f"<td><pre>{e(str(q.get('expected', '')))}</pre></td>"
        f"<td>{e(str(q.get('hint') or getattr(key.questions.get(q['question']), 'hint', '')))}"
        f"</td><td>{e(getattr(key.questions.get(q['question']), 'prompt', ''))}</td></tr>"
        for q in result.get("questions", []))
    notes = "".join(f"<li>{e(n)}</li>" for n in result.get("notes", []) if n
                    and not n.startswith("Traceback"))
    status = result["status"]
    variant_id = result.get("variant_id") or result["student"]
    variant = result.get("variant")
    typed = result.get("typed_id", "")
    graded_on = (f"<p>Graded on the data of student_id <b>{e(variant_id)}</b> (data variant "
                 f"<b>{e(str(variant))}</b>)")
    if typed and typed.lower() != str(variant_id).lower():
        from crmlib.exercises import variant_for

        graded_on += (f"; <b>your notebook's student_id is {e(typed)}</b> (data variant "
                      f"{variant_for(typed)}): if that is the data you worked on, tell your "
                      "instructor")
    elif not typed and status not in ("missing",):
        graded_on += "; your notebook's student_id was empty"
    graded_on += ".</p>"
    waiting = sum(float(q["max"]) for q in result.get("questions", []) if q.get("pending"))
    pending_note = (f" ({waiting:g} points of written answers await a marker and are not in "
                    "this score yet)" if waiting else "")
    lms_id = result.get("lms_id", "")
    who = e(result["student"]) + (f" (LMS id {e(lms_id)})" if lms_id and lms_id != result[
        "student"] else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(key.assignment)}: feedback for {e(result['student'])}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
td,th{{border:1px solid #ccc;padding:.3em;vertical-align:top}}table{{border-collapse:collapse}}
pre{{margin:0;white-space:pre-wrap}}</style></head><body>
<h1>{e(key.title or key.assignment)}</h1>
<p>Student: <b>{who}</b> &middot; file graded: {e(result['file'])}</p>
{graded_on}
<p>Status: <b>{e(status)}</b> ({e(statuses.get(status, ''))})</p>
<p>Score: <b>{result['total']:g} / {result['max']:g}</b>{pending_note}</p>
<p>{e(result.get('feedback', ''))}</p>
{f'<ul>{notes}</ul>' if notes else ''}
<table><tr><th>question</th><th>points</th><th>feedback</th><th>your answer</th>
<th>expected</th><th>hint</th><th>question text</th></tr>{rows}</table>
</body></html>
"""


def item_statistics(rows: list[dict], key) -> pd.DataFrame:
    """Per question: mean share of the points and discrimination.

    Discrimination is the corrected item-total correlation: the correlation of
    a question's points with the total of the other questions, over the
    scored submissions (NaN when either does not vary).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from crmlib.exercises import Number
    >>> key = SimpleNamespace(questions={"a": Number("a", reference=abs),
    ...                                  "b": Number("b", reference=abs)})
    >>> rows = [{"status": "graded", "a": "1", "b": "1"}, {"status": "graded", "a": "0",
    ...          "b": "0"}, {"status": "graded", "a": "1", "b": "0"}]
    >>> item_statistics(rows, key)["mean"].round(2).tolist()
    [0.67, 0.33]
    """
    scored = [r for r in rows if r["status"] in SCORED]
    qids = list(key.questions)
    # an empty cell is a written answer awaiting a mark: left out of its question's figures
    points = pd.DataFrame([[float(r[q]) if r[q] != "" else np.nan for q in qids]
                           for r in scored], columns=qids, dtype="float64")
    maxima = pd.Series({q: float(key.questions[q].points) for q in qids})
    stats = pd.DataFrame(index=pd.Index(qids, name="question"))
    stats["max"] = maxima
    stats["mean"] = (points.mean() / maxima) if len(points) else np.nan
    total = points.sum(axis=1)
    disc = {}
    for q in qids:
        rest = total - points[q]
        ok = len(points) > 2 and points[q].std() > 0 and rest.std() > 0
        disc[q] = float(np.corrcoef(points[q], rest)[0, 1]) if ok else np.nan
    stats["discrimination"] = pd.Series(disc)
    return stats


def class_summary(rows: list[dict], key, out: Path, warnings: list[str], stream) -> str:
    """Print and save the class summary (``summary.txt``, ``summary.png``); returns the text."""
    statuses = pd.Series([r["status"] for r in rows], dtype="str").value_counts()
    scored = [float(r["total"]) for r in rows if r["status"] in SCORED]
    stats = item_statistics(rows, key)
    lines = [f"{key.assignment}: {len(rows)} row(s) in the gradebook"]
    lines += [f"  {status}: {count}" for status, count in statuses.items()]
    left_out = pd.Series([r["status"] for r in rows if r["status"] not in SCORED],
                         dtype="str").value_counts()
    left = ", ".join(f"{count} {status}" for status, count in left_out.items())
    if scored:
        totals = np.asarray(scored)
        lines.append(f"score out of {key.max_points:g}: mean {totals.mean():.2f}, median "
                     f"{np.median(totals):.2f}, min {totals.min():g}, max {totals.max():g} "
                     f"(n = {len(totals)} submissions that ran, statuses "
                     f"{', '.join(SCORED)}; left out: {left or 'none'})")
    else:
        lines.append(f"no submission ran (n = 0; left out: {left or 'none'})")
    lines.append("per question (mean share of points; discrimination = corrected "
                 "item-total correlation):")
    table = stats.copy()
    table["mean"] = table["mean"].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    table["discrimination"] = table["discrimination"].map(
        lambda v: "n/a" if pd.isna(v) else f"{v:+.2f}")
    lines += ["  " + line for line in table.to_string().splitlines()]
    lines += warnings
    text = "\n".join(lines) + "\n"
    print(text, end="", file=stream)
    write_text_atomic(out / "summary.txt", text)
    _figure(scored, stats, key, out / "summary.png")
    return text


def _figure(scored: list[float], stats: pd.DataFrame, key, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    bins = np.linspace(0, max(key.max_points, 1), 11)
    left.hist(scored, bins=bins, color="#4c72b0", edgecolor="white")
    left.set(title=f"Scores (n = {len(scored)})", xlabel=f"points out of {key.max_points:g}",
             ylabel="submissions")
    x = np.arange(len(stats))
    right.bar(x - 0.2, stats["mean"].fillna(0), width=0.4, label="mean share of points",
              color="#55a868")
    right.bar(x + 0.2, stats["discrimination"].fillna(0), width=0.4, label="discrimination",
              color="#c44e52")
    right.set_xticks(x, stats.index)
    right.axhline(0, color="black", linewidth=0.8)
    right.set(title="Questions", xlabel="question", ylabel="share / correlation",
              ylim=(-1, 1.05))
    right.legend(loc="lower right", fontsize="small")
    fig.suptitle(f"{key.assignment}: class summary")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    write_atomic(path, buffer.getvalue(), mode=GROUP)


def lms_export(rows: list[dict], key, path: Path) -> None:
    """``lms_grades.csv``: one line per student (``Student ID``, the grade, ``Feedback``),
    a plain table for a spreadsheet or an import with a mapping step; no grade when
    nothing was handed in. The files Canvas and Moodle import as they are come from
    :mod:`crmlib.grading.lms`."""
    name = f"{key.assignment} (out of {key.max_points:g})"
    best: dict[str, dict] = {}
    for row in rows:
        if row["status"] in ("duplicate", "unmatched"):
            continue
        best[row["student"]] = row
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Student ID", name, "Feedback"])
    for student in sorted(best, key=str.lower):
        row = best[student]
        grade = "" if row["status"] == "missing" else row["total"]
        writer.writerow([student, grade, f"{row['status']}: {row['feedback']}"[:500]])
    write_atomic(path, buffer.getvalue(), mode=GROUP)
