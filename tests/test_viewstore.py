"""Stored story views: computed once, shared through the store, stale only where a
write touched, never half-written, and filled in for a store written before them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyline import engine as engine_module
from storyline import store as store_module
from storyline.config import Config
from storyline.engine import Engine
from storyline.errors import NotFoundError
from storyline.model import Article
from storyline.store import Store
from storyline.views.entities import entity_registry
from storyline.viewstore import DOCUMENT_FORMAT
from storyline.web import create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

Record = Callable[..., dict[str, Any]]


def articles(record: Record, *keys: str) -> list[Article]:
    return [Article.from_dict(record(key, id=key)) for key in keys]


def stored_rows(path: Path) -> dict[str, tuple[int, str]]:
    """story -> (version its views were computed at, when), straight from the file."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT story, version, computed_at FROM story_views").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def no_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make computing any story's views fail, so that a test sees it never happens."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("story views were computed")

    monkeypatch.setattr(engine_module, "story_views", refuse)


def test_viewstore_ingest_stores_the_views_of_every_story_it_touched(
    db_path: Path, record: Record
) -> None:
    with Engine(db_path, config=Config()) as engine:
        report = engine.add(articles(record, "bridge", "bridge_other_outlet", "rates"))
        touched = report.events | report.storylines
        assert touched and engine.views.stale() == []
        assert set(stored_rows(db_path)) == touched


def test_viewstore_views_are_shared_by_engines_and_not_computed_again(
    db_path: Path, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine(db_path, config=Config()) as writer:
        writer.add(articles(record, "bridge", "bridge_other_outlet", "rates"))
        storyline = writer.article("bridge").storyline
        assert storyline is not None
        expected = writer.story(storyline).to_dict()
    no_computing(monkeypatch)
    with Engine(db_path, config=Config(), stages=[]) as reader:
        assert reader.story(storyline).to_dict() == expected
        assert reader.story_document(storyline)["summary"] == expected["summary"]
    with TestClient(create_app(db_path, config=Config())) as client:
        for path in (f"/stories/{storyline}", f"/api/stories/{storyline}"):
            assert client.get(path).status_code == 200


def test_viewstore_a_write_makes_only_the_stories_it_touched_stale(
    db_path: Path, record: Record
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "rates", "football"))
        before = stored_rows(db_path)
        others = {
            story
            for key in ("rates", "football")
            for story in (engine.article(key).event, engine.article(key).storyline)
        }
        report = engine.add(articles(record, "bridge_other_outlet"))
        touched = report.events | report.storylines
        after = stored_rows(db_path)
    assert touched and not touched & others
    untouched = set(before) - touched
    assert others <= untouched
    assert {story: after[story] for story in untouched} == {
        story: before[story] for story in untouched
    }
    for story in touched & set(before):
        assert after[story][0] > before[story][0]


def test_viewstore_a_failed_batch_leaves_the_old_views_intact(
    db_path: Path, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "rates"))
        storyline = engine.article("bridge").storyline
        assert storyline is not None
        before = stored_rows(db_path)
        document = engine.story_document(storyline)
        insert_article = Store.insert_article

        def failing(self: Store, article: Article, identity: str, text_hash: str) -> None:
            insert_article(self, article, identity, text_hash)
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(Store, "insert_article", failing)
        with pytest.raises(RuntimeError):
            engine.add(articles(record, "bridge_other_outlet"))
        monkeypatch.undo()
        assert stored_rows(db_path) == before
        assert engine.views.stale() == []
        no_computing(monkeypatch)
        assert engine.story_document(storyline) == document


def test_viewstore_an_upgraded_store_gets_its_views(
    db_path: Path, record: Record, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:5])
        with Engine(db_path, config=Config()) as old:
            old.add(articles(record, "bridge", "bridge_other_outlet", "rates", "football"))
            assert old.store.schema_version == 5
    with Engine(db_path, config=Config(), stages=[]) as engine:
        assert engine.store.schema_version == 7
        stories = {s.id for s in engine.store.stories()}
        with pytest.raises(NotFoundError):  # its storylines' entities come with their views
            engine.entity("Helen Okafor")
        assert {story for story, _ in engine.views.stale()} == stories
    result = cli("refresh")
    assert result.exit_code == 0, result.output
    assert f"views of {len(stories)} stories" in result.output
    assert set(stored_rows(db_path)) == stories
    no_computing(monkeypatch)
    with Engine(db_path, config=Config(), stages=[]) as engine:
        assert engine.views.stale() == []
        for story in stories:
            assert engine.story(story).id == story
        assert engine.refresh_views().computed == 0
        assert engine.entity("Helen Okafor")["storylines"]


