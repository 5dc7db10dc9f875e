"""The Spark job against the single-machine engine on one corpus built from real text.

    python bench/spark_bench.py --articles 2000      # about ten minutes on two cores
    python bench/spark_bench.py --articles 20000     # the full size: hours on two cores

The corpus: originals made from PolNeAR paragraphs (each keeps a real article's
headline and a run of its paragraphs plus two paragraphs of other articles, as
bench/cluster_speed.py builds them), dates spread evenly over a year, and 0-3
copies of each made by bench/dedup_corpus.py's generator (verbatim, new
headline, boilerplate added or removed, truncated, paragraphs moved, rewritten,
typos), published minutes to days later. It is written as JSON Lines in
publication order, so the engine (which places articles in arrival order) and
the job (which places them in publication order) see the same order.

One run: the engine ingests the file; the job runs in local[2] and in local[1];
then both results are compared (the same copy groups? pairwise agreement on
events and on storylines) and the job's per-phase costs are printed, from which docs/spark.md
projects a 100-node cluster.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cluster_speed
import dedup_corpus
import pyarrow.parquet as pq

from storyline.config import Config
from storyline.engine import Engine
from storyline.spark import JobReport, JobSettings, run, session

GOAL = 0.98


def build_corpus(total: int, seed: int) -> list[dict[str, Any]]:
    """About ``total`` articles: originals from real paragraphs and their copies."""
    rng = random.Random(seed)
    originals = math.ceil(total / 2.2)
    docs: list[dict[str, Any]] = []
    for article in cluster_speed.stream(originals, seed):
        base = dedup_corpus.Doc(
            article.id,
            article.outlet or "",
            article.title,
            article.published,
            article.text,
            article.id,
            "original",
            article.id,
        )
        family = [base]
        for number in range(rng.choice((0, 1, 1, 2, 2, 3))):
            kind = rng.choice(dedup_corpus.KINDS)
            if kind == "boilerplate_removed":
                kind = "verbatim"
            family.append(dedup_corpus.make_copy(rng, rng.choice(family), kind, number + 1))
        docs.extend(doc.record() for doc in family)
        if len(docs) >= total:
            break
    docs = docs[:total]
    far = "9999"
    docs.sort(key=lambda d: (d["published"] or far, d["id"]))
    return docs


def copy_groups(pairs: list[tuple[str, str | None]]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    for article, original in pairs:
        members[original or article].add(article)
    return {frozenset(group) for group in members.values() if len(group) > 1}


def pairwise_agreement(left: dict[str, str], right: dict[str, str]) -> float:
    """Share of article pairs both clusterings put together, or both apart (Rand index)."""
    ids = sorted(left)
    pairs = len(ids) * (len(ids) - 1) // 2

    def together(counts: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = together(Counter((left[i], right[i]) for i in ids))
    only_left = together(Counter(left[i] for i in ids)) - both
    only_right = together(Counter(right[i] for i in ids)) - both
    return 1 - (only_left + only_right) / pairs if pairs else 1.0


def spark_run(master: str, corpus: Path, output: Path, partitions: int) -> tuple[JobReport, float]:
    spark = session(
        master,
        {
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": str(partitions),
            "spark.driver.memory": "2g",
        },
    )
    try:
        started = time.perf_counter()
        report = run(spark, JobSettings((str(corpus),), str(output), Config(), 7.0, partitions))
        return report, time.perf_counter() - started
    finally:
        spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--skip-local1", action="store_true", help="no local[1] run")
    args = parser.parse_args()
    dedup_corpus.need_shared()
    work = Path(tempfile.mkdtemp(prefix="spark-bench-"))
    try:
        docs = build_corpus(args.articles, args.seed)
        corpus = work / "corpus.jsonl"
        corpus.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
        copies = sum(1 for d in docs if d["label"]["kind"] != "original")
        print(f"corpus: {len(docs):,} articles ({copies:,} generated copies), seed {args.seed}")

        started = time.perf_counter()
        with Engine(work / "engine.db", config=Config()) as engine:
            ingest = engine.ingest(corpus)
            placed = list(engine.articles())
        engine_seconds = time.perf_counter() - started
        print(f"engine: {ingest.summary()}")

        report2, seconds2 = spark_run("local[2]", corpus, work / "out2", args.partitions)
        print(f"spark local[2]: {report2.summary()}")
        print(f"  phases (s): {report2.seconds}")
        rows = pq.read_table(work / "out2" / "articles").to_pylist()
        if not args.skip_local1:
            report1, seconds1 = spark_run("local[1]", corpus, work / "out1", args.partitions)
            print(f"  local[1] phases (s): {report1.seconds}")
            again = pq.read_table(work / "out1" / "articles").to_pylist()
            same = [(r["id"], r["event"], r["copy_original"]) for r in again] == [
                (r["id"], r["event"], r["copy_original"]) for r in rows
            ]
            print(f"  local[1] output identical to local[2]: {same}")

        spark_groups = copy_groups([(r["id"], r["copy_original"]) for r in rows])
        engine_groups = copy_groups(
            [(a.id, a.copy_of.original if a.copy_of else None) for a in placed]
        )
        shared = len(spark_groups & engine_groups)
        agreement = pairwise_agreement(
            {r["id"]: r["event"] for r in rows}, {a.id: a.event or "" for a in placed}
        )
        storyline_agreement = pairwise_agreement(
            {r["id"]: r["storyline"] for r in rows}, {a.id: a.storyline or "" for a in placed}
        )
        n = len(rows)
        print()
        print(f"{'':28} {'engine':>12} {'spark local[2]':>16}")
        print(f"{'copy groups':28} {len(engine_groups):>12,} {len(spark_groups):>16,}")
        print(f"{'  identical groups':28} {shared:>12,} {shared:>16,}")
        print(f"{'events':28} {len({a.event for a in placed}):>12,} {report2.events:>16,}")
        engine_storylines = len({a.storyline for a in placed})
        print(f"{'storylines':28} {engine_storylines:>12,} {report2.storylines:>16,}")
        print(f"{'seconds':28} {engine_seconds:>12.1f} {seconds2:>16.1f}")
        print(f"{'articles/s':28} {n / engine_seconds:>12.1f} {n / seconds2:>16.1f}")
        print(f"same copy groups: {spark_groups == engine_groups}")
        verdict = "meets" if agreement >= GOAL else "misses"
        print(f"pairwise agreement on events: {agreement:.4f} ({verdict} the goal of {GOAL})")
        print(f"pairwise agreement on storylines: {storyline_agreement:.4f}")
        print(f"time ratio spark local[2] / engine: {seconds2 / engine_seconds:.2f}")
        if not args.skip_local1:
            print(
                f"throughput local[1] {n / seconds1:.1f}/s, local[2] {n / seconds2:.1f}/s: "
                f"speed-up {seconds1 / seconds2:.2f}x"
            )
            per_core = {
                phase: round(seconds / n * 1000, 2)
                for phase, seconds in report1.seconds.items()
                if phase != "total"
            }
            print(f"local[1] cost per article and core (ms): {per_core}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
