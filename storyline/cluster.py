"""Online clustering: each article joins an event, each event a storyline, on arrival.

In the spirit of Miranda et al. 2018 ("Multilingual Clustering of Streaming
News"), an article is represented in several sparse TF-IDF spaces whose document
frequencies grow with the stream:

    body      content words of the text (stopwords dropped, plurals folded)
    title     content words of the headline
    entities  canonical names of the people, organisations and places it mentions
              (from the entity stage when it ran, else capitalised words)
    numbers   numbers of two or more digits: counts, years, scores

The probability that an article belongs to an event is a logistic function of the
cosine similarity in each space (:data:`EVENT_MODEL`, fit on ECB+ Train), damped by
the time between the article and the event. The article joins the most probable
event within ``event_window_days`` if that probability clears ``event_threshold``;
otherwise it founds a new event. A new event joins the storyline it shares most
words and entities with, over ``storyline_window_days``, or founds one.

Ids derive from the founding article, so replaying the same input in the same
order gives the same ids, and an article once placed is never moved. Every
decision is logged as an :class:`Assignment` with the best candidate, the
runner-up and the features.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from .config import Config
from .model import Article, Assignment, Fact
from .pipeline import BaseStage
from .text import content_terms, name_terms, short_hash

Vector = dict[str, float]
Vectors = dict[str, Vector]

SPACES = ("body", "title", "entities", "numbers")
#: pseudo-space of a profile: the stated ages of its people, as ``low:NAME`` and
#: ``high:NAME`` in days (not a TF-IDF space; never compared by cosine)
AGES = "ages"
_AGE = re.compile(r"P(\d+(?:\.\d+)?)([DWMY])")
_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 30.44, "Y": 365.25}
#: how many times older one stated age must be than another to date two texts apart
AGE_RATIO = 1.5
#: terms kept per space in an event or storyline profile
PROFILE_TERMS = {"body": 80, "title": 30, "entities": 40, "numbers": 20}
#: terms per space an article keeps
ARTICLE_TERMS = 120
#: body terms and entities through which candidates are looked up
LOOKUP_TERMS = 25
#: candidates scored per decision, the ones sharing most weight with the article
MAX_CANDIDATES = 16
#: profiles remembered per lookup key, most recently active first: a common word or
#: name then costs the same to look up however large the store grows
MAX_POSTINGS = 200
#: entity types that identify a happening or a subject
SALIENT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "PRODUCT"})
_NUMBER = re.compile(r"(?<![\w.,])\d{2,}(?:[.,]\d+)*(?![\w])")


@dataclass(frozen=True, slots=True)
class EventModel:
    """Logistic model of P(article belongs to event) from per-space cosine similarities.

    Fit with ``python bench/cluster_bench.py --fit`` on ECB+ Train (the Dev split is
    only scored, never fit on).
    """

    body: float
    title: float
    entities: float
    numbers: float
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(getattr(self, space) * features.get(space, 0.0) for space in SPACES)
        return 1 / (1 + math.exp(-z))


EVENT_MODEL = EventModel(body=17.29, title=6.96, entities=2.93, numbers=5.02, bias=-7.08)


@dataclass(slots=True)
class Profile:
    """What the clusterer remembers of an event or a storyline."""

    id: str
    kind: str
    title: str
    seq: int
    vectors: Vectors = field(default_factory=dict)
    size: int = 0
    first: datetime | None = None
    last: datetime | None = None
    storyline: str | None = None
    #: Euclidean norm of each space's vector, kept because every comparison needs it
    norms: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def absorb(self, vectors: Vectors, when: datetime | None) -> None:
        for space, vector in vectors.items():
            if space == AGES:
                self.vectors[AGES] = _age_span(self.vectors.get(AGES, {}), vector)
                continue
            merged = _add(self.vectors.get(space, {}), vector)
            self.vectors[space] = _top(merged, PROFILE_TERMS[space])
            self.norms.pop(space, None)
        self.size += 1
        if when is not None:
            self.first = when if self.first is None else min(self.first, when)
            self.last = when if self.last is None else max(self.last, when)

    def gap_days(self, when: datetime | None) -> float | None:
        """Days from ``when`` to the nearest edge of this profile's span, 0 inside it."""
        if when is None or self.first is None or self.last is None:
            return None
        if self.first <= when <= self.last:
            return 0.0
        edge = self.first if when < self.first else self.last
        return abs((when - edge).total_seconds()) / 86400

    def age_gap_days(self, ages: Vector) -> float | None:
        """Days between the ages this profile and an article state for the same person.

        A person stated to be 9 weeks old in one place and 14 months old in another
        is seen at two times about a year apart, which dates the two happenings
        apart even when neither text has a publication date. Sources often disagree
        on an adult's age by a year or two (27 or 29): that is a contradiction, not
        a gap, so two ages count only when the elder is at least
        :data:`AGE_RATIO` times the younger. With several people in common the
        smallest gap counts; None when no person's age is comparable in both.
        """
        mine = self.vectors.get(AGES)
        if not mine or not ages:
            return None
        gaps = []
        for key, low in ages.items():
            if not key.startswith("low:") or key not in mine:
                continue
            name = key[4:]
            high, other_low, other_high = ages[f"high:{name}"], mine[key], mine[f"high:{name}"]
            apart = max(0.0, other_low - high, low - other_high)
            younger_high = high if low <= other_low else other_high
            if apart and younger_high * AGE_RATIO > younger_high + apart:
                continue  # too close to tell a later time from a disagreement
            gaps.append(apart)
        return min(gaps) if gaps else None

    def similarity(self, space: str, unit: Vector) -> float:
        """Cosine similarity between a unit-length vector and this profile's in ``space``."""
        vector = self.vectors.get(space)
        if not unit or not vector:
            return 0.0
        norm = self.norms.get(space)
        if norm is None:
            norm = self.norms[space] = math.sqrt(sum(v * v for v in vector.values()))
        small, large = (unit, vector) if len(unit) <= len(vector) else (vector, unit)
        dot = sum(weight * large.get(term, 0.0) for term, weight in small.items())
        return dot / norm if norm else 0.0

    def lookup_keys(self) -> list[str]:
        body = list(self.vectors.get("body", {}))[:LOOKUP_TERMS]
        entities = list(self.vectors.get("entities", {}))
        return [f"body:{t}" for t in body] + [f"entities:{e}" for e in entities]


