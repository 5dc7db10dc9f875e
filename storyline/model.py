"""The data model every stage shares.

An :class:`Article` travels through the pipeline and each stage fills in its
part: extraction sets the text and metadata, dedup sets ``copy_of``, the NLP
stages add entities, quotes, times and facts, clustering sets ``event`` and
``storyline``. Everything round-trips through plain dicts (``to_dict`` /
``from_dict``) so that JSON Lines exports and Spark partitions carry the same
shape. Character offsets (``start``, ``end``) always index ``Article.text``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Any, Self


def parse_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp, treating a naive one as UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Record:
    """Mixin for the small annotation records: dict round-trip by field name."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload, no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = _field_names(cls)  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@cache
def _field_names(cls: type) -> frozenset[str]:
    """A record class's field names, looked up once (stored articles hold thousands)."""
    return frozenset(f.name for f in fields(cls))


@dataclass(slots=True)
class Entity(Record):
    """A named-entity mention, with the canonical name its alias resolves to."""

    text: str
    label: str
    start: int
    end: int
    canonical: str


@dataclass(slots=True)
class Quote(Record):
    """A direct quote and who said it (a canonical name or a descriptor)."""

    text: str
    start: int
    end: int
    speaker: str | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    cue: str | None = None
    #: "entity" (a name), "pronoun" (resolved to a name when clear) or "descriptor"
    speaker_kind: str | None = None
    #: index in ``Article.quotes`` of the first part of a quote split by its attribution
    part_of: int | None = None
    #: where the attributed words end when they run on, unquoted, past the closing mark to
    #: an attribution ending the sentence (``"We are horrified" by the shooting, he said``)
    content_end: int | None = None


@dataclass(slots=True)
class TimeExpr(Record):
    """A temporal expression normalised as TIMEX3 does (value plus granularity)."""

    text: str
    start: int
    end: int
    type: str
    value: str
    granularity: str
    #: TIMEX3 ``mod``: APPROX, LESS_THAN, MORE_THAN, START, MID, END...
    mod: str | None = None
    #: the date a relative expression was resolved against (None when absolute)
    anchor: str | None = None
    #: True when that anchor is an estimated publication date, not a known one
    estimated: bool = False
    #: True for an age ("9 weeks old"), which TimeML does not annotate as a TIMEX3
    age: bool = False


@dataclass(slots=True)
class Fact(Record):
    """(entity, attribute, value, as-of date) with the span that states it."""

    entity: str
    attribute: str
    value: str
    start: int
    end: int
    as_of: str | None = None
    unit: str | None = None
    qualifier: str | None = None
    #: the sentence that states the fact (offsets into ``Article.text``)
    sentence_start: int | None = None
    sentence_end: int | None = None
    #: True when ``as_of`` is an estimated publication date
    as_of_estimated: bool = False
    #: how a derived fact was obtained, e.g. "age P14M as of 2019-07-16"
    basis: str | None = None


@dataclass(slots=True)
class CopyLink(Record):
    """This article is a copy of ``original``: how, and how similar."""

    original: str
    kind: str
    similarity: float


@dataclass(slots=True)
class Republication(Record):
    """One copy in a story: which outlet republished whom, how, and how similar."""

    copy: str
    copy_outlet: str | None
    original: str
    original_outlet: str | None
    kind: str
    similarity: float


@dataclass(slots=True)
class Article:
    """One news article and everything the stages learn about it."""

    id: str
    text: str
    title: str = ""
    url: str | None = None
    path: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    event: str | None = None
    storyline: str | None = None
    copy_of: CopyLink | None = None
    entities: list[Entity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    times: list[TimeExpr] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    #: the spaCy ``Doc`` NLP stages share within one batch; never stored or exported
    doc: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The export schema for one article (stable: later fields are only added)."""
        return {
            "id": self.id,
            "url": self.url,
            "path": self.path,
            "outlet": self.outlet,
            "title": self.title,
            "author": self.author,
            "published": format_datetime(self.published),
            "language": self.language,
            "event": self.event,
            "storyline": self.storyline,
            "copy_of": self.copy_of.to_dict() if self.copy_of else None,
            "entities": [e.to_dict() for e in self.entities],
            "quotes": [q.to_dict() for q in self.quotes],
            "times": [t.to_dict() for t in self.times],
            "facts": [f.to_dict() for f in self.facts],
            "metadata": self.metadata,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        copy = data.get("copy_of")
        return cls(
            id=data["id"],
            text=data.get("text", ""),
            title=data.get("title") or "",
            url=data.get("url"),
            path=data.get("path"),
            outlet=data.get("outlet"),
            author=data.get("author"),
            published=parse_datetime(data.get("published")),
            language=data.get("language"),
            metadata=dict(data.get("metadata") or {}),
            event=data.get("event"),
            storyline=data.get("storyline"),
            copy_of=CopyLink.from_dict(copy) if copy else None,
            entities=[Entity.from_dict(e) for e in data.get("entities", [])],
            quotes=[Quote.from_dict(q) for q in data.get("quotes", [])],
            times=[TimeExpr.from_dict(t) for t in data.get("times", [])],
            facts=[Fact.from_dict(f) for f in data.get("facts", [])],
        )


@dataclass(slots=True)
class Assignment(Record):
    """Why an article went where it did: the log behind every event and storyline id."""

    article: str
    kind: str  # "event" or "storyline"
    target: str
    created: bool
    score: float
    runner_up: str | None = None
    runner_up_score: float | None = None
    features: dict[str, float] = field(default_factory=dict)
    reason: str = ""


@dataclass(slots=True)
class Story:
    """An event (one happening) or a storyline (one subject over time), as users see it."""

    id: str
    kind: str  # "event" or "storyline"
    title: str
    articles: list[str]
    first_published: datetime | None = None
    last_published: datetime | None = None
    events: list[str] = field(default_factory=list)
    storyline: str | None = None
    summary: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    contradictions: list[dict[str, Any]] = field(default_factory=list)
    #: distinct reports: copy groups with an article in the story
    independent_reports: int | None = None
    #: articles beyond the first of their copy group (see ``republications``)
    copies: int | None = None
    republications: list[Republication] = field(default_factory=list)
    #: facts on which several independent outlets agree
    agreements: list[dict[str, Any]] = field(default_factory=list)
    #: each distinct quote once, with the articles that carried it in publication order
    quotes: list[dict[str, Any]] = field(default_factory=list)
    #: publication dates estimated for undated articles, with their basis
    estimated_dates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "articles": self.articles,
            "first_published": format_datetime(self.first_published),
            "last_published": format_datetime(self.last_published),
        }
        if self.kind == "storyline":
            data["events"] = self.events
        else:
            data["storyline"] = self.storyline
        data["summary"] = self.summary
        data["timeline"] = self.timeline
        data["contradictions"] = self.contradictions
        data["independent_reports"] = self.independent_reports
        data["copies"] = self.copies
        data["republications"] = [r.to_dict() for r in self.republications]
        data["agreements"] = self.agreements
        data["quotes"] = self.quotes
        data["estimated_dates"] = self.estimated_dates
        return data
