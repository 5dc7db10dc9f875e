"""The application factory: a read-only engine for each request (taken from a pool, so
that a request does not open the store again), errors mapped to status codes (an HTML
page, or JSON under ``/api/``), security headers on every response.

Article text is untrusted: templates autoescape everything, and the Content-Security-
Policy allows no script at all (the pages need none) and nothing from other origins.
"""

from __future__ import annotations

import gc
import os
import queue
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Config
from ..engine import Engine
from ..errors import ConfigError, NotFoundError, QueryError, StoreError, StorylineError
from ..store import Store
from .content import ResponseCache, Version, story_version
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
        lifespan=_lifespan,
    )
    app.state.db = path
    app.state.config = config
    app.state.templates = Templates(HERE / "templates")
    app.state.response_cache = ResponseCache()
    app.state.engines = EnginePool(path, config)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from . import api, feeds, pages

    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(pages.router)
    _handle_errors(app)

    app.add_middleware(SecurityHeaders)
    return app


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response that does not set them.

    Plain ASGI rather than an ``@app.middleware`` function, which would pass every
    body through a stream (a story page of a large storyline is a megabyte).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # what was made while starting (modules, the app, its templates and schemas) lives
    # as long as the process: kept out of the cycle collector's passes, each of which
    # walked all of it (30 ms, holding up every request in flight); garbage collected
    # first, or a cycle among it would never be freed
    gc.collect()
    gc.freeze()
    yield
    app.state.engines.close()


class EnginePool:
    """Read-only engines (no NLP stages loaded), each used by one request at a time;
    at most ``keep`` idle ones stay open."""

    def __init__(self, db: str, config: Config, keep: int = 64) -> None:
        self.db, self.config = db, config
        self._idle: queue.LifoQueue[Engine] = queue.LifoQueue(maxsize=keep)

    def take(self) -> Engine:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return Engine(self.db, config=self.config, stages=[])

    def give_back(self, engine: Engine) -> None:
        if engine.store.db.in_transaction:  # a request that failed halfway: start afresh
            engine.close()
            return
        try:
            self._idle.put_nowait(engine)
        except queue.Full:
            engine.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def open_engine(request: Request) -> Iterator[Engine]:
    """A read-only engine for one request, given back to the pool after it."""
    pool: EnginePool = request.app.state.engines
    engine = pool.take()
    try:
        yield engine
    finally:
        pool.give_back(engine)


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


def cached(
    request: Request, engine: Engine, render: Callable[[], Response], version: Version | None
) -> Response:
    """``render()``'s answer, kept for this URL while ``version`` stays the same (the
    store's version when None is given)."""

    def rendered() -> tuple[int, str, bytes]:
        response = render()
        return response.status_code, response.media_type or "text/html", bytes(response.body)

    cache: ResponseCache = request.app.state.response_cache
    key = (f"{request.url.path}?{request.url.query}", version or ("store", *engine.version()))
    status, media_type, body = cache.get(key, rendered)
    return Response(body, status_code=status, media_type=media_type)


def cached_story(
    request: Request, engine: Engine, story_id: str, render: Callable[[], Response]
) -> Response:
    """:func:`cached` for an answer cut from one story's stored document, kept while the
    story's stored views stay the same."""
    version = story_version(engine, story_id)
    if version is None:  # computed now, and stored for the next request
        return render()
    return cached(request, engine, render, version)


def html(request: Request, template: str, **context: Any) -> HTMLResponse:
    templates: Templates = request.app.state.templates
    return templates.response(template, **context)