Loader = Callable[[str], "Profile | None"]
#: lookup key -> ids of the profiles indexed under it, least recently active first
Postings = dict[str, dict[str, None]]


def _post(ids: dict[str, None], profile_id: str) -> None:
    """Index a profile as the most recent under a key; a key keeps its latest few only."""
    ids.pop(profile_id, None)
    ids[profile_id] = None
    if len(ids) > MAX_POSTINGS:
        del ids[next(iter(ids))]


@dataclass(slots=True)
class ClusterState:
    """Everything online clustering needs between articles; the store persists it.

    Only the ``capacity`` most recently active events and storylines are kept in
    memory for matching; older ones stay in the store, where ``loader`` finds them
    when an article joins an event whose storyline went quiet. Memory is therefore
    bounded by the active set, not by the size of the store.
    """

    doc_count: int = 0
    df: Counter[str] = field(default_factory=Counter)
    capacity: int = 20_000
    loader: Loader | None = None
    events: OrderedDict[str, Profile] = field(default_factory=OrderedDict)
    storylines: OrderedDict[str, Profile] = field(default_factory=OrderedDict)
    seq: int = 0
    event_index: Postings = field(default_factory=lambda: defaultdict(dict))
    storyline_index: Postings = field(default_factory=lambda: defaultdict(dict))
    changed: dict[str, Profile] = field(default_factory=dict)
    df_delta: Counter[str] = field(default_factory=Counter)
    assignments: list[Assignment] = field(default_factory=list)
    #: days behind the newest article after which a dated profile can no longer match
    horizons: dict[str, float] = field(default_factory=dict)
    newest: datetime | None = None

    @classmethod
    def from_profiles(
        cls,
        doc_count: int,
        df: Counter[str],
        profiles: Iterable[Profile],
        seq: int,
        capacity: int = 20_000,
        loader: Loader | None = None,
    ) -> ClusterState:
        """State from the store's most recently active profiles, oldest first."""
        state = cls(doc_count=doc_count, df=df, capacity=capacity, loader=loader, seq=seq)
        for profile in profiles:
            state.add(profile)
        state.changed.clear()
        return state

    def add(self, profile: Profile) -> None:
        """Remember a new or updated profile as the most recently active of its kind."""
        table, index = self._tables(profile.kind)
        table[profile.id] = profile
        table.move_to_end(profile.id)
        for key in profile.lookup_keys():
            _post(index[key], profile.id)
        self.changed[profile.id] = profile

    def storyline(self, storyline_id: str) -> Profile:
        profile = self.storylines.get(storyline_id)
        if profile is None and self.loader is not None:
            profile = self.loader(storyline_id)
        if profile is None:
            raise KeyError(f"storyline {storyline_id} is neither active nor stored")
        return profile

    def candidates(self, kind: str, vectors: Vectors) -> list[Profile]:
        """Active profiles sharing the most lookup weight with the article, best first."""
        table, index = self._tables(kind)
        shared: dict[str, float] = defaultdict(float)
        for space in ("body", "entities"):
            terms = list(vectors.get(space, {}).items())
            for term, weight in terms[:LOOKUP_TERMS] if space == "body" else terms:
                for profile_id in index.get(f"{space}:{term}", ()):
                    if profile_id in table:
                        shared[profile_id] += weight
        best = heapq.nsmallest(MAX_CANDIDATES, shared.items(), key=lambda item: (-item[1], item[0]))
        return [table[profile_id] for profile_id, _ in best]

    def _tables(self, kind: str) -> tuple[OrderedDict[str, Profile], Postings]:
        if kind == "event":
            return self.events, self.event_index
        return self.storylines, self.storyline_index

    def drain(self) -> tuple[list[Profile], Counter[str], list[Assignment]]:
        """What changed since the last drain, for the store to write; then forget the oldest."""
        profiles = [self.changed[key] for key in sorted(self.changed)]
        delta, assignments = self.df_delta, self.assignments
        self.changed, self.df_delta, self.assignments = {}, Counter(), []
        for kind in ("event", "storyline"):
            self._evict(kind)
        return profiles, delta, assignments

    def _evict(self, kind: str) -> None:
        table, index = self._tables(kind)
        while len(table) > self.capacity:
            table.popitem(last=False)
        horizon = self.horizons.get(kind)
        if horizon is not None and self.newest is not None:
            cutoff = self.newest - timedelta(days=horizon)
            for stale in [p.id for p in table.values() if p.last is not None and p.last < cutoff]:
                del table[stale]
        # the index only grows between evictions; rebuild it once it is mostly stale
        if sum(len(ids) for ids in index.values()) > 4 * LOOKUP_TERMS * max(len(table), 64):
            index.clear()
            for profile in table.values():
                for key in profile.lookup_keys():
                    _post(index[key], profile.id)