def test_viewstore_entity_pages_read_no_article(
    db_path: Path, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "bridge_other_outlet", "rates", "football"))
        storyline = engine.article("bridge").storyline
        expected = {
            e.canonical: e
            for e in entity_registry(list(engine.articles(engine.store.story(storyline).articles)))
        }
    no_computing(monkeypatch)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an article was read")

    monkeypatch.setattr(store_module.Store, "article", refuse)
    monkeypatch.setattr(store_module.Store, "articles", refuse)
    with Engine(db_path, config=Config(), stages=[]) as engine:
        found = engine.entity("helen  OKAFOR")
        entry = expected["Helen Okafor"]
        assert found["name"] == "Helen Okafor" and found["label"] == entry.label
        assert found["mentions"] == entry.mentions and found["aliases"] == entry.aliases
        assert found["articles"] == entry.articles
        assert [s["id"] for s in found["storylines"]] == [storyline]
        assert found["quotes"] and {q["speaker"] for q in found["quotes"]} == {"Helen Okafor"}
        assert all(q["storyline"] == storyline for q in found["quotes"])
        with pytest.raises(NotFoundError):
            engine.entity("Nobody Anywhere")


def test_viewstore_views_of_another_format_are_stale(db_path: Path, record: Record) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "rates"))
        stories = set(stored_rows(db_path))
        engine.store.db.execute("UPDATE story_views SET format = ?", (DOCUMENT_FORMAT + 1,))
        assert {story for story, _ in engine.views.stale()} == stories
        assert engine.refresh_views().computed == len(stories)
        assert engine.views.stale() == []


def test_viewstore_views_saved_only_if_the_story_did_not_move_on(
    db_path: Path, record: Record
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "rates"))
        storyline = engine.article("bridge").storyline
        assert storyline is not None
        state = engine.views.state(storyline)
        assert state is not None and state.fresh
        with engine.store.atomic():
            engine.store.touch_stories([storyline])
        document = engine.story_document(storyline, stale_ok=True)  # served stale
        assert not engine.views.save(storyline, state.version, document, 0.0)
        assert storyline in {story for story, _ in engine.views.stale()}
        assert engine.refresh_views().computed == 1


def test_viewstore_a_claimed_story_is_waited_for_not_computed_twice(
    db_path: Path, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "rates"))
        storyline = engine.article("bridge").storyline
        assert storyline is not None
        with engine.store.atomic():
            engine.store.touch_stories([storyline])
        assert engine.views.claim(storyline)  # another process is computing it
        version = engine.views.state(storyline).version  # type: ignore[union-attr]
        computed = engine._document(storyline)
    finished = threading.Event()

    def claimant() -> None:
        with Engine(db_path, config=Config(), stages=[]) as other:
            finished.wait(10)
            assert other.views.save(storyline, version, computed.document, 0.5, computed.entities)

    thread = threading.Thread(target=claimant)
    thread.start()
    no_computing(monkeypatch)
    with Engine(db_path, config=Config(), stages=[]) as reader:
        assert not reader.views.claim(storyline)
        finished.set()
        found = reader.stored_views(storyline)
    thread.join()
    assert found.version == version and found.document == computed.document


def test_viewstore_recluster_keeps_views_of_existing_stories_only(
    db_path: Path, record: Record
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "bridge_other_outlet", "rates", "football"))
        engine.recluster()
        stories = {s.id for s in engine.store.stories()}
        assert set(stored_rows(db_path)) == stories
        assert engine.views.stale() == []


def test_viewstore_refresh_leaves_a_claimed_story_to_its_claimant(
    db_path: Path, record: Record
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "rates", "football"))
        stories = set(stored_rows(db_path))
        storyline = engine.article("bridge").storyline
        assert storyline is not None
        with engine.store.atomic():
            engine.store.touch_stories(stories)
        with Engine(db_path, config=Config(), stages=[]) as other:
            assert other.views.claim(storyline)
        report = engine.refresh_views()
        assert (report.computed, report.elsewhere) == (len(stories) - 1, 1)
        assert {story for story, _ in engine.views.stale()} == {storyline}


def test_viewstore_refresh_in_two_processes_computes_each_story_once(
    db_path: Path, record: Record
) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.add(articles(record, "bridge", "bridge_other_outlet", "rates", "football"))
        stories = set(stored_rows(db_path))
        with engine.store.atomic():
            engine.store.touch_stories(stories)
        report = engine.refresh_views(workers=2)
        assert report.computed == len(stories)
        assert engine.views.stale() == []
