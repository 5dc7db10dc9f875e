"""One polite, safe HTTP client for every page and feed storyline fetches.

:class:`Fetcher` wraps an httpx client and adds what a crawler owes the sites it
reads and the machine it runs on:

- a User-Agent naming storyline and the operator's contact URL (``contact_url``);
- robots.txt, fetched once per host and kept ``robots_ttl`` seconds, its
  Crawl-delay honoured; a robots.txt that cannot be fetched (5xx, timeout) means
  "not now", one that is missing (4xx) means everything is allowed (RFC 9309);
- a per-host rate limit (``host_interval`` between request starts) and a cap on
  requests in flight per host (``host_concurrency``);
- retries with exponential backoff on 429, 5xx, timeouts and dropped
  connections, Retry-After honoured up to ``fetch_max_wait``;
- conditional requests (ETag, Last-Modified): a 304 comes back as such;
- redirects followed here, not by httpx, so each hop is checked again: only
  http and https, only public addresses (see guard.py), robots.txt of its host;
- a size cap applied to the body after decompression, while it streams in, so
  neither a huge page nor a compressed bomb is ever held in memory;
- content types checked: a page that is not HTML is refused with a message.

The transport is the seam for tests: any ``httpx.BaseTransport`` (such as
``httpx.MockTransport``) can stand in for the network.
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ..config import Config
from ..errors import FetchError
from .guard import AddressPolicy, guarded_transport

HTML_TYPES = ("text/html", "application/xhtml+xml")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: a failed robots.txt fetch is tried again after this many seconds
ROBOTS_RETRY_SECONDS = 60.0
ROBOTS_MAX_BYTES = 500_000
AGENT_TOKEN = "storyline"


@dataclass(slots=True)
class FetchResult:
    """A response storyline may use: final URL, status, headers and the decoded body."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return str(value) if value is not None else None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in (self.header("content-type") or "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return str(value.strip().strip("\"'"))
        return None

    @property
    def etag(self) -> str | None:
        return self.header("etag")

    @property
    def last_modified(self) -> str | None:
        return self.header("last-modified")


class HostGate:
    """Per-host rate limit and concurrency cap, shared by every thread of a fetcher."""

    def __init__(
        self,
        interval: float,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.concurrency = max(1, concurrency)
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next: dict[str, float] = {}
        self._intervals: dict[str, float] = {}

    def slow_down(self, host: str, interval: float) -> None:
        """Space this host's requests at least ``interval`` seconds (robots.txt Crawl-delay)."""
        with self._lock:
            self._intervals[host] = max(self.interval, interval)

    def defer(self, host: str, seconds: float) -> None:
        """No request to this host for ``seconds`` (the server asked, with Retry-After)."""
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), self.clock() + seconds)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            slots = self._slots.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        with slots:
            with self._lock:
                now = self.clock()
                start = max(now, self._next.get(host, 0.0))
                self._next[host] = start + self._intervals.get(host, self.interval)
            if start > now:
                self.sleep(start - now)
            yield


@dataclass(slots=True)
class _Robots:
    parser: urllib.robotparser.RobotFileParser | None
    #: when robots.txt could not be fetched: why nothing on the host is fetched now
    unavailable: str | None
    expires: float


