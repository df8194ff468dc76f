"""Quiz and Flashcards: ipywidgets front ends whose every action is a Python method.

The buttons call the same methods a test (or a curious learner) can call:
``Quiz.answer``, ``Quiz.next``, ``Quiz.finish``; ``Flashcards.flip``,
``Flashcards.mark`` ... and the state (score, feedback, each card's FSRS
state) is plain Python attributes. A small anywidget, :class:`KeyBridge`, adds
keyboard shortcuts and reading aloud through the browser's speech synthesis.
"""

from __future__ import annotations

import html
import random

import anywidget
import ipywidgets as w
import pandas as pd
import traitlets

from crmlib.quiz.bank import Card, Question, option_index
from crmlib.quiz.bank import plain_text as _plain
from crmlib.quiz.progress import Progress

_KEYS_JS = """
function render({ model, el }) {
  const box = document.createElement("div");
  box.tabIndex = 0;
  box.className = "crm-keys";
  box.textContent = model.get("hint");
  box.style.cssText = "padding:4px 8px;border:1px dashed #999;border-radius:4px;" +
                      "font-size:12px;color:#555;cursor:pointer;display:inline-block";
  box.addEventListener("keydown", (e) => {
    if (model.get("shortcut_keys").includes(e.key)) {
      e.preventDefault();
      model.send({ type: "key", key: e.key });
    }
  });
  box.addEventListener("focus", () => { box.style.borderColor = "#6f4e37"; });
  box.addEventListener("blur", () => { box.style.borderColor = "#999"; });
  model.on("msg:custom", (msg) => {
    if (msg.type !== "speak") return;
    const synth = window.speechSynthesis;
    if (synth) {
      synth.cancel();
      const u = new SpeechSynthesisUtterance(msg.text);
      u.lang = "en-GB";
      synth.speak(u);
    }
    model.set("spoken", msg.text);
    model.save_changes();
  });
  el.appendChild(box);
}
export default { render };
"""


class KeyBridge(anywidget.AnyWidget):
    """Keyboard shortcuts and read-aloud for the quiz widgets.

    Click the hint box to give it focus; key presses in ``keys`` are sent to
    Python. ``speak(text)`` reads text aloud in the browser and records it in
    ``spoken``.
    """

    _esm = _KEYS_JS
    hint = traitlets.Unicode("").tag(sync=True)
    shortcut_keys = traitlets.List(traitlets.Unicode()).tag(sync=True)
    spoken = traitlets.Unicode("").tag(sync=True)

    def __init__(self, hint: str, keys: list[str], on_key):
        super().__init__(hint=hint, shortcut_keys=keys)
        self._on_key = on_key
        self.on_msg(self._handle)

    def _handle(self, _widget, content, _buffers):
        if isinstance(content, dict) and content.get("type") == "key":
            self._on_key(str(content.get("key", "")))

    def speak(self, text: str) -> None:
        """Ask the browser to read ``text`` aloud."""
        self.last_text = text
        self.send({"type": "speak", "text": text})


