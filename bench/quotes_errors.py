"""Error analysis of the quote stage on one PolNeAR split, with the parses cached.

    python bench/quotes_errors.py [--split train] [--cache /tmp/quotes-cache]
                                  [--show CLASS] [--limit N] [--agreement]

The entity stage's output is written once to ``--cache`` (one JSON file per
split), so that changing a quote rule costs seconds, not a spaCy run. Scores are
those of ``bench/quotes_bench.py`` (same gold, same matching); each miss and
each false positive at 80% overlap is sorted into a class, and ``--show CLASS``
prints the cases of one class. ``--agreement`` scores the articles that two
people annotated: the second annotator against the first, and ours against each,
with the same matching (how far the figure can go, given how the annotators
differ). Develop on train; dev is for reporting.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quotes_bench import (
    DEFAULT_DATA,
    Document,
    Tally,
    Unit,
    annotator_units,
    load,
    matched_pairs,
    our_units,
    score,
)

from storyline.model import Article, Entity
from storyline.nlp.entities import EntityStage
from storyline.nlp.parse import Parser
from storyline.nlp.quotes import extract_quotes


def entities_of(documents: Sequence[Document], cache: Path) -> list[list[Entity]]:
    """The entity stage's entities of each document, from the cache when it is there."""
    if cache.is_file():
        rows = json.loads(cache.read_text(encoding="utf-8"))
        if [r["id"] for r in rows] == [d.name for d in documents]:
            return [[Entity.from_dict(e) for e in r["entities"]] for r in rows]
    articles = [Article(id=d.name, text=d.text, language="en") for d in documents]
    done = list(EntityStage().pipe(Parser().pipe(articles)))
    rows = [{"id": a.id, "entities": [e.to_dict() for e in a.entities]} for a in done]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(rows), encoding="utf-8")
    return [a.entities for a in done]


def _mid_sentence(text: str, a: int) -> bool:
    before = text[max(0, text.rfind("\n", 0, a) + 1) : a].rstrip()
    return bool(before) and before[-1:] not in ".!?:\"”'’" and not before.endswith(",")


def classify_miss(text: str, gold: Unit, predicted: Sequence[Unit]) -> str:
    a, b = gold.span
    close = [p for p in predicted if p.span[0] < b and a < p.span[1]]
    if close:
        if len(close) > 1 or len(close[0].fragments) != len(gold.fragments):
            return "joined-split"
        return "boundary"
    inner = text[a:b].rstrip()
    if inner[-1:] not in "\"”'»":
        return "runs-past-mark"
    if _mid_sentence(text, a):
        return "mid-sentence"
    return "not-attributed"


def classify_extra(text: str, pred: Unit, gold: Sequence[Unit]) -> str:
    a, b = pred.span
    if any(g.span[0] < b and a < g.span[1] for g in gold):
        return "partial-overlap"
    if pred.speaker is None and pred.speaker_span is None:
        return "no-speaker"
    return "unmarked-attributed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="train")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/quotes-cache"))
    parser.add_argument("--show", default="", help="print the cases of this class")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--agreement", action="store_true", help="annotators against each other")
    args = parser.parse_args(argv)
    documents = load(args.data, args.split)
    entities = entities_of(documents, args.cache / f"{args.split}.json")
    if args.agreement:
        return agreement(args.data, args.split, documents, entities)
    tally = Tally()
    classes: Counter[str] = Counter()
    shown = 0
    for doc, ents in zip(documents, entities, strict=True):
        quotes = extract_quotes(doc.text, ents)
        predicted = our_units(quotes)
        score(doc, predicted, ents, tally, 0)
        matched_gold, matched_pred = _matches(doc, predicted)
        for i, gold in enumerate(doc.gold):
            if i not in matched_gold:
                kind = "MISS " + classify_miss(doc.text, gold, predicted)
                classes[kind] += 1
                if args.show and args.show in kind and shown < args.limit:
                    shown += 1
                    _print(doc, gold, kind, predicted)
        for j, pred in enumerate(predicted):
            if j not in matched_pred:
                kind = "EXTRA " + classify_extra(doc.text, pred, doc.gold)
                classes[kind] += 1
                if args.show and args.show in kind and shown < args.limit:
                    shown += 1
                    _print(doc, pred, kind, doc.gold)
    p, r, f = tally.prf(tally.overlap)
    fe = tally.prf(tally.exact)[2]
    accuracy = tally.speaker_right / tally.with_source if tally.with_source else 0.0
    print(
        f"{args.split}: gold {tally.gold} pred {tally.predicted} P80 {p:.3f} R80 {r:.3f} "
        f"F1-80 {f:.3f} F1-exact {fe:.3f} speaker {accuracy:.3f}"
    )
    for kind, n in sorted(classes.items()):
        print(f"  {kind:<28}{n:>5}")
    return 0


def agreement(
    data: Path, split: str, documents: Sequence[Document], entities: Sequence[list[Entity]]
) -> int:
    """F1 at 80% overlap between two annotators of one article, and of ours against each."""
    files: dict[str, list[Path]] = {}
    for ann in sorted((data / split / "attributions").glob("*.ann")):
        files.setdefault(ann.stem.rsplit("_", 1)[0], []).append(ann)
    names = ("second annotator vs first", "ours vs first", "ours vs second")
    tallies = {name: Tally() for name in names}
    articles = 0
    for doc, ents in zip(documents, entities, strict=True):
        if len(files[doc.name]) < 2:
            continue
        articles += 1
        first, second = (annotator_units(doc.text, ann)[0] for ann in files[doc.name][:2])
        ours = our_units(extract_quotes(doc.text, ents))
        against_first = Document(doc.name, doc.text, first)
        score(against_first, second, [], tallies[names[0]], 0)
        score(against_first, ours, ents, tallies[names[1]], 0)
        score(Document(doc.name, doc.text, second), ours, ents, tallies[names[2]], 0)
    print(f"{split}: {articles} articles with two annotators")
    for name, tally in tallies.items():
        p, r, f = tally.prf(tally.overlap)
        counts = f"gold {tally.gold:>4} pred {tally.predicted:>4}"
        print(f"  {name:<28} {counts} P80 {p:.3f} R80 {r:.3f} F1-80 {f:.3f}")
    return 0


def _matches(doc: Document, predicted: Sequence[Unit]) -> tuple[set[int], set[int]]:
    pairs = matched_pairs(doc.text, doc.gold, predicted)
    return {i for i, _ in pairs}, {j for _, j in pairs}


def _print(doc: Document, unit: Unit, kind: str, others: Sequence[Unit]) -> None:
    a, b = unit.span
    text = doc.text
    context = text[max(0, a - 120) : b + 80].replace("\n", "¶")
    print(f"--- {kind} {doc.name} [{a}:{b}] frags={len(unit.fragments)} spk={unit.speaker!r}")
    print("   ", context)
    near = [o for o in others if o.span[0] < b + 200 and a - 200 < o.span[1]]
    for o in near:
        print("    other:", [text[x:y][:60] for x, y in o.fragments], o.speaker)


if __name__ == "__main__":
    raise SystemExit(main())
