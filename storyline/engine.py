"""The engine: the one public entry point every interface calls.

    engine = Engine("news.db")
    report = engine.ingest(["articles.jsonl", "pages/"])
    for story in engine.stories():
        print(story.title, len(story.articles))

Ingest reads inputs, extracts articles, runs the stateless stages on each batch,
then, inside one transaction per batch and in arrival order, links each new
article to the original it copies (if any), places it in an event and a
storyline (a copy joins its original's event) and writes it. A batch that fails
leaves nothing behind, and re-running the same inputs completes what is missing.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .cluster import Clusterer, ClusterState
from .config import Config
from .dedup import Deduplicator, Span
from .errors import ExtractionError, InputError, NotFoundError, QueryError
from .extract import Extracted, canonical_url, extract, prepare
from .model import Article, Assignment, Republication, Story, format_datetime
from .pipeline import Pipeline, Stage, default_stages
from .sources import InputReader
from .store import MATCH_END, MATCH_START, SqliteCopyIndex, Store
from .views import StoryViews, story_views
from .views.document import story_document
from .views.entities import entity_registry, resolve_storyline
from .viewstore import CLAIM_SECONDS, StoredViews, ViewStore, wait_for

Progress = Callable[[int, int | None], None]

__all__ = [
    "MATCH_END",
    "MATCH_START",
    "Engine",
    "IngestReport",
    "QueryError",
    "RefreshReport",
    "StoryPage",
]


@dataclass(slots=True)
class StoryPage:
    """Everything one story page shows: the story with its views, headline, articles, events."""

    story: Story
    headline: str
    articles: list[Article]
    events: list[Story]


@dataclass(slots=True)
class IngestReport:
    """What one ingest did; ``ok`` is False when any input failed."""

    read: int = 0
    new: int = 0
    known: int = 0
    failed: int = 0
    errors: list[InputError] = field(default_factory=list)
    events: set[str] = field(default_factory=set)
    storylines: set[str] = field(default_factory=set)
    #: new articles linked as copies of an earlier one
    copies: int = 0
    #: inputs passed over without being errors (WARC records that are not articles...), by reason
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        text = (
            f"read {self.read}, new {self.new}, already known {self.known}, "
            f"failed {self.failed}; events touched {len(self.events)}, "
            f"storylines touched {len(self.storylines)}"
        )
        if self.skipped:
            reasons = ", ".join(f"{count} {why}" for why, count in sorted(self.skipped.items()))
            text += f"; skipped {sum(self.skipped.values())} ({reasons})"
        return text

    def add(self, other: IngestReport) -> None:
        """Count another report's work into this one."""
        self.read += other.read
        self.new += other.new
        self.known += other.known
        self.failed += other.failed
        self.errors.extend(other.errors)
        self.events.update(other.events)
        self.storylines.update(other.storylines)
        self.copies += other.copies
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "new": self.new,
            "known": self.known,
            "failed": self.failed,
            "errors": [str(error) for error in self.errors],
            "events": sorted(self.events),
            "storylines": sorted(self.storylines),
            "copies": self.copies,
            "skipped": dict(self.skipped),
        }


@dataclass(slots=True)
class RefreshReport:
    """What bringing stored story views up to date did."""

    #: stories whose views were computed and stored
    computed: int = 0
    #: their articles, counted once per story
    articles: int = 0
    seconds: float = 0.0
    #: computed, but a write touched the story meanwhile: still stale, done next time
    overtaken: int = 0
    #: left to another process that had claimed them
    elsewhere: int = 0
    #: the story took the longest, and how long (seconds)
    slowest: tuple[str, float] | None = None

    def add(self, other: RefreshReport) -> None:
        """Count the work of another process refreshing the same store alongside."""
        self.computed += other.computed
        self.articles += other.articles
        self.overtaken += other.overtaken
        self.seconds = max(self.seconds, other.seconds)
        if other.slowest is not None and (
            self.slowest is None or other.slowest[1] > self.slowest[1]
        ):
            self.slowest = other.slowest

    def summary(self) -> str:
        text = (
            f"views of {self.computed} stories ({self.articles} articles) brought up to "
            f"date in {self.seconds:.1f} s"
        )
        if self.slowest is not None:
            text += f"; slowest {self.slowest[0]} ({self.slowest[1]:.2f} s)"
        if self.overtaken:
            text += f"; {self.overtaken} changed meanwhile and stay stale"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "computed": self.computed,
            "articles": self.articles,
            "seconds": round(self.seconds, 3),
            "overtaken": self.overtaken,
            "elsewhere": self.elsewhere,
            "slowest": list(self.slowest) if self.slowest else None,
        }


