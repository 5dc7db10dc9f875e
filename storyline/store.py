"""The store: one SQLite file, one class, one writer.

Every write happens inside :meth:`Store.atomic`, which commits on success and
rolls back on any exception, Ctrl-C included, so the file never holds half an
article or half a batch. Nested ``atomic()`` blocks become savepoints. The
schema is a list of migrations applied in order on open and recorded in the
``migrations`` table; a file from a newer storyline is refused, never guessed at.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .cluster import ClusterState, Profile
from .dedup.index import IndexedDoc, NewDoc, Params, check_params
from .errors import NotFoundError, QueryError, StoreError
from .model import (
    Article,
    Assignment,
    CopyLink,
    Republication,
    Story,
    format_datetime,
    parse_datetime,
)

#: a migration is an SQL script; it runs in one transaction together with its record
Migration = str

_ANNOTATIONS = ("entities", "quotes", "times", "facts")


INITIAL_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    identity TEXT NOT NULL UNIQUE,
    text_hash TEXT NOT NULL,
    url TEXT,
    path TEXT,
    outlet TEXT,
    author TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    published TEXT,
    language TEXT,
    event TEXT,
    storyline TEXT,
    copy_of TEXT,
    annotations TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    ingested_at TEXT NOT NULL
);
CREATE INDEX articles_text_hash ON articles (text_hash);
CREATE INDEX articles_event ON articles (event);
CREATE INDEX articles_storyline ON articles (storyline);
CREATE INDEX articles_published ON articles (published);
CREATE TABLE clusters (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'storyline')),
    seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    storyline TEXT,
    size INTEGER NOT NULL,
    first_published TEXT,
    last_published TEXT,
    vectors TEXT NOT NULL
);
CREATE INDEX clusters_kind ON clusters (kind, last_published);
CREATE TABLE term_stats (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE assignments (
    seq INTEGER PRIMARY KEY,
    article TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    created INTEGER NOT NULL,
    score REAL NOT NULL,
    runner_up TEXT,
    runner_up_score REAL,
    features TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX assignments_article ON assignments (article);
"""


COPY_INDEX = """
CREATE TABLE dedup_docs (
    doc INTEGER PRIMARY KEY,
    article TEXT NOT NULL UNIQUE,
    root INTEGER NOT NULL,
    published TEXT,
    length INTEGER NOT NULL
);
CREATE INDEX dedup_docs_root ON dedup_docs (root);
CREATE TABLE dedup_bands (
    key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)
) WITHOUT ROWID;
CREATE TABLE dedup_anchors (
    key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)
) WITHOUT ROWID;
CREATE TABLE dedup_lines (key INTEGER PRIMARY KEY, articles INTEGER NOT NULL);
"""

#: one row per article (title, text), per quote (speaker, words) and per entity an
#: article names (canonical name, the surface forms used); filled for existing articles
SEARCH_INDEX = """
CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED, article UNINDEXED, name, body, tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_index (kind, article, name, body)
    SELECT 'article', id, title, text FROM articles ORDER BY seq;
INSERT INTO search_index (kind, article, name, body)
    SELECT 'quote', a.id, coalesce(json_extract(q.value, '$.speaker'), ''),
           json_extract(q.value, '$.text')
    FROM articles AS a, json_each(a.annotations, '$.quotes') AS q ORDER BY a.seq, q.key;
INSERT INTO search_index (kind, article, name, body)
    SELECT 'entity', a.id, json_extract(e.value, '$.canonical'),
           group_concat(DISTINCT json_extract(e.value, '$.text'))
    FROM articles AS a, json_each(a.annotations, '$.entities') AS e
    GROUP BY a.seq, json_extract(e.value, '$.canonical') ORDER BY a.seq;
"""

#: how far each WARC file was ingested (a re-run starts there), and the state of each
#: watched feed with the ids of the items already taken from it
LIVE_INGESTION = """
CREATE TABLE warc_progress (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    next_offset INTEGER NOT NULL,
    records INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_poll TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE feed_items (
    feed TEXT NOT NULL, item TEXT NOT NULL, seen_at TEXT NOT NULL, PRIMARY KEY (feed, item)
) WITHOUT ROWID;
"""

