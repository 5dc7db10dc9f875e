"""Copy detection across the cluster: the dedup stage's tests, run as a batch.

1. Outlet lines are counted over the whole input (a ``reduceByKey``); lines seen
   in at least ``dedup_boilerplate_articles`` of an outlet's articles are
   broadcast, so each task sets boilerplate aside as the stage does.
2. Each article is analysed by :meth:`Deduplicator.analyse` (shingles, MinHash
   signature, LSH band keys, anchors), in its partition.
3. Candidate pairs come from grouping by text hash, by band key and by anchor
   across the cluster. A key's members are ordered by publication and each is
   paired with at most ``PER_KEY`` members before it, as the stage reads at most
   that many index rows per key: never all against all.
4. Each pair is verified with :func:`storyline.dedup.stage.verify`, the stage's
   own pairwise test.
5. As the stage does in publication order, each article keeps only its best
   match among the articles published before it (kind, similarity, then the
   earliest); copy groups are the connected components of those links, found by
   iterative minimum-label propagation in RDD joins.
6. Each group's original is chosen by the stage's rule (:func:`rank`: earliest
   published, dated before undated, then the longest body; then the smallest
   id), and every other member is linked to it with the evidence of a direct
   verification, or of its best verified pair when that fails (as the stage does).
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
from ..dedup.sketch import to_signed, tokenise
from ..dedup.stage import (
    KIND_ORDER,
    MIN_ANCHOR_HITS,
    PER_KEY,
    Analysis,
    copy_assignment,
    rank,
    verify,
)
from ..model import Assignment, CopyLink

if TYPE_CHECKING:
    from pyspark import RDD, SparkContext

#: label propagation stops after this many rounds even if labels still move (a chain
#: of copies this long is not a copy group any more)
MAX_ROUNDS = 30


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
    """A verified pair: ``left`` copies ``right`` (or the other way round) this way."""

    left: str
    right: str
    kind: str
    similarity: float
    features: tuple[tuple[str, float], ...]
    #: publication order of ``right``, the earlier article (see :func:`_arrival`)
    earlier: tuple[float, str] = (0.0, "")


class CountedLines(InMemoryCopyIndex):
    """An empty copy index that knows the outlet line counts of the whole input."""

    def __init__(self, counts: dict[int, int]) -> None:
        super().__init__()
        self.counts = counts

    def line_counts(self, keys: Sequence[int]) -> dict[int, int]:
        # the counts include the article itself; the stage counts the others
        return {key: self.counts[key] - 1 for key in keys if key in self.counts}


class Analyser:
    """One Deduplicator per task, with the broadcast line counts and a cache of analyses."""

    def __init__(self, config: Config, counts: dict[int, int], cache_size: int = 2048) -> None:
        self.deduplicator = Deduplicator(config, CountedLines(counts))
        self.settings = self.deduplicator.settings
        self._cache: OrderedDict[str, Analysis] = OrderedDict()
        self._cache_size = cache_size

    def __call__(self, doc: DedupInput) -> Analysis:
        found = self._cache.get(doc.id)
        if found is None:
            found = self.deduplicator.analyse(doc.text, doc.outlet)
            self._cache[doc.id] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    def verify(self, left: DedupInput, right: DedupInput) -> Edge | None:
        if left.text_hash == right.text_hash:
            size = self(left).body.shingles.size
            if size >= self.settings.shingle_words:
                return Edge(left.id, right.id, "exact", 1.0, (("exact", 1.0),), _arrival(right))
        found = verify(self(left).body, self(right).body, self.settings)
        if found is None:
            return None
        kind, similarity, o = found
        features = (
            ("jaccard", round(o.jaccard, 4)),
            ("contained", round(o.contained, 4)),
            ("cover", round(o.cover, 4)),
            ("shared_shingles", float(o.shared)),
        )
        return Edge(left.id, right.id, kind, similarity, features, _arrival(right))


def find_copies(
    sc: SparkContext, docs: RDD[DedupInput], config: Config, partitions: int
) -> tuple[RDD[tuple[str, CopyLink]], RDD[Assignment]]:
    """Copy links of every copy (original id, kind, similarity) and the logged reasons."""
    counts = _boilerplate_counts(docs, config)
    shared = sc.broadcast(counts)
    keyed = docs.map(lambda d: (d.id, d)).cache()

    def keys_of(items: Iterable[DedupInput]) -> Iterator[tuple[tuple[str, int | str], Any]]:
        analyser = Analyser(config, shared.value)
        for doc in items:
            analysis = analyser(doc)
            entry = (_order(doc, analysis.body.length), doc.id)
            if analysis.body.shingles.size >= analyser.settings.shingle_words:
                yield ("h", doc.text_hash), (entry, "band")
            for band in analysis.bands:
                yield ("b", band), (entry, "band")
            for anchor in analysis.anchors:
                yield ("a", anchor), (entry, "anchor")

    buckets = docs.mapPartitions(keys_of).groupByKey(partitions)
    hits = buckets.flatMap(lambda bucket: _bucket_pairs(bucket[1]))
    counted = hits.reduceByKey(lambda a, b: (a[0] or b[0], a[1] + b[1]), partitions)
    pairs = counted.filter(lambda p: p[1][0] or p[1][1] >= MIN_ANCHOR_HITS).keys()
    edges = _verify_pairs(pairs, keyed, config, shared, partitions)
    # as the stage does, each article joins the group of its best match among the
    # articles before it (not every group it matches)
    chosen = edges.map(lambda e: (e.left, e)).reduceByKey(_better, partitions).values().cache()
    groups = _components(chosen.map(lambda e: (e.left, e.right)), partitions)
    links = _link_to_originals(groups, chosen, keyed, config, shared, partitions)
    return links.mapValues(lambda link: link[0]), links.map(lambda item: item[1][1])


def _boilerplate_counts(docs: RDD[DedupInput], config: Config) -> dict[int, int]:
    """Outlet line fingerprints held by at least ``dedup_boilerplate_articles`` articles."""
    needed = max(config.dedup_boilerplate_articles, 1)
    limit = config.dedup_boilerplate_max_words

    def lines_of(doc: DedupInput) -> list[int]:
        lines = fingerprint_lines(tokenise(doc.text), doc.outlet, limit)
        short = lines.keys[lines.short] if lines.keys.size else lines.keys
        return sorted(set(to_signed(short)))

    counted = docs.flatMap(lines_of).map(lambda key: (key, 1)).reduceByKey(lambda a, b: a + b)
    return dict(counted.filter(lambda kv: kv[1] >= needed).collect())


def _order(doc: DedupInput, length: int) -> tuple[tuple[bool, float, int, float], str]:
    return rank(doc.published, length, 0.0), doc.id


def _bucket_pairs(
    members: Iterable[tuple[Any, str]],
) -> Iterator[tuple[tuple[str, str], tuple[bool, int]]]:
    """Each member with the ``PER_KEY`` members before it (by publication), as counted hits."""
    ordered = sorted(set(members))
    earlier = [entry for entry, _ in ordered[:PER_KEY]]
    for position, (entry, how) in enumerate(ordered):
        for before in earlier[: min(position, PER_KEY)]:
            pair = (min(entry[1], before[1]), max(entry[1], before[1]))
            yield pair, (how == "band", 1 if how == "anchor" else 0)


def _verify_pairs(
    pairs: RDD[tuple[str, str]],
    keyed: RDD[tuple[str, DedupInput]],
    config: Config,
    shared: Any,
    partitions: int,
) -> RDD[Edge]:
    with_left = pairs.join(keyed, partitions).map(lambda kv: (kv[1][0], kv[1][1]))
    both = with_left.join(keyed, partitions).values()

    def verified(items: Iterable[tuple[DedupInput, DedupInput]]) -> Iterator[Edge]:
        analyser = Analyser(config, shared.value)
        for left, right in items:
            later, earlier = (left, right) if _arrival(left) > _arrival(right) else (right, left)
            edge = analyser.verify(later, earlier)
            if edge is not None:
                yield edge

    return both.mapPartitions(verified)


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
            yield label, (_order(doc, analyser(doc).body.length), doc.id)

    members = groups.join(keyed, partitions).mapPartitions(ranked)
    originals = members.reduceByKey(min, partitions).mapValues(lambda entry: entry[1])
    member_ids = members.mapValues(lambda entry: entry[1])
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


def _better(left: Edge, right: Edge) -> Edge:
    """The stage's pick among verified earlier articles: kind, similarity, the earliest."""

    def strength(edge: Edge) -> tuple[int, float, tuple[float, str]]:
        stamp, article = edge.earlier
        return KIND_ORDER[edge.kind], edge.similarity, (-stamp, _descending(article))

    return left if strength(left) >= strength(right) else right


def _descending(text: str) -> str:
    """A key that sorts strings in reverse (for the earliest id to win a max)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _stronger(left: Edge, right: Edge) -> Edge:
    def strength(edge: Edge) -> tuple[int, float, str, str]:
        return (KIND_ORDER[edge.kind], edge.similarity, edge.left, edge.right)

    return left if strength(left) >= strength(right) else right
