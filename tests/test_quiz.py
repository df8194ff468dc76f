"""Question banks, FSRS progress, the Quiz and Flashcards logic, and the terminal mode.

Expectations are computed from the banks themselves (never a count typed in), so
adding a question or a card breaks no test here.
"""

from __future__ import annotations

import html
import json
import multiprocessing
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import yaml

from crmlib import cli
from crmlib.quiz import (
    DueTable,
    Flashcards,
    Progress,
    Quiz,
    lesson_cards,
    lesson_picker,
    lesson_quiz,
    load_banks,
    mixed_questions,
    mixed_quiz,
)
from crmlib.quiz.bank import (
    AnswerError,
    BankError,
    bank_stats,
    load_bank,
    normalise,
    parse_number,
    plain_text,
)
from crmlib.quiz.session import QuizSession

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def banks():
    return load_banks()


def all_questions(banks):
    return [q for b in banks.values() for q in b.questions]


def right_index(q):
    return [i for i, o in enumerate(q.options) if o.correct]


def right_response(quiz, q):
    """The right answer as the learner would give it on the quiz's (shuffled) screen."""
    shown = quiz.option_order[q.id]
    if q.type == "single":
        return shown.index(right_index(q)[0])
    if q.type == "multiple":
        return [shown.index(i) for i in right_index(q)]
    if q.type == "numeric":
        return f"{q.answer}"
    return q.accept[0]


def wrong_response(quiz, q):
    shown = quiz.option_order[q.id]
    if q.type == "single":
        return shown.index(next(i for i, o in enumerate(q.options) if not o.correct))
    if q.type == "multiple":
        return [shown.index(next(i for i, o in enumerate(q.options) if not o.correct))]
    if q.type == "numeric":
        return f"{q.answer + 10 * q.tolerance + 1000}"
    return "certainly not the answer"


class Clock:
    def __init__(self, now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC)):
        self.now = now

    def __call__(self):
        return self.now


# --------------------------------------------------------------------------- banks
def test_every_lesson_has_a_bank_with_cards_and_questions(banks):
    lessons = sorted(p.name[:2] for p in (REPO / "crmlib" / "banks").glob("[0-9][0-9]_*.yml"))
    assert sorted(banks) == lessons and lessons[0] == "00"
    for bank in banks.values():
        assert len(bank.cards) >= 10 and len(bank.questions) >= 5, bank.path.name


def test_banks_use_every_kind_and_type(banks):
    kinds = {c.kind for b in banks.values() for c in b.cards}
    types = {q.type for b in banks.values() for q in b.questions}
    assert {"definition", "explanation", "example"} <= kinds
    assert types == {"single", "multiple", "numeric", "text"}


def test_cards_spend_repetition_on_ideas_not_figures(banks):
    cards = [c for b in banks.values() for c in b.cards]
    figures = [c.id for c in cards if c.kind == "figure"]
    assert len(figures) <= len(cards) // 10, figures
    # No card asks to recall fitted parameters or log-likelihoods.
    for c in cards:
        assert not re.search(r"\bLL\s*=|log-likelihood\s*=", c.back), c.id


def test_every_option_is_explained(banks):
    for q in all_questions(banks):
        for o in q.options:
            assert len(o.explain) > 10, q.id
        if q.type in ("numeric", "text"):
            assert len(q.explain) > 10, q.id


def test_every_question_can_be_answered_right(banks):
    for q in all_questions(banks):
        if q.type == "single":
            right = right_index(q)[0]
        elif q.type == "multiple":
            right = right_index(q)
        elif q.type == "numeric":
            right = q.answer
        else:
            right = q.accept[0].upper() + "  "
        assert q.check(right), q.id


def test_numeric_questions_state_unit_and_tolerance(banks):
    numeric = [q for q in all_questions(banks) if q.type == "numeric"]
    assert numeric
    for q in numeric:
        hint = q.answer_hint()
        assert q.unit and ("exactly" in hint if q.tolerance == 0 else f"{q.tolerance:g}" in hint)
        assert q.check(f"{q.answer}") and q.check(f" {q.answer:,} ")
        if q.tolerance > 0:
            assert q.check(q.answer + q.tolerance * 0.9)
        assert not q.check(q.answer + q.tolerance * 1.5 + 1e-6 + abs(q.answer) * 0.5)
        if q.unit == "percent":
            assert q.check(f"{q.answer}%") and q.check(f"{q.answer / 100}")
        if q.unit == "share":
            assert q.check(f"{q.answer * 100}%") and q.check(f"{q.answer * 100}")


def test_percent_answers_as_people_type_them(banks):
    percent = [q for q in all_questions(banks) if q.unit == "percent" and q.tolerance >= 0.025]
    assert percent, "a percent question with a tolerance of a rounding"
    q = percent[0]
    one_decimal = f"{q.answer:.1f}"
    for typed in (one_decimal, one_decimal + "%", one_decimal.replace(".", ","),
                  f"{q.answer / 100:.5f}", f"{q.answer}"):
        assert q.check(typed), typed
    assert not q.check(f"{q.answer * 2:.1f}%")


def test_unreadable_numbers_get_a_plain_message_without_ids(banks):
    q = next(q for q in all_questions(banks) if q.type == "numeric")
    with pytest.raises(AnswerError) as err:
        q.check("about sixty")
    assert q.id not in str(err.value) and "not a number" in str(err.value)


@pytest.mark.parametrize("typed, value, percent", [
    ("65%", 65.0, True), ("2.1 %", 2.1, True), ("70,0", 70.0, False),
    ("1,882", 1882.0, False), ("\\$35.22", 35.22, False), ("$1,234.5", 1234.5, False),
    ("1.234,5", 1234.5, False), ("−3", -3.0, False), ("0.02125", 0.02125, False)])
def test_parse_number(typed, value, percent):
    assert parse_number(typed.replace("\\$", "$")) == (pytest.approx(value), percent)


@pytest.mark.parametrize("typed", ["", "abc", "1..2", "nan", "inf", "%"])
def test_parse_number_rejects(typed):
    with pytest.raises(AnswerError):
        parse_number(typed)


def _independent_stats(banks):
    singles = [q for q in all_questions(banks) if q.type == "single"]
    multiples = [q for q in all_questions(banks) if q.type == "multiple"]
    positions = Counter(right_index(q)[0] + 1 for q in singles)
    longest = 0
    for q in singles:
        lengths = sorted(((len(plain_text(o.text)), o.correct) for o in q.options), reverse=True)
        longest += lengths[0][1] and lengths[0][0] > lengths[1][0]
    chance = sum(1 / len(q.options) for q in singles)
    counts = Counter(len(right_index(q)) for q in multiples)
    prefix = sum(right_index(q) == list(range(len(right_index(q)))) for q in multiples)
    return singles, multiples, positions, longest, chance, counts, prefix


def test_banks_carry_no_answer_tells(banks):
    singles, multiples, positions, longest, chance, counts, prefix = _independent_stats(banks)
    # Right answers are spread over the positions: none holds more than 40% of them
    # and each of the first three holds at least 15%.
    assert max(positions.values()) <= 0.4 * len(singles), positions
    assert all(positions.get(p, 0) >= 0.15 * len(singles) for p in (1, 2, 3)), positions
    # The right option is the strictly longest no more often than chance would make it.
    assert longest <= chance, (longest, chance)
    # Multiple choice: the number of right options varies, and they are not simply listed first.
    assert len(counts) >= 3, counts
    assert prefix <= len(multiples) // 5


