"""The quizzes and flashcards in a terminal: ``crm quiz``, ``crm cards``, ``crm review``
and ``crm stats``.

All read one answer per line, so they work with a keyboard or with answers
piped on standard input; at the end of input they stop cleanly and keep the
progress recorded so far. Only light modules are imported (no pandas, no
widgets), so the first prompt appears quickly.
"""

from __future__ import annotations

import random
import re
import shutil
import textwrap
from collections.abc import Sequence
from typing import TextIO

from crmlib.answers import read_option
from crmlib.quiz.bank import AnswerError, Bank, Card
from crmlib.quiz.bank import plain_text as _plain
from crmlib.quiz.progress import Progress
from crmlib.quiz.session import RATING_LABELS, DeckSession, QuizSession


def _width() -> int:
    """Columns to wrap at: the terminal's (80 when piped), at most 100 for reading."""
    return max(40, min(shutil.get_terminal_size((80, 24)).columns - 1, 100))


def wrap(text: str, indent: str = "", hanging: str | None = None) -> str:
    """Text wrapped on word boundaries to the terminal's width, each line indented
    (``hanging``: the indent of the lines after the first); lines break only at
    spaces, so a word, a number or a formula's piece is never cut.

    >>> print(wrap("one two three four", "  ", "    ").replace(" ", "."))
    ..one.two.three.four
    """
    hanging = indent if hanging is None else hanging
    return "\n".join(textwrap.fill(line, _width(), initial_indent=indent,
                                    subsequent_indent=hanging, break_long_words=False,
                                    break_on_hyphens=False) or indent.rstrip()
                      for line in text.split("\n"))


def _feedback_text(feedback: str) -> str:
    """Quiz feedback (HTML with a list) as indented, wrapped terminal lines."""
    text = (feedback.replace("<ul>", "\n").replace("<li>", "\x01").replace("</li>", "\n"))
    text = _plain(text).replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    text = text.replace("&lt;", "<").replace("&gt;", ">").strip()
    lines = []
    for line in text.split("\n"):
        if line.startswith("\x01"):
            lines.append(wrap(line[1:].strip(), "    - ", "      "))
        elif line.strip():
            lines.append(wrap(line.strip(), "  "))
    return "\n".join(lines)


def _ask(prompt: str, stdin: TextIO, stdout: TextIO) -> str | None:
    stdout.write(prompt)
    stdout.flush()
    line = stdin.readline()
    if not line:
        stdout.write("\n")
        return None
    return line.strip()


def _notice(progress: Progress | None, stdout: TextIO) -> None:
    if progress is not None and progress.notice:
        print(f"Note: {progress.notice}", file=stdout)


def parse_choice(line: str, n: int, multiple: bool) -> int | list[int]:
    """Option numbers as typed (1-based, "1,3" or "1 3", as in the workbooks:
    :func:`crmlib.answers.read_option`) -> 0-based index or indices.

    >>> parse_choice("2", 4, multiple=False)
    1
    >>> parse_choice("1, 3", 4, multiple=True)
    [0, 2]
    """
    parts = [p for p in re.split(r"[,\s;]+", line) if p]
    if not parts or (len(parts) > 1 and not multiple):
        raise AnswerError(f"Type one option number from 1 to {n}." if not multiple else
                          f"Type one or more option numbers from 1 to {n}, such as 1,3.")
    picks = []
    for p in parts:
        try:
            if not p.isdigit():  # the terminal lists options by number only
                raise AnswerError(p)
            picks.append(read_option(p, n))  # numbered from 1, as in the workbooks
        except AnswerError:
            raise AnswerError(f"'{p}' is not an option here; type a number from 1 to {n}"
                              + (", or several separated by commas." if multiple else ".")
                              ) from None
    return picks if multiple else picks[0]


