"""Question banks, FSRS progress, the Quiz and Flashcards logic, and the terminal mode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from crmlib import cli
from crmlib.quiz import Flashcards, Progress, Quiz, lesson_cards, lesson_quiz, load_banks
from crmlib.quiz.bank import BankError, load_bank, normalise, plain_text


# --------------------------------------------------------------------------- banks
@pytest.fixture(scope="module")
def banks():
    return load_banks()


def test_bank_counts(banks):
    assert sorted(banks) == ["00", "01", "02", "03", "04", "05", "06"]
    for bank in banks.values():
        assert len(bank.cards) >= 15, bank.path.name
        assert len(bank.questions) >= 8, bank.path.name
    assert sum(len(b.cards) for b in banks.values()) >= 100
    assert sum(len(b.questions) for b in banks.values()) >= 60


def test_banks_use_every_kind_and_type(banks):
    kinds = {c.kind for b in banks.values() for c in b.cards}
    types = {q.type for b in banks.values() for q in b.questions}
    assert kinds == {"definition", "explanation", "example", "figure"}
    assert types == {"single", "multiple", "numeric", "text"}


def test_every_option_is_explained(banks):
    for bank in banks.values():
        for q in bank.questions:
            for o in q.options:
                assert len(o.explain) > 10, q.id
            if q.type in ("numeric", "text"):
                assert len(q.explain) > 10, q.id


def test_every_question_can_be_answered_right(banks):
    for bank in banks.values():
        for q in bank.questions:
            if q.type == "single":
                right = [i for i, o in enumerate(q.options) if o.correct][0]
            elif q.type == "multiple":
                right = [i for i, o in enumerate(q.options) if o.correct]
            elif q.type == "numeric":
                right = q.answer
            else:
                right = q.accept[0].upper() + "  "
            assert q.check(right), q.id


# One fact per syllabus bullet group: each must appear in a card and in a question.
SYLLABUS_FACTS = {
    "00": ["Berry", "lifetime value", "retention", "personalis", "advocacy", "paradox"],
    "01": ["continuity of contact", "cost per", "exposure", "front-load", "adstock",
           "Erlang", "call centre", "database"],
    "02": ["margin", "Reichheld", "Gupta", "cohort", "sBG"],
    "03": ["bases", "personalisation", "ladder", "k-means", "demographic"],
    "04": ["RFM", "breakeven", "125", "defect", "Hughes"],
    "05": ["BG/NBD", "Gamma-Gamma", "1.858", "1.226", "1,882", "P(alive)"],
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
    (lambda d: d["questions"][0].update(id="q03-a"),
     r"question q03-a, field id: must start with q02-"),
    (lambda d: d["questions"][0].update(tolerance=-1), r"field tolerance: -1 is less than"),
    (lambda d: d.update(lesson="05"), r"field lesson: '05' does not match the file name"),
    (lambda d: d["cards"][0].update(back="costs $5"),
     r"card c02-a, field back: an odd number of \$ signs"),
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


def test_crm_quiz_validate(tmp_path, capsys):
    assert cli.main(["quiz", "validate"]) == 0
    assert "7 bank(s) valid" in capsys.readouterr().out
    data = _minimal()
    data["cards"][0].pop("back")
    bad = _write(tmp_path, data)
    assert cli.main(["quiz", "validate", str(bad)]) == 1
    assert "card c02-a, field (the item): 'back' is a required property" in \
        capsys.readouterr().err


def test_plain_text_keeps_dollars_and_drops_maths():
    assert plain_text(r"costs \$0.85, so $r = 0.9$ <b>here</b>") == "costs $0.85, so r = 0.9 here"
    assert plain_text(r"$\beta / (\alpha + \beta)$") == "beta / (alpha + beta)"


def test_text_answers_are_normalised():
    assert normalise("  Continuity of CONTACT! ") == "continuity of contact"
    assert normalise("Café") == "cafe"


# --------------------------------------------------------------------------- progress
class Clock:
    def __init__(self):
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


def test_progress_persists_across_sessions(tmp_path):
    path = tmp_path / "p.json"
    clock = Clock()
    p = Progress(path, clock=clock)
    due = p.review("c00-berry", "good")
    assert due > clock.now
    again = Progress(path, clock=clock)
    assert again.cards["c00-berry"].due == due
    assert not again.is_new("c00-berry") and again.is_new("c00-process")
    assert json.loads(path.read_text())["format"] == "crm-course-progress"


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


@pytest.mark.parametrize("content", ["{not json", json.dumps({"hello": "world"}),
                                     json.dumps({"format": "crm-course-progress",
                                                 "version": 99, "cards": {}})])
def test_corrupt_or_foreign_file_is_backed_up(tmp_path, content):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.warns(UserWarning, match="unreadable progress file"):
        p = Progress(path)
    assert p.cards == {}
    assert p.backup == tmp_path / "p.corrupt-1.json"
    assert p.backup.read_text() == content  # nothing lost
    p.review("c00-berry", "good")
    assert "c00-berry" in json.loads(path.read_text())["cards"]


def test_a_second_corrupt_file_gets_a_new_backup(tmp_path):
    path = tmp_path / "p.json"
    for n in (1, 2):
        path.write_text("garbage")
        with pytest.warns(UserWarning):
            assert Progress(path).backup.name == f"p.corrupt-{n}.json"


def test_progress_survives_a_kill_mid_write(tmp_path):
    """A process killed while saving leaves the previous file whole."""
    path = tmp_path / "p.json"
    good = Progress(path)
    good.review("c00-berry", "good")
    before = path.read_text()
    script = textwrap.dedent(f"""
        import os, signal, sys
        import crmlib.data as data
        from crmlib.quiz.progress import Progress
        real_replace = os.replace
        def killed(src, dst):
            # The temporary file is complete; die before the rename.
            os.kill(os.getpid(), signal.SIGKILL)
        data.os.replace = killed
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


