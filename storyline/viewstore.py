"""Computed story views kept in the store, shared by every process that opens it.

A story's views (summary, timeline, quotes, contradictions, and the listings its
page shows) are computed from all its articles, which takes seconds for a large
storyline, so they are computed once and stored as one document per story in
``story_views`` (schema version 6, see :data:`storyline.migrations.STORY_VIEWS`).

Freshness is per story. Every write that touches a story (a new article in it, an
article moved in or out by re-clustering, a copy link re-pointed) raises the
story's version in ``story_versions`` inside the write's own transaction; a stored
document is fresh while it was computed at the story's current version and in the
current :data:`DOCUMENT_FORMAT`. A write therefore makes only its own stories stale,
and a batch that rolls back leaves their versions, and so their views, as they were.

A document is saved only if the story's version has not moved since the computation
started (compare and set), so a document computed from articles that a concurrent
write has since changed is never taken as fresh. A process about to compute a story
first claims it for :data:`CLAIM_SECONDS`; the others serve the stale document if
there is one, or wait for the claimant, instead of computing the same story again.

A storyline's document is saved with its named entities, one row each in
``storyline_entities`` (schema version 7), in the same transaction: entity pages read
those rows (:meth:`ViewStore.entity_rows`), never the storylines' articles.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .views.entities import entity_key

if TYPE_CHECKING:
    from .store import Store

__all__ = ["CLAIM_SECONDS", "DOCUMENT_FORMAT", "StoredViews", "ViewState", "ViewStore"]

#: the shape of a stored document; raised when it changes, which makes every stored
#: document stale (recomputed by ``storyline refresh`` or on first view)
DOCUMENT_FORMAT = 2
#: how long a claim to compute a story holds before others may take it over
CLAIM_SECONDS = 120


@dataclass(slots=True, frozen=True)
class ViewState:
    """A story's current version and that of its stored document, if any."""

    story: str
    version: int
    #: the version the stored document was computed at (None: nothing stored)
    stored: int | None
    #: whether the stored document has the current format
    current_format: bool
    claimed: bool

    @property
    def fresh(self) -> bool:
        return self.stored == self.version and self.current_format

    @property
    def servable(self) -> bool:
        """A document is stored, perhaps stale, in the current format."""
        return self.stored is not None and self.current_format


@dataclass(slots=True, frozen=True)
class StoredViews:
    """A stored document and the version of its story it was computed at."""

    version: int
    document: dict[str, Any]
    seconds: float


