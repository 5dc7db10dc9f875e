"""Copy detection: storyline's dedup stage against datasketch MinHash + MinHashLSH.

    python bench/dedup_bench.py [--seed N] [--scale small|large] [--json results.json]

Needs ../shared/data/polnear (see bench/dedup_corpus.py). In one process it reports:

1. quality on the labelled corpus of bench/dedup_corpus.py: pair precision, recall
   and F1 per copy kind and over all pairs, the adjusted Rand index of the copy
   groups, hard negatives merged (different originals of the same day in one
   group) and how often the group's original is the labelled one; for storyline
   (in-memory index, and a check that the SQLite index links the same) and for
   datasketch at the threshold whose recall comes closest to storyline's from
   above ("equal recall");
2. throughput of both on that corpus, alternating runs in this process, and the ratio;
3. scaling (SQLite store): cost per article of a probe batch (half new articles,
   half copies of stored ones; rolled back) at 10k and 100k stored articles, and
   1M with ``--scale large``; time to open the store; resident memory; file size.
   The stored articles are PolNeAR texts whose content words are replaced by words
   drawn from the corpus vocabulary (function words and layout kept): distinct
   articles with real length, layout and word frequencies.

Pair metrics: for the articles of a kind, every pair of one such article and any
other article counts; a pair is positive when both share an original, predicted
positive when both are in one predicted copy group. Results vary with the seed
only; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dedup_corpus as corpus
from dedup_corpus import Doc

from storyline.config import Config
from storyline.dedup import Deduplicator, InMemoryCopyIndex
from storyline.model import Article, format_datetime
from storyline.store import COPY_INDEX_CACHE_MB, COPY_INDEX_MMAP_MB, SqliteCopyIndex, Store
from storyline.text import STOPWORDS, text_hash, words

THRESHOLDS = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1)


# -- running ---------------------------------------------------------------------------


@dataclass(slots=True)
class Item:
    """One article ready for either method: the text hash is computed once, as
    extraction does for every article's identity."""

    doc: Doc
    digest: str

    def article(self) -> Article:
        return Article(
            id=self.doc.id,
            text=self.doc.text,
            title=self.doc.title,
            outlet=self.doc.outlet,
            published=self.doc.published,
        )


def items_of(docs: Iterable[Doc]) -> list[Item]:
    return [Item(doc, text_hash(doc.text)) for doc in docs]


def store_row(store: Store, article: Article, digest: str) -> None:
    """The article's row, as much of it as dedup reads back (its text and outlet).

    Not ``Store.insert_article``: that also feeds the full-text search index, whose
    cost and size are not dedup's."""
    store.db.execute(
        "INSERT INTO articles (id, identity, text_hash, outlet, title, text, published, "
        "copy_of, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')",
        (
            article.id,
            f"id:{article.id}",
            digest,
            article.outlet,
            article.title,
            article.text,
            format_datetime(article.published),
            json.dumps(article.copy_of.to_dict()) if article.copy_of else None,
        ),
    )


@dataclass(slots=True)
class Timing:
    """Wall-clock and CPU seconds of one run (CPU is what a shared machine cannot steal)."""

    wall: float = 0.0
    cpu: float = 0.0

    @classmethod
    def start(cls) -> Timing:
        return cls(-time.perf_counter(), -time.process_time())

    def stop(self) -> Timing:
        self.wall += time.perf_counter()
        self.cpu += time.process_time()
        return self


#: articles per batch, as the engine ingests them (``Config.batch_size``)
BATCH = 64


def run_ours(
    items: list[Item], config: Config, batch: int = BATCH
) -> tuple[dict[str, str], Timing, int]:
    """Predicted original of every article, time taken, re-points. Each ``batch``
    articles are analysed at once (``Deduplicator.prepare``), as the engine does;
    ``batch=1`` analyses them one at a time."""
    index = InMemoryCopyIndex()
    stage = Deduplicator(config, index)
    articles = [item.article() for item in items]
    timing = Timing.start()
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        mine = articles[start : start + batch]
        if batch > 1:
            stage.prepare(mine, [item.digest for item in chunk])
        for article, item in zip(mine, chunk, strict=True):
            stage(article, item.digest)
    timing.stop()
    repoints = sum(1 for a in stage.drain() if "re-pointed" in a.reason)
    groups = {item.doc.id: item.doc.id for item in items}
    groups.update({key: link.original for key, link in index.links.items()})
    return groups, timing, repoints


