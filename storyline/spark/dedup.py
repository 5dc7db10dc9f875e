"""Copy detection across the cluster: the dedup stage's decisions, made as a batch.

The stage decides online, in arrival order; the job reproduces those decisions
for publication order (ties by id), so that both give the same copy groups:

1. **Boilerplate as it stood.** The stage sets aside an outlet's short lines once
   ``dedup_boilerplate_articles - 1`` earlier articles of the outlet held them, not
   counting, for a copy, the lines it shares with the article it copies. Per line
   the job finds when that happened (the arrival of that many-th article holding
   it, a ``reduceByKey``) and broadcasts those moments: every body is then
   computed as the stage computes it at a given moment, an article's own body at
   its arrival, a candidate's body at the arrival of the article tested against it.
2. Each article is analysed by :meth:`Deduplicator.analyse` (shingles, MinHash
   signature, LSH band keys, anchors), in its partition.
3. Candidates come from grouping by text hash, by band key and by anchor across
   the cluster. A key's members are ordered by arrival and each sees at most
   ``PER_KEY`` members before it, the oldest, as the stage reads at most that many
   index rows per key.
4. Per article, the stage's choice: the earliest identical text, else the
   ``dedup_max_candidates`` best scored candidates (band hits count four, anchors
   one, two anchors needed without a band), verified by
   :func:`storyline.dedup.matching.best_of`, the function the stage chooses with.
5. Which lines a copy does not count depends on what it copies, so steps 1-4 are
   repeated with the exclusions of the previous round until the broadcast moments
   no longer change (``MAX_PASSES`` at most; three at 2,000 benchmark articles,
   six at 20,000).
6. Each article's link to its match among the articles before it joins their
   groups; groups are the connected components of those links, found by iterative
   minimum-label propagation in RDD joins. Each group's original is chosen by the
   stage's rule (:func:`rank`: earliest published, dated before undated, then the
   longest body; then the first to arrive), and every other member is linked to it
   with the evidence of a direct verification, or of its best verified link when
   that fails (as the stage does).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..dedup import Deduplicator, InMemoryCopyIndex
from ..dedup.boilerplate import fingerprint_lines
from ..dedup.groups import copy_assignment, rank
from ..dedup.matching import KIND_ORDER, Analysis, best_of, verify
from ..dedup.sketch import Overlap, to_signed, tokenise
from ..dedup.stage import MIN_ANCHOR_HITS, PER_KEY
from ..model import Assignment, CopyLink

if TYPE_CHECKING:
    from pyspark import RDD, SparkContext

#: label propagation stops after this many rounds even if labels still move (a chain
#: of copies this long is not a copy group any more)
MAX_ROUNDS = 30
#: rounds of boilerplate exclusions (step 5 of the module docstring) at most; the
#: fixed point took 3 rounds at 2,000 benchmark articles and 6 at 20,000, and a round
#: that stops short of it leaves copy groups the engine would not make
MAX_PASSES = 12

#: arrival order: publication time (undated last), then id
Order = tuple[float, str]
#: line key -> the arrival of the article that made it boilerplate for those after
Moments = dict[int, Order]
#: what a copy leaves out of the line counts: all (identical), or the lines it shares
Excluded = tuple[bool, frozenset[int]]


@dataclass(frozen=True, slots=True)
class DedupInput:
    """What copy detection needs of an article."""

    id: str
    text: str
    outlet: str | None
    published: datetime | None
    text_hash: str


@dataclass(frozen=True, slots=True)
class Edge:
    """A verified pair: ``left`` copies ``right`` this way."""

    left: str
    right: str
    kind: str
    similarity: float
    features: tuple[tuple[str, float], ...]


class CountedLines(InMemoryCopyIndex):
    """An empty copy index that answers line counts as they stood at one moment."""

    def __init__(self, moments: Moments, seen_in: int) -> None:
        super().__init__()
        self.moments = moments
        self.seen_in = seen_in
        #: the arrival of the article being analysed: counts are of those before it
        self.now: Order = (-math.inf, "")

    def line_counts(self, keys: Sequence[int]) -> dict[int, int]:
        moments, now = self.moments, self.now
        return {key: self.seen_in for key in keys if key in moments and moments[key] < now}


class Analyser:
    """One Deduplicator per task, with the broadcast line moments and a cache of analyses."""

    def __init__(self, config: Config, moments: Moments, cache_size: int = 2048) -> None:
        self.counted = CountedLines(moments, _seen_in(config))
        self.deduplicator = Deduplicator(config, self.counted)
        self.settings = self.deduplicator.settings
        self._cache: OrderedDict[tuple[str, Order], Analysis] = OrderedDict()
        self._cache_size = cache_size

    def __call__(self, doc: DedupInput, at: Order | None = None) -> Analysis:
        """``doc`` analysed as the stage analyses it just before ``at`` (its own arrival)."""
        when = _arrival(doc) if at is None else at
        found = self._cache.get((doc.id, when))
        if found is None:
            self.counted.now = when
            found = self.deduplicator.analyse(doc.text, doc.outlet)
            self._cache[(doc.id, when)] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def choose(self, doc: DedupInput, candidates: Sequence[DedupInput]) -> Edge | None:
        """The stage's verdict for ``doc`` among ``candidates`` (in arrival order)."""
        at = _arrival(doc)
        bodies = [self(candidate, at).body for candidate in candidates]
        picked = best_of(self(doc).body, bodies, self.settings)
        if picked is None:
            return None
        position, kind, similarity, overlap = picked
        return Edge(doc.id, candidates[position].id, kind, similarity, _features(overlap))

    def verify(self, left: DedupInput, right: DedupInput) -> Edge | None:
        """How ``left`` copies ``right``, both as they stood when the later one arrived."""
        at = max(_arrival(left), _arrival(right))
        size = self(left, at).body.shingles.size
        if left.text_hash == right.text_hash and size >= self.settings.shingle_words:
            return Edge(left.id, right.id, "exact", 1.0, (("exact", 1.0),))
        found = verify(self(left, at).body, self(right, at).body, self.settings)
        if found is None:
            return None
        kind, similarity, overlap = found
        return Edge(left.id, right.id, kind, similarity, _features(overlap))