# --------------------------------------------------------------------------- Quiz
@pytest.fixture
def quiz(banks):
    return Quiz(banks["02"].questions, title="t")


def test_quiz_answer_gives_explained_feedback(quiz):
    quiz.next()
    q = quiz.current
    assert q.type == "single"
    right = [i for i, o in enumerate(q.options) if o.correct][0]
    wrong = (right + 1) % len(q.options)
    assert quiz.answer(wrong) is False
    fb = quiz.visible_feedback()
    assert "Not quite" in fb and q.options[wrong].explain in fb
    assert q.options[right].explain in fb
    assert quiz.answer(right) is True and quiz.score == 1
    radio = quiz.body.children[0].children[1]
    assert radio.value == right  # the choice stays visible after checking


def test_quiz_navigation_and_all_types(quiz):
    answered = 0
    for _ in quiz.questions:
        q = quiz.current
        if q.type == "single":
            quiz.answer([i for i, o in enumerate(q.options) if o.correct][0])
        elif q.type == "multiple":
            quiz.answer([i for i, o in enumerate(q.options) if o.correct])
        elif q.type == "numeric":
            quiz.answer(str(q.answer))
        else:
            quiz.answer(q.accept[0])
        answered += 1
        quiz.next()
    assert quiz.score == answered == len(quiz.questions)
    results = quiz.finish()
    assert (results["share_right"] == 1).all() and quiz.to_review() == []
    assert "Score: 9 / 9" in quiz.results_panel.value
    with pytest.raises(RuntimeError, match="finished"):
        quiz.answer(0)


def test_quiz_results_by_topic_and_review(banks):
    quiz = Quiz(banks["05"].questions)
    quiz.answer("0")  # the first question is numeric: 0 is wrong
    res = quiz.finish()
    assert quiz.to_review()[0] in res.index
    assert res["answered"].sum() == 1


def test_exam_mode_holds_feedback(banks):
    quiz = Quiz(banks["04"].questions, exam=True)
    assert quiz.answer("2.125") is None
    assert quiz.visible_feedback() == ""
    assert "recorded" in quiz.body.children[0].children[-1].value
    quiz.finish()
    assert "Right" in quiz.visible_feedback()
    assert "Right" in quiz.results_panel.value


def test_shuffle_is_reproducible_and_retry_reshuffles(banks):
    a = Quiz(banks["03"].questions, shuffle=True, seed=3)
    b = Quiz(banks["03"].questions, shuffle=True, seed=3)
    assert [q.id for q in a.questions] == [q.id for q in b.questions]
    assert [q.id for q in a.questions] != [q.id for q in banks["03"].questions]
    q = a.current
    shown = a.options_of(q)
    if q.options:
        right_text = [o.text for o in q.options if o.correct][0]
        assert a.answer(shown.index(right_text)) is True
    first = [x.id for x in a.questions]
    a.retry()
    assert a.responses == {} and [x.id for x in a.questions] != first


def test_quiz_all_at_once_and_keys(banks):
    quiz = Quiz(banks["00"].questions, one_at_a_time=False)
    assert len(quiz.body.children) == len(quiz.questions)
    one = Quiz(banks["00"].questions)
    one._on_key("1")  # digit keys answer single-choice questions
    assert one.questions[0].id in one.correct
    one._on_key("ArrowRight")
    assert one.position == 1
    one._on_key("ArrowLeft")
    assert one.position == 0
    text = one.read_aloud()
    assert one.keys.last_text == text and "Option 1" in text