def run_ours_sqlite(
    items: list[Item], config: Config, path: str = ":memory:", batch: int = BATCH
) -> tuple[dict[str, str], Timing]:
    """The same stage on the SQLite index, committing every 64 articles as ingest does
    (the article rows are written too: the index reads texts from them); each batch is
    analysed and looked up at once unless ``batch=1``."""
    with Store(path) as store:
        stage = Deduplicator(config, SqliteCopyIndex(store))
        timing = Timing.start()
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            with store.atomic():
                articles = [item.article() for item in chunk]
                if batch > 1:
                    stage.prepare(articles, [item.digest for item in chunk])
                for article, item in zip(articles, chunk, strict=True):
                    stage(article, item.digest)
                    store_row(store, article, item.digest)
        timing.stop()
        groups = {}
        for row in store.db.execute("SELECT id, copy_of FROM articles"):
            link = json.loads(row[1]) if row[1] else None
            groups[row[0]] = link["original"] if link else row[0]
    return groups, timing


def baseline_shingles(text: str, size: int) -> list[bytes]:
    tokens = [w.casefold() for w in words(text)]
    return [" ".join(tokens[i : i + size]).encode() for i in range(len(tokens) - size + 1)]


def run_datasketch(
    items: list[Item],
    threshold: float,
    num_perm: int,
    size: int,
    minhashes: list[Any] | None = None,
) -> tuple[dict[str, str], Timing]:
    """datasketch as its documentation shows it: MinHash of word shingles, MinHashLSH;
    an article joins the group of its best candidate whose estimated Jaccard clears
    the threshold. Returns groups and time taken (MinHash included unless given)."""
    from datasketch import MinHash, MinHashLSH

    timing = Timing.start()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent: dict[str, str] = {}
    kept: dict[str, Any] = {}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for number, item in enumerate(items):
        key = item.doc.id
        parent[key] = key
        if minhashes is not None:
            minhash = minhashes[number]
        else:
            shingles = baseline_shingles(item.doc.text, size)
            if not shingles:
                continue
            minhash = MinHash(num_perm=num_perm, seed=1)
            minhash.update_batch(shingles)
        if minhash is None:
            continue
        best, best_score = None, threshold
        for candidate in sorted(lsh.query(minhash)):  # sorted: ties break the same each run
            score = minhash.jaccard(kept[candidate])
            if score > best_score or (best is None and score >= best_score):
                best, best_score = candidate, score
        if best is not None:
            parent[key] = find(best)
        lsh.insert(key, minhash)
        kept[key] = minhash
    timing.stop()
    return {key: find(key) for key in parent}, timing


def datasketch_minhashes(items: list[Item], num_perm: int, size: int) -> tuple[list[Any], float]:
    from datasketch import MinHash

    start = time.perf_counter()
    found: list[Any] = []
    for item in items:
        shingles = baseline_shingles(item.doc.text, size)
        if not shingles:
            found.append(None)
            continue
        minhash = MinHash(num_perm=num_perm, seed=1)
        minhash.update_batch(shingles)
        found.append(minhash)
    return found, time.perf_counter() - start


# -- scoring ---------------------------------------------------------------------------


@dataclass(slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    pairs: int

    def row(self) -> str:
        return (
            f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  ({self.pairs} pairs)"
        )


def _scores(true_positive: int, predicted: int, gold: int) -> Scores:
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / gold if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, gold)