def _features(o: Overlap) -> tuple[tuple[str, float], ...]:
    return (
        ("jaccard", round(o.jaccard, 4)),
        ("contained", round(o.contained, 4)),
        ("cover", round(o.cover, 4)),
        ("shared_shingles", float(o.shared)),
    )


@dataclass(frozen=True, slots=True)
class Rounds:
    """How the rounds of boilerplate exclusions (step 5) went."""

    taken: int
    #: the line moments reached their fixed point; when not, the cap stopped them and
    #: the copy groups may differ from the engine's
    settled: bool


def find_copies(
    sc: SparkContext, docs: RDD[DedupInput], config: Config, partitions: int
) -> tuple[RDD[tuple[str, CopyLink]], RDD[Assignment], Rounds]:
    """Copy links of every copy (original id, kind, similarity), the logged reasons
    and how many rounds of exclusions it took."""
    keyed = docs.map(lambda d: (d.id, d)).cache()
    moments = _moments(keyed, None, config, partitions)
    taken, settled = 0, False
    while not settled and taken < MAX_PASSES:
        taken += 1
        shared = sc.broadcast(moments)
        chosen = _matches(keyed, config, shared, partitions).cache()
        again = _moments(keyed, _exclusions(chosen, keyed, partitions), config, partitions)
        settled, moments = again == moments, again
    groups = _components(chosen.map(lambda e: (e.left, e.right)), partitions)
    links = _link_to_originals(groups, chosen, keyed, config, shared, partitions)
    found = links.mapValues(lambda link: link[0]), links.map(lambda item: item[1][1])
    return *found, Rounds(taken, settled)


def _seen_in(config: Config) -> int:
    """Earlier articles of an outlet holding a line that make it boilerplate (the stage's)."""
    return max(config.dedup_boilerplate_articles - 1, 1)


def _moments(
    keyed: RDD[tuple[str, DedupInput]],
    exclusions: RDD[tuple[str, Excluded]] | None,
    config: Config,
    partitions: int,
) -> Moments:
    """When each outlet line became boilerplate: the arrival of its ``seen_in``-th holder.

    ``exclusions`` maps a copy to the line fingerprints of the article it copies,
    which it does not count (an identical text counts none), as in the stage.
    """
    needed = _seen_in(config)
    limit = config.dedup_boilerplate_max_words

    def lines_of(item: tuple[str, tuple[DedupInput, Excluded | None]]) -> list[Any]:
        doc, excluded = item[1]
        identical, theirs = excluded or (False, frozenset())
        if identical:
            return []
        lines = fingerprint_lines(tokenise(doc.text), doc.outlet, limit)
        if not lines.keys.size:
            return []
        keys = to_signed(lines.keys[lines.short])
        hashes = lines.hashes[lines.short].tolist()
        order = _arrival(doc)
        kept = {key for key, line in zip(keys, hashes, strict=True) if line not in theirs}
        return [(key, [order]) for key in sorted(kept)]

    paired: RDD[tuple[str, tuple[DedupInput, Excluded | None]]]
    if exclusions is None:
        paired = keyed.mapValues(lambda doc: (doc, None))
    else:
        paired = keyed.leftOuterJoin(exclusions, partitions)
    firsts = paired.flatMap(lines_of).reduceByKey(lambda a, b: sorted(a + b)[:needed], partitions)
    return dict(firsts.filter(lambda kv: len(kv[1]) >= needed).mapValues(lambda v: v[-1]).collect())


