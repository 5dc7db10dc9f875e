"""What the pages, the API and the feeds show, assembled from :class:`Engine` calls."""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..model import Article, Story, format_datetime


def front(engine: Engine, limit: int | None = None) -> list[dict[str, Any]]:
    """Storylines with their events, newest first and, on the same day, most covered first."""
    storylines = engine.stories()

    def order(story: Story) -> tuple[str, int]:
        return ((format_datetime(story.last_published) or "")[:10], story.independent_reports or 0)

    storylines.sort(key=order, reverse=True)
    found = []
    for storyline in storylines[:limit]:
        events = [engine.story(event, views=False) for event in storyline.events]
        events.sort(key=order, reverse=True)
        found.append({**coverage(storyline), "events": [coverage(e) for e in events]})
    return found


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


def story(engine: Engine, story_id: str) -> dict[str, Any]:
    """Everything the story page shows, as plain data."""
    page = engine.story_page(story_id)
    data = page.story.to_dict()
    data["headline"] = page.headline
    data["articles"] = [article_meta(a) for a in page.articles]
    data["events"] = [coverage(e) for e in page.events]
    data["outlets"] = outlets(page.articles, page.story)
    return data


def outlets(articles: list[Article], story: Story) -> list[dict[str, Any]]:
    """Coverage by outlet in order of first report: articles, originals, copies."""
    copied = {r.copy for r in story.republications}
    found: dict[str, dict[str, Any]] = {}
    for article in articles:  # publication order
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


def entities_of(article: Article) -> list[dict[str, Any]]:
    """An article's named entities, each once, most mentioned first."""
    counts: dict[str, dict[str, Any]] = {}
    for entity in article.entities:
        entry = counts.setdefault(
            entity.canonical, {"name": entity.canonical, "label": entity.label, "mentions": 0}
        )
        entry["mentions"] += 1
    return sorted(counts.values(), key=lambda e: (-e["mentions"], e["name"]))
