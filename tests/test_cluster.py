from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storyline.config import Config
from storyline.engine import Engine
from storyline.model import Article

Record = Callable[..., dict[str, Any]]

GERMAN = [
    {
        "url": "https://tageblatt.example/hafenbruecke-eingestuerzt",
        "outlet": "Tageblatt",
        "published": "2024-03-10T09:00:00Z",
        "title": "Hafenbr\u00fccke in Port Alden bei Sturm teilweise eingest\u00fcrzt",
        "text": (
            "Ein Teil der Hafenbr\u00fccke in Port Alden ist in der Nacht zum Sonntag bei einem "
            "schweren Sturm eingest\u00fcrzt. Zwei Menschen wurden verletzt, als ihr "
            "Lieferwagen auf das untere Deck der Br\u00fccke fiel. Die Feuerwehr brachte den "
            "Fahrer und seinen Beifahrer mit Knochenbr\u00fcchen in das Krankenhaus. "
            "B\u00fcrgermeisterin Helen Okafor sagte, die Br\u00fccke bleibe gesperrt, bis "
            "Ingenieure jeden Pfeiler gepr\u00fcft haben. Pendler m\u00fcssen einen Umweg "
            "durch das Industriegebiet nehmen."
        ),
    },
    {
        "url": "https://morgenpost.example/sturm-bruecke-port-alden",
        "outlet": "Morgenpost",
        "published": "2024-03-10T14:00:00Z",
        "title": "Sturm: Hafenbr\u00fccke von Port Alden gesperrt",
        "text": (
            "Nach dem Einsturz eines Teils der Hafenbr\u00fccke in Port Alden pr\u00fcfen "
            "Ingenieure am Sonntag die Pfeiler der Br\u00fccke. Bei dem Sturm in der Nacht "
            "fiel ein Lieferwagen auf das untere Deck, zwei Menschen wurden mit "
            "Knochenbr\u00fcchen ins Krankenhaus gebracht. B\u00fcrgermeisterin Helen Okafor "
            "hat die Hafenbr\u00fccke f\u00fcr den Verkehr gesperrt. Pendler aus den "
            "n\u00f6rdlichen Vororten m\u00fcssen durch das Industriegebiet fahren."
        ),
    },
]


def ingest(
    engine: Engine, write: Callable[..., Path], records: list[dict[str, Any]], name: str
) -> list[Article]:
    report = engine.ingest(write(name, records))
    assert report.ok, report.errors
    return list(engine.articles())


def by_url(articles: list[Article]) -> dict[str, Article]:
    return {article.url or article.id: article for article in articles}