def _exclusions(
    chosen: RDD[Edge], keyed: RDD[tuple[str, DedupInput]], partitions: int
) -> RDD[tuple[str, Excluded]]:
    """Per copy, whether it is identical, and the line fingerprints of what it copies."""

    def theirs(item: tuple[str, tuple[Edge, DedupInput]]) -> tuple[str, Excluded]:
        edge, matched = item[1]
        if edge.kind == "exact":
            return edge.left, (True, frozenset())
        lines = fingerprint_lines(tokenise(matched.text), matched.outlet, 0)
        return edge.left, (False, frozenset(lines.hashes.tolist()))

    return chosen.map(lambda e: (e.right, e)).join(keyed, partitions).map(theirs)


def _matches(
    keyed: RDD[tuple[str, DedupInput]], config: Config, shared: Any, partitions: int
) -> RDD[Edge]:
    """Each article's match among the articles before it, as the stage chooses it."""

    def keys_of(items: Iterable[tuple[str, DedupInput]]) -> Iterator[tuple[Any, Any]]:
        analyser = Analyser(config, shared.value)
        for _, doc in items:
            analysis = analyser(doc)
            entry = _arrival(doc)
            exact = analysis.body.shingles.size >= analyser.settings.shingle_words
            yield ("h", doc.text_hash), (entry, "h" if exact else "")
            for band in analysis.bands:
                yield ("b", band), (entry, "b")
            for anchor in analysis.anchors:
                yield ("a", anchor), (entry, "a")

    buckets = keyed.mapPartitions(keys_of).groupByKey(partitions)
    hits = buckets.flatMap(lambda bucket: _bucket_pairs(bucket[1]))
    counted = hits.reduceByKey(_add_hits, partitions)
    limit = config.dedup_max_candidates
    selected = (
        counted.map(lambda kv: (kv[0][0], (kv[0][1], kv[1])))
        .groupByKey(partitions)
        .flatMap(lambda group: _select(group[0], group[1], limit))
    )
    with_earlier = selected.map(lambda s: (s[1], (s[0], s[2]))).join(keyed, partitions)
    candidates = with_earlier.map(lambda kv: (kv[1][0][0], (kv[1][0][1], kv[1][1])))

    def verified(
        items: Iterable[tuple[str, tuple[Iterable[tuple[bool, DedupInput]], DedupInput]]],
    ) -> Iterator[Edge]:
        analyser = Analyser(config, shared.value)
        for _, (found, doc) in items:
            listed = sorted(found, key=lambda f: _arrival(f[1]))
            if listed[0][0]:  # the earliest identical text, as the stage links it
                yield Edge(doc.id, listed[0][1].id, "exact", 1.0, (("exact", 1.0),))
                continue
            edge = analyser.choose(doc, [candidate for _, candidate in listed])
            if edge is not None:
                yield edge

    grouped = candidates.groupByKey(partitions)
    return grouped.join(keyed, partitions).mapPartitions(verified)


#: hits of one (later, earlier) pair: (earlier's arrival, identical text, bands, anchors)
Hits = tuple[Order, bool, int, int]


def _bucket_pairs(members: Iterable[tuple[Order, str]]) -> Iterator[tuple[tuple[str, str], Hits]]:
    """Each member with the ``PER_KEY`` oldest members before it, as counted hits.

    A member is (its arrival, how it holds the key: ``h`` text hash, ``b`` band,
    ``a`` anchor; empty for a text too short to be linked as identical).
    """
    ordered = sorted(set(members))
    oldest = ordered[:PER_KEY]
    for position, (order, how) in enumerate(ordered):
        if how == "":
            continue
        for before, _ in oldest[: min(position, PER_KEY)]:
            hit = (before, how == "h", int(how == "b"), int(how == "a"))
            yield (order[1], before[1]), hit