def test_bank_stats_match_an_independent_count(banks):
    singles, multiples, positions, longest, chance, counts, prefix = _independent_stats(banks)
    stats = bank_stats(banks.values())
    assert stats["single"] == len(singles) and stats["multiple"] == len(multiples)
    assert stats["positions"] == dict(positions)
    assert stats["longest"] == longest and stats["longest_chance"] == round(chance, 1)
    assert stats["right_counts"] == dict(counts) and stats["prefix"] == prefix


def test_crm_quiz_validate_prints_the_statistics(banks, tmp_path, capsys):
    singles, multiples, positions, longest, chance, counts, prefix = _independent_stats(banks)
    assert cli.main(["quiz", "validate"]) == 0
    out = capsys.readouterr().out
    assert f"{len(banks)} bank(s) valid" in out
    pos = ", ".join(f"{k}: {v}" for k, v in sorted(positions.items()))
    assert f"single choice: {len(singles)} questions; right option at position {pos}" in out
    assert f"strictly the longest in {longest} (chance: {round(chance, 1)})" in out
    assert f"right options all first in {prefix}" in out
    data = _minimal()
    data["cards"][0].pop("back")
    bad = _write(tmp_path, data)
    assert cli.main(["quiz", "validate", str(bad)]) == 1
    assert "card c02-a, field (the item): 'back' is a required property" in \
        capsys.readouterr().err


# One idea per syllabus bullet group: each must appear in a card and in a question.
SYLLABUS_FACTS = {
    "00": ["Berry", "lifetime value", "retention", "personalis", "advocacy", "paradox",
           "cross-sell", "marketing-led"],
    "01": ["continuity of contact", "cost per", "exposure", "front-load", "adstock",
           "Erlang", "call centre", "database", "scope"],
    "02": ["margin", "Reichheld", "Gupta", "cohort", "sBG", "censoring", "contractual"],
    "03": ["bases", "personalisation", "ladder", "k-means", "demographic"],
    "04": ["RFM", "breakeven", "125", "defect", "Hughes", "control group",
           "regression to the mean", "intelligence"],
    "05": ["BG/NBD", "Gamma-Gamma", "holdout", "P(alive)"],
    "06": ["IT", "65%", "recommend", "hit rate", "fifth"],
}


@pytest.mark.parametrize("lesson", sorted(SYLLABUS_FACTS))
def test_syllabus_facts_are_in_cards_and_questions(banks, lesson):
    bank = banks[lesson]
    cards = " ".join(c.front + " " + c.back for c in bank.cards).lower()
    questions = " ".join(q.prompt + " " + " ".join(o.text + o.explain for o in q.options)
                         + q.explain for q in bank.questions).lower()
    for fact in SYLLABUS_FACTS[lesson]:
        assert fact.lower() in cards, f"{lesson}: no card mentions {fact!r}"
        assert fact.lower() in questions, f"{lesson}: no question mentions {fact!r}"


def _shingles(text: str, n: int = 8) -> set:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


SEEDS = REPO.parent / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed texts at {SEEDS} to compare with")
def test_course_text_is_not_copied_from_the_seeds(banks):
    seeds = set().union(*(_shingles(p.read_text()) for p in SEEDS.glob("*.txt")))
    texts = {}
    for b in banks.values():
        texts |= {c.id: c.front + " " + c.back for c in b.cards}
        texts |= {q.id: " ".join([q.prompt, q.explain, *(o.text + " " + o.explain
                                                          for o in q.options)])
                  for q in b.questions}
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        for i, cell in enumerate(json.loads(nb.read_text())["cells"]):
            if cell["cell_type"] == "markdown":
                texts[f"{nb.name} cell {i}"] = "".join(cell["source"])
    copied = {k: " ".join(next(iter(_shingles(plain_text(t)) & seeds)))
              for k, t in texts.items() if _shingles(plain_text(t)) & seeds}
    assert not copied, f"8 or more words in a row shared with the seeds: {copied}"


def _write(tmp_path, data, name="02_test.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _minimal():
    return {"lesson": "02", "title": "T",
            "cards": [{"id": "c02-a", "kind": "definition", "topic": "t", "front": "f",
                       "back": "b"}],
            "questions": [{"id": "q02-a", "type": "single", "topic": "t", "prompt": "p",
                           "options": [{"text": "x", "correct": True, "explain": "e"},
                                       {"text": "y", "correct": False, "explain": "e"}]}]}


def test_minimal_bank_loads(tmp_path):
    bank = load_bank(_write(tmp_path, _minimal()))
    assert bank.lesson == "02" and len(bank.questions) == 1


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["questions"][0]["options"][1].pop("explain"),
     r"question q02-a, field options.1: 'explain' is a required property"),
    (lambda d: d["questions"][0]["options"][1].update(correct=True),
     r"question q02-a, field options: a single-choice question needs exactly one correct"),
    (lambda d: d["cards"][0].update(kind="riddle"), r"card c02-a, field kind: 'riddle' is not"),
    (lambda d: d["questions"][0].update(type="numeric"),
     r"question q02-a, field answer: required for a numeric question"),
    (lambda d: d["questions"][0].update(type="numeric", answer=1, tolerance=0),
     r"question q02-a, field unit: required for a numeric question"),
    (lambda d: d["questions"][0].update(id="q03-a"),
     r"question q03-a, field id: must start with q02-"),
    (lambda d: d["questions"][0].update(tolerance=-1), r"field tolerance: -1 is less than"),
    (lambda d: d.update(lesson="05"), r"field lesson: '05' does not match the file name"),
    (lambda d: d["cards"][0].update(back="costs $5"),
     r"card c02-a, field back: an odd number of \$ signs"),
    (lambda d: d["cards"][0].update(colour="red"),
     r"card c02-a, field \(the item\): Additional properties are not allowed"),
])
def test_bad_bank_names_file_question_and_field(tmp_path, mutate, message):
    data = _minimal()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(BankError, match=message) as err:
        load_bank(path)
    assert str(path) in str(err.value)


def test_not_yaml(tmp_path):
    path = tmp_path / "02_x.yml"
    path.write_text("cards: [unclosed\n")
    with pytest.raises(BankError, match="not valid YAML"):
        load_bank(path)


def test_plain_text_keeps_dollars_and_drops_maths():
    assert plain_text(r"costs \$0.85, so $r = 0.9$ <b>here</b>") == "costs $0.85, so r = 0.9 here"
    assert plain_text(r"$\beta / (\alpha + \beta)$") == "β / (α + β)"
    assert plain_text("Offset objects such as <5 * MonthEnds>") == \
        "Offset objects such as <5 * MonthEnds>"


def test_text_answers_are_normalised():
    assert normalise("  Continuity of CONTACT! ") == "continuity of contact"
    assert normalise("Café") == "cafe"


# --------------------------------------------------------------------------- progress
def test_progress_persists_across_sessions(tmp_path):
    path = tmp_path / "p.json"
    clock = Clock()
    p = Progress(path, clock=clock)
    due = p.review("c00-berry", "good")
    assert due > clock.now
    again = Progress(path, clock=clock)
    assert again.cards["c00-berry"].due == due
    assert not again.is_new("c00-berry") and again.is_new("c00-process")
    assert again.learner == p.learner
    saved = json.loads(path.read_text())
    assert saved["format"] == "crm-course-progress" and saved["reviews"][0]["card"] == "c00-berry"