def run_quiz(bank: Bank | Sequence, stdin: TextIO, stdout: TextIO,
             progress: Progress | None = None, shuffle: bool | str = "options",
             seed: int | None = None, exam: bool = False, title: str | None = None) -> QuizSession:
    """Ask every question of ``bank`` in the terminal; returns the finished quiz."""
    questions = bank.questions if isinstance(bank, Bank) else list(bank)
    if title is None:
        title = (f"Lesson {bank.lesson} quiz: {bank.title}" if isinstance(bank, Bank)
                 else "Quiz")
    quiz = QuizSession(questions, title=title, shuffle=shuffle, seed=seed, exam=exam,
                       progress=progress)
    _notice(progress, stdout)
    print(f"{quiz.title} ({len(quiz.questions)} questions"
          f"{', exam mode: feedback at the end' if exam else ''}). "
          "An empty line skips a question; Ctrl-D or Ctrl-C stops.", file=stdout)
    try:
        return _ask_questions(quiz, stdin, stdout, exam)
    except KeyboardInterrupt:
        # Ctrl-C: record what was answered, as at the end of input, then stop (the
        # command then says the answers are saved).
        stdout.write("\n")
        _finish(quiz, stdout)
        raise


def _ask_questions(quiz: QuizSession, stdin: TextIO, stdout: TextIO,
                   exam: bool) -> QuizSession:
    for n, q in enumerate(quiz.questions, start=1):
        quiz.position = n - 1
        head = f"Q{n} of {len(quiz.questions)}. "
        print("\n" + wrap(head + _plain(q.prompt), "", " " * len(head)), file=stdout)
        options = quiz.options_of(q)
        for i, text in enumerate(options, start=1):
            print(wrap(f"{i}. {_plain(text)}", "  ", "     "), file=stdout)
        print(f"  ({q.answer_hint()})", file=stdout)
        hint = {"single": f"1-{len(options)}", "multiple": "e.g. 1,3",
                "numeric": "a number", "text": "a word or phrase"}[q.type]
        while True:
            line = _ask(f"answer ({hint}): ", stdin, stdout)
            if line is None:
                return _finish(quiz, stdout)
            if line == "":
                break
            try:
                if q.type in ("single", "multiple"):
                    response = parse_choice(line, len(options), q.type == "multiple")
                else:
                    response = line
                quiz.answer(response, q)
            except AnswerError as err:
                print(f"  {err} Try again.", file=stdout)
                continue
            if not exam:
                print("\n" + _feedback_text(quiz.feedback[q.id]), file=stdout)
            break
    return _finish(quiz, stdout)


def _finish(quiz: QuizSession, stdout: TextIO) -> QuizSession:
    summary = quiz.finish()
    if quiz.exam:
        for n, q in enumerate(quiz.questions, start=1):
            print(f"Q{n}:" + _feedback_text(quiz.feedback.get(q.id, "not answered")),
                  file=stdout)
    missing = summary["total"] - summary["answered"]
    print(f"\nScore: {summary['score']} of {summary['total']} right "
          f"({summary['answered']} answered, {missing} not answered)", file=stdout)
    width = max(len(r["topic"]) for r in summary["topics"])
    for r in summary["topics"]:
        print(f"  {r['topic']:<{width}}  lesson {r['lesson']}  {r['right']} of "
              f"{r['questions']} right", file=stdout)
    review = quiz.to_review()
    print("Go back to: " + "; ".join(review) if review else "Every topic right.", file=stdout)
    if quiz.progress is not None and quiz.progress.persist:
        print(f"Score saved to {quiz.progress.path}.", file=stdout)
    return quiz


_RATING_KEYS = {"1": "again", "a": "again", "again": "again", "2": "hard", "h": "hard",
                "hard": "hard", "3": "good", "g": "good", "k": "good", "good": "good",
                "4": "easy", "e": "easy", "easy": "easy"}