class Fetcher:
    """Fetches URLs politely and safely; thread-safe, one per process is enough."""

    def __init__(
        self,
        config: Config,
        *,
        allow_private: bool = False,
        allow_networks: Sequence[str] = (),
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.policy = AddressPolicy(allow_private, allow_networks)
        self.user_agent = user_agent(config)
        self.clock, self.sleep = clock, sleep
        self.gate = HostGate(config.host_interval, config.host_concurrency, clock, sleep)
        self._robots: dict[str, _Robots] = {}
        self._robots_lock = threading.Lock()
        self.client = httpx.Client(
            transport=transport or guarded_transport(self.policy),
            timeout=httpx.Timeout(config.fetch_timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Sequence[str] | None = HTML_TYPES,
    ) -> FetchResult:
        """GET ``url`` with retries; raise :class:`FetchError` for anything unusable.

        ``accept`` lists the content types wanted (None takes any); a 304 answer to a
        conditional request is returned, with an empty body.
        """
        headers = {"Accept": ", ".join(accept) + ", */*;q=0.1" if accept else "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result = self._with_retries(url, headers)
        if result.not_modified:
            return result
        if accept and result.content_type and result.content_type not in accept:
            raise FetchError(url, f"not HTML ({result.content_type}): skipped")
        return result

    # -- retries, redirects, one request ---------------------------------------------

    def _with_retries(self, url: str, headers: dict[str, str]) -> FetchResult:
        attempt = 0
        while True:
            try:
                return self._follow(url, headers)
            except _RetryableError as retry:
                if attempt >= self.config.fetch_retries:
                    raise FetchError(url, retry.reason, permanent=False) from None
                wait = self.config.fetch_backoff * 2**attempt
                if retry.retry_after is not None:
                    if retry.retry_after > self.config.fetch_max_wait:
                        raise FetchError(
                            url,
                            f"{retry.reason}; the server asks to wait "
                            f"{retry.retry_after:g} s, more than fetch_max_wait",
                            permanent=False,
                        ) from None
                    wait = max(wait, retry.retry_after)
                    self.gate.defer(retry.host, retry.retry_after)
                self.sleep(wait)
                attempt += 1

    def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        current = url
        for _ in range(self.config.max_redirects + 1):
            host = self._check(current, url)
            with self.gate.slot(host):
                response = self._send(current, headers, host)
                try:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECT_STATUSES and location:
                        current = urljoin(current, location)
                        continue
                    return self._result(current, response, url)
                finally:
                    response.close()
        raise FetchError(url, f"more than {self.config.max_redirects} redirects")

    def _check(self, url: str, origin: str) -> str:
        """Scheme, address and robots.txt of one hop; returns its host."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(origin, f"not an http(s) URL: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self.policy.resolve(parts.hostname, port, origin if url == origin else f"{origin} -> {url}")
        self._check_robots(url, origin)
        return parts.netloc.lower()

    def _send(self, url: str, headers: dict[str, str], host: str) -> httpx.Response:
        try:
            request = self.client.build_request("GET", url, headers=headers)
            return self.client.send(request, stream=True)
        except httpx.TimeoutException:
            seconds = self.config.fetch_timeout
            raise _RetryableError(host, f"timed out after {seconds:g} s") from None
        except httpx.TransportError as error:
            raise _RetryableError(host, f"connection failed: {error}") from None

    def _result(self, url: str, response: httpx.Response, origin: str) -> FetchResult:
        status = response.status_code
        host = urlsplit(url).netloc.lower()
        if status in RETRY_STATUSES:
            raise _RetryableError(host, f"HTTP {status}", _retry_after(response.headers))
        if status == 304:
            return FetchResult(url, status, response.headers, b"")
        if status >= 400 or status < 200:
            raise FetchError(origin, f"HTTP {status}")
        if status in REDIRECT_STATUSES:
            raise FetchError(origin, f"HTTP {status} without a Location")
        try:
            body = read_capped(response, self.config.fetch_max_bytes, origin)
        except httpx.TimeoutException:
            raise _RetryableError(host, "timed out reading the body") from None
        except httpx.TransportError as error:
            raise _RetryableError(host, f"connection dropped: {error}") from None
        return FetchResult(url, status, response.headers, body)

    # -- robots.txt -------------------------------------------------------------------

    def _check_robots(self, url: str, origin: str) -> None:
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return
        robots = self._robots_for(f"{parts.scheme}://{parts.netloc.lower()}")
        if robots.unavailable is not None:
            raise FetchError(origin, robots.unavailable, permanent=False)
        if robots.parser is not None and not robots.parser.can_fetch(AGENT_TOKEN, url):
            raise FetchError(origin, f"robots.txt of {parts.netloc} disallows {url}")

    def _robots_for(self, site: str) -> _Robots:
        with self._robots_lock:
            cached = self._robots.get(site)
        if cached is not None and cached.expires > self.clock():
            return cached
        robots = self._load_robots(site)
        with self._robots_lock:
            self._robots[site] = robots
        return robots

    def _load_robots(self, site: str) -> _Robots:
        url = f"{site}/robots.txt"
        now = self.clock()
        try:
            result = self._follow(url, {"Accept": "text/plain, */*;q=0.1"})
        except _RetryableError as failure:
            reason = f"robots.txt of {site} cannot be read now ({failure.reason}): not fetching"
            return _Robots(None, reason, now + ROBOTS_RETRY_SECONDS)
        except FetchError as error:
            if error.reason.startswith("HTTP 4"):  # no robots.txt: everything is allowed
                return _Robots(None, None, now + self.config.robots_ttl)
            raise
        parser = urllib.robotparser.RobotFileParser(url)
        text = result.content[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        delay = parser.crawl_delay(AGENT_TOKEN)
        if delay:
            self.gate.slow_down(urlsplit(site).netloc, float(delay))
        return _Robots(parser, None, now + self.config.robots_ttl)


class _RetryableError(Exception):
    """A failure worth another attempt after a pause."""

    def __init__(self, host: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.host, self.reason, self.retry_after = host, reason, retry_after


def user_agent(config: Config) -> str:
    try:
        release = version("storyline")
    except PackageNotFoundError:
        release = "dev"
    contact = f"; +{config.contact_url}" if config.contact_url else ""
    return f"{AGENT_TOKEN}/{release} (news reader{contact})"


def read_capped(response: httpx.Response, limit: int, origin: str) -> bytes:
    """The body, decompressed as it streams in; more than ``limit`` bytes is an error.

    Decompression is bounded per step (``max_length``), so a small compressed body
    that would inflate to gigabytes is stopped at ``limit`` + 1 bytes.
    """
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    too_large = FetchError(origin, f"response larger than {limit} bytes: refused")
    if declared.isdigit() and encoding in ("", "identity") and int(declared) > limit:
        raise too_large
    decoder = _decoder(encoding, origin)
    body = bytearray()
    for chunk in response.iter_raw():
        pending = chunk
        while pending:
            if decoder is None:
                body.extend(pending)
                pending = b""
            else:
                body.extend(decoder.decompress(pending, limit + 1 - len(body)))
                pending = decoder.unconsumed_tail
            if len(body) > limit:
                raise too_large
    if decoder is not None:
        body.extend(decoder.flush())
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _decoder(encoding: str, origin: str) -> Any:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(origin, f"unsupported content encoding {encoding!r}")


def _retry_after(headers: httpx.Headers) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
