"""What the engine's operations report: an ingest, a refresh of stored views, a re-clustering.

Each report counts what was done, sums up in one line (``summary``, what the CLI
prints) and turns into plain data (``to_dict``, what ``--json`` and the web API give).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import InputError

__all__ = ["IngestReport", "ReclusterReport", "RefreshReport"]


@dataclass(slots=True)
class IngestReport:
    """What one ingest did; ``ok`` is False when any input failed."""

    read: int = 0
    new: int = 0
    known: int = 0
    failed: int = 0
    errors: list[InputError] = field(default_factory=list)
    events: set[str] = field(default_factory=set)
    storylines: set[str] = field(default_factory=set)
    #: new articles linked as copies of an earlier one
    copies: int = 0
    #: inputs passed over without being errors (WARC records that are not articles...), by reason
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        text = (
            f"read {self.read}, new {self.new}, already known {self.known}, "
            f"failed {self.failed}; events touched {len(self.events)}, "
            f"storylines touched {len(self.storylines)}"
        )
        if self.skipped:
            reasons = ", ".join(f"{count} {why}" for why, count in sorted(self.skipped.items()))
            text += f"; skipped {sum(self.skipped.values())} ({reasons})"
        return text

    def add(self, other: IngestReport) -> None:
        """Count another report's work into this one."""
        self.read += other.read
        self.new += other.new
        self.known += other.known
        self.failed += other.failed
        self.errors.extend(other.errors)
        self.events.update(other.events)
        self.storylines.update(other.storylines)
        self.copies += other.copies
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "new": self.new,
            "known": self.known,
            "failed": self.failed,
            "errors": [str(error) for error in self.errors],
            "events": sorted(self.events),
            "storylines": sorted(self.storylines),
            "copies": self.copies,
            "skipped": dict(self.skipped),
        }


@dataclass(slots=True)
class RefreshReport:
    """What bringing stored story views up to date did."""

    #: stories whose views were computed and stored
    computed: int = 0
    #: their articles, counted once per story
    articles: int = 0
    seconds: float = 0.0
    #: computed, but a write touched the story meanwhile: still stale, done next time
    overtaken: int = 0
    #: left to another process that had claimed them
    elsewhere: int = 0
    #: the story took the longest, and how long (seconds)
    slowest: tuple[str, float] | None = None

    def add(self, other: RefreshReport) -> None:
        """Count the work of another process refreshing the same store alongside."""
        self.computed += other.computed
        self.articles += other.articles
        self.overtaken += other.overtaken
        self.seconds = max(self.seconds, other.seconds)
        if other.slowest is not None and (
            self.slowest is None or other.slowest[1] > self.slowest[1]
        ):
            self.slowest = other.slowest

    def summary(self) -> str:
        text = (
            f"views of {self.computed} stories ({self.articles} articles) brought up to "
            f"date in {self.seconds:.1f} s"
        )
        if self.slowest is not None:
            text += f"; slowest {self.slowest[0]} ({self.slowest[1]:.2f} s)"
        if self.overtaken:
            text += f"; {self.overtaken} changed meanwhile and stay stale"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "computed": self.computed,
            "articles": self.articles,
            "seconds": round(self.seconds, 3),
            "overtaken": self.overtaken,
            "elsewhere": self.elsewhere,
            "slowest": list(self.slowest) if self.slowest else None,
        }


@dataclass(slots=True)
class ReclusterReport:
    """What re-clustering changed: counts before and after, and every article that moved."""

    articles: int
    events_before: int
    storylines_before: int
    events_after: int = 0
    storylines_after: int = 0
    moved_events: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    moved_storylines: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.articles} articles: events {self.events_before} -> {self.events_after}, "
            f"storylines {self.storylines_before} -> {self.storylines_after}; "
            f"{len(self.moved_events)} articles changed event, "
            f"{len(self.moved_storylines)} changed storyline"
        )

    def to_dict(self) -> dict[str, Any]:
        moves = {"event": self.moved_events, "storyline": self.moved_storylines}
        return {
            "articles": self.articles,
            "events": [self.events_before, self.events_after],
            "storylines": [self.storylines_before, self.storylines_after],
            "moved": {
                kind: [{"article": a, "from": old, "to": new} for a, old, new in rows]
                for kind, rows in moves.items()
            },
        }