def run_cards(cards: Bank | Sequence[Card], stdin: TextIO, stdout: TextIO, progress: Progress,
              due_only: bool = True, shuffle: bool = False, seed: int = 0,
              title: str | None = None) -> DeckSession:
    """Review flashcards in the terminal with FSRS scheduling.

    For each card: Enter shows the answer, then ``1`` again, ``2`` hard,
    ``3`` good, ``4`` easy (``a`` and ``k`` work too), ``u`` undoes the last
    rating, ``s`` skips and ``q`` quits. A card rated Again comes back at the
    end of the session.
    """
    if isinstance(cards, Bank):
        title = title or f"Lesson {cards.lesson} cards: {cards.title}"
        cards = cards.cards
    deck = DeckSession(cards, progress=progress, due_only=due_only, title=title or "Cards")
    queue = list(deck.order)
    if shuffle:
        random.Random(seed).shuffle(queue)
    _notice(progress, stdout)
    print(f"{deck.title}: {len(queue)} card(s) to review"
          f"{f', {deck.due_count} due today' if due_only else ''}.", file=stdout)
    if not queue:
        print("Nothing due: come back tomorrow.", file=stdout)
    shown = 0
    history: list[str] = []

    def undo(cid: str) -> bool:
        """Take back the last rating; the undone card (then ``cid``) comes next."""
        undone = progress.undo()
        if undone is None:
            print("  Nothing to undo.", file=stdout)
            return False
        rating = history.pop() if history else None
        if rating:
            deck.session[rating] -= 1
        print(wrap(f"Undone: {_plain(deck.deck[undone].front)[:60]} will be asked again.",
                   "  ", "    "), file=stdout)
        if undone in queue:
            queue.remove(undone)
        queue.insert(0, cid)
        if undone != cid:
            queue.insert(0, undone)
        return True

    while queue:
        cid = queue.pop(0)
        card = deck.deck[cid]
        shown += 1
        print(f"\n[{shown}, {len(queue)} more] {card.kind} · {card.topic} · lesson {card.lesson}",
              file=stdout)
        print(wrap(f"Q: {_plain(card.front)}", "  ", "     "), file=stdout)
        line = _ask("(Enter shows the answer; u undoes the last rating, s skips, q quits) ",
                    stdin, stdout)
        if line is None:
            break
        key = line.lower()
        if key in ("q", "quit"):
            break
        if key in ("s", "skip"):
            continue
        if key in ("u", "undo"):
            shown -= 1
            if not undo(cid):
                queue.insert(0, cid)  # nothing to undo: the same card again
            continue
        print(wrap(f"A: {_plain(card.back)}", "  ", "     "), file=stdout)
        while True:
            line = _ask("rate: [1] again [2] hard [3] good [4] easy, [u]ndo, [s]kip, [q]uit: ",
                        stdin, stdout)
            if line is None:
                queue = []
                break
            key = line.lower()
            if key in ("q", "quit"):
                queue = []
                break
            if key in ("s", "skip"):
                break
            if key in ("u", "undo"):
                if not undo(cid):
                    continue
                break
            if key not in _RATING_KEYS:
                print(f"  '{line}' is not a choice: type 1, 2, 3 or 4 (or u, s, q).",
                      file=stdout)
                continue
            rating = _RATING_KEYS[key]
            progress.review(cid, rating)
            deck.session[rating] += 1
            history.append(rating)
            if rating == "again":
                queue.append(cid)  # see it again before the session ends
            break
    done = ", ".join(f"{n} {RATING_LABELS[r].lower()}" for r, n in deck.session.items() if n)
    where = f" Progress saved to {progress.path}." if progress.persist else ""
    print(f"\nThis session: {done or 'no cards rated'}; {deck.due_count} due today.{where}",
          file=stdout)
    return deck


def print_stats(progress: Progress, banks: dict, stdout: TextIO) -> dict:
    """Reviews per day, retention and what is due this week, for ``crm stats``."""
    ids = [c.id for b in banks.values() for c in b.cards if b.lesson <= progress.reached]
    stats = progress.stats(ids)
    _notice(progress, stdout)
    print(f"Progress file: {progress.path}", file=stdout)
    print(f"Lessons reached: 00 to {progress.reached}; {stats['seen']} cards seen, "
          f"{stats['new']} not seen yet (at most {progress.new_per_day} new a day).",
          file=stdout)
    print("\nReviews per day (last 14 days):", file=stdout)
    for day, n in stats["per_day"]:
        print(f"  {day:%a %d %b}  {n:4d}  {'#' * min(n, 60)}", file=stdout)
    if stats["retention"] is None:
        print("\nRetention: no reviews of already-seen cards in the last 30 days yet.",
              file=stdout)
    else:
        print(f"\nRetention (last 30 days): {stats['retention']:.0%} of "
              f"{stats['reviews_30d']} reviews of seen cards were not 'again'.", file=stdout)
    print("\nDue this week (cards already seen):", file=stdout)
    for day, n in stats["due_week"]:
        print(f"  {day:%a %d %b}  {n:4d}", file=stdout)
    print(f"\nDue today, new cards included: {len(progress.due_today(ids))}.", file=stdout)
    return stats