def test_quiz_records_score_in_progress(tmp_path, banks):
    p = Progress(tmp_path / "p.json")
    quiz = lesson_quiz("01", progress=p)
    quiz.finish()
    assert p.quiz_results[-1]["total"] == len(banks["01"].questions)


def test_quiz_needs_questions():
    with pytest.raises(ValueError, match="at least one question"):
        Quiz([])


# --------------------------------------------------------------------------- Flashcards
@pytest.fixture
def deck(tmp_path, banks):
    return Flashcards(banks["03"].cards, progress=Progress(tmp_path / "p.json", clock=Clock()))


def test_flip_next_previous(deck):
    first = deck.card
    assert "front" in deck.face.value and first.front in deck.face.value
    deck.flip()
    assert deck.flipped and first.back in deck.face.value
    deck.next()
    assert not deck.flipped and deck.card != first
    deck.previous()
    assert deck.card == first
    deck.previous()
    assert deck.position == len(deck.order) - 1  # wraps around


def test_marking_changes_the_due_count(deck):
    total = len(deck.deck)
    assert deck.due_count == total
    assert deck.state_of(deck.card.id)["state"] == "new"
    cid = deck.card.id
    deck.flip()
    deck.knew_it()
    # "Knew it" graduates a new card: it comes back in days, not today.
    assert deck.due_count == total - 1
    assert deck.state_of(cid)["state"] == "review"
    assert deck.state_of(cid)["due"] - deck.progress.clock() > timedelta(days=1)
    deck.flip()
    other = deck.card.id
    deck.again()
    # "Again" keeps the card in today's session.
    assert deck.due_count == total - 1
    assert deck.state_of(other)["due"] - deck.progress.clock() <= timedelta(minutes=10)
    assert deck.session == {"knew": 1, "again": 1}


def test_due_only_mode_and_again(deck):
    cid = deck.order[0]
    clock = deck.progress.clock
    for _ in range(4):
        deck.progress.review(cid, "good")
        clock.now = deck.progress.cards[cid].due
    clock.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    deck.set_due_only(True)
    assert cid not in deck.order and len(deck.order) == deck.due_count
    marked = deck.card.id
    deck.flip()
    deck.again()
    assert marked in deck.order  # "again" keeps it due today
    assert deck.card.id != marked
    assert deck.session["again"] == 1


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


def test_flashcard_keys_and_read_aloud(deck):
    deck._on_key(" ")
    assert deck.flipped
    assert deck.read_aloud() == plain_text(deck.card.back)
    deck._on_key("k")
    assert deck.session["knew"] == 1
    deck._on_key("ArrowLeft")
    assert deck.position == 0


def test_shuffled_deck_is_reproducible(tmp_path, banks):
    a = lesson_cards("02", progress=Progress(persist=False), shuffle=True, seed=4)
    b = lesson_cards("02", progress=Progress(persist=False), shuffle=True, seed=4)
    assert a.order == b.order != [c.id for c in banks["02"].cards]


# --------------------------------------------------------------------------- terminal
def _crm(args, stdin, tmp_path):
    env = dict(os.environ, CRM_PROGRESS=str(tmp_path / "progress.json"))
    crm = Path(sys.executable).with_name("crm")
    return subprocess.run([str(crm), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)


def test_terminal_quiz_with_piped_answers(tmp_path, banks):
    questions = banks["00"].questions
    lines = []
    for q in questions:
        if q.type == "single":
            lines.append(str([i for i, o in enumerate(q.options) if o.correct][0] + 1))
        elif q.type == "multiple":
            lines.append(",".join(str(i + 1) for i, o in enumerate(q.options) if o.correct))
        elif q.type == "numeric":
            lines.append(f"{q.answer}")
        else:
            lines.append(q.accept[0])
    out = _crm(["quiz", "00"], "\n".join(lines) + "\n", tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"Score: {len(questions)} / {len(questions)}" in out.stdout
    assert "Every topic right." in out.stdout
    saved = json.loads((tmp_path / "progress.json").read_text())
    assert saved["quiz_results"][0]["score"] == len(questions)


def test_terminal_quiz_bad_answer_then_end_of_input(tmp_path):
    out = _crm(["quiz", "02", "--exam"], "seven\n", tmp_path)
    assert out.returncode == 0
    assert "expected a number" in out.stdout or "expected an option" in out.stdout
    assert "Score: 0 /" in out.stdout


def test_terminal_cards_schedule_and_persist(tmp_path):
    out = _crm(["cards", "01"], "\nk\n\na\n\nq\n", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "This session: 1 knew, 1 again" in out.stdout
    saved = json.loads((tmp_path / "progress.json").read_text())
    assert len(saved["cards"]) == 2


def test_unknown_lesson(tmp_path):
    out = _crm(["quiz", "42"], "", tmp_path)
    assert out.returncode == 2 and "no bank for lesson '42'" in out.stderr
