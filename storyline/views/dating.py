"""Publication dates for the articles of a storyline, estimated when an article has none.

:func:`estimate_dates` gives every article a :class:`DateEstimate`. A known
publication date is taken as it is. For an undated article, in this order:

1. **Ages against a known birth date.** "Miles is about 14 months old" plus
   "Miles was born in May of 2018" in another article of the storyline puts the
   article in June–August 2019. Only birth dates written in full (not resolved
   from the other article's own estimate) are used, so nothing is circular.
2. **Same happening.** An article of the same event (``Article.event``), or one
   that quotes the same sentence of six words or more, gets that article's date.
3. **Explicit dates.** The latest fully written date the article mentions is a
   lower bound: it was published on or after it.

:func:`anchored` returns copies of the articles whose relative expressions and
facts are re-resolved against those estimates (marked ``estimated``); the
timeline and contradiction views work on them. Everything here is a pure
function of the articles given.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ..model import Article, Fact
from ..nlp.facts import age_birth_interval, entity_key, extract_facts, merge_keys
from ..nlp.times import Anchor, find_times, interval_of
from ..text import normalise

__all__ = ["DateEstimate", "anchored", "describe", "estimate_dates", "storyline_keys"]

_QUOTE = re.compile(r"[\"“]([^\"“”\n]{20,400})[\"”]")


@dataclass(slots=True)
class DateEstimate:
    """When an article was published: known, or estimated with its basis and evidence."""

    article: str
    #: the day relative expressions are resolved against (None when only a bound is known)
    day: str | None
    earliest: str | None
    latest: str | None
    known: bool
    #: "published", "age", "same event", "shared quote" or "explicit date"
    basis: str
    #: the estimate in words, with where it comes from
    reason: str
    label: str
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "day": self.day,
            "earliest": self.earliest,
            "latest": self.latest,
            "known": self.known,
            "basis": self.basis,
            "reason": self.reason,
            "label": self.label,
            "evidence": self.evidence,
        }

    def anchor(self) -> Anchor | None:
        """The anchor for this article's relative expressions, if there is a day to count from."""
        if self.day is None:
            return None
        return Anchor(
            date.fromisoformat(self.day),
            estimated=not self.known,
            earliest=date.fromisoformat(self.earliest) if self.earliest else None,
            latest=date.fromisoformat(self.latest) if self.latest else None,
            basis=self.basis,
        )


def describe(value: str, approximate: bool = False) -> str:
    """How a reader says a DATE value: "21 July 2018", "May 2018", "about July 2018"."""
    prefix = "about " if approximate else ""
    if "T" in value and value[:1] != "P":
        day, clock = value.split("T", 1)
        parts = {"MO": "morning", "AF": "afternoon", "EV": "evening", "NI": "night"}
        when = parts.get(clock, clock if clock != "24" else "midnight")
        return f"{describe(day, approximate)}, {when}"
    if value in ("PRESENT_REF", "PAST_REF", "FUTURE_REF"):
        return {"PRESENT_REF": "now", "PAST_REF": "in the past", "FUTURE_REF": "in the future"}[
            value
        ]
    match = re.fullmatch(r"(\d{4}|XXXX)-(\d\d)(?:-(\d\d))?", value)
    if match:
        year = "" if match.group(1) == "XXXX" else " " + match.group(1)
        month = calendar.month_name[int(match.group(2))]
        if match.group(3):
            return f"{prefix}{int(match.group(3))} {month}{year}"
        return f"{prefix}{month}{year}"
    quarter = re.fullmatch(r"(\d{4})-([QH])([1-4])", value)
    if quarter:
        name = "quarter" if quarter.group(2) == "Q" else "half"
        ordinal = ["first", "second", "third", "fourth"][int(quarter.group(3)) - 1]
        return f"{prefix}{ordinal} {name} of {quarter.group(1)}"
    season = re.fullmatch(r"(\d{4})-(SP|SU|FA|WI)", value)
    if season:
        names = {"SP": "spring", "SU": "summer", "FA": "autumn", "WI": "winter"}
        return f"{prefix}{names[season.group(2)]} {season.group(1)}"
    week = re.fullmatch(r"(\d{4})-W(\d\d)(-WE)?", value)
    if week:
        what = "weekend" if week.group(3) else "week"
        return f"{prefix}{what} {int(week.group(2))} of {week.group(1)}"
    if re.fullmatch(r"\d{3}", value):
        return f"{prefix}the {value}0s"
    return prefix + value