@dataclass(frozen=True, slots=True)
class ArticleTerms:
    """What clustering reads of one article that depends on the article alone.

    The count of each term in each space (the weights need the document
    frequencies, which depend on everything seen before) and the stated ages.
    The Spark job takes them in parallel and ships them to its sequential
    storyline pass instead of the articles.
    """

    id: str
    published: datetime | None
    counts: dict[str, dict[str, int]]
    ages: Vector

    @classmethod
    def of(cls, article: Article) -> ArticleTerms:
        counts = {space: dict(Counter(terms)) for space, terms in article_terms(article).items()}
        return cls(article.id, article.published, counts, stated_ages(article))


@dataclass(slots=True)
class Match:
    target: str
    score: float
    features: dict[str, float]


class Clusterer(BaseStage):
    """Assigns ``event`` and ``storyline`` to each article, online, in arrival order."""

    name: ClassVar[str] = "cluster"
    requires: ClassVar[tuple[str, ...]] = ("text", "title", "published")
    provides: ClassVar[tuple[str, ...]] = ("event", "storyline")

    def __init__(
        self, config: Config, state: ClusterState | None = None, model: EventModel = EVENT_MODEL
    ) -> None:
        self.config = config
        self.state = state or ClusterState()
        self.state.horizons = {
            "event": config.event_window_days,
            "storyline": config.storyline_window_days,
        }
        self.model = model

    def __call__(self, article: Article) -> Article:
        self._newest(article.published)
        vectors = self.vectorise(article)
        event = self._place_in_event(article, vectors)
        self._place_in_storyline(article.id, article.published, event, vectors)
        article.event, article.storyline = event.id, event.storyline
        return article

    def follow(self, terms: ArticleTerms, event: Profile) -> str:
        """Place an article whose event is decided elsewhere in a storyline, as on
        arrival; its storyline.

        The Spark job clusters events per time window and stitches them across
        windows; it then links those events into storylines over the whole
        ``storyline_window_days``, in publication order, with this. The article comes
        as its terms (:class:`ArticleTerms`, taken in parallel beforehand). ``event``
        is the caller's profile of the article's event: its ``storyline`` is set when
        the event's first article arrives, and later articles follow it.
        """
        self._newest(terms.published)
        vectors = self.weigh(terms)
        self._place_in_storyline(terms.id, terms.published, event, vectors)
        assert event.storyline is not None
        return event.storyline

    def _newest(self, when: datetime | None) -> None:
        if when is not None and (self.state.newest is None or when > self.state.newest):
            self.state.newest = when

    def vectorise(self, article: Article) -> Vectors:
        """The article's unit TF-IDF vector in each space; counts it into the frequencies."""
        return self.weigh(ArticleTerms.of(article))

    def weigh(self, terms: ArticleTerms) -> Vectors:
        """:meth:`vectorise` for terms computed in advance: the part that depends on order."""
        state = self.state
        state.doc_count += 1
        vectors: Vectors = {}
        for space, counts in terms.counts.items():
            for term in counts:
                key = f"{space}:{term}"
                state.df[key] += 1
                state.df_delta[key] += 1
            weights = {
                term: (1 + math.log(count)) * _idf(state.doc_count, state.df[f"{space}:{term}"])
                for term, count in counts.items()
            }
            vectors[space] = _unit(_top(weights, ARTICLE_TERMS))
        if terms.ages:
            vectors[AGES] = terms.ages
        return vectors

    def features(self, vectors: Vectors, profile: Profile) -> dict[str, float]:
        return {space: profile.similarity(space, vectors.get(space, {})) for space in SPACES}

    def _place_in_event(self, article: Article, vectors: Vectors) -> Profile:
        state, config = self.state, self.config
        copied = self._event_of_copy_group(article)
        if copied is not None:
            copied.absorb(vectors, article.published)
            state.add(copied)
            return copied
        matches, too_far = [], []
        for event in state.candidates("event", vectors):
            dated_gap = event.gap_days(article.published)
            age_gap = event.age_gap_days(vectors.get(AGES, {}))
            stated = [g for g in (dated_gap, age_gap) if g is not None]
            gap = max(stated) if stated else None
            if gap is not None and gap > config.event_window_days:
                by = "dates" if gap == dated_gap else "stated ages"
                too_far.append(f"{event.id} ({by} {gap:.0f} days apart)")
                continue
            features = self.features(vectors, event)
            decay = 1.0 if gap is None else 1 / (1 + gap / config.event_window_days)
            score = self.model.probability(features) * decay
            if dated_gap is not None:
                features["gap_days"] = dated_gap
            if age_gap is not None:
                features["age_gap_days"] = age_gap
            matches.append(Match(event.id, score, features))
        best, runner_up = _best_two(matches)
        if best is not None and best.score >= config.event_threshold:
            event = state.events[best.target]
        else:
            state.seq += 1
            event = Profile(
                id="e" + short_hash(article.id, 11),
                kind="event",
                title=_title_of(article),
                seq=state.seq,
            )
        event.absorb(vectors, article.published)
        state.add(event)
        decision = _assignment(
            article.id, "event", event.id, best, runner_up, config.event_threshold
        )
        if too_far:
            # the candidates left out for time are often the closest in words: say so
            shown = ", ".join(too_far[:3]) + (
                f" and {len(too_far) - 3} more" if len(too_far) > 3 else ""
            )
            decision.reason += f"; outside the event window: {shown}"
        state.assignments.append(decision)
        return event

    def _event_of_copy_group(self, article: Article) -> Profile | None:
        """The event a copy joins because its original is there (set by dedup in ``event``).

        Honoured while that event is active and within ``event_window_days``;
        otherwise the copy is clustered on its own text like any other article.
        """
        event = self.state.events.get(article.event) if article.event else None
        if event is None:
            return None
        gap = event.gap_days(article.published)
        if gap is not None and gap > self.config.event_window_days:
            return None
        link = article.copy_of
        self.state.assignments.append(
            Assignment(
                article=article.id,
                kind="event",
                target=event.id,
                created=False,
                score=link.similarity if link else 1.0,
                reason=(
                    f"{link.kind} copy of {link.original}: joins its event"
                    if link
                    else "original of the copies in this event: joins it"
                ),
            )
        )
        return event

    def _place_in_storyline(
        self, article: str, published: datetime | None, event: Profile, vectors: Vectors
    ) -> None:
        state, config = self.state, self.config
        if event.storyline is not None:
            storyline = state.storyline(event.storyline)
            storyline.absorb(vectors, published)
            state.add(storyline)
            state.assignments.append(
                Assignment(
                    article=article,
                    kind="storyline",
                    target=storyline.id,
                    created=False,
                    score=1.0,
                    reason=f"follows its event {event.id}",
                )
            )
            return
        matches = []
        for storyline in state.candidates("storyline", vectors):
            gap = storyline.gap_days(published)
            if gap is not None and gap > config.storyline_window_days:
                continue
            features = self.features(vectors, storyline)
            score = 0.5 * features["body"] + 0.5 * features["entities"]
            if gap is not None:
                features["gap_days"] = gap
            matches.append(Match(storyline.id, score, features))
        best, runner_up = _best_two(matches)
        if best is not None and best.score >= config.storyline_threshold:
            storyline = state.storyline(best.target)
        else:
            state.seq += 1
            storyline = Profile(
                id="s" + short_hash(event.id, 11),
                kind="storyline",
                title=event.title,
                seq=state.seq,
            )
        storyline.absorb(vectors, published)
        state.add(storyline)
        event.storyline = storyline.id
        state.assignments.append(
            _assignment(
                article, "storyline", storyline.id, best, runner_up, config.storyline_threshold
            )
        )