def test_a_version_1_file_is_still_read(tmp_path):
    path = tmp_path / "p.json"
    p = Progress(path, clock=Clock())
    p.review("c00-berry", "good")
    data = json.loads(path.read_text())
    old = {"format": data["format"], "version": 1, "cards": data["cards"],
           "quiz_results": [{"quiz": "q", "score": 1, "total": 2, "at": "2025-01-01T00:00:00"}]}
    path.write_text(json.dumps(old))
    p = Progress(path)
    assert "c00-berry" in p.cards and p.quiz_results[0]["score"] == 1 and not p.notice


def test_good_reviews_space_out_and_again_comes_back_soon(tmp_path):
    clock = Clock()
    p = Progress(tmp_path / "p.json", clock=clock)
    gaps = []
    for _ in range(4):
        due = p.review("c", "good")
        gaps.append(due - clock.now)
        clock.now = due
    assert gaps == sorted(gaps) and gaps[-1] > timedelta(days=2)
    due = p.review("c", "again")
    assert due - clock.now < timedelta(hours=1)


def test_four_ratings_order_the_intervals(tmp_path):
    due = {}
    for rating in ("again", "hard", "good", "easy"):
        clock = Clock()
        p = Progress(persist=False, clock=clock)
        p.review("c", "good")
        clock.now = p.cards["c"].due
        due[rating] = p.review("c", rating) - clock.now
    assert due["again"] < due["hard"] < due["good"] < due["easy"]


@pytest.mark.parametrize("content", ["{not json", json.dumps({"hello": "world"}),
                                     json.dumps({"format": "crm-course-progress",
                                                 "version": 99, "cards": {}})])
def test_corrupt_or_foreign_file_is_backed_up_with_a_plain_notice(tmp_path, content):
    path = tmp_path / "p.json"
    path.write_text(content)
    p = Progress(path)
    assert p.cards == {}
    assert p.backup == tmp_path / "p.corrupt-1.json"
    assert p.backup.read_text() == content  # nothing lost
    assert "could not be read" in p.notice and str(p.backup) in p.notice
    assert "Error" not in p.notice and "card_id" not in p.notice
    p.review("c00-berry", "good")
    assert "c00-berry" in json.loads(path.read_text())["cards"]


def test_a_second_corrupt_file_gets_a_new_backup(tmp_path):
    path = tmp_path / "p.json"
    for n in (1, 2):
        path.write_text("garbage")
        assert Progress(path).backup.name == f"p.corrupt-{n}.json"


def test_progress_setting_that_names_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_PROGRESS", str(tmp_path))
    p = Progress()
    assert p.path == tmp_path / "progress.json"
    assert "names a folder" in p.notice and str(p.path) in p.notice
    p.review("c00-berry", "good")
    assert (tmp_path / "progress.json").exists()


def test_two_surfaces_on_one_file_lose_nothing(tmp_path):
    """Lab and Voila (or a terminal) each hold a Progress on the same file."""
    path = tmp_path / "p.json"
    lab, voila = Progress(path), Progress(path)
    voila.review("c00-berry", "good")
    voila.record_quiz("Final mixed quiz", 3, 4)
    lab.review("c00-process", "again")  # lab never re-read the file by hand
    final = Progress(path)
    assert {"c00-berry", "c00-process"} <= set(final.cards)
    assert [r["quiz"] for r in final.quiz_results] == ["Final mixed quiz"]
    assert sorted(e["card"] for e in final.reviews) == ["c00-berry", "c00-process"]
    # Each surface sees the other's work after its next save or sync.
    assert "c00-berry" in lab.cards
    assert voila.sync() and "c00-process" in voila.cards
    # Undo in one surface is not resurrected by the other.
    lab.undo()
    voila.review("c00-shift", "good")
    final = Progress(path)
    assert "c00-process" not in final.cards and "c00-shift" in final.cards
    assert sorted(e["card"] for e in final.reviews) == ["c00-berry", "c00-shift"]


def _hammer(path: str, prefix: str, n: int) -> None:
    p = Progress(path)
    for k in range(n):
        p.review(f"{prefix}-{k}", "good")


def test_concurrent_processes_lose_no_review(tmp_path):
    path = str(tmp_path / "p.json")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(path, f"c0{k}-x", 15)) for k in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    final = Progress(path)
    expected = {f"c0{k}-x-{i}" for k in range(3) for i in range(15)}
    assert set(final.cards) == expected and len(final.reviews) == len(expected)


