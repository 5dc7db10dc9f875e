"""A storyline's timeline: its dated events and facts in order, each with its evidence.

:func:`timeline` dates the undated articles first
(:func:`~storyline.views.dating.estimate_dates`), then collects

* every DATE or TIME expression with a calendar value ("in June" -> June
  2019, "May of 2018"), as the sentence that contains it;
* birth and death dates ("Miles Stephens born May 2018"), which replace the
  plain date of the same sentence;
* ages, dated on the day the article states them ("Miles Stephens 9 weeks old",
  about July 2018 when that day is itself estimated).

Entries say what they rest on: granularity, a reader's label ("May 2018",
"about July 2018"), whether the date depends on an estimated publication date,
and the article, outlet and character span. The same statement carried by
several articles (copies included) is one entry with several sources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import Article, Fact, TimeExpr
from ..nlp.times import interval_of, span_sentences
from ..text import normalise
from .dating import DateEstimate, anchored, describe, estimate_dates

__all__ = ["Timeline", "TimelineEntry", "timeline"]

#: granularities whose value depends on the exact anchor day: approximate on an estimated anchor
_DEICTIC = ("day", "part of day", "minute", "week", "weekend")


@dataclass(slots=True)
class TimelineEntry:
    """One dated thing that happened (or was true), with where it is said."""

    #: TIMEX3 value ("2018-05") or ISO interval ("2018-07-03/2018-08-09")
    value: str
    first_day: str
    last_day: str
    granularity: str
    label: str
    approximate: bool
    #: the date depends on an estimated publication date
    estimated: bool
    #: "time", "birth", "death" or "age"
    kind: str
    summary: str
    text: str
    article: str
    outlet: str | None
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    sources: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class Timeline:
    entries: list[TimelineEntry]
    #: publication date of every article, known or estimated
    dates: list[DateEstimate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [e.to_dict() for e in self.entries],
            "dates": [d.to_dict() for d in self.dates],
        }


def timeline(
    articles: Sequence[Article],
    *,
    estimates: dict[str, DateEstimate] | None = None,
    ready: Sequence[Article] | None = None,
) -> Timeline:
    """The dated events and facts of a storyline's articles, in order of when they happened.

    ``estimates`` and ``ready`` are :func:`estimate_dates` and :func:`anchored` of
    ``articles`` when the caller has them (the contradiction view needs them too)."""
    estimates = estimates if estimates is not None else estimate_dates(articles)
    ready = ready if ready is not None else anchored(articles, estimates)
    entries: dict[tuple[str, str, str], TimelineEntry] = {}
    for article in ready:
        estimate = estimates.get(article.id)
        from_facts = list(_fact_entries(article, estimate))
        covered = [(e.start, e.end) for e in from_facts]
        from_times = [
            e
            for e in _time_entries(article)
            if not any(s <= e.start and e.end <= t for s, t in covered)
        ]
        for entry in from_facts + from_times:
            key = (entry.kind, entry.value, _statement(entry.text))
            if key in entries:
                entries[key].sources.append(_source(article, entry))
            else:
                entry.sources.append(_source(article, entry))
                entries[key] = entry
    ordered = sorted(entries.values(), key=lambda e: (_middle(e), e.first_day, e.article, e.start))
    return Timeline(ordered, [estimates[a.id] for a in articles if a.id in estimates])


def _middle(entry: TimelineEntry) -> date:
    """Entries are ordered by the middle of their span: "about July 2019" after "June 2019"."""
    first, last = date.fromisoformat(entry.first_day), date.fromisoformat(entry.last_day)
    return first + (last - first) / 2


def _statement(text: str) -> str:
    return re.sub(r"\W+", " ", normalise(text).casefold()).strip()


def _source(article: Article, entry: TimelineEntry) -> dict[str, Any]:
    return {
        "article": article.id,
        "outlet": article.outlet,
        "start": entry.start,
        "end": entry.end,
        "copy_of": article.copy_of.original if article.copy_of else None,
    }


def _time_entries(article: Article) -> list[TimelineEntry]:
    entries = []
    for expr in article.times:
        if expr.type not in ("DATE", "TIME") or expr.age:
            continue
        span = interval_of(expr.value)
        if span is None:
            continue
        approximate = expr.estimated and expr.granularity in _DEICTIC
        entries.append(
            _entry(article, expr.value, span, expr.granularity, approximate, expr, "time", None)
        )
    return entries


def _fact_entries(article: Article, estimate: DateEstimate | None) -> list[TimelineEntry]:
    entries = []
    for fact in article.facts:
        if fact.attribute in ("birth_date", "death_date") and not fact.basis:
            span = interval_of(fact.value)
            if span is None:
                continue
            kind = fact.attribute.split("_")[0]
            expr = next((t for t in article.times if t.end == fact.end), None)
            granularity = expr.granularity if expr else "day"
            summary = f"{fact.entity} {'born' if kind == 'birth' else 'died'}"
            entry = _entry(
                article, fact.value, span, granularity, bool(fact.qualifier), fact, kind, summary
            )
            entry.estimated = bool(
                expr and expr.estimated
            )  # "May of 2018" holds whatever the anchor
            entries.append(entry)
        elif fact.attribute == "age" and fact.as_of:
            entries.append(_age_entry(article, fact, estimate))
    return entries


def _age_entry(article: Article, fact: Fact, estimate: DateEstimate | None) -> TimelineEntry:
    assert fact.as_of is not None
    known = estimate is None or estimate.known
    if known or estimate is None or not (estimate.earliest and estimate.latest):
        first = last = date.fromisoformat(fact.as_of)
    else:
        first, last = date.fromisoformat(estimate.earliest), date.fromisoformat(estimate.latest)
    value = fact.as_of if first == last else f"{first.isoformat()}/{last.isoformat()}"
    entry = _entry(
        article, value, (first, last), "day" if known else "month", not known, fact, "age", ""
    )
    middle = first + (last - first) / 2
    entry.label = (
        describe(fact.as_of) if known else describe(middle.isoformat()[:7], approximate=True)
    )
    age = article.text[fact.start : fact.end]
    entry.summary = f"{fact.entity}: {age}"
    entry.estimated = not known
    return entry


def _entry(
    article: Article,
    value: str,
    span: tuple[date, date],
    granularity: str,
    approximate: bool,
    source: TimeExpr | Fact,
    kind: str,
    summary: str | None,
) -> TimelineEntry:
    if isinstance(source, Fact) and source.sentence_start is not None:
        # the fact stage already bounded its evidence; the contradictions cite the same
        lo, hi = source.sentence_start, source.sentence_end or source.end
    else:
        lo, hi = span_sentences(article.text, source.start, source.end)
    sentence = article.text[lo:hi]
    estimated = source.estimated if isinstance(source, TimeExpr) else source.as_of_estimated
    label = describe(value, approximate=approximate)
    return TimelineEntry(
        value=value,
        first_day=span[0].isoformat(),
        last_day=span[1].isoformat(),
        granularity=granularity,
        label=label,
        approximate=approximate,
        estimated=bool(estimated),
        kind=kind,
        summary=summary if summary is not None else " ".join(sentence.split()),
        text=sentence,
        article=article.id,
        outlet=article.outlet,
        start=source.start,
        end=source.end,
        sentence_start=lo,
        sentence_end=hi,
    )
