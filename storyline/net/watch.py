"""Watching feeds: poll, take each new item once, survive failures and restarts.

One poll fetches every feed at once (``watch_workers`` threads; the fetcher
keeps each host's rate limit), with the ETag and Last-Modified of the previous
poll. For each new item it uses the feed's own content when that is the whole
article, else fetches the page. Language stages and store writes then run in the
calling thread, one feed at a time.

Everything a restart needs is in the store and is written in the same
transaction as the feed's last articles: the item ids taken, the feed's
validators, the time of the poll and its error. A watch killed mid-poll
therefore starts again from the last committed feed, and an item taken twice
anyway (killed between two batches of one feed) is still one article, since its
URL is known. A feed that is down, slow or malformed costs only itself: its
error is recorded and the poll goes on; after two failures in a row it is polled
less often (twice the interval, then four times..., a day at most) until it answers
again. An item whose page fails for a reason
that may pass (a 5xx, a timeout) is left unseen, and the feed's validators are
not advanced, so the next poll tries it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import ExtractionError, FetchError, InputError
from ..extract import Extracted, extract
from ..model import format_datetime, parse_datetime
from ..sources import RawDocument
from ..store import FeedState
from .client import Fetcher
from .feeds import FeedItem, FeedSpec, parse_feed
from .pages import fetch_article

if TYPE_CHECKING:
    from ..engine import Engine, IngestReport

__all__ = ["FeedPoll", "PollReport", "Watcher", "parse_interval"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: the longest a failing feed waits between two polls
MAX_REST_SECONDS = 86400.0


def parse_interval(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``10m``, ``1.5h`` or ``1d``; ValueError says what is wrong."""
    value = text.strip().lower()
    unit = _UNITS.get(value[-1:])
    number = value[:-1] if unit is not None else value
    try:
        seconds = float(number) * (unit or 1.0)
    except ValueError:
        raise ValueError(f"{text!r} is not a duration such as 90s, 10m or 1h") from None
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{text!r}: the interval must be more than zero")
    return seconds


@dataclass(slots=True)
class FeedPoll:
    """What one poll of one feed did."""

    feed: str
    #: "changed", "not modified", "failed" or "resting" (failing, polled less often)
    status: str
    #: items not taken before
    new_items: int = 0
    new_articles: int = 0
    known: int = 0
    failed: int = 0
    error: str | None = None


@dataclass(slots=True)
class PollReport:
    """What one poll of every feed did."""

    feeds: list[FeedPoll] = field(default_factory=list)

    def summary(self) -> str:
        count = {s: sum(1 for f in self.feeds if f.status == s) for s in ("changed", "failed")}
        unchanged = sum(1 for f in self.feeds if f.status == "not modified")
        resting = sum(1 for f in self.feeds if f.status == "resting")
        rest = f", {resting} resting after failures" if resting else ""
        return (
            f"polled {len(self.feeds)} feeds ({count['changed']} changed, {unchanged} not "
            f"modified, {count['failed']} failed{rest}): "
            f"{sum(f.new_items for f in self.feeds)} new "
            f"items, {sum(f.new_articles for f in self.feeds)} new articles, "
            f"{sum(f.known for f in self.feeds)} already known, "
            f"{sum(f.failed for f in self.feeds)} failed"
        )


@dataclass(slots=True)
class _Harvest:
    """A feed fetched and its new items turned into articles, not yet stored."""

    spec: FeedSpec
    state: FeedState
    status: str = "changed"
    error: str | None = None
    #: (item id, the article or why there is none), for items done with
    done: list[tuple[str, Extracted | InputError]] = field(default_factory=list)
    #: failures worth another try at the next poll
    retry: list[InputError] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None


