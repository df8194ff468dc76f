"""Quizzes and flashcards: question banks, FSRS spaced repetition, widgets, terminal mode.

- :mod:`crmlib.quiz.bank`: the YAML banks (one per lesson) and their validation.
- :mod:`crmlib.quiz.progress`: FSRS scheduling and the progress file.
- :mod:`crmlib.quiz.widgets`: :class:`Quiz` and :class:`Flashcards` (ipywidgets).
- :mod:`crmlib.quiz.terminal`: the same in a terminal (``crm quiz``, ``crm cards``).

In a lesson::

    from crmlib.quiz import lesson_quiz
    lesson_quiz("02")
"""

from crmlib.quiz.bank import Bank, BankError, Card, Question, find_bank, load_bank, load_banks
from crmlib.quiz.progress import Progress
from crmlib.quiz.widgets import Flashcards, Quiz


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


__all__ = ["Bank", "BankError", "Card", "Flashcards", "Progress", "Question", "Quiz",
           "find_bank", "lesson_cards", "lesson_quiz", "load_bank", "load_banks"]
