"""The HTML pages: home, story, article, entity and search. GET only.

Lists are paged like the API (``limit``, ``offset``), with next and previous links.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from ..errors import QueryError
from . import content
from .app import EngineDep, cached, cached_story, html
from .render import paragraphs

router = APIRouter(include_in_schema=False)

Limit = Annotated[int, Query(ge=1, le=content.MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, engine: EngineDep, limit: Limit = content.PAGE_SIZE, offset: Offset = 0
) -> Response:
    def render() -> Response:
        found = content.front(engine, request.url, limit, offset)
        return html(request, "home.html", front=found)

    return cached(request, engine, render, None)


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story(
    request: Request,
    engine: EngineDep,
    story_id: str,
    limit: Limit = content.ARTICLES_PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    def render() -> Response:
        found = content.story(engine, story_id, request.url, limit, offset)
        return html(request, "story.html", story=found)

    return cached_story(request, engine, story_id, render)


@router.get("/stories/{story_id}/{section}", response_class=HTMLResponse)
def story_section(
    request: Request,
    engine: EngineDep,
    story_id: str,
    section: Literal["timeline", "quotes", "republications"],
    limit: Limit = content.ARTICLES_PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    def render() -> Response:
        found = content.story_section(engine, story_id, section, request.url, limit, offset)
        return html(request, "story_section.html", story=found, section=section)

    return cached_story(request, engine, story_id, render)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(
    request: Request,
    engine: EngineDep,
    article_id: str,
    start: int | None = None,
    end: int | None = None,
) -> HTMLResponse:
    found = engine.article(article_id)
    original = engine.article(found.copy_of.original) if found.copy_of else None
    return html(
        request,
        "article.html",
        article=found,
        original=original,
        paragraphs=paragraphs(found.text, start, end),
        entities=content.entities_of(found),
    )


@router.get("/entities/{name:path}", response_class=HTMLResponse)
def entity(
    request: Request,
    engine: EngineDep,
    name: str,
    limit: Limit = content.PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    def render() -> Response:
        found = content.entity(engine, name, request.url, limit, offset)
        return html(request, "entity.html", entity=found)

    return cached(request, engine, render, None)


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    engine: EngineDep,
    q: str = "",
    limit: Limit = content.PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    if not q.strip():
        return html(request, "search.html", query="", results=None)

    def render() -> Response:
        try:
            results = content.search(engine, q, request.url, limit, offset)
        except QueryError as error:
            return html(
                request, "search.html", status_code=400, query=q, results=None, error=str(error)
            )
        return html(request, "search.html", query=q, results=results)

    return cached(request, engine, render, None)
