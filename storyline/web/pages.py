"""The HTML pages: home, story, article, entity and search. GET only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..errors import QueryError
from . import content
from .app import EngineDep, html
from .render import paragraphs

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, engine: EngineDep) -> HTMLResponse:
    return html(request, "home.html", storylines=content.front(engine))


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story(request: Request, engine: EngineDep, story_id: str) -> HTMLResponse:
    return html(request, "story.html", story=content.story(engine, story_id))


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
def entity(request: Request, engine: EngineDep, name: str) -> HTMLResponse:
    return html(request, "entity.html", entity=engine.entity(name))


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, engine: EngineDep, q: str = "") -> HTMLResponse:
    if not q.strip():
        return html(request, "search.html", query="", results=None)
    try:
        results = engine.search(q)
    except QueryError as error:
        return html(
            request, "search.html", status_code=400, query=q, results=None, error=str(error)
        )
    return html(request, "search.html", query=q, results=results)
