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
from storyline.model import Article
from storyline.store import SqliteCopyIndex, Store
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


def run_ours(items: list[Item], config: Config) -> tuple[dict[str, str], float, int]:
    """Predicted original of every article, seconds, re-points."""
    index = InMemoryCopyIndex()
    stage = Deduplicator(config, index)
    articles = [item.article() for item in items]
    start = time.perf_counter()
    for article, item in zip(articles, items, strict=True):
        stage(article, item.digest)
    seconds = time.perf_counter() - start
    repoints = sum(1 for a in stage.drain() if "re-pointed" in a.reason)
    groups = {item.doc.id: item.doc.id for item in items}
    groups.update({key: link.original for key, link in index.links.items()})
    return groups, seconds, repoints


def run_ours_sqlite(
    items: list[Item], config: Config, path: str = ":memory:"
) -> tuple[dict[str, str], float]:
    """The same stage on the SQLite index, committing every 64 articles as ingest does."""
    with Store(path) as store:
        stage = Deduplicator(config, SqliteCopyIndex(store))
        start = time.perf_counter()
        for batch in range(0, len(items), 64):
            with store.atomic():
                for item in items[batch : batch + 64]:
                    article = stage(item.article(), item.digest)
                    store.insert_article(article, f"id:{article.id}", item.digest)
        seconds = time.perf_counter() - start
        groups = {}
        for row in store.db.execute("SELECT id, copy_of FROM articles"):
            link = json.loads(row[1]) if row[1] else None
            groups[row[0]] = link["original"] if link else row[0]
    return groups, seconds


def baseline_shingles(text: str, size: int) -> list[bytes]:
    tokens = [w.casefold() for w in words(text)]
    return [" ".join(tokens[i : i + size]).encode() for i in range(len(tokens) - size + 1)]


