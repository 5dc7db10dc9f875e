"""Full-text search over the store: the FTS5 table ``search_index`` and its queries.

The table (schema version 3, :data:`storyline.migrations.SEARCH_INDEX`) holds one
row per article (title, text), per quote (speaker, words) and per entity an article
names (canonical name, the surface forms used). :func:`index_article` adds a new
article's rows in the transaction that stores it, so the index never lags the
articles. Queries are FTS5 syntax; one that SQLite cannot parse raises
:class:`~storyline.errors.QueryError`, which interfaces report as the user's mistake.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .errors import QueryError
from .model import Article

__all__ = [
    "MATCH_END",
    "MATCH_START",
    "SEARCH_KINDS",
    "SEARCH_WINDOW",
    "QueryError",
    "index_article",
    "search_kinds",
]

#: what search snippets put around matched words (private-use characters: never escaped
#: away, never in news text); interfaces turn them into highlighting
MATCH_START, MATCH_END = "\ue000", "\ue001"
SEARCH_KINDS = ("article", "quote", "entity")
#: how many of a query's most recently stored matches are ranked
SEARCH_WINDOW = 2000


def index_article(db: sqlite3.Connection, article: Article) -> None:
    """Add the rows of one newly inserted article to the index."""
    rows = [("article", article.id, article.title, article.text)]
    rows.extend(("quote", article.id, q.speaker or "", q.text) for q in article.quotes)
    forms: dict[str, list[str]] = {}
    for entity in article.entities:
        seen = forms.setdefault(entity.canonical, [])
        if entity.text not in seen:
            seen.append(entity.text)
    rows.extend(("entity", article.id, name, ",".join(texts)) for name, texts in forms.items())
    db.executemany("INSERT INTO search_index (kind, article, name, body) VALUES (?, ?, ?, ?)", rows)


def search_kinds(
    db: sqlite3.Connection, query: str, pages: dict[str, tuple[int, int]]
) -> dict[str, list[dict[str, Any]]]:
    """Full-text matches of each kind in ``pages`` (kind: (limit, offset)), best first
    among the query's :data:`SEARCH_WINDOW` most recently stored matches.

    Ranking every match costs time in proportion to their number (a name in the
    news matches most of a large store), while the newest matches come straight
    from the index: so the window is taken first, then ranked by BM25.

    Each hit has ``kind``, ``article``, ``name``, ``body`` (the quote's words, an
    entity's surface forms, empty for an article: its text is in the store) and
    ``name_snippet`` / ``snippet`` with matched words between :data:`MATCH_START` and
    :data:`MATCH_END` (entity hits of one name share the first one's). Raises
    :class:`QueryError` when ``query`` is not valid FTS5 syntax.
    """
    unknown = set(pages) - set(SEARCH_KINDS)
    if unknown:
        raise ValueError(f"unknown search kind {sorted(unknown)[0]!r}")
    try:
        window = db.execute(
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
        return _hits(db, query, chosen, pages)
    except sqlite3.OperationalError as error:
        reasons = ("fts5", "syntax", "no such column", "unterminated", "unknown special")
        if any(reason in str(error) for reason in reasons):
            raise QueryError(f"cannot search for {query!r}: {error}") from error
        raise


def _hits(
    db: sqlite3.Connection, query: str, chosen: dict[int, str], pages: dict[str, tuple[int, int]]
) -> dict[str, list[dict[str, Any]]]:
    """The chosen rows (rowid: kind) with their snippets, by kind in the order chosen."""
    marks = (MATCH_START, MATCH_END, "…")
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in pages}
    # a snippet re-runs the query, so entity hits of one name share the first's
    snipped: dict[tuple[str, str], dict[str, Any]] = {}
    for rowid, kind in chosen.items():
        # an article's body is its whole text: its snippet is what a hit shows of it
        row = db.execute(
            """SELECT article, name, CASE kind WHEN 'article' THEN '' ELSE body END
               FROM search_index WHERE rowid = ?""",
            (rowid,),
        ).fetchone()
        hit = {"kind": kind, "article": row[0], "name": row[1], "body": row[2]}
        same = (kind, row[1]) if kind == "entity" else (kind, str(rowid))
        if same not in snipped:
            snipped[same] = dict(
                db.execute(
                    """SELECT snippet(search_index, 2, ?, ?, ?, 12) AS name_snippet,
                              snippet(search_index, 3, ?, ?, ?, 24) AS snippet
                       FROM search_index WHERE search_index MATCH ? AND rowid = ?""",
                    (*marks, *marks, query, rowid),
                ).fetchone()
            )
        found[kind].append({**hit, **snipped[same]})
    return found
