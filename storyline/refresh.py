"""Stored story views brought up to date: one story on demand, or every stale one.

What a story's views are is the engine's to compute (``document``: a story id to the
document its page shows, :meth:`storyline.engine.Engine.story_document`); here is
when they are computed and how they reach the store, through the claims and the
compare-and-set save of :class:`~storyline.viewstore.ViewStore`, so that two
processes never compute the same story at once and a document computed while a
write touched its story is never taken as fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import NotFoundError
from .reports import RefreshReport
from .store import Store
from .viewstore import CLAIM_SECONDS, StoredViews, ViewStore, wait_for

__all__ = ["Computed", "Document", "refresh_stale", "stored_or_computed"]


@dataclass(slots=True, frozen=True)
class Computed:
    """A story's document, and for a storyline the rows its entities' pages read."""

    document: dict[str, Any]
    entities: list[dict[str, Any]] | None = None


#: computes everything a story's page shows, from its articles
Document = Callable[[str], Computed]


def stored_or_computed(
    store: Store, views: ViewStore, story_id: str, document: Document, *, stale_ok: bool
) -> StoredViews:
    """A story's stored document, computed (and stored) first when missing or stale.

    With ``stale_ok`` a stale document is taken as it is. When another process is
    computing the story, this waits for its result rather than computing it a second
    time. Raises :class:`NotFoundError` for an unknown story.
    """
    if not store.versioned:  # opened by code that predates stored views
        started = time.perf_counter()
        return StoredViews(0, document(story_id).document, time.perf_counter() - started)
    state = views.state(story_id)
    if state is None:
        store.story(story_id)  # NotFoundError for an unknown story
        views.track(story_id)
        state = views.state(story_id)
        assert state is not None
    if state.fresh or (stale_ok and state.servable):
        stored = views.load(story_id)
        if stored is not None:
            return stored
    if not views.claim(story_id):
        waited = wait_for(views, story_id, state.version, CLAIM_SECONDS)
        if waited is not None:
            return waited
    return _compute(views, story_id, state.version, document)


def _compute(views: ViewStore, story_id: str, version: int, document: Document) -> StoredViews:
    """Compute a story's document at ``version`` and store it (if still current)."""
    started = time.perf_counter()
    try:
        computed = document(story_id)
    except BaseException:
        views.release(story_id)
        raise
    seconds = time.perf_counter() - started
    if not views.save(story_id, version, computed.document, seconds, computed.entities):
        views.release(story_id)
    return StoredViews(version, computed.document, seconds)


def refresh_stale(
    views: ViewStore,
    stories: Iterable[str] | None,
    document: Document,
    progress: Callable[[int, int], None] | None,
) -> RefreshReport:
    """Compute and store the document of every stale story (of ``stories``, or all),
    largest first, each in its own transaction; a story another process has claimed
    is left to it. ``progress`` gets (stories done, stories to do)."""
    report = RefreshReport()
    started = time.perf_counter()
    stale = views.stale(stories)
    for done, (story_id, version) in enumerate(stale, 1):
        if progress is not None and done > 1:
            progress(done - 1, len(stale))
        if not views.claim(story_id):
            report.elsewhere += 1
            continue
        try:
            begun = time.perf_counter()
            computed = document(story_id)
        except NotFoundError:
            views.release(story_id)
            continue
        except BaseException:
            views.release(story_id)
            raise
        seconds = time.perf_counter() - begun
        if views.save(story_id, version, computed.document, seconds, computed.entities):
            report.computed += 1
            report.articles += len(computed.document["articles"])
            if report.slowest is None or seconds > report.slowest[1]:
                report.slowest = (story_id, seconds)
        else:
            views.release(story_id)
            report.overtaken += 1
    if progress is not None and stale:
        progress(len(stale), len(stale))
    report.seconds = time.perf_counter() - started
    return report
