"""The quizzes and flashcards in a terminal, for ``crm quiz`` and ``crm cards``.

Both read one answer per line, so they work with a keyboard or with answers
piped on standard input; at the end of input they stop cleanly and keep the
progress recorded so far.
"""

from __future__ import annotations

import random
import re
from typing import TextIO

from crmlib.quiz.bank import Bank
from crmlib.quiz.bank import plain_text as _plain
from crmlib.quiz.progress import Progress
from crmlib.quiz.widgets import Flashcards, Quiz


def _feedback_text(feedback: str) -> str:
    """Quiz feedback (HTML with a list) as indented terminal lines."""
    text = (feedback.replace("<ul>", "\n").replace("<li>", "    - ").replace("</li>", "\n"))
    return "  " + _plain(text).strip()


def _ask(prompt: str, stdin: TextIO, stdout: TextIO) -> str | None:
    stdout.write(prompt)
    stdout.flush()
    line = stdin.readline()
    if not line:
        stdout.write("\n")
        return None
    return line.strip()


def run_quiz(bank: Bank, stdin: TextIO, stdout: TextIO, progress: Progress | None = None,
             shuffle: bool = False, seed: int = 0, exam: bool = False) -> Quiz:
    """Ask every question of ``bank`` in the terminal; returns the finished quiz."""
    quiz = Quiz(bank.questions, title=f"Lesson {bank.lesson} quiz: {bank.title}",
                shuffle=shuffle, seed=seed, exam=exam, progress=progress)
    print(f"{quiz.title} ({len(quiz.questions)} questions"
          f"{', exam mode' if exam else ''}). Empty line skips; end of input stops.",
          file=stdout)
    for n, q in enumerate(quiz.questions, start=1):
        quiz.position = n - 1
        print(f"\nQ{n}. {_plain(q.prompt)}", file=stdout)
        options = quiz.options_of(q)
        for i, text in enumerate(options, start=1):
            print(f"  {i}. {_plain(text)}", file=stdout)
        hint = {"single": "option number", "multiple": "option numbers, e.g. 1,3",
                "numeric": "a number", "text": "a word or phrase"}[q.type]
        while True:
            line = _ask(f"answer ({hint}): ", stdin, stdout)
            if line is None:
                return _finish(quiz, stdout)
            if line == "":
                break
            try:
                if q.type == "single":
                    response = int(line) - 1
                elif q.type == "multiple":
                    response = [int(p) - 1 for p in re.split(r"[,\s]+", line) if p]
                else:
                    response = line
                quiz.answer(response, q)
            except ValueError as err:
                print(f"  ({err}; try again)", file=stdout)
                continue
            if not exam:
                print("\n" + _feedback_text(quiz.feedback[q.id]), file=stdout)
            break
    return _finish(quiz, stdout)


def _finish(quiz: Quiz, stdout: TextIO) -> Quiz:
    results = quiz.finish()
    if quiz.exam:
        for n, q in enumerate(quiz.questions, start=1):
            print(f"Q{n}:" + _feedback_text(quiz.feedback.get(q.id, "not answered")),
                  file=stdout)
    print(f"\nScore: {quiz.score} / {len(quiz.questions)}", file=stdout)
    print(results[["right", "questions"]].to_string(), file=stdout)
    review = quiz.to_review()
    print("Review: " + ", ".join(review) if review else "Every topic right.", file=stdout)
    return quiz


def run_cards(bank: Bank, stdin: TextIO, stdout: TextIO, progress: Progress,
              due_only: bool = True, shuffle: bool = False, seed: int = 0) -> Flashcards:
    """Review the bank's flashcards in the terminal with FSRS scheduling.

    For each card: Enter shows the back, then ``k`` (knew it), ``a`` (again),
    ``s`` (skip) or ``q`` (quit).
    """
    deck = Flashcards(bank.cards, progress=progress, due_only=due_only,
                      title=f"Lesson {bank.lesson} cards: {bank.title}")
    order = list(deck.order)
    if shuffle:
        random.Random(seed).shuffle(order)
    print(f"{deck.title}: {len(order)} card(s) to review, {deck.due_count} due today.",
          file=stdout)
    for n, cid in enumerate(order, start=1):
        card = deck.deck[cid]
        print(f"\n[{n}/{len(order)}] {card.kind} · {card.topic}\n  {_plain(card.front)}",
              file=stdout)
        if _ask("(Enter to flip) ", stdin, stdout) is None:
            break
        print(f"  -> {_plain(card.back)}", file=stdout)
        line = _ask("knew it? [k]new / [a]gain / [s]kip / [q]uit: ", stdin, stdout)
        if line is None or line.lower().startswith("q"):
            break
        if line.lower().startswith("k"):
            progress.review(cid, "good")
            deck.session["knew"] += 1
        elif line.lower().startswith("a"):
            progress.review(cid, "again")
            deck.session["again"] += 1
    print(f"\nThis session: {deck.session['knew']} knew, {deck.session['again']} again; "
          f"{deck.due_count} due today. Progress saved to {progress.path}.", file=stdout)
    return deck