#: what a story's listing reads of its articles, so that it comes from an index alone
#: (the columns sit after the text in a row, which large texts push onto overflow pages),
#: and a storyline's events
STORY_MEMBERS = """
CREATE INDEX articles_event_members ON articles (event, published, seq, id, outlet, copy_of);
CREATE INDEX articles_storyline_members
    ON articles (storyline, published, seq, id, outlet, copy_of);
CREATE INDEX clusters_storyline ON clusters (storyline, kind);
"""

#: each story's version, raised in the transaction of every write that touches it, and
#: its computed views (see :mod:`storyline.viewstore`): fresh while the two versions agree.
#: The documents sit apart from the versions so that raising a version never rewrites
#: a large document; existing stories start at version 1 with no views.
STORY_VIEWS = """
CREATE TABLE story_versions (
    story TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    claimed_until TEXT
) WITHOUT ROWID;
CREATE TABLE story_views (
    story TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    format INTEGER NOT NULL,
    computed_at TEXT NOT NULL,
    seconds REAL NOT NULL,
    document BLOB NOT NULL
);
INSERT INTO story_versions (story, version) SELECT id, 1 FROM clusters;
"""

#: (version, name, migration), applied in order; append only, never edit a released one
MIGRATIONS: Sequence[tuple[int, str, Migration]] = (
    (1, "initial schema", INITIAL_SCHEMA),
    (2, "copy index: MinHash bands, anchors, outlet line fingerprints", COPY_INDEX),
    (3, "full-text search over articles, quotes and entities (FTS5)", SEARCH_INDEX),
    (4, "live ingestion: WARC progress, feed state, feed items seen", LIVE_INGESTION),
    (5, "covering indexes for the articles and events of a story", STORY_MEMBERS),
    (6, "computed story views, with a version per story", STORY_VIEWS),
)

