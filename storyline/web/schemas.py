"""The JSON API's response shapes, so that ``/api/openapi.json`` describes what it sends.

Every model forbids fields it does not declare: when the engine starts returning
something new, the API fails loudly in the tests instead of dropping it silently, and
the schema is updated with it. Dates are ISO 8601 strings (``2024-03-10T08:00:00Z``)
or null when unknown. List endpoints are paged: ``limit`` and ``offset`` in, and the
relative URLs of the ``next`` and ``previous`` pages out (null at either end).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ArticleDetail",
    "ArticleListing",
    "Carrier",
    "Contradiction",
    "Coverage",
    "DateEstimate",
    "EntityDetail",
    "Evidence",
    "OutletCoverage",
    "Page",
    "Quote",
    "QuoteList",
    "Republication",
    "SearchResults",
    "Section",
    "StoryDates",
    "StoryDetail",
    "StoryList",
    "StoryQuotes",
    "StoryRepublications",
    "StoryTimeline",
    "SummarySentence",
    "TimelineEntry",
]

Date = str | None


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Shape):
    """Where a page of a list sits in the whole list."""

    limit: int
    offset: int
    total: int | None = Field(description="items in the whole list (null when not counted)")
    next: str | None = Field(description="URL of the next page, null on the last")
    previous: str | None = Field(description="URL of the previous page, null on the first")


# -- stories ----------------------------------------------------------------------------


class Coverage(Shape):
    """A story as listed: title, dates and how many outlets covered it, and how."""

    id: str
    kind: str = Field(description='"event" or "storyline"')
    title: str
    articles: int
    independent_reports: int | None = Field(description="copy groups: copies count once")
    copies: int | None
    first_published: Date
    last_published: Date


class StorylineListing(Coverage):
    events: list[Coverage] = Field(description="its newest events, at most five")
    events_total: int


class StoryList(Shape):
    storylines: list[StorylineListing]
    page: Page


class SummarySentence(Shape):
    """A summary sentence and the article span it is taken from."""

    text: str
    article: str
    outlet: str | None
    start: int
    end: int


class TimelineSource(Shape):
    article: str
    outlet: str | None
    start: int
    end: int
    copy_of: str | None


class TimelineEntry(Shape):
    value: str = Field(description='TIMEX3 value ("2018-05") or ISO interval')
    first_day: str
    last_day: str
    granularity: str
    label: str
    approximate: bool
    estimated: bool
    kind: str = Field(description='"time", "birth", "death" or "age"')
    summary: str
    text: str
    article: str
    outlet: str | None
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    sources: list[TimelineSource]


class DateEstimate(Shape):
    """An article's publication date: known, or estimated with its basis."""

    article: str
    day: str | None
    earliest: str | None
    latest: str | None
    known: bool
    basis: str
    reason: str
    label: str
    evidence: list[dict[str, Any]]


class Evidence(Shape):
    """One statement of a fact, with the sentence that makes it."""

    article: str
    outlet: str | None
    value: str
    label: str
    sentence: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    as_of: str | None
    copy_of: str | None


class Side(Shape):
    value: str
    label: str
    sources: int = Field(description="independent sources (copies fold into their original)")
    outlets: int
    evidence: list[Evidence]


class Contradiction(Shape):
    """Facts about one entity that cannot all be true, each side with its evidence."""

    entity: str
    attribute: str
    sides: list[Side]
    undecided: list[Evidence]


class Agreement(Side):
    """A fact that several independent outlets state alike."""

    entity: str
    attribute: str


class Carrier(Shape):
    """An article that carries a quote."""

    article: str
    outlet: str | None
    published: Date
    start: int
    end: int
    speaker: str | None
    speaker_kind: str | None
    content_end: int | None = Field(
        default=None, description="where the attributed words end, past the closing mark"
    )


class Quote(Shape):
    """A quote once, with every article that carried it in publication order."""

    text: str
    speaker: str | None
    speaker_kind: str | None = Field(description='"entity", "pronoun" or "descriptor"')
    carriers: list[Carrier]
    storyline: str | None = Field(default=None, description="set where quotes span storylines")


class QuoteList(Shape):
    quotes: list[Quote]
    page: Page


class Republication(Shape):
    """One copy: which outlet republished whom, how, and how similar."""

    copy_: str = Field(alias="copy")
    copy_outlet: str | None
    original: str
    original_outlet: str | None
    kind: str
    similarity: float

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class CopyLink(Shape):
    original: str
    kind: str
    similarity: float


class ArticleListing(Shape):
    """An article without its text and annotations."""

    id: str
    title: str
    outlet: str | None
    author: str | None
    url: str | None
    published: Date
    event: str | None
    storyline: str | None
    copy_of: CopyLink | None


