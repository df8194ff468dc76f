"""What a quiz or a flashcard session does, without any widget: shared by the
notebook widgets (:mod:`crmlib.quiz.widgets`) and the terminal
(:mod:`crmlib.quiz.terminal`), and quick to import (no pandas, no ipywidgets).

>>> from crmlib.quiz.bank import Option, Question
>>> q = Question(id="q00-x", type="single", topic="T", prompt="2 + 2?", lesson="00",
...              options=(Option("4", True, "sum"), Option("5", False, "off by one")))
>>> quiz = QuizSession([q], shuffle=False)
>>> quiz.answer(1)   # the first check counts ...
False
>>> quiz.answer(0)   # ... a second one is refused
Traceback (most recent call last):
...
crmlib.answers.AnswerError: You have already answered this question; your first answer counts.
>>> quiz.finish()["score"], quiz.finish()["answered"]
(0, 1)
"""

from __future__ import annotations

import html
import random
from collections.abc import Iterable, Sequence

from crmlib.checks import check_choice
from crmlib.errors import ArgumentError
from crmlib.quiz.bank import AnswerError, Card, Question, option_index
from crmlib.quiz.progress import Progress


class QuizSession:
    """A quiz over bank questions: answers, scoring, feedback and results.

    Parameters
    ----------
    questions : list of Question, or a callable returning one
        The questions; a callable is asked again at every (re)start, so a
        quiz can follow the lessons a learner has reached.
    title : str
        Shown above the quiz and stored with the score.
    shuffle : bool or "options"
        ``"options"`` (the default) shuffles each question's options;
        ``True`` the question order too; ``False`` neither.
    seed : int, optional
        Shuffling seed. By default it comes from the learner's progress file
        (the same order every time for one learner, another for the next),
        or 0 without progress. A retry reshuffles with ``seed + attempt``.
    exam : bool
        Hold all feedback until :meth:`finish` (answers may change until then).
    progress : Progress, optional
        Where the finished score is recorded.
    lesson_titles : dict, optional
        Lesson number -> title, to name lessons in the advice.
    """

    def __init__(self, questions, title: str = "Quiz", shuffle: bool | str = "options",
                 seed: int | None = None, exam: bool = False,
                 progress: Progress | None = None, lesson_titles: dict | None = None):
        self._source = questions if callable(questions) else (lambda q=list(questions): q)
        check_choice(shuffle, "shuffle", (True, False, "options"))
        self.title, self.shuffle_mode, self.exam, self.progress = title, shuffle, exam, progress
        if seed is None:
            seed = progress.seed_for(title) if progress is not None else 0
        self.seed = seed
        self.lesson_titles = lesson_titles or {}
        self.attempt = 0
        self._start()

    # ------------------------------------------------------------------ state
    def _start(self) -> None:
        self.all_questions = list(self._source())
        if not self.all_questions:
            raise ArgumentError("questions: a quiz needs at least one question")
        self.questions = list(self.all_questions)
        self.option_order = {q.id: list(range(len(q.options))) for q in self.questions}
        rng = random.Random(self.seed + self.attempt)
        if self.shuffle_mode is True:
            rng.shuffle(self.questions)
        if self.shuffle_mode:
            for q in self.questions:
                rng.shuffle(self.option_order[q.id])
        self.position = 0
        self.responses, self.correct, self.feedback = {}, {}, {}
        self.finished = False
        self.recorded = False

    @property
    def current(self) -> Question:
        """The question on screen (one-at-a-time mode)."""
        return self.questions[self.position]

    @property
    def score(self) -> int:
        """Right answers so far."""
        return sum(self.correct.values())

    @property
    def answered(self) -> int:
        """Questions answered so far."""
        return len(self.correct)

    def unanswered(self) -> list[Question]:
        """Questions without an answer, in quiz order."""
        return [q for q in self.questions if q.id not in self.correct]

    def options_of(self, question: Question) -> list[str]:
        """Option texts in display order (shuffled when shuffling)."""
        return [question.options[i].text for i in self.option_order[question.id]]

    def is_locked(self, question: Question) -> bool:
        """Whether the question can no longer be answered (first check counts)."""
        return self.finished or (not self.exam and question.id in self.correct)

    # ------------------------------------------------------------------ actions
    def answer(self, response, question: Question | str | None = None) -> bool | None:
        """Answer a question (the current one by default).

        ``response`` is the option index as displayed (0-based) for single
        choice, a list of them for multiple choice, a number or a string.
        The first answer counts: answering again raises
        :class:`~crmlib.answers.AnswerError` (in exam mode the answer may
        change until :meth:`finish`). Returns whether it was right, or
        ``None`` in exam mode.
        """
        if self.finished:
            raise RuntimeError("the quiz is finished; call retry() to start again")
        q = self._question(question)
        if self.is_locked(q):
            raise AnswerError("You have already answered this question; your first answer "
                              "counts.")
        order = self.option_order[q.id]
        if q.type == "single":
            original = order[option_index(response, len(order))]
        elif q.type == "multiple":
            if isinstance(response, (str, bytes)) or not isinstance(response, Iterable):
                raise AnswerError("Choose one or more options.")
            original = sorted({order[option_index(r, len(order))] for r in response})
            if not original:
                raise AnswerError("Choose at least one option.")
        else:
            original = response
            if str(response).strip() == "":
                raise AnswerError("Type an answer first.")
        ok = q.check(original)
        self.responses[q.id], self.correct[q.id] = original, ok
        self.feedback[q.id] = feedback_html(q, original, ok)
        self._changed()
        return None if self.exam else ok

    def next(self) -> None:
        """Move to the next question."""
        self.position = min(self.position + 1, len(self.questions) - 1)
        self._changed()

    def previous(self) -> None:
        """Move to the previous question."""
        self.position = max(self.position - 1, 0)
        self._changed()

    def finish(self) -> dict:
        """End the quiz once: reveal all feedback and record the score.

        Finishing again changes nothing and records nothing. Returns the
        summary of :meth:`summary`.
        """
        if not self.finished:
            self.finished = True
            if self.progress is not None and not self.recorded:
                self.recorded = True
                self.progress.record_quiz(self.title, self.score, len(self.questions),
                                          answered=self.answered,
                                          lessons={q.lesson for q in self.questions})
            self._changed()
        return self.summary()

    def retry(self) -> None:
        """Start again with empty answers (reshuffled when shuffling)."""
        self.attempt += 1
        self._start()
        self._changed()

    def _changed(self) -> None:
        """Hook for views (the widget re-renders)."""

    # ------------------------------------------------------------------ results
    def summary(self) -> dict:
        """Score, answered, total and per-topic rows (worst topic first)."""
        return {"score": self.score, "answered": self.answered, "total": len(self.questions),
                "topics": self.topic_rows()}

    def topic_rows(self) -> list[dict]:
        """Per topic: lesson, right, answered and questions, worst share right first."""
        rows: dict[tuple[str, str], dict] = {}
        for q in self.questions:
            row = rows.setdefault((q.lesson, q.topic), {"topic": q.topic, "lesson": q.lesson,
                                                          "right": 0, "answered": 0,
                                                          "questions": 0})
            row["right"] += int(self.correct.get(q.id, False))
            row["answered"] += int(q.id in self.correct)
            row["questions"] += 1
        return sorted(rows.values(), key=lambda r: (r["right"] / r["questions"],
                                                     -r["questions"], r["lesson"], r["topic"]))

    def to_review(self) -> list[str]:
        """Topics with a wrong or missing answer, each with its lesson."""
        return [f"{r['topic']} ({self.lesson_name(r['lesson'])})" for r in self.topic_rows()
                if r["right"] < r["questions"]]

    def lesson_name(self, lesson: str) -> str:
        """'lesson 02' or 'lesson 02, Retention economics'."""
        title = self.lesson_titles.get(lesson)
        return f"lesson {lesson}, {title}" if title else f"lesson {lesson}"

    def visible_feedback(self, question: Question | str | None = None) -> str:
        """The feedback the learner can see now ('' when held back or unanswered)."""
        q = self._question(question)
        if self.exam and not self.finished:
            return ""
        return self.feedback.get(q.id, "")

    def _question(self, question) -> Question:
        if question is None:
            return self.current
        qid = question if isinstance(question, str) else question.id
        for q in self.questions:
            if q.id == qid:
                return q
        raise ArgumentError(f"question {qid!r} is not in this quiz")


