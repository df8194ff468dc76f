"""Spaced repetition with FSRS, and the progress file that remembers it.

Scheduling is done by the ``fsrs`` package (the Free Spaced Repetition
Scheduler that Anki adopted); this module keeps each card's FSRS state, a log
of reviews and the finished quizzes in one JSON file per learner:

* default location: ``$CRM_PROGRESS`` if set (a folder there means
  ``progress.json`` inside it), else ``progress.json`` in the user's data
  folder (``platformdirs.user_data_dir("crm-course")``);
* every save takes a lock (``filelock``), reads what is on disk, merges this
  session's changes into it and writes the result to a temporary file that
  is then renamed: two surfaces open at once (JupyterLab, the Voila app, a
  terminal) never lose each other's reviews, and a crash or a kill mid-write
  leaves the previous file whole;
* a file that is corrupt or belongs to something else is moved aside to
  ``<name>.corrupt-N.json`` and a fresh one is started; :attr:`Progress.notice`
  says so in plain words (the widgets and the terminal show it).

"Today" ends at the learner's own midnight (the computer's time zone, or
``tz``), and at most ``new_per_day`` never-seen cards are offered a day.

>>> from datetime import datetime, timezone
>>> clock = lambda: datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> p = Progress(persist=False, clock=clock, tz=timezone.utc)
>>> p.due_today(["c00-a", "c00-b"])
['c00-a', 'c00-b']
>>> p.review("c00-a", "good") > clock()
True
>>> p.due_today(["c00-a", "c00-b"])
['c00-b']
>>> p.undo()
'c00-a'
>>> p.is_new("c00-a")
True
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from crmlib.atomic import move_aside, write_atomic
from crmlib.checks import check_choice, check_count
from crmlib.errors import ArgumentError

FORMAT = "crm-course-progress"
VERSION = 2
RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
NEW_PER_DAY = 20


def default_path() -> Path:
    """Where progress lives unless told otherwise."""
    env = os.environ.get("CRM_PROGRESS")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("crm-course")) / "progress.json"


def _now() -> datetime:
    return datetime.now(UTC)


class _Unreadable(Exception):
    """The file on disk is not a progress file this version can read."""


def _entry_id() -> str:
    return secrets.token_hex(6)


class Progress:
    """FSRS state of every card a learner has seen, persisted to a JSON file.

    Parameters
    ----------
    path : path-like, optional
        The progress file (see :func:`default_path`). ``None`` also reads
        ``$CRM_PROGRESS``. An existing folder means ``progress.json`` inside it.
    clock : callable, optional
        Returns the current time (timezone-aware); tests pass a fixed one.
    persist : bool
        ``False`` keeps everything in memory (for notebooks run as tests).
    tz : tzinfo, optional
        The learner's time zone, for where "today" ends; default the computer's.
    new_per_day : int, optional
        Never-seen cards offered per day (default: the file's setting, else 20).

    Attributes
    ----------
    cards : dict
        FSRS card state by card id.
    reviews : list of dict
        Every rating: card, rating, time and whether the card was new.
    quiz_results : list of dict
        Every finished quiz: name, score, answered, total, time.
    notice : str
        A message for the learner about the file ('' when all is well).
    backup : Path or None
        Where an unreadable file was moved.
    """

    def __init__(self, path=None, clock: Callable[[], datetime] | None = None,
                 persist: bool = True, tz: tzinfo | None = None,
                 new_per_day: int | None = None):
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.clock = clock or _now
        self.persist = persist
        self.tz = tz
        # One 10-minute learning step: "good" on a new card graduates it (back in a few
        # days), "again" keeps it in today's session. No fuzzing: reproducible.
        self.scheduler = Scheduler(learning_steps=(timedelta(minutes=10),),
                                   enable_fuzzing=False)
        self.cards: dict[str, FsrsCard] = {}
        self.reviews: list[dict] = []
        self.quiz_results: list[dict] = []
        self.settings: dict = {"new_per_day": NEW_PER_DAY, "reached": "00"}
        self.learner = secrets.token_hex(8)
        self.notice = ""
        self.backup: Path | None = None
        self._dirty_cards: set[str] = set()
        self._dirty_settings: set[str] = set()
        self._pending: dict[str, list[dict]] = {"reviews": [], "quiz_results": []}
        self._removed: set[str] = set()
        self._undo: list[tuple[str, FsrsCard | None, str]] = []
        self._listeners: list = []
        self._stamp: tuple[int, int] | None = None
        if persist:
            if self.path.is_dir():
                folder = self.path
                self.path = folder / "progress.json"
                self.notice = (f"The progress setting names a folder ({folder}), so your "
                               f"progress is kept in {self.path}.")
            self._load()
        if new_per_day is not None:
            self.set_new_per_day(new_per_day)

    # ------------------------------------------------------------------ file
    def _lock(self):
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path) + ".lock", timeout=30)

    def _read_disk(self) -> dict | None:
        """The file's parsed content, ``None`` when there is no file."""
        try:
            stat = self.path.stat()
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError("it is damaged or incomplete") from None
            if not (isinstance(data, dict) and data.get("format") == FORMAT):
                raise ValueError("it is not a progress file of this course")
            if data.get("version") not in (1, VERSION):
                raise ValueError(f"it was written by another version ({data.get('version')!r})")
            data["cards"] = {cid: FsrsCard.from_dict(c) for cid, c in data["cards"].items()}
            for key in ("reviews", "quiz_results"):
                data[key] = [dict(e) for e in data.get(key, [])]
                for e in data[key]:
                    e.setdefault("id", hashlib.sha256(
                        json.dumps(e, sort_keys=True).encode()).hexdigest()[:12])
            data["settings"] = dict(data.get("settings", {}))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise _Unreadable(str(err)) from err
        self._stamp = (stat.st_mtime_ns, stat.st_size)
        return data

    def _set_aside(self, reason: str) -> None:
        self.backup = self._move_aside()
        self.notice = (f"Your progress file could not be read ({reason}). It was kept as "
                       f"{self.backup} and a fresh one was started; nothing was deleted.")

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            with self._lock():
                try:
                    data = self._read_disk()
                except _Unreadable as err:
                    self._set_aside(str(err))
                    return
        except OSError as err:
            self.persist = False
            self.notice = (f"Your progress file {self.path} cannot be used ({err.strerror or err})."
                           " This session's progress will not be saved.")
            return
        if data is not None:
            self._adopt(data)

    def _adopt(self, data: dict) -> None:
        """Take the disk's content, with this session's unsaved changes on top."""
        cards = dict(data["cards"])
        for cid in self._dirty_cards:
            if cid in self.cards:
                cards[cid] = self.cards[cid]
            else:
                cards.pop(cid, None)
        merged = {}
        for key in ("reviews", "quiz_results"):
            entries = [e for e in data[key] if e["id"] not in self._removed]
            known = {e["id"] for e in entries}
            entries += [e for e in self._pending[key] if e["id"] not in known]
            merged[key] = sorted(entries, key=lambda e: e["at"])
        settings = {**self.settings, **data["settings"]}
        settings.update({k: self.settings[k] for k in self._dirty_settings})
        self.cards, self.settings = cards, settings
        self.reviews, self.quiz_results = merged["reviews"], merged["quiz_results"]
        self.learner = data.get("learner", self.learner)

    def _move_aside(self) -> Path:
        return move_aside(self.path, "corrupt")

    def _payload(self) -> str:
        data = {"format": FORMAT, "version": VERSION, "learner": self.learner,
                "settings": self.settings,
                "cards": {cid: c.to_dict() for cid, c in sorted(self.cards.items())},
                "reviews": self.reviews, "quiz_results": self.quiz_results}
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    def save(self) -> None:
        """Merge this session's changes with the file on disk and write it atomically.

        Held under a file lock, so saves from other surfaces are never lost.
        """
        if self.persist:
            with self._lock():
                try:
                    data = self._read_disk()
                except _Unreadable as err:
                    self._set_aside(str(err))
                    data = None
                if data is not None:
                    self._adopt(data)
                write_atomic(self.path, self._payload())
                stat = self.path.stat()
                self._stamp = (stat.st_mtime_ns, stat.st_size)
        self._dirty_cards.clear()
        self._dirty_settings.clear()
        self._pending = {"reviews": [], "quiz_results": []}
        self._removed.clear()
        self._notify()

    def sync(self) -> bool:
        """Re-read the file if another surface changed it; returns whether it had."""
        if not self.persist:
            return False
        try:
            stat = self.path.stat()
        except OSError:
            return False
        if self._stamp == (stat.st_mtime_ns, stat.st_size):
            return False
        try:
            data = self._read_disk()
        except _Unreadable:
            return False  # the next save sets it aside with a notice
        if data is None:
            return False
        self._adopt(data)
        self._notify()
        return True

    # ------------------------------------------------------------------ listeners
    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every change (views use it to stay up to date)."""
        ref = (weakref.WeakMethod(callback) if hasattr(callback, "__self__")
               else (lambda cb=callback: cb))
        self._listeners.append(ref)

    def _notify(self) -> None:
        alive = []
        for ref in self._listeners:
            callback = ref()
            if callback is not None:
                alive.append(ref)
                callback()
        self._listeners = alive

    # ------------------------------------------------------------------ days
    def local_now(self) -> datetime:
        """The clock's time in the learner's time zone."""
        now = self.clock()
        return now.astimezone(self.tz) if self.tz is not None else now.astimezone()

    def start_of_today(self) -> datetime:
        """The learner's last midnight."""
        now = self.local_now()
        return datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)

    def end_of_today(self) -> datetime:
        """The learner's next midnight."""
        return self.start_of_today() + timedelta(days=1)

    # ------------------------------------------------------------------ settings
    @property
    def new_per_day(self) -> int:
        """How many never-seen cards are offered each day."""
        return int(self.settings.get("new_per_day", NEW_PER_DAY))

    def set_new_per_day(self, n: int) -> None:
        """Change the daily limit on new cards (kept in the file)."""
        self._set("new_per_day", check_count(n, "new_per_day", min_val=0))

    @property
    def reached(self) -> str:
        """The last lesson the learner has reached ("00" to start with)."""
        return str(self.settings.get("reached", "00"))

    def set_reached(self, lesson: str) -> None:
        """Say which lesson the learner has reached; decks and quizzes follow it."""
        lesson = str(lesson).split("_")[0].zfill(2)
        if not (len(lesson) == 2 and lesson.isdigit()):
            raise ArgumentError(
                f"lesson: expected a lesson number such as '03', got {lesson!r}"
            )
        self._set("reached", lesson)

    def _set(self, key: str, value) -> None:
        self.settings[key] = value
        self._dirty_settings.add(key)
        self.save()

    def seed_for(self, name: str) -> int:
        """A shuffling seed that is the same every time for this learner and ``name``.

        The learner's id is written to the file on first use, so the next
        session (or another surface) shuffles the same way.
        """
        if self.persist and self._stamp is None:
            self.save()
        return int.from_bytes(hashlib.sha256(f"{self.learner}:{name}".encode()).digest()[:4],
                              "big")

    # ------------------------------------------------------------------ scheduling
    def is_new(self, card_id: str) -> bool:
        """True for a card never reviewed."""
        return card_id not in self.cards

    def new_seen_today(self) -> int:
        """How many cards were seen for the first time today."""
        start = self.start_of_today()
        return sum(1 for e in self.reviews
                   if e.get("new") and datetime.fromisoformat(e["at"]) >= start)

    def new_left_today(self) -> int:
        """How many more new cards today's limit allows."""
        return max(self.new_per_day - self.new_seen_today(), 0)

    def due(self, card_ids: Iterable[str], now: datetime | None = None,
            limit_new: bool = True) -> list[str]:
        """Cards due by ``now`` (default: now), in the given order.

        Cards seen before are due when FSRS says so; never-seen cards are due
        up to what is left of today's new-card limit (all of them when
        ``limit_new`` is False).
        """
        now = now or self.clock()
        ids = list(dict.fromkeys(card_ids))
        quota = self.new_left_today() if limit_new else len(ids)
        out = []
        for cid in ids:
            card = self.cards.get(cid)
            if card is None:
                if quota > 0:
                    out.append(cid)
                    quota -= 1
            elif card.due <= now:
                out.append(cid)
        return out

    def due_today(self, card_ids: Iterable[str], limit_new: bool = True) -> list[str]:
        """Cards due by the end of the learner's today, in the given order."""
        return self.due(card_ids, now=self.end_of_today(), limit_new=limit_new)

    def review(self, card_id: str, rating: str) -> datetime:
        """Record a review ("again", "hard", "good" or "easy"); returns the next due time."""
        check_choice(rating, "rating", RATINGS)
        self.sync()
        now = self.clock()
        before = self.cards.get(card_id)
        card = before if before is not None else FsrsCard(card_id=_stable_id(card_id), due=now)
        card, _ = self.scheduler.review_card(card, RATINGS[rating], review_datetime=now)
        entry = {"id": _entry_id(), "card": card_id, "rating": rating,
                 "at": now.isoformat(timespec="seconds"), "new": before is None,
                 "state": "new" if before is None else before.state.name.lower()}
        self.cards[card_id] = card
        self.reviews.append(entry)
        self._pending["reviews"].append(entry)
        self._dirty_cards.add(card_id)
        self._undo.append((card_id, before, entry["id"]))
        self.save()
        return card.due

    def can_undo(self) -> bool:
        """Whether this session has a rating to take back."""
        return bool(self._undo)

    def undo(self) -> str | None:
        """Take back this session's last rating; returns the card id (None if nothing to undo)."""
        if not self._undo:
            return None
        card_id, before, entry_id = self._undo.pop()
        if before is None:
            self.cards.pop(card_id, None)
        else:
            self.cards[card_id] = before
        self.reviews = [e for e in self.reviews if e["id"] != entry_id]
        self._pending["reviews"] = [e for e in self._pending["reviews"] if e["id"] != entry_id]
        self._removed.add(entry_id)
        self._dirty_cards.add(card_id)
        self.save()
        return card_id

    def record_quiz(self, name: str, score: int, total: int, answered: int | None = None,
                    lessons: Iterable[str] = ()) -> None:
        """Remember a finished quiz's score (kept in the same file).

        A lesson's quiz also marks that lesson as reached.
        """
        entry = {"id": _entry_id(), "quiz": name, "score": int(score), "total": int(total),
                 "answered": int(total if answered is None else answered),
                 "at": self.clock().isoformat(timespec="seconds")}
        self.quiz_results.append(entry)
        self._pending["quiz_results"].append(entry)
        lessons = sorted(lessons)
        if lessons and len(lessons) == 1 and lessons[0] > self.reached:
            self.settings["reached"] = lessons[0]
            self._dirty_settings.add("reached")
        self.save()

    # ------------------------------------------------------------------ statistics
    def stats(self, card_ids: Iterable[str], days: int = 14) -> dict:
        """Reviews per day, retention and what falls due in the coming week.

        Returns
        -------
        dict
            ``per_day``: list of (date, reviews) for the last ``days`` days;
            ``retention``: share of reviews of already-seen cards in the last
            30 days not rated "again" (None without such reviews);
            ``reviews_30d``: how many such reviews; ``due_week``: list of
            (date, cards due that day) for today and the next six days (cards
            seen before; never-seen cards are listed as ``new``);
            ``new``: cards never seen; ``seen``: cards seen at least once.
        """
        ids = list(dict.fromkeys(card_ids))
        today = self.local_now().date()
        zone = self.local_now().tzinfo
        stamps = [(datetime.fromisoformat(e["at"]).astimezone(zone), e) for e in self.reviews]
        counts = Counter(at.date() for at, _ in stamps)
        per_day = [(today - timedelta(days=k), counts.get(today - timedelta(days=k), 0))
                   for k in range(days - 1, -1, -1)]
        since = self.start_of_today() - timedelta(days=29)
        recalls = [e["rating"] != "again" for at, e in stamps
                   if at >= since and e.get("state") not in (None, "new")]
        due_days = Counter()
        for cid in ids:
            card = self.cards.get(cid)
            if card is not None:
                due_days[max(card.due.astimezone(zone).date(), today)] += 1
        week = [(today + timedelta(days=k), due_days.get(today + timedelta(days=k), 0))
                for k in range(7)]
        seen = sum(cid in self.cards for cid in ids)
        return {"per_day": per_day,
                "retention": sum(recalls) / len(recalls) if recalls else None,
                "reviews_30d": len(recalls), "due_week": week, "new": len(ids) - seen,
                "seen": seen}

    def state_name(self, card_id: str) -> str:
        """'new', 'learning', 'review' or 'relearning'."""
        card = self.cards.get(card_id)
        return "new" if card is None else State(card.state).name.lower()


def _stable_id(card_id: str) -> int:
    """A reproducible integer id for FSRS from the bank's string id."""
    return int.from_bytes(hashlib.sha256(card_id.encode()).digest()[:6], "big")