#: what search snippets put around matched words (private-use characters: never escaped
#: away, never in news text); interfaces turn them into highlighting
MATCH_START, MATCH_END = "\ue000", "\ue001"
SEARCH_KINDS = ("article", "quote", "entity")
#: how many of a query's most recently stored matches are ranked
SEARCH_WINDOW = 2000


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
        row = self.db.execute("SELECT max(version) FROM migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = self.schema_version
        known = max(version for version, _, _ in MIGRATIONS)
        if current > known:
            raise StoreError(
                f"{self.path}: written by a newer storyline (schema {current} > {known})"
            )
        # by what is recorded, not by the highest number: a migration numbered below one
        # already applied (work merged from elsewhere) still runs
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        applied = []
        for version, name, migration in MIGRATIONS:
            if version in done:
                continue
            values = f"{version}, {_sql_text(name)}, {_sql_text(_now())}"
            record = f"INSERT INTO migrations VALUES ({values});"
            try:
                # executescript commits whatever is pending first, so the transaction
                # has to live inside the script itself
                self.db.executescript(f"BEGIN IMMEDIATE;\n{migration}\n{record}\nCOMMIT;")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                # another process opening the same file (a server's workers) got there first
                recorded = "SELECT 1 FROM migrations WHERE version = ?"
                if self.db.execute(recorded, (version,)).fetchone() is not None:
                    continue
                raise
            applied.append(version)
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
        annotations = {name: [x.to_dict() for x in getattr(article, name)] for name in _ANNOTATIONS}
        self.db.execute(
            """INSERT INTO articles (id, identity, text_hash, url, path, outlet, author, title,
               text, published, language, event, storyline, copy_of, annotations, metadata,
               ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                article.id,
                identity,
                text_hash,
                article.url,
                article.path,
                article.outlet,
                article.author,
                article.title,
                article.text,
                format_datetime(article.published),
                article.language,
                article.event,
                article.storyline,
                json.dumps(article.copy_of.to_dict()) if article.copy_of else None,
                json.dumps(annotations, ensure_ascii=False),
                json.dumps(article.metadata, ensure_ascii=False, default=str),
                _now(),
            ),
        )
        self._index_for_search(article)
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

    def _index_for_search(self, article: Article) -> None:
        """Keep the full-text index in step with one newly inserted article."""
        if not self._searchable:
            return
        rows = [("article", article.id, article.title, article.text)]
        rows.extend(("quote", article.id, q.speaker or "", q.text) for q in article.quotes)
        forms: dict[str, list[str]] = {}
        for entity in article.entities:
            seen = forms.setdefault(entity.canonical, [])
            if entity.text not in seen:
                seen.append(entity.text)
        rows.extend(("entity", article.id, name, ",".join(texts)) for name, texts in forms.items())
        self.db.executemany(
            "INSERT INTO search_index (kind, article, name, body) VALUES (?, ?, ?, ?)", rows
        )

    def articles_naming(self, name: str) -> list[str]:
        """Ids of articles with an entity that may be ``name`` (any of its words), in order."""
        terms = ['"' + word.replace('"', '""') + '"' for word in name.split()]
        if not terms:
            return []
        rows = self.db.execute(
            "SELECT DISTINCT f.article FROM search_index AS f "
            "JOIN articles AS a ON a.id = f.article "
            "WHERE search_index MATCH ? AND f.kind = 'entity' ORDER BY a.seq",
            ("name : (" + " OR ".join(terms) + ")",),
        )
        return [row[0] for row in rows]

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
        among the query's :data:`SEARCH_WINDOW` most recently stored matches.

        Ranking every match costs time in proportion to their number (a name in the
        news matches most of a large store), while the newest matches come straight
        from the index: so the window is taken first, then ranked by BM25.

        Each hit has ``kind``, ``article``, ``name``, ``body`` (the quote's words, or an
        entity's surface forms) and ``name_snippet`` / ``snippet`` with matched words
        between :data:`MATCH_START` and :data:`MATCH_END` (entity hits of one name share
        the first one's). Raises :class:`QueryError` when ``query`` is not valid FTS5
        syntax.
        """
        unknown = set(pages) - set(SEARCH_KINDS)
        if unknown:
            raise ValueError(f"unknown search kind {sorted(unknown)[0]!r}")
        marks = (MATCH_START, MATCH_END, "…")
        try:
            window = self.db.execute(
                """SELECT rowid, kind, bm25(search_index) FROM search_index
                   WHERE search_index MATCH ? ORDER BY rowid DESC LIMIT ?""",
                (query, SEARCH_WINDOW),
            ).fetchall()
            ranked: dict[str, list[tuple[float, int]]] = {kind: [] for kind in pages}
            for rowid, kind, score in window:
                if kind in ranked:
                    ranked[kind].append((score, -rowid))
            chosen: dict[int, str] = {}
            for kind, (limit, offset) in pages.items():
                best = sorted(ranked[kind])[offset : offset + limit]
                chosen.update((-negative, kind) for _, negative in best)
            found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in pages}
            # a snippet re-runs the query, so entity hits of one name share the first's
            snipped: dict[tuple[str, str], dict[str, Any]] = {}
            for rowid, kind in chosen.items():
                row = self.db.execute(
                    "SELECT article, name, body FROM search_index WHERE rowid = ?", (rowid,)
                ).fetchone()
                hit = {"kind": kind, "article": row[0], "name": row[1], "body": row[2]}
                same = (kind, row[1]) if kind == "entity" else (kind, str(rowid))
                if same not in snipped:
                    snipped[same] = dict(
                        self.db.execute(
                            """SELECT snippet(search_index, 2, ?, ?, ?, 12) AS name_snippet,
                                      snippet(search_index, 3, ?, ?, ?, 24) AS snippet
                               FROM search_index WHERE search_index MATCH ? AND rowid = ?""",
                            (*marks, *marks, query, rowid),
                        ).fetchone()
                    )
                found[kind].append({**hit, **snipped[same]})
        except sqlite3.OperationalError as error:
            reasons = ("fts5", "syntax", "no such column", "unterminated", "unknown special")
            if any(reason in str(error) for reason in reasons):
                raise QueryError(f"cannot search for {query!r}: {error}") from error
            raise
        return found

    def article(self, article_id: str) -> Article:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        return _article_from_row(row)

    def articles(self, ids: Sequence[str] | None = None) -> Iterator[Article]:
        """Articles in ingest order (all of them, or those with the given ids)."""
        if ids is None:
            for row in self.db.execute("SELECT * FROM articles ORDER BY seq"):
                yield _article_from_row(row)
            return
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            query = f"SELECT * FROM articles WHERE id IN ({marks}) ORDER BY seq"
            for row in self.db.execute(query, chunk):
                yield _article_from_row(row)

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
            profiles.extend(_profile_from_row(row) for row in reversed(rows))
        seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM clusters").fetchone()[0]
        return ClusterState.from_profiles(
            self.count_articles(), df, profiles, seq, capacity, loader=self.load_profile
        )

    def load_profile(self, cluster_id: str) -> Profile | None:
        row = self.db.execute("SELECT * FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
        return _profile_from_row(row) if row else None

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
        self.db.executemany(
            """INSERT OR REPLACE INTO clusters (id, kind, seq, title, storyline, size,
               first_published, last_published, vectors)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    p.id,
                    p.kind,
                    p.seq,
                    p.title,
                    p.storyline,
                    p.size,
                    format_datetime(p.first),
                    format_datetime(p.last),
                    json.dumps(p.vectors),
                )
                for p in profiles
            ],
        )
        self.touch_stories(p.id for p in profiles)
        self.log_assignments(assignments)

    def log_assignments(self, assignments: Iterable[Assignment]) -> None:
        """Append decisions (clustering, copies) to the assignment log."""
        now = _now()
        self.db.executemany(
            """INSERT INTO assignments (article, kind, target, created, score, runner_up,
               runner_up_score, features, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    a.article,
                    a.kind,
                    a.target,
                    int(a.created),
                    a.score,
                    a.runner_up,
                    a.runner_up_score,
                    json.dumps(a.features),
                    a.reason,
                    now,
                )
                for a in assignments
            ],
        )

    def assignments(self, article_id: str) -> list[Assignment]:
        rows = self.db.execute(
            "SELECT * FROM assignments WHERE article = ? ORDER BY seq", (article_id,)
        )
        return [
            Assignment(
                article=row["article"],
                kind=row["kind"],
                target=row["target"],
                created=bool(row["created"]),
                score=row["score"],
                runner_up=row["runner_up"],
                runner_up_score=row["runner_up_score"],
                features=json.loads(row["features"]),
                reason=row["reason"],
            )
            for row in rows
        ]

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
                _now(),
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
        now = _now()
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


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _article_from_row(row: sqlite3.Row) -> Article:
    annotations = json.loads(row["annotations"])
    data = {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a Mapping
    data.update(annotations)
    data["metadata"] = json.loads(row["metadata"])
    data["copy_of"] = json.loads(row["copy_of"]) if row["copy_of"] else None
    return Article.from_dict(data)


def _profile_from_row(row: sqlite3.Row) -> Profile:
    return Profile(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        seq=row["seq"],
        vectors=json.loads(row["vectors"]),
        size=row["size"],
        first=parse_datetime(row["first_published"]),
        last=parse_datetime(row["last_published"]),
        storyline=row["storyline"],
    )


#: page cache and file mapping :class:`SqliteCopyIndex` gives its connection, at least
COPY_INDEX_CACHE_MB, COPY_INDEX_MMAP_MB = 64, 2048


class SqliteCopyIndex:
    """The copy index of :mod:`storyline.dedup` in the store's ``dedup_*`` tables.

    Nothing is loaded on open: every lookup is an indexed query (text hash via
    ``articles.text_hash``, band keys and anchors via their primary keys, at most
    ``per_key`` rows each), so the cost per article does not grow with the store.
    Writes happen on the store's connection, inside the caller's transaction.

    Every article reads and writes a few dozen B-tree pages at random keys (band
    keys and anchors are hashes), so once the store outgrows SQLite's default page
    cache of 2 MB nearly every page comes from the operating system. The index
    raises the connection's page cache to ``cache_mb`` (dirty pages of a batch stay
    in memory until its commit) and maps up to ``mmap_mb`` of the file (pages are
    read without a system call), unless the connection was given more.
    """

    prefetch = True  # one query per batch instead of several per article

    def __init__(
        self,
        store: Store,
        *,
        cache_mb: int = COPY_INDEX_CACHE_MB,
        mmap_mb: int = COPY_INDEX_MMAP_MB,
    ) -> None:
        self.store = store
        self.db = store.db
        self._queries: dict[tuple[str, int], str] = {}
        page = int(self.db.execute("PRAGMA page_size").fetchone()[0])
        cache = int(self.db.execute("PRAGMA cache_size").fetchone()[0])
        if (-cache * 1024 if cache < 0 else cache * page) < cache_mb << 20:
            self.db.execute(f"PRAGMA cache_size = {-(cache_mb << 10)}")
        mapped = self.db.execute("PRAGMA mmap_size").fetchone()  # None in memory
        if mapped is not None and int(mapped[0]) < mmap_mb << 20:
            self.db.execute(f"PRAGMA mmap_size = {mmap_mb << 20}")

    def bind(self, params: Params) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'dedup'").fetchone()
        recorded = json.loads(row[0]) if row else None
        if check_params(recorded, params, self.store.path):
            value = json.dumps(dict(params), sort_keys=True)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('dedup', ?)", (value,))

    def by_text_hash(self, digest: str) -> list[IndexedDoc]:
        rows = self.db.execute(
            f"""SELECT {_DOC_COLUMNS} FROM articles a
                JOIN dedup_docs d ON d.article = a.id JOIN dedup_docs r ON r.doc = d.root
                WHERE a.text_hash = ? ORDER BY d.doc LIMIT 16""",
            (digest,),
        )
        return [_indexed(row) for row in rows]

    def by_bands(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        return self._lookup("dedup_bands", keys, per_key)

    def by_anchors(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        return self._lookup("dedup_anchors", keys, per_key)

    def _lookup(self, table: str, keys: Sequence[int], per_key: int) -> dict[int, int]:
        found: Counter[int] = Counter()
        for start in range(0, len(keys), 200):  # SQLite allows 500 terms in a compound select
            chunk = keys[start : start + 200]
            query = self._queries.get((table, len(chunk)))
            if query is None:
                one = f"SELECT doc FROM (SELECT doc FROM {table} WHERE key = ? LIMIT ?)"
                query = "\nUNION ALL ".join([one] * len(chunk))
                self._queries[(table, len(chunk))] = query
            params = [value for key in chunk for value in (key, per_key)]
            found.update(row[0] for row in self.db.execute(query, params))
        return dict(found)

    def postings(self, table: str, keys: Sequence[int], per_key: int) -> dict[int, list[int]]:
        name = {"bands": "dedup_bands", "anchors": "dedup_anchors"}.get(table)
        if name is None:
            raise ValueError(f"no copy index table {table!r} (bands or anchors)")
        found: dict[int, list[int]] = {}
        for start in range(0, len(keys), 200):  # SQLite allows 500 terms in a compound select
            chunk = keys[start : start + 200]
            query = self._queries.get((name + " postings", len(chunk)))
            if query is None:
                one = f"SELECT * FROM (SELECT key, doc FROM {name} WHERE key = ? LIMIT ?)"
                query = "\nUNION ALL ".join([one] * len(chunk))
                self._queries[(name + " postings", len(chunk))] = query
            params = [value for key in chunk for value in (key, per_key)]
            for key, doc in self.db.execute(query, params):
                found.setdefault(key, []).append(doc)
        return found

    def text_hash_keys(self, digests: Sequence[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for start in range(0, len(digests), 500):
            chunk = list(digests[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"""SELECT a.text_hash, d.doc FROM articles a JOIN dedup_docs d ON d.article = a.id
                    WHERE a.text_hash IN ({marks}) ORDER BY d.doc""",
                chunk,
            )
            for digest, doc in rows:
                keys = found.setdefault(digest, [])
                if len(keys) < 16:
                    keys.append(doc)
        return found

    def docs(self, keys: Sequence[int]) -> list[IndexedDoc]:
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            f"""SELECT {_DOC_COLUMNS} FROM dedup_docs d JOIN dedup_docs r ON r.doc = d.root
                WHERE d.doc IN ({marks})""",
            list(keys),
        )
        found = {row[0]: _indexed(row) for row in rows}
        return [found[key] for key in keys if key in found]

    def key_of(self, article_id: str) -> int | None:
        row = self.db.execute("SELECT doc FROM dedup_docs WHERE article = ?", (article_id,))
        found = row.fetchone()
        return int(found[0]) if found is not None else None

    def source(self, key: int) -> tuple[str, str | None]:
        row = self.db.execute(
            "SELECT a.text, a.outlet FROM dedup_docs d JOIN articles a ON a.id = d.article "
            "WHERE d.doc = ?",
            (key,),
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.store.path}: copy index entry {key} has no article")
        return row[0], row[1]

    def line_counts(self, keys: Sequence[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, articles FROM dedup_lines WHERE key IN ({marks})"
            found.update({row[0]: row[1] for row in self.db.execute(query, chunk)})
        return found

    def add(self, doc: NewDoc) -> int:
        # an original is its own root: its key is the next rowid (max + 1, as SQLite
        # numbers rows of a table without AUTOINCREMENT), which saves an UPDATE
        cursor = self.db.execute(
            """INSERT INTO dedup_docs (article, root, published, length) VALUES
               (?, coalesce(?, (SELECT coalesce(max(doc), 0) + 1 FROM dedup_docs)), ?, ?)""",
            (doc.id, doc.root, format_datetime(doc.published), doc.length),
        )
        key = cursor.lastrowid
        assert key is not None
        self.db.executemany(
            "INSERT OR IGNORE INTO dedup_bands (key, doc) VALUES (?, ?)",
            [(band, key) for band in doc.bands],
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO dedup_anchors (key, doc) VALUES (?, ?)",
            [(anchor, key) for anchor in doc.anchors],
        )
        self.db.executemany(
            """INSERT INTO dedup_lines (key, articles) VALUES (?, 1)
               ON CONFLICT (key) DO UPDATE SET articles = articles + 1""",
            [(line,) for line in doc.lines],
        )
        return key

    def repoint(self, old_root: int, new_root: int, link: CopyLink) -> list[str]:
        (new_id,) = self.db.execute(
            "SELECT article FROM dedup_docs WHERE doc = ?", (new_root,)
        ).fetchone()
        members = self.db.execute(
            """SELECT d.doc, d.article, a.copy_of FROM dedup_docs d
               LEFT JOIN articles a ON a.id = d.article WHERE d.root = ?""",
            (old_root,),
        ).fetchall()
        self.db.execute("UPDATE dedup_docs SET root = ? WHERE root = ?", (new_root, old_root))
        changed: list[tuple[str, str]] = []
        for doc, article, copy_of in members:
            if doc == old_root:
                current: CopyLink | None = link
            else:
                current = CopyLink.from_dict(json.loads(copy_of)) if copy_of else None
            if current is not None:
                changed.append((json.dumps(replace(current, original=new_id).to_dict()), article))
        self.db.executemany("UPDATE articles SET copy_of = ? WHERE id = ?", changed)
        # who copied whom changed in the stories these articles are in
        self.store.touch_stories_of([article for _, article in changed])
        return [article for _, article in changed]


_DOC_COLUMNS = "d.doc, d.article, d.root, r.article, d.published, d.length"


def _indexed(row: sqlite3.Row) -> IndexedDoc:
    return IndexedDoc(
        key=row[0],
        id=row[1],
        root=row[2],
        root_id=row[3],
        published=parse_datetime(row[4]),
        length=row[5],
    )