class Watcher:
    """Polls feeds into an engine's store; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        fetcher: Fetcher,
        feeds: Sequence[FeedSpec],
        *,
        on_error: Callable[[InputError], None] | None = None,
        every: float | None = None,
    ) -> None:
        self.engine = engine
        self.fetcher = fetcher
        self.feeds = list(dict.fromkeys(feeds))
        self.on_error = on_error
        self.config = engine.config
        self.every = self.config.watch_every if every is None else every

    def poll(self) -> PollReport:
        """Poll every feed once and ingest what is new."""
        store = self.engine.store
        report = PollReport()
        states = {spec.url: store.feed_state(spec.url) for spec in self.feeds}
        due = [spec for spec in self.feeds if not self._resting(states[spec.url])]
        workers = max(1, min(self.config.watch_workers, len(due)))
        with ThreadPoolExecutor(workers, thread_name_prefix="watch") as pool:
            futures = {
                spec.url: pool.submit(
                    self._harvest, spec, states[spec.url], store.seen_feed_items(spec.url)
                )
                for spec in due
            }
            for spec in self.feeds:
                if spec.url in futures:
                    report.feeds.append(self._commit(futures[spec.url].result()))
                else:
                    state = states[spec.url]
                    report.feeds.append(FeedPoll(spec.url, "resting", error=state.last_error))
        # once a round, not once a feed: a storyline several feeds carry is computed once
        self.engine.refresh_views()
        return report

    def _resting(self, state: FeedState) -> bool:
        """A feed that failed n polls in a row (n >= 2) waits every x 2^(n-1), a day at most.

        Half an interval of slack keeps a feed from missing its turn by a few seconds.
        """
        if state.failures < 2 or state.last_poll is None:
            return False
        wait = min(self.every * 2.0 ** (state.failures - 1), MAX_REST_SECONDS)
        last = parse_datetime(state.last_poll)
        if last is None:
            return False
        elapsed = (datetime.now(UTC) - last).total_seconds()
        return elapsed < wait - self.every / 2

    def run(
        self,
        every: float | None = None,
        *,
        rounds: int | None = None,
        stop: threading.Event | None = None,
        on_poll: Callable[[PollReport], None] | None = None,
    ) -> None:
        """Poll every ``every`` seconds (from one poll's start to the next) until stopped."""
        interval = self.every = self.every if every is None else every
        stop = stop or threading.Event()
        done = 0
        while not stop.is_set():
            started = time.monotonic()
            polled = self.poll()
            if on_poll is not None:
                on_poll(polled)
            done += 1
            if rounds is not None and done >= rounds:
                return
            stop.wait(max(0.0, interval - (time.monotonic() - started)))

    # -- in the worker threads: network and extraction ---------------------------------

    def _harvest(self, spec: FeedSpec, state: FeedState, seen: set[str]) -> _Harvest:
        harvest = _Harvest(spec, state)
        try:
            result = self.fetcher.fetch(
                spec.url, etag=state.etag, last_modified=state.last_modified, accept=None
            )
            if result.not_modified:
                harvest.status = "not modified"
                return harvest
            items = parse_feed(result.content, result.url, result.content_type)
        except InputError as error:
            harvest.status, harvest.error = "failed", error.reason
            return harvest
        harvest.etag, harvest.last_modified = result.etag, result.last_modified
        fresh = {item.id: item for item in items if item.id not in seen}
        for item in fresh.values():
            try:
                harvest.done.append((item.id, self._article(spec, item)))
            except FetchError as error:
                if error.permanent:
                    harvest.done.append((item.id, error))
                else:
                    harvest.retry.append(error)
            except InputError as error:
                harvest.done.append((item.id, error))
        return harvest

    def _article(self, spec: FeedSpec, item: FeedItem) -> Extracted:
        origin = item.link or f"{spec.url} item {item.id}"
        fields: dict[str, Any] = {"feed": spec.url, "feed_item": item.id}
        fields.update(
            (key, value)
            for key, value in (
                ("outlet", spec.outlet),
                ("published", item.published),
                ("author", item.author),
            )
            if value
        )
        min_words = self.config.min_words
        full = item.full_text(self.config.feed_full_text_words)
        if full is None and item.link:
            try:
                return fetch_article(self.fetcher, item.link, min_words, fields)
            except FetchError as error:
                # the page is out of reach for good (robots.txt, not HTML, gone): the
                # feed's own text, if there is enough of it, is the best there is
                teaser = item.full_text(min_words)
                if not error.permanent or teaser is None:
                    raise
                full = teaser
                fields["summary_only"] = True
        if full is None:
            raise ExtractionError(origin, "feed item has no link and too little text")
        record = {**fields, "url": item.link, "title": item.title, "text": full}
        return extract(RawDocument(origin, "record", record, None), min_words)

    # -- in the calling thread: language stages and the store ---------------------------

    def _commit(self, harvest: _Harvest) -> FeedPoll:
        store = self.engine.store
        spec, state = harvest.spec, replace(harvest.state)
        state.last_poll = format_datetime(datetime.now(UTC))
        poll = FeedPoll(spec.url, harvest.status, error=harvest.error)
        if harvest.status != "changed":
            state.failures = state.failures + 1 if harvest.error else 0
            state.last_error = harvest.error
            with store.atomic():
                store.save_feed_state(state)
            if harvest.error and self.on_error is not None:
                self.on_error(InputError(spec.url, harvest.error))
            return poll
        for error in harvest.retry:
            if self.on_error is not None:
                self.on_error(error)
        if not harvest.retry:  # else the next poll must see the whole feed again
            state.etag, state.last_modified = harvest.etag, harvest.last_modified
        state.failures = 0
        state.last_error = str(harvest.retry[0]) if harvest.retry else None
        exhausted = False

        def outcomes() -> Iterator[Extracted | InputError]:
            nonlocal exhausted
            yield from (outcome for _, outcome in harvest.done)
            exhausted = True

        def remember() -> None:
            if exhausted:  # only with the feed's last batch: nothing is marked before it is in
                store.mark_feed_items_seen(spec.url, [item_id for item_id, _ in harvest.done])
                store.save_feed_state(state)

        ingested: IngestReport = self.engine.ingest_extracted(
            outcomes(), on_error=self.on_error, after_batch=remember, refresh=False
        )
        poll.new_items = len(harvest.done) + len(harvest.retry)
        poll.new_articles, poll.known = ingested.new, ingested.known
        poll.failed = ingested.failed + len(harvest.retry)
        poll.error = state.last_error
        return poll
