"""Clustering per time window, then stitched across window boundaries.

Articles are grouped by language and publication period (``window_days`` long,
counted from the Unix epoch). Each window runs the engine's own
:class:`~storyline.cluster.Clusterer` from a fresh state, in publication order
(ties by id), draining its state every ``batch_size`` articles as the engine
does, and a copy joins its original's event when the original was placed in the
same window. Undated articles form one window per language.

Stitching: the last ``event_window_days`` of a window are also clustered at the
start of the next one (its *warm-up*, whose placements are not kept), so that
events crossing the boundary have their earlier articles there. An event or
storyline of a window that holds warm-up articles continues the one its earliest
warm-up article was placed in by the previous window; all others keep the ids
they were founded with. Because ids come from founding articles and every order
is fixed, the result is the same for the same input and settings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..cluster import ArticleTerms, Clusterer, ClusterState, Profile
from ..config import Config
from ..model import Article, Assignment

if TYPE_CHECKING:
    from pyspark import RDD, SparkContext

#: (language, period number; None for the undated)
WindowKey = tuple[str, int | None]
_CLUSTER_ID = re.compile(r"\b[es][0-9a-f]{11}\b")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one window put one article; ``warm``: only as the window's warm-up."""

    window: WindowKey
    article: str
    published: datetime | None
    event: str
    storyline: str
    warm: bool
    #: also in the next window's warm-up
    tail: bool


def windows_of(article: Article, window_days: float, warmup_days: float) -> list[WindowKey]:
    """The window an article belongs to, then the next one if it is in its warm-up."""
    language = article.language or ""
    if article.published is None:
        return [(language, None)]
    span = window_days * 86400
    stamp = article.published.timestamp()
    number = math.floor(stamp / span)
    keys: list[WindowKey] = [(language, number)]
    if stamp >= (number + 1) * span - warmup_days * 86400:
        keys.append((language, number + 1))
    return keys


def cluster_windows(
    sc: SparkContext,
    articles: RDD[Article],
    config: Config,
    window_days: float,
    partitions: int,
) -> tuple[RDD[tuple[str, tuple[str, str]]], RDD[Assignment]]:
    """(article, (event, storyline)) for every article, and the logged reasons.

    Events are clustered per window and stitched across boundaries; storylines
    are then linked over the whole input (:func:`link_storylines`)."""
    warmup = min(config.event_window_days, window_days)

    def routed(article: Article) -> list[tuple[WindowKey, tuple[bool, bool, Article]]]:
        keys = windows_of(article, window_days, warmup)
        own = [(keys[0], (False, len(keys) > 1, article))]
        return own + [(key, (True, False, article)) for key in keys[1:]]

    grouped = articles.flatMap(routed).groupByKey(partitions)
    results: RDD[Any] = grouped.flatMap(
        lambda group: place_window(group[0], group[1], config)
    ).cache()
    placements = results.filter(lambda r: isinstance(r, Placement))
    # the earliest warm-up article of each window-local event and storyline...
    warm = placements.filter(lambda p: p.warm)
    firsts = warm.flatMap(lambda p: [((p.window, p.event), p), ((p.window, p.storyline), p)])
    earliest = firsts.reduceByKey(_earliest, partitions).map(lambda kv: (kv[1].article, kv[0]))
    # ...and where the window before placed it: only these reach the driver
    tails = placements.filter(lambda p: p.tail and not p.warm).map(lambda p: (p.article, p))
    mapping = stitch(earliest.join(tails, partitions).values().collect())
    shared = sc.broadcast(mapping)

    def final(p: Placement) -> tuple[str, tuple[str, str]]:
        names = shared.value
        event = names.get((p.window, p.event), p.event)
        return p.article, (event, names.get((p.window, p.storyline), p.storyline))

    def renamed(item: tuple[WindowKey, Assignment]) -> Assignment:
        window, assignment = item
        names = shared.value

        def rename(match: re.Match[str]) -> str:
            return str(names.get((window, match.group(0)), match.group(0)))

        assignment.target = rename_id(names, window, assignment.target)
        if assignment.runner_up:
            assignment.runner_up = rename_id(names, window, assignment.runner_up)
        assignment.reason = _CLUSTER_ID.sub(rename, assignment.reason)
        return assignment

    own = placements.filter(lambda p: not p.warm).map(final)
    logged = results.filter(lambda r: isinstance(r, tuple) and r[1].kind != "storyline")
    events = own.mapValues(lambda placed: placed[0])
    # the terms depend on the article alone: taken here, in parallel, the sequential
    # pass only weighs them and decides (and the articles' text stays behind)
    inputs = articles.map(lambda a: (a.id, (a.language or "", ArticleTerms.of(a))))
    by_language = (
        inputs.join(events, partitions)
        .map(lambda kv: (kv[1][0][0], (kv[1][0][1], kv[1][1])))
        .groupByKey(partitions)
    )
    linked: RDD[Any] = by_language.flatMap(lambda group: link_storylines(group[1], config)).cache()
    storylines = linked.filter(lambda r: isinstance(r, tuple))
    placed = events.join(storylines, partitions)
    stories = linked.filter(lambda r: isinstance(r, Assignment))
    return placed, logged.map(renamed).union(stories)