def test_progress_survives_a_kill_mid_write(tmp_path):
    """A process killed while saving leaves the previous file whole."""
    path = tmp_path / "p.json"
    good = Progress(path)
    good.review("c00-berry", "good")
    before = path.read_text()
    script = textwrap.dedent(f"""
        import os, signal
        import crmlib.atomic as io
        from crmlib.quiz.progress import Progress
        def killed(src, dst):
            # The temporary file is complete; die before the rename.
            os.kill(os.getpid(), signal.SIGKILL)
        io.os.replace = killed
        p = Progress({str(path)!r})
        p.review("c00-process", "again")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_text() == before
    assert "c00-process" not in Progress(path).cards
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".p.json")]
    assert len(leftovers) == 1  # the orphaned temporary file, never the real one


def test_default_path_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_PROGRESS", str(tmp_path / "mine.json"))
    assert Progress().path == tmp_path / "mine.json"


def test_today_ends_at_the_learners_midnight():
    # 20:00 UTC on 5 January is 06:00 on 6 January in UTC+10.
    clock = Clock(datetime(2026, 1, 5, 20, 0, tzinfo=UTC))
    sydney = timezone(timedelta(hours=10))
    for tz, due_today in ((sydney, True), (UTC, False)):
        p = Progress(persist=False, clock=clock, tz=tz)
        p.review("c", "good")
        # Due at 23:00 local on 6 January in UTC+10 (13:00 UTC), i.e. after UTC's midnight.
        p.cards["c"].due = datetime(2026, 1, 6, 13, 0, tzinfo=UTC)
        assert (p.due_today(["c"]) == ["c"]) is due_today, tz
    assert Progress(persist=False, clock=clock, tz=sydney).end_of_today() == \
        datetime(2026, 1, 7, 0, 0, tzinfo=sydney)


def test_daily_limit_on_new_cards(tmp_path):
    clock = Clock()
    ids = [f"c00-n{k}" for k in range(10)]
    p = Progress(tmp_path / "p.json", clock=clock, new_per_day=3)
    assert p.due_today(ids) == ids[:3]
    p.review(ids[0], "again")  # seen today: one new card used, and due again soon
    p.review(ids[1], "good")
    assert p.new_left_today() == 1
    assert p.due_today(ids) == [ids[0], ids[2]]
    assert len(p.due_today(ids, limit_new=False)) == len(ids) - 1
    clock.now += timedelta(days=1)
    assert p.new_left_today() == 3
    assert Progress(tmp_path / "p.json").new_per_day == 3  # kept in the file
    with pytest.raises(ValueError, match="new_per_day"):
        p.set_new_per_day(-1)


def test_undo_restores_the_card_and_the_log():
    p = Progress(persist=False, clock=Clock())
    p.review("c", "good")
    before = p.cards["c"].to_dict()
    p.review("c", "again")
    assert p.undo() == "c" and p.cards["c"].to_dict() == before and len(p.reviews) == 1
    assert p.undo() == "c" and p.is_new("c") and p.reviews == []
    assert p.undo() is None


def test_stats_count_reviews_retention_and_the_week_ahead():
    clock = Clock()
    p = Progress(persist=False, clock=clock, tz=UTC)
    ids = ["a", "b", "c"]
    p.review("a", "good")
    p.review("b", "good")
    clock.now += timedelta(days=1)
    p.review("a", "again")  # a seen card forgotten
    p.review("b", "good")  # a seen card remembered
    stats = p.stats(ids, days=3)
    assert [n for _, n in stats["per_day"]] == [0, 2, 2]
    assert stats["retention"] == 0.5 and stats["reviews_30d"] == 2
    assert stats["new"] == 1 and stats["seen"] == 2
    week = dict(stats["due_week"])
    assert sum(week.values()) == sum(
        1 for c in ("a", "b") if p.cards[c].due.date() < clock.now.date() + timedelta(days=7))


def test_reached_lesson_follows_lesson_quizzes(tmp_path):
    p = Progress(tmp_path / "p.json")
    assert p.reached == "00"
    quiz = lesson_quiz("03", progress=p)
    quiz.finish()
    assert p.reached == "03" and Progress(tmp_path / "p.json").reached == "03"
    lesson_quiz("01", progress=p).finish()
    assert p.reached == "03"  # an earlier lesson's quiz does not move it back
    p.set_reached("01")
    assert p.reached == "01"


# --------------------------------------------------------------------------- Quiz
def test_options_are_shuffled_by_default_and_reproducibly_per_learner(tmp_path, banks):
    questions = all_questions(banks)
    a = Progress(tmp_path / "a.json")
    a.save()
    b = Progress(tmp_path / "b.json")
    b.save()
    first = QuizSession(questions, title="t", progress=a)
    again = QuizSession(questions, title="t", progress=Progress(tmp_path / "a.json"))
    other = QuizSession(questions, title="t", progress=b)
    assert first.option_order == again.option_order
    assert first.option_order != other.option_order
    moved = [q.id for q in questions if first.option_order[q.id] != sorted(
        first.option_order[q.id])]
    assert len(moved) > len([q for q in questions if q.options]) // 2
    assert [q.id for q in first.questions] == [q.id for q in questions]  # order kept
    mixed = QuizSession(questions, shuffle=True, seed=1)
    assert [q.id for q in mixed.questions] != [q.id for q in questions]


def test_the_first_check_counts(banks):
    quiz = Quiz(banks["02"].questions, title="t")
    q = quiz.current
    assert quiz.answer(wrong_response(quiz, q)) is False
    fb = quiz.visible_feedback()
    assert "Not quite" in fb
    with pytest.raises(AnswerError, match="first answer counts"):
        quiz.answer(right_response(quiz, q))
    assert quiz.score == 0 and quiz.correct[q.id] is False
    box = quiz.body.children[0]
    check = box.children[2].children[0]
    assert check.disabled and box.children[1].disabled


def test_feedback_explains_the_choice_and_the_right_option(banks):
    q = next(q for q in banks["02"].questions if q.type == "single")
    quiz = Quiz([q], title="t")
    shown_wrong = wrong_response(quiz, q)
    quiz.answer(shown_wrong)
    wrong = quiz.option_order[q.id][shown_wrong]
    fb = quiz.visible_feedback()
    assert q.options[wrong].explain in fb and q.options[right_index(q)[0]].explain in fb
    radio = quiz.body.children[0].children[1]
    assert radio.value == shown_wrong  # the choice stays visible after checking


def test_quiz_navigation_and_all_types(banks):
    questions = banks["02"].questions
    quiz = Quiz(questions, title="t")
    for _ in quiz.questions:
        quiz.answer(right_response(quiz, quiz.current))
        quiz.next()
    assert quiz.score == len(questions)
    results = quiz.finish()
    assert (results["share_right"] == 1).all() and quiz.to_review() == []
    n = len(questions)
    assert f"Score: {n} of {n} right" in quiz.results_panel.value
    assert f"{n} answered, 0 not answered" in quiz.results_panel.value
    with pytest.raises(RuntimeError, match="finished"):
        quiz.answer(0)


def test_finish_records_once_and_counts_unanswered(tmp_path, banks):
    p = Progress(tmp_path / "p.json")
    questions = banks["05"].questions
    quiz = Quiz(questions, title="t", progress=p)
    quiz.answer(wrong_response(quiz, quiz.current))
    quiz.finish_clicked()  # first click only warns
    assert not quiz.finished
    missing = len(questions) - 1
    assert f"{missing} of {len(questions)} questions are not answered" in \
        quiz.finish_message.value
    quiz.finish_clicked()
    assert quiz.finished and quiz.finish_button.disabled
    quiz.finish()
    quiz.finish_clicked()
    assert len(p.quiz_results) == 1
    assert p.quiz_results[0] | {"at": None, "id": None} == {
        "quiz": "t", "score": 0, "total": len(questions), "answered": 1, "at": None, "id": None}
    res = quiz.results()
    assert res["answered"].sum() == 1 and res["right"].dtype.kind == "i"
    assert f"1 answered, {missing} not answered" in quiz.results_panel.value
    assert "0.0" not in quiz.results_panel.value


def test_review_advice_names_topic_and_lesson(banks):
    quiz = mixed_quiz(per_lesson=1, seed=3, progress=Progress(persist=False))
    quiz.finish()
    for q in quiz.questions:
        assert f"{q.topic} (lesson {q.lesson}, {banks[q.lesson].title})" in quiz.to_review()


def test_exam_mode_holds_feedback_and_allows_changes(banks):
    questions = banks["04"].questions
    quiz = Quiz(questions, exam=True)
    q = quiz.current
    assert quiz.answer(wrong_response(quiz, q)) is None
    assert quiz.visible_feedback() == ""
    assert "recorded" in quiz.body.children[0].children[-1].value
    assert quiz.answer(right_response(quiz, q)) is None  # may change until finish
    quiz.finish()
    assert "Right" in quiz.visible_feedback() and "Right" in quiz.results_panel.value


def test_retry_reshuffles(banks):
    a = Quiz(banks["03"].questions, shuffle=True, seed=3)
    first = [x.id for x in a.questions]
    a.answer(right_response(a, a.current))
    a.retry()
    assert a.responses == {} and [x.id for x in a.questions] != first


def test_options_are_numbered_and_digits_choose(banks):
    single = next(q for q in all_questions(banks) if q.type == "single")
    multiple = next(q for q in all_questions(banks) if q.type == "multiple")
    quiz = Quiz([single, multiple], title="t")
    radio = quiz.body.children[0].children[1]
    labels = [label for label, _ in radio.options]
    assert labels == [f"{k + 1}. {plain_text(t)}" for k, t in enumerate(quiz.options_of(single))]
    quiz._on_key("2")
    assert radio.value == 1 and single.id not in quiz.correct  # chosen, not yet checked
    quiz._on_key("Enter")
    assert single.id in quiz.correct
    assert quiz.responses[single.id] == quiz.option_order[single.id][1]
    quiz._on_key("ArrowRight")
    boxes = quiz.body.children[0].children[1].children
    assert boxes[0].description.startswith("1. ")
    quiz._on_key("1")
    quiz._on_key("3")
    assert [b.value for b in boxes][:3] == [True, False, True]
    quiz._on_key("3")
    assert not boxes[2].value
    quiz._on_key("Enter")
    assert quiz.responses[multiple.id] == [quiz.option_order[multiple.id][0]]


def test_quiz_all_at_once_and_read_aloud(banks):
    quiz = Quiz(banks["00"].questions, one_at_a_time=False)
    assert len(quiz.body.children) == len(quiz.questions)
    one = Quiz(banks["00"].questions)
    text = one.read_aloud()
    assert one.keys.last_text == text and plain_text(one.current.prompt) in text


def test_lesson_quiz_saves_its_score_by_default(tmp_path, monkeypatch, banks):
    monkeypatch.setenv("CRM_PROGRESS", str(tmp_path / "p.json"))
    quiz = lesson_quiz("01")
    quiz.finish()
    saved = json.loads((tmp_path / "p.json").read_text())
    assert saved["quiz_results"][-1]["total"] == len(banks["01"].lesson_quiz)  # its <= 12
    assert "saved" in quiz.results_panel.value


def test_quiz_needs_questions():
    with pytest.raises(ValueError, match="at least one question"):
        Quiz([])


def test_mixed_quiz_follows_the_lessons_reached(banks):
    p = Progress(persist=False)
    quiz = mixed_quiz(per_lesson=2, progress=p, follow_reached=True)
    assert {q.lesson for q in quiz.questions} == {"00"}
    p.set_reached("02")
    assert {q.lesson for q in quiz.questions} == {"00", "01", "02"}
    assert len(quiz.questions) == sum(min(2, len(banks[k].questions)) for k in ("00", "01", "02"))


def test_mixed_quiz_stays_within_12_and_keeps_every_lesson(banks):
    p = Progress(persist=False)
    p.set_reached(max(banks))
    quiz = mixed_quiz(per_lesson=2, progress=p, follow_reached=True)
    assert 2 * len(banks) > 12 and len(quiz.questions) == 12  # 14 would be drawn without the cap
    assert {q.lesson for q in quiz.questions} == set(banks)
    again = mixed_quiz(per_lesson=2, progress=p, follow_reached=True)
    assert sorted(q.id for q in again.questions) == sorted(q.id for q in quiz.questions)
    assert len(mixed_questions(2, seed=5, at_most=9)) == 9
    assert len(mixed_questions(1, seed=5)) == len(banks)  # under the cap: nothing is dropped


# --------------------------------------------------------------------------- Flashcards
@pytest.fixture
def deck(tmp_path, banks):
    return Flashcards(banks["03"].cards, progress=Progress(tmp_path / "p.json", clock=Clock()))


def test_flip_shows_question_and_answer(deck):
    first = deck.card
    assert "crm-card-front" in deck.face.value and first.front in deck.face.value
    assert first.back not in deck.face.value
    deck.flip()
    assert deck.flipped and first.back in deck.face.value and first.front in deck.face.value
    deck.next()
    assert not deck.flipped and deck.card != first
    deck.previous()
    assert deck.card == first
    deck.previous()
    assert deck.position == len(deck.order) - 1  # wraps around


def test_rating_needs_a_flip_by_button_and_by_key(deck):
    cid = deck.card.id
    assert all(deck.buttons[k].disabled for k in ("again", "hard", "good", "easy"))
    for key in ("k", "a", "1", "3"):
        deck._on_key(key)
    assert deck.progress.is_new(cid) and sum(deck.session.values()) == 0
    assert "Flip the card first" in deck.message_box.value
    deck._on_key(" ")
    assert not any(deck.buttons[k].disabled for k in ("again", "hard", "good", "easy"))
    deck._on_key("4")
    assert deck.session["easy"] == 1 and not deck.progress.is_new(cid)


def test_marking_changes_the_due_count(deck):
    total = len(deck.deck)
    assert deck.due_count == min(total, deck.progress.new_per_day)
    cid = deck.card.id
    deck.flip()
    deck.knew_it()
    assert deck.state_of(cid)["state"] == "review"
    assert deck.state_of(cid)["due"] - deck.progress.clock() > timedelta(days=1)
    deck.flip()
    other = deck.card.id
    deck.again()
    assert deck.state_of(other)["due"] - deck.progress.clock() <= timedelta(minutes=10)
    assert deck.session == {"again": 1, "hard": 0, "good": 1, "easy": 0}
    assert deck.due_count == min(total - 1, deck.progress.new_per_day - 2 + 1)


def test_undo_from_the_widget(deck):
    cid = deck.card.id
    assert deck.buttons["undo"].disabled
    deck.flip()
    deck.rate("hard")
    assert not deck.buttons["undo"].disabled
    assert deck.undo() == cid
    assert deck.progress.is_new(cid) and deck.card.id == cid and not deck.flipped


def test_undo_takes_the_rating_off_the_session_counter(deck):
    deck.flip()
    deck.rate("good")
    deck.flip()
    deck.rate("hard")
    assert "1 hard, 1 good" in deck.status.value
    deck.undo()
    assert deck.session == {"again": 0, "hard": 0, "good": 1, "easy": 0}
    assert "this session: 1 good</span>" in deck.status.value
    deck.undo()
    assert sum(deck.session.values()) == 0 and "nothing rated yet" in deck.status.value


def test_every_view_updates_when_one_marks(tmp_path, banks):
    p = Progress(tmp_path / "p.json", clock=Clock())
    everything = [c for b in banks.values() for c in b.cards]
    all_deck = Flashcards(everything, progress=p, due_only=True)
    tab = lesson_cards("00", progress=p, due_only=True)
    table = DueTable(banks, p)
    before_tab, before_row = tab.due_count, table.rows()[0]["due today"]
    assert all_deck.card.lesson == "00"
    all_deck.flip()
    all_deck.knew_it()
    # The other deck and the table were told, without any call from the learner.
    assert tab.due_count == len(p.due_today([c.id for c in banks["00"].cards]))
    assert f"{tab.due_count} due today" in tab.status.value
    assert table.rows()[0]["due today"] == tab.due_count
    assert f">{tab.due_count}</td>" in table.widget.value
    assert before_row == before_tab


def test_decks_follow_the_lessons_reached(tmp_path, banks):
    p = Progress(tmp_path / "p.json", clock=Clock())
    everything = [c for b in banks.values() for c in b.cards]
    deck = Flashcards(everything, progress=p, due_only=True, follow_reached=True)
    assert {deck.deck[c].lesson for c in deck.order} == {"00"}
    assert deck.due_count == min(len(banks["00"].cards), p.new_per_day)
    p.set_reached("01")
    assert {deck.deck[c].lesson for c in deck.order} == {"00", "01"}


def test_nothing_due(tmp_path, banks):
    clock = Clock()
    p = Progress(tmp_path / "p.json", clock=clock)
    cards = banks["00"].cards[:2]
    for c in cards:
        for _ in range(4):
            p.review(c.id, "good")
            clock.now = p.cards[c.id].due
    clock.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    deck = Flashcards(cards, progress=p, due_only=True)
    assert deck.card is None and "Nothing due today" in deck.face.value
    deck.knew_it()  # harmless
    assert deck.due_count == 0


def test_widgets_show_the_corrupt_file_notice(tmp_path, banks):
    path = tmp_path / "p.json"
    path.write_text("{broken")
    p = Progress(path)
    deck = Flashcards(banks["00"].cards, progress=p)
    quiz = Quiz(banks["00"].questions, progress=p)
    # Said once, by the first view on the page, in plain words.
    assert "could not be read" in deck.notice.value and "p.corrupt-1.json" in deck.notice.value
    assert "damaged or incomplete" in deck.notice.value and "char" not in deck.notice.value
    assert quiz.notice.value == ""
    alone = Quiz(banks["00"].questions, progress=Progress(path.with_name("q.json")))
    assert alone.notice.value == ""


def test_review_page_says_the_file_was_damaged_at_its_top(tmp_path, banks):
    """Built in the review page's order, the notice goes to the first widget (the lesson
    picker, at the top of the page), not to the first deck further down."""
    path = tmp_path / "p.json"
    path.write_text("{broken")
    p = Progress(path)
    box = lesson_picker(banks, p, page_title="Review")
    table = DueTable(banks, p)
    deck = Flashcards(banks["00"].cards, progress=p)
    tab = lesson_cards("01", progress=p)
    quiz = Quiz(banks["00"].questions, progress=p)
    top = box.children[0].value
    assert "crm-notice" in top and "could not be read" in top and "p.corrupt-1.json" in top
    assert box.children[1] is box.picker
    assert "<div class='crm-notice'>" not in table.widget.value
    assert deck.notice.value == tab.notice.value == quiz.notice.value == ""
    deck.flip()  # a re-render does not claim it either
    assert deck.notice.value == ""
    # Without a damaged file the picker is as before.
    fresh = lesson_picker(banks, Progress(tmp_path / "fresh.json"))
    assert not hasattr(fresh, "children") or all(
        "crm-notice" not in getattr(c, "value", "") for c in fresh.children)


def _css_rules(selector_part: str) -> list[str]:
    """The rules of the widgets' style sheet whose selector mentions ``selector_part``."""
    from crmlib.quiz.widgets import STYLE

    return [r for r in re.findall(r"([^{}]+\{[^{}]*\})", STYLE) if selector_part in
            r.split("{")[0]]


