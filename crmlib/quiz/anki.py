"""The course's decks as an Anki package (``.apkg``), to keep reviewing on a phone.

Built with ``genanki``: one sub-deck per lesson ("CRM course::02 Retention
economics"), one note per flashcard (front, back, topic, lesson) and one note
per quiz question (the prompt with its options on the front; the right answer
with the explanation of every option on the back). Maths written ``$...$`` in
the banks becomes Anki's ``\\(...\\)``; ``\\$`` becomes a dollar sign. Ids are
derived from the bank ids, so re-importing an updated package updates the
notes instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

from crmlib.errors import ArgumentError
from crmlib.quiz.bank import Bank

_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")
_CSS = (".card { font-family: sans-serif; font-size: 18px; text-align: left; color: #222;"
        " background: #fff; } .meta { color: #666; font-size: 13px; } ol { padding-left: 1.4em; }")


def _id(name: str) -> int:
    """A stable 31-bit id for Anki from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") >> 1 | 1 << 30


def anki_text(text: str) -> str:
    """Bank text as an Anki field (HTML): ``&``, ``<`` and ``>`` escaped (bank text
    holds no markup; the maths between delimiters is escaped too, as MathJax reads
    the decoded text), ``$x$`` -> ``\\(x\\)``, ``\\$`` -> a dollar sign.

    >>> anki_text(r"costs \\$5 at $r = 0.9$")
    'costs $5 at \\\\(r = 0.9\\\\)'
    >>> anki_text("20 > 2 x 7 & <5 * MonthEnds>")
    '20 &gt; 2 x 7 &amp; &lt;5 * MonthEnds&gt;'
    """
    text = html.escape(text, quote=False)
    text = _MATH.sub(lambda m: f"\\({m.group(1)}\\)", text)
    return text.replace("\\$", "$")


def _sentence(text: str) -> str:
    """An option's text as the start of a sentence: a full stop unless it ends in one.

    >>> _sentence("Yes"), _sentence("Yes."), _sentence("Why?")
    ('Yes.', 'Yes.', 'Why?')
    """
    return text if text.rstrip().endswith((".", "?", "!", ":", ";")) else text + "."


def _question_sides(q) -> tuple[str, str]:
    front = anki_text(q.prompt)
    if q.options:
        items = "".join(f"<li>{anki_text(o.text)}</li>" for o in q.options)
        front += f"<ol>{items}</ol>"
        kind = "one answer" if q.type == "single" else "all that apply"
        front += f"<div class='meta'>({kind})</div>"
        back = "<ol>" + "".join(
            f"<li><b>{'right' if o.correct else 'wrong'}</b>: "
            f"{_sentence(anki_text(o.text))} {anki_text(o.explain)}</li>"
            for o in q.options) + "</ol>"
    else:
        front += f"<div class='meta'>{html.escape(q.answer_hint())}</div>"
        back = f"<b>{html.escape(q.right_answer())}</b><br>{anki_text(q.explain)}"
    return front, back


def build_package(banks: dict[str, Bank], questions: bool = True):
    """The genanki package of every bank (``questions=False``: flashcards only)."""
    import genanki

    card_model = genanki.Model(
        _id("crm-course card model"), "CRM course card",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Topic"}, {"name": "Lesson"},
                {"name": "Id"}],
        templates=[{"name": "Card", "qfmt": "<div class='meta'>{{Lesson}} · {{Topic}}</div>"
                    "{{Front}}", "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}],
        css=_CSS)
    question_model = genanki.Model(
        _id("crm-course question model"), "CRM course question",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Topic"},
                {"name": "Lesson"}, {"name": "Id"}],
        templates=[{"name": "Question", "qfmt": "<div class='meta'>{{Lesson}} · {{Topic}}"
                    "</div>{{Question}}", "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}"}],
        css=_CSS)
    decks = []
    for lesson, bank in banks.items():
        deck = genanki.Deck(_id(f"crm-course deck {lesson}"),
                            f"CRM course::{lesson} {bank.title}")
        label = f"Lesson {lesson}"
        for card in bank.cards:
            deck.add_note(genanki.Note(
                model=card_model, guid=genanki.guid_for(card.id),
                fields=[anki_text(card.front), anki_text(card.back), html.escape(card.topic),
                        label, card.id],
                tags=[f"lesson{lesson}", card.kind]))
        if questions:
            for q in bank.questions:
                front, back = _question_sides(q)
                deck.add_note(genanki.Note(
                    model=question_model, guid=genanki.guid_for(q.id),
                    fields=[front, back, html.escape(q.topic), label, q.id],
                    tags=[f"lesson{lesson}", "quiz", q.type]))
        decks.append(deck)
    return genanki.Package(decks)


def export_anki(banks: dict[str, Bank], path, questions: bool = True) -> Path:
    """Write the decks to an Anki package at ``path`` (atomically); returns the path."""
    import tempfile

    from crmlib.atomic import PUBLIC, write_atomic

    path = Path(path)
    if path.suffix != ".apkg":
        raise ArgumentError(f"{path}: an Anki package must end in .apkg")
    with tempfile.TemporaryDirectory(prefix="crm-anki-") as folder:
        built = Path(folder) / path.name  # genanki writes to a path: built apart, then moved
        build_package(banks, questions=questions).write_to_file(str(built))
        write_atomic(path, built.read_bytes(), mode=PUBLIC)
    return path
