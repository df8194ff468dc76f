"""What a batch hands back: feedback pages, the class summary and the LMS export."""

from __future__ import annotations

import csv
import html
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.atomic import GROUP, write_atomic, write_csv_atomic

SCORED = ("graded", "error", "memory", "timeout", "crashed")
# Rows of students whose file was not run: a newer file was graded, the file matches
# nobody on the roster, or the roster's student handed nothing in.
NOT_RUN = ("duplicate", "unmatched", "missing")
OUTCOMES = "outcomes"  # each graded result's leaderboard values (question -> outcome), as JSON
LEADERBOARD_COLUMNS = ["rank", "student", "variant", "question", "share_of_best", "value",
                       "best", "chosen", "kind"]


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


def save_outcomes(out: Path, slug: str, result: dict) -> None:
    """Keep what a result's answers achieved (questions with an ``outcome``), and whether
    any answer was flagged, for the leaderboard; a result with neither removes the file."""
    outcomes = {q["question"]: q["outcome"] for q in result.get("questions", [])
                if isinstance(q.get("outcome"), dict)}
    flagged = [q["question"] for q in result.get("questions", []) if q.get("flagged")]
    path = out / OUTCOMES / f"{slug}.json"
    if not outcomes and not flagged:
        if path.exists():
            os.unlink(path)
        return
    doc = {"student": result["student"], "file": result["file"],
           "sha256": result.get("sha256", ""), "variant": result.get("variant"),
           "outcomes": outcomes, "flagged": flagged}
    path.parent.mkdir(exist_ok=True)  # only a workbook with a leaderboard has the folder
    write_atomic(path, json.dumps(doc), mode=GROUP)


def _load_outcomes(out: Path, rows: list[dict]) -> list[dict]:
    """The kept outcomes of the gradebook's current, scored rows (same file and hash)."""
    current = {(r["student"], r["file"], r.get("sha256", "")) for r in rows
               if r["status"] in SCORED}
    found = []
    for path in sorted((out / OUTCOMES).glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and (doc.get("student"), doc.get("file"),
                                      doc.get("sha256", "")) in current:
            found.append(doc)
    return found


def _money_in(unit: str):
    def money(v: float) -> str:
        return f"{'-' if v < 0 else ''}{unit}{abs(v):,.2f}"
    return money


def leaderboard(rows: list[dict], key, out: Path) -> list[str]:
    """The class leaderboard of every question that reports what an answer achieved.

    Students are ranked by the share of the best possible value on their own
    data variant (variants differ, so raw values are not comparable); the
    baselines (the same share, averaged over the ranked students' variants)
    are reference rows. Writes ``leaderboard.csv``; returns the summary's lines
    (none when no question reports an outcome). Flagged answers are left out
    and counted.

    Examples
    --------
    >>> import tempfile
    >>> from types import SimpleNamespace
    >>> out = Path(tempfile.mkdtemp())
    >>> outcome = {"value": 50.0, "best": 100.0, "share": 0.5, "chosen": 3, "unit": "$",
    ...            "baselines": {"nobody": {"value": 0.0, "share": 0.0}}}
    >>> result = {"student": "ana", "file": "a.ipynb", "sha256": "x", "variant": 1,
    ...           "questions": [{"question": "q9", "outcome": outcome}]}
    >>> save_outcomes(out, "ana", result)
    >>> rows = [{"student": "ana", "file": "a.ipynb", "sha256": "x", "status": "graded"}]
    >>> for line in leaderboard(rows, SimpleNamespace(questions={"q9": None}), out):
    ...     print(line)
    leaderboard of q9, by share of the best possible on each student's own data variant (1 ranked):
         1  ana                                        50.0%  $50.00 of $100.00 (3 chosen)
      ref:  best possible (knows the truth)           100.0%
      ref:  nobody                                      0.0% (mean of the ranked variants)
    """
    docs = _load_outcomes(out, rows) if (out / OUTCOMES).is_dir() else []
    lines: list[str] = []
    table: list[dict] = []
    for qid in key.questions:
        ranked = [(d, d["outcomes"][qid]) for d in docs if qid in d.get("outcomes", {})]
        flagged = sum(1 for d in docs if qid in d.get("flagged", []))
        if not ranked and not flagged:
            continue
        ranked.sort(key=lambda p: (-float(p[1].get("share", 0.0)), p[0]["student"].lower()))
        lines.append(f"leaderboard of {qid}, by share of the best possible on each student's "
                     f"own data variant ({len(ranked)} ranked"
                     + (f", {flagged} flagged and left out" if flagged else "") + "):")
        for rank, (doc, o) in enumerate(ranked, 1):
            money = _money_in(o.get("unit", ""))
            lines.append(f"  {rank:>4}  {doc['student'][:40]:<40}  {o['share']:>6.1%}  "
                         f"{money(o['value'])} of {money(o['best'])} "
                         f"({o.get('chosen', 0):,} chosen)")
            table.append({"rank": rank, "student": doc["student"], "variant": doc.get("variant"),
                          "question": qid, "share_of_best": round(o["share"], 4),
                          "value": round(o["value"], 2), "best": round(o["best"], 2),
                          "chosen": o.get("chosen", ""), "kind": "student"})
        lines.append(f"  ref:  {'best possible (knows the truth)':<40}  {1:>6.1%}")
        table.append({"rank": "", "student": "best possible (knows the truth)", "variant": "",
                      "question": qid, "share_of_best": 1.0, "value": "", "best": "",
                      "chosen": "", "kind": "reference"})
        names = dict.fromkeys(n for _, o in ranked for n in o.get("baselines", {}))
        for name in names:
            shares = [o["baselines"][name]["share"] for _, o in ranked
                      if name in o.get("baselines", {})]
            mean = float(np.mean(shares))
            lines.append(f"  ref:  {name[:40]:<40}  {mean:>6.1%} (mean of the ranked "
                         "variants)")
            table.append({"rank": "", "student": name, "variant": "", "question": qid,
                          "share_of_best": round(mean, 4), "value": "", "best": "",
                          "chosen": "", "kind": "reference (mean share)"})
    if lines:
        write_csv_atomic(out / "leaderboard.csv", LEADERBOARD_COLUMNS, table)
    elif (out / "leaderboard.csv").exists():
        os.unlink(out / "leaderboard.csv")
    return lines


def key_warnings(results: list[dict]) -> list[str]:
    """One line per distinct warning of the answer key, with how many students' data gave it.

    Examples
    --------
    Only results whose references were computed count (``key_warnings`` not None).

    >>> rs = [{"key_warnings": ["q4: UserWarning: slow"]}, {"key_warnings": []},
    ...       {"key_warnings": ["q4: UserWarning: slow"]}, {"key_warnings": None}]
    >>> key_warnings(rs)  # doctest: +NORMALIZE_WHITESPACE
    ["NOTE: the answer key warned on 2 of 3 students' data (their expected answers are
      what it computed, as their own code would): q4: UserWarning: slow"]
    """
    results = [r for r in results if r.get("key_warnings") is not None]
    counts: dict[str, int] = {}
    for result in results:
        for line in result["key_warnings"]:
            counts[line] = counts.get(line, 0) + 1
    return [f"NOTE: the answer key warned on {n} of {len(results)} students' data (their "
            f"expected answers are what it computed, as their own code would): {line}"
            for line, n in counts.items()]


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
    lines += leaderboard(rows, key, out)
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
