"""Serving: Nagle's algorithm is off on every connection, however the socket was bound."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from storyline.web.serving import NoDelayProtocol


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


async def _nodelay_after_a_request(protocol: type[H11Protocol]) -> int:
    config = uvicorn.Config(_hello, lifespan="off", log_level="warning")
    config.load()
    # bound as uvicorn binds for several workers: the TCP protocol not named
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    made: list[H11Protocol] = []

    def factory() -> H11Protocol:
        made.append(protocol(config, ServerState(), {}))
        return made[-1]

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, sock=listener)
    try:
        reader, writer = await asyncio.open_connection(*listener.getsockname())
        writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        await writer.drain()
        assert (await reader.readuntil(b"hello")).startswith(b"HTTP/1.1 200")
        accepted = made[0].transport.get_extra_info("socket")
        value = int(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()
        await writer.wait_closed()
        return value
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(("protocol", "nodelay"), [(H11Protocol, False), (NoDelayProtocol, True)])
def test_serving_turns_nagle_off_on_sockets_bound_without_a_protocol(
    protocol: type[H11Protocol], nodelay: bool
) -> None:
    # uvicorn's own protocol leaves Nagle on there: the reason for ours
    assert bool(asyncio.run(_nodelay_after_a_request(protocol))) is nodelay


def test_serving_several_workers_from_the_cli(tmp_path: Path) -> None:
    from test_web import build_db

    db = tmp_path / "served.db"
    ids = build_db(db)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [sys.executable, "-m", "storyline", "--db", str(db), "serve"]
    process = subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0].decode()[-2000:]
            try:
                if httpx.get(base + "/api/stories", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        with httpx.Client(base_url=base) as client:  # kept-alive connections
            for story in ids["storylines"][:5]:
                assert client.get(f"/api/stories/{story}").json()["id"] == story
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output[-2000:]
