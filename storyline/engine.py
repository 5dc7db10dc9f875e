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

The engine holds the write path and what a story's views are; the rest of the read
side sits beside it: :mod:`storyline.refresh` decides when stored views are
computed and saved, :mod:`storyline.queries` answers search, entity and quote
queries across stories, and :mod:`storyline.reports` holds what operations report.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import queries
from .cluster import Clusterer, ClusterState
from .config import Config
from .dedup import Deduplicator, Span
from .errors import ExtractionError, InputError, QueryError
from .extract import Extracted, canonical_url, extract, prepare
from .model import Article, Assignment, Republication, Story
from .pipeline import Pipeline, Stage, default_stages
from .refresh import Computed, refresh_stale, stored_or_computed
from .reports import IngestReport, ReclusterReport, RefreshReport
from .sources import InputReader
from .store import MATCH_END, MATCH_START, SqliteCopyIndex, Store
from .views import StoryViews, story_views
from .views.document import story_document
from .viewstore import StoredViews, ViewStore

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


class _DryRunRollbackError(Exception):
    """Ends a dry run's transaction so that nothing it wrote is kept."""


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

    # -- writing: ingest, live inputs (warc.py, net/), re-clustering -----------

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

    # -- reading the store -----------------------------------------------------

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

    def article(self, article_id: str) -> Article:
        return self.store.article(article_id)

    def articles(self, ids: list[str] | None = None) -> Iterator[Article]:
        return self.store.articles(ids)

    def why(self, article_id: str) -> list[Assignment]:
        """The logged reasons an article went to its event and storyline."""
        self.store.article(article_id)
        return self.store.assignments(article_id)

    def republications(self, story_id: str) -> list[Republication]:
        """Which outlet republished whom in one event or storyline."""
        return self.store.story(story_id).republications

    def boilerplate(self, article: Article | str) -> list[Span]:
        """Character spans of an article's text that are boilerplate, as known now.

        Quotes, summaries and other stages call this to leave share prompts,
        newsletter pitches and the like out of what they read.
        """
        if isinstance(article, str):
            article = self.store.article(article)
        indexed = self.store.has_article_id(article.id)
        return self.deduplicator.boilerplate_spans(article, indexed=indexed)

    def export(self, stories: bool = False) -> Iterator[dict[str, Any]]:
        """Articles (or, with ``stories``, storylines then events) as export-schema dicts."""
        if not stories:
            for article in self.store.articles():
                yield article.to_dict()
            return
        for story in self.store.stories("storyline") + self.store.stories("event"):
            yield self.story(story.id).to_dict()

    # -- story views: computed here, stored and refreshed by refresh.py --------

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
        return stored_or_computed(
            self.store, self.views, story_id, self._document, stale_ok=stale_ok
        )

    def _document(self, story_id: str) -> Computed:
        story = self.store.story(story_id)
        articles = list(self.store.articles(story.articles))
        computed = self._add_views(story, articles)
        listings = self.store.story_listings(story.events)
        events = [listings[event] for event in story.events if event in listings]
        document = story_document(story, computed.headline, articles, events)
        return Computed(document, computed.entities if story.kind == "storyline" else None)

    def _add_views(self, story: Story, articles: list[Article]) -> StoryViews:
        computed = story_views(
            articles, boilerplate=self.boilerplate, entities=story.kind == "storyline"
        )
        story.timeline = computed.timeline
        story.estimated_dates = computed.dates
        story.contradictions = computed.contradictions
        story.agreements = computed.agreements
        story.quotes = computed.quotes
        story.summary = computed.summary
        return computed

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
        return refresh_stale(self.views, stories, self._document, progress)

    # -- queries across stories (queries.py) -----------------------------------

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
        return queries.search_page(self.store, query, limit, offset)

    def entity(self, name: str) -> dict[str, Any]:
        """One named entity across storylines: its type, aliases, storylines, quotes, facts.

        Names are resolved within each storyline ("Teigen" is Chrissy Teigen where the
        storyline names her in full). Raises :class:`NotFoundError` for an unknown name.
        """
        return queries.entity(self.store, self.views, name)

    def contradictions(self, story_id: str | None = None) -> list[tuple[Story, dict[str, Any]]]:
        """Contradictions in one story, or in every storyline, with the story they are in."""
        return queries.contradictions(self.store, self.story, story_id)

    def quotes(self, speaker: str) -> list[dict[str, Any]]:
        """What a person said, across storylines: each quote once, with its carriers in order.

        ``speaker`` matches a canonical name or any part of it, ignoring case.
        """
        return queries.quotes_by(self.store, self.story, speaker)


def _refresh_elsewhere(db: str, config: Config, stories: list[str] | None) -> RefreshReport:
    """One more refresh process (see :meth:`Engine.refresh_views`)."""
    with Engine(db, config=config, stages=[]) as engine:
        return engine._refresh(stories, None)