def run_datasketch(
    items: list[Item],
    threshold: float,
    num_perm: int,
    size: int,
    minhashes: list[Any] | None = None,
) -> tuple[dict[str, str], float]:
    """datasketch as its documentation shows it: MinHash of word shingles, MinHashLSH;
    an article joins the group of its best candidate whose estimated Jaccard clears
    the threshold. Returns groups and seconds (MinHash included unless given)."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
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
        for candidate in lsh.query(minhash):
            score = minhash.jaccard(kept[candidate])
            if score >= best_score:
                best, best_score = candidate, score
        if best is not None:
            parent[key] = find(best)
        lsh.insert(key, minhash)
        kept[key] = minhash
    seconds = time.perf_counter() - start
    return {key: find(key) for key in parent}, seconds


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
    """Distinct articles from PolNeAR texts: content words swapped for corpus words."""

    def __init__(self, bases: list[Doc], seed: int) -> None:
        self.seed = seed
        self.bases = bases
        stop = STOPWORDS["en"]
        counts: Counter[str] = Counter()
        self.layouts: list[list[list[str]]] = []
        self.types: list[list[str]] = []
        for base in bases:
            layout = [re.findall(r"\w+(?:'\w+)?|[^\w\s]+", p) for p in corpus.paragraphs(base.text)]
            content = sorted(
                {t for p in layout for t in p if t[0].isalpha() and t.casefold() not in stop}
            )
            counts.update(t.casefold() for p in layout for t in p if t in content)
            self.layouts.append(layout)
            self.types.append(content)
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
        swap = dict(zip(types, chosen, strict=True))
        text = "\n\n".join(" ".join(swap.get(t, t) for t in p) for p in self.layouts[which])
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def ingest(store: Store, stage: Deduplicator, items: Iterable[Item]) -> int:
    count = 0
    with store.atomic():
        for item in items:
            article = stage(item.article(), item.digest)
            store.insert_article(article, f"id:{article.id}", item.digest)
            count += 1
    return count


def probe(
    store: Store,
    stage: Deduplicator,
    make: Synthetic,
    stored: int,
    rng: random.Random,
    size: int = 1000,
) -> dict[str, float]:
    """Per-article cost of ``size`` new articles, half of them copies of stored ones,
    inside a transaction that is then rolled back."""
    docs = []
    for number in range(size // 2):
        docs.append(make(10**9 + stored + number))
        source = make(rng.randrange(stored))
        kind = rng.choice(("verbatim", "truncated", "noise", "rewrite", "boilerplate_added"))
        copy = corpus.make_copy(rng, source, kind, number)
        copy.id = f"probe-copy-{stored}-{number}"
        docs.append(copy)
    items = items_of(docs)
    timings = []
    found = 0
    try:
        with store.atomic():
            for item in items:
                start = time.perf_counter()
                article = stage(item.article(), item.digest)
                store.insert_article(article, f"id:{article.id}", item.digest)
                timings.append(time.perf_counter() - start)
                if item.doc.id.startswith("probe-copy") and article.copy_of is not None:
                    found += article.copy_of.original == item.doc.group
            raise RollbackError
    except RollbackError:
        pass
    stage.drain()
    stage._cache.clear()  # a fresh process would not have them either
    timings.sort()
    return {
        "mean_us": statistics.fmean(timings) * 1e6,
        "p50_us": timings[len(timings) // 2] * 1e6,
        "p95_us": timings[int(len(timings) * 0.95)] * 1e6,
        "probe_copies_found": found / (size // 2),
    }


def scaling(
    bases: list[Doc], seed: int, sizes: list[int], config: Config, folder: Path
) -> list[dict[str, Any]]:
    make = Synthetic(bases, seed)
    rng = random.Random(seed)
    path = str(folder / "scale.db")
    rows = []
    stored = 0
    store = Store(path)
    stage = Deduplicator(config, SqliteCopyIndex(store))
    build_seconds = 0.0
    for size in sizes:
        start = time.perf_counter()
        while stored < size:
            batch = min(500, size - stored)
            items = items_of(make(n) for n in range(stored, stored + batch))
            began = time.perf_counter()
            stored += ingest(store, stage, items)
            build_seconds += time.perf_counter() - began
        built = time.perf_counter() - start
        costs = probe(store, stage, make, stored, rng)
        store.close()
        start = time.perf_counter()
        store = Store(path)
        stage = Deduplicator(config, SqliteCopyIndex(store))
        first = items_of([make(10**9 - 1 - stored)])[0]
        try:
            with store.atomic():  # one lookup, then leave the store as it was
                stage(first.article(), first.digest)
                raise RollbackError
        except RollbackError:
            pass
        opened = time.perf_counter() - start
        row = {
            "articles": stored,
            **{k: round(v, 3) for k, v in costs.items()},
            "build_us_per_article": round(build_seconds / stored * 1e6, 1),
            "build_seconds_this_step": round(built, 1),
            "open_seconds": round(opened, 3),
            "rss_mb": round(rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "db_mb": round(sum(p.stat().st_size for p in folder.glob("scale.db*")) / 1e6, 1),
        }
        rows.append(row)
        print(
            f"  {stored:>9,} stored: {row['mean_us']:8.0f} us/article (p50 {row['p50_us']:.0f}, "
            f"p95 {row['p95_us']:.0f}), probe copies found {row['probe_copies_found']:.3f}, "
            f"open {row['open_seconds']:.3f} s, RSS {row['rss_mb']:.0f} MB, "
            f"file {row['db_mb']:.0f} MB",
            flush=True,
        )
    store.close()
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


def print_quality(name: str, result: dict[str, Any]) -> None:
    print(f"  {name}")
    print(f"    {'all pairs':20} {result['all'].row()}  ARI {result['ari']:.3f}")
    for kind in corpus.KINDS:
        print(f"    {kind:20} {result[kind].row()}")
    print(
        f"    hard negatives merged: {result['hard_negatives_merged']} of "
        f"{result['hard_negative_pairs']} same-day pairs of different originals; "
        f"original chosen right in {result['original_chosen_right']:.3f} of groups"
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


def main() -> None:
    parser = argparse.ArgumentParser(description="storyline dedup vs datasketch")
    parser.add_argument("--seed", type=int, default=20161108)
    parser.add_argument(
        "--scale",
        choices=("small", "large", "none"),
        default="small",
        help="stored articles for the scaling figures: small = 10k and 100k, "
        "large = also 1M (about an hour), none = skip",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating throughput runs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    corpus.need_shared()
    config = Config()
    results: dict[str, Any] = {
        "seed": args.seed,
        "config": {k: getattr(config, k) for k in Config.field_names() if k.startswith("dedup_")},
    }
    print(
        f"generator seed {args.seed}; python {sys.version.split()[0]}; "
        f"sqlite {sqlite3.sqlite_version}"
    )

    docs, counts = corpus.generate(args.seed)
    items = items_of(docs)
    kinds = Counter(doc.kind for doc in docs)
    print(f"corpus: {counts}; {dict(sorted(kinds.items()))}")
    results["corpus"] = {**counts, "kinds": dict(kinds)}

    print("\n1. quality (pair precision / recall / F1 per copy kind)")
    ours, _, repoints = run_ours(items, config)
    ours_quality = quality(docs, ours)
    print_quality(f"storyline dedup ({repoints} group re-points)", ours_quality)
    sqlite_groups, _ = run_ours_sqlite(items, config)
    same = sqlite_groups == ours
    print(f"    SQLite index gives the same links: {same}")
    results["ours"] = {**ours_quality, "repoints": repoints, "sqlite_same_links": same}

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
    print_quality(f"datasketch MinHashLSH, threshold {chosen} ({note})", sweep[chosen])
    print(
        "    threshold sweep (P / R over all pairs): "
        + ", ".join(
            f"{t}: {sweep[t]['all'].precision:.3f}/{sweep[t]['all'].recall:.3f}" for t in THRESHOLDS
        )
    )
    results["datasketch"] = {
        "threshold": chosen,
        "note": note,
        **sweep[chosen],
        "sweep": {str(t): sweep[t]["all"] for t in THRESHOLDS},
    }

    print(f"\n2. throughput, {len(items)} articles, {args.rounds} alternating runs (best of)")
    ours_runs, sqlite_runs, theirs_runs = [], [], []
    for _ in range(args.rounds):
        ours_runs.append(run_ours(items, config)[1])
        theirs_runs.append(run_datasketch(items, chosen, perms, size)[1])
        sqlite_runs.append(run_ours_sqlite(items, config)[1])
    rate = {
        "ours_memory": len(items) / min(ours_runs),
        "ours_sqlite": len(items) / min(sqlite_runs),
        "datasketch": len(items) / min(theirs_runs),
    }
    print(f"    storyline, in-memory index: {rate['ours_memory']:8.0f} articles/s")
    print(
        f"    storyline, SQLite index:    {rate['ours_sqlite']:8.0f} articles/s (commits included)"
    )
    print(f"    datasketch at {chosen}:       {rate['datasketch']:8.0f} articles/s")
    print(
        f"    ratio: {rate['ours_memory'] / rate['datasketch']:.1f}x in memory, "
        f"{rate['ours_sqlite'] / rate['datasketch']:.1f}x with SQLite"
    )
    results["throughput"] = {
        **rate,
        "ratio_memory": rate["ours_memory"] / rate["datasketch"],
        "ratio_sqlite": rate["ours_sqlite"] / rate["datasketch"],
    }

    memory = index_memory(items, config, chosen)
    print(
        f"    in-memory index per million articles: storyline "
        f"{memory['ours_bytes_per_article'] * 1e6 / 1e9:.2f} GB, datasketch "
        f"{memory['datasketch_bytes_per_article'] * 1e6 / 1e9:.2f} GB (texts excluded)"
    )
    results["memory"] = memory

    sizes = {"small": [10_000, 100_000], "large": [10_000, 100_000, 1_000_000], "none": []}[
        args.scale
    ]
    if sizes:
        print(f"\n3. scaling on SQLite: probe of 1000 articles (rolled back) at {sizes}")
        bases = corpus.load_polnear()
        with tempfile.TemporaryDirectory() as folder:
            rows = scaling(bases, args.seed, sizes, config, Path(folder))
        results["scaling"] = rows
        last = rows[-1]
        print(
            f"    peak RSS {last['peak_rss_mb']:.0f} MB for the whole run; store file "
            f"{last['db_mb'] / last['articles'] * 1e6 / 1e3:.1f} GB per million articles"
        )
    if args.json:
        args.json.write_text(json.dumps(as_json(results), indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
