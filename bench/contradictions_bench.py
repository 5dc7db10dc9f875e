"""Contradictions between sources: every planted disagreement found, nothing else flagged.

    python bench/contradictions_bench.py [--shared ../shared] [--entities stage|spacy]

Two corpora, each article run through parse, entities, times and facts, then
:func:`storyline.views.contradictions.check_facts` per storyline:

* the seeds (../shared/seeds): three undated articles of one storyline; the one
  disagreement is Miles's birth date (May 2018 in one, July 21 in another);
* the bundled example corpus (storyline/data/example.jsonl) with its gold
  (tests/data/example_gold.json): storylines, events and copies are taken from
  the gold, so clustering and dedup errors do not count here; its
  "contradictions" list holds the planted disagreements.

A found contradiction matches a planted one when two of its sides carry the two
planted articles. Printed: found, matched, missed, spurious, per corpus.
``--entities spacy`` replaces the entity stage by spaCy's mentions with a
surname/first-name merge (to isolate this stage from entity resolution).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.model import Article, CopyLink, Entity
from storyline.nlp.facts import FactStage, entity_key, merge_keys
from storyline.nlp.parse import Parser, doc_of
from storyline.nlp.times import TimeStage
from storyline.views.contradictions import Contradiction, check_facts

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "storyline" / "data" / "example.jsonl"
GOLD = ROOT / "tests" / "data" / "example_gold.json"
SEED_GOLD = [
    {
        "entity": "Miles",
        "attribute": "birth_date",
        "sides": [{"article": "000"}, {"article": "001"}],
    }
]


@dataclass(slots=True)
class Result:
    corpus: str
    gold: int
    found: int
    matched: int
    missed: list[str]
    spurious: list[str]
    seconds: float


def spacy_entities(article: Article) -> list[Entity]:
    """spaCy's name mentions, one-word names merged into the article's full names."""
    doc = doc_of(article)
    mentions = [
        e for e in doc.ents if e.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP")
    ]
    keys = merge_keys(entity_key(e.text) for e in mentions if e.label_ == "PERSON")
    entities = []
    for mention in mentions:
        key = entity_key(mention.text)
        canonical = keys.get(key, key).title() if mention.label_ == "PERSON" else mention.text
        entities.append(
            Entity(mention.text, mention.label_, mention.start_char, mention.end_char, canonical)
        )
    return entities


def annotate(articles: Sequence[Article], entities: str) -> None:
    parser, times, facts = Parser(), TimeStage(), FactStage()
    stage = None
    if entities == "stage":
        try:
            from storyline.nlp.entities import EntityStage
        except ImportError:
            print("entity stage not available: using spaCy mentions (--entities spacy)")
        else:
            stage = EntityStage()
    for article in articles:
        parser(article)
        if stage is not None:
            stage(article)
        else:
            article.entities = spacy_entities(article)
        times(article)
        facts(article)


def matches(found: Contradiction, planted: dict[str, Any]) -> bool:
    wanted = [side["article"] for side in planted["sides"]]
    sides = [{e.article for e in side.evidence} for side in found.sides]
    return any(
        wanted[0] in a and wanted[1] in b
        for i, a in enumerate(sides)
        for j, b in enumerate(sides)
        if i != j
    )


def describe(found: Contradiction) -> str:
    sides = " vs ".join(
        f"{s.label} ({', '.join(e.article for e in s.evidence)})" for s in found.sides
    )
    return f"{found.entity or 'the event'} {found.attribute}: {sides}"


def evaluate(corpus: str, storylines: list[list[Article]], planted: list[dict[str, Any]]) -> Result:
    began = time.perf_counter()
    found = [c for members in storylines for c in check_facts(members).contradictions]
    elapsed = time.perf_counter() - began
    matched = [p for p in planted if any(matches(c, p) for c in found)]
    missed = [f"{p['entity']} {p['attribute']}" for p in planted if p not in matched]
    spurious = [describe(c) for c in found if not any(matches(c, p) for p in planted)]
    return Result(corpus, len(planted), len(found), len(matched), missed, spurious, elapsed)


def seeds(shared: Path, entities: str) -> Result | None:
    folder = shared / "seeds"
    if not folder.is_dir():
        print(f"seeds not found: put the seed articles in {folder} (see ../shared/README.md)")
        return None
    articles = [
        Article(id=p.name[:3], text=p.read_text(encoding="utf-8"), outlet=p.stem)
        for p in sorted(folder.glob("*.txt"))
    ]
    annotate(articles, entities)
    return evaluate("seeds", [articles], SEED_GOLD)


def example(entities: str) -> Result | None:
    if not GOLD.is_file():
        print(f"example gold not found at {GOLD}: the example corpus part is skipped")
        return None
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    if "contradictions" not in gold:
        print(f"{GOLD} has no 'contradictions' list yet: the example corpus part is skipped")
        return None
    articles = {}
    with EXAMPLE.open(encoding="utf-8") as lines:
        for line in lines:
            article = Article.from_dict(json.loads(line))
            articles[article.id] = article
    for copy in gold.get("copies", []):
        articles[copy["article"]].copy_of = CopyLink(copy["original"], copy["kind"], 1.0)
    annotate(list(articles.values()), entities)
    storylines = []
    for storyline in gold["storylines"]:
        members = []
        for event in storyline["events"]:
            for article_id in event["articles"]:
                articles[article_id].event = event["name"]
                members.append(articles[article_id])
        storylines.append(members)
    return evaluate("example corpus", storylines, gold["contradictions"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--entities", choices=("stage", "spacy"), default="stage")
    args = parser.parse_args(argv)
    results = [
        r for r in (seeds(args.shared, args.entities), example(args.entities)) if r is not None
    ]
    print(
        f"\n{'corpus':<16}{'planted':>8}{'found':>7}{'matched':>9}{'missed':>8}{'spurious':>10}{'seconds':>9}"
    )
    for r in results:
        print(
            f"{r.corpus:<16}{r.gold:>8}{r.found:>7}{r.matched:>9}{len(r.missed):>8}{len(r.spurious):>10}{r.seconds:>9.2f}"
        )
    for r in results:
        for item in r.missed:
            print(f"  {r.corpus}: missed {item}")
        for item in r.spurious:
            print(f"  {r.corpus}: spurious {item}")
    return 0 if all(not r.missed and not r.spurious for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