def test_checkboxes_line_up_with_radio_buttons():
    """ipywidgets' checkbox has a hidden description label before the label with the box:
    forcing every checkbox label to show made multiple-choice options sit ~85 px in."""
    for rule in _css_rules("widget-checkbox"):
        selectors = [sel.strip() for sel in rule.split("{")[0].split(",")]
        for sel in selectors:
            if "widget-checkbox" in sel and re.search(r"\blabel\b", sel):
                assert "label.widget-label-basic" in sel, sel
    radio = " ".join(_css_rules(".widget-radio-box label"))
    assert "display: flex" in radio and "label.widget-label-basic" in radio


def test_score_table_keeps_words_whole_with_space_between_columns(banks):
    quiz = Quiz(banks["00"].questions, progress=Progress(persist=False))
    quiz.finish()
    assert "<table>" in quiz.results_panel.value and "crm-results" in quiz.results_panel.value
    cells = " ".join(_css_rules(".crm-results td"))
    assert re.search(r"padding: \d+px \d+px", cells)  # the columns no longer run together
    assert "word-break: normal" in cells and "overflow-wrap: normal" in cells
    assert "overflow-x: auto" in " ".join(_css_rules(".crm-results,"))  # scrolls when narrow
    from crmlib.quiz.widgets import STYLE

    assert "anywhere" not in STYLE  # overflow-wrap: anywhere broke words mid-word


