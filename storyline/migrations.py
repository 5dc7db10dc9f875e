"""The store's schema: migrations applied in order, each recorded in the database.

A migration is an SQL script. :func:`apply_migrations` runs each one the
``migrations`` table has no record of in its own transaction, together with its
record, so a failure leaves the file at the version before it; a file recorded
at a version above every known one was written by a newer storyline and is
refused, never guessed at. :data:`MIGRATIONS` is append only: a released
migration is never edited, a change to the schema is a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .errors import StoreError
from .rows import timestamp_now

__all__ = [
    "COPY_INDEX",
    "INITIAL_SCHEMA",
    "LIVE_INGESTION",
    "MIGRATIONS",
    "SEARCH_INDEX",
    "STORYLINE_ENTITIES",
    "STORY_MEMBERS",
    "STORY_VIEWS",
    "Migration",
    "apply_migrations",
    "recorded_version",
]

#: a migration is an SQL script; it runs in one transaction together with its record
Migration = str


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

#: per storyline, each named entity with what its entity page shows of that storyline
#: (mentions, aliases, articles, facts, quotes by it), written with the storyline's
#: stored views (see :mod:`storyline.viewstore`). The document format moves on with it,
#: so every story's views are computed again and the rows filled in.
STORYLINE_ENTITIES = """
CREATE TABLE storyline_entities (
    entity TEXT NOT NULL,
    storyline TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    detail BLOB NOT NULL,
    PRIMARY KEY (entity, storyline)
) WITHOUT ROWID;
CREATE INDEX storyline_entities_storyline ON storyline_entities (storyline);
"""

#: (version, name, migration), applied in order; append only, never edit a released one
MIGRATIONS: Sequence[tuple[int, str, Migration]] = (
    (1, "initial schema", INITIAL_SCHEMA),
    (2, "copy index: MinHash bands, anchors, outlet line fingerprints", COPY_INDEX),
    (3, "full-text search over articles, quotes and entities (FTS5)", SEARCH_INDEX),
    (4, "live ingestion: WARC progress, feed state, feed items seen", LIVE_INGESTION),
    (5, "covering indexes for the articles and events of a story", STORY_MEMBERS),
    (6, "computed story views, with a version per story", STORY_VIEWS),
    (7, "named entities of each storyline, for entity pages", STORYLINE_ENTITIES),
)


def recorded_version(db: sqlite3.Connection) -> int:
    """The highest schema version the ``migrations`` table records (0 for none)."""
    row = db.execute("SELECT max(version) FROM migrations").fetchone()
    return int(row[0] or 0)


def apply_migrations(
    db: sqlite3.Connection, path: str, migrations: Sequence[tuple[int, str, Migration]]
) -> list[int]:
    """Apply the ``migrations`` that ``db`` (the file at ``path``) has no record of, in
    order, each in its own transaction; the versions applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = recorded_version(db)
    known = max(version for version, _, _ in migrations)
    if current > known:
        raise StoreError(f"{path}: written by a newer storyline (schema {current} > {known})")
    # by what is recorded, not by the highest number: a migration numbered below one
    # already applied (work merged from elsewhere) still runs
    done = {row[0] for row in db.execute("SELECT version FROM migrations")}
    applied = []
    for version, name, migration in migrations:
        if version in done:
            continue
        values = f"{version}, {_sql_text(name)}, {_sql_text(timestamp_now())}"
        record = f"INSERT INTO migrations VALUES ({values});"
        try:
            # executescript commits whatever is pending first, so the transaction
            # has to live inside the script itself
            db.executescript(f"BEGIN IMMEDIATE;\n{migration}\n{record}\nCOMMIT;")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            # another process opening the same file (a server's workers) got there first
            recorded = "SELECT 1 FROM migrations WHERE version = ?"
            if db.execute(recorded, (version,)).fetchone() is not None:
                continue
            raise
        applied.append(version)
    return applied


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
