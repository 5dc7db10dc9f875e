from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import EXPORT_ARTICLE_KEYS

from storyline.model import (
    Article,
    Assignment,
    CopyLink,
    Entity,
    Fact,
    Quote,
    Story,
    TimeExpr,
    format_datetime,
    parse_datetime,
)


def full_article() -> Article:
    text = 'Mayor Helen Okafor said "the bridge is closed" on 10 March 2024. It cost 2 million.'
    return Article(
        id="a1",
        text=text,
        title="Bridge closed",
        url="https://example.com/bridge",
        path="/data/bridge.txt",
        outlet="Example News",
        author="Maria Lindqvist",
        published=datetime(2024, 3, 10, 7, 45, tzinfo=UTC),
        language="en",
        metadata={"section": "local", "tags": ["bridge", "storm"]},
        event="e1",
        storyline="s1",
        copy_of=CopyLink(original="a0", kind="syndicated", similarity=0.97),
        entities=[Entity("Helen Okafor", "PERSON", 6, 18, "Helen Okafor")],
        quotes=[Quote("the bridge is closed", 25, 45, "Helen Okafor", 6, 18, "said")],
        times=[TimeExpr("10 March 2024", 50, 63, "DATE", "2024-03-10", "day")],
        facts=[Fact("bridge", "cost", "2000000", 68, 82, as_of="2024-03-10", unit="USD")],
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-10T07:45:00Z", datetime(2024, 3, 10, 7, 45, tzinfo=UTC)),
        ("2024-03-10T07:45:00", datetime(2024, 3, 10, 7, 45, tzinfo=UTC)),
        ("2024-03-10", datetime(2024, 3, 10, tzinfo=UTC)),
        (
            "2024-03-10T09:45:00+02:00",
            datetime(2024, 3, 10, 9, 45, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_model_parse_datetime_reads_iso_8601_and_assumes_utc(
    value: str, expected: datetime
) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize("value", [None, ""])
def test_model_parse_datetime_of_nothing_is_none(value: str | None) -> None:
    assert parse_datetime(value) is None


def test_model_parse_datetime_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_datetime("last Tuesday")


def test_model_format_datetime_is_utc_with_z() -> None:
    local = datetime(2024, 3, 10, 9, 45, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(local) == "2024-03-10T07:45:00Z"
    assert format_datetime(None) is None
    assert parse_datetime(format_datetime(local)) == local


def test_model_article_to_dict_has_the_export_schema() -> None:
    data = full_article().to_dict()
    assert set(data) >= EXPORT_ARTICLE_KEYS
    assert data["published"] == "2024-03-10T07:45:00Z"
    assert data["copy_of"] == {"original": "a0", "kind": "syndicated", "similarity": 0.97}
    assert data["entities"][0] == {
        "text": "Helen Okafor",
        "label": "PERSON",
        "start": 6,
        "end": 18,
        "canonical": "Helen Okafor",
    }
    assert data["quotes"][0]["speaker"] == "Helen Okafor"
    assert data["times"][0]["value"] == "2024-03-10"
    assert data["facts"][0]["unit"] == "USD"
    json.dumps(data)  # plain JSON all the way down


def test_model_article_round_trips_through_dict_and_json() -> None:
    article = full_article()
    assert Article.from_dict(json.loads(json.dumps(article.to_dict()))) == article


def test_model_article_from_minimal_dict_fills_defaults() -> None:
    article = Article.from_dict({"id": "a2", "text": "Body"})
    assert article.title == ""
    assert article.published is None
    assert article.copy_of is None
    assert article.entities == [] and article.metadata == {}


def test_model_record_from_dict_ignores_unknown_keys() -> None:
    entity = Entity.from_dict(
        {"text": "Port Alden", "label": "GPE", "start": 0, "end": 10, "canonical": "Port Alden"}
        | {"score": 0.9}
    )
    assert entity == Entity("Port Alden", "GPE", 0, 10, "Port Alden")


def test_model_assignment_round_trips() -> None:
    assignment = Assignment(
        article="a1",
        kind="event",
        target="e1",
        created=False,
        score=0.64,
        runner_up="e2",
        runner_up_score=0.2,
        features={"text": 0.61, "names": 0.94},
        reason="joined e1",
    )
    assert Assignment.from_dict(assignment.to_dict()) == assignment


def test_model_story_to_dict_for_a_storyline_lists_events() -> None:
    story = Story(
        id="s1",
        kind="storyline",
        title="Harbour Bridge",
        articles=["a1", "a2"],
        first_published=datetime(2024, 3, 10, tzinfo=UTC),
        last_published=datetime(2024, 3, 29, tzinfo=UTC),
        events=["e1", "e2"],
    )
    data = story.to_dict()
    assert data["events"] == ["e1", "e2"]
    assert "storyline" not in data
    assert data["first_published"] == "2024-03-10T00:00:00Z"
    assert {"id", "kind", "title", "articles", "summary", "timeline", "contradictions"} <= set(data)


def test_model_story_to_dict_for_an_event_names_its_storyline() -> None:
    data = Story(id="e1", kind="event", title="Collapse", articles=["a1"], storyline="s1").to_dict()
    assert data["storyline"] == "s1"
    assert "events" not in data
    assert data["first_published"] is None
    assert data["summary"] == [] and data["timeline"] == [] and data["contradictions"] == []
