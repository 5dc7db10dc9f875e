"""The store: one SQLite file, one class, one writer.

Every write happens inside :meth:`Store.atomic`, which commits on success and
rolls back on any exception, Ctrl-C included, so the file never holds half an
article or half a batch. Nested ``atomic()`` blocks become savepoints. The
schema is a list of migrations applied in order on open and recorded in the
``migrations`` table; a file from a newer storyline is refused, never guessed at.

:class:`Store` is the one way in. What it stands on sits beside it, one concern a
module: :mod:`storyline.migrations` (the schema), :mod:`storyline.rows` (model
objects as rows and back), :mod:`storyline.fulltext` (FTS5 search),
:mod:`storyline.copyindex` (the copy index dedup reads and writes) and
:mod:`storyline.viewstore` (each story's version and stored views). The schema,
the search marks and :class:`SqliteCopyIndex` can be imported from here as well.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cluster import ClusterState, Profile
from .copyindex import COPY_INDEX_CACHE_MB, COPY_INDEX_MMAP_MB, SqliteCopyIndex
from .errors import NotFoundError, QueryError, StoreError
from .fulltext import (
    MATCH_END,
    MATCH_START,
    SEARCH_KINDS,
    SEARCH_WINDOW,
    index_article,
    search_kinds,
)
from .migrations import (
    COPY_INDEX,
    INITIAL_SCHEMA,
    LIVE_INGESTION,
    MIGRATIONS,
    SEARCH_INDEX,
    STORY_MEMBERS,
    STORY_VIEWS,
    Migration,
    apply_migrations,
    recorded_version,
)
from .model import Article, Assignment, CopyLink, Republication, Story, parse_datetime
from .rows import (
    INSERT_ARTICLE,
    INSERT_ASSIGNMENT,
    REPLACE_PROFILE,
    article_from_row,
    article_row,
    assignment_from_row,
    assignment_row,
    profile_from_row,
    profile_row,
    timestamp_now,
)

__all__ = [
    "COPY_INDEX",
    "COPY_INDEX_CACHE_MB",
    "COPY_INDEX_MMAP_MB",
    "INITIAL_SCHEMA",
    "LIVE_INGESTION",
    "MATCH_END",
    "MATCH_START",
    "MIGRATIONS",
    "SEARCH_INDEX",
    "SEARCH_KINDS",
    "SEARCH_WINDOW",
    "STORY_MEMBERS",
    "STORY_VIEWS",
    "FeedState",
    "Migration",
    "QueryError",
    "SqliteCopyIndex",
    "Store",
    "WarcProgress",
    "default_db_path",
]


@dataclass(slots=True)
class WarcProgress:
    """How far one WARC file was ingested: the offset of the first record not yet done."""

    path: str
    #: hash of the file's first bytes: a different file at the same path starts over
    fingerprint: str
    next_offset: int
    records: int
    finished: bool


@dataclass(slots=True)
class FeedState:
    """What storyline remembers of a watched feed between polls and restarts."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_poll: str | None = None
    last_error: str | None = None
    #: polls in a row that failed
    failures: int = 0


def default_db_path() -> str:
    return os.environ.get("STORYLINE_DB") or "storyline.db"