class OutletCoverage(Shape):
    outlet: str
    first: Date = Field(description="when the outlet first reported")
    articles: int
    originals: int
    copies: int


class Section(Shape):
    """How much of one of a story's long lists an answer holds, and where the rest is."""

    shown: int
    total: int
    href: str = Field(description="URL of the whole list, paged")


class StoryDetail(Shape):
    """One event or storyline with everything its page shows; its articles are paged.

    Of its timeline and quotes only the entries with most sources are sent, in their
    order; of its republications and date estimates the first ones (``sections`` says
    how many, and where each whole list is)."""

    id: str
    kind: str
    title: str
    headline: str
    first_published: Date
    last_published: Date
    events: list[Coverage] = Field(default_factory=list)
    storyline: str | None = None
    summary: list[SummarySentence]
    timeline: list[TimelineEntry]
    contradictions: list[Contradiction]
    agreements: list[Agreement]
    independent_reports: int | None
    copies: int | None
    republications: list[Republication]
    quotes: list[Quote]
    estimated_dates: list[DateEstimate]
    outlets: list[OutletCoverage]
    articles: list[ArticleListing]
    articles_page: Page
    sections: dict[str, Section]


class StoryPart(Shape):
    """What a page of one of a story's long lists says of the story."""

    id: str
    kind: str
    title: str
    headline: str
    page: Page


class StoryTimeline(StoryPart):
    """A story's timeline, whole, a page at a time."""

    timeline: list[TimelineEntry]


class StoryQuotes(StoryPart):
    """A story's quotes, each once with its carriers, a page at a time."""

    quotes: list[Quote]


class StoryRepublications(StoryPart):
    """Who republished whom in a story, a page at a time."""

    republications: list[Republication]


class StoryDates(StoryPart):
    """The publication date of each of a story's articles, known or estimated."""

    estimated_dates: list[DateEstimate]


# -- articles, entities, search ------------------------------------------------------


class Entity(Shape):
    text: str
    label: str
    start: int
    end: int
    canonical: str


class ArticleQuote(Shape):
    text: str
    start: int
    end: int
    speaker: str | None
    speaker_start: int | None
    speaker_end: int | None
    cue: str | None
    speaker_kind: str | None
    part_of: int | None
    content_end: int | None = Field(
        default=None, description="where the attributed words end, past the closing mark"
    )


class TimeExpr(Shape):
    text: str
    start: int
    end: int
    type: str
    value: str
    granularity: str
    mod: str | None
    anchor: str | None
    estimated: bool
    age: bool


class Fact(Shape):
    entity: str
    attribute: str
    value: str
    start: int
    end: int
    as_of: str | None
    unit: str | None
    qualifier: str | None
    sentence_start: int | None
    sentence_end: int | None
    as_of_estimated: bool
    basis: str | None


class ArticleDetail(ArticleListing):
    """One article in the export schema."""

    path: str | None
    language: str | None
    entities: list[Entity]
    quotes: list[ArticleQuote]
    times: list[TimeExpr]
    facts: list[Fact]
    metadata: dict[str, Any]
    text: str


class EntityStoryline(Shape):
    id: str
    title: str
    articles: int
    mentions: int
    last_published: Date


class EntityFact(Fact):
    article: str
    outlet: str | None
    text: str


class EntityDetail(Shape):
    """One named entity across storylines; its storylines, quotes, facts and the ids of
    the articles naming it are paged together."""

    name: str
    label: str
    aliases: dict[str, int]
    mentions: int
    articles: list[str]
    articles_total: int
    first_seen: Date
    storylines: list[EntityStoryline]
    storylines_total: int
    quotes: list[Quote]
    quotes_total: int
    facts: list[EntityFact]
    facts_total: int
    page: Page


class Snippet(Shape):
    """Plain text and the [start, end) offsets of the words that matched."""

    text: str
    matches: list[list[int]]


class Hit(Shape):
    """An article or quote that matched, with where it sits."""

    kind: str
    article: str
    name: str
    body: str
    name_snippet: Snippet
    snippet: Snippet
    title: str
    outlet: str | None
    published: Date
    storyline: str | None
    event: str | None


class StoryHit(Shape):
    id: str
    title: str
    matches: int
    articles: int
    independent_reports: int | None


class EntityHit(Shape):
    name: str
    snippet: Snippet
    articles: list[str]


class SearchResults(Shape):
    """One page of matches of each kind, best first."""

    query: str
    articles: list[Hit]
    stories: list[StoryHit]
    quotes: list[Hit]
    entities: list[EntityHit]
    page: Page
