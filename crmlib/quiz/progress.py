"""Spaced repetition with FSRS, and the progress file that remembers it.

Scheduling is done by the ``fsrs`` package (the Free Spaced Repetition
Scheduler that Anki adopted); this module only keeps each card's FSRS state
in a JSON file between sessions:

* default location: ``$CRM_PROGRESS`` if set, else ``progress.json`` in the
  user's data folder (``platformdirs.user_data_dir("crm-course")``);
* every save writes a temporary file and renames it, so a crash or a kill
  mid-write leaves the previous file intact;
* a file that is corrupt or belongs to something else is moved aside to
  ``<name>.corrupt-N.json`` with a warning, and a fresh one is started:
  nothing is lost silently and nothing crashes.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import platformdirs
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from crmlib.data import write_atomic

FORMAT = "crm-course-progress"
VERSION = 1
RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}


def default_path() -> Path:
    """Where progress lives unless told otherwise."""
    env = os.environ.get("CRM_PROGRESS")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("crm-course")) / "progress.json"


def _now() -> datetime:
    return datetime.now(UTC)


class Progress:
    """FSRS state of every card a learner has seen, persisted to a JSON file.

    Parameters
    ----------
    path : path-like, optional
        The progress file (see :func:`default_path`). ``None`` also reads
        ``$CRM_PROGRESS``.
    clock : callable, optional
        Returns the current time (timezone-aware); tests pass a fixed one.
    persist : bool
        ``False`` keeps everything in memory (for notebooks run as tests).
    """

    def __init__(self, path=None, clock: Callable[[], datetime] | None = None,
                 persist: bool = True):
        self.path = Path(path) if path is not None else default_path()
        self.clock = clock or _now
        self.persist = persist
        # One 10-minute learning step: "knew it" on a new card graduates it (back in a
        # few days), "again" keeps it in today's session. No fuzzing: reproducible.
        self.scheduler = Scheduler(learning_steps=(timedelta(minutes=10),),
                                   enable_fuzzing=False)
        self.cards: dict[str, FsrsCard] = {}
        self.quiz_results: list[dict] = []
        self.backup: Path | None = None
        if persist:
            self._load()

    # ------------------------------------------------------------------ file
    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not (isinstance(data, dict) and data.get("format") == FORMAT):
                raise ValueError("not a crm-course progress file")
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            cards = {cid: FsrsCard.from_dict(c) for cid, c in data["cards"].items()}
            results = list(data.get("quiz_results", []))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            self.backup = self._move_aside()
            warnings.warn(f"{self.path}: unreadable progress file ({err}); it was kept as "
                          f"{self.backup} and a fresh one started", stacklevel=3)
            return
        self.cards, self.quiz_results = cards, results

    def _move_aside(self) -> Path:
        n = 1
        while True:
            target = self.path.with_name(f"{self.path.stem}.corrupt-{n}{self.path.suffix}")
            if not target.exists():
                os.replace(self.path, target)
                return target
            n += 1

    def save(self) -> None:
        """Write the progress file atomically (no-op when not persisting)."""
        if not self.persist:
            return
        data = {"format": FORMAT, "version": VERSION,
                "cards": {cid: c.to_dict() for cid, c in sorted(self.cards.items())},
                "quiz_results": self.quiz_results}
        write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")

    # ------------------------------------------------------------------ scheduling
    def is_new(self, card_id: str) -> bool:
        """True for a card never reviewed."""
        return card_id not in self.cards

    def due(self, card_ids: Iterable[str], now: datetime | None = None) -> list[str]:
        """The cards due for review now (new cards count as due), in the given order."""
        now = now or self.clock()
        return [cid for cid in card_ids
                if cid not in self.cards or self.cards[cid].due <= now]

    def due_today(self, card_ids: Iterable[str]) -> list[str]:
        """The cards due by the end of today (new cards count as due), in the given order."""
        now = self.clock()
        end = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=now.tzinfo)
        return self.due(card_ids, now=end)

    def review(self, card_id: str, rating: str) -> datetime:
        """Record a review ("again", "hard", "good" or "easy"); returns the next due time."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {list(RATINGS)}, got {rating!r}")
        now = self.clock()
        card = self.cards.get(card_id)
        if card is None:
            card = FsrsCard(card_id=_stable_id(card_id), due=now)
        card, _ = self.scheduler.review_card(card, RATINGS[rating], review_datetime=now)
        self.cards[card_id] = card
        self.save()
        return card.due

    def record_quiz(self, name: str, score: int, total: int) -> None:
        """Remember a finished quiz's score (kept in the same file)."""
        self.quiz_results.append({"quiz": name, "score": score, "total": total,
                                  "at": self.clock().isoformat(timespec="seconds")})
        self.save()


def _stable_id(card_id: str) -> int:
    """A reproducible integer id for FSRS from the bank's string id."""
    return int.from_bytes(hashlib.sha256(card_id.encode()).digest()[:6], "big")