def _add_hits(a: Hits, b: Hits) -> Hits:
    return a[0], a[1] or b[1], a[2] + b[2], a[3] + b[3]


def _select(
    article: str, found: Iterable[tuple[str, Hits]], limit: int
) -> list[tuple[str, str, bool]]:
    """The candidates the stage would verify for ``article``: (article, candidate, identical).

    The earliest identical text alone when there is one; else the ``limit`` best
    scored (band hits four, anchor hits one; anchors alone need ``MIN_ANCHOR_HITS``),
    ties to the earliest.
    """
    hits = list(found)
    exact = [(h[0], earlier) for earlier, h in hits if h[1]]
    if exact:
        return [(article, min(exact)[1], True)]
    scored = [
        (-(h[2] * 4 + h[3]), h[0], earlier)
        for earlier, h in hits
        if h[2] > 0 or h[3] >= MIN_ANCHOR_HITS
    ]
    return [(article, earlier, False) for _, _, earlier in sorted(scored)[:limit]]


def _components(pairs: RDD[tuple[str, str]], partitions: int) -> RDD[tuple[str, str]]:
    """(article, smallest id of its connected component), by label propagation."""
    neighbours = pairs.flatMap(lambda p: [p, (p[1], p[0])]).distinct(partitions).cache()
    labels = neighbours.keys().distinct(partitions).map(lambda node: (node, node))
    for _ in range(MAX_ROUNDS):
        offered = neighbours.join(labels, partitions).map(lambda kv: (kv[1][0], kv[1][1]))
        updated = labels.union(offered).reduceByKey(min, partitions).cache()
        moved = updated.join(labels, partitions).filter(lambda kv: kv[1][0] != kv[1][1]).count()
        labels = updated
        if moved == 0:
            break
    return labels


def _link_to_originals(
    groups: RDD[tuple[str, str]],
    edges: RDD[Edge],
    keyed: RDD[tuple[str, DedupInput]],
    config: Config,
    shared: Any,
    partitions: int,
) -> RDD[tuple[str, tuple[CopyLink, Assignment]]]:
    """Pick each group's original by the stage's rule and link every other member to it."""

    def ranked(items: Iterable[tuple[str, tuple[str, DedupInput]]]) -> Iterator[Any]:
        analyser = Analyser(config, shared.value)
        for _, (label, doc) in items:
            yield label, (rank(doc.published, analyser(doc).body.length, 0.0), _arrival(doc))

    members = groups.join(keyed, partitions).mapPartitions(ranked)
    originals = members.reduceByKey(min, partitions).mapValues(lambda entry: entry[1][1])
    member_ids = members.mapValues(lambda entry: entry[1][1])
    # (member, original) for every member that is not its group's original
    to_link = (
        member_ids.join(originals, partitions).values().filter(lambda pair: pair[0] != pair[1])
    )
    best_edge = edges.flatMap(lambda e: [(e.left, e), (e.right, e)]).reduceByKey(
        _stronger, partitions
    )
    direct = (
        to_link.join(keyed, partitions)
        .map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
        .join(keyed, partitions)
        .map(lambda kv: (kv[1][0][0], (kv[1][0][1], kv[1][1])))
    )

    def linked(items: Iterable[tuple[str, tuple[tuple[DedupInput, DedupInput], Any]]]) -> Any:
        analyser = Analyser(config, shared.value)
        for member_id, ((member, original), fallback) in items:
            edge = analyser.verify(member, original)
            via = None
            if edge is None:
                edge = fallback
                via = fallback.right if fallback.left == member_id else fallback.left
            link = CopyLink(original.id, edge.kind, edge.similarity)
            yield member_id, (link, copy_assignment(member_id, link, dict(edge.features), via))

    return direct.join(best_edge, partitions).mapPartitions(linked)


def _arrival(doc: DedupInput) -> tuple[float, str]:
    """Publication order, undated last, ties by id: the order windows place articles in."""
    return (doc.published.timestamp() if doc.published else math.inf), doc.id


def _stronger(left: Edge, right: Edge) -> Edge:
    def strength(edge: Edge) -> tuple[int, float, str, str]:
        return (KIND_ORDER[edge.kind], edge.similarity, edge.left, edge.right)

    return left if strength(left) >= strength(right) else right
