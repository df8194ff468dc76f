"""Quiz and Flashcards: ipywidgets front ends whose every action is a Python method.

The buttons call the same methods a test (or a curious learner) can call:
``Quiz.answer``, ``Quiz.next``, ``Quiz.finish``; ``Flashcards.flip``,
``Flashcards.rate``, ``Flashcards.undo`` ... The logic lives in
:mod:`crmlib.quiz.session`; this module only draws it. A small anywidget,
:class:`KeyBridge`, adds keyboard shortcuts and reading aloud through the
browser's speech synthesis. Every view of one :class:`Progress` subscribes to
it, so marking a card in one deck updates the counts of every other deck and
of the due table at once.
"""

from __future__ import annotations

import html

import anywidget
import ipywidgets as w
import traitlets

from crmlib.quiz.bank import AnswerError, Question
from crmlib.quiz.bank import plain_text as _plain
from crmlib.quiz.progress import Progress
from crmlib.quiz.session import RATING_LABELS, DeckSession, QuizSession

# Options wrap under their own text and keep their radio button; buttons keep their
# labels and wrap to a new line on narrow screens; nothing is wider than the screen.
# A checkbox's first label is ipywidgets' description column (hidden with indent=False):
# only the label holding the box is styled, or checkboxes sit ~85 px further in than
# radio buttons. Words break only when a word alone is wider than the line; tables keep
# whole words and scroll sideways on a narrow screen instead.
STYLE = """<style>
.crm-quiz, .crm-flashcards, .crm-due-table { max-width: 820px; box-sizing: border-box; }
.crm-quiz .widget-radio-box { height: auto !important; width: 100% !important; }
.crm-quiz .widget-radio-box label, .crm-quiz .widget-checkbox label.widget-label-basic {
  display: flex !important; align-items: flex-start; gap: 8px; height: auto !important;
  white-space: normal !important; line-height: 1.4 !important; margin: 4px 0 !important;
  overflow: visible !important; justify-content: flex-start; text-align: left; }
.crm-quiz .widget-radio-box label { flex-direction: row-reverse; justify-content: flex-end; }
.crm-quiz .widget-radio-box input, .crm-quiz .widget-checkbox label.widget-label-basic input {
  flex: 0 0 auto; margin-top: 3px !important; }
.crm-quiz .widget-checkbox { width: 100% !important; height: auto !important; }
.crm-quiz .widget-radio, .crm-quiz .widget-radio-box { max-width: 100%; }
.crm-quiz .widget-hbox, .crm-flashcards .widget-hbox { flex-wrap: wrap; gap: 4px; }
.crm-quiz .jupyter-button, .crm-flashcards .jupyter-button {
  width: auto !important; flex: 0 0 auto; padding: 0 12px; overflow: visible; }
.crm-quiz .widget-html-content, .crm-flashcards .widget-html-content,
.crm-quiz .widget-htmlmath-content, .crm-flashcards .widget-htmlmath-content {
  white-space: normal; overflow-wrap: break-word; }
.crm-notice { background: #fff4d6; border: 1px solid #d9a400; padding: 6px 10px;
  border-radius: 4px; margin: 4px 0; color: #3d2e00; }
.crm-hint { color: #444; font-size: 90%; }
.crm-message { color: #8a1c12; }
.crm-face { padding: 12px; border: 1px solid #bbb; border-radius: 4px; min-height: 90px; }
.crm-face hr { border: 0; border-top: 1px dashed #999; margin: 10px 0; }
.crm-results, .crm-due-table { overflow-x: auto; max-width: 100%; line-height: 1.4; }
.crm-results table, .crm-due-table table { border-collapse: collapse; margin: 4px 0; }
.crm-results td, .crm-results th, .crm-due-table td, .crm-due-table th {
  padding: 3px 12px 3px 0; border-bottom: 1px solid #ddd; text-align: left;
  vertical-align: top; overflow-wrap: normal; word-break: normal; white-space: normal; }
.crm-results th, .crm-due-table th { font-weight: 600; }
</style>"""