def pair_scores(
    gold: dict[str, str], predicted: dict[str, str], members: Iterable[str] | None = None
) -> Scores:
    """Pairwise P/R over pairs that include one of ``members`` (all pairs when None)."""
    gold_size = Counter(gold.values())
    predicted_size = Counter(predicted.values())
    both = Counter((gold[key], predicted[key]) for key in gold)
    if members is None:
        tp = sum(n * (n - 1) // 2 for n in both.values())
        pp = sum(n * (n - 1) // 2 for n in predicted_size.values())
        gp = sum(n * (n - 1) // 2 for n in gold_size.values())
        return _scores(tp, pp, gp)
    tp = pp = gp = 0
    for key in members:
        tp += both[(gold[key], predicted[key])] - 1
        pp += predicted_size[predicted[key]] - 1
        gp += gold_size[gold[key]] - 1
    return _scores(tp, pp, gp)


def adjusted_rand(gold: dict[str, str], predicted: dict[str, str]) -> float:
    """Adjusted Rand index of two partitions of the same articles (Hubert & Arabie)."""

    def pairs(n: int) -> float:
        return n * (n - 1) / 2

    cells = Counter((gold[key], predicted[key]) for key in gold)
    rows = Counter(gold.values())
    columns = Counter(predicted.values())
    index = sum(pairs(n) for n in cells.values())
    row_sum = sum(pairs(n) for n in rows.values())
    column_sum = sum(pairs(n) for n in columns.values())
    expected = row_sum * column_sum / pairs(len(gold)) if len(gold) > 1 else 0.0
    maximum = (row_sum + column_sum) / 2
    return (index - expected) / (maximum - expected) if maximum != expected else 1.0


def hard_negatives(docs: list[Doc], predicted: dict[str, str]) -> tuple[int, int]:
    """(pairs of different originals published the same day, of them in one group)."""
    originals = [d for d in docs if d.kind == "original"]
    by_day: dict[str, list[Doc]] = defaultdict(list)
    for doc in originals:
        by_day[doc.published.date().isoformat() if doc.published else "?"].append(doc)
    total = merged = 0
    members: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        members[doc.group].append(doc.id)
    for day_docs in by_day.values():
        for i, left in enumerate(day_docs):
            left_groups = {predicted[m] for m in members[left.group]}
            for right in day_docs[i + 1 :]:
                total += 1
                if left_groups & {predicted[m] for m in members[right.group]}:
                    merged += 1
    return total, merged


def quality(docs: list[Doc], predicted: dict[str, str]) -> dict[str, Any]:
    gold = {doc.id: doc.group for doc in docs}
    result: dict[str, Any] = {"all": pair_scores(gold, predicted)}
    kinds: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        kinds[doc.kind].append(doc.id)
    for kind in corpus.KINDS:
        result[kind] = pair_scores(gold, predicted, kinds[kind])
    result["ari"] = adjusted_rand(gold, predicted)
    result["hard_negative_pairs"], result["hard_negatives_merged"] = hard_negatives(docs, predicted)
    originals = {doc.group for doc in docs}
    copied = {predicted[doc.id] for doc in docs if predicted[doc.id] != doc.id}
    result["original_chosen_right"] = (
        sum(1 for root in copied if root in originals) / len(copied) if copied else 1.0
    )
    return result


# -- scaling ---------------------------------------------------------------------------


class Synthetic:
    """Distinct articles from PolNeAR texts: content words swapped for corpus words,
    numbers for other numbers; function words, punctuation and layout kept."""

    def __init__(self, bases: list[Doc], seed: int) -> None:
        self.seed = seed
        self.bases = bases
        stop = STOPWORDS["en"]
        counts: Counter[str] = Counter()
        self.layouts: list[list[list[str]]] = []
        self.types: list[list[str]] = []
        self.numbers: list[list[str]] = []
        #: each base as a format string with a numbered slot per content word and number
        #: (types, then numbers): a million articles are made by one ``format`` each
        self.templates: list[str] = []
        for base in bases:
            layout = [re.findall(r"\w+(?:'\w+)?|[^\w\s]+", p) for p in corpus.paragraphs(base.text)]
            content = sorted(
                {t for p in layout for t in p if t[0].isalpha() and t.casefold() not in stop}
            )
            counts.update(t.casefold() for p in layout for t in p if t in content)
            self.layouts.append(layout)
            self.types.append(content)
            self.numbers.append(sorted({t for p in layout for t in p if t.isdigit()}))
            slot = {t: f"{{{i}}}" for i, t in enumerate(content + self.numbers[-1])}
            literal = {"{": "{{", "}": "}}"}
            self.templates.append(
                "\n\n".join(
                    " ".join(slot.get(t) or "".join(literal.get(c, c) for c in t) for t in p)
                    for p in layout
                )
            )
        self.vocab = [w for w, _ in counts.most_common()]
        weights = [n for _, n in counts.most_common()]
        total = 0.0
        self.cumulative = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def __call__(self, number: int) -> Doc:
        which = number % len(self.bases)
        rng = random.Random(self.seed * 1_000_003 + number)
        types = self.types[which]
        chosen = rng.choices(self.vocab, cum_weights=self.cumulative, k=len(types))
        numbers = [str(rng.randrange(1, 10 ** len(n))) for n in self.numbers[which]]
        text = self.templates[which].format(*chosen, *numbers)
        when = datetime(2016, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
        return Doc(
            f"syn-{number}",
            f"outlet-{number % 50}",
            f"story {number}",
            when,
            text,
            f"syn-{number}",
            "original",
            f"syn-{number}",
        )


class RollbackError(Exception):
    """Raised inside a transaction to measure work without keeping it."""


def rss_mb() -> float:
    with Path("/proc/self/statm").open() as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def private_mb() -> float:
    """Resident memory that is not pages of mapped files (the store's mapped pages are
    shared with the operating system's file cache and given back under pressure)."""
    with Path("/proc/self/statm").open() as handle:
        fields = handle.read().split()
    return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def ingest(store: Store, stage: Deduplicator, items: list[Item]) -> int:
    """One transaction of ``items``, analysed in batches of 64 as the engine does."""
    with store.atomic():
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            articles = [item.article() for item in chunk]
            stage.prepare(articles, [item.digest for item in chunk])
            for article, item in zip(articles, chunk, strict=True):
                stage(article, item.digest)
                store_row(store, article, item.digest)
    return len(items)


def probe(
    store: Store,
    stage: Deduplicator,
    make: Synthetic,
    stored: int,
    rng: random.Random,
    size: int = 1000,
) -> dict[str, float]:
    """Per-article cost of ``size`` new articles, half of them copies of stored ones,
    in batches of 64 as ingest does, each batch rolled back instead of committed."""
    docs = []
    for number in range(size // 2):
        docs.append(make(10**9 + stored + number))
        source = make(rng.randrange(stored))
        kind = rng.choice(("verbatim", "truncated", "noise", "rewrite", "boilerplate_added"))
        copy = corpus.make_copy(rng, source, kind, number)
        copy.id = f"probe-copy-{stored}-{number}"
        docs.append(copy)
    items = items_of(docs)
    wall, cpu = [], []
    found = 0
    for batch in range(0, len(items), BATCH):
        chunk = items[batch : batch + BATCH]
        try:
            with store.atomic():
                articles = [item.article() for item in chunk]
                timing = Timing.start()
                stage.prepare(articles, [item.digest for item in chunk])
                for article, item in zip(articles, chunk, strict=True):
                    stage(article, item.digest)
                    store_row(store, article, item.digest)
                    if item.doc.id.startswith("probe-copy"):
                        found += stage.joined == item.doc.group  # its group, as copy or original
                timing.stop()
                # per article of the batch: the batch is analysed at once
                wall.extend([timing.wall / len(chunk)] * len(chunk))
                cpu.extend([timing.cpu / len(chunk)] * len(chunk))
                raise RollbackError
        except RollbackError:
            pass
        stage.drain()
        stage._cache.clear()  # rolled back: what it remembers is gone from the store
    wall.sort()
    return {
        "cpu_us": statistics.fmean(cpu) * 1e6,
        "wall_us": statistics.fmean(wall) * 1e6,
        "wall_p50_us": wall[len(wall) // 2] * 1e6,
        "wall_p95_us": wall[int(len(wall) * 0.95)] * 1e6,
        "probe_copies_found": found / (size // 2),
    }


def open_store(path: str, config: Config, make: Synthetic, stored: int, cache_mb: int = 0) -> float:
    """Seconds from opening the file to the first article checked against the index."""
    timing = Timing.start()
    store = connect(path, cache_mb)
    stage = Deduplicator(config, copy_index(store, cache_mb))
    first = items_of([make(10**9 - 1 - stored)])[0]
    try:
        with store.atomic():
            stage(first.article(), first.digest)
            raise RollbackError
    except RollbackError:
        pass
    timing.stop()
    store.close()
    return timing.wall


def connect(path: str, cache_mb: int) -> Store:
    """The store, with SQLite's page cache set to ``cache_mb`` (0: what the copy index
    sets, ``COPY_INDEX_CACHE_MB``)."""
    store = Store(path)
    if cache_mb:
        store.db.execute(f"PRAGMA cache_size = {-1024 * cache_mb}")
    return store


def copy_index(store: Store, cache_mb: int) -> SqliteCopyIndex:
    return SqliteCopyIndex(store, cache_mb=cache_mb or COPY_INDEX_CACHE_MB)


def scaling(
    bases: list[Doc],
    seed: int,
    sizes: list[int],
    config: Config,
    folder: Path,
    cache_mb: int = 0,
) -> list[dict[str, Any]]:
    make = Synthetic(bases, seed)
    rng = random.Random(seed)
    path = str(folder / "scale.db")
    rows = []
    stored = 0
    if Path(path).exists():  # a kept store from an earlier run: go on from there
        with Store(path) as store:
            stored = store.count_articles()
        print(f"  going on with the {stored:,} articles stored in {path}")
    for size in sizes:
        if size < stored:
            continue
        store = connect(path, cache_mb)
        stage = Deduplicator(config, copy_index(store, cache_mb))
        built, added = Timing(), 0
        while stored < size:
            items = items_of(make(n) for n in range(stored, min(size, stored + 500)))
            timing = Timing.start()
            count = ingest(store, stage, items)
            timing.stop()
            built.wall, built.cpu = built.wall + timing.wall, built.cpu + timing.cpu
            stored += count
            added += count
        cold = probe(store, stage, make, stored, rng)
        costs = probe(store, stage, make, stored, rng)  # again, other articles: caches warm
        costs["cold_cpu_us"], costs["cold_wall_us"] = cold["cpu_us"], cold["wall_us"]
        store.close()
        opened = open_store(path, config, make, stored, cache_mb)
        row = {
            "articles": stored,
            **{k: round(v, 3) for k, v in costs.items()},
            "build_cpu_us": round(built.cpu / added * 1e6, 1) if added else None,
            "build_wall_us": round(built.wall / added * 1e6, 1) if added else None,
            "open_seconds": round(opened, 3),
            "rss_mb": round(rss_mb(), 1),
            "private_mb": round(private_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "db_mb": round(sum(p.stat().st_size for p in folder.glob("scale.db*")) / 1e6, 1),
        }
        rows.append(row)
        build = f"{row['build_cpu_us']:.0f} us CPU/article" if added else "(kept store)"
        print(
            f"  {stored:>9,} stored: probe {row['cpu_us']:6.0f} us CPU/article, wall "
            f"{row['wall_us']:.0f} (batches: p50 {row['wall_p50_us']:.0f}, "
            f"p95 {row['wall_p95_us']:.0f}); "
            f"first probe after opening {row['cold_cpu_us']:.0f} us CPU, "
            f"{row['cold_wall_us']:.0f} wall; "
            f"building to here {build}; probe copies found "
            f"{row['probe_copies_found']:.3f}; open {row['open_seconds']:.3f} s; "
            f"RSS {row['rss_mb']:.0f} MB (not file-mapped {row['private_mb']:.0f} MB); "
            f"file {row['db_mb']:.0f} MB",
            flush=True,
        )
    return rows


def index_memory(items: list[Item], config: Config, threshold: float) -> dict[str, float]:
    """Bytes per indexed article held by each in-memory index (tracemalloc; texts excluded)."""
    from datasketch import MinHash, MinHashLSH

    articles = [item.article() for item in items]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = InMemoryCopyIndex()
    stage = Deduplicator(config, index, cache_size=0)
    for article, item in zip(articles, items, strict=True):
        stage(article, item.digest)
    stage.drain()
    ours = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del index, stage
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    lsh = MinHashLSH(threshold=threshold, num_perm=config.dedup_num_perm)
    kept = {}
    for item in items:
        shingles = baseline_shingles(item.doc.text, config.dedup_shingle_words)
        if not shingles:
            continue
        minhash = MinHash(num_perm=config.dedup_num_perm, seed=1)
        minhash.update_batch(shingles)
        lsh.insert(item.doc.id, minhash)
        kept[item.doc.id] = minhash
    theirs = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return {
        "ours_bytes_per_article": ours / len(items),
        "datasketch_bytes_per_article": theirs / len(items),
    }


# -- report ----------------------------------------------------------------------------


def print_quality(name: str, result: dict[str, Any], originals: bool = True) -> None:
    print(f"  {name}")
    print(f"    {'all pairs':20} {result['all'].row()}  ARI {result['ari']:.3f}")
    for kind in corpus.KINDS:
        print(f"    {kind:20} {result[kind].row()}")
    chosen = (
        f"; the labelled original is the group's original in "
        f"{result['original_chosen_right']:.3f} of groups"
        if originals
        else ""
    )
    print(
        f"    hard negatives merged: {result['hard_negatives_merged']} of "
        f"{result['hard_negative_pairs']} same-day pairs of different originals{chosen}"
    )


def as_json(value: Any) -> Any:
    if isinstance(value, Scores):
        return {
            "precision": value.precision,
            "recall": value.recall,
            "f1": value.f1,
            "pairs": value.pairs,
        }
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def quality_section(docs: list[Doc], items: list[Item], config: Config) -> dict[str, Any]:
    print("\n1. quality (pair precision / recall / F1 per copy kind)")
    ours, _, repoints = run_ours(items, config)
    ours_quality = quality(docs, ours)
    print_quality(f"storyline dedup ({repoints} group re-points)", ours_quality)
    sqlite_groups, _ = run_ours_sqlite(items, config)
    same = sqlite_groups == ours
    print(f"    SQLite index gives the same links: {same}")
    alone, _, alone_repoints = run_ours(items, config, batch=1)
    alone_sqlite, _ = run_ours_sqlite(items, config, batch=1)
    same_alone = alone == ours and alone_sqlite == ours and alone_repoints == repoints
    print(f"    one article at a time gives the same links (memory and SQLite): {same_alone}")
    size, perms = config.dedup_shingle_words, config.dedup_num_perm
    minhashes, _ = datasketch_minhashes(items, perms, size)
    sweep = {}
    for threshold in THRESHOLDS:
        groups, _ = run_datasketch(items, threshold, perms, size, minhashes)
        sweep[threshold] = quality(docs, groups)
    target = ours_quality["all"].recall
    reaching = [t for t in THRESHOLDS if sweep[t]["all"].recall >= target]
    chosen = max(reaching) if reaching else max(THRESHOLDS, key=lambda t: sweep[t]["all"].recall)
    note = "equal recall" if reaching else "highest recall it reaches (below ours)"
    print_quality(
        f"datasketch MinHashLSH, {perms} permutations, threshold {chosen} ({note})",
        sweep[chosen],
        originals=False,
    )
    print(
        "    threshold sweep (P / R over all pairs): "
        + ", ".join(
            f"{t}: {sweep[t]['all'].precision:.3f}/{sweep[t]['all'].recall:.3f}" for t in THRESHOLDS
        )
    )
    return {
        "ours": {
            **ours_quality,
            "repoints": repoints,
            "sqlite_same_links": same,
            "one_at_a_time_same_links": same_alone,
        },
        "datasketch": {
            "threshold": chosen,
            "note": note,
            **sweep[chosen],
            "sweep": {str(t): sweep[t]["all"] for t in THRESHOLDS},
        },
    }


def throughput_section(
    items: list[Item], config: Config, threshold: float, rounds: int
) -> dict[str, Any]:
    print(f"\n2. throughput, {len(items)} articles, {rounds} alternating runs (best of)")
    size, perms = config.dedup_shingle_words, config.dedup_num_perm
    runs: dict[str, list[Timing]] = {"ours_memory": [], "ours_sqlite": [], "datasketch": []}
    shingling = []
    for _ in range(rounds):
        runs["ours_memory"].append(run_ours(items, config)[1])
        runs["datasketch"].append(run_datasketch(items, threshold, perms, size)[1])
        runs["ours_sqlite"].append(run_ours_sqlite(items, config)[1])
        timing = Timing.start()
        for item in items:
            baseline_shingles(item.doc.text, size)
        shingling.append(timing.stop().cpu)
    rate = {
        f"{name}_{clock}": len(items) / min(getattr(t, clock) for t in timings)
        for name, timings in runs.items()
        for clock in ("wall", "cpu")
    }
    labels = {
        "ours_memory": "storyline, in-memory index",
        "ours_sqlite": "storyline, SQLite index (commits included)",
        "datasketch": f"datasketch at {threshold}",
    }
    for name, label in labels.items():
        print(
            f"    {label:44} {rate[name + '_wall']:7.0f} articles/s wall, "
            f"{rate[name + '_cpu']:7.0f} per CPU second"
        )
    ratios = {
        f"ratio_{name}_{clock}": rate[f"{name}_{clock}"] / rate[f"datasketch_{clock}"]
        for name in ("ours_memory", "ours_sqlite")
        for clock in ("wall", "cpu")
    }
    print(
        f"    ratio to datasketch: {ratios['ratio_ours_memory_wall']:.1f}x in memory "
        f"({ratios['ratio_ours_memory_cpu']:.1f}x in CPU time), "
        f"{ratios['ratio_ours_sqlite_wall']:.1f}x with SQLite "
        f"({ratios['ratio_ours_sqlite_cpu']:.1f}x in CPU time)"
    )
    share = min(shingling) * rate["datasketch_cpu"] / len(items)
    print(
        f"    of datasketch's CPU time, {share:.0%} is making its shingles "
        f"(storyline.text.words, joined and encoded); the rest is MinHash and LSH"
    )
    memory = index_memory(items, config, threshold)
    print(
        f"    in-memory index per million articles: storyline "
        f"{memory['ours_bytes_per_article'] * 1e6 / 1e9:.2f} GB, datasketch "
        f"{memory['datasketch_bytes_per_article'] * 1e6 / 1e9:.2f} GB (texts excluded)"
    )
    return {"throughput": {**rate, **ratios, "datasketch_shingling_share": share}, "memory": memory}


def scaling_section(
    sizes: list[int], seed: int, config: Config, workdir: Path | None, cache_mb: int
) -> list[Any]:
    cache = f"{cache_mb or COPY_INDEX_CACHE_MB} MB, file mapped up to {COPY_INDEX_MMAP_MB} MB"
    print(
        f"\n3. scaling on SQLite: probe of 1000 articles (rolled back) at {sizes}; "
        f"page cache {cache}"
    )
    bases = corpus.load_polnear()
    if workdir is not None:  # kept, so that a long run can be resumed
        workdir.mkdir(parents=True, exist_ok=True)
        rows = scaling(bases, seed, sizes, config, workdir, cache_mb)
    else:
        with tempfile.TemporaryDirectory() as folder:
            rows = scaling(bases, seed, sizes, config, Path(folder), cache_mb)
    last = rows[-1]
    print(
        f"    peak RSS {last['peak_rss_mb']:.0f} MB for the whole run; store file "
        f"{last['db_mb'] / last['articles'] * 1e6 / 1e3:.1f} GB per million articles"
    )
    return rows


#: settings varied one at a time from the defaults by ``--sweep``
SWEEP: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("dedup_near_threshold", (0.3, 0.4, 0.6, 0.7, 0.8)),
    ("dedup_containment_threshold", (0.6, 0.7, 0.9, 0.95)),
    ("dedup_min_cover", (0.05, 0.2, 0.3)),
    ("dedup_rewrite_sentences", (0.4, 0.5, 0.7, 0.8)),
    ("dedup_rewrite_pairs", (0.1, 0.3)),
    ("dedup_min_shingles", (10, 40)),
    ("dedup_shingle_words", (3, 5)),
    ("dedup_anchor_rate", (4, 16)),
)
EXAMPLE = Path(__file__).resolve().parents[1] / "storyline" / "data" / "example.jsonl"
EXAMPLE_GOLD = Path(__file__).resolve().parents[1] / "tests" / "data" / "example_gold.json"


def example_score(config: Config) -> tuple[int, int, int]:
    """(labelled copies linked to their original, labelled copies, wrong links) on the
    labelled example corpus of the repository."""
    gold = {c["article"]: c["original"] for c in json.loads(EXAMPLE_GOLD.read_text())["copies"]}
    index = InMemoryCopyIndex()
    stage = Deduplicator(config, index)
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        article = Article(
            id=record["id"],
            text=record["text"],
            outlet=record.get("outlet"),
            published=datetime.fromisoformat(record["published"].replace("Z", "+00:00")),
        )
        stage(article)
    found = {key: link.original for key, link in index.links.items()}
    right = sum(1 for key, original in gold.items() if found.get(key) == original)
    wrong = sum(1 for key, original in found.items() if gold.get(key) != original)
    return right, len(gold), wrong


def sweep_section(docs: list[Doc], items: list[Item], strength: float) -> list[dict[str, Any]]:
    print(
        f"\n4. settings, one at a time from the defaults (storyline only), on copies of "
        f"edit strength {strength:g}"
    )
    rows = []
    variants: list[tuple[str, Any]] = [("defaults", None)]
    variants += [(name, value) for name, values in SWEEP for value in values]
    for name, value in variants:
        config = Config() if value is None else Config(**{name: value})
        groups, timing, _ = run_ours(items, config)
        result = quality(docs, groups)
        right, labelled, wrong = example_score(config) if EXAMPLE_GOLD.is_file() else (0, 0, 0)
        row = {
            "strength": strength,
            "setting": name,
            "value": value,
            "precision": result["all"].precision,
            "recall": result["all"].recall,
            "rewrite_recall": result["rewrite"].recall,
            "truncated_recall": result["truncated"].recall,
            "hard_negatives_merged": result["hard_negatives_merged"],
            "example_right": right,
            "example_labelled": labelled,
            "example_wrong": wrong,
            "cpu_us": timing.cpu / len(items) * 1e6,
        }
        rows.append(row)
        label = name if value is None else f"{name} = {value}"
        print(
            f"    {label:36} P {row['precision']:.4f}  R {row['recall']:.4f}  "
            f"truncated R {row['truncated_recall']:.3f}  hard negatives "
            f"{row['hard_negatives_merged']}  example {right}/{labelled} (wrong {wrong})  "
            f"{row['cpu_us']:.0f} us CPU",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="storyline dedup vs datasketch")
    parser.add_argument("--seed", type=int, default=20161108)
    parser.add_argument(
        "--scale",
        choices=("small", "large", "none"),
        default="small",
        help="stored articles for the scaling figures: small = 10k and 100k, "
        "large = also 300k, 500k and 1M (hours on 2 shared cores), none = skip",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating throughput runs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the scaling store here (about 7 GB per million articles); a later run "
        "with the same folder and seed goes on from what it holds",
    )
    parser.add_argument(
        "--sweep", action="store_true", help="also vary each threshold and report P/R"
    )
    parser.add_argument("--only-scaling", action="store_true", help="skip quality and throughput")
    parser.add_argument(
        "--sqlite-cache-mb",
        type=int,
        default=0,
        help="SQLite page cache for the scaling store (default: the copy index's "
        f"{COPY_INDEX_CACHE_MB} MB)",
    )
    args = parser.parse_args()
    corpus.need_shared()
    config = Config()
    print(
        f"generator seed {args.seed}; python {sys.version.split()[0]}; "
        f"sqlite {sqlite3.sqlite_version}"
    )
    docs, counts = corpus.generate(args.seed)
    items = items_of(docs)
    kinds = Counter(doc.kind for doc in docs)
    print(f"corpus: {counts}; {dict(sorted(kinds.items()))}")
    results: dict[str, Any] = {
        "seed": args.seed,
        "config": {k: getattr(config, k) for k in Config.field_names() if k.startswith("dedup_")},
        "corpus": {**counts, "kinds": dict(kinds)},
    }
    if not args.only_scaling:
        results.update(quality_section(docs, items, config))
        results.update(
            throughput_section(items, config, results["datasketch"]["threshold"], args.rounds)
        )
    if args.sweep:
        results["sweep"] = sweep_section(docs, items, 1.0)
        heavy, _ = corpus.generate(args.seed, strength=3.0)
        results["sweep"] += sweep_section(heavy, items_of(heavy), 3.0)
    sizes = {
        "small": [10_000, 100_000],
        "large": [10_000, 100_000, 300_000, 500_000, 1_000_000],
        "none": [],
    }
    if sizes[args.scale]:
        results["scaling"] = scaling_section(
            sizes[args.scale], args.seed, config, args.workdir, args.sqlite_cache_mb
        )
    if args.json:
        args.json.write_text(json.dumps(as_json(results), indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
