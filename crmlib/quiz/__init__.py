"""Quizzes and flashcards: question banks, FSRS spaced repetition, widgets, terminal mode.

- :mod:`crmlib.quiz.bank`: the YAML banks (one per lesson) and their validation.
- :mod:`crmlib.quiz.progress`: FSRS scheduling and the progress file.
- :mod:`crmlib.quiz.widgets`: :class:`Quiz` and :class:`Flashcards` (ipywidgets).
- :mod:`crmlib.quiz.terminal`: the same in a terminal (``crm quiz``, ``crm cards``).

In a lesson::

    from crmlib.quiz import lesson_quiz
    lesson_quiz("02")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmlib.quiz.bank import Bank, BankError, Card, Question, find_bank, load_bank, load_banks
from crmlib.quiz.progress import Progress
from crmlib.quiz.widgets import Flashcards, Quiz

if TYPE_CHECKING:
    import pandas as pd


def lesson_quiz(lesson: str, progress: Progress | None = None, **kwargs) -> Quiz:
    """The end-of-lesson quiz: every question of the lesson's bank, one at a time."""
    bank = find_bank(lesson)
    return Quiz(bank.questions, title=f"Lesson {bank.lesson} quiz: {bank.title}",
                progress=progress, **kwargs)


def lesson_cards(lesson: str, progress: Progress | None = None, **kwargs) -> Flashcards:
    """The lesson's flashcard deck, scheduled with the learner's progress."""
    bank = find_bank(lesson)
    return Flashcards(bank.cards, progress=progress,
                      title=f"Lesson {bank.lesson} cards: {bank.title}", **kwargs)


def mixed_quiz(per_lesson: int = 2, seed: int = 0, progress: Progress | None = None,
               **kwargs) -> Quiz:
    """A quiz of ``per_lesson`` questions drawn from every bank (reproducible by seed)."""
    import random

    rng = random.Random(seed)
    questions = []
    for bank in load_banks().values():
        questions += rng.sample(list(bank.questions), min(per_lesson, len(bank.questions)))
    return Quiz(questions, title="Final mixed quiz", shuffle=True, seed=seed,
                progress=progress, **kwargs)


def due_table(progress: Progress) -> pd.DataFrame:
    """Cards per lesson and how many are due by the end of today."""
    import pandas as pd

    rows = []
    for bank in load_banks().values():
        due = progress.due_today(card.id for card in bank.cards)
        rows.append({"lesson": bank.lesson, "title": bank.title, "cards": len(bank.cards),
                     "due today": len(due)})
    return pd.DataFrame(rows).set_index("lesson")


__all__ = ["Bank", "BankError", "Card", "Flashcards", "Progress", "Question", "Quiz",
           "due_table", "find_bank", "lesson_cards", "lesson_quiz", "load_bank", "load_banks",
           "mixed_quiz"]
