"""Facts: births, deaths, ages, counts and places, with who they are about and their as-of date."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from storyline.model import Article, Entity, Fact
from storyline.nlp.facts import FactStage, entity_key, extract_facts, merge_keys
from storyline.nlp.times import TimeStage
from storyline.pipeline import Pipeline, PipelineError


def article(
    text: str, names: dict[str, tuple[str, str]], published: datetime | None = None
) -> Article:
    """An article whose entities are where ``names`` occur (mention -> (label, canonical))."""
    entities: list[Entity] = []
    for mention, (label, canonical) in names.items():
        for match in re.finditer(rf"\b{re.escape(mention)}\b", text):
            if not any(e.start <= match.start() < e.end for e in entities):
                entities.append(Entity(mention, label, match.start(), match.end(), canonical))
    built = Article(
        id="a", text=text, published=published, entities=sorted(entities, key=lambda e: e.start)
    )
    return TimeStage()(built)


def facts_of(built: Article, attribute: str | None = None) -> list[Fact]:
    return [f for f in extract_facts(built) if attribute is None or f.attribute == attribute]


MILES = {"Miles Stephens": ("PERSON", "Miles Stephens"), "Miles": ("PERSON", "Miles Stephens")}
PUBLISHED = datetime(2019, 7, 16, tzinfo=UTC)


def test_facts_birth_date_with_its_span() -> None:
    built = article(
        "Her son, Miles Stephens, is walking now. Miles was born in May of 2018.", MILES
    )
    (born,) = facts_of(built, "birth_date")
    assert (born.entity, born.value) == ("Miles Stephens", "2018-05")
    assert built.text[born.start : born.end] == "Miles was born in May of 2018"
    assert (
        built.text[born.sentence_start or 0 : born.sentence_end] == "Miles was born in May of 2018."
    )


def test_facts_child_descriptor_resolves_to_the_child() -> None:
    text = (
        "Singer John Legend is twinning hard with his son, Miles, 9 weeks old. Legend's wife, "
        "model Chrissy Teigen recently shared a clip of their little guy "
        "(who was born prematurely on July 21)."
    )
    names = MILES | {
        "John Legend": ("PERSON", "John Legend"),
        "Chrissy Teigen": ("PERSON", "Chrissy Teigen"),
    }
    built = article(text, names)
    born = facts_of(built, "birth_date")
    assert [(f.entity, f.value) for f in born] == [("Miles Stephens", "XXXX-07-21")]
    # the evidence runs from the name to the date, over both sentences
    evidence = text[born[0].sentence_start or 0 : born[0].sentence_end]
    assert evidence.startswith("Singer John Legend") and evidence.endswith("on July 21).")
    (age,) = facts_of(built, "age")
    assert (age.entity, age.value, age.unit) == ("Miles Stephens", "P9W", "week")


@pytest.mark.parametrize(
    ("text", "entity", "value", "qualifier"),
    [
        ("Baby Miles is about 14 months old, which is a lot.", "Miles Stephens", "P14M", "about"),
        ("Pop star Sienna Marlowe, 31, shared the news.", "Sienna Marlowe", "P31Y", None),
        (
            "Darius Whitfield drove. The Tide's point guard fell. The 29-year-old scored 21.",
            "Darius Whitfield",
            "P29Y",
            None,
        ),
        ("In the photos, Juniper, now 6 weeks old, snoozes.", "Juniper Rose Raman", "P6W", None),
    ],
)
def test_facts_ages(text: str, entity: str, value: str, qualifier: str | None) -> None:
    names = MILES | {
        "Sienna Marlowe": ("PERSON", "Sienna Marlowe"),
        "Darius Whitfield": ("PERSON", "Darius Whitfield"),
        "Tide": ("PERSON", "Harborview Tide"),
        "Juniper": ("ORG", "Juniper Rose Raman"),
    }
    (age,) = facts_of(article(text, names), "age")
    assert (age.entity, age.value, age.qualifier) == (entity, value, qualifier)


@pytest.mark.parametrize(
    "text",
    [
        "Carol Brightman left. The dog, a terrier puppy about 3 months old, rode on her lap.",
        "Police arrested Carol Brightman and a 41-year-old roofing contractor.",
    ],
)
def test_facts_ages_of_unnamed_things_are_not_attached_to_a_person(text: str) -> None:
    assert facts_of(article(text, {"Carol Brightman": ("PERSON", "Carol Brightman")}), "age") == []


def test_facts_age_becomes_a_birth_interval_on_a_known_date() -> None:
    built = article("Baby Miles is about 14 months old.", MILES, published=PUBLISHED)
    derived = [f for f in facts_of(built, "birth_date") if f.basis]
    assert len(derived) == 1
    first, last = derived[0].value.split("/")
    assert first <= "2018-05-01" and last >= "2018-05-31"
    assert derived[0].basis == "age P14M as of 2019-07-16"
    assert (derived[0].as_of, derived[0].as_of_estimated) == ("2019-07-16", False)


@pytest.mark.parametrize(
    ("text", "attribute", "value", "qualifier"),
    [
        (
            "The fire destroyed 41 homes, most of them on Juniper Lane.",
            "count (homes destroyed)",
            "41",
            None,
        ),
        (
            "The trial enrolled 1,480 patients with early disease.",
            "count (patients enrolled)",
            "1480",
            None,
        ),
        (
            "The study randomized 1,840 patients at 212 sites.",
            "count (patients enrolled)",
            "1840",
            None,
        ),
        (
            "The post drew more than 12,000 likes within an hour.",
            "count (likes received)",
            "12000",
            "more than",
        ),
        (
            "It forced about 2,000 residents to evacuate.",
            "count (residents evacuated)",
            "2000",
            "about",
        ),
        ("Northwind would spend $60 million on security.", "amount (spending)", "6e+07", None),
        ("The $50,000 reward will go to the tipster.", "amount (reward)", "50000", None),
    ],
)
def test_facts_counts_and_amounts(
    text: str, attribute: str, value: str, qualifier: str | None
) -> None:
    found = [
        f for f in facts_of(article(text, {}, published=PUBLISHED)) if f.attribute == attribute
    ]
    assert [(f.value, f.qualifier, f.as_of) for f in found] == [(value, qualifier, "2019-07-16")]


def test_facts_earlier_state_is_not_current() -> None:
    text = "Election-night results had shown Reyes ahead by 37 votes out of about 18,400 cast."
    (margin,) = [
        f for f in facts_of(article(text, {}, published=PUBLISHED)) if "votes" in f.attribute
    ]
    assert (margin.attribute, margin.as_of, margin.basis) == (
        "count (votes margin)",
        None,
        "earlier state",
    )


def test_facts_date_in_the_sentence_is_the_as_of_date() -> None:
    text = "The fire had destroyed 41 homes by Feb. 26, officials said on March 3."
    built = article(text, {}, published=datetime(2026, 3, 4, tzinfo=UTC))
    (homes,) = facts_of(built, "count (homes destroyed)")
    assert homes.as_of in ("2026-02-26", None)


@pytest.mark.parametrize(
    "text", ["Sales of 100M units.", "We are open 24/7.", "Call 555-2400 now.", "Feb. 30, 2019"]
)
def test_facts_numbers_that_are_not_facts(text: str) -> None:
    assert facts_of(article(text, {}, published=PUBLISHED)) == []


def test_facts_birth_in_the_future_is_not_a_birth() -> None:
    built = article("Miles was born on Dec. 24, 2099.", MILES, published=PUBLISHED)
    assert facts_of(built, "birth_date") == []


def test_facts_birth_place() -> None:
    text = "Juniper Rose Raman was born March 2 at St. Anselm Medical Center in Los Angeles."
    names = {
        "Juniper Rose Raman": ("PERSON", "Juniper Rose Raman"),
        "Los Angeles": ("GPE", "Los Angeles"),
    }
    built = article(text, names, published=datetime(2026, 3, 4, tzinfo=UTC))
    assert [(f.attribute, f.value) for f in facts_of(built) if f.attribute.startswith("birth")] == [
        ("birth_date", "2026-03-02"),
        ("birth_place", "Los Angeles"),
    ]


def test_facts_entity_keys_merge_first_names_and_surnames() -> None:
    assert entity_key("Baby Miles") == "miles"
    assert entity_key("John Legend's") == "john legend"
    assert entity_key("Dr. Helen Achterberg") == "helen achterberg"
    merged = merge_keys(["miles", "miles stephens", "legend", "john legend", "john", "john smith"])
    assert merged["miles"] == "miles stephens"
    assert merged["legend"] == "john legend"
    assert merged["john"] == "john"  # two Johns: left alone


def test_facts_stage_needs_entities_and_times() -> None:
    with pytest.raises(PipelineError):
        Pipeline([FactStage()])
    built = article("Miles was born in May of 2018.", MILES)
    assert FactStage()(built).facts


def test_facts_round_trip_through_dicts() -> None:
    built = article("Baby Miles is about 14 months old.", MILES, published=PUBLISHED)
    for fact in extract_facts(built):
        assert Fact.from_dict(fact.to_dict()) == fact


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Her son, Miles Stephens, is walking now. It is cute.", "Miles Stephens, is walking"),
        (
            "Teigen shared a video of baby Miles taking his first steps.",
            "Miles taking his first steps",
        ),
        (
            'Her son, Miles, was at home. "I think I just caught his first real steps," she wrote.',
            "first real steps",
        ),
    ],
)
def test_facts_life_stage_of_a_child(text: str, span: str) -> None:
    built = article(text, {**MILES, "Teigen": ("PERSON", "Chrissy Teigen")})
    [fact] = facts_of(built, "life_stage")
    assert (fact.entity, fact.value, fact.qualifier) == (
        "Miles Stephens",
        "P8.2M/P17.6M",
        "walking alone",
    )
    assert built.text[fact.start : fact.end] == span


@pytest.mark.parametrize(
    "text",
    [
        "Senator Ana Ruiz was walking to the Capitol when reporters stopped her.",
        "Her son, Miles, is 9 weeks old. Iran took its first steps towards a deal.",
        "Her son, Miles, is 9 weeks old. She thinks he might take his first steps in Italy.",
    ],
)
def test_facts_life_stage_needs_a_child_who_reached_it(text: str) -> None:
    names = {**MILES, "Ana Ruiz": ("PERSON", "Ana Ruiz"), "Iran": ("GPE", "Iran")}
    assert facts_of(article(text, names), "life_stage") == []
