"""Online clustering: each article joins an event, each event a storyline, on arrival.

Articles become TF-IDF vectors over content words (title words count twice)
with document frequencies that grow with the stream, plus a vector of the
capitalised names they mention. An article joins the event whose profile it is
most similar to, if that similarity clears ``event_threshold`` and the event is
within ``event_window_days``; otherwise it founds a new event. A new event joins
the most similar storyline (text and names, over ``storyline_window_days``) or
founds one. Ids derive from the founding article, so replaying the same input in
the same order gives the same ids, and an article once placed is never moved.
Every decision is logged as an :class:`Assignment` with its scores.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from .config import Config
from .model import Article, Assignment
from .pipeline import BaseStage
from .text import content_terms, name_terms, short_hash

Vector = dict[str, float]
#: how many of an article's heaviest terms are used to look up candidate events
LOOKUP_TERMS = 25
ARTICLE_TERMS = 120


@dataclass(slots=True)
class Profile:
    """What the clusterer remembers of an event or a storyline."""

    id: str
    kind: str
    title: str
    seq: int
    terms: Vector = field(default_factory=dict)
    names: Vector = field(default_factory=dict)
    size: int = 0
    first: datetime | None = None
    last: datetime | None = None
    storyline: str | None = None

    def absorb(self, terms: Vector, names: Vector, when: datetime | None, keep: int) -> None:
        self.terms = _top(_add(self.terms, terms), keep)
        self.names = _top(_add(self.names, names), keep)
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


Loader = Callable[[str], "Profile | None"]


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
    event_index: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    storyline_index: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    changed: dict[str, Profile] = field(default_factory=dict)
    df_delta: Counter[str] = field(default_factory=Counter)
    assignments: list[Assignment] = field(default_factory=list)

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
        for key in list(profile.terms)[:LOOKUP_TERMS] + [f"@{n}" for n in profile.names]:
            index[key].add(profile.id)
        self.changed[profile.id] = profile

    def storyline(self, storyline_id: str) -> Profile:
        profile = self.storylines.get(storyline_id)
        if profile is None and self.loader is not None:
            profile = self.loader(storyline_id)
        if profile is None:
            raise KeyError(f"storyline {storyline_id} is neither active nor stored")
        return profile

    def _tables(self, kind: str) -> tuple[OrderedDict[str, Profile], dict[str, set[str]]]:
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
        # the index only ever grows between evictions; rebuild it once it is mostly stale
        if sum(len(ids) for ids in index.values()) > 4 * LOOKUP_TERMS * max(len(table), 64):
            index.clear()
            for profile in table.values():
                for key in list(profile.terms)[:LOOKUP_TERMS] + [f"@{n}" for n in profile.names]:
                    index[key].add(profile.id)

    def active(self, kind: str, ids: Iterable[str]) -> list[Profile]:
        table, _ = self._tables(kind)
        return [table[i] for i in ids if i in table]


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

    def __init__(self, config: Config, state: ClusterState | None = None) -> None:
        self.config = config
        self.state = state or ClusterState()

    def __call__(self, article: Article) -> Article:
        terms, names = self.vectorise(article)
        event = self._place_in_event(article, terms, names)
        self._place_in_storyline(article, event, terms, names)
        article.event, article.storyline = event.id, event.storyline
        return article

    def vectorise(self, article: Article) -> tuple[Vector, Vector]:
        """TF-IDF over content words, and log counts of names, both unit length."""
        tokens = content_terms(article.title, article.language) * 2
        tokens += content_terms(article.text, article.language)
        counts = Counter(tokens)
        state = self.state
        state.doc_count += 1
        for term in counts:
            state.df[term] += 1
            state.df_delta[term] += 1
        weights = {
            term: (1 + math.log(count)) * _idf(state.doc_count, state.df[term])
            for term, count in counts.items()
        }
        names = Counter(name_terms(article.title + "\n" + article.text))
        name_weights = {name: 1 + math.log(count) for name, count in names.items()}
        return _unit(_top(weights, ARTICLE_TERMS)), _unit(name_weights)

    def _place_in_event(self, article: Article, terms: Vector, names: Vector) -> Profile:
        state, config = self.state, self.config
        matches = []
        for event in state.active("event", _candidates(state.event_index, terms, names)):
            gap = event.gap_days(article.published)
            if gap is not None and gap > config.event_window_days:
                continue
            text = _cosine(terms, event.terms)
            name = _cosine(names, event.names)
            decay = 1.0 if gap is None else 1 / (1 + gap / config.event_window_days)
            score = (0.85 * text + 0.15 * name) * decay
            features = {"text": text, "names": name}
            if gap is not None:
                features["gap_days"] = gap
            matches.append(Match(event.id, score, features))
        best, runner_up = _best_two(matches)
        joins = best is not None and best.score >= config.event_threshold
        if best is not None and joins:
            event = state.events[best.target]
        else:
            state.seq += 1
            event = Profile(
                id="e" + short_hash(article.id, 11),
                kind="event",
                title=_title_of(article),
                seq=state.seq,
            )
        event.absorb(terms, names, article.published, self.config.profile_terms)
        state.add(event)
        state.assignments.append(
            _assignment(article.id, "event", event.id, best, runner_up, config.event_threshold)
        )
        return event

    def _place_in_storyline(
        self, article: Article, event: Profile, terms: Vector, names: Vector
    ) -> None:
        state, config = self.state, self.config
        if event.storyline is not None:
            storyline = state.storyline(event.storyline)
            storyline.absorb(terms, names, article.published, config.profile_terms)
            state.add(storyline)
            state.assignments.append(
                Assignment(
                    article=article.id,
                    kind="storyline",
                    target=storyline.id,
                    created=False,
                    score=1.0,
                    reason=f"follows its event {event.id}",
                )
            )
            return
        matches = []
        candidates = _candidates(state.storyline_index, terms, names)
        for storyline in state.active("storyline", candidates):
            gap = storyline.gap_days(article.published)
            if gap is not None and gap > config.storyline_window_days:
                continue
            text = _cosine(terms, storyline.terms)
            name = _cosine(names, storyline.names)
            features = {"text": text, "names": name}
            if gap is not None:
                features["gap_days"] = gap
            matches.append(Match(storyline.id, 0.5 * text + 0.5 * name, features))
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
        storyline.absorb(terms, names, article.published, config.profile_terms)
        state.add(storyline)
        event.storyline = storyline.id
        state.assignments.append(
            _assignment(
                article.id, "storyline", storyline.id, best, runner_up, config.storyline_threshold
            )
        )


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


def _candidates(index: dict[str, set[str]], terms: Vector, names: Vector) -> list[str]:
    found: set[str] = set()
    for key in list(terms)[:LOOKUP_TERMS] + [f"@{n}" for n in names]:
        found |= index.get(key, set())
    return sorted(found)


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


def _cosine(left: Vector, right: Vector) -> float:
    if not left or not right:
        return 0.0
    small, large = (left, right) if len(left) <= len(right) else (right, left)
    dot = sum(value * large.get(key, 0.0) for key, value in small.items())
    norms = math.sqrt(sum(v * v for v in left.values()) * sum(v * v for v in right.values()))
    return dot / norms if norms else 0.0


def _title_of(article: Article) -> str:
    if article.title:
        return article.title
    return " ".join(article.text.split()[:12])
