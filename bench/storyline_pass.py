"""The Spark job's storyline pass: terms taken in the pass against terms taken beforehand.

    python bench/storyline_pass.py --articles 2000

The corpus is bench/spark_bench.py's (seed 11; verbatim copies, which the job
skips as repeats, left out), without NLP annotations, as the pass sees it on
the driver. Events come from the engine's clusterer over it in publication order.
Then, alternating for ``--rounds`` rounds on the same input, the pass as it was
(:func:`link_storylines` given whole articles, each article's terms taken from
its text in the pass) and as the job runs it now (:class:`ArticleTerms` taken
first, which the job does per partition, then the same pass over them); both
must place every article in the same storyline with the same logged reasons.
Times are CPU time of this process, so that other work on the machine counts as
little as it can.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dedup_corpus
import spark_bench

from storyline.cluster import ArticleTerms, Clusterer, ClusterState
from storyline.config import Config
from storyline.model import Article
from storyline.spark.windows import link_storylines


def articles(total: int, seed: int) -> list[Article]:
    seen: set[str] = set()
    found = []
    for doc in spark_bench.build_corpus(total, seed):
        if doc["text"] in seen:
            continue
        seen.add(doc["text"])
        published = datetime.fromisoformat(doc["published"]) if doc["published"] else None
        found.append(
            Article(doc["id"], doc["text"], doc["title"], published=published, language="en")
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    dedup_corpus.need_shared()
    config = Config()
    corpus = articles(args.articles, args.seed)
    engine = Clusterer(config, ClusterState(capacity=config.active_clusters))
    events = {}
    for article in corpus:
        copy = Article(article.id, article.text, article.title, published=article.published)
        events[article.id] = engine(copy).event or ""
    n = len(corpus)
    print(f"{n:,} articles, {len(set(events.values())):,} events, seed {args.seed}")

    before: list[float] = []
    terms_cost: list[float] = []
    after: list[float] = []
    for _ in range(args.rounds):
        started = time.process_time()
        old = list(link_storylines([(a, events[a.id]) for a in corpus], config))
        before.append(time.process_time() - started)
        started = time.process_time()
        terms = [ArticleTerms.of(a) for a in corpus]
        terms_cost.append(time.process_time() - started)
        started = time.process_time()
        new = list(link_storylines([(t, events[t.id]) for t in terms], config))
        after.append(time.process_time() - started)
        if new != old:
            raise SystemExit("the two passes placed articles differently")
    storylines = len({r[1] for r in new if isinstance(r, tuple)})
    print(f"identical storylines and reasons in every round: True ({storylines:,} storylines)")

    def ms(seconds: list[float]) -> str:
        return ", ".join(f"{s / n * 1000:.2f}" for s in seconds)

    light = len(pickle.dumps(corpus)) / n
    shipped = len(pickle.dumps(terms)) / n
    print(
        f"{'CPU ms per article (each round)':34} {'terms in the pass':>20} {'terms beforehand':>20}"
    )
    print(f"{'  sequential pass':34} {ms(before):>20} {ms(after):>20}")
    print(f"{'  terms, in parallel':34} {'-':>20} {ms(terms_cost):>20}")
    print(f"{'bytes shipped per article (pickle)':34} {light:>20,.0f} {shipped:>20,.0f}")
    print(f"sequential pass: {min(after) / min(before):.2f} of before (best rounds)")


if __name__ == "__main__":
    main()