# =========================================================================== Quiz
class Quiz:
    """A quiz over bank questions, one at a time or all at once.

    Parameters
    ----------
    questions : list of Question
        The questions (e.g. ``bank.questions``).
    title : str
        Shown above the quiz and stored with the score.
    one_at_a_time : bool
        ``True`` shows one question with Previous/Next; ``False`` all of them.
    shuffle : bool
        Shuffle the questions (and options) with ``seed``.
    seed : int
        Random seed for shuffling; retries reshuffle with ``seed + attempt``.
    exam : bool
        Hold all feedback until :meth:`finish`.
    progress : Progress, optional
        Where the finished score is recorded.

    Attributes
    ----------
    responses, correct, feedback : dict
        By question id: the learner's answer, whether it was right, and the
        feedback text shown (held back in exam mode until finish).
    finished : bool
        True after :meth:`finish`.
    """

    def __init__(self, questions, title: str = "Quiz", one_at_a_time: bool = True,
                 shuffle: bool = False, seed: int = 0, exam: bool = False,
                 progress: Progress | None = None):
        self.all_questions = list(questions)
        if not self.all_questions:
            raise ValueError("questions: a quiz needs at least one question")
        self.title, self.one_at_a_time, self.shuffle_on = title, one_at_a_time, shuffle
        self.seed, self.exam, self.progress = seed, exam, progress
        self.attempt = 0
        self._build()
        self._start()

    # ------------------------------------------------------------------ state
    def _start(self) -> None:
        self.questions = list(self.all_questions)
        self.option_order = {q.id: list(range(len(q.options))) for q in self.questions}
        if self.shuffle_on:
            rng = random.Random(self.seed + self.attempt)
            rng.shuffle(self.questions)
            for order in self.option_order.values():
                rng.shuffle(order)
        self.position = 0
        self.responses, self.correct, self.feedback = {}, {}, {}
        self.finished = False
        self._render()

    @property
    def current(self) -> Question:
        """The question on screen (one-at-a-time mode)."""
        return self.questions[self.position]

    @property
    def score(self) -> int:
        """Right answers so far."""
        return sum(self.correct.values())

    def options_of(self, question: Question) -> list[str]:
        """Option texts in display order (shuffled when shuffling)."""
        return [question.options[i].text for i in self.option_order[question.id]]

    # ------------------------------------------------------------------ actions
    def answer(self, response, question: Question | str | None = None) -> bool | None:
        """Answer a question (the current one by default).

        ``response`` is the option number as displayed (0-based) for single
        choice, a list of them for multiple choice, a number, or a string.
        Returns whether it was right, or ``None`` in exam mode.
        """
        if self.finished:
            raise RuntimeError("the quiz is finished; call retry() to start again")
        q = self._question(question)
        order = self.option_order[q.id]
        if q.type == "single":
            original = order[option_index(response, len(order))]
        elif q.type == "multiple":
            original = sorted(order[option_index(r, len(order))] for r in response)
        else:
            original = response
        ok = q.check(original)
        self.responses[q.id], self.correct[q.id] = original, ok
        self.feedback[q.id] = _feedback(q, original, ok)
        self._render()
        return None if self.exam else ok

    def next(self) -> None:
        """Move to the next question."""
        self.position = min(self.position + 1, len(self.questions) - 1)
        self._render()

    def previous(self) -> None:
        """Move to the previous question."""
        self.position = max(self.position - 1, 0)
        self._render()

    def finish(self) -> pd.DataFrame:
        """End the quiz, reveal all feedback and return the per-topic results."""
        self.finished = True
        if self.progress is not None:
            self.progress.record_quiz(self.title, self.score, len(self.questions))
        self._render()
        return self.results()

    def retry(self) -> None:
        """Start again with empty answers (reshuffled when shuffling)."""
        self.attempt += 1
        self._start()

    def results(self) -> pd.DataFrame:
        """Right answers and questions per topic, worst topic first."""
        rows = [{"topic": q.topic, "right": int(self.correct.get(q.id, False)),
                 "answered": int(q.id in self.correct), "questions": 1} for q in self.questions]
        table = pd.DataFrame(rows).groupby("topic").sum()
        table["share_right"] = table["right"] / table["questions"]
        return table.sort_values(["share_right", "questions"], ascending=[True, False])

    def to_review(self) -> list[str]:
        """Topics with a wrong or missing answer, to go back to."""
        res = self.results()
        return list(res.index[res["share_right"] < 1])

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
        raise ValueError(f"question {qid!r} is not in this quiz")

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.header = w.HTML()
        self.body = w.VBox()
        self.results_panel = w.HTML()
        self.prev_button = w.Button(description="Previous", icon="arrow-left")
        self.next_button = w.Button(description="Next", icon="arrow-right")
        self.finish_button = w.Button(description="Finish", button_style="primary")
        self.retry_button = w.Button(description="Retry", icon="redo")
        self.read_button = w.Button(description="Read aloud", icon="volume-up")
        self.prev_button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.finish_button.on_click(lambda _: self.finish())
        self.retry_button.on_click(lambda _: self.retry())
        self.read_button.on_click(lambda _: self.read_aloud())
        self.keys = KeyBridge("⌨ click here, then: digits answer, ← → move, r reads aloud",
                              [str(i) for i in range(1, 10)] + ["ArrowLeft", "ArrowRight",
                                                                "r"], self._on_key)
        nav = [self.prev_button, self.next_button] if self.one_at_a_time else []
        self.widget = w.VBox([self.header, self.body,
                              w.HBox(nav + [self.finish_button, self.retry_button,
                                            self.read_button]),
                              self.keys, self.results_panel],
                             layout=w.Layout(border="1px solid #ddd", padding="8px"))
        self.widget.add_class("crm-quiz")

    def read_aloud(self) -> str:
        """Read the current question and its options aloud; returns the text."""
        q = self.current
        text = _plain(q.prompt)
        if q.options:
            text += ". " + ". ".join(f"Option {i + 1}: {_plain(t)}"
                                     for i, t in enumerate(self.options_of(q)))
        self.keys.speak(text)
        return text

    def _on_key(self, key: str) -> None:
        if key == "ArrowRight":
            self.next()
        elif key == "ArrowLeft":
            self.previous()
        elif key == "r":
            self.read_aloud()
        elif key.isdigit() and self.current.type == "single" and not self.finished:
            k = int(key) - 1
            if k < len(self.current.options):
                self.answer(k)

    def _render(self) -> None:
        if not hasattr(self, "widget"):
            return
        answered = len(self.correct)
        status = (f"{answered} of {len(self.questions)} answered"
                  + ("" if self.exam and not self.finished else f", {self.score} right"))
        self.header.value = (f"<h3 style='margin:0'>{html.escape(self.title)}</h3>"
                             f"<div class='crm-quiz-status'>{status}"
                             f"{' · exam mode: feedback at the end' if self.exam else ''}</div>")
        shown = [self.current] if self.one_at_a_time else self.questions
        self.body.children = [self._question_box(q) for q in shown]
        self.prev_button.disabled = self.position == 0
        self.next_button.disabled = self.position == len(self.questions) - 1
        self.results_panel.value = self._results_html() if self.finished else ""

    def _question_box(self, q: Question) -> w.VBox:
        number = self.questions.index(q) + 1
        prompt = w.HTMLMath(f"<b>Q{number}.</b> {q.prompt}")
        disabled = self.finished
        given = self.responses.get(q.id)  # shown again so the learner sees what they chose
        shown = self.option_order[q.id]
        if q.type == "single":
            control = w.RadioButtons(options=[(t, i) for i, t in enumerate(self.options_of(q))],
                                     value=None if given is None else shown.index(given),
                                     layout=w.Layout(width="auto"), disabled=disabled)
            get = lambda: control.value  # noqa: E731
        elif q.type == "multiple":
            chosen = {shown.index(i) for i in (given or [])}
            boxes = [w.Checkbox(description=t, value=k in chosen, indent=False,
                                disabled=disabled)
                     for k, t in enumerate(self.options_of(q))]
            control = w.VBox(boxes)
            get = lambda: [i for i, b in enumerate(boxes) if b.value]  # noqa: E731
        else:
            control = w.Text(value="" if given is None else str(given), disabled=disabled,
                             placeholder="a number" if q.type == "numeric" else "your answer")
            get = lambda: control.value  # noqa: E731
        check = w.Button(description="Check", disabled=disabled)
        message = w.HTML()

        def on_check(_):
            value = get()
            if value is None or value == "":
                message.value = "<i>Choose or type an answer first.</i>"
                return
            try:
                self.answer(value, q)
            except ValueError as err:
                message.value = f"<i>{html.escape(str(err))}</i>"

        check.on_click(on_check)
        feedback = w.HTMLMath(self.visible_feedback(q), layout=w.Layout(margin="4px 0"))
        if self.exam and q.id in self.correct and not self.finished:
            feedback.value = "<i>Answer recorded.</i>"
        return w.VBox([prompt, control, w.HBox([check, message]), feedback],
                      layout=w.Layout(margin="6px 0"))

    def _results_html(self) -> str:
        res = self.results()
        rows = "".join(f"<tr><td>{html.escape(t)}</td><td>{r.right} / {r.questions}</td></tr>"
                       for t, r in res.iterrows())
        review = self.to_review()
        advice = ("Well done: every topic right." if not review else
                  "Review: " + ", ".join(html.escape(t) for t in review) + ".")
        details = "".join(f"<li>{self.feedback.get(q.id, '<i>not answered</i>')}</li>"
                          for q in self.questions) if self.exam else ""
        return (f"<div class='crm-results'><h4>Score: {self.score} / {len(self.questions)}"
                f"</h4><table><tr><th>topic</th><th>right</th></tr>{rows}</table>"
                f"<p>{advice}</p>{'<ol>' + details + '</ol>' if details else ''}</div>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def _feedback(q: Question, response, ok: bool) -> str:
    head = ("<span style='color:#2a7d2a'>✔ <b>Right.</b></span>" if ok else
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
    extra = "" if ok else f" The answer is {html.escape(q.right_answer())}."
    return f"{head}{extra} {q.explain}"


# =========================================================================== Flashcards
class Flashcards:
    """Flip-and-rate flashcards scheduled by FSRS.

    Parameters
    ----------
    cards : list of Card
        The deck (e.g. ``bank.cards``).
    progress : Progress, optional
        Scheduler state; defaults to the learner's progress file.
    title : str
        Shown above the card.
    due_only : bool
        Start in "due today" mode (only cards due by the end of today).
    shuffle : bool
        Shuffle the deck with ``seed``.
    seed : int
        Random seed.

    Attributes
    ----------
    order : list of str
        Card ids in the order shown.
    position : int
        Index of the card on screen.
    flipped : bool
        Whether the back is showing.
    session : dict
        Counts of "knew" and "again" marks this session.
    """

    def __init__(self, cards, progress: Progress | None = None, title: str = "Flashcards",
                 due_only: bool = False, shuffle: bool = False, seed: int = 0):
        self.deck = {c.id: c for c in cards}
        if not self.deck:
            raise ValueError("cards: a deck needs at least one card")
        self.progress = progress if progress is not None else Progress()
        self.title, self.due_only = title, due_only
        self.base_order = list(self.deck)
        if shuffle:
            self.shuffle(seed, render=False)
        self.session = {"knew": 0, "again": 0}
        self._build()
        self._refresh_order()

    # ------------------------------------------------------------------ state
    def due_ids(self) -> list[str]:
        """Cards due by the end of today (new cards included), in deck order."""
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
        return {"state": c.state.name.lower(), "due": c.due, "stability": c.stability}

    # ------------------------------------------------------------------ actions
    def flip(self) -> None:
        """Show the other side."""
        if self.card is not None:
            self.flipped = not self.flipped
        self._render()

    def next(self) -> None:
        """Next card (front side)."""
        if self.order:
            self.position = (self.position + 1) % len(self.order)
        self.flipped = False
        self._render()

    def previous(self) -> None:
        """Previous card (front side)."""
        if self.order:
            self.position = (self.position - 1) % len(self.order)
        self.flipped = False
        self._render()

    def mark(self, knew: bool) -> None:
        """Rate the card on screen: ``True`` = knew it (FSRS Good), ``False`` = again."""
        if self.card is None:
            return
        cid = self.card.id
        self.progress.review(cid, "good" if knew else "again")
        self.session["knew" if knew else "again"] += 1
        self.flipped = False
        if self.due_only:
            self._refresh_order(keep=cid)
        else:
            self.next()
            return
        self._render()

    def knew_it(self) -> None:
        """Mark the card as known."""
        self.mark(True)

    def again(self) -> None:
        """Mark the card to see again soon."""
        self.mark(False)

    def set_due_only(self, due_only: bool) -> None:
        """Switch between the whole deck and the cards due today."""
        self.due_only = bool(due_only)
        self._refresh_order()

    def shuffle(self, seed: int = 0, render: bool = True) -> None:
        """Shuffle the deck reproducibly."""
        random.Random(seed).shuffle(self.base_order)
        if render:
            self._refresh_order()

    def read_aloud(self) -> str:
        """Read the side on screen aloud; returns the text."""
        if self.card is None:
            return ""
        text = _plain(self.card.back if self.flipped else self.card.front)
        self.keys.speak(text)
        return text

    def _refresh_order(self, keep: str | None = None) -> None:
        before = self.order[self.position] if getattr(self, "order", None) else None
        self.order = self.due_ids() if self.due_only else list(self.base_order)
        if keep is not None and before is not None:
            # After a mark in due-only mode, continue with the card after the marked one.
            following = self.base_order[self.base_order.index(before) + 1:] + self.base_order
            nxt = next((c for c in following if c in self.order), None)
            self.position = self.order.index(nxt) if nxt else 0
        else:
            self.position = 0
        self.flipped = False
        self._render()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.header = w.HTML()
        self.face = w.HTMLMath(layout=w.Layout(min_height="90px", padding="12px",
                                               border="1px solid #ccc", width="95%"))
        self.status = w.HTML()
        buttons = {
            "flip": ("Flip", "retweet", self.flip), "prev": ("Previous", "arrow-left",
                                                             self.previous),
            "next": ("Next", "arrow-right", self.next), "knew": ("Knew it", "check",
                                                               self.knew_it),
            "again": ("Again", "times", self.again), "read": ("Read aloud", "volume-up",
                                                              self.read_aloud),
        }
        self.buttons = {}
        for key, (label, icon, fn) in buttons.items():
            b = w.Button(description=label, icon=icon)
            b.on_click(lambda _, fn=fn: fn())
            self.buttons[key] = b
        self.buttons["knew"].button_style = "success"
        self.buttons["again"].button_style = "warning"
        self.due_toggle = w.ToggleButton(value=self.due_only, description="Due today only")
        self.due_toggle.observe(lambda ch: self.set_due_only(ch["new"]), names="value")
        self.keys = KeyBridge("⌨ click here, then: space flips, ← → move, k knew, a again, "
                              "r reads aloud", [" ", "ArrowLeft", "ArrowRight", "k", "a", "r"],
                              self._on_key)
        b = self.buttons
        self.widget = w.VBox([self.header, self.face,
                              w.HBox([b["prev"], b["flip"], b["next"], b["read"]]),
                              w.HBox([b["knew"], b["again"], self.due_toggle]),
                              self.keys, self.status],
                             layout=w.Layout(border="1px solid #ddd", padding="8px"))
        self.widget.add_class("crm-flashcards")

    def _on_key(self, key: str) -> None:
        action = {" ": self.flip, "ArrowRight": self.next, "ArrowLeft": self.previous,
                  "k": self.knew_it, "a": self.again, "r": self.read_aloud}.get(key)
        if action:
            action()

    def _render(self) -> None:
        if not hasattr(self, "widget"):
            return
        self.header.value = f"<h3 style='margin:0'>{html.escape(self.title)}</h3>"
        card = self.card
        if card is None:
            self.face.value = ("<b>Nothing due today.</b> Come back tomorrow, or show the "
                               "whole deck.")
        else:
            side = "back" if self.flipped else "front"
            text = card.back if self.flipped else card.front
            self.face.value = (f"<div class='crm-card-{side}'><small>{card.kind} · "
                               f"{html.escape(card.topic)} · {side}</small><br>{text}</div>")
        for key in ("knew", "again"):
            self.buttons[key].disabled = card is None or not self.flipped
        pos = f"Card {self.position + 1} of {len(self.order)}" if self.order else "No card"
        self.status.value = (f"<span class='crm-cards-status'>{pos} · "
                             f"<span class='crm-due'>{self.due_count} due today</span> · "
                             f"this session: {self.session['knew']} knew, "
                             f"{self.session['again']} again</span>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