_KEYS_JS = r"""
function render({ model, el }) {
  const title = model.get("page_title");
  // Name the browser tab in an app (Voila), not inside JupyterLab or the classic notebook.
  if (title && !/\/(lab|notebooks|doc|tree)\//.test(window.location.pathname)) {
    document.title = title;
  }
  const box = document.createElement("div");
  box.tabIndex = 0;
  box.className = "crm-keys";
  box.textContent = model.get("hint");
  box.style.cssText = "padding:4px 8px;border:1px dashed #777;border-radius:4px;" +
                      "font-size:12px;color:#333;cursor:pointer;display:inline-block;" +
                      "max-width:100%;box-sizing:border-box";
  if (!model.get("hint")) { box.style.display = "none"; }
  box.addEventListener("keydown", (e) => {
    if (model.get("shortcut_keys").includes(e.key)) {
      e.preventDefault();
      model.send({ type: "key", key: e.key });
    }
  });
  box.addEventListener("focus", () => { box.style.borderColor = "#6f4e37"; });
  box.addEventListener("blur", () => { box.style.borderColor = "#777"; });
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

    Click the hint box to give it focus; key presses in ``shortcut_keys`` are
    sent to Python. ``speak(text)`` reads text aloud in the browser and
    records it in ``spoken``. A ``page_title`` names the browser tab when the
    page is an app (Voila), not inside JupyterLab.
    """

    _esm = _KEYS_JS
    hint = traitlets.Unicode("").tag(sync=True)
    shortcut_keys = traitlets.List(traitlets.Unicode()).tag(sync=True)
    spoken = traitlets.Unicode("").tag(sync=True)
    page_title = traitlets.Unicode("").tag(sync=True)

    def __init__(self, hint: str = "", keys: list[str] | None = None, on_key=None,
                 page_title: str = ""):
        super().__init__(hint=hint, shortcut_keys=keys or [], page_title=page_title)
        self._on_key = on_key
        self.last_text = ""
        self.on_msg(self._handle)

    def _handle(self, _widget, content, _buffers):
        if isinstance(content, dict) and content.get("type") == "key" and self._on_key:
            self._on_key(str(content.get("key", "")))

    def speak(self, text: str) -> None:
        """Ask the browser to read ``text`` aloud."""
        self.last_text = text
        self.send({"type": "speak", "text": text})


def page_title(title: str) -> KeyBridge:
    """An invisible widget that names the browser tab of a Voila app."""
    return KeyBridge(page_title=title)


def _notice_html(progress: Progress | None, owner: object) -> str:
    """The progress file's notice, shown by the first view built on that progress only."""
    if progress is None or not progress.notice:
        return ""
    shown_by = getattr(progress, "_notice_owner", None)
    if shown_by is None:
        progress._notice_owner = shown_by = owner
    if shown_by is not owner:
        return ""
    return f"<div class='crm-notice'>{html.escape(progress.notice)}</div>"


