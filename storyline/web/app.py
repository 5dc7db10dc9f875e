"""The application factory: one read-only engine per request, errors mapped to status
codes (an HTML page, or JSON under ``/api/``), security headers on every response.

Article text is untrusted: templates autoescape everything, and the Content-Security-
Policy allows no script at all (the pages need none) and nothing from other origins.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ..config import Config
from ..engine import Engine
from ..errors import ConfigError, NotFoundError, QueryError, StoreError, StorylineError
from ..store import Store
from .content import ResponseCache, StoryCache
from .render import Templates

HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

#: storyline's errors and the status each becomes
STATUS: dict[type[StorylineError], int] = {
    NotFoundError: 404,
    QueryError: 400,
    StoreError: 503,
    ConfigError: 500,
}


def create_app(
    db: str | os.PathLike[str] | None = None, *, config: Config | None = None
) -> FastAPI:
    """The web app over the store at ``db`` (default: the configured one).

    The store is opened (and migrated) once here, so a bad path fails at start-up.
    """
    config = config or Config.load()
    path = os.fspath(db) if db is not None else config.db
    Store(path).close()
    app = FastAPI(
        title="storyline",
        summary="Stories, articles, quotes and entities of a storyline store, read-only.",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.db = path
    app.state.config = config
    app.state.templates = Templates(HERE / "templates")
    app.state.story_cache = StoryCache()
    app.state.response_cache = ResponseCache()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from . import api, feeds, pages

    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(pages.router)
    _handle_errors(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def open_engine(request: Request) -> Iterator[Engine]:
    """A read-only engine (no NLP stages loaded) for one request."""
    state = request.app.state
    engine = Engine(state.db, config=state.config, stages=[])
    try:
        yield engine
    finally:
        engine.close()


EngineDep = Annotated[Engine, Depends(open_engine)]


def error_response(request: Request, status: int, message: str) -> Response:
    """JSON ``{"error": ...}`` under ``/api/``, an HTML page everywhere else."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    templates: Templates = request.app.state.templates
    return templates.response("error.html", status=status, status_code=status, message=message)


def _handle_errors(app: FastAPI) -> None:
    async def storyline_error(request: Request, error: Exception) -> Response:
        status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 500)
        return error_response(request, status, str(error))

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        message = "no such page" if error.status_code == 404 else str(error.detail)
        return error_response(request, error.status_code, message)

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        return error_response(request, 400, f"bad request: {problems}")

    app.add_exception_handler(StorylineError, storyline_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)


def cached(request: Request, engine: Engine, render: Callable[[], Response]) -> Response:
    """``render()``'s answer, kept for this URL until the store changes."""

    def rendered() -> tuple[int, str, bytes]:
        response = render()
        return response.status_code, response.media_type or "text/html", bytes(response.body)

    cache: ResponseCache = request.app.state.response_cache
    key = (f"{request.url.path}?{request.url.query}", engine.version())
    status, media_type, body = cache.get(key, rendered)
    return Response(body, status_code=status, media_type=media_type)


def html(request: Request, template: str, **context: Any) -> HTMLResponse:
    templates: Templates = request.app.state.templates
    return templates.response(template, **context)
