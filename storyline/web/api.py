"""The JSON API under ``/api/``: everything the pages show, as data (GET only).

Every endpoint declares its response model (:mod:`.schemas`), so the OpenAPI document
describes what is sent. Lists are paged with ``limit`` and ``offset``; a value out of
bounds is a 400 that names the parameter and the bound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from . import content, schemas
from .app import EngineDep, cached, cached_story
from .render import plain_snippet

router = APIRouter(prefix="/api", tags=["api"])

Limit = Annotated[
    int, Query(ge=1, le=content.MAX_PAGE_SIZE, description="items per page (at most 100)")
]
Offset = Annotated[int, Query(ge=0, description="items to skip")]


@router.get(
    "/stories",
    summary="Storylines and their events, newest and most covered first",
    response_model=schemas.StoryList,
)
def stories(
    request: Request, engine: EngineDep, limit: Limit = content.PAGE_SIZE, offset: Offset = 0
) -> Response:
    def render() -> Response:
        found = content.front(engine, request.url, limit, offset)
        return _json(schemas.StoryList.model_validate(found))

    return cached(request, engine, render, None)


@router.get(
    "/stories/{story_id}",
    summary="One storyline or event with everything it shows; its articles are paged",
    response_model=schemas.StoryDetail,
)
def story(
    request: Request,
    engine: EngineDep,
    story_id: str,
    limit: Limit = content.ARTICLES_PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    def render() -> Response:
        found = content.story(engine, story_id, request.url, limit, offset)
        return _json(schemas.StoryDetail.model_validate(found))

    return cached_story(request, engine, story_id, render)


#: each of a story's long lists (:data:`content.SECTIONS`): its answer's model, and what
#: its endpoint serves
SECTION_ROUTES: dict[str, tuple[type[BaseModel], str]] = {
    "timeline": (schemas.StoryTimeline, "A story's whole timeline, in date order, paged"),
    "quotes": (
        schemas.StoryQuotes,
        "Every quote of a story with its carriers, in order of first carrier, paged",
    ),
    "republications": (schemas.StoryRepublications, "Who republished whom in a story, paged"),
    "estimated_dates": (
        schemas.StoryDates,
        "The publication date of each of a story's articles, known or estimated, paged",
    ),
}


def _section_endpoint(name: str, model: type[BaseModel]) -> Callable[..., Response]:
    def endpoint(
        request: Request,
        engine: EngineDep,
        story_id: str,
        limit: Limit = content.ARTICLES_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Response:
        def render() -> Response:
            found = content.story_section(engine, story_id, name, request.url, limit, offset)
            return _json(model.model_validate(found))

        return cached_story(request, engine, story_id, render)

    return endpoint


for _name, (_model, _summary) in SECTION_ROUTES.items():
    router.add_api_route(
        f"/stories/{{story_id}}/{_name}",
        _section_endpoint(_name, _model),
        methods=["GET"],
        summary=_summary,
        response_model=_model,
        name=f"story_{_name}",
    )


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")


@router.get(
    "/articles/{article_id}",
    summary="One article in the export schema",
    response_model=schemas.ArticleDetail,
)
def article(engine: EngineDep, article_id: str) -> dict[str, Any]:
    return engine.article(article_id).to_dict()


@router.get(
    "/entities/{name:path}",
    summary="One entity: storylines and quotes by it (paged), facts",
    response_model=schemas.EntityDetail,
)
def entity(
    request: Request,
    engine: EngineDep,
    name: str,
    limit: Limit = content.PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    def render() -> Response:
        found = content.entity(engine, name, request.url, limit, offset)
        return _json(schemas.EntityDetail.model_validate(found))

    return cached(request, engine, render, None)


@router.get(
    "/search",
    summary="Full-text search (SQLite FTS5 syntax) over everything, paged per kind",
    response_model=schemas.SearchResults,
)
def search(
    request: Request,
    engine: EngineDep,
    q: Annotated[str, Query(description='FTS5 query, e.g. bridge OR "harbour bridge"')],
    limit: Limit = content.PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    def render() -> Response:
        results = content.search(engine, q, request.url, limit, offset)
        for kind in ("articles", "quotes", "entities"):
            for hit in results[kind]:
                for key in ("snippet", "name_snippet"):
                    if key in hit:
                        hit[key] = plain_snippet(hit[key])
        return _json(schemas.SearchResults.model_validate(results))

    return cached(request, engine, render, None)


@router.get(
    "/quotes",
    summary="What a person said, each quote once with its carriers, paged",
    response_model=schemas.QuoteList,
)
def quotes(
    request: Request,
    engine: EngineDep,
    speaker: str,
    limit: Limit = content.PAGE_SIZE,
    offset: Offset = 0,
) -> Response:
    def render() -> Response:
        found = engine.quotes(speaker)
        more = offset + limit < len(found)
        page = content.page(request.url, limit, offset, len(found), more)
        answer = {"quotes": found[offset : offset + limit], "page": page}
        return _json(schemas.QuoteList.model_validate(answer))

    return cached(request, engine, render, None)
