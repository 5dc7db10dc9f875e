"""A scriptable HTTP server on 127.0.0.1 for the live-ingestion tests and benchmarks.

Routes map a path to a :class:`Reply`, a list of replies (served in turn, the
last one repeated) or a function of the request. Every request is logged with
its headers and arrival time. Paths with no route get a 404, robots.txt included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering (a slow server)
    delay: float = 0.0
    content_type: str = "text/html; charset=utf-8"


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    at: float


Route = Reply | list[Reply] | Callable[[Seen], Reply]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early (timeouts, refused bodies) are part of the tests."""


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                seen = Seen(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
                )
                with server._lock:
                    server.requests.append(seen)
                reply = server._reply(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": reply.content_type, **reply.headers}
                    headers.setdefault("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        if value:  # an empty value leaves the header out
                            self.send_header(name, value)
                    if not headers["Content-Length"]:
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]

    def _reply(self, seen: Seen) -> Reply:
        with self._lock:
            route = self.routes.get(seen.path)
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
        if route is None:
            return Reply(404, b"not found", content_type="text/plain")
        if isinstance(route, Reply):
            return route
        return route(seen)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def start(self) -> None:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serving() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def article_page(title: str, text: str, published: str | None = None) -> str:
    """An article as a news site would serve it: navigation, headline, paragraphs, footer."""
    paragraphs = "".join(f"<p>{paragraph}</p>\n" for paragraph in text.split("\n\n"))
    date = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (
        f"<!doctype html><html><head><title>{title}</title>{date}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>\n{paragraphs}</article>"
        "<footer>Copyright the publisher. All rights reserved.</footer></body></html>"
    )
