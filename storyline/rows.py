"""How the model's objects are written as table rows and read back.

Each statement here sits beside the function that gives it its values, so the
order of the columns is stated once. What has no column of its own is JSON text:
an article's annotations, metadata and copy link, a profile's term vectors, an
assignment's features. Times are ISO 8601 text (see :func:`storyline.model.format_datetime`),
which sorts as it reads.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from .cluster import Profile
from .model import Article, Assignment, format_datetime, parse_datetime

__all__ = [
    "ANNOTATIONS",
    "INSERT_ARTICLE",
    "INSERT_ASSIGNMENT",
    "REPLACE_PROFILE",
    "article_from_row",
    "article_row",
    "assignment_from_row",
    "assignment_row",
    "profile_from_row",
    "profile_row",
    "timestamp_now",
]

#: the article fields kept together in the ``annotations`` column
ANNOTATIONS = ("entities", "quotes", "times", "facts")

INSERT_ARTICLE = """INSERT INTO articles (id, identity, text_hash, url, path, outlet, author, title,
   text, published, language, event, storyline, copy_of, annotations, metadata,
   ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

#: a profile is rewritten whole, which gives it a new rowid: rowid order is the
#: order of last activity (see :meth:`storyline.store.Store.load_cluster_state`)
REPLACE_PROFILE = """INSERT OR REPLACE INTO clusters (id, kind, seq, title, storyline, size,
   first_published, last_published, vectors)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""

INSERT_ASSIGNMENT = """INSERT INTO assignments (article, kind, target, created, score, runner_up,
   runner_up_score, features, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def timestamp_now() -> str:
    """The current time as the store records when something was written."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def article_row(article: Article, identity: str, text_hash: str) -> tuple[Any, ...]:
    """The values of :data:`INSERT_ARTICLE` for a newly stored article."""
    annotations = {name: [x.to_dict() for x in getattr(article, name)] for name in ANNOTATIONS}
    return (
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
        timestamp_now(),
    )


def article_from_row(row: sqlite3.Row) -> Article:
    annotations = json.loads(row["annotations"])
    data = {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a Mapping
    data.update(annotations)
    data["metadata"] = json.loads(row["metadata"])
    data["copy_of"] = json.loads(row["copy_of"]) if row["copy_of"] else None
    return Article.from_dict(data)


def profile_row(profile: Profile) -> tuple[Any, ...]:
    """The values of :data:`REPLACE_PROFILE` for an event's or a storyline's profile."""
    return (
        profile.id,
        profile.kind,
        profile.seq,
        profile.title,
        profile.storyline,
        profile.size,
        format_datetime(profile.first),
        format_datetime(profile.last),
        json.dumps(profile.vectors),
    )


def profile_from_row(row: sqlite3.Row) -> Profile:
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


def assignment_row(assignment: Assignment, at: str) -> tuple[Any, ...]:
    """The values of :data:`INSERT_ASSIGNMENT` for a decision logged at ``at``."""
    return (
        assignment.article,
        assignment.kind,
        assignment.target,
        int(assignment.created),
        assignment.score,
        assignment.runner_up,
        assignment.runner_up_score,
        json.dumps(assignment.features),
        assignment.reason,
        at,
    )


def assignment_from_row(row: sqlite3.Row) -> Assignment:
    return Assignment(
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
