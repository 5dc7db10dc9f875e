"""The copy index of :mod:`storyline.dedup` kept in the store's ``dedup_*`` tables.

:class:`SqliteCopyIndex` is the store's form of :class:`storyline.dedup.index.CopyIndex`
(schema version 2, :data:`storyline.migrations.COPY_INDEX`): ``dedup_docs`` numbers
the articles and names each one's copy group by its root, ``dedup_bands`` and
``dedup_anchors`` map MinHash band keys and containment anchors to articles, and
``dedup_lines`` counts the articles each outlet line fingerprint was seen in.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .dedup.index import IndexedDoc, NewDoc, Params, check_params
from .errors import StoreError
from .model import CopyLink, format_datetime, parse_datetime

if TYPE_CHECKING:
    from .store import Store

__all__ = ["COPY_INDEX_CACHE_MB", "COPY_INDEX_MMAP_MB", "SqliteCopyIndex"]

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