class Store:
    """SQLite-backed storage for articles, clusters and the assignment log."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        self.path = os.fspath(path)
        self._depth = 0
        self._searchable = False
        self._versioned = False
        if self.path != ":memory:":
            parent = Path(self.path).parent
            if not parent.is_dir():
                raise StoreError(f"{self.path}: folder {parent} does not exist")
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrate()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: not a storyline database ({error})") from error

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and schema ------------------------------------------------

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """A transaction (a savepoint when nested) that is rolled back on any exception."""
        depth = self._depth
        name = f"sp{depth}"
        self.db.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
        self._depth = depth + 1
        try:
            yield self.db
        except BaseException:
            self._depth = depth
            if depth == 0:
                self.db.execute("ROLLBACK")
            else:
                self.db.execute(f"ROLLBACK TO {name}")
                self.db.execute(f"RELEASE {name}")
            raise
        self._depth = depth
        self.db.execute("COMMIT" if depth == 0 else f"RELEASE {name}")

    @property
    def versioned(self) -> bool:
        """Whether the file keeps story versions and stored views (schema 6 on)."""
        return self._versioned

    @property
    def schema_version(self) -> int:
        return recorded_version(self.db)

    def migrate(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction."""
        applied = apply_migrations(self.db, self.path, MIGRATIONS)
        # a store opened by code that predates the search index (or the story versions)
        # has none to keep in step
        tables = {
            row[0]
            for row in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('search_index', 'story_versions')"
            )
        }
        self._searchable = "search_index" in tables
        self._versioned = "story_versions" in tables
        return applied

    # -- articles -----------------------------------------------------------------

    def known_identities(self, identities: Iterable[str]) -> set[str]:
        wanted = list(identities)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT identity FROM articles WHERE identity IN ({marks})", chunk
            )
            found.update(row[0] for row in rows)
        return found

    def has_article_id(self, article_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row is not None

    def insert_article(self, article: Article, identity: str, text_hash: str) -> None:
        self.db.execute(INSERT_ARTICLE, article_row(article, identity, text_hash))
        if self._searchable:
            index_article(self.db, article)
        self.touch_stories((article.event, article.storyline))

    def touch_stories(self, ids: Iterable[str | None]) -> None:
        """Raise the version of these stories (inside the caller's write), so that their
        stored views count as stale until recomputed; unknown ones start at version 1."""
        if not self._versioned:
            return
        self.db.executemany(
            """INSERT INTO story_versions (story, version) VALUES (?, 1)
               ON CONFLICT (story) DO UPDATE SET version = version + 1""",
            [(story,) for story in dict.fromkeys(ids) if story is not None],
        )

    def touch_stories_of(self, article_ids: Sequence[str]) -> None:
        """Raise the version of the events and storylines these articles are in."""
        touched: list[str | None] = []
        for start in range(0, len(article_ids), 500):
            chunk = list(article_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT event, storyline FROM articles WHERE id IN ({marks})", chunk
            )
            touched.extend(story for row in rows for story in row)
        self.touch_stories(touched)

    def search(
        self, query: str, kind: str, limit: int = 20, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Full-text matches of one kind (``article``, ``quote`` or ``entity``), best first;
        see :meth:`search_kinds`."""
        if kind not in SEARCH_KINDS:
            raise ValueError(f"unknown search kind {kind!r}")
        return self.search_kinds(query, {kind: (limit, offset)})[kind]

    def search_kinds(
        self, query: str, pages: dict[str, tuple[int, int]]
    ) -> dict[str, list[dict[str, Any]]]:
        """Full-text matches of each kind in ``pages`` (kind: (limit, offset)), best first
        among the query's :data:`SEARCH_WINDOW` most recently stored matches; see
        :func:`storyline.fulltext.search_kinds`. Raises :class:`QueryError` when
        ``query`` is not valid FTS5 syntax."""
        return search_kinds(self.db, query, pages)

    def article(self, article_id: str) -> Article:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        return article_from_row(row)

    def articles(self, ids: Sequence[str] | None = None) -> Iterator[Article]:
        """Articles in ingest order (all of them, or those with the given ids)."""
        if ids is None:
            for row in self.db.execute("SELECT * FROM articles ORDER BY seq"):
                yield article_from_row(row)
            return
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            query = f"SELECT * FROM articles WHERE id IN ({marks}) ORDER BY seq"
            for row in self.db.execute(query, chunk):
                yield article_from_row(row)

    def listings(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Title, outlet, publication date, event and storyline of articles, by id: what a
        list shows, without reading texts and annotations."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT id, title, outlet, published, storyline, event FROM articles "
                f"WHERE id IN ({marks})"
            )
            found.update({row["id"]: dict(row) for row in self.db.execute(query, chunk)})
        return found

    def count_articles(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def event_of(self, article_id: str) -> str | None:
        """The event an article was placed in (None if unknown or not placed)."""
        row = self.db.execute("SELECT event FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    # -- clustering state ---------------------------------------------------------

    def load_cluster_state(self, capacity: int) -> ClusterState:
        """Term statistics and the ``capacity`` most recently written events and storylines.

        Profiles are rewritten with INSERT OR REPLACE, which gives the row a new rowid,
        so rowid order is the order of last activity.
        """
        df = Counter({row[0]: row[1] for row in self.db.execute("SELECT * FROM term_stats")})
        profiles: list[Profile] = []
        for kind in ("event", "storyline"):
            rows = self.db.execute(
                "SELECT * FROM clusters WHERE kind = ? ORDER BY rowid DESC LIMIT ?",
                (kind, capacity),
            ).fetchall()
            profiles.extend(profile_from_row(row) for row in reversed(rows))
        seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM clusters").fetchone()[0]
        return ClusterState.from_profiles(
            self.count_articles(), df, profiles, seq, capacity, loader=self.load_profile
        )

    def load_profile(self, cluster_id: str) -> Profile | None:
        row = self.db.execute("SELECT * FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
        return profile_from_row(row) if row else None

    def placements(self) -> list[tuple[str, str | None, str | None]]:
        """(article, event, storyline) for every article, in ingest order."""
        rows = self.db.execute("SELECT id, event, storyline FROM articles ORDER BY seq")
        return [(row[0], row[1], row[2]) for row in rows]

    def reset_clusters(self) -> None:
        """Forget every event, storyline and term statistic (the assignment log stays)."""
        self.db.execute("DELETE FROM clusters")
        self.db.execute("DELETE FROM term_stats")

    def set_placement(self, article_id: str, event: str | None, storyline: str | None) -> None:
        self.touch_stories_of([article_id])  # the stories it leaves
        self.touch_stories((event, storyline))
        self.db.execute(
            "UPDATE articles SET event = ?, storyline = ? WHERE id = ?",
            (event, storyline, article_id),
        )

    def save_cluster_changes(self, state: ClusterState) -> None:
        profiles, df_delta, assignments = state.drain()
        self.db.executemany(
            """INSERT INTO term_stats (term, df) VALUES (?, ?)
               ON CONFLICT (term) DO UPDATE SET df = df + excluded.df""",
            sorted(df_delta.items()),
        )
        self.db.executemany(REPLACE_PROFILE, [profile_row(p) for p in profiles])
        self.touch_stories(p.id for p in profiles)
        self.log_assignments(assignments)

    def log_assignments(self, assignments: Iterable[Assignment]) -> None:
        """Append decisions (clustering, copies) to the assignment log."""
        at = timestamp_now()
        self.db.executemany(INSERT_ASSIGNMENT, [assignment_row(a, at) for a in assignments])

    def assignments(self, article_id: str) -> list[Assignment]:
        rows = self.db.execute(
            "SELECT * FROM assignments WHERE article = ? ORDER BY seq", (article_id,)
        )
        return [assignment_from_row(row) for row in rows]

    # -- stories ------------------------------------------------------------------

    def stories(
        self,
        kind: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        *,
        by_day: bool = False,
    ) -> list[Story]:
        """Events and storylines, newest first (undated ones after, latest created first).

        With ``by_day``, stories last updated on the same day come largest first.
        """
        query, params = _story_order("*", kind, limit, offset, by_day)
        rows = self.db.execute(query, params).fetchall()
        return [self._story_from_row(row) for row in rows]

    def story_ids(
        self, kind: str | None = None, limit: int | None = None, offset: int = 0, *, by_day: bool
    ) -> list[str]:
        """The ids :meth:`stories` would return, without reading the stories."""
        query, params = _story_order("id", kind, limit, offset, by_day)
        return [row[0] for row in self.db.execute(query, params)]

    def events_of(
        self, storylines: Sequence[str], limit: int | None = None
    ) -> dict[str, list[str]]:
        """The events of each storyline, by storyline id, newest first and, on the same
        day, largest first; at most ``limit`` of each."""
        found: dict[str, list[str]] = {storyline: [] for storyline in storylines}
        for start in range(0, len(storylines), 500):
            chunk = list(storylines[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id, storyline FROM clusters WHERE kind = 'event' "
                f"AND storyline IN ({marks}) ORDER BY last_published IS NULL, "
                "substr(last_published, 1, 10) DESC, size DESC, seq DESC",
                chunk,
            )
            for row in rows:
                if limit is None or len(found[row[1]]) < limit:
                    found[row[1]].append(row[0])
        return found

    def count_events(self, storylines: Sequence[str]) -> dict[str, int]:
        found = dict.fromkeys(storylines, 0)
        marks = ",".join("?" * len(storylines))
        rows = self.db.execute(
            f"SELECT storyline, count(*) FROM clusters WHERE kind = 'event' "
            f"AND storyline IN ({marks}) GROUP BY storyline",
            list(storylines),
        )
        found.update({row[0]: row[1] for row in rows})
        return found

    def count_stories(self, kind: str | None = None) -> int:
        where, params = ("WHERE kind = ?", [kind]) if kind else ("", [])
        return int(self.db.execute(f"SELECT count(*) FROM clusters {where}", params).fetchone()[0])

    def version(self) -> tuple[int, int]:
        """A value that changes with every committed write batch: a cache key for views."""
        row = self.db.execute(
            "SELECT coalesce((SELECT max(seq) FROM articles), 0), "
            "coalesce((SELECT max(seq) FROM assignments), 0)"
        ).fetchone()
        return int(row[0]), int(row[1])

    def story_listings(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """How stories are listed, by id: kind, title, storyline, first and last
        publication, articles and independent reports (copy groups), without reading
        their articles' rows (see :data:`STORY_MEMBERS`)."""
        found: dict[str, dict[str, Any]] = {}
        for kind in ("event", "storyline"):
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"""SELECT c.id, c.kind, c.title, c.storyline, c.first_published,
                               c.last_published, count(a.id) AS articles,
                               count(DISTINCT coalesce(json_extract(a.copy_of, '$.original'),
                                                       a.id)) AS independent_reports
                        FROM clusters AS c LEFT JOIN articles AS a ON a.{kind} = c.id
                        WHERE c.kind = '{kind}' AND c.id IN ({marks}) GROUP BY c.id""",
                    chunk,
                )
                found.update({row["id"]: dict(row) for row in rows})
        return found

    def storylines_quoting(self, speaker: str) -> list[str]:
        """Storylines with an article whose quotes may name ``speaker`` (a cheap pre-filter)."""
        pattern = "%" + speaker.replace("%", "").replace("_", "") + "%"
        rows = self.db.execute(
            "SELECT DISTINCT storyline FROM articles WHERE storyline IS NOT NULL "
            "AND annotations LIKE ? ORDER BY storyline",
            (pattern,),
        )
        return [row[0] for row in rows]

    def story(self, story_id: str) -> Story:
        row = self.db.execute("SELECT * FROM clusters WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no event or storyline with id {story_id!r}")
        return self._story_from_row(row)

    def _story_from_row(self, row: sqlite3.Row) -> Story:
        column = "event" if row["kind"] == "event" else "storyline"
        members = self.db.execute(
            f"SELECT id, outlet, copy_of AS copy FROM articles WHERE {column} = ? "
            "ORDER BY published IS NULL, published, seq",
            (row["id"],),
        ).fetchall()
        articles = [r[0] for r in members]
        republications = self._republications(members)
        # one report per copy group present (a copy whose original lies outside counts once)
        copied = {r.copy: r.original for r in republications}
        reports = len({copied.get(article, article) for article in articles})
        events = []
        if row["kind"] == "storyline":
            events = [
                r[0]
                for r in self.db.execute(
                    "SELECT id FROM clusters WHERE kind = 'event' AND storyline = ? "
                    "ORDER BY first_published IS NULL, first_published, seq",
                    (row["id"],),
                )
            ]
        return Story(
            id=row["id"],
            kind=row["kind"],
            title=row["title"],
            articles=articles,
            first_published=parse_datetime(row["first_published"]),
            last_published=parse_datetime(row["last_published"]),
            events=events,
            storyline=row["storyline"],
            independent_reports=reports,
            copies=len(articles) - reports,
            republications=republications,
        )

    def _republications(self, members: Sequence[sqlite3.Row]) -> list[Republication]:
        """Who republished whom among a story's articles (originals may lie outside it)."""
        outlets: dict[str, str | None] = {r["id"]: r["outlet"] for r in members}
        links = [(r["id"], CopyLink.from_dict(json.loads(r["copy"]))) for r in members if r["copy"]]
        missing = sorted({link.original for _, link in links} - outlets.keys())
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, outlet FROM articles WHERE id IN ({marks})"
            outlets.update({r[0]: r[1] for r in self.db.execute(query, chunk)})
        return [
            Republication(
                copy=copy,
                copy_outlet=outlets.get(copy),
                original=link.original,
                original_outlet=outlets.get(link.original),
                kind=link.kind,
                similarity=link.similarity,
            )
            for copy, link in links
        ]

    # -- live ingestion: WARC progress and feed state ---------------------------------

    def warc_progress(self, path: str) -> WarcProgress | None:
        """How far a WARC file (by absolute path) was ingested, if it ever was."""
        row = self.db.execute("SELECT * FROM warc_progress WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        return WarcProgress(
            row["path"],
            row["fingerprint"],
            row["next_offset"],
            row["records"],
            bool(row["finished"]),
        )

    def save_warc_progress(self, progress: WarcProgress) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO warc_progress VALUES (?, ?, ?, ?, ?, ?)",
            (
                progress.path,
                progress.fingerprint,
                progress.next_offset,
                progress.records,
                int(progress.finished),
                timestamp_now(),
            ),
        )

    def feed_state(self, url: str) -> FeedState:
        """What the last polls of a feed left: validators, last poll, last error."""
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            return FeedState(url)
        return FeedState(
            row["url"],
            row["etag"],
            row["last_modified"],
            row["last_poll"],
            row["last_error"],
            row["failures"],
        )

    def save_feed_state(self, state: FeedState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?, ?, ?)",
            (
                state.url,
                state.etag,
                state.last_modified,
                state.last_poll,
                state.last_error,
                state.failures,
            ),
        )

    def seen_feed_items(self, feed: str) -> set[str]:
        """The ids of the items already taken from a feed."""
        rows = self.db.execute("SELECT item FROM feed_items WHERE feed = ?", (feed,))
        return {row[0] for row in rows}

    def mark_feed_items_seen(self, feed: str, items: Iterable[str]) -> None:
        now = timestamp_now()
        self.db.executemany(
            "INSERT OR IGNORE INTO feed_items VALUES (?, ?, ?)", [(feed, i, now) for i in items]
        )


def _story_order(
    columns: str, kind: str | None, limit: int | None, offset: int, by_day: bool
) -> tuple[str, list[Any]]:
    where = "WHERE kind = ?" if kind else ""
    params: list[Any] = [kind] if kind else []
    newest = "substr(last_published, 1, 10) DESC, size DESC" if by_day else "last_published DESC"
    query = (
        f"SELECT {columns} FROM clusters {where} "
        f"ORDER BY last_published IS NULL, {newest}, seq DESC"
    )
    if limit is not None or offset:
        query += " LIMIT ? OFFSET ?"
        params.extend((-1 if limit is None else limit, offset))
    return query, params
