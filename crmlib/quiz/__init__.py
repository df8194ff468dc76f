"""Quizzes and flashcards: question banks, FSRS spaced repetition, widgets, terminal mode.

- :mod:`crmlib.quiz.bank`: the YAML banks (one per lesson), their validation and statistics.
- :mod:`crmlib.quiz.progress`: FSRS scheduling and the progress file (merged under a lock).
- :mod:`crmlib.quiz.session`: what a quiz or a deck does, without widgets.
- :mod:`crmlib.quiz.widgets`: :class:`Quiz` and :class:`Flashcards` (ipywidgets).
- :mod:`crmlib.quiz.terminal`: the same in a terminal (``crm quiz``, ``crm cards``,
  ``crm review``, ``crm stats``).
- :mod:`crmlib.quiz.anki`: the decks as an Anki package (``crm cards export``).

In a lesson::

    from crmlib.quiz import lesson_quiz
    lesson_quiz("02")

The widgets are imported on first use, so the terminal commands start quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmlib.quiz.bank import (
    MAX_LESSON_QUIZ,
    Bank,
    BankError,
    Card,
    Question,
    find_bank,
    load_bank,
    load_banks,
)
from crmlib.quiz.progress import Progress

if TYPE_CHECKING:
    import pandas as pd

    from crmlib.quiz.widgets import Flashcards, Quiz


def __getattr__(name: str):
    if name in ("Quiz", "Flashcards", "DueTable", "lesson_picker", "page_title"):
        from crmlib.quiz import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'crmlib.quiz' has no attribute {name!r}")


def _titles() -> dict[str, str]:
    return {lesson: bank.title for lesson, bank in load_banks().items()}


def lesson_quiz(lesson: str, progress: Progress | None = None, **kwargs) -> Quiz:
    """The end-of-lesson quiz, one question at a time: the bank's ``lesson_quiz`` (at most
    12 questions covering the lesson's objectives), or every question of a bank without one.

    Options are shuffled (the same way every time for one learner); the score
    is saved in the learner's progress file (``progress`` defaults to it), and
    finishing the quiz marks the lesson as reached for the review decks.
    """
    from crmlib.quiz.widgets import Quiz

    bank = find_bank(lesson)
    progress = progress if progress is not None else Progress()
    return Quiz(bank.quiz_questions(), title=f"Lesson {bank.lesson} quiz: {bank.title}",
                progress=progress, lesson_titles=_titles(), **kwargs)


def lesson_cards(lesson: str, progress: Progress | None = None, **kwargs) -> Flashcards:
    """The lesson's flashcard deck, scheduled with the learner's progress."""
    from crmlib.quiz.widgets import Flashcards

    bank = find_bank(lesson)
    return Flashcards(bank.cards, progress=progress,
                      title=f"Lesson {bank.lesson} cards: {bank.title}", **kwargs)


def mixed_questions(per_lesson: int = 2, seed: int = 0, up_to: str | None = None,
                    at_most: int = MAX_LESSON_QUIZ) -> list[Question]:
    """``per_lesson`` questions drawn from each bank up to lesson ``up_to`` (reproducible).

    Never more than ``at_most`` (a quiz's 12): when the lessons would give more, lessons
    picked at random give one question fewer, every lesson keeping at least one while it can.
    """
    import random

    from crmlib.checks import check_count

    check_count(at_most, "at_most")
    rng = random.Random(seed)
    drawn = {}
    for lesson, bank in load_banks().items():
        if up_to is not None and lesson > up_to:
            continue
        drawn[lesson] = rng.sample(list(bank.questions), min(per_lesson, len(bank.questions)))
    while sum(map(len, drawn.values())) > at_most:
        most = max(map(len, drawn.values()))
        lesson = rng.choice(sorted(k for k, qs in drawn.items() if len(qs) == most))
        drawn[lesson].pop()
    return [q for qs in drawn.values() for q in qs]


def mixed_quiz(per_lesson: int = 2, seed: int | None = None, progress: Progress | None = None,
               follow_reached: bool = False, at_most: int = MAX_LESSON_QUIZ, **kwargs) -> Quiz:
    """A shuffled quiz of ``per_lesson`` questions from every bank, ``at_most`` in all.

    Reproducible: by ``seed``, or by default the same for one learner (from
    the progress file) and different for the next. With ``follow_reached``
    it draws only from the lessons the learner has reached, and starts afresh
    (while nothing is answered) when that changes.
    """
    from crmlib.errors import ArgumentError
    from crmlib.quiz.widgets import Quiz

    if follow_reached and progress is None:
        raise ArgumentError("follow_reached: needs a progress")
    if seed is None:
        seed = progress.seed_for("Final mixed quiz") if progress is not None else 0

    def source():
        up_to = progress.reached if follow_reached else None
        return mixed_questions(per_lesson, seed, up_to, at_most)

    quiz = Quiz(source, title="Final mixed quiz", shuffle=True, seed=seed, progress=progress,
                lesson_titles=_titles(), **kwargs)
    if follow_reached:
        quiz._reached = progress.reached

        def follow():
            if progress.reached != quiz._reached and not quiz.correct and not quiz.finished:
                quiz._reached = progress.reached
                quiz._start()
                quiz._render()

        quiz._follow = follow  # kept alive with the quiz (subscriptions are weak for methods)
        progress.subscribe(follow)
    return quiz


def due_table(progress: Progress) -> pd.DataFrame:
    """Cards per lesson, how many were seen and how many are due by the end of today."""
    import pandas as pd

    rows = []
    for bank in load_banks().values():
        ids = [card.id for card in bank.cards]
        rows.append({"lesson": bank.lesson, "title": bank.title, "cards": len(ids),
                     "seen": sum(not progress.is_new(i) for i in ids),
                     "due today": len(progress.due_today(ids))})
    return pd.DataFrame(rows).set_index("lesson")


__all__ = ["Bank", "BankError", "Card", "DueTable", "Flashcards", "Progress", "Question", "Quiz",
           "due_table", "find_bank", "lesson_cards", "lesson_picker", "lesson_quiz",
           "load_bank", "load_banks", "mixed_questions", "mixed_quiz", "page_title"]
