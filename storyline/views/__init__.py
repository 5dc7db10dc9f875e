"""Views: pure functions over the articles of a story (timeline, contradictions, quotes).

:func:`story_views` computes everything a story page shows from its articles, so
the engine, the export and any interface share one definition of a story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Article


@dataclass(slots=True)
class StoryViews:
    timeline: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    contradictions: list[dict[str, Any]]
    agreements: list[dict[str, Any]]
    quotes: list[dict[str, Any]]


def story_views(articles: Sequence[Article]) -> StoryViews:
    """Timeline, contradictions, agreements and carried quotes of one story's articles."""
    from .contradictions import check_facts
    from .entities import resolve_storyline
    from .quotes import group_quotes
    from .timeline import timeline

    resolved = resolve_storyline(articles)
    dated = timeline(resolved)
    checked = check_facts(resolved)
    return StoryViews(
        timeline=[entry.to_dict() for entry in dated.entries],
        dates=[estimate.to_dict() for estimate in dated.dates],
        contradictions=[c.to_dict() for c in checked.contradictions],
        agreements=[a.to_dict() for a in checked.agreements],
        quotes=[q.to_dict() for q in group_quotes(resolved)],
    )
