"""A story's document: everything its page shows, as plain data, built once and stored.

:func:`story_document` puts a story (with its views), its headline, its articles'
listings, its events' listings and its coverage by outlet into one JSON-ready dict.
The engine stores it (see :mod:`storyline.viewstore`) and every interface reads it
back: pages and API answers are cut from it without reading an article.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import Article, Story, format_datetime, parse_datetime

__all__ = ["article_meta", "coverage", "listed", "outlets", "story_document"]


def story_document(
    story: Story,
    headline: str | None,
    articles: Sequence[Article],
    events: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """``story`` with its views filled in, plus what its page lists; ``events`` are
    store listings (:meth:`Store.story_listings`) of its events, in order."""
    data = story.to_dict()
    data["headline"] = headline or story.title
    data["articles"] = [article_meta(a) for a in articles]
    data["events"] = [listed(e) for e in events]
    data["outlets"] = outlets(articles, story)
    return data


def coverage(story: Story) -> dict[str, Any]:
    """A story's listing: title, dates and how many outlets covered it, and how."""
    return {
        "id": story.id,
        "kind": story.kind,
        "title": story.title,
        "articles": len(story.articles),
        "independent_reports": story.independent_reports,
        "copies": story.copies,
        "first_published": format_datetime(story.first_published),
        "last_published": format_datetime(story.last_published),
    }


def listed(row: dict[str, Any]) -> dict[str, Any]:
    """A store listing (:meth:`Store.story_listings`) in the shape of :func:`coverage`."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "title": row["title"],
        "articles": row["articles"],
        "independent_reports": row["independent_reports"],
        "copies": row["articles"] - row["independent_reports"],
        "first_published": format_datetime(parse_datetime(row["first_published"])),
        "last_published": format_datetime(parse_datetime(row["last_published"])),
    }


def article_meta(article: Article) -> dict[str, Any]:
    """An article without its text and annotations, for listings."""
    return {
        "id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "author": article.author,
        "url": article.url,
        "published": format_datetime(article.published),
        "event": article.event,
        "storyline": article.storyline,
        "copy_of": article.copy_of.to_dict() if article.copy_of else None,
    }


def outlets(articles: Sequence[Article], story: Story) -> list[dict[str, Any]]:
    """Coverage by outlet in order of first report: articles, originals, copies."""
    copied = {r.copy for r in story.republications}
    found: dict[str, dict[str, Any]] = {}
    for article in articles:
        name = article.outlet or "unknown outlet"
        entry = found.setdefault(
            name,
            {
                "outlet": name,
                "first": format_datetime(article.published),
                "articles": 0,
                "originals": 0,
                "copies": 0,
            },
        )
        entry["articles"] += 1
        entry["copies" if article.id in copied else "originals"] += 1
    return list(found.values())