def article_terms(article: Article) -> dict[str, list[str]]:
    """The raw terms of each space, before weighting."""
    language = article.language
    if article.entities:
        entities = []
        for entity in article.entities:
            if entity.label not in SALIENT_LABELS:
                continue
            name = entity.canonical.casefold()
            entities.append(name)
            # a person is often named by first name or surname alone in a follow-up
            # article, so the parts of a full name count too
            if entity.label == "PERSON" and " " in name:
                parts = name.split()
                entities.extend({parts[0], parts[-1]})
    else:
        entities = name_terms(article.text)
    return {
        "body": content_terms(article.text, language),
        "title": content_terms(article.title, language),
        "entities": entities,
        "numbers": [
            n.replace(",", "") for n in _NUMBER.findall(article.title + " " + article.text)
        ],
    }


def stated_ages(article: Article) -> Vector:
    """Ages the article states for people, as day intervals under ``low:`` and ``high:``.

    A person is keyed by each word of the name the fact gives ("miles stephens"
    also counts as "miles" and "stephens"), as a follow-up often names a child by
    first name alone. "14 months old" is [14, 15) months; "about" widens it by one
    unit each side. A milestone of early childhood ("is walking now") counts as the
    ages at which children reach it (``life_stage`` facts), which dates an undated
    article that states no age.
    """
    ages: Vector = {}
    for fact in article.facts:
        span = _age_days(fact)
        if span is None or not fact.entity.strip():
            continue
        low, high = span
        name = fact.entity.casefold().replace("\u2019s", "").replace("'s", "")
        words = re.findall(r"[^\W_]+", name)
        for key in {" ".join(words), *words} - {""}:
            ages[f"low:{key}"] = min(low, ages.get(f"low:{key}", low))
            ages[f"high:{key}"] = max(high, ages.get(f"high:{key}", high))
    return ages


