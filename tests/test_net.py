"""The fetcher against servers on 127.0.0.1: politeness, safety, caps and failures."""

from __future__ import annotations

import gzip
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from loopback import LoopbackServer, Reply, article_page, serving

from storyline.config import Config
from storyline.errors import FetchError
from storyline.net import AddressPolicy, Fetcher, user_agent

FAST = Config(
    fetch_backoff=0.01,
    host_interval=0.0,
    fetch_timeout=5.0,
    contact_url="https://ops.example/contact",
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serving() as running:
        yield running


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def fetcher(config: Config = FAST, **options: Any) -> Fetcher:
    options.setdefault("allow_private", True)
    return Fetcher(config, **options)


def test_net_fetch_names_storyline_and_the_contact_url(server: LoopbackServer) -> None:
    server.routes["/a"] = Reply(body=article_page("Title", "Some text here."))
    with fetcher() as client:
        result = client.fetch(server.url("/a"))
    assert b"Some text here." in result.content
    agent = server.hits("/a")[0].headers["user-agent"]
    assert agent.startswith("storyline/") and "https://ops.example/contact" in agent
    assert user_agent(FAST) == agent


def test_net_conditional_request_gets_not_modified(server: LoopbackServer) -> None:
    def page(seen: Any) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(body="<html><body>v1</body></html>", headers={"ETag": '"v1"'})

    server.routes["/feed"] = page
    with fetcher() as client:
        first = client.fetch(server.url("/feed"))
        second = client.fetch(server.url("/feed"), etag=first.etag)
    assert first.etag == '"v1"' and not first.not_modified
    assert second.not_modified and second.content == b""


def test_net_429_is_retried_after_the_time_the_server_asks(server: LoopbackServer) -> None:
    server.routes["/busy"] = [
        Reply(429, "slow down", headers={"Retry-After": "3"}),
        Reply(body="<html><body>done</body></html>"),
    ]
    sleeps = Sleeps()
    with fetcher(sleep=sleeps) as client:
        result = client.fetch(server.url("/busy"))
    assert result.status == 200
    assert 3.0 in sleeps.calls
    assert len(server.hits("/busy")) == 2


def test_net_503_then_ok_backs_off_exponentially(server: LoopbackServer) -> None:
    server.routes["/flaky"] = [Reply(503), Reply(503), Reply(body="<p>ok</p>")]
    sleeps = Sleeps()
    with fetcher(Config(fetch_backoff=0.5, host_interval=0.0), sleep=sleeps) as client:
        assert client.fetch(server.url("/flaky")).status == 200
    assert sleeps.calls == [0.5, 1.0]


def test_net_gives_up_after_the_retries_as_a_passing_failure(server: LoopbackServer) -> None:
    server.routes["/down"] = Reply(500)
    config = Config(fetch_retries=2, host_interval=0.0)
    with (
        fetcher(config, sleep=Sleeps()) as client,
        pytest.raises(FetchError, match="500") as raised,
    ):
        client.fetch(server.url("/down"))
    assert raised.value.permanent is False
    assert len(server.hits("/down")) == 3


def test_net_retry_after_beyond_the_longest_wait_is_not_slept(server: LoopbackServer) -> None:
    server.routes["/later"] = Reply(503, headers={"Retry-After": "86400"})
    sleeps = Sleeps()
    with fetcher(sleep=sleeps) as client, pytest.raises(FetchError, match="86400"):
        client.fetch(server.url("/later"))
    assert sleeps.calls == []


def test_net_404_is_a_permanent_failure(server: LoopbackServer) -> None:
    with fetcher() as client, pytest.raises(FetchError, match="HTTP 404") as raised:
        client.fetch(server.url("/missing"))
    assert raised.value.permanent


def test_net_robots_txt_is_honoured_and_fetched_once_per_host(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(
        body="User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    server.routes["/news/a"] = Reply(body="<p>a</p>")
    server.routes["/private/b"] = Reply(body="<p>b</p>")
    with fetcher() as client:
        assert client.fetch(server.url("/news/a")).status == 200
        with pytest.raises(FetchError, match=r"robots\.txt .* disallows"):
            client.fetch(server.url("/private/b"))
        client.fetch(server.url("/news/a"))
    assert server.hits("/private/b") == []
    assert len(server.hits("/robots.txt")) == 1


def test_net_robots_txt_for_storyline_alone(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(
        body="User-agent: storyline\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        content_type="text/plain",
    )
    server.routes["/a"] = Reply(body="<p>a</p>")
    with fetcher() as client, pytest.raises(FetchError, match="disallows"):
        client.fetch(server.url("/a"))


def test_net_unreadable_robots_txt_means_not_now(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(503)
    server.routes["/a"] = Reply(body="<p>a</p>")
    config = Config(fetch_retries=0, host_interval=0.0)
    unreadable = r"robots\.txt .* cannot be read"
    with fetcher(config) as client, pytest.raises(FetchError, match=unreadable) as raised:
        client.fetch(server.url("/a"))
    assert raised.value.permanent is False
    assert server.hits("/a") == []


def test_net_loopback_is_refused_unless_allowed(server: LoopbackServer) -> None:
    server.routes["/a"] = Reply(body="<p>a</p>")
    with Fetcher(FAST) as client, pytest.raises(FetchError, match="not a public address"):
        client.fetch(server.url("/a"))
    assert server.requests == []


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/"]
)
def test_net_redirect_to_a_private_address_is_refused_before_connecting(
    server: LoopbackServer, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/jump"] = Reply(302, headers={"Location": target})
    connected: list[Any] = []
    real = socket.create_connection

    def spy(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    # the test server is trusted by network; everything else private stays refused
    trusted = Fetcher(FAST, allow_networks=["127.0.0.1/32"])
    with trusted, pytest.raises(FetchError, match="not a public address") as raised:
        trusted.fetch(server.url("/jump"))
    assert target.split("/")[2] in str(raised.value)
    assert connected and all(address == "127.0.0.1" for address in connected)


def test_net_address_policy_refuses_every_non_global_kind() -> None:
    policy = AddressPolicy()
    refused = [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
    ]
    for address in refused:
        assert not policy.allows(ipaddress.ip_address(address)), address
    assert policy.allows(ipaddress.ip_address("93.184.216.34"))
    assert policy.allows(ipaddress.ip_address("2606:4700::1111"))
    assert AddressPolicy(allow_private=True).allows(ipaddress.ip_address("10.0.0.1"))
    with pytest.raises(FetchError, match="localhost resolves to"):
        policy.resolve("localhost", 80, "http://localhost/")


def test_net_only_http_and_https(server: LoopbackServer) -> None:
    server.routes["/to-file"] = Reply(302, headers={"Location": "file:///etc/passwd"})
    with fetcher() as client:
        with pytest.raises(FetchError, match="not an http"):
            client.fetch("file:///etc/passwd")
        with pytest.raises(FetchError, match="not an http"):
            client.fetch(server.url("/to-file"))


def test_net_redirects_are_followed_a_limited_number_of_times(server: LoopbackServer) -> None:
    server.routes["/old"] = Reply(301, headers={"Location": "/new"})
    server.routes["/new"] = Reply(body="<p>new</p>")
    server.routes["/loop"] = Reply(302, headers={"Location": "/loop"})
    with fetcher() as client:
        assert client.fetch(server.url("/old")).url == server.url("/new")
        with pytest.raises(FetchError, match="more than 5 redirects"):
            client.fetch(server.url("/loop"))


def test_net_huge_responses_are_refused(server: LoopbackServer) -> None:
    config = Config(fetch_max_bytes=100_000, host_interval=0.0)
    server.routes["/declared"] = Reply(body=b"x" * 200_000)
    # no Content-Length: the cap has to hold while the body streams in
    server.routes["/streamed"] = Reply(
        body=b"x" * 200_000, headers={"Content-Length": "", "Connection": "close"}
    )
    with fetcher(config) as client:
        with pytest.raises(FetchError, match="larger than 100000 bytes"):
            client.fetch(server.url("/declared"))
        with pytest.raises(FetchError, match="larger than 100000 bytes"):
            client.fetch(server.url("/streamed"))


def test_net_compressed_bomb_is_capped_after_decompression(server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * 30_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    server.routes["/bomb"] = Reply(body=bomb, headers={"Content-Encoding": "gzip"})
    server.routes["/small"] = Reply(
        body=gzip.compress(b"<p>fine</p>"), headers={"Content-Encoding": "gzip"}
    )
    with fetcher(Config(fetch_max_bytes=1_000_000, host_interval=0.0)) as client:
        with pytest.raises(FetchError, match="larger than 1000000 bytes"):
            client.fetch(server.url("/bomb"))
        assert client.fetch(server.url("/small")).content == b"<p>fine</p>"


def test_net_non_html_is_skipped_with_a_message(server: LoopbackServer) -> None:
    server.routes["/report.pdf"] = Reply(body=b"%PDF-1.7", content_type="application/pdf")
    with fetcher() as client, pytest.raises(FetchError, match=r"not HTML \(application/pdf\)"):
        client.fetch(server.url("/report.pdf"))


def test_net_slow_server_times_out_as_a_passing_failure(server: LoopbackServer) -> None:
    server.routes["/slow"] = Reply(body="<p>late</p>", delay=2.0)
    config = Config(fetch_timeout=0.3, fetch_retries=1, fetch_backoff=0.01, host_interval=0.0)
    with fetcher(config) as client, pytest.raises(FetchError, match="timed out") as raised:
        client.fetch(server.url("/slow"))
    assert raised.value.permanent is False


def test_net_requests_to_one_host_are_spaced(server: LoopbackServer) -> None:
    server.routes["/a"] = Reply(body="<p>a</p>")
    with fetcher(Config(host_interval=0.2)) as client:
        for _ in range(3):
            client.fetch(server.url("/a"))
    times = [seen.at for seen in server.hits("/a")]
    # three starts 0.2 s apart span 0.4 s; arrival jitter may shave a little off
    assert times[-1] - times[0] >= 0.3, times
