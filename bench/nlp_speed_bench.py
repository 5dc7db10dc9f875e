"""Throughput of the whole NLP stage against spaCy's recognizer alone, on PolNeAR articles.

    python bench/nlp_speed_bench.py [--data ../shared/data/polnear] [--articles 300]
                                    [--rounds 3] [--processes 1 2]

*Ours* is the parse, entity and quote stages run as the pipeline runs them
(``Pipeline.pipe``, batches of 64): spaCy with only the recognizer enabled,
then alias resolution and quote attribution in Python. *Baseline* is
``nlp.pipe`` over the same texts with a pipeline loaded with only ``ner``.
Each configuration runs ``--rounds`` times, alternating ours and the baseline
so that both see the same machine load; the best (shortest) round of each is
reported, in articles per second, with the ratio ours / baseline. With
``--processes 2`` both use ``n_process=2`` (spaCy's worker processes; our
Python stages then run in the main process while the workers parse).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.model import Article
from storyline.nlp.entities import EntityStage
from storyline.nlp.parse import MODEL, Parser
from storyline.nlp.quotes import QuoteStage
from storyline.pipeline import Pipeline

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"


def load_texts(data: Path, count: int) -> list[str]:
    paths = sorted((data / "train" / "text").glob("*.txt")) + sorted(
        (data / "dev" / "text").glob("*.txt")
    )
    return [p.read_text(encoding="utf-8") for p in paths[:count]]


def ours(texts: list[str], processes: int) -> Callable[[], int]:
    pipeline = Pipeline([Parser(n_process=processes), EntityStage(), QuoteStage()])

    def run() -> int:
        articles = [Article(id=str(i), text=t, language="en") for i, t in enumerate(texts)]
        done = 0
        for article in pipeline.pipe(articles, batch_size=64):
            done += 1
            article.doc = None
        return done

    return run


def baseline(texts: list[str], processes: int) -> Callable[[], int]:
    import spacy

    nlp = spacy.load(MODEL)
    nlp = spacy.load(MODEL, exclude=[name for name in nlp.pipe_names if name != "ner"])

    def run() -> int:
        return sum(1 for _ in nlp.pipe(texts, batch_size=64, n_process=processes))

    return run


def best_rate(run: Callable[[], int], count: int, times: list[float]) -> None:
    began = time.perf_counter()
    done = run()
    assert done == count
    times.append(time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    if not (args.data / "train" / "text").is_dir():
        print(f"PolNeAR not found at {args.data}: put it in ../shared/data/polnear")
        return 2
    texts = load_texts(args.data, args.articles)
    chars = sum(map(len, texts)) // len(texts)
    print(f"{len(texts)} PolNeAR articles, {chars} characters on average; best of {args.rounds}")
    print(f"\n{'processes':>9}  {'ours art/s':>11}  {'ner-only art/s':>15}  {'ratio':>6}")
    for processes in args.processes:
        mine, theirs = ours(texts, processes), baseline(texts, processes)
        mine_times: list[float] = []
        their_times: list[float] = []
        for _ in range(args.rounds):
            best_rate(theirs, len(texts), their_times)
            best_rate(mine, len(texts), mine_times)
        ours_rate = len(texts) / min(mine_times)
        their_rate = len(texts) / min(their_times)
        print(
            f"{processes:>9}  {ours_rate:>11.1f}  {their_rate:>15.1f}  "
            f"{ours_rate / their_rate:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
