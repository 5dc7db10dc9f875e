"""Atom 1.0 feeds: the newest articles of a story, of an entity and of a search.

A feed holds the :data:`FEED_ENTRIES` newest articles, as feed readers expect: they
keep what they saw before, and a story of thousands of articles stays a small answer.

Built with ElementTree, which escapes every text and attribute; characters XML 1.0
cannot hold are dropped first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..engine import Engine
from ..model import Article, format_datetime
from .app import EngineDep
from .render import plain_snippet, quote_path

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ue000\ue001]")

router = APIRouter(prefix="/feeds", include_in_schema=False)
ET.register_namespace("", ATOM)


@router.get("/stories/{story_id}.atom")
def story_feed(request: Request, engine: EngineDep, story_id: str) -> Response:
    story = engine.story(story_id, views=False)
    articles = _newest(engine, story.articles)
    return _feed(request, story.title, f"/stories/{quote_path(story.id)}", articles)


@router.get("/entities/{name:path}.atom")
def entity_feed(request: Request, engine: EngineDep, name: str) -> Response:
    entity = engine.entity(name)
    articles = _newest(engine, entity["articles"])
    return _feed(request, entity["name"], f"/entities/{quote_path(entity['name'])}", articles)


@router.get("/search.atom")
def search_feed(request: Request, engine: EngineDep, q: str) -> Response:
    hits = engine.search(q)["articles"]
    articles = _in_order(engine, [hit["article"] for hit in hits])
    summaries = {hit["article"]: plain_snippet(hit["snippet"])["text"] for hit in hits}
    link = "/search?q=" + quote_path(q)
    return _feed(request, f"Search: {q}", link, articles, summaries)


def _newest(engine: Engine, ids: list[str]) -> list[Article]:
    """The :data:`FEED_ENTRIES` newest of the articles ``ids``, found from their listings
    so that only those are read whole."""
    listings = engine.store.listings(ids)
    newest = sorted(listings.values(), key=lambda a: a["published"] or "", reverse=True)
    return list(engine.articles([a["id"] for a in newest[:FEED_ENTRIES]]))


def _in_order(engine: Engine, ids: list[str]) -> list[Article]:
    found = {a.id: a for a in engine.articles(ids)}
    return [found[i] for i in ids if i in found]


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _feed(
    request: Request,
    title: str,
    path: str,
    articles: Iterable[Article],
    summaries: dict[str, str] | None = None,
) -> Response:
    base = str(request.base_url).rstrip("/")
    articles = sorted(
        articles, key=lambda a: a.published or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", base + path)
    _add(feed, "title", title)
    stamps = [a.published for a in articles if a.published]
    _add(feed, "updated", _stamp(max(stamps) if stamps else None))
    _add(feed, "link", rel="alternate", type="text/html", href=base + path)
    _add(feed, "link", rel="self", href=str(request.url))
    _add(_add(feed, "author"), "name", "storyline")
    _add(feed, "generator", "storyline")
    for article in articles:
        entry = _add(feed, "entry")
        url = f"{base}/articles/{quote_path(article.id)}"
        _add(entry, "id", url)
        _add(entry, "title", article.title or article.id)
        _add(entry, "updated", _stamp(article.published))
        if article.published:
            _add(entry, "published", _stamp(article.published))
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        if article.url:
            _add(entry, "link", rel="related", href=article.url)
        if article.author or article.outlet:
            _add(_add(entry, "author"), "name", article.author or article.outlet or "")
        summary = (summaries or {}).get(article.id) or _lead(article.text)
        _add(entry, "summary", summary, type="text")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    document = '<?xml version="1.0" encoding="utf-8"?>\n' + body
    return Response(document.encode("utf-8"), media_type=MEDIA_TYPE)


def _stamp(value: datetime | None) -> str:
    return format_datetime(value or datetime(1970, 1, 1, tzinfo=UTC)) or ""


def _lead(text: str, size: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size].rsplit(" ", 1)[0] + "…"