class ViewStore:
    """The ``story_versions`` and ``story_views`` tables of a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        # absent only from a store kept below schema 7 (by code that predates it)
        self._entity_rows = (
            self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'storyline_entities'"
            ).fetchone()
            is not None
        )

    def state(self, story_id: str) -> ViewState | None:
        """Where a story's views stand; None for a story the store does not track."""
        row = self.db.execute(
            """SELECT v.version, s.version, s.format, v.claimed_until
               FROM story_versions AS v LEFT JOIN story_views AS s ON s.story = v.story
               WHERE v.story = ?""",
            (story_id,),
        ).fetchone()
        if row is None:
            return None
        claimed = row[3] is not None and row[3] > _now()
        return ViewState(story_id, row[0], row[1], row[2] == DOCUMENT_FORMAT, claimed)

    def load(self, story_id: str) -> StoredViews | None:
        """The stored document of the current format (fresh or not), if there is one."""
        row = self.db.execute(
            "SELECT version, seconds, document FROM story_views WHERE story = ? AND format = ?",
            (story_id, DOCUMENT_FORMAT),
        ).fetchone()
        if row is None:
            return None
        return StoredViews(row[0], _unpack(row[2]), row[1])

    def stale(self, stories: Iterable[str] | None = None) -> list[tuple[str, int]]:
        """(story, current version) of the stories whose views are missing or stale,
        largest first (the most read, and the longest to wait for)."""
        query = """SELECT v.story, v.version, c.size, c.seq FROM story_versions AS v
                   JOIN clusters AS c ON c.id = v.story
                   LEFT JOIN story_views AS s ON s.story = v.story
                   WHERE (s.story IS NULL OR s.version != v.version OR s.format != ?)"""
        found: list[tuple[int, int, str, int]] = []
        if stories is None:
            rows = self.db.execute(query, (DOCUMENT_FORMAT,))
            found.extend((-row[2], row[3], row[0], row[1]) for row in rows)
        else:
            wanted = list(dict.fromkeys(stories))
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"{query} AND v.story IN ({marks})", (DOCUMENT_FORMAT, *chunk)
                )
                found.extend((-row[2], row[3], row[0], row[1]) for row in rows)
        return [(story, version) for _, _, story, version in sorted(found)]

    def count_stale(self) -> int:
        return len(self.stale())

    def save(
        self,
        story_id: str,
        version: int,
        document: dict[str, Any],
        seconds: float,
        entities: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Store a document computed at ``version`` and, for a storyline, its ``entities``
        (rows of :func:`storyline.views.entities.entity_index`, replacing the previous
        ones); False (nothing written) when the story has moved on since, or the store
        stayed busy."""
        blob = _pack(document)
        rows = [
            (entity_key(row["canonical"]), story_id, row["mentions"], _pack(row))
            for row in entities or ()
        ]
        try:
            with self.store.atomic():
                current = self.db.execute(
                    "SELECT version FROM story_versions WHERE story = ?", (story_id,)
                ).fetchone()
                if current is None or current[0] != version:
                    return False
                self.db.execute(
                    """INSERT OR REPLACE INTO story_views
                       (story, version, format, computed_at, seconds, document)
                       VALUES (?, ?, ?, ?, ?, ?)""",
                    (story_id, version, DOCUMENT_FORMAT, _now(), seconds, blob),
                )
                if entities is not None and self._entity_rows:
                    self.db.execute(
                        "DELETE FROM storyline_entities WHERE storyline = ?", (story_id,)
                    )
                    self.db.executemany(
                        "INSERT OR REPLACE INTO storyline_entities VALUES (?, ?, ?, ?)", rows
                    )
                self.db.execute(
                    "UPDATE story_versions SET claimed_until = NULL WHERE story = ?", (story_id,)
                )
        except sqlite3.OperationalError as error:
            if _busy(error):
                return False
            raise
        return True

    def entity_rows(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """(storyline, row) for each storyline that names ``name`` (a canonical name, case
        and spacing ignored), most mentions first, from the stored views of storylines
        that still exist."""
        found = self.db.execute(
            """SELECT e.storyline, e.detail FROM storyline_entities AS e
               JOIN clusters AS c ON c.id = e.storyline
               WHERE e.entity = ? ORDER BY e.mentions DESC, e.storyline""",
            (entity_key(name),),
        )
        return [(storyline, _unpack(detail)) for storyline, detail in found]

    def claim(self, story_id: str, *, force: bool = False) -> bool:
        """Claim a story's computation for :data:`CLAIM_SECONDS`; False when its views
        are fresh by now or another process holds a live claim (unless ``force``), or
        the store stayed busy."""
        until = (datetime.now(UTC) + timedelta(seconds=CLAIM_SECONDS)).isoformat()
        # in the one statement: another process may have just stored the views
        condition = (
            " AND NOT EXISTS (SELECT 1 FROM story_views AS s WHERE s.story = ?"
            " AND s.version = story_versions.version AND s.format = ?)"
        )
        params: tuple[Any, ...] = (until, story_id, story_id, DOCUMENT_FORMAT)
        if not force:
            condition += " AND (claimed_until IS NULL OR claimed_until <= ?)"
            params += (_now(),)
        try:
            with self.store.atomic():
                cursor = self.db.execute(
                    f"UPDATE story_versions SET claimed_until = ? WHERE story = ?{condition}",
                    params,
                )
        except sqlite3.OperationalError as error:
            if _busy(error):
                return False
            raise
        return cursor.rowcount == 1

    def release(self, story_id: str) -> None:
        """Give up a claim (the computation failed or its result was not saved)."""
        try:
            with self.store.atomic():
                self.db.execute(
                    "UPDATE story_versions SET claimed_until = NULL WHERE story = ?", (story_id,)
                )
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise

    def track(self, story_id: str) -> None:
        """Start tracking a story that has no version yet (a store written before
        version 6 by code that did not keep versions)."""
        with self.store.atomic():
            self.db.execute(
                "INSERT OR IGNORE INTO story_versions (story, version) VALUES (?, 1)",
                (story_id,),
            )

    def forget_missing(self) -> None:
        """Drop the versions and views of stories that no longer exist (inside the
        caller's write: re-clustering replaces every story)."""
        self.db.execute("DELETE FROM story_views WHERE story NOT IN (SELECT id FROM clusters)")
        self.db.execute("DELETE FROM story_versions WHERE story NOT IN (SELECT id FROM clusters)")


def _busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def wait_for(views: ViewStore, story_id: str, version: int, seconds: float) -> StoredViews | None:
    """Poll for a document of at least ``version`` that another process is computing."""
    deadline = time.monotonic() + seconds
    delay = 0.05
    while time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
        state = views.state(story_id)
        if state is None:
            return None
        if state.servable and state.stored is not None and state.stored >= version:
            return views.load(story_id)
        if not state.claimed:
            return None
    return None


def _pack(data: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 6)


def _unpack(blob: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(zlib.decompress(blob))
    return loaded