def _age_days(fact: Fact) -> tuple[float, float] | None:
    """The ages in days an ``age`` or ``life_stage`` fact puts its person at."""
    if fact.attribute == "life_stage":
        ends = [_AGE.fullmatch(end) for end in fact.value.split("/")]
        if len(ends) != 2 or None in ends:
            return None
        low, high = (float(m.group(1)) * _UNIT_DAYS[m.group(2)] for m in ends if m)
        return low, high
    match = _AGE.fullmatch(fact.value) if fact.attribute == "age" else None
    if match is None:
        return None
    unit = _UNIT_DAYS[match.group(2)]
    amount = float(match.group(1))
    low, high = amount * unit, (amount + 1) * unit
    if fact.qualifier == "about":
        low -= unit
    return low, high


def _age_span(known: Vector, stated: Vector) -> Vector:
    """The ages an event covers: for each person, from the youngest to the oldest stated."""
    span = dict(known)
    for key, days in stated.items():
        keep = min if key.startswith("low:") else max
        span[key] = keep(days, span.get(key, days))
    return span


def _assignment(
    article: str,
    kind: str,
    target: str,
    best: Match | None,
    runner_up: Match | None,
    threshold: float,
) -> Assignment:
    created = best is None or best.score < threshold
    if best is None:
        reason = f"new {kind}: no candidate shared salient terms or names"
    elif created:
        reason = f"new {kind}: best candidate {best.target} scored {best.score:.3f} < {threshold}"
    else:
        reason = f"joined {target}: score {best.score:.3f} >= {threshold}"
    if runner_up is not None:
        reason += f"; runner-up {runner_up.target} scored {runner_up.score:.3f}"
    return Assignment(
        article=article,
        kind=kind,
        target=target,
        created=created,
        score=round(best.score, 4) if best else 0.0,
        runner_up=runner_up.target if runner_up else None,
        runner_up_score=round(runner_up.score, 4) if runner_up else None,
        features={k: round(v, 4) for k, v in best.features.items()} if best else {},
        reason=reason,
    )


def _best_two(matches: list[Match]) -> tuple[Match | None, Match | None]:
    ranked = sorted(matches, key=lambda m: (-m.score, m.target))
    return (ranked[0] if ranked else None, ranked[1] if len(ranked) > 1 else None)


def _idf(doc_count: int, df: int) -> float:
    return math.log((doc_count + 1) / (df + 1)) + 1


def _add(left: Vector, right: Vector) -> Vector:
    total = dict(left)
    for key, value in right.items():
        total[key] = total.get(key, 0.0) + value
    return total


def _top(vector: Vector, keep: int) -> Vector:
    """The ``keep`` heaviest entries, heaviest first (ties by key, for replayability)."""
    ranked = sorted(vector.items(), key=lambda item: (-item[1], item[0]))[:keep]
    return dict(ranked)


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def _title_of(article: Article) -> str:
    if article.title:
        return article.title
    return " ".join(article.text.split()[:12])
