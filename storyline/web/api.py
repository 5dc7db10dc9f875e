"""The JSON API under ``/api/``: everything the pages show, as data (GET only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from . import content
from .app import EngineDep
from .render import plain_snippet

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/stories", summary="Storylines and their events, newest and most covered first")
def stories(
    engine: EngineDep, limit: Annotated[int | None, Query(ge=1)] = None
) -> list[dict[str, Any]]:
    return content.front(engine, limit)


@router.get("/stories/{story_id}", summary="One storyline or event with everything it shows")
def story(engine: EngineDep, story_id: str) -> dict[str, Any]:
    return content.story(engine, story_id)


@router.get("/articles/{article_id}", summary="One article in the export schema")
def article(engine: EngineDep, article_id: str) -> dict[str, Any]:
    return engine.article(article_id).to_dict()


@router.get("/entities/{name:path}", summary="One entity: storylines, quotes by it, facts")
def entity(engine: EngineDep, name: str) -> dict[str, Any]:
    return engine.entity(name)


@router.get("/search", summary="Full-text search (SQLite FTS5 syntax) over everything")
def search(
    engine: EngineDep,
    q: Annotated[str, Query(description='FTS5 query, e.g. bridge OR "harbour bridge"')],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, list[dict[str, Any]]]:
    results = engine.search(q, limit)
    for hits in results.values():
        for hit in hits:
            for key in ("snippet", "name_snippet"):
                if key in hit:
                    hit[key] = plain_snippet(hit[key])
    return results


@router.get("/quotes", summary="What a person said, each quote once with its carriers")
def quotes(engine: EngineDep, speaker: str) -> list[dict[str, Any]]:
    return engine.quotes(speaker)
