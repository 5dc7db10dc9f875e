"""The storyline timeline and the publication-date estimates it rests on."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import spacy_entities

from storyline.model import Article, CopyLink, Entity
from storyline.nlp.facts import FactStage
from storyline.nlp.times import TimeStage
from storyline.views.dating import anchored, estimate_dates
from storyline.views.timeline import TimelineEntry, timeline

SHARED = Path(__file__).resolve().parents[2] / "shared"


def annotated(
    article_id: str, text: str, names: dict[str, str] | None = None, **fields: object
) -> Article:
    entities = spacy_entities(text) if names is None else [
        Entity(m.group(), "PERSON", m.start(), m.end(), canonical)
        for mention, canonical in names.items()
        for m in re.finditer(rf"\b{re.escape(mention)}\b", text)
    ]  # fmt: skip
    article = Article(id=article_id, text=text, entities=entities, **fields)  # type: ignore[arg-type]
    return FactStage()(TimeStage()(article))


@pytest.fixture(scope="module")
def seeds() -> list[Article]:
    folder = SHARED / "seeds"
    if not folder.is_dir():
        pytest.skip(f"needs the seed articles at {folder}")
    return [
        annotated(p.name[:3], p.read_text(encoding="utf-8"), outlet=p.stem)
        for p in sorted(folder.glob("*.txt"))
    ]


def find(entries: list[TimelineEntry], kind: str, article: str, words: str) -> TimelineEntry:
    matching = [e for e in entries if e.kind == kind and e.article == article and words in e.text]
    assert len(matching) == 1, [(e.kind, e.article, e.label, e.text[:40]) for e in entries]
    return matching[0]


@pytest.mark.shared
def test_timeline_seeds_estimate_every_publication_date(seeds: list[Article]) -> None:
    estimates = estimate_dates(seeds)
    assert {k: (v.known, v.basis) for k, v in estimates.items()} == {
        "000": (False, "age"),  # 9 weeks old, born May 2018 (in 001)
        "001": (False, "shared quote"),  # the same first-steps video as 002
        "002": (False, "age"),  # about 14 months old, born May 2018 (in 001)
    }
    assert estimates["000"].label == "about July 2018"
    assert estimates["002"].label == "about July 2019"
    assert "001" in estimates["002"].reason and "May 2018" in estimates["002"].reason
    assert {e["article"] for e in estimates["002"].evidence} == {"001", "002"}


@pytest.mark.shared
def test_timeline_seeds_in_order(seeds: list[Article]) -> None:
    entries = timeline(seeds).entries
    born = find(entries, "birth", "001", "born in May of 2018")
    video = find(entries, "age", "000", "9 weeks old")
    italy = find(entries, "time", "002", "crawling")
    steps = find(entries, "age", "002", "14 months old")
    assert (born.label, born.granularity, born.estimated) == ("May 2018", "month", False)
    assert (video.label, video.approximate, video.estimated) == ("about July 2018", True, True)
    assert (italy.label, italy.value, italy.estimated) == ("June 2019", "2019-06", True)
    assert (steps.label, steps.approximate) == ("about July 2019", True)
    order = [entries.index(e) for e in (born, video, italy, steps)]
    assert order == sorted(order)
    for entry in (born, video, italy, steps):
        text = next(a.text for a in seeds if a.id == entry.article)
        assert text[entry.start : entry.end] in entry.text
        assert text[entry.sentence_start : entry.sentence_end] == entry.text


@pytest.mark.shared
def test_timeline_seeds_undated_expressions_are_resolved_and_marked(seeds: list[Article]) -> None:
    ready = {a.id: a for a in anchored(seeds)}
    february = next(t for t in ready["001"].times if t.text == "February")
    assert (february.value, february.estimated) == ("2019-02", True)
    july = next(t for t in ready["000"].times if t.text == "July 21")
    assert (july.value, july.estimated) == ("2018-07-21", True)


def test_timeline_dated_articles_and_copies() -> None:
    published = datetime(2026, 3, 4, 15, tzinfo=UTC)
    names = {"Juniper Rose Raman": "Juniper Rose Raman"}
    text = "Juniper Rose Raman was born March 2 in Los Angeles. The couple married in 2024."
    original = annotated("wire", text, names, published=published, outlet="Wire")
    copy = annotated(
        "heap",
        text,
        names,
        published=published,
        outlet="Heap",
        copy_of=CopyLink("wire", "verbatim", 1.0),
    )
    result = timeline([original, copy])
    labels = [(e.kind, e.label) for e in result.entries]
    assert labels == [("time", "2024"), ("birth", "2 March 2026")]
    birth = result.entries[1]
    assert [s["article"] for s in birth.sources] == ["wire", "heap"]
    assert birth.sources[1]["copy_of"] == "wire"
    assert birth.summary == "Juniper Rose Raman born"
    assert not birth.estimated and not birth.approximate
    json.dumps(result.to_dict())


def test_timeline_relative_dates_and_ages_of_a_dated_article() -> None:
    published = datetime(2026, 4, 13, 22, tzinfo=UTC)
    text = (
        "In the photos, Juniper, now 6 weeks old, snoozes. The family shared them on Sunday night."
    )
    result = timeline([annotated("buzz", text, {"Juniper": "Juniper"}, published=published)])
    assert [(e.kind, e.label) for e in result.entries] == [
        ("time", "12 April 2026, night"),
        ("age", "13 April 2026"),
    ]
    assert result.entries[0].granularity == "part of day"


def test_timeline_undated_article_without_clues() -> None:
    result = timeline([annotated("x", "Nothing here says when, only that it rained.", {})])
    assert result.entries == []
    (estimate,) = result.dates
    assert (estimate.day, estimate.basis, estimate.label) == (None, "none", "unknown")
