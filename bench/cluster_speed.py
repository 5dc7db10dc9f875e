"""Event assignment speed as the store grows, against the NLP cost of an article.

    python bench/cluster_speed.py                 # 10k and 100k stored articles
    python bench/cluster_speed.py --scale large   # and 1M (about half an hour)

The stream is built from the PolNeAR articles (real news, 7 outlets): each
synthetic article keeps a real article's headline and a random run of its
paragraphs plus two paragraphs from other articles, and the stream's dates are
spread evenly over a year. Articles go through the clusterer
exactly as the engine runs it (state drained every batch, so old events leave
memory); at each checkpoint the next ``--probe`` articles are timed. The NLP
reference is spaCy's ``nlp.pipe`` with NER alone over real articles.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from polnear import polnear_files

from storyline.cluster import Clusterer, ClusterState
from storyline.config import Config
from storyline.model import Article

BATCH = 64


def real_articles() -> list[tuple[str, str, list[str]]]:
    """(outlet, title, paragraphs) of every PolNeAR article."""
    articles = []
    for row, raw in polnear_files():
        paragraphs = [p.strip() for p in raw.split("\n\n")]
        paragraphs = [p for p in paragraphs if p]
        if len(paragraphs) > 2:
            articles.append((row["publisher"], row["title"], paragraphs[1:]))
    return articles


def stream(count: int, seed: int) -> Iterator[Article]:
    rng = random.Random(seed)
    pool = real_articles()
    start = datetime(2016, 1, 1, tzinfo=UTC)
    step = timedelta(days=365) / count
    for number in range(count):
        outlet, title, paragraphs = pool[rng.randrange(len(pool))]
        begin = rng.randrange(len(paragraphs))
        length = max(2, int(len(paragraphs) * rng.uniform(0.4, 0.9)))
        body = paragraphs[begin : begin + length]
        for _ in range(2):
            other = pool[rng.randrange(len(pool))][2]
            body.insert(rng.randrange(len(body) + 1), rng.choice(other))
        yield Article(
            id=f"s{number}",
            title=title,
            text="\n\n".join(body),
            outlet=outlet,
            published=start + step * number,
        )


def nlp_rate(sample: list[Article]) -> float:
    import spacy

    from storyline.nlp.parse import MODEL

    nlp = spacy.load(MODEL, enable=["ner"])
    started = time.perf_counter()
    for _ in nlp.pipe((a.text for a in sample), batch_size=BATCH):
        pass
    return len(sample) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["default", "large"], default="default")
    parser.add_argument("--probe", type=int, default=2000, help="articles timed per checkpoint")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    checkpoints = [10_000, 100_000] + ([1_000_000] if args.scale == "large" else [])
    total = checkpoints[-1] + args.probe
    clusterer = Clusterer(Config(), ClusterState())
    results = []
    timed, timed_since = 0.0, 0
    batch = 0
    print(f"seed {args.seed}; stream of {total:,} articles built from PolNeAR")
    for stored, article in enumerate(stream(total, args.seed)):
        probing = any(c <= stored < c + args.probe for c in checkpoints)
        started = time.perf_counter()
        clusterer(article)
        elapsed = time.perf_counter() - started
        batch += 1
        if batch == BATCH:
            started = time.perf_counter()
            clusterer.state.drain()
            elapsed += time.perf_counter() - started
            batch = 0
        if probing:
            timed += elapsed
            timed_since += 1
            if timed_since == args.probe:
                state = clusterer.state
                results.append((stored + 1 - args.probe, timed_since / timed, len(state.events)))
                timed, timed_since = 0.0, 0
    sample = list(stream(300, args.seed + 1))
    reference = nlp_rate(sample)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'stored articles':>16} {'assign/s':>10} {'active events':>14} {'vs first':>9}")
    for stored_at, rate, active in results:
        print(f"{stored_at:>16,} {rate:>10,.0f} {active:>14,} {rate / results[0][1]:>9.2f}")
    slowest = min(rate for _, rate, _ in results)
    print(
        f"spaCy nlp.pipe NER alone: {reference:,.0f} articles/s; "
        f"assignment is {slowest / reference:.1f}x faster than NER at its slowest"
    )
    print(f"peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