# =========================================================================== Quiz
class Quiz(QuizSession):
    """A quiz over bank questions, one at a time or all at once (see :class:`QuizSession`).

    Parameters
    ----------
    questions, title, shuffle, seed, exam, progress, lesson_titles
        As in :class:`~crmlib.quiz.session.QuizSession`.
    one_at_a_time : bool
        ``True`` shows one question with Previous/Next; ``False`` all of them.

    Attributes
    ----------
    responses, correct, feedback : dict
        By question id: the learner's first answer, whether it was right, and
        the feedback text (held back in exam mode until finish).
    finished : bool
        True after :meth:`finish`.
    """

    def __init__(self, questions, title: str = "Quiz", one_at_a_time: bool = True,
                 shuffle: bool | str = "options", seed: int | None = None, exam: bool = False,
                 progress: Progress | None = None, lesson_titles: dict | None = None):
        self.one_at_a_time = one_at_a_time
        self._controls: dict[str, tuple] = {}
        self._confirm_finish = False
        self._build(progress)
        super().__init__(questions, title=title, shuffle=shuffle, seed=seed, exam=exam,
                         progress=progress, lesson_titles=lesson_titles)
        self._render()

    def _changed(self) -> None:
        self._confirm_finish = False
        self._render()

    # ------------------------------------------------------------------ pandas view
    def results(self):
        """Right, answered and questions per topic (with lesson), worst topic first."""
        import pandas as pd

        rows = self.topic_rows()
        table = pd.DataFrame(rows).set_index("topic")
        table["share_right"] = table["right"] / table["questions"]
        return table

    def finish(self):
        """End the quiz once, reveal all feedback, record the score; returns :meth:`results`."""
        super().finish()
        return self.results()

    # ------------------------------------------------------------------ widgets
    def _build(self, progress) -> None:
        self.header = w.HTML()
        self.notice = w.HTML(_notice_html(progress, self))
        self.body = w.VBox()
        self.results_panel = w.HTML()
        self.finish_message = w.HTML()
        self.prev_button = w.Button(description="Previous", icon="arrow-left")
        self.next_button = w.Button(description="Next", icon="arrow-right")
        self.finish_button = w.Button(description="Finish", button_style="primary")
        self.retry_button = w.Button(description="Retry", icon="redo")
        self.read_button = w.Button(description="Read aloud", icon="volume-up")
        self.prev_button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.finish_button.on_click(lambda _: self.finish_clicked())
        self.retry_button.on_click(lambda _: self.retry())
        self.read_button.on_click(lambda _: self.read_aloud())
        self.keys = KeyBridge("⌨ click here, then: 1-9 choose an option, Enter checks, "
                              "← → move, r reads aloud",
                              [str(i) for i in range(1, 10)] + ["Enter", "ArrowLeft",
                                                                "ArrowRight", "r"], self._on_key)
        nav = [self.prev_button, self.next_button] if self.one_at_a_time else []
        self.widget = w.VBox([w.HTML(STYLE), self.header, self.notice, self.body,
                              w.HBox(nav + [self.finish_button, self.retry_button,
                                            self.read_button]),
                              self.finish_message, self.keys, self.results_panel],
                             layout=w.Layout(border="1px solid #ccc", padding="8px",
                                             max_width="100%"))
        self.widget.add_class("crm-quiz")

    def finish_clicked(self) -> None:
        """The Finish button: warns once about unanswered questions, then finishes."""
        if self.finished:
            return
        missing = self.unanswered()
        if missing and not self._confirm_finish:
            numbers = ", ".join(f"Q{self.questions.index(q) + 1}" for q in missing)
            self.finish_message.value = (
                f"<div class='crm-notice'>{len(missing)} of {len(self.questions)} questions "
                f"are not answered yet ({numbers}). Press <b>Finish</b> again to end the "
                "quiz anyway; unanswered questions score nothing.</div>")
            self._confirm_finish = True
            return
        self.finish()

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
        elif key == "Enter":
            control = self._controls.get(self.current.id)
            if control:
                control[2](None)
        elif key.isdigit():
            self.choose(int(key) - 1)

    def choose(self, index: int) -> None:
        """Select (single choice) or toggle (multiple choice) the option shown at ``index``."""
        q = self.current
        if q.type not in ("single", "multiple") or self.is_locked(q):
            return
        if not 0 <= index < len(q.options):
            return
        control = self._controls[q.id][0]
        if q.type == "single":
            control.value = index
        else:
            box = control.children[index]
            box.value = not box.value

    def _render(self) -> None:
        if not hasattr(self, "questions"):
            return
        status = f"{self.answered} of {len(self.questions)} answered"
        if not (self.exam and not self.finished):
            status += f", {self.score} right"
        if self.exam and not self.finished:
            status += " · exam mode: feedback at the end"
        self.header.value = (f"<h3 style='margin:0'>{html.escape(self.title)}</h3>"
                             f"<div class='crm-quiz-status'>{status}</div>")
        shown = [self.current] if self.one_at_a_time else self.questions
        self._controls = {}
        self.body.children = [self._question_box(q) for q in shown]
        self.prev_button.disabled = self.position == 0 or not self.one_at_a_time
        self.next_button.disabled = (self.position == len(self.questions) - 1
                                     or not self.one_at_a_time)
        self.finish_button.disabled = self.finished
        self.finish_message.value = ""
        if self.finished:
            self.results_panel.value = self._results_html()
        else:
            self.results_panel.value = ""

    def _question_box(self, q: Question) -> w.VBox:
        number = self.questions.index(q) + 1
        prompt = w.HTMLMath(f"<b>Q{number} of {len(self.questions)}.</b> {q.prompt}"
                            f"<div class='crm-hint'>{html.escape(q.answer_hint())}</div>")
        locked = self.is_locked(q)
        given = self.responses.get(q.id)  # shown again so the learner sees what they chose
        shown = self.option_order[q.id]
        labels = [f"{k + 1}. {_plain(t)}" for k, t in enumerate(self.options_of(q))]
        if q.type == "single":
            control = w.RadioButtons(options=[(t, k) for k, t in enumerate(labels)],
                                     value=None if given is None else shown.index(given),
                                     layout=w.Layout(width="100%"), disabled=locked)
            get = lambda: control.value  # noqa: E731
        elif q.type == "multiple":
            chosen = {shown.index(i) for i in (given or [])}
            boxes = [w.Checkbox(description=t, value=k in chosen, indent=False,
                                disabled=locked, layout=w.Layout(width="100%"))
                     for k, t in enumerate(labels)]
            control = w.VBox(boxes, layout=w.Layout(width="100%"))
            get = lambda: [k for k, b in enumerate(boxes) if b.value]  # noqa: E731
        else:
            control = w.Text(value="" if given is None else str(given), disabled=locked,
                             placeholder="a number" if q.type == "numeric" else "your answer",
                             continuous_update=True, layout=w.Layout(width="16em",
                                                                     max_width="100%"))
            get = lambda: control.value  # noqa: E731
        check = w.Button(description="Check", disabled=locked)
        message = w.HTML()

        def on_check(_):
            value = get()
            if value is None or value == "" or value == []:
                message.value = "<span class='crm-message'>Choose or type an answer first.</span>"
                return
            try:
                self.answer(value, q)
            except AnswerError as err:
                message.value = f"<span class='crm-message'>{html.escape(str(err))}</span>"

        check.on_click(on_check)
        self._controls[q.id] = (control, get, on_check)
        feedback = w.HTMLMath(self.visible_feedback(q), layout=w.Layout(margin="4px 0"))
        if self.exam and q.id in self.correct and not self.finished:
            feedback.value = "<i>Answer recorded; you can change it until you finish.</i>"
        return w.VBox([prompt, control, w.HBox([check, message]), feedback],
                      layout=w.Layout(margin="6px 0", width="100%"))

    def _results_html(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(r['topic'])}</td>"
                       f"<td>{html.escape(self.lesson_name(r['lesson']))}</td>"
                       f"<td>{r['right']} of {r['questions']}</td>"
                       f"<td>{r['questions'] - r['answered']}</td></tr>"
                       for r in self.topic_rows())
        review = self.to_review()
        advice = ("Well done: every topic right." if not review else
                  "Go back to: " + "; ".join(html.escape(t) for t in review) + ".")
        missing = len(self.questions) - self.answered
        details = "".join(f"<li>{self.feedback.get(q.id, '<i>not answered</i>')}</li>"
                          for q in self.questions) if self.exam else ""
        saved = (" Your score is saved with your progress." if self.progress is not None
                 and self.progress.persist else "")
        return (f"<div class='crm-results'><h4>Score: {self.score} of {len(self.questions)} "
                f"right</h4><p>{self.answered} answered, {missing} not answered.{saved}</p>"
                f"<table><tr><th>topic</th><th>lesson</th><th>right</th>"
                f"<th>not answered</th></tr>{rows}</table>"
                f"<p>{advice}</p>{'<ol>' + details + '</ol>' if details else ''}</div>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


# =========================================================================== Flashcards
class Flashcards(DeckSession):
    """Flip-and-rate flashcards scheduled by FSRS (see :class:`DeckSession`).

    Four ratings as in Anki: **Again** (back in ten minutes), **Hard**,
    **Good** and **Easy** (back in days, then longer), each only after the
    card is flipped; **Undo** takes back the last rating. Every view of the
    same :class:`Progress` stays up to date when any of them rates a card.
    """

    def __init__(self, cards, progress: Progress | None = None, title: str = "Flashcards",
                 due_only: bool = False, shuffle: bool = False, seed: int = 0,
                 follow_reached: bool = False):
        self._built = False
        super().__init__(cards, progress=progress, title=title, due_only=due_only,
                         shuffle=shuffle, seed=seed, follow_reached=follow_reached)
        self._build()
        self.progress.subscribe(self.on_progress_change)
        self._render()

    def _changed(self) -> None:
        self._render()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.header = w.HTML()
        self.notice = w.HTML(_notice_html(self.progress, self))
        self.face = w.HTMLMath(layout=w.Layout(min_height="90px", width="100%"))
        self.face.add_class("crm-face")
        self.status = w.HTML()
        self.message_box = w.HTML()
        spec = {"prev": ("Previous", "arrow-left", self.previous),
                "flip": ("Show answer", "retweet", self.flip),
                "next": ("Next", "arrow-right", self.next),
                "read": ("Read aloud", "volume-up", self.read_aloud),
                "again": ("Again", "", self.again), "hard": ("Hard", "",
                                                             lambda: self.rate("hard")),
                "good": ("Good", "", self.knew_it), "easy": ("Easy", "",
                                                             lambda: self.rate("easy")),
                "undo": ("Undo", "undo", self.undo)}
        self.buttons = {}
        for key, (label, icon, fn) in spec.items():
            b = w.Button(description=label, icon=icon)
            b.on_click(lambda _, fn=fn: fn())
            self.buttons[key] = b
        self.buttons["again"].button_style = "danger"
        self.buttons["hard"].button_style = "warning"
        self.buttons["good"].button_style = "success"
        self.buttons["easy"].button_style = "info"
        for key, text in (("again", "you did not know it: back in ten minutes"),
                          ("hard", "knew it with difficulty"), ("good", "knew it"),
                          ("easy", "knew it at once: a longer interval")):
            self.buttons[key].tooltip = text
        self.due_toggle = w.ToggleButton(value=self.due_only, description="Due today only")
        self.due_toggle.observe(lambda ch: self.set_due_only(ch["new"]), names="value")
        self.keys = KeyBridge("⌨ click here, then: space shows the answer, 1-4 rate "
                              "(again, hard, good, easy), u undoes, ← → move, r reads aloud",
                              [" ", "ArrowLeft", "ArrowRight", "1", "2", "3", "4", "k", "a",
                               "u", "r"], self._on_key)
        b = self.buttons
        self.widget = w.VBox([w.HTML(STYLE), self.header, self.notice, self.face,
                              self.message_box,
                              w.HBox([b["prev"], b["flip"], b["next"], b["read"]]),
                              w.HBox([b["again"], b["hard"], b["good"], b["easy"], b["undo"],
                                      self.due_toggle]),
                              self.keys, self.status],
                             layout=w.Layout(border="1px solid #ccc", padding="8px",
                                             max_width="100%"))
        self.widget.add_class("crm-flashcards")
        self._built = True

    def read_aloud(self) -> str:
        """Read the side on screen aloud (question, then answer once flipped)."""
        if self.card is None:
            return ""
        text = _plain(self.card.front)
        if self.flipped:
            text = _plain(self.card.back)
        self.keys.speak(text)
        return text

    def _on_key(self, key: str) -> None:
        ratings = {"1": "again", "2": "hard", "3": "good", "4": "easy", "k": "good",
                   "a": "again"}
        if key in ratings:
            self.rate(ratings[key])
            return
        action = {" ": self.flip, "ArrowRight": self.next, "ArrowLeft": self.previous,
                  "u": self.undo, "r": self.read_aloud}.get(key)
        if action:
            action()

    def _render(self) -> None:
        if not self._built:
            return
        self.header.value = f"<h3 style='margin:0'>{html.escape(self.title)}</h3>"
        self.notice.value = _notice_html(self.progress, self)
        card = self.card
        if card is None:
            if self.due_only and self.base_order:
                self.face.value = ("<b>Nothing due today.</b> Well done: come back tomorrow, "
                                   "or switch off <i>Due today only</i> to browse the deck.")
            else:
                self.face.value = ("<b>No cards yet.</b> Cards appear here for the lessons "
                                   "you have reached.")
        else:
            question = (f"<div class='crm-card-front'><small>{html.escape(card.kind)} · "
                        f"{html.escape(card.topic)} · lesson {card.lesson}</small><br>"
                        f"{card.front}</div>")
            answer = (f"<hr><div class='crm-card-back'><small>answer</small><br>{card.back}"
                      f"</div>" if self.flipped else "")
            self.face.value = question + answer
        for key in RATING_LABELS:
            self.buttons[key].disabled = card is None or not self.flipped
        self.buttons["flip"].description = "Hide answer" if self.flipped else "Show answer"
        self.buttons["flip"].disabled = card is None
        self.buttons["undo"].disabled = not self.progress.can_undo()
        self.message_box.value = (f"<span class='crm-message'>{html.escape(self.message)}"
                                  "</span>" if self.message else "")
        pos = f"Card {self.position + 1} of {len(self.order)}" if self.order else "No card"
        done = ", ".join(f"{n} {r}" for r, n in self.session.items() if n)
        self.status.value = (f"<span class='crm-cards-status'>{pos} · "
                             f"<span class='crm-due'>{self.due_count} due today</span> · "
                             f"this session: {done or 'nothing rated yet'}</span>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


# =========================================================================== review page
class DueTable:
    """Cards per lesson: seen, due today; updated whenever the progress changes."""

    def __init__(self, banks: dict, progress: Progress):
        self.banks, self.progress = banks, progress
        self.widget = w.HTML()
        self.widget.add_class("crm-due-table")
        progress.subscribe(self.refresh)
        self.refresh()

    def rows(self) -> list[dict]:
        """One row per lesson: lesson, title, cards, seen, due today, reached."""
        rows = []
        for lesson, bank in self.banks.items():
            ids = [c.id for c in bank.cards]
            reached = lesson <= self.progress.reached
            rows.append({"lesson": lesson, "title": bank.title, "cards": len(ids),
                         "seen": sum(not self.progress.is_new(i) for i in ids),
                         "due today": len(self.progress.due_today(ids)) if reached else 0,
                         "reached": reached})
        return rows

    def refresh(self) -> None:
        """Recompute the table."""
        body = "".join(
            f"<tr><td>{r['lesson']}</td><td>{html.escape(r['title'])}</td><td>{r['cards']}</td>"
            f"<td>{r['seen']}</td><td class='crm-due-{r['lesson']}'>"
            f"{r['due today'] if r['reached'] else 'not reached yet'}</td></tr>"
            for r in self.rows())
        left = self.progress.new_left_today()
        self.widget.value = (
            STYLE + "<table><tr><th>lesson</th><th>title</th><th>cards</th><th>seen</th>"
            f"<th>due today</th></tr>{body}</table><p class='crm-hint'>New cards left "
            f"for today: {left} of {self.progress.new_per_day}.</p>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def lesson_picker(banks: dict, progress: Progress, page_title: str = "") -> w.Widget:
    """A drop-down for the last lesson studied; decks and the mixed quiz follow it.

    ``page_title`` also names the browser tab when the page runs as an app (Voila).
    Built first on a page, it shows the notice of a damaged progress file above the
    drop-down, at the top of the page.
    """
    options = [(f"{lesson}: {bank.title}", lesson) for lesson, bank in banks.items()]
    value = progress.reached if progress.reached in banks else options[0][1]
    picker = w.Dropdown(options=options, value=value, description="Studied up to",
                        style={"description_width": "initial"},
                        layout=w.Layout(width="auto", max_width="min(100%, 480px)"))
    picker.observe(lambda ch: progress.set_reached(ch["new"]), names="value")
    box = w.VBox([picker])
    # The page's first widget says when the progress file was damaged, at the top of
    # the page (the views below then say nothing).
    notice = _notice_html(progress, box)
    if not page_title and not notice:
        return picker
    box.children = ([w.HTML(STYLE + notice)] if notice else []) + [picker] + (
        [KeyBridge(page_title=page_title)] if page_title else [])
    box.picker = picker
    return box


__all__ = ["DueTable", "Flashcards", "KeyBridge", "Quiz", "lesson_picker", "page_title"]