class _DryRunRollbackError(Exception):
    """Ends a dry run's transaction so that nothing it wrote is kept."""


@dataclass(slots=True)
class ReclusterReport:
    """What re-clustering changed: counts before and after, and every article that moved."""

    articles: int
    events_before: int
    storylines_before: int
    events_after: int = 0
    storylines_after: int = 0
    moved_events: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    moved_storylines: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.articles} articles: events {self.events_before} -> {self.events_after}, "
            f"storylines {self.storylines_before} -> {self.storylines_after}; "
            f"{len(self.moved_events)} articles changed event, "
            f"{len(self.moved_storylines)} changed storyline"
        )

    def to_dict(self) -> dict[str, Any]:
        moves = {"event": self.moved_events, "storyline": self.moved_storylines}
        return {
            "articles": self.articles,
            "events": [self.events_before, self.events_after],
            "storylines": [self.storylines_before, self.storylines_after],
            "moved": {
                kind: [{"article": a, "from": old, "to": new} for a, old, new in rows]
                for kind, rows in moves.items()
            },
        }


class Engine:
    """Ingest articles into a store and read stories back out."""

    def __init__(
        self,
        db: str | os.PathLike[str] | None = None,
        *,
        config: Config | None = None,
        stages: Iterable[Stage] | None = None,
    ) -> None:
        self.config = config or Config.load()
        self.store = Store(os.fspath(db) if db is not None else self.config.db)
        chosen = default_stages(self.config) if stages is None else list(stages)
        self.pipeline = Pipeline(chosen)
        self._clusterer: Clusterer | None = None
        self._deduplicator: Deduplicator | None = None
        self.views = ViewStore(self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------

    def ingest(
        self,
        inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        on_error: Callable[[InputError], None] | None = None,
        progress: Progress | None = None,
        refresh: bool = True,
    ) -> IngestReport:
        """Ingest files, directories (recursively) and ``-`` (stdin); then, unless
        ``refresh`` is False, compute the views of the stories it touched."""
        if isinstance(inputs, str | os.PathLike):
            inputs = [inputs]
        reader = InputReader(inputs, self.config.max_article_bytes)
        total = reader.total_bytes if progress else None

        def extracted() -> Iterator[Extracted | InputError]:
            for item in reader:
                if progress is not None:
                    progress(reader.bytes_read, total)
                if isinstance(item, InputError):
                    yield item
                    continue
                try:
                    yield extract(item, self.config.min_words)
                except InputError as error:
                    yield error

        report = self.ingest_extracted(extracted(), on_error=on_error, refresh=refresh)
        if progress is not None:
            progress(reader.bytes_read, total)
        return report

    def add(self, articles: Iterable[Article]) -> IngestReport:
        """Ingest articles built in Python (identity: URL, else text hash)."""

        def extracted() -> Iterator[Extracted | InputError]:
            for number, article in enumerate(articles, 1):
                origin = article.url or article.path or article.id or f"article {number}"
                try:
                    yield prepare(article, origin, self.config.min_words)
                except InputError as error:
                    yield error

        return self.ingest_extracted(extracted())

    def _write_batch(
        self,
        batch: list[Extracted],
        report: IngestReport,
        failed: Callable[[InputError], None],
        inside: Callable[[], None] | None = None,
    ) -> None:
        known = self.store.known_identities(item.identity for item in batch)
        fresh: list[Extracted] = []
        identities: set[str] = set()
        ids: set[str] = set()
        for item in batch:
            if item.identity in known or item.identity in identities:
                report.known += 1
                continue
            article_id = item.article.id
            if article_id in ids or self.store.has_article_id(article_id):
                failed(
                    ExtractionError(item.origin, f"id {article_id!r} is used by another article")
                )
                continue
            identities.add(item.identity)
            ids.add(article_id)
            fresh.append(item)
        if not fresh:
            return
        enriched = self.pipeline.pipe([item.article for item in fresh], self.config.batch_size)
        for item, article in zip(fresh, enriched, strict=True):
            item.article = article
        clusterer, deduplicator = self.clusterer, self.deduplicator
        try:
            with self.store.atomic():
                # analysed and looked up as one batch, linked one by one in order
                deduplicator.prepare([item.article for item in fresh], [i.text_hash for i in fresh])
                for item in fresh:
                    article = deduplicator(item.article, item.text_hash)
                    group = deduplicator.joined
                    article.event = self.store.event_of(group) if group else None
                    clusterer(article)
                    self.store.insert_article(article, item.identity, item.text_hash)
                self.store.save_cluster_changes(clusterer.state)
                self.store.log_assignments(deduplicator.drain())
                if inside is not None:
                    inside()
        except BaseException:
            # their memory is ahead of the rolled-back store
            self._clusterer = self._deduplicator = None
            raise
        for item in fresh:
            item.article.doc = None  # parses are per batch; keep memory bounded
        report.new += len(fresh)
        report.copies += sum(1 for item in fresh if item.article.copy_of is not None)
        report.events.update(item.article.event for item in fresh if item.article.event)
        report.storylines.update(item.article.storyline for item in fresh if item.article.storyline)

    # -- live inputs: WARC files, web pages, feeds (warc.py, net/) ----------------------

    def ingest_extracted(
        self,
        items: Iterable[Extracted | InputError],
        *,
        on_error: Callable[[InputError], None] | None = None,
        after_batch: Callable[[], None] | None = None,
        refresh: bool = True,
    ) -> IngestReport:
        """Ingest articles already extracted (or errors in their place), batch by batch.

        ``after_batch`` runs inside each batch's transaction, and once more at the
        end, so what it records (how far a file got) commits or rolls back together
        with the articles. Then, unless ``refresh`` is False (a caller that ingests
        several runs in a row refreshes once after them), the stored views of every
        story made stale are computed again (:meth:`refresh_views`).
        """
        report = IngestReport()

        def failed(error: InputError) -> None:
            report.failed += 1
            report.errors.append(error)
            if on_error is not None:
                on_error(error)

        def write(batch: list[Extracted]) -> None:
            recorded = False

            def record() -> None:
                nonlocal recorded
                recorded = True
                if after_batch is not None:
                    after_batch()

            # the language stages run before the batch's transaction, which is kept short
            self._write_batch(batch, report, failed, inside=record)
            if not recorded and after_batch is not None:  # nothing new in this batch
                with self.store.atomic():
                    after_batch()

        batch: list[Extracted] = []
        for item in items:
            report.read += 1
            if isinstance(item, InputError):
                failed(item)
                continue
            batch.append(item)
            if len(batch) >= self.config.batch_size:
                write(batch)
                batch = []
        write(batch)
        if refresh:
            self.refresh_views()
        return report

    def ingest_warc(
        self,
        path: str | os.PathLike[str],
        *,
        on_error: Callable[[InputError], None] | None = None,
        progress: Progress | None = None,
        refresh: bool = True,
    ) -> IngestReport:
        """Ingest the article pages of a WARC file; a re-run resumes where one stopped
        (``refresh``: as for :meth:`ingest_extracted`)."""
        from .warc import ingest_warc

        return ingest_warc(self, path, on_error=on_error, progress=progress, refresh=refresh)

    def ingest_urls(
        self,
        urls: Iterable[str],
        *,
        allow_private: bool = False,
        on_error: Callable[[InputError], None] | None = None,
        refresh: bool = True,
    ) -> IngestReport:
        """Fetch web pages (politely, see ``net/``), extract and ingest them.

        A URL already in the store is not fetched again (``refresh``: as for
        :meth:`ingest_extracted`).
        """
        from .net import Fetcher, fetch_article

        wanted = list(dict.fromkeys(urls))
        known = self.store.known_identities(f"url:{canonical_url(url)}" for url in wanted)
        items: list[Extracted | InputError] = []
        with Fetcher(self.config, allow_private=allow_private) as fetcher:
            for url in wanted:
                if f"url:{canonical_url(url)}" in known:
                    continue
                try:
                    items.append(fetch_article(fetcher, url, self.config.min_words))
                except InputError as error:
                    items.append(error)
        report = self.ingest_extracted(items, on_error=on_error, refresh=refresh)
        report.read += len(wanted) - len(items)
        report.known += len(wanted) - len(items)
        return report

    @property
    def clusterer(self) -> Clusterer:
        if self._clusterer is None:
            state = self.store.load_cluster_state(self.config.active_clusters)
            self._clusterer = Clusterer(self.config, state)
        return self._clusterer

    @property
    def deduplicator(self) -> Deduplicator:
        if self._deduplicator is None:
            self._deduplicator = Deduplicator(self.config, SqliteCopyIndex(self.store))
        return self._deduplicator

    def boilerplate(self, article: Article | str) -> list[Span]:
        """Character spans of an article's text that are boilerplate, as known now.

        Quotes, summaries and other stages call this to leave share prompts,
        newsletter pitches and the like out of what they read.
        """
        if isinstance(article, str):
            article = self.store.article(article)
        indexed = self.store.has_article_id(article.id)
        return self.deduplicator.boilerplate_spans(article, indexed=indexed)

    def republications(self, story_id: str) -> list[Republication]:
        """Which outlet republished whom in one event or storyline."""
        return self.store.story(story_id).republications

    # -- reading ------------------------------------------------------------------

    def stories(
        self, limit: int | None = None, offset: int = 0, *, by_day: bool = False
    ) -> list[Story]:
        """Storylines, newest first (``by_day``: the same day's largest first); each lists
        its events."""
        return self.store.stories("storyline", limit, offset, by_day=by_day)

    def count_stories(self, kind: str = "storyline") -> int:
        return self.store.count_stories(kind)

    def version(self) -> tuple[int, int]:
        """Changes whenever a write batch commits: what caches of views are keyed on."""
        return self.store.version()

    def events(self, limit: int | None = None) -> list[Story]:
        return self.store.stories("event", limit)

    def story(self, story_id: str, *, views: bool = True) -> Story:
        """One event or storyline by id, with its timeline, contradictions and quotes
        (from the store when it has them up to date)."""
        story = self.store.story(story_id)
        if views:
            document = self.stored_views(story_id).document
            story.summary = document["summary"]
            story.timeline = document["timeline"]
            story.estimated_dates = document["estimated_dates"]
            story.contradictions = document["contradictions"]
            story.agreements = document["agreements"]
            story.quotes = document["quotes"]
        return story

    def _add_views(self, story: Story, articles: list[Article]) -> StoryViews:
        computed = story_views(articles, boilerplate=self.boilerplate)
        story.timeline = computed.timeline
        story.estimated_dates = computed.dates
        story.contradictions = computed.contradictions
        story.agreements = computed.agreements
        story.quotes = computed.quotes
        story.summary = computed.summary
        return computed

    def story_page(self, story_id: str) -> StoryPage:
        """One story with its views computed now, its summary's headline, its articles and
        its events."""
        story = self.store.story(story_id)
        articles = list(self.store.articles(story.articles))
        computed = self._add_views(story, articles)
        events = [self.store.story(event) for event in story.events]
        return StoryPage(story, computed.headline or story.title, articles, events)

    def story_document(self, story_id: str, *, stale_ok: bool = False) -> dict[str, Any]:
        """Everything a story's page shows, as plain data (:mod:`storyline.views.document`),
        from the store when it holds it up to date; see :meth:`stored_views`."""
        return self.stored_views(story_id, stale_ok=stale_ok).document

    def stored_views(self, story_id: str, *, stale_ok: bool = False) -> StoredViews:
        """A story's stored document, computed (and stored) first when missing or stale.

        With ``stale_ok`` a stale document is taken as it is: the end of the ingest run
        that made it stale brings it up to date. When another process is computing the
        story, this waits for its result rather than computing it a second time.
        Raises :class:`NotFoundError` for an unknown story.
        """
        if not self.store.versioned:  # opened by code that predates stored views
            started = time.perf_counter()
            return StoredViews(0, self._document(story_id), time.perf_counter() - started)
        state = self.views.state(story_id)
        if state is None:
            self.store.story(story_id)  # NotFoundError for an unknown story
            self.views.track(story_id)
            state = self.views.state(story_id)
            assert state is not None
        if state.fresh or (stale_ok and state.servable):
            stored = self.views.load(story_id)
            if stored is not None:
                return stored
        if not self.views.claim(story_id):
            waited = wait_for(self.views, story_id, state.version, CLAIM_SECONDS)
            if waited is not None:
                return waited
        return self._compute_views(story_id, state.version)

    def _compute_views(self, story_id: str, version: int) -> StoredViews:
        """Compute a story's document at ``version`` and store it (if still current)."""
        started = time.perf_counter()
        try:
            document = self._document(story_id)
        except BaseException:
            self.views.release(story_id)
            raise
        seconds = time.perf_counter() - started
        if not self.views.save(story_id, version, document, seconds):
            self.views.release(story_id)
        return StoredViews(version, document, seconds)

    def _document(self, story_id: str) -> dict[str, Any]:
        story = self.store.story(story_id)
        articles = list(self.store.articles(story.articles))
        computed = self._add_views(story, articles)
        listings = self.store.story_listings(story.events)
        events = [listings[event] for event in story.events if event in listings]
        return story_document(story, computed.headline, articles, events)

    def refresh_views(
        self,
        stories: Iterable[str] | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
        workers: int = 1,
    ) -> RefreshReport:
        """Compute and store the views of every story (or of those given) whose stored
        views are missing or stale, largest first, each story in its own transaction.

        A story another process has claimed (another refresh, or a web worker computing
        it for a page) is left to it. ``workers`` above 1 runs that many processes over
        the same stale stories, which share them out through their claims. Interrupted,
        it leaves every story either up to date or as it was; run again, it goes on
        with what is left. ``progress`` gets (stories done, stories to do).
        """
        if not self.store.versioned:  # opened by code that predates stored views
            return RefreshReport()
        if workers <= 1 or self.store.path == ":memory:":
            return self._refresh(stories, progress)
        wanted = None if stories is None else list(stories)
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers - 1) as pool:
            others = [
                pool.apply_async(_refresh_elsewhere, (self.store.path, self.config, wanted))
                for _ in range(workers - 1)
            ]
            report = self._refresh(wanted, progress)
            for other in others:
                report.add(other.get())
        return report

    def _refresh(
        self, stories: Iterable[str] | None, progress: Callable[[int, int], None] | None
    ) -> RefreshReport:
        report = RefreshReport()
        started = time.perf_counter()
        stale = self.views.stale(stories)
        for done, (story_id, version) in enumerate(stale, 1):
            if progress is not None and done > 1:
                progress(done - 1, len(stale))
            if not self.views.claim(story_id):
                report.elsewhere += 1
                continue
            try:
                begun = time.perf_counter()
                document = self._document(story_id)
            except NotFoundError:
                self.views.release(story_id)
                continue
            except BaseException:
                self.views.release(story_id)
                raise
            seconds = time.perf_counter() - begun
            if self.views.save(story_id, version, document, seconds):
                report.computed += 1
                report.articles += len(document["articles"])
                if report.slowest is None or seconds > report.slowest[1]:
                    report.slowest = (story_id, seconds)
            else:
                self.views.release(story_id)
                report.overtaken += 1
        if progress is not None and stale:
            progress(len(stale), len(stale))
        report.seconds = time.perf_counter() - started
        return report

    def search(
        self, query: str, limit: int = 20, offset: int = 0
    ) -> dict[str, list[dict[str, Any]]]:
        """Articles, stories, quotes and entities matching an FTS5 ``query``, best first;
        ``limit`` and ``offset`` page each kind (stories are those of the page's hits).

        Snippets mark matched words with :data:`MATCH_START` and :data:`MATCH_END`.
        Raises :class:`QueryError` for an empty or malformed query.
        """
        return self.search_page(query, limit, offset)[0]

    def search_page(
        self, query: str, limit: int = 20, offset: int = 0
    ) -> tuple[dict[str, list[dict[str, Any]]], bool]:
        """:meth:`search`, and whether any kind has matches past this page."""
        if not query.strip():
            raise QueryError("nothing to search for: the query is empty")
        # one hit more than the page shows tells whether a next page exists; entity
        # hits are per article: group them, then page the names
        pages = {"article": (limit + 1, offset), "quote": (limit + 1, offset)}
        found = self.store.search_kinds(query, {**pages, "entity": ((offset + limit + 1) * 5, 0)})
        entity_hits = found.pop("entity")
        more = any(len(found[kind]) > limit for kind in ("article", "quote"))
        found = {kind: hits[:limit] for kind, hits in found.items()}
        ids = {hit["article"] for hits in found.values() for hit in hits}
        known = self.store.listings(sorted(ids))

        def where(hit: dict[str, Any]) -> dict[str, Any]:
            listing = known[hit["article"]]
            return {
                **hit,
                "title": listing["title"],
                "outlet": listing["outlet"],
                "published": listing["published"],
                "storyline": listing["storyline"],
                "event": listing["event"],
            }

        articles = [where(hit) for hit in found["article"]]
        quotes = [where(hit) for hit in found["quote"]]
        entities: dict[str, dict[str, Any]] = {}
        for hit in entity_hits:
            entry = entities.setdefault(
                hit["name"], {"name": hit["name"], "snippet": hit["name_snippet"], "articles": []}
            )
            entry["articles"].append(hit["article"])
        storylines: dict[str, int] = {}
        for hit in articles + quotes:
            if hit["storyline"]:
                storylines[hit["storyline"]] = storylines.get(hit["storyline"], 0) + 1
        listed = self.store.story_listings(list(storylines))
        keys = ("id", "title", "articles", "independent_reports")
        stories = [
            {**{key: listed[storyline_id][key] for key in keys}, "matches": hits}
            for storyline_id, hits in storylines.items()
            if storyline_id in listed
        ]
        names = list(entities.values())
        more = more or len(names) > offset + limit
        return {
            "articles": articles,
            "stories": stories,
            "quotes": quotes,
            "entities": names[offset : offset + limit],
        }, more

    def entity(self, name: str) -> dict[str, Any]:
        """One named entity across storylines: its type, aliases, storylines, quotes, facts.

        Names are resolved within each storyline ("Teigen" is Chrissy Teigen where the
        storyline names her in full). Raises :class:`NotFoundError` for an unknown name.
        """
        wanted = " ".join(name.split()).casefold()
        storylines: dict[str, None] = {}
        for article_id in self.store.articles_naming(name):
            storyline = self.store.article(article_id).storyline
            if storyline:
                storylines[storyline] = None
        entry: dict[str, Any] | None = None
        stories: list[dict[str, Any]] = []
        facts: list[dict[str, Any]] = []
        for storyline_id in storylines:
            story = self.store.story(storyline_id)
            articles = list(self.store.articles(story.articles))
            match = [e for e in entity_registry(articles) if e.canonical.casefold() == wanted]
            if not match:
                continue
            found = match[0].to_dict()
            if entry is None:
                entry = {**found, "articles": [], "aliases": {}, "mentions": 0}
            entry["mentions"] += found["mentions"]
            entry["articles"].extend(found["articles"])
            for alias, count in found["aliases"].items():
                entry["aliases"][alias] = entry["aliases"].get(alias, 0) + count
            stories.append(
                {
                    "id": story.id,
                    "title": story.title,
                    "articles": len(story.articles),
                    "mentions": found["mentions"],
                    "last_published": format_datetime(story.last_published),
                }
            )
            for article in resolve_storyline(articles):
                facts.extend(
                    {
                        **fact.to_dict(),
                        "article": article.id,
                        "outlet": article.outlet,
                        "text": article.text[fact.start : fact.end],
                    }
                    for fact in article.facts
                    if fact.entity.casefold() == wanted
                )
        if entry is None:
            raise NotFoundError(f"no entity named {name!r}")
        entry["name"] = entry.pop("canonical")
        entry["storylines"] = stories
        entry["quotes"] = self.quotes(entry["name"])
        entry["facts"] = facts
        return entry

    def contradictions(self, story_id: str | None = None) -> list[tuple[Story, dict[str, Any]]]:
        """Contradictions in one story, or in every storyline, with the story they are in."""
        ids = [story_id] if story_id else [s.id for s in self.store.stories("storyline")]
        found: list[tuple[Story, dict[str, Any]]] = []
        for each in ids:
            story = self.story(each)
            found.extend((story, contradiction) for contradiction in story.contradictions)
        return found

    def quotes(self, speaker: str) -> list[dict[str, Any]]:
        """What a person said, across storylines: each quote once, with its carriers in order.

        ``speaker`` matches a canonical name or any part of it, ignoring case.
        """
        wanted = speaker.casefold().split()
        found = []
        for storyline in self.store.storylines_quoting(speaker):
            for quote in self.story(storyline).quotes:
                name = (quote.get("speaker") or "").casefold().split()
                if name and all(part in name for part in wanted):
                    found.append({**quote, "storyline": storyline})
        return sorted(found, key=lambda q: q["carriers"][0].get("published") or "~")

    def article(self, article_id: str) -> Article:
        return self.store.article(article_id)

    def articles(self, ids: list[str] | None = None) -> Iterator[Article]:
        return self.store.articles(ids)

    def recluster(self, *, dry_run: bool = False) -> ReclusterReport:
        """Cluster every stored article again, in ingest order, with the current settings.

        Used after a setting or the model changes. The new placements and their
        reasons (marked ``recluster:``) are written in one transaction, which a dry
        run rolls back; either way the report says which articles moved.
        """
        before = self.store.placements()
        report = ReclusterReport(
            articles=len(before),
            events_before=len({event for _, event, _ in before if event}),
            storylines_before=len({line for _, _, line in before if line}),
        )
        try:
            with self.store.atomic():
                after = self._recluster_all([article_id for article_id, _, _ in before])
                if self.store.versioned:
                    self.views.forget_missing()
                if dry_run:
                    raise _DryRunRollbackError
        except _DryRunRollbackError:
            pass
        finally:
            self._clusterer = None
        if not dry_run:
            self.refresh_views()
        report.events_after = len(set(after.values()))
        report.storylines_after = len({line for _, line in after.values()})
        for article_id, event, storyline in before:
            new_event, new_storyline = after[article_id]
            if new_event != event:
                report.moved_events.append((article_id, event, new_event))
            if new_storyline != storyline:
                report.moved_storylines.append((article_id, storyline, new_storyline))
        return report

    def _recluster_all(self, ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
        self.store.reset_clusters()
        state = ClusterState(capacity=self.config.active_clusters, loader=self.store.load_profile)
        clusterer = Clusterer(self.config, state)
        placed: dict[str, tuple[str | None, str | None]] = {}
        for start in range(0, len(ids), self.config.batch_size):
            for article in self.store.articles(ids[start : start + self.config.batch_size]):
                original = article.copy_of.original if article.copy_of else None
                article.event = placed.get(original, (None, None))[0] if original else None
                clusterer(article)
                placed[article.id] = (article.event, article.storyline)
                self.store.set_placement(article.id, article.event, article.storyline)
            for assignment in state.assignments:
                assignment.reason = f"recluster: {assignment.reason}"
            self.store.save_cluster_changes(state)
        return placed

    def why(self, article_id: str) -> list[Assignment]:
        """The logged reasons an article went to its event and storyline."""
        self.store.article(article_id)
        return self.store.assignments(article_id)

    def export(self, stories: bool = False) -> Iterator[dict[str, Any]]:
        """Articles (or, with ``stories``, storylines then events) as export-schema dicts."""
        if not stories:
            for article in self.store.articles():
                yield article.to_dict()
            return
        for story in self.store.stories("storyline") + self.store.stories("event"):
            yield self.story(story.id).to_dict()


def _refresh_elsewhere(db: str, config: Config, stories: list[str] | None) -> RefreshReport:
    """One more refresh process (see :meth:`Engine.refresh_views`)."""
    with Engine(db, config=config, stages=[]) as engine:
        return engine._refresh(stories, None)