def storyline_keys(articles: Sequence[Article]) -> dict[str, str]:
    """Entity name -> the merged key it is compared by across the storyline (see ``merge_keys``)."""
    names = {e.canonical for a in articles for e in a.entities if e.label == "PERSON"}
    names |= {f.entity for a in articles for f in a.facts if f.entity}
    keys = {name: entity_key(name) for name in names}
    merged = merge_keys(keys.values())
    return {name: merged.get(key, key) for name, key in keys.items()}


def estimate_dates(
    articles: Sequence[Article], keys: dict[str, str] | None = None
) -> dict[str, DateEstimate]:
    """A publication date, known or estimated, for every article of a storyline, by id;
    ``keys`` are the articles' :func:`storyline_keys` when the caller has them."""
    estimates: dict[str, DateEstimate] = {}
    for article in articles:
        if article.published is not None:
            day = article.published.date().isoformat()
            estimates[article.id] = DateEstimate(
                article.id, day, day, day, True, "published", "published", describe(day)
            )
    if len(estimates) == len(articles):
        return estimates
    keys = keys if keys is not None else storyline_keys(articles)
    births = _known_births(articles, keys)
    for article in articles:
        if article.id not in estimates:
            found = _from_ages(article, births, keys)
            if found is not None:
                estimates[article.id] = found
    quotes: dict[str, dict[str, str]] = {}  # each article's quoted passages, found once
    for _ in range(len(articles)):
        changed = False
        for article in articles:
            if article.id in estimates:
                continue
            found = _from_same_happening(article, articles, estimates, quotes)
            if found is not None:
                estimates[article.id] = found
                changed = True
        if not changed:
            break
    for article in articles:
        if article.id not in estimates:
            estimates[article.id] = _from_explicit_dates(article)
    return estimates


def enriched(article: Article) -> bool:
    """Whether the time and fact stages ran on ``article``: an article of any length
    without a single time expression is one they did not see (facts need times)."""
    return bool(article.times or article.facts)


def _facts_of(article: Article) -> list[Fact]:
    return article.facts if enriched(article) else extract_facts(article, derive=False)


def _known_births(
    articles: Sequence[Article], keys: dict[str, str]
) -> dict[str, list[tuple[date, date, Article, Fact]]]:
    """Birth dates written in full (with a year, not relative to an estimate), by entity key."""
    births: dict[str, list[tuple[date, date, Article, Fact]]] = {}
    for article in articles:
        for fact in _facts_of(article):
            if fact.attribute != "birth_date" or fact.basis or "/" in fact.value:
                continue
            expr = next(
                (t for t in article.times if t.end == fact.end and t.value == fact.value), None
            )
            if expr is not None and expr.anchor is not None and article.published is None:
                continue  # resolved against this article's own guess: not evidence
            span = interval_of(fact.value)
            if span is not None:
                births.setdefault(keys.get(fact.entity, entity_key(fact.entity)), []).append(
                    (span[0], span[1], article, fact)
                )
    return births


def _from_ages(
    article: Article,
    births: dict[str, list[tuple[date, date, Article, Fact]]],
    keys: dict[str, str],
) -> DateEstimate | None:
    candidates: list[tuple[date, date, str, list[dict[str, Any]]]] = []
    for fact in _facts_of(article):
        if fact.attribute != "age":
            continue
        for born_first, born_last, source, birth in births.get(
            keys.get(fact.entity, entity_key(fact.entity)), []
        ):
            if source.id == article.id:
                continue
            span = _age_span(fact, born_first, born_last)
            if span is None:
                continue
            age_text = article.text[fact.start : fact.end]
            reason = (
                f"{age_text!r} here, and {fact.entity} was born {describe(birth.value)} "
                f"according to {source.id} ({source.outlet or 'unknown outlet'})"
            )
            evidence = [
                {"article": article.id, "start": fact.start, "end": fact.end, "text": age_text},
                {
                    "article": source.id,
                    "start": birth.start,
                    "end": birth.end,
                    "text": source.text[birth.start : birth.end],
                },
            ]
            candidates.append((span[0], span[1], reason, evidence))
    if not candidates:
        return None
    first, last = max(c[0] for c in candidates), min(c[1] for c in candidates)
    if first > last:  # the ages disagree with one another: keep the most precise
        first, last, _, _ = min(candidates, key=lambda c: c[1] - c[0])
    chosen = [c for c in candidates if c[0] <= last and first <= c[1]] or candidates[:1]
    middle = first + (last - first) / 2
    return DateEstimate(
        article.id,
        middle.isoformat(),
        first.isoformat(),
        last.isoformat(),
        False,
        "age",
        "; ".join(c[2] for c in chosen),
        describe(middle.isoformat()[:7], approximate=True),
        [item for c in chosen for item in c[3]],
    )