def link_storylines(
    members: Iterable[tuple[ArticleTerms | Article, str]], config: Config
) -> Iterator[tuple[str, str] | Assignment]:
    """Link one language's events into storylines, in publication order, as the engine does.

    Events come stitched from the windows; each event's first article looks for a
    storyline over ``storyline_window_days`` with the engine's clusterer (term
    frequencies of everything before it, as the engine counts them), and its
    other articles follow. The articles come as their terms, taken in parallel
    beforehand, so only the frequencies, weights and decisions are worked out here
    (an article that comes whole has its terms taken here, as the engine does).
    Yields (article, storyline) and the logged reasons.
    """
    ordered = sorted(members, key=lambda m: (_stamp(m[0].published), m[0].id))
    # storylines that went quiet leave the active set, as in the engine; an event
    # still running finds its storyline here, as the engine finds it in the store
    known: dict[str, Profile] = {}
    state = ClusterState(capacity=config.active_clusters, loader=known.get)
    clusterer = Clusterer(config, state)
    events: dict[str, Profile] = {}
    for number, (terms, event_id) in enumerate(ordered, 1):
        event = events.get(event_id)
        if event is None:
            # no title: the stories table titles a storyline from its first article
            event = events[event_id] = Profile(event_id, "event", "", 0)
        if isinstance(terms, Article):  # the engine's own path: terms taken here
            terms = ArticleTerms.of(terms)
        yield terms.id, clusterer.follow(terms, event)
        if number % config.batch_size == 0 or number == len(ordered):
            for profile in state.changed.values():
                if profile.kind == "storyline":
                    known[profile.id] = profile
            yield from state.drain()[2]


def rename_id(names: dict[tuple[WindowKey, str], str], window: WindowKey, local: str) -> str:
    return names.get((window, local), local)


def place_window(
    window: WindowKey, members: Iterable[tuple[bool, bool, Article]], config: Config
) -> Iterator[Placement | tuple[WindowKey, Assignment]]:
    """Cluster one window's articles in publication order with a fresh clusterer."""
    ordered = sorted(members, key=lambda m: (_stamp(m[2].published), m[2].id))
    clusterer = Clusterer(config, ClusterState(capacity=config.active_clusters))
    warm_ids = {article.id for warm, _, article in ordered if warm}
    placed: dict[str, str | None] = {}
    for number, (warm, tail, article) in enumerate(ordered, 1):
        original = article.copy_of.original if article.copy_of else None
        article.event = placed.get(original) if original else None
        clusterer(article)
        placed[article.id] = article.event
        assert article.event is not None and article.storyline is not None
        yield Placement(
            window, article.id, article.published, article.event, article.storyline, warm, tail
        )
        if number % config.batch_size == 0 or number == len(ordered):
            _, _, assignments = clusterer.state.drain()
            for assignment in assignments:
                if assignment.article not in warm_ids:
                    yield window, assignment


def stitch(
    continued: list[tuple[tuple[WindowKey, str], Placement]],
) -> dict[tuple[WindowKey, str], str]:
    """Window-local ids that continue an earlier window's event or storyline.

    ``continued`` pairs a window-local id with where the previous window placed
    that cluster's earliest warm-up article. Windows are resolved in order, so a
    cluster continued over several windows keeps the id it was founded with.
    """
    names: dict[tuple[WindowKey, str], str] = {}
    for (window, local), before in sorted(continued, key=lambda c: _window_order(c[0][0])):
        earlier = before.event if local.startswith("e") else before.storyline
        names[(window, local)] = names.get((before.window, earlier), earlier)
    return names


def _earliest(left: Placement, right: Placement) -> Placement:
    def order(p: Placement) -> tuple[float, str]:
        return _stamp(p.published), p.article

    return left if order(left) <= order(right) else right


def _window_order(key: WindowKey) -> tuple[str, int]:
    return key[0], key[1] if key[1] is not None else -(2**62)


def _stamp(when: datetime | None) -> float:
    return when.timestamp() if when is not None else math.inf


def light(article: Article) -> Article:
    """The fields clustering reads; the rest stays behind so windows shuffle less."""
    return Article(
        id=article.id,
        text=article.text,
        title=article.title,
        published=article.published,
        language=article.language,
        copy_of=article.copy_of,
        entities=article.entities,
        facts=article.facts,  # stated ages keep events of one person apart
    )
