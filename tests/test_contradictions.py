"""Contradictions between sources, flagged with evidence; agreement counted without copies."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import spacy_entities

from storyline.model import Article, CopyLink, Entity
from storyline.nlp.facts import FactStage, entity_key
from storyline.nlp.times import TimeStage
from storyline.views.contradictions import check_facts

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLE = Path(__file__).resolve().parents[1] / "storyline" / "data" / "example.jsonl"
GOLD = Path(__file__).resolve().parent / "data" / "example_gold.json"


def annotated(
    article_id: str,
    text: str,
    names: dict[str, tuple[str, str]] | None = None,
    published: datetime | None = None,
    **fields: object,
) -> Article:
    if names is None:
        entities = spacy_entities(text)
    else:
        entities = []
        for mention, (label, canonical) in sorted(names.items(), key=lambda item: -len(item[0])):
            for m in re.finditer(rf"\b{re.escape(mention)}\b", text):
                if not any(e.start <= m.start() < e.end for e in entities):
                    entities.append(Entity(m.group(), label, m.start(), m.end(), canonical))
        entities.sort(key=lambda e: e.start)
    article = Article(id=article_id, text=text, published=published, entities=entities, **fields)  # type: ignore[arg-type]
    return FactStage()(TimeStage()(article))


def day(d: int, month: int = 3) -> datetime:
    return datetime(2026, month, d, 12, tzinfo=UTC)


JUNIPER = {
    "Juniper Rose Raman": ("PERSON", "Juniper Rose Raman"),
    "Juniper": ("PERSON", "Juniper"),
    "Los Angeles": ("GPE", "Los Angeles"),
}


def test_contradictions_birth_dates_disagree_with_evidence() -> None:
    first = annotated(
        "buzz",
        "A source says little Juniper was born Feb. 26 in Los Angeles.",
        JUNIPER,
        day(4),
        outlet="Buzz",
    )
    second = annotated(
        "wire",
        "Juniper Rose Raman was born March 2 in Los Angeles.",
        JUNIPER,
        day(4),
        outlet="Wire",
    )
    later = annotated(
        "photos",
        "In the photos, Juniper, now 6 weeks old, snoozes.",
        JUNIPER,
        day(13, 4),
        outlet="Buzz",
    )
    check = check_facts([first, second, later])
    (conflict,) = check.contradictions
    assert (conflict.entity, conflict.attribute) == ("Juniper Rose Raman", "birth_date")
    assert sorted(side.label for side in conflict.sides) == ["2 March 2026", "26 February 2026"]
    by_article = {e.article: e for side in conflict.sides for e in side.evidence}
    for article in (first, second):
        evidence = by_article[article.id]
        assert evidence.outlet == article.outlet
        assert evidence.sentence == article.text[evidence.sentence_start : evidence.sentence_end]
        assert "born" in article.text[evidence.start : evidence.end]
    assert [e.article for e in conflict.undecided] == ["photos"]  # 6 weeks old fits both
    assert any(a.attribute == "birth_place" and a.side.sources == 2 for a in check.agreements)


def test_contradictions_ages_on_the_same_day() -> None:
    names = {"Darius Whitfield": ("PERSON", "Darius Whitfield")}
    a = annotated(
        "a", "Darius Whitfield fell. The 29-year-old had scored 21 points.", names, day(14, 2)
    )
    b = annotated(
        "b",
        "Darius Whitfield is hurt. The 27-year-old point guard averages 28 points.",
        names,
        day(14, 2),
    )
    (conflict,) = check_facts([a, b]).contradictions
    assert conflict.attribute == "age"
    assert sorted(s.label for s in conflict.sides) == [
        "27 years old on 14 February 2026",
        "29 years old on 14 February 2026",
    ]


def test_contradictions_counts_of_one_event_and_not_over_time() -> None:
    first = annotated(
        "ledger", "The fire destroyed 41 homes in Pine Gulch.", {}, day(26, 2), event="e2"
    )
    second = annotated(
        "wire",
        "The Ridgeline Fire destroyed 63 homes and damaged 19 others.",
        {},
        day(26, 2),
        event="e2",
    )
    earlier = annotated(
        "old", "The fire destroyed 12 homes on its first night.", {}, day(22, 2), event="e1"
    )
    (conflict,) = check_facts([first, second, earlier]).contradictions
    assert conflict.attribute == "count (homes destroyed)"
    assert {e.article for s in conflict.sides for e in s.evidence} == {"ledger", "wire"}


def test_contradictions_hedged_counts_within_tolerance_agree() -> None:
    a = annotated(
        "a", "It forced about 2,000 residents to evacuate.", {}, day(21, 2), event="e", outlet="A"
    )
    b = annotated(
        "b", "Officials evacuated 2,100 residents overnight.", {}, day(21, 2), event="e", outlet="B"
    )
    check = check_facts([a, b])
    assert check.contradictions == []
    (agreement,) = check.agreements
    assert (agreement.side.sources, agreement.side.outlets) == (2, 2)


def test_contradictions_copies_are_not_independent_agreement() -> None:
    text = "The trial enrolled 1,480 patients."
    original = annotated("wire", text, {}, day(2), event="e", outlet="Wire")
    copy = annotated(
        "heap",
        text,
        {},
        day(2),
        event="e",
        outlet="Heap",
        copy_of=CopyLink("wire", "verbatim", 1.0),
    )
    assert check_facts([original, copy]).agreements == []
    other = annotated(
        "mag", "The study randomized 1,480 patients.", {}, day(2), event="e", outlet="Mag"
    )
    (agreement,) = check_facts([original, copy, other]).agreements
    assert (agreement.side.sources, agreement.side.outlets) == (2, 2)
    assert "2 outlets agree" in str(agreement)


def test_contradictions_earlier_states_are_not_compared() -> None:
    now = annotated(
        "a", "Her final margin was 31 votes, a recount found.", {}, day(17), event="r", outlet="A"
    )
    then = annotated(
        "b", "Results had shown her ahead by 37 votes.", {}, day(17), event="r", outlet="B"
    )
    assert check_facts([now, then]).contradictions == []


def test_contradictions_export_shape() -> None:
    a = annotated("a", "The fire destroyed 41 homes.", {}, day(26, 2), event="e")
    b = annotated("b", "The fire destroyed 63 homes.", {}, day(26, 2), event="e")
    exported = check_facts([a, b]).to_dict()
    assert set(exported) == {"contradictions", "agreements"}
    (conflict,) = exported["contradictions"]
    side = conflict["sides"][0]
    assert {"value", "label", "sources", "outlets", "evidence"} <= set(side)
    assert {"article", "outlet", "sentence", "start", "end"} <= set(side["evidence"][0])
    json.dumps(exported)


@pytest.mark.shared
def test_contradictions_seeds_flag_the_birth_date_and_nothing_else() -> None:
    folder = SHARED / "seeds"
    if not folder.is_dir():
        pytest.skip(f"needs the seed articles at {folder}")
    articles = [
        annotated(p.name[:3], p.read_text(encoding="utf-8"), outlet=p.stem)
        for p in sorted(folder.glob("*.txt"))
    ]
    (conflict,) = check_facts(articles).contradictions
    assert entity_key(conflict.entity) in ("miles", "miles stephens")
    assert conflict.attribute == "birth_date"
    sides = {side.label: [e.article for e in side.evidence] for side in conflict.sides}
    assert sides == {"May 2018": ["001"], "21 July 2018": ["000"]}
    for side in conflict.sides:
        evidence = side.evidence[0]
        text = next(a.text for a in articles if a.id == evidence.article)
        assert "born" in text[evidence.start : evidence.end]
        assert evidence.sentence in text


def test_contradictions_example_corpus_planted_disagreements() -> None:
    """Every planted disagreement of the example corpus is found and nothing else is flagged."""
    if not GOLD.is_file() or "contradictions" not in json.loads(GOLD.read_text(encoding="utf-8")):
        pytest.skip("example gold has no contradictions list")
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    records = {
        r["id"]: r for r in map(json.loads, EXAMPLE.read_text(encoding="utf-8").splitlines())
    }
    copies = {c["article"]: c["original"] for c in gold["copies"]}
    found = []
    for storyline in gold["storylines"]:
        members = []
        for event in storyline["events"]:
            for article_id in event["articles"]:
                record = Article.from_dict(records[article_id])
                link = CopyLink(copies[article_id], "copy", 1.0) if article_id in copies else None
                members.append(
                    annotated(
                        article_id, record.text, published=record.published, outlet=record.outlet,
                        event=event["name"], copy_of=link,
                    )
                )  # fmt: skip
        found.extend(check_facts(members).contradictions)
    pairs = [{frozenset(e.article for e in s.evidence) for s in c.sides} for c in found]
    for planted in gold["contradictions"]:
        a, b = (side["article"] for side in planted["sides"])
        assert any(any(a in s for s in p) and any(b in s for s in p) for p in pairs), planted
    assert len(found) == len(gold["contradictions"])