def feedback_html(q: Question, response, ok: bool) -> str:
    """Feedback for one answer: verdict, then why each chosen or right option is so."""
    head = ("<span style='color:#1e6b1e'>✔ <b>Right.</b></span>" if ok else
            "<span style='color:#b3261e'>✘ <b>Not quite.</b></span>")
    if q.type in ("single", "multiple"):
        chosen = {response} if q.type == "single" else set(response)
        lines = []
        for i, o in enumerate(q.options):
            if i in chosen or o.correct:
                mark = "your choice, " if i in chosen else ""
                verdict = "right" if o.correct else "wrong"
                lines.append(f"<li><i>{html.escape(o.text)}</i> ({mark}{verdict}): "
                             f"{o.explain}</li>")
        return f"{head}<ul>{''.join(lines)}</ul>"
    given = f" You answered {html.escape(str(response).strip())}." if not ok else ""
    extra = "" if ok else f" The answer is {html.escape(q.right_answer())}."
    return f"{head}{given}{extra} {q.explain}"


RATING_LABELS = {"again": "Again", "hard": "Hard", "good": "Good", "easy": "Easy"}


class DeckSession:
    """Flip-and-rate flashcards scheduled by FSRS, without any widget.

    Parameters
    ----------
    cards : list of Card
        The deck (e.g. ``bank.cards``).
    progress : Progress, optional
        Scheduler state; defaults to the learner's progress file.
    title : str
        Shown above the card.
    due_only : bool
        Only the cards due today (within today's limit on new cards).
    shuffle : bool
        Shuffle the deck with ``seed``.
    seed : int
        Random seed.
    follow_reached : bool
        Only cards of lessons up to the one the learner has reached
        (:attr:`Progress.reached`).

    Attributes
    ----------
    order : list of str
        Card ids in the order shown.
    position : int
        Index of the card on screen.
    flipped : bool
        Whether the answer is showing.
    session : dict
        Ratings given this session, by rating.
    """

    def __init__(self, cards: Sequence[Card], progress: Progress | None = None,
                 title: str = "Flashcards", due_only: bool = False, shuffle: bool = False,
                 seed: int = 0, follow_reached: bool = False):
        self.deck = {c.id: c for c in cards}
        if not self.deck:
            raise ArgumentError("cards: a deck needs at least one card")
        self.progress = progress if progress is not None else Progress()
        self.title, self.due_only, self.follow_reached = title, due_only, follow_reached
        self.all_order = list(self.deck)
        if shuffle:
            random.Random(seed).shuffle(self.all_order)
        self.session = dict.fromkeys(RATING_LABELS, 0)
        self._rated: list[tuple[str, str]] = []  # (card, rating) given in this session
        self.message = ""
        self.order: list[str] = []
        self.position = 0
        self.flipped = False
        self._refresh_order()

    # ------------------------------------------------------------------ state
    @property
    def base_order(self) -> list[str]:
        """The deck in order, limited to reached lessons when following them."""
        if not self.follow_reached:
            return list(self.all_order)
        reached = self.progress.reached
        return [cid for cid in self.all_order if self.deck[cid].lesson <= reached]

    def due_ids(self) -> list[str]:
        """Cards due by the end of today (new ones within today's limit), in deck order."""
        return self.progress.due_today(self.base_order)

    @property
    def due_count(self) -> int:
        """How many cards are due by the end of today."""
        return len(self.due_ids())

    @property
    def card(self) -> Card | None:
        """The card on screen (None when a due-only session is done)."""
        return self.deck[self.order[self.position]] if self.order else None

    def state_of(self, card_id: str) -> dict:
        """A card's scheduling state: new, or FSRS state, stability and due time."""
        if self.progress.is_new(card_id):
            return {"state": "new", "due": None, "stability": None}
        c = self.progress.cards[card_id]
        return {"state": self.progress.state_name(card_id), "due": c.due,
                "stability": c.stability}

    # ------------------------------------------------------------------ actions
    def flip(self) -> None:
        """Show the answer (or hide it again)."""
        if self.card is not None:
            self.flipped = not self.flipped
        self.message = ""
        self._changed()

    def next(self) -> None:
        """Next card (question side)."""
        if self.order:
            self.position = (self.position + 1) % len(self.order)
        self.flipped, self.message = False, ""
        self._changed()

    def previous(self) -> None:
        """Previous card (question side)."""
        if self.order:
            self.position = (self.position - 1) % len(self.order)
        self.flipped, self.message = False, ""
        self._changed()

    def rate(self, rating: str) -> bool:
        """Rate the card on screen ("again", "hard", "good" or "easy").

        Only after the card is flipped: rating an answer you have not seen is
        refused (returns False with a message).
        """
        if self.card is None:
            return False
        if not self.flipped:
            self.message = "Flip the card first: rate it once you have seen the answer."
            self._changed()
            return False
        cid = self.card.id
        self._rating = True
        try:
            self.progress.review(cid, rating)
        finally:
            self._rating = False
        self.session[rating] += 1
        self._rated.append((cid, rating))
        self.message = ""
        self.flipped = False
        if self.due_only:
            self._refresh_order(after=cid)
        else:
            self.position = (self.position + 1) % len(self.order)
        self._changed()
        return True

    def mark(self, knew: bool) -> bool:
        """The simple view: ``True`` = knew it (Good), ``False`` = Again."""
        return self.rate("good" if knew else "again")

    def knew_it(self) -> bool:
        """Mark the card as known (FSRS Good)."""
        return self.rate("good")

    def again(self) -> bool:
        """Mark the card to see again soon (FSRS Again)."""
        return self.rate("again")

    def undo(self) -> str | None:
        """Take back the last rating (in any view of this progress) and show that card."""
        cid = self.progress.undo()
        if cid is None:
            self.message = "Nothing to undo."
        else:
            self.message = "Last rating undone."
            if self._rated and self._rated[-1][0] == cid:  # a rating this session counted
                self.session[self._rated.pop()[1]] -= 1
            self._refresh_order()
            if cid in self.order:
                self.position = self.order.index(cid)
        self.flipped = False
        self._changed()
        return cid

    def set_due_only(self, due_only: bool) -> None:
        """Switch between the whole deck and the cards due today."""
        self.due_only = bool(due_only)
        self._refresh_order()
        self._changed()

    def shuffle(self, seed: int = 0) -> None:
        """Shuffle the deck reproducibly."""
        random.Random(seed).shuffle(self.all_order)
        self._refresh_order()
        self._changed()

    def on_progress_change(self) -> None:
        """Another view changed the progress: recompute what is due, keep the card on screen."""
        if getattr(self, "_rating", False):
            return
        current = self.order[self.position] if self.order else None
        self._refresh_order()
        if current in self.order:
            self.position = self.order.index(current)
        else:
            self.flipped = False
        self._changed()

    def _refresh_order(self, after: str | None = None) -> None:
        self.order = self.due_ids() if self.due_only else self.base_order
        self.position = 0
        if after is not None and self.order:
            # Continue with the first due card after the one just rated (wrapping round).
            base = self.base_order
            start = base.index(after) + 1 if after in base else 0
            following = base[start:] + base[:start]
            nxt = next((c for c in following if c in self.order), None)
            self.position = self.order.index(nxt) if nxt else 0
        self.flipped = False

    def _changed(self) -> None:
        """Hook for views."""
