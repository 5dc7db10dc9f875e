"""Views: pure functions over the articles of a story (timeline, contradictions, quotes,
summary).

:func:`story_views` computes everything a story page shows from its articles, so
the engine, the export and any interface share one definition of a story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Article
from .summary import Boilerplate


@dataclass(slots=True)
class StoryViews:
    timeline: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    contradictions: list[dict[str, Any]]
    agreements: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    #: 3-5 sentences, each citing its article and span (see :mod:`.summary`)
    summary: list[dict[str, Any]] = field(default_factory=list)
    #: a headline chosen from the articles' titles
    headline: str | None = None
    #: one row per named entity, for entity pages (see :func:`.entities.entity_index`)
    entities: list[dict[str, Any]] = field(default_factory=list)


def story_views(
    articles: Sequence[Article],
    *,
    boilerplate: Boilerplate | None = None,
    entities: bool = False,
) -> StoryViews:
    """Timeline, contradictions, agreements, carried quotes and summary of one story's
    articles; ``boilerplate`` gives the spans the summary must leave out. With
    ``entities``, also the rows of its entities' pages (stored for storylines only)."""
    from .contradictions import check_facts
    from .dating import anchored, estimate_dates
    from .entities import entity_index, resolve_storyline
    from .quotes import group_quotes
    from .summary import summarise
    from .timeline import timeline

    resolved = resolve_storyline(articles)
    # dated once for both views that need it
    estimates = estimate_dates(resolved)
    ready = anchored(resolved, estimates)
    dated = timeline(resolved, estimates=estimates, ready=ready)
    checked = check_facts(resolved, ready=ready)
    summary = summarise(articles, boilerplate=boilerplate)
    quotes = [q.to_dict() for q in group_quotes(resolved)]
    return StoryViews(
        timeline=[entry.to_dict() for entry in dated.entries],
        dates=[estimate.to_dict() for estimate in dated.dates],
        contradictions=[c.to_dict() for c in checked.contradictions],
        agreements=[a.to_dict() for a in checked.agreements],
        quotes=quotes,
        summary=summary.sentences,
        headline=summary.headline,
        entities=entity_index(resolved, quotes) if entities else [],
    )
