"""Summaries: cited sentences, originals over copies, no boilerplate, the seeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storyline.config import Config
from storyline.engine import Engine
from storyline.model import Article, CopyLink
from storyline.views import story_views
from storyline.views.summary import summarise

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def make(key: str, news: dict[str, dict[str, str]], **changes: object) -> Article:
    item = news[key]
    article = Article(
        id=key,
        text=item["text"],
        title=item["title"],
        outlet=item["outlet"],
        published=datetime.fromisoformat(item["published"].replace("Z", "+00:00")),
        language="en",
    )
    for name, value in changes.items():
        setattr(article, name, value)
    return article


def check_citations(articles: list[Article], sentences: list[dict[str, object]]) -> None:
    by_id = {a.id: a for a in articles}
    for sentence in sentences:
        article = by_id[str(sentence["article"])]
        start, end = int(str(sentence["start"])), int(str(sentence["end"]))
        assert article.text[start:end] == sentence["text"]
        assert sentence["outlet"] == article.outlet


def test_summary_cites_article_and_span(news: dict[str, dict[str, str]]) -> None:
    articles = [make(k, news) for k in ("bridge", "bridge_other_outlet", "bridge_inquiry")]
    summary = summarise(articles)
    assert 3 <= len(summary.sentences) <= 5
    check_citations(articles, summary.sentences)
    assert len({s["article"] for s in summary.sentences}) >= 2
    assert summary.headline in {a.title for a in articles}


def test_summary_prefers_originals_over_copies(news: dict[str, dict[str, str]]) -> None:
    original = make("bridge", news)
    copy = make(
        "bridge",
        news,
        id="copy",
        outlet="Copycat News",
        published=datetime(2024, 3, 10, 6, 0, tzinfo=UTC),  # dated earlier, still a copy
        copy_of=CopyLink("bridge", "exact", 1.0),
    )
    summary = summarise([copy, original])
    assert summary.sentences
    check_citations([copy, original], summary.sentences)
    assert all(s["article"] == "bridge" for s in summary.sentences)


def test_summary_never_includes_boilerplate(news: dict[str, dict[str, str]]) -> None:
    article = make("bridge", news)
    lines = [
        "Photo: Jane Doe/Shutterstock",
        article.text,
        "Share this article on Facebook and Twitter with your friends today.",
        "Sign up for our newsletter to get the latest harbour bridge news every day.",
        "Source: Read Full Article",
    ]
    article.text = "\n\n".join(lines)
    # a line the outlet repeats everywhere, known only through the boilerplate spans
    pitch = "Harbour bridge coverage is brought to you by the Port Alden harbour bridge fund."
    article.text += "\n\n" + pitch
    at = article.text.index(pitch)
    summary = summarise([article], boilerplate=lambda a: [(at, at + len(pitch))])
    texts = " ".join(s["text"] for s in summary.sentences)
    check_citations([article], summary.sentences)
    for noise in ("Shutterstock", "Share this", "newsletter", "Read Full Article", "fund"):
        assert noise not in texts


def test_summary_in_story_views_and_engine(engine: Engine, record: Any) -> None:
    engine.add(Article.from_dict(record(k, id=k)) for k in ("bridge", "rates"))
    [bridge] = [s for s in engine.stories() if "bridge" in s.articles]
    story = engine.story(bridge.id)
    assert story.summary and story.to_dict()["summary"] == story.summary
    assert all(s["article"] == "bridge" for s in story.summary)
    views = story_views(list(engine.articles(["bridge"])))
    assert views.summary == story.summary and views.headline


def test_summary_of_empty_story() -> None:
    summary = summarise([])
    assert summary.sentences == [] and summary.headline is None


@pytest.mark.shared
def test_summary_seeds_cite_two_of_three(db_path: Path) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"needs the seed articles at {SEEDS}")
    with Engine(db_path, config=Config()) as engine:
        engine.ingest(SEEDS)
        [storyline] = engine.stories()
        story = engine.story(storyline.id)
        articles = list(engine.articles(story.articles))
        assert 3 <= len(story.summary) <= 5
        check_citations(articles, story.summary)
        assert len({s["article"] for s in story.summary}) >= 2
        text = " ".join(s["text"] for s in story.summary)
        assert "Read Full Article" not in text and "Shutterstock" not in text
        for article in articles:
            for start, end in engine.boilerplate(article):
                assert all(
                    s["end"] <= start or s["start"] >= end
                    for s in story.summary
                    if s["article"] == article.id
                )


def test_summary_of_a_large_story_reads_its_most_central_independent_reports(
    news: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyline.model import Entity
    from storyline.views import summary as summary_module

    def named(article: Article, *names: str) -> Article:
        article.entities = [Entity(name, "PERSON", 0, 1, name) for name in names]
        return article

    bridge = named(make("bridge", news), "Helen Okafor", "Port Alden")
    other = named(make("bridge_other_outlet", news), "Helen Okafor", "Port Alden")
    inquiry = named(make("bridge_inquiry", news), "Helen Okafor", "Port Alden")
    copy = named(
        make("bridge", news, id="copy", outlet="Copycat News"), "Helen Okafor", "Port Alden"
    )
    copy.copy_of = CopyLink("bridge", "exact", 1.0)
    rates = named(make("rates", news), "Central Bank")
    articles = [rates, copy, bridge, other, inquiry]
    monkeypatch.setattr(summary_module, "MAX_ARTICLES", 3)
    found = summarise(articles)
    cited = {s["article"] for s in found.sentences}
    assert cited and cited <= {"bridge", "bridge_other_outlet", "bridge_inquiry"}
    check_citations(articles, found.sentences)


def test_summary_leaves_out_the_writers_questions_not_quoted_ones(
    news: dict[str, dict[str, str]],
) -> None:
    article = make("bridge", news)
    question = "What is it about this old harbour bridge that makes the whole of Port Alden care?"
    asked = "“Will the harbour bridge reopen before the storm season?” one commuter asked."
    article.text = f"{question}\n\n{article.text}\n\n{asked}"
    summary = summarise([article])
    texts = [s["text"] for s in summary.sentences]
    check_citations([article], summary.sentences)
    assert question not in texts