def test_cluster_two_reports_of_one_happening_join_one_event(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    first, second = ingest(
        engine, write, [record("bridge"), record("bridge_other_outlet")], "bridge.jsonl"
    )
    assert first.event is not None and first.storyline is not None
    assert second.event == first.event
    assert second.storyline == first.storyline
    event = engine.story(first.event)
    assert event.kind == "event"
    assert event.articles == [first.id, second.id]
    assert event.storyline == first.storyline
    joined = next(a for a in engine.why(second.id) if a.kind == "event")
    assert not joined.created
    assert joined.target == first.event
    assert joined.reason.startswith(f"joined {first.event}")


def test_cluster_unrelated_article_founds_a_new_event_and_storyline(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    bridge, rates = ingest(engine, write, [record("bridge"), record("rates")], "two.jsonl")
    assert rates.event != bridge.event
    assert rates.storyline != bridge.storyline
    decisions = {a.kind: a for a in engine.why(rates.id)}
    assert decisions["event"].created and decisions["storyline"].created
    assert decisions["event"].reason.startswith("new event")
    assert decisions["storyline"].reason.startswith("new storyline")
    assert {s.id for s in engine.stories()} == {bridge.storyline, rates.storyline}


def test_cluster_corpus_is_grouped_as_expected(
    engine: Engine, write: Callable[..., Path], news: dict[str, dict[str, str]], record: Record
) -> None:
    articles = by_url(ingest(engine, write, [record(key) for key in news], "corpus.jsonl"))
    event = {key: articles[news[key]["url"]].event for key in news}
    storyline = {key: articles[news[key]["url"]].storyline for key in news}
    assert event["bridge"] == event["bridge_other_outlet"]
    others = ["bridge", "bridge_inquiry", "rates", "football", "wildfire", "election"]
    assert len({event[key] for key in others}) == len(others)
    unrelated = ["bridge", "rates", "football", "wildfire", "election"]
    assert len({storyline[key] for key in unrelated}) == len(unrelated)


def test_cluster_follow_up_weeks_later_is_a_new_event_in_the_same_storyline(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    bridge, inquiry = ingest(
        engine, write, [record("bridge"), record("bridge_inquiry")], "follow.jsonl"
    )
    assert inquiry.event != bridge.event
    assert inquiry.storyline == bridge.storyline
    storyline = engine.story(bridge.storyline or "")
    assert storyline.events == [bridge.event, inquiry.event]
    assert storyline.articles == [bridge.id, inquiry.id]
    assert storyline.first_published == datetime(2024, 3, 10, 7, 45, tzinfo=UTC)
    assert storyline.last_published == datetime(2024, 3, 29, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "second_published"),
    [(4.0, "2024-03-15T07:46:00Z"), (4.0, "2024-02-20T00:00:00Z"), (1.0, "2024-03-12T08:00:00Z")],
    ids=["5-days-later", "19-days-earlier", "2-days-with-1-day-window"],
)
def test_cluster_dates_beyond_the_event_window_never_share_an_event(
    db_path: Path, write: Callable[..., Path], record: Record, window: float, second_published: str
) -> None:
    # the same report again under another URL: as similar as two articles can be
    records = [record("bridge"), record("bridge", url="https://other.example/copy")]
    records[1]["published"] = second_published
    with Engine(db_path, config=Config(event_window_days=window)) as engine:
        first, second = ingest(engine, write, records, "late.jsonl")
    assert second.event != first.event


def test_cluster_same_report_inside_the_window_shares_the_event(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    records = [record("bridge"), record("bridge", url="https://other.example/copy")]
    records[1]["published"] = "2024-03-13T07:45:00Z"
    first, second = ingest(engine, write, records, "near.jsonl")
    assert second.event == first.event


def dump(path: Path, table: str, skip: set[str]) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
    return sorted(tuple(row[k] for k in row.keys() if k not in skip) for row in rows)  # noqa: SIM118


def test_cluster_replaying_the_same_input_gives_the_same_ids(
    tmp_path: Path, write: Callable[..., Path], news: dict[str, dict[str, str]], record: Record
) -> None:
    path = write("corpus.jsonl", [record(key) for key in news])
    runs = []
    for name in ("one.db", "two.db"):
        with Engine(tmp_path / name, config=Config(batch_size=2)) as engine:
            engine.ingest(path)
            runs.append([(a.id, a.event, a.storyline) for a in engine.articles()])
    assert runs[0] == runs[1]
    for table, skip in [("clusters", set()), ("assignments", {"at"})]:
        assert dump(tmp_path / "one.db", table, skip) == dump(tmp_path / "two.db", table, skip)


def test_cluster_every_article_has_a_logged_event_and_storyline(
    engine: Engine, write: Callable[..., Path], news: dict[str, dict[str, str]], record: Record
) -> None:
    articles = ingest(engine, write, [record(key) for key in news], "corpus.jsonl")
    for article in articles:
        decisions = engine.why(article.id)
        assert [d.kind for d in decisions] == ["event", "storyline"]
        event, storyline = decisions
        assert event.target == article.event
        assert storyline.target == article.storyline
        assert all(d.reason and d.article == article.id for d in decisions)
        assert article.id in engine.story(event.target).articles
        assert article.id in engine.story(storyline.target).articles
        assert event.target in engine.story(storyline.target).events
        assert engine.story(event.target).storyline == storyline.target
    assert sum(len(s.articles) for s in engine.stories()) == len(articles)
    assert sum(len(e.articles) for e in engine.events()) == len(articles)


def test_cluster_undated_articles_are_placed_and_still_grouped(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    records = [
        record("bridge", published=None),
        record("bridge_other_outlet", published=None),
        record("rates", published=None),
    ]
    bridge, other, rates = ingest(engine, write, records, "undated.jsonl")
    assert bridge.published is None
    assert other.event == bridge.event
    assert rates.event not in (None, bridge.event)
    event = engine.story(bridge.event or "")
    assert event.first_published is None and event.last_published is None
    assert "gap_days" not in next(d for d in engine.why(other.id) if d.kind == "event").features


def test_cluster_untitled_article_gets_a_title_from_its_text(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    [article] = ingest(engine, write, [record("wildfire", title=None)], "untitled.jsonl")
    assert article.title == ""
    assert article.event is not None and article.storyline is not None
    event = engine.story(article.event)
    assert event.title
    assert article.text.startswith(event.title)
    assert engine.story(article.storyline).title == event.title


def test_cluster_non_english_articles_are_grouped_apart_from_unrelated_news(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    first, second, rates = ingest(engine, write, [*GERMAN, record("rates")], "german.jsonl")
    assert first.language == second.language == "de"
    assert first.event is not None and first.storyline is not None
    assert second.event == first.event
    assert rates.event != first.event
    assert rates.storyline != first.storyline


def _child_article(
    article_id: str, age: str, qualifier: str | None = None, attribute: str = "age"
) -> Article:
    from storyline.model import Fact

    text = (
        "Singer Dana Reyes shared a new video of her son Theo Reyes at home with his "
        "father Marco Reyes. Fans said the boy looks exactly like his dad. Theo is "
        f"{age} old, Reyes wrote, and the family is doing well in Lisbon."
    )
    return Article(
        id=article_id,
        title="Dana Reyes shares a video of her son Theo",
        text=text,
        facts=[Fact("Theo", attribute, age, 0, 1, qualifier=qualifier)],
    )


@pytest.mark.parametrize(
    ("first", "second", "together"),
    [
        ("P9W", "P14M", False),
        ("P14M", "P14M", True),
        ("P13M", "P14M", True),
        ("P3Y", "P8Y", False),
        ("P27Y", "P29Y", True),  # sources disagreeing on an age: no time gap
    ],
)
def test_cluster_ages_of_one_person_far_apart_date_undated_articles_apart(
    first: str, second: str, together: bool
) -> None:
    from storyline.cluster import Clusterer

    clusterer = Clusterer(Config())
    one = clusterer(_child_article("one", first))
    two = clusterer(_child_article("two", second))
    assert (one.event == two.event) is together
    assert one.storyline == two.storyline
    decision = clusterer.state.assignments[-2]
    if together:
        assert not decision.created
        assert decision.features.get("age_gap_days", 0.0) == 0.0
    else:
        assert decision.created and "new event" in decision.reason


@pytest.mark.parametrize(
    ("age", "together"),
    [("P9W", False), ("P3Y", False), ("P14M", True), ("P9M", True)],
)
def test_cluster_a_milestone_of_childhood_dates_an_article_without_an_age(
    age: str, together: bool
) -> None:
    from storyline.cluster import Clusterer

    clusterer = Clusterer(Config())
    stated = clusterer(_child_article("stated", age))
    walking = clusterer(
        _child_article("walking", "P8.2M/P17.6M", "walking alone", attribute="life_stage")
    )
    assert (stated.event == walking.event) is together
    assert stated.storyline == walking.storyline
    decision = clusterer.state.assignments[-2]
    assert decision.created is not together
    assert ("outside the event window" in decision.reason) is not together


def test_cluster_headline_only_article_joins_the_event_its_headline_names(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    headline = "Port Alden's Harbour Bridge partly collapses in storm; mayor Helen Okafor closes it"
    teaser = record(
        "bridge_other_outlet",
        url="https://wire.example/alerts/harbour-bridge",
        outlet="Wire Alerts",
        title=headline,
        text=headline,
        published="2024-03-10T12:00:00Z",
    )
    articles = by_url(
        ingest(engine, write, [record("bridge"), record("rates"), teaser], "alerts.jsonl")
    )
    bridge = articles[record("bridge")["url"]]
    alert = articles["https://wire.example/alerts/harbour-bridge"]
    assert alert.event == bridge.event
    assert alert.event != articles[record("rates")["url"]].event
    [decision] = [d for d in engine.why(alert.id) if d.kind == "event"]
    assert decision.score is not None and decision.score >= engine.config.event_threshold


def test_cluster_exact_duplicate_joins_its_originals_event_as_a_copy(
    engine: Engine, write: Callable[..., Path], record: Record
) -> None:
    copy = record(
        "bridge",
        url="https://aggregator.example/item/8812",
        outlet="Aggregator",
        published="2024-03-10T09:30:00Z",
    )
    articles = by_url(ingest(engine, write, [record("bridge"), copy], "copies.jsonl"))
    original = articles[record("bridge")["url"]]
    duplicate = articles["https://aggregator.example/item/8812"]
    assert duplicate.copy_of is not None and duplicate.copy_of.original == original.id
    assert duplicate.event == original.event and duplicate.storyline == original.storyline
