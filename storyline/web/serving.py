"""Running the web app under uvicorn, in one process or in several.

Worker processes import the app factory themselves, so the settings reach them
through the environment (``STORYLINE_CONFIG``, ``STORYLINE_DB``), as they would reach
a process started by hand.
"""

from __future__ import annotations

import asyncio
import os
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import Config

__all__ = ["NoDelayProtocol", "serve"]


class NoDelayProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every connection.

    With several workers uvicorn binds the listening socket without naming the TCP
    protocol, and asyncio turns Nagle off only on sockets that name it. An answer is
    written in two parts (headers, then body), so on a kept-alive connection the body
    then waited for the client's delayed acknowledgement: 40 ms added to every answer
    smaller than a segment.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def serve(
    config: Config,
    config_file: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
) -> None:
    """Serve the store of ``config`` until interrupted, in ``workers`` processes."""
    from .app import create_app

    app = create_app(config=config)  # a bad store fails here, before any worker starts
    if workers <= 1:
        uvicorn.run(app, host=host, port=port, http=NoDelayProtocol)
        return
    os.environ["STORYLINE_DB"] = str(config.db)
    if config_file:
        os.environ["STORYLINE_CONFIG"] = str(config_file)
    uvicorn.run(
        "storyline.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=NoDelayProtocol,
        # the supervisor restarts a worker that misses its health check (5 s by
        # default), which a worker busy with a large story's first view can
        timeout_worker_healthcheck=60,
    )