def _age_span(fact: Fact, born_first: date, born_last: date) -> tuple[date, date] | None:
    """The days on which someone born in [born_first, born_last] has the age ``fact`` states."""
    # the inverse of age_birth_interval: the days d whose birth interval covers the birth
    probe = age_birth_interval(fact.value, fact.qualifier, born_first, born_first)
    if probe is None:
        return None
    before, after = born_first - probe[0], born_first - probe[1]  # how far back the age reaches
    return born_first + after, born_last + before


def _quotes(text: str) -> dict[str, str]:
    """Quoted passages of six words or more, by their words alone (case and punctuation ignored)."""
    found = {}
    for quote in _QUOTE.findall(text):
        words = " ".join(re.findall(r"[^\W_]+", normalise(quote).casefold()))
        if len(words.split()) >= 6:
            found[words] = quote.strip(" ,.!?")
    return found


def _from_same_happening(
    article: Article,
    articles: Sequence[Article],
    estimates: dict[str, DateEstimate],
    found_quotes: dict[str, dict[str, str]],
) -> DateEstimate | None:
    def quotes_of(item: Article) -> dict[str, str]:
        if item.id not in found_quotes:
            found_quotes[item.id] = _quotes(item.text)
        return found_quotes[item.id]

    quotes = quotes_of(article)
    for other in articles:
        known = estimates.get(other.id)
        if other.id == article.id or known is None or known.day is None:
            continue
        if article.event is not None and article.event == other.event:
            why, basis = f"same event as {other.id}", "same event"
        else:
            shared = next((q for words, q in quotes_of(other).items() if words in quotes), None)
            if shared is None:
                continue
            why, basis = f"quotes {shared!r} as {other.id} does", "shared quote"
        return DateEstimate(
            article.id,
            known.day,
            known.earliest,
            known.latest,
            False,
            basis,
            f"{why}, dated {known.label}",
            known.label if known.label.startswith("about") else "about " + known.label,
            [{"article": other.id, "basis": known.basis}],
        )
    return None


def _from_explicit_dates(article: Article) -> DateEstimate:
    dated = []
    for expr in find_times(article.text, None):
        span = interval_of(expr.value) if expr.type == "DATE" and not expr.age else None
        if span is not None:
            dated.append((span[0], expr))
    if not dated:
        return DateEstimate(
            article.id, None, None, None, False, "none", "no date in the text", "unknown"
        )
    first, expr = max(dated, key=lambda item: item[0])
    day = first.isoformat() if expr.granularity == "day" else None
    return DateEstimate(
        article.id,
        day,
        first.isoformat(),
        None,
        False,
        "explicit date",
        f"not before {describe(expr.value)}, the latest date it mentions ({expr.text!r})",
        f"after {describe(expr.value)}",
        [{"article": article.id, "start": expr.start, "end": expr.end, "text": expr.text}],
    )


def anchored(
    articles: Sequence[Article], estimates: dict[str, DateEstimate] | None = None
) -> list[Article]:
    """Copies of ``articles`` with undated ones' times and facts resolved against their estimates.

    Dated articles come back as they are (their times and facts filled in if the
    stages did not run, see :func:`enriched`). Ages are turned into birth dates only
    on a known publication date: an estimated one may itself come from an age.
    """
    estimates = estimates if estimates is not None else estimate_dates(articles)
    result = []
    for article in articles:
        estimate = estimates.get(article.id)
        anchor = estimate.anchor() if estimate else None
        if article.published is not None and enriched(article):
            result.append(article)
            continue
        copy = replace(article, times=find_times(article.text, anchor), facts=[])
        copy.facts = extract_facts(copy, anchor, derive=article.published is not None)
        result.append(copy)
    return result