def test_flashcard_read_aloud(deck):
    assert deck.read_aloud() == plain_text(deck.card.front)
    deck._on_key(" ")
    assert deck.read_aloud() == plain_text(deck.card.back)


def test_shuffled_deck_is_reproducible(banks):
    a = lesson_cards("02", progress=Progress(persist=False), shuffle=True, seed=4)
    b = lesson_cards("02", progress=Progress(persist=False), shuffle=True, seed=4)
    assert a.all_order == b.all_order != [c.id for c in banks["02"].cards]


# --------------------------------------------------------------------------- Anki
def test_anki_package_is_a_valid_collection(tmp_path, banks):
    out = tmp_path / "course.apkg"
    assert cli.main(["anki", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert "collection.anki2" in z.namelist()
        z.extract("collection.anki2", tmp_path)
    db = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        notes = db.execute("select flds from notes").fetchall()
        n_cards = db.execute("select count(*) from cards").fetchone()[0]
        decks_json = db.execute("select decks from col").fetchone()[0]
    finally:
        db.close()
    expected = sum(len(b.cards) + len(b.questions) for b in banks.values())
    assert len(notes) == expected and n_cards == expected
    fields = {row[0].split("\x1f")[-1]: row[0].split("\x1f") for row in notes}
    for bank in banks.values():
        for card in bank.cards:
            assert card.id in fields
        for q in bank.questions:
            answer = fields[q.id][1]
            for o in q.options:
                assert plain_text(o.explain)[:20].replace("$", "") in html.unescape(
                    plain_text(answer).replace("\\(", "").replace("\\)", "").replace("$", ""))
    names = {d["name"] for d in json.loads(decks_json).values()}
    assert {f"CRM course::{k} {b.title}" for k, b in banks.items()} <= names


def _anki_notes(apkg: Path, folder: Path) -> dict[str, list[str]]:
    """The fields of every note of an Anki package, by the bank id (the last field)."""
    with zipfile.ZipFile(apkg) as z:
        z.extract("collection.anki2", folder)
    db = sqlite3.connect(folder / "collection.anki2")
    try:
        rows = db.execute("select flds from notes").fetchall()
    finally:
        db.close()
    return {r[0].split("\x1f")[-1]: r[0].split("\x1f") for r in rows}


# The markup the export itself writes; anything else in a field must be escaped text.
_ANKI_TAGS = re.compile(r"</?(?:ol|li|b|br|hr|div)(?: class='meta')?>")


def test_anki_fields_are_escaped_html_with_one_full_stop(tmp_path, banks, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["anki", "course.apkg"]) == 0
    out = capsys.readouterr().out
    apkg = tmp_path / "course.apkg"
    assert f"wrote {apkg.resolve()}:" in out  # the absolute path, not a bare name
    assert apkg.stat().st_mode & 0o777 == 0o644
    fields = _anki_notes(apkg, tmp_path)
    doubled = [(qid, f) for qid, note in fields.items() for f in note[:2]
               if re.search(r"(?<!\.)\.\.(?!\.)", _ANKI_TAGS.sub(" ", f))]
    assert doubled == []
    for qid, note in fields.items():
        for f in note[:3]:
            rest = _ANKI_TAGS.sub("", f)
            assert "<" not in rest and ">" not in rest, (qid, f)
            assert "\\$" not in f, (qid, f)  # money is a plain dollar sign
            assert not re.search(r"&(?!amp;|lt;|gt;)", rest), (qid, f)
    texts = {o.text: q.id for b in banks.values() for q in b.questions for o in q.options}
    qid = texts["Offset objects such as <5 * MonthEnds>"]
    assert "Offset objects such as &lt;5 * MonthEnds&gt;" in fields[qid][0]
    explained = next(q for b in banks.values() for q in b.questions for o in q.options
                     if o.explain.startswith("20 > 2 x 7"))
    assert "20 &gt; 2 x 7" in fields[explained.id][1]
    money = next(c for b in banks.values() for c in b.cards if "\\$0.85" in c.front)
    assert "$0.85" in fields[money.id][0] and "\\(" not in fields[money.id][0]


def test_no_card_names_an_image_so_the_package_needs_no_media(banks, tmp_path):
    """Figure cards (kind: figure) hold published numbers, not pictures: no bank text
    names an image, so the package carries no media. A bank that names one must
    first give the Anki export media files (genanki media_files) and an <img>."""
    image = re.compile(r"\.(png|jpe?g|svg|gif|webp)\b|<img|!\[", re.I)
    texts = [t for b in banks.values() for c in b.cards for t in (c.front, c.back)]
    texts += [t for b in banks.values() for q in b.questions
              for t in (q.prompt, q.explain or "", *(o.text + o.explain for o in q.options))]
    assert [t for t in texts if image.search(t)] == []
    out = tmp_path / "course.apkg"
    assert cli.main(["anki", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("media")) == {}


def test_anki_export_needs_an_apkg_name(tmp_path, capsys):
    assert cli.main(["anki", str(tmp_path / "x.zip")]) == 2
    assert "must end in .apkg" in capsys.readouterr().err


# --------------------------------------------------------------------------- terminal
def _crm(args, stdin, tmp_path, timeout=120):
    env = dict(os.environ, CRM_PROGRESS=str(tmp_path / "progress.json"))
    crm = Path(sys.executable).with_name("crm")
    return subprocess.run([str(crm), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_terminal_quiz_with_piped_answers_in_the_learners_order(tmp_path, banks):
    path = tmp_path / "progress.json"
    Progress(path).save()  # fixes this learner's id, hence the option order
    bank = banks["00"]
    quiz = QuizSession(bank.questions, title=f"Lesson 00 quiz: {bank.title}",
                       progress=Progress(path))
    lines = []
    for q in quiz.questions:
        r = right_response(quiz, q)
        lines.append(str(r + 1) if q.type == "single" else
                     ",".join(str(i + 1) for i in r) if q.type == "multiple" else r)
    out = _crm(["quiz", "00"], "\n".join(lines) + "\n", tmp_path)
    assert out.returncode == 0, out.stderr
    n = len(bank.questions)
    assert f"Score: {n} of {n} right ({n} answered, 0 not answered)" in out.stdout
    assert "Every topic right." in out.stdout
    saved = json.loads(path.read_text())
    assert saved["quiz_results"][0]["score"] == n


def test_terminal_quiz_explains_bad_answers_without_tracebacks(tmp_path, banks):
    bank = next(b for b in banks.values() if b.questions[0].type == "single")
    first = bank.questions[0]
    n = len(first.options)
    out = _crm(["quiz", bank.lesson, "--in-order"], f"-1\nb\n{n + 1}\n1,2\n\n", tmp_path)
    assert out.returncode == 0 and "Traceback" not in out.stderr + out.stdout
    assert out.stdout.count(f"type a number from 1 to {n}") == 3
    assert f"Type one option number from 1 to {n}" in out.stdout
    assert "invalid literal" not in out.stdout and "from 0" not in out.stdout
    assert first.id not in out.stdout
    assert f"Score: 0 of {len(bank.questions)} right (0 answered" in out.stdout


def test_terminal_accepts_percent_answers(tmp_path, banks):
    lesson, q = next((b.lesson, q) for b in banks.values() for q in b.questions
                     if q.unit == "percent")
    bank = banks[lesson]
    lines = ["" if x.id != q.id else f"{q.answer:.2f}%" for x in bank.questions]
    out = _crm(["quiz", lesson, "--in-order", "--no-save"], "\n".join(lines) + "\n", tmp_path)
    assert "Right." in out.stdout and "Score: 1 of" in out.stdout


def test_terminal_cards_ratings_again_and_undo(tmp_path, banks):
    cards = banks["01"].cards
    # Card 1: an unknown key, then Again; card 2: Good, then undo on card 3,
    # which brings card 2 back; Easy; then card 3 Good; quit.
    stdin = "\nx\n1\n\n3\n\nu\n\n4\n\n3\n\nq\n"
    out = _crm(["cards", "01"], stdin, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "'x' is not a choice" in out.stdout
    assert "Undone:" in out.stdout and plain_text(cards[1].front)[:40] in out.stdout
    assert "This session: 1 again, 1 good, 1 easy" in out.stdout
    saved = json.loads((tmp_path / "progress.json").read_text())
    ratings = [(e["card"], e["rating"]) for e in saved["reviews"]]
    assert ratings == [(cards[0].id, "again"), (cards[1].id, "easy"), (cards[2].id, "good")]


def test_terminal_cards_bring_again_back_in_the_session(tmp_path, banks):
    cards = banks["06"].cards
    rate_all = "".join("\n1\n" if k == 0 else "\n3\n" for k in range(len(cards)))
    out = _crm(["cards", "06", "--all"], rate_all + "\n3\n", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(f"Q: {plain_text(cards[0].front)}") == 2
    assert f"This session: 1 again, {len(cards)} good" in out.stdout


def test_crm_review_and_stats(tmp_path, banks):
    out = _crm(["review", "--up-to", "01"], "\n3\n\n3\n\nq\n", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Review: lessons 00 to 01" in out.stdout and "This session: 2 good" in out.stdout
    out = _crm(["stats"], "", tmp_path)
    assert out.returncode == 0, out.stderr
    seen_total = sum(len(banks[k].cards) for k in ("00", "01"))
    assert f"Lessons reached: 00 to 01; 2 cards seen, {seen_total - 2} not seen yet" in out.stdout
    assert "Reviews per day" in out.stdout and "Due this week" in out.stdout


def test_ctrl_c_stops_cleanly(tmp_path):
    env = dict(os.environ, CRM_PROGRESS=str(tmp_path / "progress.json"))
    crm = Path(sys.executable).with_name("crm")
    proc = subprocess.Popen([str(crm), "cards", "00"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    deadline = time.monotonic() + 60
    line = ""
    while "Q:" not in line and time.monotonic() < deadline:
        line = proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "Stopped" in err


def _read_until(proc, marker, timeout=60):
    """Read the process's output a character at a time until ``marker`` (a prompt
    has no newline)."""
    deadline = time.monotonic() + timeout
    seen = ""
    while marker not in seen and time.monotonic() < deadline:
        ch = proc.stdout.read(1)
        if not ch:
            break
        seen += ch
    assert marker in seen, seen
    return seen


def test_ctrl_c_in_a_quiz_saves_what_was_answered(tmp_path):
    """Ctrl-C says the answers are saved: they must be (as with Ctrl-D)."""
    path = tmp_path / "progress.json"
    env = dict(os.environ, CRM_PROGRESS=str(path))
    crm = Path(sys.executable).with_name("crm")
    proc = subprocess.Popen([str(crm), "quiz", "02", "--in-order"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    _read_until(proc, "answer (")
    proc.stdin.write("1\n")
    proc.stdin.flush()
    _read_until(proc, "Q2 of")
    _read_until(proc, "answer (")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    assert "Everything you answered or rated so far is saved" in err
    saved = json.loads(path.read_text())
    assert [(r["answered"], r["total"]) for r in saved["quiz_results"]] == [
        (1, len(load_banks()["02"].questions))]
    assert "1 answered" in out


def test_terminal_cards_undo_and_quit_at_the_first_prompt(tmp_path, banks):
    """u and q work at the card's first prompt (before the answer shows), not only after."""
    cards = banks["01"].cards
    # Card 1: Good; at card 2's first prompt u brings card 1 back; Easy; then q at
    # card 2's first prompt ends the session.
    out = _crm(["cards", "01"], "\n3\nu\n\n4\nq\n", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Undone:" in out.stdout
    assert out.stdout.count(f"Q: {plain_text(cards[0].front)[:30]}") == 2
    assert "This session: 1 easy;" in out.stdout
    assert out.stdout.count("rate:") == 2  # q quit before card 2's answer
    saved = json.loads((tmp_path / "progress.json").read_text())
    assert [(e["card"], e["rating"]) for e in saved["reviews"]] == [(cards[0].id, "easy")]
    # Nothing to undo yet: said so, and the same card is asked again.
    (tmp_path / "fresh").mkdir()
    out = _crm(["cards", "00"], "u\nq\n", tmp_path / "fresh")
    assert "Nothing to undo." in out.stdout


@pytest.mark.parametrize("tex, text", [
    (r"$CLV = m\,r / (1 + i - r)$", "CLV = m·r / (1 + i − r)"),
    (r"$\frac{a}{b}$ and $\frac{m + 1}{1 + i}$", "a/b and (m + 1)/(1 + i)"),
    (r"$x^{2} \times 3$, $\left( a \right)\;b$", "x^2 × 3, ( a ) b"),
    (r"$\beta / (\alpha + \beta)$", "β / (α + β)"),
    (r"$\log_2(m/u)$ costs \$5", "log_2(m/u) costs $5"),
])
def test_plain_text_renders_tex_readably(tex, text):
    assert plain_text(tex) == text


def test_terminal_shows_no_raw_tex_and_wraps_on_words(tmp_path, banks):
    out = _crm(["cards", "02", "--all"], "\ns\n" * len(banks["02"].cards), tmp_path)
    assert out.returncode == 0, out.stderr
    assert "m·r / (1 + i − r)" in " ".join(out.stdout.split())
    assert not re.search(r"\\[A-Za-z,;]", out.stdout), "raw TeX in the terminal"
    words = set(re.findall(r"[\w'’-]+", " ".join(
        plain_text(c.front) + " " + plain_text(c.back) for c in banks["02"].cards)))
    shown = re.sub(r"\(Enter shows the answer[^)]*\) ", "\n", out.stdout)  # input not echoed
    for line in shown.splitlines():
        if line.startswith(("  Q:", "  A:", "     ")):  # a card's text
            assert len(line) <= 100, line  # at most 100 columns, 80 when piped
    # every wrapped line ends and starts on a whole word of the bank's text
    text_lines = [ln.strip() for ln in shown.splitlines() if ln.startswith("     ")]
    assert text_lines, "long answers wrap onto indented lines"
    for ln in text_lines:
        first = re.match(r"[\w'’-]+", ln)
        assert first is None or first.group(0) in words, ln


def test_terminal_shows_money_as_a_plain_dollar_sign(tmp_path, banks):
    """Banks write money as \\$ (for MathJax); the terminal shows a plain $."""
    cards = banks["04"].cards
    k = next(i for i, c in enumerate(cards) if "\\$0.85" in c.front)
    out = _crm(["cards", "04", "--all"], "\ns\n" * (k + 1), tmp_path)
    assert out.returncode == 0, out.stderr
    shown = " ".join(out.stdout.split())
    assert "breakeven for a $0.85 letter" in shown and "\\$" not in out.stdout


def test_unknown_lesson(tmp_path):
    out = _crm(["quiz", "42"], "", tmp_path)
    assert out.returncode == 2 and "no bank for lesson '42'" in out.stderr


def test_terminal_commands_import_nothing_heavy(tmp_path):
    """What made `crm cards` slow: pandas, scipy, the simulation, jsonschema, widgets."""
    script = textwrap.dedent("""
        import io, sys
        from crmlib import cli
        sys.stdin = io.StringIO("")
        cli.main(["cards", "00"])
        cli.main(["quiz", "00", "--no-save"])
        heavy = {"pandas", "scipy", "jsonschema", "ipywidgets", "anywidget", "crmlib.data",
                 "crmlib.simulate", "matplotlib", "sklearn"}
        print(sorted(m for m in heavy if m in sys.modules))
    """)
    env = dict(os.environ, CRM_PROGRESS=str(tmp_path / "p.json"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_lesson_quiz_list_chooses_the_end_of_lesson_questions(tmp_path):
    import yaml

    from crmlib.quiz.bank import MAX_LESSON_QUIZ, BankError, load_bank

    source = sorted((REPO / "crmlib" / "banks").glob("02_*.yml"))[0]
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data.pop("lesson_quiz", None)
    ids = [q["id"] for q in data["questions"]]
    path = tmp_path / source.name

    data["lesson_quiz"] = [{"question": ids[2], "objective": 1},
                           {"question": ids[0], "objective": 2}]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    bank = load_bank(path)
    assert [q.id for q in bank.quiz_questions()] == [ids[2], ids[0]]

    data["lesson_quiz"] = [{"question": "q02-nothing", "objective": 1},
                           {"question": ids[0], "objective": 1},
                           {"question": ids[0], "objective": 2}]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(BankError) as err:
        load_bank(path)
    assert "no question 'q02-nothing'" in str(err.value) and "listed twice" in str(err.value)

    data["lesson_quiz"] = [{"question": i, "objective": 1} for i in ids[:MAX_LESSON_QUIZ + 1]]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(BankError, match="lesson_quiz"):
        load_bank(path)


# --------------------------------------------------------------------------- the web app
def _kernel_processes(server_pid: int) -> int:
    """How many kernels the app's server process has running (its ipykernel children)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmd = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        count += ppid == server_pid and b"ipykernel" in cmd
    return count


def _leave_page(opener, jar, base: str, kernel: str) -> int:
    """What the page does when it is left (Voila's widget manager on beforeunload):
    sendBeacon of a form holding the _xsrf cookie's value (empty without one)."""
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="_xsrf"\r\n\r\n'
            f"{xsrf}\r\n--{boundary}--\r\n").encode()
    request = urllib.request.Request(
        f"{base}/voila/api/shutdown/{kernel}", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": base})
    try:
        return opener.open(request, timeout=60).status
    except urllib.error.HTTPError as err:
        return err.code


def _kernel_status(opener, base: str, kernel: str) -> int:
    """GET /api/kernels/<id> (Jupyter server's REST API): 200 running, 404 gone."""
    try:
        return opener.open(f"{base}/api/kernels/{kernel}", timeout=30).status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.slow
def test_review_app_shuts_down_the_kernel_of_every_page_left(tmp_path):
    """Each page load starts a kernel; leaving the page must shut it down (the shutdown
    request was refused, '_xsrf' argument missing, and kernels piled up), and a kernel
    whose page never says goodbye is culled once idle. The page loads nothing from
    the network."""
    from support import free_port, serve, stop

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CRM_PROGRESS=str(tmp_path / "progress.json"))
    # The app as make quiz runs it, with a short culling time to see culling at work.
    proc = serve([sys.executable, "-m", "crmlib.quiz.app", f"--port={port}",
                  "--MappingKernelManager.cull_idle_timeout=3",
                  "--MappingKernelManager.cull_interval=1"],
                 f"{base}/voila/static/favicon.ico", REPO, env)
    try:
        kernels, statuses = [], []
        for _ in range(3):
            jar = CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(f"{base}/", timeout=300).read().decode()
            kernel = re.search(r'"kernelId": "([0-9a-f-]+)"', page).group(1)
            assert _kernel_status(opener, base, kernel) == 200
            kernels.append(kernel)
            statuses.append(_leave_page(opener, jar, base, kernel))
        assert statuses == [204] * 3
        # Nothing from the network (Voila's own template linked Font Awesome on a CDN):
        # every stylesheet, script, font or image the page names is served by the app.
        fetched = re.findall(r'(?:href|src)="([^"]+)"', page)
        assert [u for u in fetched if not u.startswith(("/", "#", "data:"))] == []
        assert not re.search(r"https?://(?!www\.w3\.org|creativecommons\.org|purl\.org)",
                             page)  # only XML namespaces, which are never fetched
        for url in {u for u in fetched if u.startswith("/")}:
            assert opener.open(base + url, timeout=30).status == 200, url
        assert [_kernel_status(opener, base, k) for k in kernels] == [404] * 3
        assert _kernel_processes(proc.pid) == 0
        # A page load that never leaves (no browser): culled once idle.
        opener.open(f"{base}/", timeout=300).read()
        assert _kernel_processes(proc.pid) == 1
        deadline = time.monotonic() + 60
        while _kernel_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(1)
        assert _kernel_processes(proc.pid) == 0
    finally:
        stop(proc)
